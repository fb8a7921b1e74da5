"""Reading price files: numbers stay exact, problems name the file and the place."""

from decimal import Decimal
from pathlib import Path

import pytest

from tollway.io import DocumentError, load_price_file, read_document
from tollway.pricing import PriceDefinitionError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_decimals_are_exact_not_binary_floats(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "rate: 0.1\ncount: 3\nbig: 12345678901234567890.123456789\n")
    assert read_document(path) == {
        "rate": Decimal("0.1"),
        "count": 3,
        "big": Decimal("12345678901234567890.123456789"),
    }
    assert isinstance(read_document(path)["rate"], Decimal)


def test_json_decimals_are_exact(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", '{"rate": 0.1, "count": 3}')
    assert read_document(path) == {"rate": Decimal("0.1"), "count": 3}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("p.yaml", "rate: .nan\n", "p.yaml: line 1: '.nan' is not a finite number"),
        ("p.json", '{"rate": NaN}', "p.json: not valid JSON: NaN is not a finite number"),
        ("p.json", "{", "p.json: not valid JSON"),
        ("p.yaml", "a: [1, 2\n", "p.yaml: not valid YAML"),
        ("p.toml", "a = 1", "p.toml: unsupported file type '.toml'"),
    ],
)
def test_unreadable_documents_name_the_file(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(DocumentError) as raised:
        read_document(write(tmp_path, name, text))
    assert message in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file"):
        read_document(tmp_path / "absent.yaml")


def test_price_file_with_a_float_written_price_is_read_exactly(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "prices.yaml",
        "prices:\n"
        "  - id: gb\n    currency: USD\n    pricing: {model: per_unit, unit_price: 0.1}\n"
        "  - id: port\n    currency: EUR\n    pricing: {model: flat, amount: 950}\n",
    )
    gb, port = load_price_file(path)
    assert gb.pricing.unit_price == Decimal("0.1")  # type: ignore[attr-defined]
    assert port.id == "port"


def test_price_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "prices.yaml",
        "id: sdwan\ncurrency: USD\npricing:\n  model: graduated\n  tiers:\n"
        "    - {up_to: 100, unit_price: 0.10}\n    - {up_to: 50, unit_price: 0.08}\n",
    )
    with pytest.raises(PriceDefinitionError) as raised:
        load_price_file(path)
    assert str(raised.value) == (
        "prices.yaml: pricing.tiers[1].up_to: must be greater than the previous tier's bound 100, got 50"
    )
