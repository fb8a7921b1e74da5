"""Judging staged records: each is accepted, or rejected with one stable reason and a message.

Runs as SQL over the whole staging table `raw_record`, never record by record. The checks run in the
order of `RejectReason`; a record gets the first reason that applies. The outcome is the table
`outcome`: one row per submitted record with its typed fields and `rejection` (NULL when accepted,
else a struct of `reason` and `message`).
"""

from dataclasses import dataclass

import duckdb

from tollway.usage._duckdb import sql_text
from tollway.usage._record import (
    CONTENT_COLUMNS,
    QUANTITY_SCALE,
    QUANTITY_TYPE,
    RECORD_FIELDS,
    REQUIRED_FIELDS,
)
from tollway.usage._report import RejectReason

SHOWN_CHARACTERS_MAX = 80
"""Characters of a sent value quoted in a reject message; the rejects keep the whole value."""

QUANTITY_INTEGER_DIGITS_MAX = 38 - QUANTITY_SCALE

# ISO 8601 date and time, 'T' or a space between, seconds optional and at most microseconds (what
# the store keeps), then the UTC offset if any. One match gives both parts; no match gives ''.
TIMESTAMP_PATTERN = (
    r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
TIMESTAMP_PARTS = "['local', 'zone']"
# A plain decimal: sign, whole digits, fraction digits (a number needs digits on one side at least).
QUANTITY_PATTERN = r"^([+-]?)(\d*)(?:\.(\d*))?$"
QUANTITY_PARTS = "['sign', 'whole', 'fraction']"

_TEXT_FIELDS = tuple(
    field
    for field in RECORD_FIELDS
    if field not in ("start_time", "end_time", "quantity", "characteristics")
)

# Small named functions over one sent field; DuckDB inlines them into the set-wide queries. Each
# test that could fail on bad input (a cast, json_type) sits in its own CASE branch, reached only
# by rows that passed the branches before it.
_MACROS_SQL = f"""
CREATE MACRO blank_to_null(value) AS CASE WHEN trim(value) = '' THEN NULL ELSE value END;
CREATE MACRO shown(value) AS CASE
    WHEN length(value) > {SHOWN_CHARACTERS_MAX} THEN left(value, {SHOWN_CHARACTERS_MAX - 3}) || '...'
    ELSE coalesce(value, '') END;
CREATE MACRO instant(value, parts, assumed_zone) AS CASE
    WHEN struct_extract(parts, 'local') = '' THEN NULL
    WHEN struct_extract(parts, 'zone') <> '' THEN try_cast(trim(value) AS TIMESTAMPTZ)
    WHEN assumed_zone IS NOT NULL THEN timezone(assumed_zone, try_cast(trim(value) AS TIMESTAMP))
    END;
CREATE MACRO timestamp_state(parts, instant_value, assumed_zone) AS CASE
    WHEN struct_extract(parts, 'local') = '' THEN 'bad'
    WHEN struct_extract(parts, 'zone') = '' AND assumed_zone IS NULL THEN 'without_zone'
    WHEN instant_value IS NULL THEN 'bad'
    ELSE 'ok' END;
CREATE MACRO fraction_digits(parts) AS length(rtrim(struct_extract(parts, 'fraction'), '0'));
CREATE MACRO quantity_state(parts, rounded_value, is_float) AS CASE
    WHEN is_float THEN 'float'
    WHEN struct_extract(parts, 'whole') = '' AND struct_extract(parts, 'fraction') = '' THEN 'bad'
    WHEN struct_extract(parts, 'sign') = '-'
        AND (ltrim(struct_extract(parts, 'whole'), '0') <> '' OR fraction_digits(parts) > 0)
        THEN 'negative'
    WHEN fraction_digits(parts) > {QUANTITY_SCALE} THEN 'precision'
    WHEN rounded_value IS NULL THEN 'too_large'
    ELSE 'ok' END;
CREATE MACRO characteristics_state(value) AS CASE
    WHEN value IS NULL THEN 'ok'
    WHEN NOT json_valid(value) THEN 'not_object'
    WHEN json_type(value) <> 'OBJECT' THEN 'not_object'
    WHEN len(json_keys(value)) <> len(list_distinct(json_keys(value))) THEN 'repeated_key'
    WHEN len(list_filter(json_type(value, '$.*'), lambda kind: kind <> 'VARCHAR')) > 0
        THEN 'not_text_values'
    ELSE 'ok' END;
CREATE MACRO characteristics_map(value) AS CASE
    WHEN value IS NULL OR len(json_keys(value)) = 0 THEN NULL
    ELSE map_from_entries(list_sort(map_entries(CAST(value::JSON AS MAP(VARCHAR, VARCHAR))))) END;
"""


@dataclass(frozen=True, slots=True)
class _Check:
    """One rule: when `condition_sql` holds, the record is rejected for `reason` with the message."""

    reason: RejectReason
    condition_sql: str
    message_sql: str


def _missing_fields_sql() -> str:
    names = [
        f"CASE WHEN blank_to_null({field}) IS NULL THEN '{field}' END" for field in REQUIRED_FIELDS
    ]
    names.append(
        "CASE WHEN blank_to_null(circuit_id) IS NULL AND blank_to_null(service_id) IS NULL"
        " THEN 'circuit_id or service_id' END"
    )
    return f"concat_ws(', ', {', '.join(names)})"


def _timestamp_checks(field: str) -> tuple[_Check, ...]:
    present = f"blank_to_null({field}) IS NOT NULL"
    state = f"{field}_state"
    return (
        _Check(
            RejectReason.BAD_TIMESTAMP,
            f"{present} AND {state} = 'bad'",
            f"format('{field} ''{{}}'' is not an ISO 8601 date and time such as"
            f" 2024-03-01T10:00:00+02:00 (seconds to at most 6 decimals)', shown(trim({field})))",
        ),
        _Check(
            RejectReason.TIMESTAMP_WITHOUT_ZONE,
            f"{present} AND {state} = 'without_zone'",
            f"format('{field} ''{{}}'' has no UTC offset; add one (Z or +02:00), or name the"
            f" sender''s zone with assume_time_zone for this load', shown(trim({field})))",
        ),
    )


def _record_checks(*, check_circuits: bool) -> tuple[_Check, ...]:
    """Every check on a record alone, in the order they run."""
    circuit_checks = (
        _Check(
            RejectReason.UNKNOWN_CIRCUIT,
            "blank_to_null(circuit_id) IS NOT NULL AND known_circuit_id IS NULL",
            "format('circuit_id ''{}'' is not a known circuit; correct the id or add the circuit"
            " to the inventory before loading', shown(circuit_id))",
        ),
    )
    return (
        _Check(
            RejectReason.MALFORMED_RECORD,
            "malformed_problem = 'not_object'",
            "'this line is not a JSON object; write one record per line, such as"
            ' {"record_id": "r1", "source": "switch-a", ...}\'',
        ),
        _Check(
            RejectReason.MALFORMED_RECORD,
            "malformed_problem = 'repeated_field'",
            "'this line names a field more than once; give each field once'",
        ),
        _Check(
            RejectReason.MISSING_FIELD,
            "missing_fields <> ''",
            f"format('missing {{}}; every record needs {', '.join(REQUIRED_FIELDS)} and a"
            " circuit_id or service_id', missing_fields)",
        ),
        *_timestamp_checks("start_time"),
        *_timestamp_checks("end_time"),
        _Check(
            RejectReason.END_BEFORE_START,
            "end_instant < start_instant",
            "format('end_time ''{}'' is before start_time ''{}''; a record cannot end before it starts',"
            " trim(end_time), trim(start_time))",
        ),
        _Check(
            RejectReason.BAD_QUANTITY,
            "quantity_state = 'float'",
            "format('quantity ''{}'' arrived as a binary floating-point number, which cannot hold every"
            ' decimal exactly; send it as text ("0.1") or as a Parquet DECIMAL\', shown(quantity))',
        ),
        _Check(
            RejectReason.BAD_QUANTITY,
            "quantity_state = 'bad'",
            "format('quantity ''{}'' is not a decimal number such as 12 or 0.25',"
            " shown(trim(quantity)))",
        ),
        _Check(
            RejectReason.NEGATIVE_QUANTITY,
            "quantity_state = 'negative'",
            "format('quantity ''{}'' is negative; usage is zero or more, and a correction is billed"
            " as a credit, not as negative usage', shown(trim(quantity)))",
        ),
        _Check(
            RejectReason.QUANTITY_PRECISION,
            "quantity_state = 'precision'",
            f"format('quantity ''{{}}'' has {{}} decimals; at most {QUANTITY_SCALE} are stored exactly,"
            " so round it at the source', shown(trim(quantity)), fraction_digits(quantity_parts))",
        ),
        _Check(
            RejectReason.BAD_QUANTITY,
            "quantity_state = 'too_large'",
            f"format('quantity ''{{}}'' is too large; at most {QUANTITY_INTEGER_DIGITS_MAX} digits"
            " before the decimal point', shown(trim(quantity)))",
        ),
        _Check(
            RejectReason.BAD_CHARACTERISTICS,
            "characteristics_state = 'not_object'",
            "format('characteristics ''{}'' is not a JSON object such as {{\"site\": \"LON1\"}}',"
            " shown(characteristics))",
        ),
        _Check(
            RejectReason.BAD_CHARACTERISTICS,
            "characteristics_state = 'repeated_key'",
            "format('characteristics ''{}'' names a key more than once; give each key once',"
            " shown(characteristics))",
        ),
        _Check(
            RejectReason.BAD_CHARACTERISTICS,
            "characteristics_state = 'not_text_values'",
            "format('characteristics ''{}'' has values that are not text; quote every value, such as"
            ' {{"tier": "2"}}\', shown(characteristics))',
        ),
        *(circuit_checks if check_circuits else ()),
    )


def _rejection_sql(checks: tuple[_Check, ...]) -> str:
    branches = "\n".join(
        f"WHEN {check.condition_sql} THEN"
        f" {{'reason': '{check.reason.value}', 'message': {check.message_sql}}}"
        for check in checks
    )
    return f"CASE {branches} END"


def _judge_sql(*, assume_time_zone: str | None, check_circuits: bool) -> str:
    """Parse each field once, name each field's state, then pick the first failing check."""
    zone = "NULL" if assume_time_zone is None else sql_text(assume_time_zone)
    circuit_column, circuit_join = (
        (
            ", known_circuit.known_circuit_id",
            "LEFT JOIN known_circuit ON known_circuit.known_circuit_id = raw_record.circuit_id",
        )
        if check_circuits
        else ("", "")
    )
    text_columns = ", ".join(f"blank_to_null({field}) AS {field}" for field in _TEXT_FIELDS)
    # The cast to DECIMAL(38, 9) rounds beyond 9 decimals, so `rounded_quantity` is stored only
    # when the quantity's state is 'ok': then it has at most 9 decimals and the cast kept them all.
    return f"""
        CREATE TABLE judged AS
        WITH parsed AS (
            SELECT raw_record.*{circuit_column}, CAST({zone} AS VARCHAR) AS assumed_zone,
                   regexp_extract(trim(start_time), '{TIMESTAMP_PATTERN}', {TIMESTAMP_PARTS})
                       AS start_time_parts,
                   regexp_extract(trim(end_time), '{TIMESTAMP_PATTERN}', {TIMESTAMP_PARTS})
                       AS end_time_parts,
                   regexp_extract(trim(quantity), '{QUANTITY_PATTERN}', {QUANTITY_PARTS})
                       AS quantity_parts,
                   try_cast(trim(quantity) AS {QUANTITY_TYPE}) AS rounded_quantity,
                   blank_to_null(characteristics) AS characteristics_text
            FROM raw_record {circuit_join}
        ),
        instants AS (
            SELECT *,
                   instant(start_time, start_time_parts, assumed_zone) AS start_instant,
                   instant(end_time, end_time_parts, assumed_zone) AS end_instant
            FROM parsed
        ),
        assessed AS (
            SELECT *,
                   timestamp_state(start_time_parts, start_instant, assumed_zone)
                       AS start_time_state,
                   timestamp_state(end_time_parts, end_instant, assumed_zone) AS end_time_state,
                   quantity_state(quantity_parts, rounded_quantity, quantity_is_float)
                       AS quantity_state,
                   characteristics_state(characteristics_text) AS characteristics_state,
                   {_missing_fields_sql()} AS missing_fields
            FROM instants
        )
        SELECT file_index, source_file, source_row, {text_columns},
               start_instant AS start_time, end_instant AS end_time,
               CASE WHEN quantity_state = 'ok' THEN rounded_quantity END AS quantity,
               CASE WHEN characteristics_state = 'ok'
                   THEN characteristics_map(characteristics_text) END AS characteristics,
               {_rejection_sql(_record_checks(check_circuits=check_circuits))} AS rejection
        FROM assessed
    """


def _differences_sql() -> str:
    """The content columns in which a record differs from the stored one with its key."""
    names = [
        f"CASE WHEN ranked.{column} IS DISTINCT FROM stored.{column} THEN '{column}' END"
        for column, _ in CONTENT_COLUMNS
    ]
    return f"concat_ws(', ', {', '.join(names)})"


def _deduplicate_sql(stored_usage_sql: str) -> str:
    """Rejects a key seen earlier in the load, then a key already stored (identical or not)."""
    differences = _differences_sql()
    return f"""
        CREATE TABLE outcome AS
        WITH ranked AS (
            SELECT *,
                   row_number() OVER key_window AS occurrence,
                   first_value(source_file) OVER key_window AS first_file,
                   first_value(source_row) OVER key_window AS first_row
            FROM judged
            WINDOW key_window AS (
                PARTITION BY source, record_id, rejection IS NULL ORDER BY file_index, source_row)
        )
        SELECT ranked.* EXCLUDE (rejection, occurrence, first_file, first_row),
            CASE
            WHEN ranked.rejection IS NOT NULL THEN ranked.rejection
            WHEN occurrence > 1 THEN {{
                'reason': '{RejectReason.DUPLICATE_IN_LOAD.value}',
                'message': format('same source and record_id as {{}} row {{}} earlier in this load;'
                    ' only the first is kept', first_file, first_row)}}
            WHEN stored.record_id IS NULL THEN NULL
            WHEN {differences} = '' THEN {{
                'reason': '{RejectReason.DUPLICATE_RECORD.value}',
                'message': format('already stored by load {{}} (period {{}}) with the same content;'
                    ' not billed twice', stored.load_id, stored.period)}}
            ELSE {{
                'reason': '{RejectReason.CONFLICTING_DUPLICATE.value}',
                'message': format('already stored by load {{}} (period {{}}) with a different {{}};'
                    ' the stored record stands, so send a change as a new record_id',
                    stored.load_id, stored.period, {differences})}}
            END AS rejection
        FROM ranked
        LEFT JOIN ({stored_usage_sql}) AS stored
            ON ranked.rejection IS NULL AND ranked.occurrence = 1
            AND stored.source = ranked.source AND stored.record_id = ranked.record_id
    """


def classify_records(
    connection: duckdb.DuckDBPyConnection,
    *,
    stored_usage_sql: str,
    assume_time_zone: str | None,
    check_circuits: bool,
) -> None:
    """Build the table `outcome` from `raw_record` (and `known_circuit` when `check_circuits`).

    `stored_usage_sql` is a query over every committed usage record, with its `period`.
    """
    connection.execute(_MACROS_SQL)
    connection.execute(_judge_sql(assume_time_zone=assume_time_zone, check_circuits=check_circuits))
    connection.execute(_deduplicate_sql(stored_usage_sql))
    counts = connection.execute(
        "SELECT (SELECT count(*) FROM raw_record), (SELECT count(*) FROM outcome)"
    ).fetchone()
    assert counts is not None and counts[0] == counts[1], f"records lost in judging: {counts}"
