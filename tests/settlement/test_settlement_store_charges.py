"""Importing partner charges: every row accepted or rejected with a reason a person can act on."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tollway.periods import Cadence, period_containing
from tollway.settlement._charges_file import ChargeFileError, RejectReason, read_charges
from tollway.settlement._workspace import import_charges, load_agreements, net_period
from tollway.storage import Database, SettlementRepository

from .test_settlement_store_world import AGREEMENTS_YAML, DATABASES, fresh_database

HEADER = "partner_id,partner_invoice_id,line_id,description,category,amount,currency,charge_date\n"


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with the agreements of the tests (partners SAT-ORBITAL and CP-STRATUS)."""
    for found in fresh_database(request.param, tmp_path):
        agreements = tmp_path / "deals.yaml"
        agreements.write_text(AGREEMENTS_YAML, encoding="utf-8")
        load_agreements(found, agreements)
        yield found


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_is_read_row_by_row_with_reasons(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "stratus.csv",
        HEADER
        + "CP-STRATUS,ST-01,C1,Compute,cloud_services,2600.00,USD,2026-02-01\n"
        + "CP-STRATUS,ST-01,C2,Storage,cloud_services,,USD,2026-02-01\n"
        + "CP-STRATUS,ST-01,C3,Storage,cloud_services,12.345,USD,2026-02-01\n"
        + "CP-STRATUS,ST-01,C4,Storage,cloud_services,ten,USD,2026-02-01\n"
        + "CP-STRATUS,ST-01,C5,Storage,cloud_services,10.00,USX,2026-02-01\n"
        + "CP-STRATUS,ST-01,C6,Storage,cloud_services,10.00,USD,01/02/2026\n"
        + "CP-STRATUS,ST-01,C1,Compute again,cloud_services,2600.00,USD,2026-02-01\n"
        + ",ST-01,C7,Storage,cloud_services,10.00,USD,2026-02-01\n"
        + "CP-STRATUS,ST-01,C8,Yen racks,cloud_services,1500,JPY,2026-02-01\n",
    )

    accepted, rejected, submitted = read_charges(path)

    assert submitted == 9 == len(accepted) + len(rejected)
    assert [(row.row, row.charge.line_id, str(row.charge.amount)) for row in accepted] == [
        (1, "C1", "2600.00"),
        (9, "C8", "1500"),
    ]
    assert [(reject.row, reject.reason) for reject in rejected] == [
        (2, RejectReason.MISSING_FIELD),
        (3, RejectReason.INVALID_AMOUNT),
        (4, RejectReason.INVALID_AMOUNT),
        (5, RejectReason.INVALID_CURRENCY),
        (6, RejectReason.INVALID_DATE),
        (7, RejectReason.DUPLICATE_IN_FILE),
        (8, RejectReason.MISSING_FIELD),
    ]
    assert [reject.message for reject in rejected[:3]] == [
        "stratus.csv: row 2: amount: is missing or empty",
        "stratus.csv: row 3: amount: 12.345 is not a whole number of USD minor units",
        "stratus.csv: row 4: amount: 'ten' is not a number",
    ]


def test_json_lines_are_read_the_same_way(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "stratus.jsonl",
        '{"partner_id": "CP-STRATUS", "partner_invoice_id": "ST-01", "line_id": "C1", '
        '"description": "Compute", "category": "cloud_services", "amount": 2600.50, '
        '"currency": "USD", "charge_date": "2026-02-01"}\n'
        "[1, 2]\n"
        "{not json\n",
    )

    accepted, rejected, submitted = read_charges(path)

    assert submitted == 3
    assert [str(row.charge.amount) for row in accepted] == ["2600.50"]
    assert [(reject.row, reject.reason) for reject in rejected] == [
        (2, RejectReason.INVALID_ROW),
        (3, RejectReason.INVALID_ROW),
    ]


def test_an_unknown_file_type_is_refused_whole(tmp_path: Path) -> None:
    with pytest.raises(ChargeFileError) as raised:
        read_charges(write(tmp_path, "stratus.xlsx", ""))

    assert raised.value.message.endswith("unsupported file type '.xlsx'; use .csv or .jsonl")


def test_the_workspace_rejects_unknown_partners_repeats_and_netted_periods(
    database: Database, tmp_path: Path
) -> None:
    first = write(
        tmp_path,
        "february.csv",
        HEADER + "CP-STRATUS,ST-02,C1,Compute,cloud_services,2600.00,USD,2026-02-01\n",
    )
    assert len(import_charges(database, first).accepted) == 1
    february = period_containing(
        datetime(2026, 2, 1, tzinfo=UTC), cadence=Cadence.MONTHLY, time_zone=UTC
    )
    net_period(database, agreement_id="AG-SWAP", period=february, our_receivables=())
    later = write(
        tmp_path,
        "later.csv",
        HEADER
        + "CP-STRATUS,ST-02,C1,Compute,cloud_services,2600.00,USD,2026-02-01\n"
        + "CP-STRATUS,ST-02,C1,Compute,cloud_services,2500.00,USD,2026-02-01\n"
        + "CP-NOBODY,NB-1,C1,Compute,cloud_services,10.00,USD,2026-03-01\n"
        + "CP-STRATUS,ST-02,C2,Late line,cloud_services,10.00,USD,2026-02-20\n"
        + "CP-STRATUS,ST-03,C1,Compute,cloud_services,2600.00,USD,2026-03-01\n",
    )

    report = import_charges(database, later)

    assert report.submitted == 5
    assert [row.row for row in report.accepted] == [5]
    assert [(reject.row, reject.reason) for reject in report.rejected] == [
        (1, RejectReason.ALREADY_IMPORTED),
        (2, RejectReason.DUPLICATE_IN_FILE),
        (3, RejectReason.UNKNOWN_PARTNER),
        (4, RejectReason.PERIOD_NETTED),
    ]
    assert report.rejected[3].message == (
        "later.csv: row 4: charge_date: 2026-02-20 falls in the period netted from 2026-02-01; "
        "date it in an open period"
    )
    with database.transaction() as session:
        stored = SettlementRepository(session).charges("CP-STRATUS")
    assert [(each.partner_invoice_id, each.charge_date) for each in stored] == [
        ("ST-02", date(2026, 2, 1)),
        ("ST-03", date(2026, 3, 1)),
    ]
    assert sum((each.amount for each in stored), Decimal(0)) == Decimal("5200.00")


def test_a_conflicting_repeat_is_rejected(database: Database, tmp_path: Path) -> None:
    import_charges(
        database,
        write(
            tmp_path, "a.csv", HEADER + "CP-STRATUS,ST-02,C1,Compute,cloud,2600.00,USD,2026-02-01\n"
        ),
    )

    report = import_charges(
        database,
        write(
            tmp_path, "b.csv", HEADER + "CP-STRATUS,ST-02,C1,Compute,cloud,2500.00,USD,2026-02-01\n"
        ),
    )

    assert [reject.reason for reject in report.rejected] == [RejectReason.CONFLICTS_WITH_STORED]


def test_a_file_saved_as_latin_1_is_refused_whole_with_where_and_what_to_do(
    tmp_path: Path,
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        HEADER.encode()
        + b"CP-STRATUS,ST-08,C1,Caf\xe9 compute,cloud_services,10.00,USD,2026-02-01\n"
    )

    with pytest.raises(ChargeFileError) as raised:
        read_charges(path)

    # The header is line 1; the byte 0xE9 (Latin-1 "é") is on line 2.
    assert raised.value.message == (
        f"{path}: line 2 is not UTF-8 text (byte 0xe9); save the file as UTF-8 (CSV UTF-8)"
    )


def test_a_byte_order_mark_is_read_as_utf_8(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + HEADER.encode()
        + b"CP-STRATUS,ST-09,C1,Compute,cloud_services,10.00,USD,2026-02-01\n"
    )

    accepted, rejected, submitted = read_charges(path)

    assert (submitted, [row.partner_id for row in accepted], rejected) == (1, ["CP-STRATUS"], [])


def test_an_amount_too_large_to_store_is_a_rejected_row(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "huge.csv",
        HEADER
        + "CP-STRATUS,ST-07,C1,Compute,cloud_services,1E+30,USD,2026-02-01\n"
        + "CP-STRATUS,ST-07,C2,Compute,cloud_services,9999999999999.99,USD,2026-02-01\n"
        + "CP-STRATUS,ST-07,C3,Compute,cloud_services,-10000000000000.00,USD,2026-02-01\n"
        + "CP-STRATUS,ST-07,C4,Yen racks,cloud_services,999999999999999,JPY,2026-02-01\n",
    )

    accepted, rejected, submitted = read_charges(path)

    # The limit is 999,999,999,999,999 minor units: 9,999,999,999,999.99 USD, exactly on it is
    # accepted; 1E+30 and -10,000,000,000,000.00 USD are beyond it. In JPY (no decimals) the
    # same limit is 999,999,999,999,999 yen.
    assert submitted == 4
    assert [row.charge.line_id for row in accepted] == ["C2", "C4"]
    assert [(reject.row, reject.reason, reject.message) for reject in rejected] == [
        (
            1,
            RejectReason.INVALID_AMOUNT,
            "huge.csv: row 1: amount: 1E+30 is beyond the largest amount stored, "
            "9999999999999.99 USD (in size)",
        ),
        (
            3,
            RejectReason.INVALID_AMOUNT,
            "huge.csv: row 3: amount: -10000000000000.00 is beyond the largest amount stored, "
            "9999999999999.99 USD (in size)",
        ),
    ]


def test_an_amount_too_large_to_store_never_reaches_the_database(
    database: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "huge.csv",
        HEADER
        + "CP-STRATUS,ST-07,C1,Compute,cloud_services,1E+30,USD,2026-02-01\n"
        + "CP-STRATUS,ST-07,C2,Compute,cloud_services,5.00,USD,2026-02-01\n",
    )

    report = import_charges(database, path)

    assert (report.submitted, len(report.accepted), len(report.rejected)) == (2, 1, 1)
    with database.transaction() as session:
        stored = SettlementRepository(session).charges("CP-STRATUS")
    assert [str(each.amount) for each in stored] == ["5.00"]
