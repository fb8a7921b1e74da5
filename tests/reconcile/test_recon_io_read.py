"""Reading legacy files: small directories written out, the tables they must give written out."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tollway.reconcile._legacy import FileCount, read_legacy

from .recon_io_files import (
    CROSSWALK_HEADER,
    INVOICE_HEADER,
    LINE_HEADER,
    TAX_HEADER,
    write_directory,
)

# Two invoices: L-100 (USD) with a port, a usage line on a child account and state tax on both plus
# an exempted federal fee; L-101 (JPY, no decimals) with one installation charge and no tax.
# L-100: lines 100.00 + 50.00 = 150.00; billed tax 6.00 + 3.00 = 9.00 (the 15.00 USF is exempt).
CSV_FILES = {
    "invoices.csv": [
        INVOICE_HEADER,
        "L-100,ACC-9,2026-03-01,2026-04-01,2026-04-02,USD,150.00,9.00,159.00",
        "L-101,ACC-7,2026-03-01,2026-04-01,2026-04-02,JPY,1200,0,1200",
    ],
    "lines.csv": [
        LINE_HEADER,
        'L-100,1,,C-1,,recurring,"Port, 100M",2026-03-01,2026-04-01,1,100.00,100.00,USD',
        "L-100,2,SUB-1,C-2,P-2,usage,Data,2026-03-01,2026-04-01,500,0.1,50.00,USD",
        "L-101,1,,,,one_time,Install,,,,,1200,JPY",
    ],
    "taxes.csv": [
        TAX_HEADER,
        "L-100,1,US-PA,state_sales,0.06,100.00,6.00,false,USD",
        "L-100,2,US-PA,state_sales,0.06,50.00,3.00,,USD",
        "L-100,2,US,federal_usf,0.3,50.00,15.00,true,USD",
    ],
    "crosswalk.csv": [
        CROSSWALK_HEADER,
        "account,ACC-9,A-0009,,",
        "account,ACC-7,A-0007,2026-01-01,2026-03-15",
        "account,ACC-7,A-0107,2026-03-15,",
    ],
}

JSON_FILES = {
    "invoices.jsonl": [
        '{"invoice_id": "L-100", "account_id": "ACC-9", "period_start": "2026-03-01",'
        ' "period_end": "2026-04-01", "bill_date": "2026-04-02", "currency": "USD",'
        ' "total_excluding_tax": "150.00", "tax_total": "9.00", "total_including_tax": "159.00"}',
        # Integers may be JSON numbers: they are exact.
        '{"invoice_id": "L-101", "account_id": "ACC-7", "period_start": "2026-03-01",'
        ' "period_end": "2026-04-01", "bill_date": "2026-04-02", "currency": "JPY",'
        ' "total_excluding_tax": 1200, "tax_total": 0, "total_including_tax": 1200}',
    ],
    "lines.jsonl": [
        '{"invoice_id": "L-100", "line_id": "1", "circuit_id": "C-1", "charge_type": "recurring",'
        ' "description": "Port, 100M", "period_start": "2026-03-01", "period_end": "2026-04-01",'
        ' "quantity": 1, "unit_price": "100.00", "amount": "100.00", "currency": "USD"}',
        '{"invoice_id": "L-100", "line_id": "2", "account_id": "SUB-1", "circuit_id": "C-2",'
        ' "product_id": "P-2", "charge_type": "usage", "description": "Data",'
        ' "period_start": "2026-03-01", "period_end": "2026-04-01", "quantity": 500,'
        ' "unit_price": "0.1", "amount": "50.00", "currency": "USD"}',
        "",
        '{"invoice_id": "L-101", "line_id": 1, "account_id": null, "charge_type": "one_time",'
        ' "description": "Install", "amount": 1200, "currency": "JPY"}',
    ],
    "taxes.jsonl": [
        '{"invoice_id": "L-100", "line_id": "1", "jurisdiction_id": "US-PA",'
        ' "tax_type": "state_sales", "tax_rate": "0.06", "taxable_amount": "100.00",'
        ' "tax_amount": "6.00", "exempt": false, "currency": "USD"}',
        '{"invoice_id": "L-100", "line_id": "2", "jurisdiction_id": "US-PA",'
        ' "tax_type": "state_sales", "tax_rate": "0.06", "taxable_amount": "50.00",'
        ' "tax_amount": "3.00", "currency": "USD"}',
        '{"invoice_id": "L-100", "line_id": "2", "jurisdiction_id": "US",'
        ' "tax_type": "federal_usf", "tax_rate": "0.3", "taxable_amount": "50.00",'
        ' "tax_amount": "15.00", "exempt": "true", "currency": "USD"}',
    ],
    "crosswalk.jsonl": [
        '{"entity": "account", "legacy_id": "ACC-9", "tollway_id": "A-0009"}',
        '{"entity": "account", "legacy_id": "ACC-7", "tollway_id": "A-0007",'
        ' "valid_from": "2026-01-01", "valid_to": "2026-03-15"}',
        '{"entity": "account", "legacy_id": "ACC-7", "tollway_id": "A-0107",'
        ' "valid_from": "2026-03-15", "valid_to": null}',
    ],
}

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)

EXPECTED_INVOICES = [
    {
        "system": "legacy",
        "invoice_id": "L-100",
        "account_id": "ACC-9",
        "period_start": MARCH,
        "period_end": APRIL,
        "bill_date": date(2026, 4, 2),
        "currency": "USD",
        "total_excluding_tax": Decimal("150.00"),
        "tax_total": Decimal("9.00"),
        "total_including_tax": Decimal("159.00"),
    },
    {
        "system": "legacy",
        "invoice_id": "L-101",
        "account_id": "ACC-7",
        "period_start": MARCH,
        "period_end": APRIL,
        "bill_date": date(2026, 4, 2),
        "currency": "JPY",
        "total_excluding_tax": Decimal(1200),
        "tax_total": Decimal(0),
        "total_including_tax": Decimal(1200),
    },
]

EXPECTED_LINES = [
    {
        "system": "legacy",
        "invoice_id": "L-100",
        "line_id": "1",
        "account_id": "ACC-9",  # left empty: the invoice's account
        "circuit_id": "C-1",
        "product_id": None,
        "charge_type": "recurring",
        "description": "Port, 100M",
        "period_start": MARCH,
        "period_end": APRIL,
        "quantity": Decimal(1),
        "unit_price": Decimal("100.00"),
        "amount": Decimal("100.00"),
        "currency": "USD",
    },
    {
        "system": "legacy",
        "invoice_id": "L-100",
        "line_id": "2",
        "account_id": "SUB-1",
        "circuit_id": "C-2",
        "product_id": "P-2",
        "charge_type": "usage",
        "description": "Data",
        "period_start": MARCH,
        "period_end": APRIL,
        "quantity": Decimal(500),
        "unit_price": Decimal("0.1"),
        "amount": Decimal("50.00"),
        "currency": "USD",
    },
    {
        "system": "legacy",
        "invoice_id": "L-101",
        "line_id": "1",
        "account_id": "ACC-7",
        "circuit_id": None,
        "product_id": None,
        "charge_type": "one_time",
        "description": "Install",
        "period_start": None,
        "period_end": None,
        "quantity": None,
        "unit_price": None,
        "amount": Decimal(1200),
        "currency": "JPY",
    },
]


def _tax(
    line_id: str, jurisdiction: str, kind: str, rate: str, base: str, amount: str
) -> dict[str, object]:
    return {
        "system": "legacy",
        "invoice_id": "L-100",
        "line_id": line_id,
        "jurisdiction_id": jurisdiction,
        "tax_type": kind,
        "tax_rate": Decimal(rate),
        "taxable_amount": Decimal(base),
        "tax_amount": Decimal(amount),
        "exempt": kind == "federal_usf",
        "currency": "USD",
    }


EXPECTED_TAXES = [
    _tax("1", "US-PA", "state_sales", "0.06", "100.00", "6.00"),
    _tax("2", "US-PA", "state_sales", "0.06", "50.00", "3.00"),  # `exempt` left empty: false
    _tax("2", "US", "federal_usf", "0.3", "50.00", "15.00"),
]

EXPECTED_CROSSWALK = [
    {
        "entity": "account",
        "legacy_id": "ACC-9",
        "tollway_id": "A-0009",
        "valid_from": None,
        "valid_to": None,
    },
    {
        "entity": "account",
        "legacy_id": "ACC-7",
        "tollway_id": "A-0007",
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 3, 15),
    },
    {
        "entity": "account",
        "legacy_id": "ACC-7",
        "tollway_id": "A-0107",
        "valid_from": date(2026, 3, 15),
        "valid_to": None,
    },
]


@pytest.mark.parametrize("files", [CSV_FILES, JSON_FILES], ids=["csv", "jsonl"])
def test_both_encodings_give_the_written_out_tables(
    tmp_path: Path, files: dict[str, list[str]]
) -> None:
    imported = read_legacy(write_directory(tmp_path, files))

    assert imported.issues.to_pylist() == []
    assert imported.tables.invoices.to_pylist() == EXPECTED_INVOICES
    assert imported.tables.lines.to_pylist() == EXPECTED_LINES
    assert imported.tables.taxes.to_pylist() == EXPECTED_TAXES
    assert imported.crosswalk.to_pylist() == EXPECTED_CROSSWALK


def test_counts_say_what_happened_to_every_file(tmp_path: Path) -> None:
    imported = read_legacy(write_directory(tmp_path, JSON_FILES))

    assert imported.counts == (
        FileCount("invoices.jsonl", submitted=2, accepted=2, rejected=0),
        # The blank line is not a record.
        FileCount("lines.jsonl", submitted=3, accepted=3, rejected=0),
        FileCount("taxes.jsonl", submitted=3, accepted=3, rejected=0),
        FileCount("crosswalk.jsonl", submitted=3, accepted=3, rejected=0),
    )
    assert (imported.submitted_count, imported.rejected_count) == (11, 0)


def test_taxes_and_crosswalk_files_are_optional(tmp_path: Path) -> None:
    files = {name: CSV_FILES[name] for name in ("invoices.csv", "lines.csv")}
    files["invoices.csv"] = [
        INVOICE_HEADER,
        "L-100,ACC-9,2026-03-01,2026-04-01,2026-04-02,USD,150.00,0.00,150.00",
        "L-101,ACC-7,2026-03-01,2026-04-01,2026-04-02,JPY,1200,0,1200",
    ]

    imported = read_legacy(write_directory(tmp_path, files))

    assert imported.issues.num_rows == 0
    assert imported.tables.lines.num_rows == 3
    assert imported.tables.taxes.num_rows == 0
    assert imported.crosswalk.num_rows == 0
    assert imported.counts[2:] == (FileCount("taxes", 0, 0, 0), FileCount("crosswalk", 0, 0, 0))


def test_a_csv_with_a_byte_order_mark_crlf_line_ends_and_reordered_columns(tmp_path: Path) -> None:
    (tmp_path / "invoices.csv").write_bytes(
        b"\xef\xbb\xbfcurrency,invoice_id,account_id,period_start,period_end,bill_date,"
        b"total_excluding_tax,tax_total,total_including_tax\r\n"
        b"JPY,L-101,ACC-7,2026-03-01,2026-04-01,2026-04-02,1200,0,1200\r\n"
    )
    (tmp_path / "lines.csv").write_bytes(
        b"invoice_id,line_id,charge_type,amount,currency\r\nL-101,1,one_time,1200,JPY\r\n"
    )

    imported = read_legacy(tmp_path)

    assert imported.issues.num_rows == 0
    assert imported.tables.invoices.to_pylist() == [EXPECTED_INVOICES[1]]
    assert imported.tables.lines.to_pylist() == [
        {**EXPECTED_LINES[2], "description": ""}  # no description column: empty
    ]


def test_quoted_fields_keep_commas_quotes_and_line_breaks(tmp_path: Path) -> None:
    files = {
        "invoices.csv": [INVOICE_HEADER, CSV_FILES["invoices.csv"][2]],
        "lines.csv": [
            LINE_HEADER,
            'L-101,1,,,,one_time,"Install, ""rush""',
            '2nd floor",,,,,1200,JPY',
        ],
    }

    imported = read_legacy(write_directory(tmp_path, files))

    assert imported.tables.lines.column("description").to_pylist() == ['Install, "rush"\n2nd floor']


def test_values_are_exact_to_nine_places_and_never_binary(tmp_path: Path) -> None:
    # 0.1 + 0.2 is 0.3 exactly; 12345678901234567890.123456789 keeps all 29 digits.
    files = {
        "invoices.csv": [
            INVOICE_HEADER,
            "I,A,2026-03-01,2026-04-01,2026-04-01,USD,"
            "12345678901234567890.423456789,0,12345678901234567890.423456789",
        ],
        "lines.csv": [
            "invoice_id,line_id,charge_type,amount,currency",
            "I,1,usage,0.1,USD",
            "I,2,usage,0.2,USD",
            "I,3,usage,12345678901234567890.123456789,USD",
        ],
    }

    imported = read_legacy(write_directory(tmp_path, files))

    assert imported.issues.num_rows == 0
    amounts = imported.tables.lines.column("amount").to_pylist()
    assert amounts == [
        Decimal("0.1"),
        Decimal("0.2"),
        Decimal("12345678901234567890.123456789"),
    ]
    assert amounts[0] + amounts[1] == Decimal("0.3")
