"""Read JSON and YAML documents with exact numbers, and price-definition files."""

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from tollway.money import TollwayError
from tollway.pricing import PriceDefinition, PriceDefinitionError
from tollway.pricing.schema import parse_price_catalog

document_bytes_max = 64 * 1024 * 1024


class DocumentError(TollwayError):
    """A document could not be read or parsed; the message names the file and the place."""

    code = "unreadable_document"


class _ExactLoader(yaml.SafeLoader):
    """A YAML loader that reads every float literal as an exact Decimal of its written digits."""


def _decimal_constructor(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = loader.construct_scalar(node)
    assert isinstance(text, str)
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        mark = node.start_mark
        raise DocumentError(
            f"line {mark.line + 1}: {text!r} is not a finite number usable as a price or quantity"
        )
    return value


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal_constructor)


def _reject_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a finite number")


def read_document(path: Path) -> Any:
    """Parse a .json, .yaml or .yml file; numbers with a fraction become Decimals, never floats."""
    if not path.is_file():
        raise DocumentError(f"{path}: no such file")
    if path.stat().st_size > document_bytes_max:
        raise DocumentError(f"{path}: larger than {document_bytes_max} bytes")
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        if suffix in (".yaml", ".yml"):
            return yaml.load(text, Loader=_ExactLoader)
    except DocumentError as error:
        raise DocumentError(f"{path}: {error.message}") from None
    except (ValueError, yaml.YAMLError) as error:
        raise DocumentError(f"{path}: not valid {suffix[1:].upper()}: {error}") from None
    raise DocumentError(f"{path}: unsupported file type {suffix!r}; use .json, .yaml or .yml")


def load_price_file(path: Path) -> tuple[PriceDefinition, ...]:
    """Load price definitions from a file holding one definition, a list, or `{prices: [...]}`."""
    document = read_document(path)
    try:
        return parse_price_catalog(document)
    except PriceDefinitionError as error:
        raise PriceDefinitionError(
            f"{path.name}: {error.problems[0][0]}",
            error.problems[0][1],
            more=[(f"{path.name}: {where}", what) for where, what in error.problems[1:]],
        ) from None
