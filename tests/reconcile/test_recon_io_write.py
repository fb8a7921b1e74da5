"""Writing the legacy format: the bytes written out, and reading back what was written."""

import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tollway.reconcile._legacy import read_legacy
from tollway.reconcile._legacy_format import LegacyEncoding, LegacyFileError
from tollway.reconcile._legacy_write import write_legacy
from tollway.reconcile._tables import (
    CROSSWALK_SCHEMA,
    INVOICE_SCHEMA,
    LINE_SCHEMA,
    TAX_SCHEMA,
    InvoiceTables,
)

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)

# I1: 100.50 USD + 6 % state tax 6.03 = 106.53, with an exempted federal fee of 20.10.
# I2: 1 500 JPY (no minor unit) of usage, no tax.
INVOICES = pa.Table.from_pylist(
    [
        {
            "system": "legacy",
            "invoice_id": "I1",
            "account_id": "A1",
            "period_start": MARCH,
            "period_end": APRIL,
            "bill_date": APRIL,
            "currency": "USD",
            "total_excluding_tax": Decimal("100.5"),
            "tax_total": Decimal("6.03"),
            "total_including_tax": Decimal("106.53"),
        },
        {
            "system": "legacy",
            "invoice_id": "I2",
            "account_id": "A2",
            "period_start": MARCH,
            "period_end": APRIL,
            "bill_date": APRIL,
            "currency": "JPY",
            "total_excluding_tax": Decimal(1500),
            "tax_total": Decimal(0),
            "total_including_tax": Decimal(1500),
        },
    ],
    schema=INVOICE_SCHEMA,
)
LINES = pa.Table.from_pylist(
    [
        {
            "system": "legacy",
            "invoice_id": "I1",
            "line_id": "1",
            "account_id": "A1",
            "circuit_id": "C,1",
            "product_id": None,
            "charge_type": "recurring",
            "description": 'Port "A", 100M\nsecond line',
            "period_start": MARCH,
            "period_end": APRIL,
            "quantity": Decimal(1),
            "unit_price": Decimal("100.5"),
            "amount": Decimal("100.5"),
            "currency": "USD",
        },
        {
            "system": "legacy",
            "invoice_id": "I2",
            "line_id": "1",
            "account_id": "A2",
            "circuit_id": None,
            "product_id": None,
            "charge_type": "usage",
            "description": "",
            "period_start": None,
            "period_end": None,
            "quantity": Decimal("0.123456789"),
            "unit_price": None,
            "amount": Decimal(1500),
            "currency": "JPY",
        },
    ],
    schema=LINE_SCHEMA,
)
TAXES = pa.Table.from_pylist(
    [
        {
            "system": "legacy",
            "invoice_id": "I1",
            "line_id": "1",
            "jurisdiction_id": "US-PA",
            "tax_type": "state_sales",
            "tax_rate": Decimal("0.06"),
            "taxable_amount": Decimal("100.5"),
            "tax_amount": Decimal("6.03"),
            "exempt": False,
            "currency": "USD",
        },
        {
            "system": "legacy",
            "invoice_id": "I1",
            "line_id": None,
            "jurisdiction_id": "US",
            "tax_type": "federal_usf",
            "tax_rate": Decimal("0.2"),
            "taxable_amount": Decimal("100.5"),
            "tax_amount": Decimal("20.10"),
            "exempt": True,
            "currency": "USD",
        },
    ],
    schema=TAX_SCHEMA,
)
CROSSWALK = pa.Table.from_pylist(
    [
        {
            "entity": "account",
            "legacy_id": "A1",
            "tollway_id": "ACC-1",
            "valid_from": None,
            "valid_to": APRIL,
        },
        {
            "entity": "account",
            "legacy_id": "A1",
            "tollway_id": "ACC-2",
            "valid_from": APRIL,
            "valid_to": None,
        },
    ],
    schema=CROSSWALK_SCHEMA,
)
TABLES = InvoiceTables(INVOICES, LINES, TAXES)

# Amounts keep their currency's places (100.50, 1500), other numbers lose trailing zeros.
EXPECTED_CSV = {
    "invoices.csv": (
        "invoice_id,account_id,period_start,period_end,bill_date,currency,total_excluding_tax,"
        "tax_total,total_including_tax\n"
        "I1,A1,2026-03-01,2026-04-01,2026-04-01,USD,100.50,6.03,106.53\n"
        "I2,A2,2026-03-01,2026-04-01,2026-04-01,JPY,1500,0,1500\n"
    ),
    "lines.csv": (
        "invoice_id,line_id,account_id,circuit_id,product_id,charge_type,description,"
        "period_start,period_end,quantity,unit_price,amount,currency\n"
        'I1,1,A1,"C,1",,recurring,"Port ""A"", 100M\nsecond line",2026-03-01,2026-04-01,1,'
        "100.5,100.50,USD\n"
        'I2,1,A2,,,usage,"",,,0.123456789,,1500,JPY\n'
    ),
    "taxes.csv": (
        "invoice_id,line_id,jurisdiction_id,tax_type,tax_rate,taxable_amount,tax_amount,exempt,"
        "currency\n"
        "I1,1,US-PA,state_sales,0.06,100.50,6.03,false,USD\n"
        "I1,,US,federal_usf,0.2,100.50,20.10,true,USD\n"
    ),
    "crosswalk.csv": (
        "entity,legacy_id,tollway_id,valid_from,valid_to\n"
        "account,A1,ACC-1,,2026-04-01\n"
        "account,A1,ACC-2,2026-04-01,\n"
    ),
}

EXPECTED_JSONL = {
    "invoices.jsonl": (
        '{"invoice_id":"I1","account_id":"A1","period_start":"2026-03-01",'
        '"period_end":"2026-04-01","bill_date":"2026-04-01","currency":"USD",'
        '"total_excluding_tax":"100.50","tax_total":"6.03","total_including_tax":"106.53"}\n'
        '{"invoice_id":"I2","account_id":"A2","period_start":"2026-03-01",'
        '"period_end":"2026-04-01","bill_date":"2026-04-01","currency":"JPY",'
        '"total_excluding_tax":"1500","tax_total":"0","total_including_tax":"1500"}\n'
    ),
    "lines.jsonl": (
        '{"invoice_id":"I1","line_id":"1","account_id":"A1","circuit_id":"C,1",'
        '"product_id":null,"charge_type":"recurring",'
        '"description":"Port \\"A\\", 100M\\nsecond line","period_start":"2026-03-01",'
        '"period_end":"2026-04-01","quantity":"1","unit_price":"100.5","amount":"100.50",'
        '"currency":"USD"}\n'
        '{"invoice_id":"I2","line_id":"1","account_id":"A2","circuit_id":null,'
        '"product_id":null,"charge_type":"usage","description":"","period_start":null,'
        '"period_end":null,"quantity":"0.123456789","unit_price":null,"amount":"1500",'
        '"currency":"JPY"}\n'
    ),
    "taxes.jsonl": (
        '{"invoice_id":"I1","line_id":"1","jurisdiction_id":"US-PA","tax_type":"state_sales",'
        '"tax_rate":"0.06","taxable_amount":"100.50","tax_amount":"6.03","exempt":false,'
        '"currency":"USD"}\n'
        '{"invoice_id":"I1","line_id":null,"jurisdiction_id":"US","tax_type":"federal_usf",'
        '"tax_rate":"0.2","taxable_amount":"100.50","tax_amount":"20.10","exempt":true,'
        '"currency":"USD"}\n'
    ),
    "crosswalk.jsonl": (
        '{"entity":"account","legacy_id":"A1","tollway_id":"ACC-1","valid_from":null,'
        '"valid_to":"2026-04-01"}\n'
        '{"entity":"account","legacy_id":"A1","tollway_id":"ACC-2","valid_from":"2026-04-01",'
        '"valid_to":null}\n'
    ),
}


@pytest.mark.parametrize(
    ("encoding", "expected"), [("csv", EXPECTED_CSV), ("jsonl", EXPECTED_JSONL)]
)
def test_the_bytes_written(
    tmp_path: Path, encoding: LegacyEncoding, expected: dict[str, str]
) -> None:
    write_legacy(TABLES, CROSSWALK, tmp_path, format=encoding)

    written = {path.name: path.read_bytes().decode() for path in sorted(tmp_path.iterdir())}
    assert written == dict(sorted(expected.items()))


@pytest.mark.parametrize("encoding", ["csv", "jsonl"])
def test_what_is_written_reads_back_the_same(tmp_path: Path, encoding: LegacyEncoding) -> None:
    write_legacy(TABLES, CROSSWALK, tmp_path, format=encoding)

    imported = read_legacy(tmp_path)

    assert imported.issues.num_rows == 0
    assert imported.tables == TABLES
    assert imported.crosswalk.equals(CROSSWALK)


def test_writing_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    for folder in ("one", "two"):
        write_legacy(TABLES, CROSSWALK, tmp_path / folder, format="csv")
    for name in EXPECTED_CSV:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_writing_beside_the_other_encoding_is_refused(tmp_path: Path) -> None:
    write_legacy(TABLES, CROSSWALK, tmp_path, format="csv")
    with pytest.raises(LegacyFileError, match=r"invoices\.csv is already there"):
        write_legacy(TABLES, CROSSWALK, tmp_path, format="jsonl")


# --- round trip of generated tables -------------------------------------------------------------

ids = st.text(alphabet="ABCXYZ0123456789-_./:#é", min_size=1, max_size=12)
descriptions = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
    | st.sampled_from(["\n", "\t", '"', ",", "'"]),
    max_size=30,
)
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def decimals(draw: st.DrawFn, places_max: int = 9) -> Decimal:
    """Up to 18 digits before the point and `places_max` after, any sign."""
    units = draw(st.integers(min_value=-(10**18), max_value=10**18))
    return Decimal(units).scaleb(-draw(st.integers(min_value=0, max_value=places_max)))


@st.composite
def invoice_tables(draw: st.DrawFn) -> InvoiceTables:
    invoice_ids = draw(st.lists(ids, min_size=0, max_size=4, unique=True))
    invoices, lines, taxes = [], [], []
    for invoice_id in invoice_ids:
        code = draw(st.sampled_from(["USD", "JPY", "BHD", "EUR"]))
        start = draw(days)
        line_ids = draw(st.lists(ids, max_size=3, unique=True))
        line_rows = [_line(draw, invoice_id, line_id, code) for line_id in line_ids]
        tax_rows = [
            _tax(draw, invoice_id, draw(st.none() | st.sampled_from(line_ids or [None])), code)
            for _ in range(draw(st.integers(0, 2)))
        ]
        excluding = sum((row["amount"] for row in line_rows), Decimal(0))
        tax = sum((row["tax_amount"] for row in tax_rows if not row["exempt"]), Decimal(0))
        invoices.append(
            {
                "system": "legacy",
                "invoice_id": invoice_id,
                "account_id": draw(ids),
                "period_start": start,
                "period_end": start + draw(st.timedeltas(min_value=_day(1), max_value=_day(92))),
                "bill_date": draw(days),
                "currency": code,
                "total_excluding_tax": excluding,
                "tax_total": tax,
                "total_including_tax": excluding + tax,
            }
        )
        lines.extend(line_rows)
        taxes.extend(tax_rows)
    return InvoiceTables(
        pa.Table.from_pylist(invoices, schema=INVOICE_SCHEMA),
        pa.Table.from_pylist(lines, schema=LINE_SCHEMA),
        pa.Table.from_pylist(taxes, schema=TAX_SCHEMA),
    )


def _day(count: int) -> timedelta:
    return timedelta(days=count)


def _line(draw: st.DrawFn, invoice_id: str, line_id: str, code: str) -> dict[str, object]:
    start = draw(st.none() | days)
    return {
        "system": "legacy",
        "invoice_id": invoice_id,
        "line_id": line_id,
        "account_id": draw(ids),
        "circuit_id": draw(st.none() | ids),
        "product_id": draw(st.none() | ids),
        "charge_type": draw(st.sampled_from(["recurring", "usage", "discount", "other"])),
        "description": draw(descriptions),
        "period_start": start,
        "period_end": None if start is None else start + _day(draw(st.integers(0, 40))),
        "quantity": draw(st.none() | decimals()),
        "unit_price": draw(st.none() | decimals()),
        "amount": draw(decimals()),
        "currency": code,
    }


def _tax(draw: st.DrawFn, invoice_id: str, line_id: str | None, code: str) -> dict[str, object]:
    return {
        "system": "legacy",
        "invoice_id": invoice_id,
        "line_id": line_id,
        "jurisdiction_id": draw(ids),
        "tax_type": draw(st.sampled_from(["state_sales", "federal_usf", "e911"])),
        "tax_rate": draw(st.none() | decimals()),
        "taxable_amount": draw(st.none() | decimals()),
        "tax_amount": draw(decimals()),
        "exempt": draw(st.booleans()),
        "currency": code,
    }


@settings(max_examples=30, deadline=None)
@given(tables=invoice_tables(), encoding=st.sampled_from(["csv", "jsonl"]))
def test_read_of_write_is_the_identity(tables: InvoiceTables, encoding: LegacyEncoding) -> None:
    with tempfile.TemporaryDirectory() as folder:
        write_legacy(tables, CROSSWALK, Path(folder), format=encoding)
        imported = read_legacy(Path(folder))

    assert imported.issues.to_pylist() == []
    assert imported.tables.invoices.to_pylist() == tables.invoices.to_pylist()
    assert imported.tables.lines.to_pylist() == tables.lines.to_pylist()
    assert imported.tables.taxes.to_pylist() == tables.taxes.to_pylist()
    assert imported.crosswalk.equals(CROSSWALK)
