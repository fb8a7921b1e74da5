"""The rules a sent record must pass, as SQL: each is a condition and the message a person reads.

A record gets the first rule that fails, in the order of `RejectReason`. The rules read named
states (`start_time_state`, `quantity_state`, ...) that the judge computes per field, from text or
from typed columns (`tollway.usage._judge`); the messages quote the value as sent, as text, through
a `FieldReading`, so the same bad record gets the same message whatever its file's format.
"""

from dataclasses import dataclass

from tollway.usage._record import QUANTITY_SCALE, REQUIRED_FIELDS
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

# Small named functions over one sent field; DuckDB inlines them into the set-wide queries. Each
# test that could fail on bad input (a cast, json_type) sits in its own CASE branch, reached only
# by rows that passed the branches before it. `trim` removes spaces, Unicode ones included, but no
# other ASCII character: a value starting with a printable ASCII character is not blank, and only
# the others are trimmed to find out.
MACROS_SQL = f"""
CREATE MACRO blank_to_null(value) AS CASE
    WHEN ascii(value) BETWEEN 33 AND 127 THEN value
    WHEN trim(value) = '' THEN NULL
    ELSE value END;
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
CREATE MACRO utc_text(instant_value) AS
    CAST(make_timestamp(epoch_us(instant_value)) AS VARCHAR) || '+00';
CREATE MACRO quantity_text(quantity_value) AS CASE
    WHEN quantity_value BETWEEN -999999999.999999999 AND 999999999.999999999
        THEN CAST(CAST(quantity_value AS DECIMAL(18, {QUANTITY_SCALE})) AS VARCHAR)
    ELSE CAST(quantity_value AS VARCHAR) END;
"""
"""`utc_text` prints an instant as DuckDB prints a TIMESTAMPTZ in UTC (years 1 to 9999), without
going through the time zone library: `2024-03-05 09:00:00+00`. `quantity_text` prints a stored
quantity as DuckDB prints a DECIMAL(38, 9), through 64-bit integers where it fits in them."""


@dataclass(frozen=True, slots=True)
class FieldReading:
    """How the judge reads one of start_time, end_time and quantity from its column, as SQL.

    `parsed_sql` adds columns to the `parsed` step (may be empty); `value_sql` is the typed value
    (an instant, a DECIMAL(38, 9) quantity), NULL where it cannot be had; `state_sql` names the
    field's state from it ('ok', 'bad', ...); `absent_sql` holds when the field was not sent;
    `text_sql` is the sent value as trimmed text and `raw_text_sql` as sent, both only evaluated
    for the messages of rejected records; `sent_sql` is the text the rejects keep, NULL where
    the stored value prints back to exactly what was sent.
    """

    parsed_sql: tuple[str, ...]
    value_sql: str
    state_sql: str
    absent_sql: str
    text_sql: str
    raw_text_sql: str
    sent_sql: str
    fraction_digits_sql: str = "0"


@dataclass(frozen=True, slots=True)
class Check:
    """One rule: when `condition_sql` holds, the record is rejected for `reason` with the message."""

    reason: RejectReason
    condition_sql: str
    message_sql: str


def missing_field_check(absent_sql: dict[str, str]) -> Check:
    """The check that every required field was sent, naming those that were not.

    `absent_sql` holds, for every field, a condition that holds when the field was not sent.
    The names are only put together for the records that miss one.
    """
    either = f"({absent_sql['circuit_id']} AND {absent_sql['service_id']})"
    condition = " OR ".join([*(absent_sql[field] for field in REQUIRED_FIELDS), either])
    names = [f"CASE WHEN {absent_sql[field]} THEN '{field}' END" for field in REQUIRED_FIELDS]
    names.append(f"CASE WHEN {either} THEN 'circuit_id or service_id' END")
    return Check(
        RejectReason.MISSING_FIELD,
        f"({condition})",
        f"format('missing {{}}; every record needs {', '.join(REQUIRED_FIELDS)} and a"
        f" circuit_id or service_id', concat_ws(', ', {', '.join(names)}))",
    )


def _timestamp_checks(field: str, reading: FieldReading) -> tuple[Check, ...]:
    present = f"NOT ({reading.absent_sql})"
    state = f"{field}_state"
    return (
        Check(
            RejectReason.BAD_TIMESTAMP,
            f"{present} AND {state} = 'bad'",
            f"format('{field} ''{{}}'' is not an ISO 8601 date and time such as"
            f" 2024-03-01T10:00:00+02:00 (seconds to at most 6 decimals)',"
            f" shown({reading.text_sql}))",
        ),
        Check(
            RejectReason.TIMESTAMP_WITHOUT_ZONE,
            f"{present} AND {state} = 'without_zone'",
            f"format('{field} ''{{}}'' has no UTC offset; add one (Z or +02:00), or name the"
            f" sender''s zone with assume_time_zone for this load', shown({reading.text_sql}))",
        ),
    )


def _quantity_checks(quantity: FieldReading) -> tuple[Check, ...]:
    return (
        Check(
            RejectReason.BAD_QUANTITY,
            "quantity_state = 'float'",
            "format('quantity ''{}'' arrived as a binary floating-point number, which cannot hold"
            ' every decimal exactly; send it as text ("0.1") or as a Parquet DECIMAL\','
            f" shown({quantity.raw_text_sql}))",
        ),
        Check(
            RejectReason.BAD_QUANTITY,
            "quantity_state = 'bad'",
            "format('quantity ''{}'' is not a decimal number such as 12 or 0.25',"
            f" shown({quantity.text_sql}))",
        ),
        Check(
            RejectReason.NEGATIVE_QUANTITY,
            "quantity_state = 'negative'",
            "format('quantity ''{}'' is negative; usage is zero or more, and a correction is"
            f" billed as a credit, not as negative usage', shown({quantity.text_sql}))",
        ),
        Check(
            RejectReason.QUANTITY_PRECISION,
            "quantity_state = 'precision'",
            f"format('quantity ''{{}}'' has {{}} decimals; at most {QUANTITY_SCALE} are stored"
            f" exactly, so round it at the source', shown({quantity.text_sql}),"
            f" {quantity.fraction_digits_sql})",
        ),
        Check(
            RejectReason.BAD_QUANTITY,
            "quantity_state = 'too_large'",
            f"format('quantity ''{{}}'' is too large; at most {QUANTITY_INTEGER_DIGITS_MAX} digits"
            f" before the decimal point', shown({quantity.text_sql}))",
        ),
    )


_CHARACTERISTICS_CHECKS = (
    Check(
        RejectReason.BAD_CHARACTERISTICS,
        "characteristics_state = 'not_object'",
        "format('characteristics ''{}'' is not a JSON object such as {{\"site\": \"LON1\"}}',"
        " shown(characteristics))",
    ),
    Check(
        RejectReason.BAD_CHARACTERISTICS,
        "characteristics_state = 'repeated_key'",
        "format('characteristics ''{}'' names a key more than once; give each key once',"
        " shown(characteristics))",
    ),
    Check(
        RejectReason.BAD_CHARACTERISTICS,
        "characteristics_state = 'not_text_values'",
        "format('characteristics ''{}'' has values that are not text; quote every value, such as"
        ' {{"tier": "2"}}\', shown(characteristics))',
    ),
)

_MALFORMED_CHECKS = (
    Check(
        RejectReason.MALFORMED_RECORD,
        "malformed_problem = 'not_object'",
        "'this line is not a JSON object; write one record per line, such as"
        ' {"record_id": "r1", "source": "switch-a", ...}\'',
    ),
    Check(
        RejectReason.MALFORMED_RECORD,
        "malformed_problem = 'repeated_field'",
        "'this line names a field more than once; give each field once'",
    ),
)

_UNKNOWN_CIRCUIT_CHECK = Check(
    RejectReason.UNKNOWN_CIRCUIT,
    "kept_circuit_id IS NOT NULL AND known_circuit_id IS NULL",
    "format('circuit_id ''{}'' is not a known circuit; correct the id or add the circuit"
    " to the inventory before loading', shown(circuit_id))",
)


def record_checks(
    readings: dict[str, FieldReading], *, text_absent_sql: dict[str, str], check_circuits: bool
) -> tuple[Check, ...]:
    """Every check on a record alone, in the order they run.

    `readings` holds the readings of start_time, end_time and quantity, `text_absent_sql` when
    each text field counts as not sent. The checks read each field's `<field>_state`, and
    `kept_circuit_id` (the circuit_id, NULL when blank) and `known_circuit_id` for circuits.
    """
    start, end = readings["start_time"], readings["end_time"]
    absent = text_absent_sql | {field: reading.absent_sql for field, reading in readings.items()}
    return (
        *_MALFORMED_CHECKS,
        missing_field_check(absent),
        *_timestamp_checks("start_time", start),
        *_timestamp_checks("end_time", end),
        Check(
            RejectReason.END_BEFORE_START,
            "end_time_value < start_time_value",
            "format('end_time ''{}'' is before start_time ''{}''; a record cannot end before it"
            f" starts', {end.text_sql}, {start.text_sql})",
        ),
        *_quantity_checks(readings["quantity"]),
        *_CHARACTERISTICS_CHECKS,
        *((_UNKNOWN_CIRCUIT_CHECK,) if check_circuits else ()),
    )


def rejection_sql(checks: tuple[Check, ...]) -> str:
    """A CASE giving the first failing check's {reason, message}, NULL when every check passes."""
    branches = "\n".join(
        f"WHEN {check.condition_sql} THEN"
        f" {{'reason': '{check.reason.value}', 'message': {check.message_sql}}}"
        for check in checks
    )
    return f"CASE {branches} END"
