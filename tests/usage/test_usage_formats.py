"""Loading usage from CSV, JSON Lines and Parquet: what is stored, where, and exactly how."""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tollway.usage import UsageFileError, UsageStore, UsageStoreError, load_usage

Row = dict[str, object]
WriteFile = Callable[[str, str], Path]
ReadUsage = Callable[[str], list[Row]]
ReadRejects = Callable[[str], list[Row]]
QueryRows = Callable[[str], list[Row]]

HEADER = "record_id,source,circuit_id,service_id,usage_type,start_time,end_time,quantity,unit"


def stored_row(**fields: object) -> Row:
    """A stored usage row: the given fields, every other one absent."""
    names = (
        "record_id", "source", "circuit_id", "service_id", "usage_type", "start_time", "end_time",
        "quantity", "unit", "rating_group", "origin", "destination", "characteristics", "load_id",
        "source_file", "source_row", "period",
    )  # fmt: skip
    assert set(fields) <= set(names)
    return {name: fields.get(name) for name in names}


def test_csv_records_are_stored_in_the_utc_month_of_their_start(
    store: UsageStore, write_file: WriteFile, stored_usage: ReadUsage
) -> None:
    # 2024-03-31 23:30 at -02:00 is 2024-04-01 01:30 UTC: an April record.
    usage = write_file(
        "switch-a.csv",
        f"""{HEADER},rating_group,origin,destination,characteristics
cdr-1,switch-a,CIR-1,,data,2024-03-05T10:00:00+01:00,2024-03-05T10:30:00+01:00,1.25,GB,rg-10,,,"{{""site"": ""LON1""}}"
cdr-2,switch-a,,SVC-7,voice,2024-03-31T23:30:00-02:00,,125,s,,+4420,+3314,
""",
    )

    report = load_usage([usage], store=store, load_id="load-1")

    assert (report.submitted, report.accepted, report.rejected) == (2, 2, 0)
    assert report.periods == ("2024-03", "2024-04")
    assert store.periods() == ("2024-03", "2024-04")
    assert stored_usage("2024-03") == [
        stored_row(
            record_id="cdr-1", source="switch-a", circuit_id="CIR-1", usage_type="data",
            start_time=datetime(2024, 3, 5, 9, 0, tzinfo=UTC),
            end_time=datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
            quantity=Decimal("1.25"), unit="GB", rating_group="rg-10",
            characteristics={"site": "LON1"}, load_id="load-1", source_file="switch-a.csv",
            source_row=1, period="2024-03",
        )
    ]  # fmt: skip
    assert stored_usage("2024-04") == [
        stored_row(
            record_id="cdr-2", source="switch-a", service_id="SVC-7", usage_type="voice",
            start_time=datetime(2024, 4, 1, 1, 30, tzinfo=UTC), quantity=Decimal("125"),
            unit="s", origin="+4420", destination="+3314", load_id="load-1",
            source_file="switch-a.csv", source_row=2, period="2024-04",
        )
    ]  # fmt: skip


def test_json_lines_take_quantities_as_strings_or_integers(
    store: UsageStore, write_file: WriteFile, stored_usage: ReadUsage
) -> None:
    # Line 2 is blank: skipped, not a record; line numbers still count it.
    usage = write_file(
        "probe.jsonl",
        '{"record_id": "s-1", "source": "probe-7", "service_id": "SVC-77", "usage_type":'
        ' "bandwidth_sample", "start_time": "2024-03-05T11:05:00Z", "quantity": "940.5",'
        ' "unit": "Mbit/s", "characteristics": {"qos": "gold", "site": "PAR2"}}\n'
        "\n"
        '{"record_id": 2, "source": "probe-7", "service_id": "SVC-77", "usage_type":'
        ' "security_events", "start_time": "2024-03-05 11:10:00+00:00", "quantity": 17,'
        ' "unit": "events", "end_time": null}\n',
    )

    report = load_usage([usage], store=store, load_id="load-1")

    assert (report.accepted, report.rejected) == (2, 0)
    assert stored_usage("2024-03") == [
        stored_row(
            record_id="s-1", source="probe-7", service_id="SVC-77", usage_type="bandwidth_sample",
            start_time=datetime(2024, 3, 5, 11, 5, tzinfo=UTC), quantity=Decimal("940.5"),
            unit="Mbit/s", characteristics={"qos": "gold", "site": "PAR2"}, load_id="load-1",
            source_file="probe.jsonl", source_row=1, period="2024-03",
        ),
        stored_row(
            record_id="2", source="probe-7", service_id="SVC-77", usage_type="security_events",
            start_time=datetime(2024, 3, 5, 11, 10, tzinfo=UTC), quantity=Decimal("17"),
            unit="events", load_id="load-1", source_file="probe.jsonl", source_row=3,
            period="2024-03",
        ),
    ]  # fmt: skip


def test_parquet_with_decimal_quantity_and_utc_timestamps(
    store: UsageStore, tmp_path: Path, stored_usage: ReadUsage
) -> None:
    usage = tmp_path / "partner.parquet"
    table = pa.table(
        {
            "record_id": ["p-1", "p-2"],
            "source": ["partner-x", "partner-x"],
            "circuit_id": ["CIR-9", "CIR-9"],
            "usage_type": ["data", "data"],
            "start_time": pa.array(
                [datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC), datetime(2024, 3, 1)],
                pa.timestamp("us", tz="UTC"),
            ),
            "quantity": pa.array([Decimal("0.000000001"), Decimal("0")], pa.decimal128(38, 9)),
            "unit": ["GB", "GB"],
            "characteristics": pa.array([[("site", "AMS1")], None], pa.map_(pa.string(), pa.string())),
        }
    )  # fmt: skip
    pq.write_table(table, usage)

    report = load_usage([usage], store=store, load_id="load-1")

    assert report.periods == ("2024-02", "2024-03")
    assert stored_usage("2024-02") == [
        stored_row(
            record_id="p-1", source="partner-x", circuit_id="CIR-9", usage_type="data",
            start_time=datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
            quantity=Decimal("0.000000001"), unit="GB", characteristics={"site": "AMS1"},
            load_id="load-1", source_file="partner.parquet", source_row=1, period="2024-02",
        )
    ]  # fmt: skip
    # Zero usage is usage: stored, billed at whatever the tariff says zero costs.
    assert [row["quantity"] for row in stored_usage("2024-03")] == [Decimal("0")]


def test_parquet_float_quantities_and_zoneless_timestamps_are_rejected(
    store: UsageStore, tmp_path: Path, stored_rejects: ReadRejects
) -> None:
    floats = tmp_path / "floats.parquet"
    pq.write_table(
        pa.table(
            {
                "record_id": ["f-1"], "source": ["legacy"], "circuit_id": ["CIR-1"],
                "usage_type": ["data"], "start_time": ["2024-03-01T00:00:00Z"],
                "quantity": pa.array([0.1], pa.float64()), "unit": ["GB"],
            }
        ),
        floats,
    )  # fmt: skip
    zoneless = tmp_path / "zoneless.parquet"
    pq.write_table(
        pa.table(
            {
                "record_id": ["z-1"], "source": ["legacy"], "circuit_id": ["CIR-1"],
                "usage_type": ["data"],
                "start_time": pa.array([datetime(2024, 3, 1, 8, 0)], pa.timestamp("us")),
                "quantity": ["1"], "unit": ["GB"],
            }
        ),
        zoneless,
    )  # fmt: skip

    report = load_usage([floats, zoneless], store=store, load_id="load-1")

    assert report.rejected_by_reason == {"bad_quantity": 1, "timestamp_without_zone": 1}
    assert [(row["source_file"], row["reason"], row["message"]) for row in stored_rejects("load-1")] == [
        (
            "floats.parquet", "bad_quantity",
            "quantity '0.1' arrived as a binary floating-point number, which cannot hold every"
            ' decimal exactly; send it as text ("0.1") or as a Parquet DECIMAL',
        ),
        (
            "zoneless.parquet", "timestamp_without_zone",
            "start_time '2024-03-01 08:00:00' has no UTC offset; add one (Z or +02:00), or name"
            " the sender's zone with assume_time_zone for this load",
        ),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("0.1", Decimal("0.1")),
        ("0", Decimal("0")),
        ("1500.000000001", Decimal("1500.000000001")),  # 9 decimals: the most kept
        ("0.1000000000", Decimal("0.1")),  # 10 decimals, the last a zero: fits exactly
        ("99999999999999999999999999999.999999999", Decimal("99999999999999999999999999999.999999999")),
        (" 7 ", Decimal("7")),
    ],
)  # fmt: skip
def test_quantities_read_back_exactly(
    store: UsageStore, write_file: WriteFile, stored_usage: ReadUsage, sent: str, stored: Decimal
) -> None:
    usage = write_file(
        "usage.csv", f"{HEADER}\nr1,sw,CIR-1,,data,2024-03-05T10:00:00Z,,{sent},GB\n"
    )

    load_usage([usage], store=store, load_id="load-1")

    (row,) = stored_usage("2024-03")
    assert isinstance(row["quantity"], Decimal)
    assert row["quantity"] == stored


def test_a_late_record_lands_in_its_own_earlier_month(
    store: UsageStore, write_file: WriteFile, stored_usage: ReadUsage
) -> None:
    april = write_file("april.csv", f"{HEADER}\na1,sw,CIR-1,,data,2024-04-02T08:00:00Z,,3,GB\n")
    late = write_file("late.csv", f"{HEADER}\nm9,sw,CIR-1,,data,2024-03-31T22:00:00Z,,4,GB\n")
    load_usage([april], store=store, load_id="april-1")

    report = load_usage([late], store=store, load_id="april-2")

    assert report.periods == ("2024-03",)
    assert store.periods() == ("2024-03", "2024-04")
    assert [(row["record_id"], row["load_id"]) for row in stored_usage("2024-03")] == [
        ("m9", "april-2")
    ]
    assert [row["record_id"] for row in stored_usage("2024-04")] == ["a1"]


def test_stored_rows_keep_the_order_they_were_sent_in(
    store: UsageStore, write_file: WriteFile, stored_usage: ReadUsage
) -> None:
    # Files in the order the load names them (not by name), then rows; times play no part.
    later = write_file(
        "b-usage.csv",
        f"""{HEADER}
r3,sw-b,CIR-1,,data,2024-03-05T10:00:00Z,,1,GB
r2,sw-a,CIR-1,,data,2024-03-05T10:00:00Z,,-1,GB
r1,sw-a,CIR-1,,data,2024-03-05T11:00:00+02:00,,1,GB
r0,sw-a,CIR-1,,data,2024-03-05T10:00:00Z,,1,GB
""",
    )
    earlier = write_file(
        "a-usage.csv",
        f"""{HEADER}
r9,sw-a,CIR-1,,data,2024-03-31T23:00:00Z,,1,GB
r8,sw-a,CIR-1,,data,2024-03-01T00:00:00Z,,1,GB
""",
    )

    load_usage([later, earlier], store=store, load_id="load-1")

    # r2 is rejected (negative_quantity); every other record keeps its place.
    assert [
        (row["source_file"], row["record_id"], row["source_row"])
        for row in stored_usage("2024-03")
    ] == [
        ("b-usage.csv", "r3", 1), ("b-usage.csv", "r1", 3), ("b-usage.csv", "r0", 4),
        ("a-usage.csv", "r9", 1), ("a-usage.csv", "r8", 2),
    ]  # fmt: skip


def test_the_same_input_gives_byte_identical_files(write_file: WriteFile, tmp_path: Path) -> None:
    usage = write_file(
        "usage.csv",
        f"{HEADER}\nr2,sw,CIR-1,,data,2024-03-06T10:00:00Z,,2.5,GB\n"
        "r1,sw,CIR-1,,data,2024-03-05T10:00:00Z,,-1,GB\n",
    )
    first, second = UsageStore(tmp_path / "first"), UsageStore(tmp_path / "second")

    load_usage([usage], store=first, load_id="load-1")
    load_usage([usage], store=second, load_id="load-1")

    for relative in ("usage/period=2024-03/load-load-1.parquet", "rejects/load-load-1.parquet"):
        assert (first.root / relative).read_bytes() == (second.root / relative).read_bytes()


def test_a_record_id_starting_with_a_hash_is_a_record_not_a_comment(
    store: UsageStore, write_file: WriteFile, stored_usage: ReadUsage
) -> None:
    usage = write_file("usage.csv", f"{HEADER}\n#42,sw,CIR-1,,data,2024-03-05T10:00:00Z,,1,GB\n")

    assert load_usage([usage], store=store, load_id="load-1").accepted == 1
    assert [row["record_id"] for row in stored_usage("2024-03")] == ["#42"]


def test_assume_time_zone_places_times_sent_without_an_offset(
    store: UsageStore, write_file: WriteFile, stored_usage: ReadUsage
) -> None:
    # Paris is +01:00 in winter; 2024-10-27 02:30 happens twice there and is read at +01:00.
    usage = write_file(
        "usage.csv",
        f"""{HEADER}
w1,sw,CIR-1,,data,2024-01-15T10:00:00,,1,GB
w2,sw,CIR-1,,data,2024-10-27T02:30:00,,1,GB
w3,sw,CIR-1,,data,2024-01-15T10:00:00-05:00,,1,GB
""",
    )

    load_usage([usage], store=store, load_id="load-1", assume_time_zone="Europe/Paris")

    starts = {row["record_id"]: row["start_time"] for row in stored_usage("2024-01")}
    assert starts == {
        "w1": datetime(2024, 1, 15, 9, 0, tzinfo=UTC),
        "w3": datetime(2024, 1, 15, 15, 0, tzinfo=UTC),  # an offset sent wins over the zone
    }
    (october,) = stored_usage("2024-10")
    assert october["start_time"] == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)


def test_an_unknown_time_zone_stops_the_load(store: UsageStore, write_file: WriteFile) -> None:
    usage = write_file("usage.csv", f"{HEADER}\nr1,sw,CIR-1,,data,2024-01-15T10:00:00,,1,GB\n")

    with pytest.raises(UsageStoreError, match="'Europe/Pariss' is not a known time zone"):
        load_usage([usage], store=store, load_id="load-1", assume_time_zone="Europe/Pariss")
    assert store.reports() == ()


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("usage.xml", "<usage/>", "usage.xml: unknown format; use one of .csv, .jsonl, .ndjson, .parquet"),
        (
            "usage.csv", f"{HEADER},quantty\n",
            "usage.csv: unknown column(s) quantty; a usage record has only record_id, source,"
            " circuit_id, service_id, usage_type, start_time, end_time, quantity, unit,"
            " rating_group, origin, destination, characteristics (docs/usage-records.md)",
        ),
        (
            "usage.jsonl", '{"record_id": "r1", "colour": "red"}\n',
            "usage.jsonl: unknown column(s) colour; a usage record has only",
        ),
        (
            "usage.csv", f"{HEADER}\nr1,sw,CIR-1,,data,2024-03-05T10:00:00Z,,1,GB\nr2,sw,CIR-1\n",
            "usage.csv: is not well formed: ",
        ),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_read_as_a_whole_stops_the_load_before_any_write(
    store: UsageStore, write_file: WriteFile, name: str, text: str, problem: str
) -> None:
    good = write_file("good.csv", f"{HEADER}\nr1,sw,CIR-1,,data,2024-03-05T10:00:00Z,,1,GB\n")

    with pytest.raises(UsageFileError) as raised:
        load_usage([good, write_file(name, text)], store=store, load_id="load-1")

    assert str(raised.value).startswith(problem)
    assert store.reports() == ()
    assert store.periods() == ()
    assert list((store.root).rglob("*.parquet")) == []


def test_a_missing_file_stops_the_load(store: UsageStore, tmp_path: Path) -> None:
    with pytest.raises(UsageFileError, match="no such file"):
        load_usage([tmp_path / "absent.csv"], store=store, load_id="load-1")


def test_scan_of_a_month_without_usage_has_no_rows(
    store: UsageStore, query_rows: QueryRows
) -> None:
    assert query_rows(store.scan_sql("2024-03")) == []
    with pytest.raises(UsageStoreError, match="period '2024-3' must be a month written YYYY-MM"):
        store.scan_sql("2024-3")
