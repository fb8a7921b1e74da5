"""Judging sent records: each is kept for deduplication, or rejected with one reason and a message.

Runs as SQL over whole files, never record by record: one INSERT per file into the table `judged`,
which holds one row per submitted record with its stored values (typed), what must be kept of it as
sent for a reject row, and `rejection` (NULL when every check passed, else a struct of `reason`
and `message`). The checks (`tollway.usage._checks`) read each field's state.

Two readings of a field give the same states and messages for the same value. Text (CSV, JSON
Lines, Parquet text columns) is matched against patterns and cast. A typed Parquet column (a
TIMESTAMP WITH TIME ZONE time, a DECIMAL or integer quantity) is checked as it is: no text is made
of it unless a record is rejected. A typed time is 'bad' outside the years 1 to 9999 (or infinite),
exactly where its text would fail the ISO 8601 pattern.
"""

from pathlib import Path

import duckdb

from tollway.usage._checks import (
    MACROS_SQL,
    QUANTITY_PARTS,
    QUANTITY_PATTERN,
    TIMESTAMP_PARTS,
    TIMESTAMP_PATTERN,
    FieldReading,
    record_checks,
    rejection_sql,
)
from tollway.usage._duckdb import sql_text
from tollway.usage._keys import CONTENT_HASH_SQL
from tollway.usage._read import TEXT_TYPE, SentFile, run_on_file, sent_file
from tollway.usage._record import QUANTITY_TYPE, TEXT_FIELDS

CANONICAL_QUANTITY_TYPE = QUANTITY_TYPE.replace(" ", "")
"""A typed quantity of the stored type prints back exactly as sent: DESCRIBE writes DECIMAL(38,9)."""

TYPED_TIME_FIRST = "TIMESTAMPTZ '0001-01-01 00:00:00+00'"
TYPED_TIME_LAST = "TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'"

JUDGED_TABLE_SQL = f"""
CREATE TABLE judged (
    file_index INTEGER NOT NULL,
    source_row BIGINT NOT NULL,
    raw_line VARCHAR,
    {", ".join(f"{field} VARCHAR" for field in TEXT_FIELDS)},
    start_time TIMESTAMPTZ,
    end_time TIMESTAMPTZ,
    quantity {QUANTITY_TYPE},
    characteristics MAP(VARCHAR, VARCHAR),
    sent_start_time VARCHAR,
    sent_end_time VARCHAR,
    sent_quantity VARCHAR,
    sent_characteristics VARCHAR,
    sent_text VARCHAR,
    rejection STRUCT(reason VARCHAR, message VARCHAR),
    key_hash UBIGINT,
    content_hash UBIGINT
)
"""
"""Fields are kept as they will be stored: text NULL when blank, typed values NULL when bad.
`sent_*` hold the text sent where the kept value cannot print it back: the typed fields' (when
bad, or of another type than the stored one), every text field's (a JSON object, only for a record
with a blank one). The file's name is in the table `load_file`, by `file_index`: one row each.
`key_hash` and `content_hash` (`tollway.usage._keys`) are set on the records that passed every
check."""


def judge_files(
    connection: duckdb.DuckDBPyConnection,
    paths: list[Path],
    *,
    assume_time_zone: str | None,
    check_circuits: bool,
    key_hash_sql: str,
) -> int:
    """Read and judge every file into the table `judged`; return how many records were submitted.

    Uses the table `known_circuit` when `check_circuits`. `key_hash_sql` hashes (source, record_id).
    """
    connection.execute(MACROS_SQL)
    connection.execute(JUDGED_TABLE_SQL)
    connection.execute(
        "CREATE TABLE load_file AS SELECT generate_subscripts(names, 1) - 1 AS file_index,"
        " unnest(names) AS source_file FROM (SELECT ?::VARCHAR[] AS names)",
        [[path.name for path in paths]],
    )
    submitted = sum(
        _judge_file(
            connection, path, file_index=file_index, assume_time_zone=assume_time_zone,
            check_circuits=check_circuits, key_hash_sql=key_hash_sql,
        )
        for file_index, path in enumerate(paths)
    )  # fmt: skip
    row = connection.execute("SELECT count(*) FROM judged").fetchone()
    assert row is not None and row[0] == submitted, f"records lost in judging: {row} != {submitted}"
    return submitted


def _judge_file(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    file_index: int,
    assume_time_zone: str | None,
    check_circuits: bool,
    key_hash_sql: str,
) -> int:
    """Judge one file's records into `judged`; return how many there were."""
    sent = _staged(connection, path, sent_file(connection, path, file_index=file_index))
    judge_sql = _judge_sql(
        sent, assume_time_zone=assume_time_zone, check_circuits=check_circuits,
        key_hash_sql=key_hash_sql,
    )  # fmt: skip
    # Nothing reads `judged` in the order it was written, so its rows may be inserted by every
    # thread at once (a file's rows are numbered before this: see `_staged`).
    connection.execute("SET preserve_insertion_order = false")
    try:
        row = run_on_file(connection, path, f"INSERT INTO judged BY NAME {judge_sql}").fetchone()
    finally:
        connection.execute("RESET preserve_insertion_order")
    connection.execute("DROP TABLE IF EXISTS staged_file")
    assert row is not None
    return int(row[0])


def _staged(connection: duckdb.DuckDBPyConnection, path: Path, sent: SentFile) -> SentFile:
    """A file whose rows are numbered as they are read is read into the table `staged_file`
    first, on one thread; the judging of its rows then runs on every thread."""
    if not sent.numbered_in_order:
        return sent
    run_on_file(connection, path, f"CREATE TABLE staged_file AS {sent.select_sql}")
    return SentFile("SELECT * FROM staged_file", sent.field_types)


def _text_time(field: str) -> FieldReading:
    parts = f"{field}_parts"
    return FieldReading(
        parsed_sql=(f"regexp_extract(trim({field}), '{TIMESTAMP_PATTERN}', {TIMESTAMP_PARTS}) AS {parts}",),
        value_sql=f"instant({field}, {parts}, assumed_zone)",
        state_sql=f"timestamp_state({parts}, {field}_value, assumed_zone)",
        absent_sql=f"blank_to_null({field}) IS NULL",
        text_sql=f"trim({field})",
        raw_text_sql=field,
        sent_sql=field,
    )  # fmt: skip


def _typed_time(field: str) -> FieldReading:
    # Only instants from year 1 to 9999 print as ISO 8601 text; a text reading rejects the others.
    value = f"CASE WHEN {field} BETWEEN {TYPED_TIME_FIRST} AND {TYPED_TIME_LAST} THEN {field} END"
    return FieldReading(
        parsed_sql=(),
        value_sql=value,
        state_sql=f"CASE WHEN {field}_value IS NULL THEN 'bad' ELSE 'ok' END",
        absent_sql=f"{field} IS NULL",
        text_sql=f"CAST({field} AS VARCHAR)",
        raw_text_sql=f"CAST({field} AS VARCHAR)",
        sent_sql=f"CASE WHEN {field}_value IS NULL THEN CAST({field} AS VARCHAR) END",
    )


def _text_quantity() -> FieldReading:
    return FieldReading(
        parsed_sql=(
            f"regexp_extract(trim(quantity), '{QUANTITY_PATTERN}', {QUANTITY_PARTS}) AS quantity_parts",
            f"try_cast(trim(quantity) AS {QUANTITY_TYPE}) AS rounded_quantity",
        ),
        value_sql="rounded_quantity",
        state_sql="quantity_state(quantity_parts, rounded_quantity, quantity_is_float)",
        absent_sql="blank_to_null(quantity) IS NULL",
        text_sql="trim(quantity)",
        raw_text_sql="quantity",
        sent_sql="quantity",
        fraction_digits_sql="fraction_digits(quantity_parts)",
    )  # fmt: skip


def _typed_quantity(column_type: str) -> FieldReading:
    # A DECIMAL(38, 9) prints back as sent; a quantity of another type keeps its own text.
    prints_back = column_type == CANONICAL_QUANTITY_TYPE
    return FieldReading(
        parsed_sql=(f"try_cast(quantity AS {QUANTITY_TYPE}) AS rounded_quantity",),
        value_sql="rounded_quantity",
        state_sql="""CASE WHEN quantity IS NULL THEN 'bad' WHEN quantity < 0 THEN 'negative'
            WHEN rounded_quantity IS NULL THEN 'too_large' ELSE 'ok' END""",
        absent_sql="quantity IS NULL",
        text_sql="CAST(quantity AS VARCHAR)",
        raw_text_sql="CAST(quantity AS VARCHAR)",
        sent_sql=(
            "CASE WHEN quantity_state <> 'ok' THEN CAST(quantity AS VARCHAR) END"
            if prints_back
            else "CAST(quantity AS VARCHAR)"
        ),
    )


def field_readings(field_types: dict[str, str]) -> dict[str, FieldReading]:
    """The readings of start_time, end_time and quantity for a file whose fields have these types."""
    readings = {
        field: _text_time(field) if field_types[field] == TEXT_TYPE else _typed_time(field)
        for field in ("start_time", "end_time")
    }
    quantity_type = field_types["quantity"]
    readings["quantity"] = (
        _text_quantity() if quantity_type == TEXT_TYPE else _typed_quantity(quantity_type)
    )
    return readings


def _judge_sql(
    sent: SentFile, *, assume_time_zone: str | None, check_circuits: bool, key_hash_sql: str
) -> str:
    """Parse each field once, name each field's state, then pick the first failing check."""
    readings = field_readings(sent.field_types)
    zone = "NULL" if assume_time_zone is None else sql_text(assume_time_zone)
    circuit_column, circuit_join = (
        (
            ", known_circuit.known_circuit_id",
            "LEFT JOIN known_circuit ON known_circuit.known_circuit_id = sent.circuit_id",
        )
        if check_circuits
        else ("", "")
    )
    parsed = "".join(
        f", {column}" for reading in readings.values() for column in reading.parsed_sql
    )
    values = ", ".join(
        f"{reading.value_sql} AS {field}_value" for field, reading in readings.items()
    )
    states = ", ".join(
        f"{reading.state_sql} AS {field}_state" for field, reading in readings.items()
    )
    checks = record_checks(
        readings, text_absent_sql={field: f"kept_{field} IS NULL" for field in TEXT_FIELDS},
        check_circuits=check_circuits,
    )  # fmt: skip
    return f"""
        WITH sent AS ({sent.select_sql}),
        parsed AS (
            SELECT sent.*{circuit_column}, CAST({zone} AS VARCHAR) AS assumed_zone,
                   {_kept_text_sql()},
                   blank_to_null(characteristics) AS characteristics_text{parsed}
            FROM sent {circuit_join}
        ),
        valued AS (SELECT *, {values} FROM parsed),
        assessed AS (
            SELECT *, {states}, characteristics_state(characteristics_text) AS characteristics_state
            FROM valued
        ),
        decided AS (
            SELECT *, {rejection_sql(checks)} AS rejection,
                   {readings["start_time"].sent_sql} AS sent_start_time,
                   {readings["end_time"].sent_sql} AS sent_end_time,
                   {readings["quantity"].sent_sql} AS sent_quantity,
                   {_sent_text_sql()} AS sent_text
            FROM assessed
        )
        SELECT *, CASE WHEN rejection IS NULL THEN {key_hash_sql} END AS key_hash,
               CASE WHEN rejection IS NULL THEN {CONTENT_HASH_SQL} END AS content_hash
        FROM (
        SELECT file_index, source_row, raw_line,
               {", ".join(f"kept_{field} AS {field}" for field in TEXT_FIELDS)},
               start_time_value AS start_time, end_time_value AS end_time,
               CASE WHEN quantity_state = 'ok' THEN quantity_value END AS quantity,
               CASE WHEN characteristics_state = 'ok'
                   THEN characteristics_map(characteristics_text) END AS characteristics,
               sent_start_time, sent_end_time, sent_quantity,
               characteristics AS sent_characteristics, sent_text, rejection
        FROM decided
        )
    """


def _kept_text_sql() -> str:
    """Each text field as kept: NULL when it was not sent or is blank."""
    return ", ".join(f"blank_to_null({field}) AS kept_{field}" for field in TEXT_FIELDS)


def _sent_text_sql() -> str:
    """Every text field as sent, as a JSON object: only for a record with a blank field (the
    others print back as kept)."""
    any_blank = " OR ".join(
        f"({field} IS NOT NULL AND kept_{field} IS NULL)" for field in TEXT_FIELDS
    )
    fields = ", ".join(f"'{field}': {field}" for field in TEXT_FIELDS)
    return f"CASE WHEN {any_blank} THEN to_json({{{fields}}})::VARCHAR END"
