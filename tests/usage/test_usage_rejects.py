"""Every reject reason, each with the reject row a person reads: the record as sent, why, what to fix."""

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tollway.usage import RECORD_FIELDS, RejectReason, UsageStore, load_usage

Row = dict[str, object]
WriteFile = Callable[[str, str], Path]
ReadRejects = Callable[[str], list[Row]]

GOOD_RECORD = {
    "record_id": "cdr-1",
    "source": "switch-a",
    "circuit_id": "CIR-1",
    "usage_type": "data",
    "start_time": "2024-03-05T10:00:00+01:00",
    "quantity": "1.5",
    "unit": "GB",
}


def csv_text(*records: dict[str, str]) -> str:
    """A CSV usage file with every record field as a column; absent fields left empty."""
    lines = [",".join(RECORD_FIELDS)]
    lines += [",".join(record.get(field, "") for field in RECORD_FIELDS) for record in records]
    return "\n".join(lines) + "\n"


def reject_row(*, source_row: int, reason: str, message: str, sent: dict[str, str]) -> Row:
    """The reject row of a record sent in usage.csv: its fields as sent (empty ones absent)."""
    return {
        "load_id": "load-1",
        "source_file": "usage.csv",
        "source_row": source_row,
        "reason": reason,
        "message": message,
        "raw_line": None,
        **{field: sent.get(field) or None for field in RECORD_FIELDS},
    }


CASES = [
    (
        {"quantity": ""},
        "missing_field",
        "missing quantity; every record needs record_id, source, usage_type, start_time,"
        " quantity, unit and a circuit_id or service_id",
    ),
    (
        {"circuit_id": "", "unit": "  "},
        "missing_field",
        "missing unit, circuit_id or service_id; every record needs record_id, source,"
        " usage_type, start_time, quantity, unit and a circuit_id or service_id",
    ),
    (
        {"start_time": "05/03/2024 10:00"},
        "bad_timestamp",
        "start_time '05/03/2024 10:00' is not an ISO 8601 date and time such as"
        " 2024-03-01T10:00:00+02:00 (seconds to at most 6 decimals)",
    ),
    (
        {"start_time": "2024-02-30T10:00:00Z"},
        "bad_timestamp",
        "start_time '2024-02-30T10:00:00Z' is not an ISO 8601 date and time such as"
        " 2024-03-01T10:00:00+02:00 (seconds to at most 6 decimals)",
    ),
    (
        {"end_time": "2024-03-05T10:00:00.123456789Z"},
        "bad_timestamp",
        "end_time '2024-03-05T10:00:00.123456789Z' is not an ISO 8601 date and time such as"
        " 2024-03-01T10:00:00+02:00 (seconds to at most 6 decimals)",
    ),
    (
        {"start_time": "2024-03-05T10:00:00"},
        "timestamp_without_zone",
        "start_time '2024-03-05T10:00:00' has no UTC offset; add one (Z or +02:00), or name the"
        " sender's zone with assume_time_zone for this load",
    ),
    (
        # It starts at 10:00 at +01:00, which is 09:00 UTC, and ends a minute earlier.
        {"end_time": "2024-03-05T08:59:00Z"},
        "end_before_start",
        "end_time '2024-03-05T08:59:00Z' is before start_time '2024-03-05T10:00:00+01:00';"
        " a record cannot end before it starts",
    ),
    (
        {"quantity": "1.5 GB"},
        "bad_quantity",
        "quantity '1.5 GB' is not a decimal number such as 12 or 0.25",
    ),
    (
        {"quantity": "1e3"},
        "bad_quantity",
        "quantity '1e3' is not a decimal number such as 12 or 0.25",
    ),
    (
        {"quantity": "123456789012345678901234567890"},
        "bad_quantity",
        "quantity '123456789012345678901234567890' is too large; at most 29 digits before the"
        " decimal point",
    ),
    (
        {"quantity": "-0.5"},
        "negative_quantity",
        "quantity '-0.5' is negative; usage is zero or more, and a correction is billed as a"
        " credit, not as negative usage",
    ),
    (
        {"quantity": "0.0000000001"},
        "quantity_precision",
        "quantity '0.0000000001' has 10 decimals; at most 9 are stored exactly, so round it at"
        " the source",
    ),
    (
        {"characteristics": "site=LON1"},
        "bad_characteristics",
        'characteristics \'site=LON1\' is not a JSON object such as {"site": "LON1"}',
    ),
]


@pytest.mark.parametrize(("changes", "reason", "message"), CASES)
def test_a_bad_record_becomes_a_reject_row(
    store: UsageStore,
    write_file: WriteFile,
    stored_rejects: ReadRejects,
    changes: dict[str, str],
    reason: str,
    message: str,
) -> None:
    sent = GOOD_RECORD | changes
    usage = write_file("usage.csv", csv_text(sent))

    report = load_usage([usage], store=store, load_id="load-1")

    assert (report.submitted, report.accepted, report.rejected) == (1, 0, 1)
    assert report.rejected_by_reason == {reason: 1}
    assert stored_rejects("load-1") == [
        reject_row(source_row=1, reason=reason, message=message, sent=sent)
    ]


def test_characteristics_must_be_an_object_of_text_values(
    store: UsageStore, write_file: WriteFile, stored_rejects: ReadRejects
) -> None:
    # In CSV the JSON object is one quoted field, its quotes doubled. Good and bad rows are mixed
    # in one file: a check that fails on bad JSON must not run on a row that is not JSON.
    usage = write_file(
        "usage.csv",
        "record_id,source,circuit_id,usage_type,start_time,quantity,unit,characteristics\n"
        'c-1,sw,CIR-1,data,2024-03-05T10:00:00Z,1,GB,"{""site"": ""LON1""}"\n'
        "c-2,sw,CIR-1,data,2024-03-05T10:00:00Z,1,GB,{site: LON1\n"
        'c-3,sw,CIR-1,data,2024-03-05T10:00:00Z,1,GB,"{""tier"": 2}"\n'
        'c-4,sw,CIR-1,data,2024-03-05T10:00:00Z,1,GB,"{""a"": ""1"", ""a"": ""2""}"\n'
        'c-5,sw,CIR-1,data,2024-03-05T10:00:00Z,1,GB,"[""LON1""]"\n'
        "c-6,sw,CIR-1,data,2024-03-05T10:00:00Z,1,GB,{}\n",
    )

    report = load_usage([usage], store=store, load_id="load-1")

    assert (report.accepted, report.rejected_by_reason) == (2, {"bad_characteristics": 4})
    rejects = stored_rejects("load-1")
    assert [(row["source_row"], row["characteristics"], row["message"]) for row in rejects] == [
        (2, "{site: LON1", "characteristics '{site: LON1' is not a JSON object such as {\"site\": \"LON1\"}"),
        (
            3, '{"tier": 2}',
            "characteristics '{\"tier\": 2}' has values that are not text; quote every value, such as"
            ' {"tier": "2"}',
        ),
        (
            4, '{"a": "1", "a": "2"}',
            "characteristics '{\"a\": \"1\", \"a\": \"2\"}' names a key more than once; give each"
            " key once",
        ),
        (5, '["LON1"]', "characteristics '[\"LON1\"]' is not a JSON object such as {\"site\": \"LON1\"}"),
    ]  # fmt: skip


def test_an_unknown_circuit_is_rejected_when_the_load_names_its_circuits(
    store: UsageStore, write_file: WriteFile, stored_rejects: ReadRejects
) -> None:
    usage = write_file(
        "usage.csv",
        csv_text(
            GOOD_RECORD,
            GOOD_RECORD | {"record_id": "cdr-2", "circuit_id": "CIR-404"},
            GOOD_RECORD | {"record_id": "cdr-3", "circuit_id": "", "service_id": "SVC-1"},
        ),
    )

    report = load_usage([usage], store=store, load_id="load-1", known_circuits={"CIR-1", "CIR-2"})

    # A record tied to a service, not a circuit, is not checked against the circuits.
    assert (report.accepted, report.rejected_by_reason) == (2, {"unknown_circuit": 1})
    (reject,) = stored_rejects("load-1")
    assert (reject["source_row"], reject["circuit_id"], reject["message"]) == (
        2,
        "CIR-404",
        "circuit_id 'CIR-404' is not a known circuit; correct the id or add the circuit to the"
        " inventory before loading",
    )


def test_without_known_circuits_any_circuit_is_accepted(
    store: UsageStore, write_file: WriteFile
) -> None:
    usage = write_file("usage.csv", csv_text(GOOD_RECORD | {"circuit_id": "CIR-404"}))

    assert load_usage([usage], store=store, load_id="load-1").accepted == 1


def test_a_key_repeated_in_one_load_keeps_the_first_valid_record(
    store: UsageStore, write_file: WriteFile, stored_rejects: ReadRejects
) -> None:
    # Row 1 is invalid, so row 2 is the first valid record with the key; row 3 repeats it.
    usage = write_file(
        "usage.csv",
        csv_text(
            GOOD_RECORD | {"quantity": "-1"},
            GOOD_RECORD | {"quantity": "2"},
            GOOD_RECORD | {"quantity": "3"},
        ),
    )

    report = load_usage([usage], store=store, load_id="load-1")

    assert report.accepted == 1
    assert report.rejected_by_reason == {"duplicate_in_load": 1, "negative_quantity": 1}
    assert [(row["source_row"], row["reason"], row["message"]) for row in stored_rejects("load-1")] == [
        (
            1, "negative_quantity",
            "quantity '-1' is negative; usage is zero or more, and a correction is billed as a"
            " credit, not as negative usage",
        ),
        (
            3, "duplicate_in_load",
            "same source and record_id as usage.csv row 2 earlier in this load; only the first"
            " is kept",
        ),
    ]  # fmt: skip


def test_the_same_record_id_from_two_sources_is_two_records(
    store: UsageStore, write_file: WriteFile
) -> None:
    usage = write_file("usage.csv", csv_text(GOOD_RECORD, GOOD_RECORD | {"source": "switch-b"}))

    assert load_usage([usage], store=store, load_id="load-1").accepted == 2


def test_json_lines_reject_malformed_lines_and_float_quantities(
    store: UsageStore, write_file: WriteFile, stored_rejects: ReadRejects
) -> None:
    usage = write_file(
        "usage.jsonl",
        '{"record_id": "j-1", "source": "sw", "circuit_id": "CIR-1", "usage_type": "data",'
        ' "start_time": "2024-03-05T10:00:00Z", "quantity": 0.1, "unit": "GB"}\n'
        '{"record_id": "j-2", "source": "sw", \n'
        '["not", "an", "object"]\n'
        '{"record_id": "j-4", "source": "sw", "circuit_id": "CIR-1", "usage_type": "data",'
        ' "start_time": "2024-03-05T10:00:00Z", "quantity": "0.1", "unit": "GB",'
        ' "characteristics": "site=LON1"}\n'
        '{"record_id": "j-5", "source": "sw", "circuit_id": "CIR-1", "usage_type": "data",'
        ' "start_time": "2024-03-05T10:00:00Z", "quantity": true, "unit": "GB"}\n'
        '{"record_id": "j-6", "record_id": "j-7"}\n',
    )

    report = load_usage([usage], store=store, load_id="load-1")

    assert report.rejected_by_reason == {
        "bad_characteristics": 1,
        "bad_quantity": 2,
        "malformed_record": 3,
    }
    malformed = (
        "this line is not a JSON object; write one record per line, such as"
        ' {"record_id": "r1", "source": "switch-a", ...}'
    )
    rejects = stored_rejects("load-1")
    assert [(row["source_row"], row["reason"], row["message"]) for row in rejects] == [
        (
            1, "bad_quantity",
            "quantity '0.1' arrived as a binary floating-point number, which cannot hold every"
            ' decimal exactly; send it as text ("0.1") or as a Parquet DECIMAL',
        ),
        (2, "malformed_record", malformed),
        (3, "malformed_record", malformed),
        (
            4, "bad_characteristics",
            "characteristics '\"site=LON1\"' is not a JSON object such as {\"site\": \"LON1\"}",
        ),
        (5, "bad_quantity", "quantity 'true' is not a decimal number such as 12 or 0.25"),
        (6, "malformed_record", "this line names a field more than once; give each field once"),
    ]  # fmt: skip
    # The whole line is kept for a person to read, and no field could be taken from it.
    assert rejects[1]["raw_line"] == '{"record_id": "j-2", "source": "sw", '
    assert rejects[1]["record_id"] is None


def test_a_float_quantity_column_in_parquet_rejects_every_row_of_the_file(
    store: UsageStore, tmp_path: Path
) -> None:
    usage = tmp_path / "usage.parquet"
    pq.write_table(
        pa.table(
            {
                "record_id": ["p-1", "p-2"], "source": ["sw", "sw"], "circuit_id": ["C", "C"],
                "usage_type": ["data", "data"],
                "start_time": ["2024-03-05T10:00:00Z", "2024-03-05T11:00:00Z"],
                "quantity": pa.array([2.0, 0.5], pa.float32()), "unit": ["GB", "GB"],
            }
        ),
        usage,
    )  # fmt: skip

    report = load_usage([usage], store=store, load_id="load-1")

    assert report.rejected_by_reason == {"bad_quantity": 2}


def test_every_reason_is_documented_in_check_order() -> None:
    text = (Path(__file__).parents[2] / "docs" / "usage-records.md").read_text(encoding="utf-8")
    positions = [text.index(f"| `{reason.value}` |") for reason in RejectReason]
    assert positions == sorted(positions)
