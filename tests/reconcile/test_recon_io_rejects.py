"""Every reject reason of the legacy importer, on one small invoice with one thing wrong.

The base directory (recon_io_files.ONE_INVOICE) holds invoice I1 (100.00 USD + 6.00 tax), its
line L1, its tax on L1 and a cross-walk row; each case changes one file. An invoice is taken whole
or not at all, so a bad line also rejects its invoice and the invoice's other rows.
"""

from pathlib import Path

import pytest

from tollway.reconcile._legacy import LegacyImport, read_legacy, write_rejects_csv
from tollway.reconcile._legacy_format import LegacyFileError

from .recon_io_files import (
    INVOICE_HEADER,
    LINE_HEADER,
    ONE_INVOICE,
    TAX_HEADER,
    with_rows,
    write_directory,
)

INVOICE_ROW = "I1,A1,2026-03-01,2026-04-01,2026-04-01,USD,100.00,6.00,106.00"
LINE_ROW = "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1,100.00,100.00,USD"
TAX_ROW = "I1,L1,US-PA,state_sales,0.06,100.00,6.00,false,USD"

# What a bad line or tax of I1 brings with it: its invoice and the invoice's tax or line.
INVOICE_INCOMPLETE = ("invoices.csv", 2, "invoice_id", "incomplete_invoice")
LINE_CASCADED = ("lines.csv", 2, "invoice_id", "invoice_rejected")
TAX_CASCADED = ("taxes.csv", 2, "invoice_id", "invoice_rejected")

Issue = tuple[str, int | None, str | None, str]


def imported(tmp_path: Path, files: dict[str, list[str]]) -> LegacyImport:
    return read_legacy(write_directory(tmp_path, files))


def issues(result: LegacyImport) -> list[Issue]:
    return [
        (row["file"], row["row"], row["field"], row["code"]) for row in result.issues.to_pylist()
    ]


def messages(result: LegacyImport) -> list[str]:
    return [str(row["message"]) for row in result.issues.to_pylist()]


def test_the_base_directory_is_clean(tmp_path: Path) -> None:
    result = imported(tmp_path, ONE_INVOICE)
    assert issues(result) == []
    assert result.tables.invoices.num_rows == result.tables.lines.num_rows == 1


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1,100.00,,USD",
            "amount",
            "missing_value",
        ),
        (
            "I1,L1,A1,C1,P1,,Port,2026-03-01,2026-04-01,1,100.00,100.00,USD",
            "charge_type",
            "missing_value",
        ),
        (
            "I1,L1,A1,C1 ,P1,recurring,Port,2026-03-01,2026-04-01,1,100.00,100.00,USD",
            "circuit_id",
            "bad_id",
        ),
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-3-1,2026-04-01,1,100.00,100.00,USD",
            "period_start",
            "bad_date",
        ),
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-02-30,1,100.00,100.00,USD",
            "period_end",
            "bad_date",
        ),
        (
            'I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1,100.00,"100,00",USD',
            "amount",
            "bad_decimal",
        ),
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1,1e2,100.00,USD",
            "unit_price",
            "bad_decimal",
        ),
        # Ten decimals: one more than DECIMAL(38, 9) holds.
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1.0000000001,100.00,100.00,USD",
            "quantity",
            "bad_decimal",
        ),
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1,100.00,+100.00,USD",
            "amount",
            "bad_decimal",
        ),
        (
            "I1,L1,A1,C1,P1,monthly,Port,2026-03-01,2026-04-01,1,100.00,100.00,USD",
            "charge_type",
            "unknown_charge_type",
        ),
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1,100.00,100.00,usd",
            "currency",
            "unknown_currency",
        ),
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1,100.00,100.00,ABC",
            "currency",
            "unknown_currency",
        ),
        # A line period may be empty (a one-time charge) but not reversed.
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-04-01,2026-03-31,1,100.00,100.00,USD",
            "period_end",
            "period_reversed",
        ),
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,,1,100.00,100.00,USD",
            "period_end",
            "missing_value",
        ),
        (
            "I1,L1,A1,C1,P1,recurring,Port,,2026-04-01,1,100.00,100.00,USD",
            "period_start",
            "missing_value",
        ),
        (
            "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1,100.00,100.00,EUR",
            "currency",
            "currency_mismatch",
        ),
    ],
)
def test_a_bad_line_field_rejects_the_line_and_its_invoice(
    tmp_path: Path, line: str, field: str, code: str
) -> None:
    result = imported(tmp_path, with_rows("lines.csv", line))

    assert issues(result) == [INVOICE_INCOMPLETE, ("lines.csv", 2, field, code), TAX_CASCADED]
    assert result.tables.invoices.num_rows == result.tables.lines.num_rows == 0
    assert result.rejected_count == 3


def test_a_one_time_line_may_have_an_empty_period(tmp_path: Path) -> None:
    line = "I1,L1,A1,C1,P1,one_time,Install,2026-03-15,2026-03-15,1,100.00,100.00,USD"
    assert issues(imported(tmp_path, with_rows("lines.csv", line))) == []


@pytest.mark.parametrize(
    ("invoice", "field", "code"),
    [
        (
            "I1,,2026-03-01,2026-04-01,2026-04-01,USD,100.00,6.00,106.00",
            "account_id",
            "missing_value",
        ),
        (
            "I1,A1,01/03/2026,2026-04-01,2026-04-01,USD,100.00,6.00,106.00",
            "period_start",
            "bad_date",
        ),
        (
            "I1,A1,2026-03-01,2026-04-01,2026-04-01,XXX,100.00,6.00,106.00",
            "currency",
            "unknown_currency",
        ),
        (
            "I1,A1,2026-03-01,2026-04-01,2026-04-01,USD,100.00,6.00,1 06.00",
            "total_including_tax",
            "bad_decimal",
        ),
        # period_end exactly on period_start: an empty billing period is refused.
        (
            "I1,A1,2026-03-01,2026-03-01,2026-04-01,USD,100.00,6.00,106.00",
            "period_end",
            "period_reversed",
        ),
        (
            "I1,A1,2026-04-01,2026-03-01,2026-04-01,USD,100.00,6.00,106.00",
            "period_end",
            "period_reversed",
        ),
    ],
)
def test_a_bad_invoice_rejects_its_lines_and_taxes(
    tmp_path: Path, invoice: str, field: str, code: str
) -> None:
    result = imported(tmp_path, with_rows("invoices.csv", invoice))

    assert issues(result) == [("invoices.csv", 2, field, code), LINE_CASCADED, TAX_CASCADED]
    assert result.tables.invoices.num_rows == result.tables.lines.num_rows == 0


def test_messages_name_the_value_and_what_to_write(tmp_path: Path) -> None:
    line = 'I1,L1,A1,C1,P1,monthly,Port,2026-03-01,2026-02-30,1,100.00,"1,000.00",USD'
    result = imported(tmp_path, with_rows("lines.csv", line))

    assert messages(result) == [
        "1 line or tax row(s) of this invoice were rejected (first: lines.csv row 2:"
        " unknown_charge_type); an invoice is taken whole or not at all",
        'charge_type: "monthly" is not one of recurring, one_time, usage, discount, penalty,'
        " credit, adjustment, other",
        'period_end: "2026-02-30" is not a date written YYYY-MM-DD',
        'amount: "1,000.00" is not a decimal such as -1234.50 (at most 29 digits before the point'
        " and 9 after; no exponent, spaces, plus sign or thousands separators)",
        'invoice "I1" was rejected (invoices.csv row 2: incomplete_invoice); an invoice is taken'
        " whole, with its lines and taxes, or not at all",
    ]


def test_a_duplicate_invoice_id_rejects_every_copy(tmp_path: Path) -> None:
    result = imported(tmp_path, with_rows("invoices.csv", INVOICE_ROW, INVOICE_ROW))

    assert issues(result) == [
        ("invoices.csv", 2, "invoice_id", "duplicate_id"),
        ("invoices.csv", 3, "invoice_id", "duplicate_id"),
        LINE_CASCADED,
        TAX_CASCADED,
    ]
    assert messages(result)[0] == 'invoice_id "I1" is given 2 times (rows 2, 3); keep one'


def test_a_line_id_is_unique_within_its_invoice(tmp_path: Path) -> None:
    other_invoice = "I2,A1,2026-03-01,2026-04-01,2026-04-01,USD,100.00,0.00,100.00"
    files = with_rows("lines.csv", LINE_ROW, LINE_ROW, LINE_ROW.replace("I1,", "I2,", 1))
    files["invoices.csv"] = [INVOICE_HEADER, INVOICE_ROW, other_invoice]

    result = imported(tmp_path, files)

    # L1 of I2 is another line: only I1's two L1s are duplicates.
    assert issues(result) == [
        INVOICE_INCOMPLETE,
        ("lines.csv", 2, "line_id", "duplicate_id"),
        ("lines.csv", 3, "line_id", "duplicate_id"),
        TAX_CASCADED,
    ]
    assert (
        messages(result)[1] == 'line_id "L1" on invoice "I1" is given 2 times (rows 2, 3); keep one'
    )
    assert result.tables.lines.column("invoice_id").to_pylist() == ["I2"]


def test_a_line_of_an_invoice_not_in_the_file(tmp_path: Path) -> None:
    stray = LINE_ROW.replace("I1,L1", "I9,L1", 1)
    result = imported(tmp_path, with_rows("lines.csv", LINE_ROW, stray))

    # I1 keeps its line; the stray line is rejected alone (there is no invoice to reject).
    assert issues(result) == [("lines.csv", 3, "invoice_id", "unknown_invoice")]
    assert messages(result) == ['invoice "I9" is not in the invoices file']
    assert result.tables.invoices.num_rows == result.tables.lines.num_rows == 1


def test_a_tax_on_a_line_that_is_not_there(tmp_path: Path) -> None:
    result = imported(tmp_path, with_rows("taxes.csv", TAX_ROW.replace("I1,L1", "I1,L9", 1)))

    assert issues(result) == [
        INVOICE_INCOMPLETE,
        LINE_CASCADED,
        ("taxes.csv", 2, "line_id", "unknown_line"),
    ]
    assert messages(result)[2] == 'line_id: invoice "I1" has no line "L9"'


@pytest.mark.parametrize(
    ("tax", "field", "code"),
    [
        ("I1,L1,US-PA,state_sales,0.06,100.00,6.00,yes,USD", "exempt", "bad_boolean"),
        ("I1,L1,,state_sales,0.06,100.00,6.00,false,USD", "jurisdiction_id", "missing_value"),
        ("I1,L1,US-PA,state_sales,0.06,100.00,6.00,false,EUR", "currency", "currency_mismatch"),
    ],
)
def test_a_bad_tax_rejects_its_invoice(tmp_path: Path, tax: str, field: str, code: str) -> None:
    result = imported(tmp_path, with_rows("taxes.csv", tax))

    assert issues(result) == [INVOICE_INCOMPLETE, LINE_CASCADED, ("taxes.csv", 2, field, code)]


def test_an_invoice_tax_without_a_line_is_fine(tmp_path: Path) -> None:
    result = imported(
        tmp_path, with_rows("taxes.csv", "I1,,US-PA,state_sales,0.06,100.00,6.00,,USD")
    )
    assert issues(result) == []
    assert result.tables.taxes.column("line_id").to_pylist() == [None]


def test_totals_that_do_not_add_up_are_accepted_with_a_warning(tmp_path: Path) -> None:
    # A legacy system that adds unrounded amounts prints 100.01 over lines of 100.00 and a tax
    # total of 6.01 over a 6.00 tax: both kept as given, so the comparison shows the difference.
    invoice = "I1,A1,2026-03-01,2026-04-01,2026-04-01,USD,100.01,6.01,106.02"
    result = imported(tmp_path, with_rows("invoices.csv", invoice))

    assert [(row["field"], row["severity"]) for row in result.issues.to_pylist()] == [
        ("total_excluding_tax", "warning"),
        ("tax_total", "warning"),
    ]
    assert messages(result) == [
        "total_excluding_tax 100.01 is not the sum of the amounts of its lines, 100 (difference"
        " 0.01); accepted as given",
        "tax_total 6.01 is not the sum of its taxes that are not exempt, 6 (difference 0.01);"
        " accepted as given",
    ]
    assert result.tables.invoices.num_rows == 1
    assert result.rejected_count == 0


def test_exempt_taxes_are_not_in_the_tax_total(tmp_path: Path) -> None:
    files = with_rows("taxes.csv", TAX_ROW, "I1,L1,US,federal_usf,0.3,100.00,30.00,true,USD")
    assert issues(imported(tmp_path, files)) == []


def test_a_total_including_tax_that_is_not_the_sum(tmp_path: Path) -> None:
    invoice = "I1,A1,2026-03-01,2026-04-01,2026-04-01,USD,100.00,6.00,160.00"
    result = imported(tmp_path, with_rows("invoices.csv", invoice))
    assert issues(result) == [("invoices.csv", 2, "total_including_tax", "totals_mismatch")]
    assert "difference 54" in messages(result)[0]


def test_a_missing_required_column_rejects_the_whole_file(tmp_path: Path) -> None:
    files = dict(ONE_INVOICE)
    files["lines.csv"] = ["invoice_id,line_id,charge_type,currency", "I1,L1,recurring,USD"]

    result = imported(tmp_path, files)

    assert issues(result) == [
        ("invoices.csv", 2, "invoice_id", "incomplete_invoice"),
        ("lines.csv", None, "amount", "missing_column"),
        TAX_CASCADED,
    ]
    assert messages(result)[1] == "required column 'amount' is missing: all 1 row(s) are rejected"
    assert [(count.submitted, count.accepted, count.rejected) for count in result.counts] == [
        (1, 0, 1),
        (1, 0, 1),
        (1, 0, 1),
        (1, 1, 0),
    ]


def test_an_unknown_column_is_ignored_with_a_warning(tmp_path: Path) -> None:
    files = dict(ONE_INVOICE)
    files["taxes.csv"] = [TAX_HEADER + ",tax_authority", TAX_ROW + ",PA DoR"]

    result = imported(tmp_path, files)

    assert [
        (*issue, row["severity"])
        for issue, row in zip(issues(result), result.issues.to_pylist(), strict=True)
    ] == [("taxes.csv", None, "tax_authority", "unknown_column", "warning")]
    assert result.tables.taxes.num_rows == 1


def test_a_csv_record_with_too_few_fields(tmp_path: Path) -> None:
    short = LINE_ROW.removesuffix(",USD")
    second = LINE_ROW.replace("L1", "L2")
    result = imported(tmp_path, with_rows("lines.csv", short, second))

    assert issues(result)[1] == ("lines.csv", 2, None, "bad_row")
    assert messages(result)[1] == "has 12 field(s) where the header has 13"
    # The broken record's invoice cannot be known: I1 is still rejected, through the tax on L1.
    assert ("lines.csv", 3, "invoice_id", "invoice_rejected") in issues(result)
    assert result.counts[1].submitted == 2


@pytest.mark.parametrize(
    ("line", "field", "code", "message"),
    [
        ("not json", None, "bad_json", "is not valid JSON"),
        ('["I1", "L1"]', None, "bad_json", "is not a JSON object"),
        ('{"invoice_id": "I1", "invoice_id": "I2"}', None, "bad_json", "repeats a field"),
        (
            '{"invoice_id": "I1", "line_id": "L1", "charge_type": "recurring",'
            ' "amount": 100.00, "currency": "USD"}',
            "amount",
            "float_in_json",
            "amount: a JSON number with a fraction, an exponent or more than 19 digits (read as"
            ' 100.0) is a binary float to JSON parsers; write it as a string, such as "12.50"',
        ),
        (
            '{"invoice_id": "I1", "line_id": "L1", "charge_type": "recurring",'
            ' "amount": "100.00", "currency": "USD", "circuit_id": {"id": "C1"}}',
            "circuit_id",
            "bad_value",
            "circuit_id: a JSON object or array where one value belongs",
        ),
        (
            '{"invoice_id": "I1", "line_id": "L1", "charge_type": "recurring",'
            ' "amount": "100.00", "currency": null}',
            "currency",
            "missing_value",
            "currency: required, but empty",
        ),
    ],
)
def test_json_lines_rejects(
    tmp_path: Path, line: str, field: str | None, code: str, message: str
) -> None:
    files = {name: ONE_INVOICE[name] for name in ("invoices.csv", "taxes.csv")}
    files["lines.jsonl"] = [line]

    result = imported(tmp_path, files)

    assert ("lines.jsonl", 1, field, code) in issues(result)
    assert message in messages(result)
    assert result.tables.lines.num_rows == 0


def test_a_json_lines_file_without_a_required_field_anywhere(tmp_path: Path) -> None:
    files = {name: ONE_INVOICE[name] for name in ("invoices.csv", "taxes.csv")}
    files["lines.jsonl"] = [
        '{"invoice_id": "I1", "line_id": "L1", "amount": "100.00", "currency": "USD"}'
    ]

    result = imported(tmp_path, files)

    assert ("lines.jsonl", None, "charge_type", "missing_column") in issues(result)


def test_crosswalk_rows_of_one_legacy_id_must_not_overlap(tmp_path: Path) -> None:
    result = imported(
        tmp_path,
        with_rows(
            "crosswalk.csv",
            "account,A1,ACC-1,,2026-04-01",
            "account,A1,ACC-2,2026-03-01,",  # overlaps March with the row above
            # Adjoining periods (A2 re-keyed on 2026-04-01) do not overlap: [.., 04-01) [04-01, ..)
            "account,A2,ACC-3,,2026-04-01",
            "account,A2,ACC-4,2026-04-01,",
            # The same legacy id for a circuit is another entity.
            "circuit,A1,CIRCUIT-1,,",
        ),
    )

    assert issues(result) == [
        ("crosswalk.csv", 2, "legacy_id", "crosswalk_overlap"),
        ("crosswalk.csv", 3, "legacy_id", "crosswalk_overlap"),
    ]
    assert messages(result)[0] == (
        'the account "A1" is mapped over [open, 2026-04-01), which overlaps row(s) 3; validity'
        " periods of one legacy id must not overlap"
    )
    assert result.crosswalk.column("tollway_id").to_pylist() == ["ACC-3", "ACC-4", "CIRCUIT-1"]


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        ("customer,A1,ACC-1,,", "entity", "unknown_entity"),
        ("account,A1,,,", "tollway_id", "missing_value"),
        ("account,A1,ACC-1,2026-04-01,2026-04-01", "valid_to", "period_reversed"),
        ("account,A1,ACC-1,2026-04-01,2026-13-01", "valid_to", "bad_date"),
    ],
)
def test_crosswalk_rejects(tmp_path: Path, row: str, field: str, code: str) -> None:
    result = imported(tmp_path, with_rows("crosswalk.csv", row))
    assert issues(result) == [("crosswalk.csv", 2, field, code)]
    assert result.crosswalk.num_rows == 0


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"invoices.csv": ONE_INVOICE["invoices.csv"]}, "no lines.csv or lines.jsonl"),
        (
            {**ONE_INVOICE, "lines.jsonl": ['{"invoice_id": "I1"}']},
            "both lines.csv and lines.jsonl are there; keep one",
        ),
        ({**ONE_INVOICE, "lines.csv": []}, "lines.csv: is empty"),
        (
            {**ONE_INVOICE, "lines.csv": [LINE_HEADER + ",amount"]},
            "lines.csv: column(s) amount appear more than once",
        ),
    ],
)
def test_files_that_cannot_be_read_at_all(
    tmp_path: Path, files: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(LegacyFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        imported(tmp_path, files)


@pytest.mark.parametrize(
    ("good_rows_before", "message"),
    [
        (0, "lines.csv: is not UTF-8 text"),
        # Far from the header the text is checked while it is parsed.
        (5000, "lines.csv: cannot be read .*invalid UTF8"),
    ],
)
def test_a_file_that_is_not_utf8(tmp_path: Path, good_rows_before: int, message: str) -> None:
    write_directory(tmp_path, ONE_INVOICE)
    latin1 = "I1,L1,A1,C1,P1,recurring,Café,2026-03-01,2026-04-01,1,100.00,100.00,USD\n"
    rows = "".join(
        LINE_ROW.replace(",L1,", f",L{number},") + "\n" for number in range(2, 2 + good_rows_before)
    )
    (tmp_path / "lines.csv").write_bytes(f"{LINE_HEADER}\n{rows}{latin1}".encode("latin-1"))
    with pytest.raises(LegacyFileError, match=message):
        read_legacy(tmp_path)


def test_no_such_directory(tmp_path: Path) -> None:
    with pytest.raises(LegacyFileError, match="no such directory"):
        read_legacy(tmp_path / "absent")


def test_rejects_are_exported_as_csv(tmp_path: Path) -> None:
    result = imported(tmp_path / "in", with_rows("lines.csv", LINE_ROW.replace(",USD", ",usd")))

    write_rejects_csv(result.issues, tmp_path / "rejects.csv")

    assert (tmp_path / "rejects.csv").read_text() == (
        "file,row,field,code,message,severity\n"
        "invoices.csv,2,invoice_id,incomplete_invoice,1 line or tax row(s) of this invoice were"
        " rejected (first: lines.csv row 2: unknown_currency); an invoice is taken whole or not"
        " at all,error\n"
        'lines.csv,2,currency,unknown_currency,"currency: ""usd"" is not an active ISO 4217'
        ' currency code in capitals, such as USD",error\n'
        'taxes.csv,2,invoice_id,invoice_rejected,"invoice ""I1"" was rejected (invoices.csv row'
        " 2: incomplete_invoice); an invoice is taken whole, with its lines and taxes, or not at"
        ' all",error\n'
    )


def test_an_invoices_file_without_a_required_column_rejects_everything(tmp_path: Path) -> None:
    files = dict(ONE_INVOICE)
    files["invoices.csv"] = [
        INVOICE_HEADER.replace(",currency", ""),
        INVOICE_ROW.replace(",USD", ""),
    ]

    result = imported(tmp_path, files)

    assert issues(result) == [
        ("invoices.csv", None, "currency", "missing_column"),
        LINE_CASCADED,
        TAX_CASCADED,
    ]
    assert messages(result)[1] == (
        'invoice "I1" was rejected (invoices.csv: missing_column); an invoice is taken whole,'
        " with its lines and taxes, or not at all"
    )
    assert result.rejected_count == 3
