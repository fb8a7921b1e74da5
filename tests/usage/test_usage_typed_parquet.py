"""Typed Parquet columns are judged as they are, with the same outcome as their text.

A Parquet file whose quantity is a DECIMAL or an integer, and whose times are TIMESTAMP WITH TIME
ZONE, is judged on those values (no text is made of them unless a record is rejected). Each test
loads such a file, and the same records with every column written as the text DuckDB prints for
it (what the text reading judges), into two stores: the stored rows and the rejects must be equal,
reasons, messages and fields as sent included.
"""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from tollway.usage import LoadReport, UsageStore, connect_duckdb, load_usage
from tollway.usage._read import sent_file

Row = dict[str, object]
TIME = pa.timestamp("us", tz="UTC")
QUANTITY = pa.decimal128(38, 9)
MICROSECONDS_PER_SECOND = 1_000_000
# 10000-01-01T00:00:00Z and 0000-12-31T00:00:00Z (1 BC): instants a text reading cannot print.
YEAR_10000_US = 253_402_300_800 * MICROSECONDS_PER_SECOND
YEAR_ZERO_US = -62_135_683_200 * MICROSECONDS_PER_SECOND
INFINITY_US = 2**63 - 1


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def write_typed(path: Path, columns: dict[str, pa.Array]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)
    return path


def write_as_text(typed: Path, text: Path) -> Path:
    """The same records with every column as the text DuckDB prints for it (in UTC)."""
    text.parent.mkdir(parents=True, exist_ok=True)
    connection = connect_duckdb()
    try:
        names = [row[0] for row in connection.execute(f"DESCRIBE FROM '{typed}'").fetchall()]
        columns = ", ".join(f'CAST("{name}" AS VARCHAR) AS "{name}"' for name in names)
        connection.execute(f"COPY (SELECT {columns} FROM '{typed}') TO '{text}' (FORMAT parquet)")
    finally:
        connection.close()
    return text


def rows(sql: str) -> list[Row]:
    connection = connect_duckdb()
    try:
        relation = connection.sql(sql)
        return [dict(zip(relation.columns, values, strict=True)) for values in relation.fetchall()]
    finally:
        connection.close()


def outcome(store: UsageStore, load_id: str) -> tuple[list[Row], list[Row]]:
    """The rejects of a load and every stored row, in the store's order."""
    stored = [row for period in store.periods() for row in rows(store.scan_sql(period))]
    return rows(store.rejects_sql(load_id)), stored


Outcome = tuple[LoadReport, tuple[list[Row], list[Row]]]


def load_both_ways(
    tmp_path: Path, columns: dict[str, pa.Array], *, resend: bool = False
) -> tuple[Outcome, Outcome]:
    """Load the typed file and its text twin into two stores; return both outcomes."""
    typed = write_typed(tmp_path / "typed" / "usage.parquet", columns)
    text = write_as_text(typed, tmp_path / "text" / "usage.parquet")
    results: list[Outcome] = []
    for name, path in (("typed", typed), ("text", text)):
        store = UsageStore(tmp_path / f"store-{name}")
        report = load_usage([path], store=store, load_id="load-1")
        if resend:
            report = load_usage([path], store=store, load_id="load-2")
        results.append((report, outcome(store, report.load_id)))
    typed_outcome, text_outcome = results
    return typed_outcome, text_outcome


def record_columns(count: int, **columns: pa.Array) -> dict[str, pa.Array]:
    """Good records r1..rN of switch-a on CIR-1, data in GB, with the columns given replacing."""
    base = {
        "record_id": pa.array([f"r{index}" for index in range(1, count + 1)]),
        "source": pa.array(["switch-a"] * count),
        "circuit_id": pa.array(["CIR-1"] * count),
        "usage_type": pa.array(["data"] * count),
        "start_time": pa.array([utc(2024, 3, 5, 10)] * count, TIME),
        "quantity": pa.array([Decimal("1.5")] * count, QUANTITY),
        "unit": pa.array(["GB"] * count),
    }
    return base | columns


def test_bad_typed_records_get_the_reasons_and_messages_of_their_text(tmp_path: Path) -> None:
    columns = record_columns(
        8,
        start_time=pa.array(
            [
                utc(2024, 3, 5, 10), None, utc(2024, 3, 5, 10), utc(2024, 3, 5, 10),
                YEAR_10000_US, YEAR_ZERO_US, INFINITY_US, utc(1, 1, 1),
            ],
            TIME,
        ),
        end_time=pa.array(
            [utc(2024, 3, 5, 9, 59), None, None, None, None, None, None, None], TIME
        ),
        quantity=pa.array(
            [Decimal("1.5"), Decimal("1"), Decimal("-0.000000001"), None, Decimal("2"),
             Decimal("2"), Decimal("2"), Decimal("0")],
            QUANTITY,
        ),
        unit=pa.array(["GB", "GB", "GB", "GB", "GB", "GB", "GB", "  "]),
    )  # fmt: skip

    (typed_report, typed_outcome), (text_report, text_outcome) = load_both_ways(tmp_path, columns)

    assert typed_report == text_report
    assert typed_outcome == text_outcome
    rejects, stored = typed_outcome
    assert stored == []
    # Row 5 starts in the year 10000, row 6 in 1 BC, row 7 at DuckDB's infinity; row 8 on the
    # first instant there is, but its unit is blank.
    assert [(row["source_row"], row["reason"], row["message"]) for row in rejects] == [
        (1, "end_before_start", "end_time '2024-03-05 09:59:00+00' is before start_time"
            " '2024-03-05 10:00:00+00'; a record cannot end before it starts"),
        (2, "missing_field", "missing start_time; every record needs record_id, source,"
            " usage_type, start_time, quantity, unit and a circuit_id or service_id"),
        (3, "negative_quantity", "quantity '-0.000000001' is negative; usage is zero or more,"
            " and a correction is billed as a credit, not as negative usage"),
        (4, "missing_field", "missing quantity; every record needs record_id, source,"
            " usage_type, start_time, quantity, unit and a circuit_id or service_id"),
        (5, "bad_timestamp", "start_time '10000-01-01 00:00:00+00' is not an ISO 8601 date and"
            " time such as 2024-03-01T10:00:00+02:00 (seconds to at most 6 decimals)"),
        (6, "bad_timestamp", "start_time '0001-12-31 (BC) 00:00:00+00' is not an ISO 8601 date"
            " and time such as 2024-03-01T10:00:00+02:00 (seconds to at most 6 decimals)"),
        (7, "bad_timestamp", "start_time 'infinity' is not an ISO 8601 date and time such as"
            " 2024-03-01T10:00:00+02:00 (seconds to at most 6 decimals)"),
        (8, "missing_field", "missing unit; every record needs record_id, source, usage_type,"
            " start_time, quantity, unit and a circuit_id or service_id"),
    ]  # fmt: skip
    assert [(row["start_time"], row["quantity"]) for row in rejects[:3]] == [
        ("2024-03-05 10:00:00+00", "1.500000000"),
        (None, "1.000000000"),
        ("2024-03-05 10:00:00+00", "-0.000000001"),
    ]


def test_quantities_of_other_decimal_and_integer_types_keep_their_own_text(
    tmp_path: Path,
) -> None:
    # Re-sent: every record is a duplicate, and its reject row shows the quantity as sent.
    for name, quantities, sent in (
        ("decimal", pa.array([Decimal("1.500"), Decimal("0.250")], pa.decimal128(18, 3)),
         ["1.500", "0.250"]),
        ("fraction only", pa.array([Decimal("0.5"), Decimal("0")], pa.decimal128(3, 3)),
         [".500", ".000"]),
        ("integer", pa.array([42, 0], pa.int64()), ["42", "0"]),
    ):  # fmt: skip
        folder = tmp_path / name.replace(" ", "-")
        columns = record_columns(2, quantity=quantities)

        (typed_report, typed_outcome), (text_report, text_outcome) = load_both_ways(
            folder, columns, resend=True
        )

        assert typed_report == text_report, name
        assert typed_outcome == text_outcome, name
        rejects, _ = typed_outcome
        assert [row["quantity"] for row in rejects] == sent, name
        assert {row["reason"] for row in rejects} == {"duplicate_record"}, name


def test_a_wide_decimal_too_large_to_store_is_rejected_as_its_text_is(tmp_path: Path) -> None:
    # 10^30 has 31 digits before the point; 29 is the most a stored quantity has.
    columns = record_columns(
        2, quantity=pa.array([Decimal(10) ** 30, Decimal(7)], pa.decimal128(38, 0))
    )

    (typed_report, typed_outcome), (text_report, text_outcome) = load_both_ways(tmp_path, columns)

    assert typed_report == text_report
    assert typed_outcome == text_outcome
    rejects, stored = typed_outcome
    assert [(row["reason"], row["message"]) for row in rejects] == [
        (
            "bad_quantity",
            "quantity '1000000000000000000000000000000' is too large; at most 29 digits before"
            " the decimal point",
        )
    ]
    assert [row["quantity"] for row in stored] == [Decimal("7")]


def test_more_than_nine_decimals_are_read_as_text_and_checked(tmp_path: Path) -> None:
    columns = record_columns(
        2,
        quantity=pa.array(
            [Decimal("0.0000000001"), Decimal("0.1000000000")], pa.decimal128(38, 10)
        ),
    )

    (typed_report, typed_outcome), (text_report, text_outcome) = load_both_ways(tmp_path, columns)

    assert typed_report == text_report
    assert typed_outcome == text_outcome
    rejects, stored = typed_outcome
    assert [(row["reason"], row["quantity"]) for row in rejects] == [
        ("quantity_precision", "0.0000000001")
    ]
    assert [row["quantity"] for row in stored] == [Decimal("0.1")]


def test_duplicates_of_typed_records_keep_every_field_as_sent(tmp_path: Path) -> None:
    # Row 2 repeats row 1's key; row 3 has a blank service_id, kept as sent in its reject row.
    columns = record_columns(
        3,
        record_id=pa.array(["r1", "r1", "r3"]),
        service_id=pa.array([None, None, "  "]),
        end_time=pa.array([utc(2024, 3, 5, 10, 0, 1, 500), None, None], TIME),
    )

    (typed_report, typed_outcome), (text_report, text_outcome) = load_both_ways(
        tmp_path, columns, resend=True
    )

    assert typed_report == text_report
    assert typed_outcome == text_outcome
    rejects, _ = typed_outcome
    assert [
        (row["source_row"], row["reason"], row["service_id"], row["end_time"]) for row in rejects
    ] == [
        (1, "duplicate_record", None, "2024-03-05 10:00:01.0005+00"),
        (2, "duplicate_in_load", None, None),
        (3, "duplicate_record", "  ", None),
    ]


INSTANTS_US = st.integers(
    min_value=YEAR_ZERO_US - 10 * MICROSECONDS_PER_SECOND,
    max_value=YEAR_10000_US + 10 * MICROSECONDS_PER_SECOND,
)
UNSCALED = st.integers(min_value=-(10**12), max_value=10**30)


@settings(max_examples=20, deadline=None)
@given(
    starts=st.lists(st.one_of(st.none(), INSTANTS_US), min_size=1, max_size=8),
    data=st.data(),
)
def test_typed_and_text_readings_agree_on_any_records(
    tmp_path_factory: object, starts: list[int | None], data: st.DataObject
) -> None:
    count = len(starts)
    ends = data.draw(st.lists(st.one_of(st.none(), INSTANTS_US), min_size=count, max_size=count))
    quantities = data.draw(st.lists(st.one_of(st.none(), UNSCALED), min_size=count, max_size=count))
    record_ids = data.draw(
        st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=count, max_size=count)
    )
    columns = record_columns(
        count,
        record_id=pa.array(record_ids),
        start_time=pa.array(starts, TIME),
        end_time=pa.array(ends, TIME),
        quantity=pa.array(
            [None if value is None else Decimal(value).scaleb(-9) for value in quantities],
            QUANTITY,
        ),
    )
    folder = Path(tmp_path_factory.mktemp("agree"))  # type: ignore[attr-defined]

    (typed_report, typed_outcome), (text_report, text_outcome) = load_both_ways(
        folder, columns, resend=True
    )

    assert typed_report == text_report
    assert typed_outcome == text_outcome


def test_the_generators_columns_are_read_typed_and_text_columns_as_text(tmp_path: Path) -> None:
    # The generator writes DECIMAL(38, 9) quantities and UTC timestamps: judged as they are.
    typed = write_typed(tmp_path / "usage.parquet", record_columns(1))
    text = write_as_text(typed, tmp_path / "text.parquet")
    connection = connect_duckdb()
    try:
        typed_fields = sent_file(connection, typed, file_index=0).field_types
        text_fields = sent_file(connection, text, file_index=0).field_types
    finally:
        connection.close()

    assert {field: typed_fields[field] for field in ("start_time", "end_time", "quantity")} == {
        "start_time": "TIMESTAMP WITH TIME ZONE",
        "end_time": "VARCHAR",  # not in the file
        "quantity": "DECIMAL(38,9)",
    }
    assert set(text_fields.values()) == {"VARCHAR"}
