"""A deterministic digest of a statement: SHA-256 over a canonical text of its fields.

Equal statements have equal digests: decimals are written without trailing zeros (1.50 and 1.5
are equal), instants in UTC, sets sorted, fields in declaration order. The `digest` field itself is
left out.
"""

import hashlib
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from tollway.money import Currency, plain_decimal

DIGEST_PREFIX = "sha256:"


def canonical_text(value: object) -> str:
    """The canonical text of a statement value.

    >>> canonical_text((Decimal("1.50"), None, "a|b"))
    '[1.5,~,"a|b"]'
    """
    if isinstance(value, Currency):
        return value.code
    if is_dataclass(value) and not isinstance(value, type):
        parts = [
            f"{item.name}={canonical_text(getattr(value, item.name))}"
            for item in fields(value)
            if item.name != "digest"
        ]
        return type(value).__name__ + "{" + ",".join(parts) + "}"
    if isinstance(value, tuple | list):
        return "[" + ",".join(canonical_text(each) for each in value) + "]"
    if isinstance(value, frozenset | set):
        return "{" + ",".join(sorted(canonical_text(each) for each in value)) + "}"
    return _scalar_text(value)


def _scalar_text(value: object) -> str:
    if value is None:
        return "~"
    if isinstance(value, Enum):
        return canonical_text(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return "0" if value == 0 else str(plain_decimal(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise AssertionError(f"no canonical text for {type(value).__name__}")


def digest_of(value: object) -> str:
    """`sha256:` and the hex SHA-256 of the value's canonical text."""
    text = canonical_text(value)
    return DIGEST_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()
