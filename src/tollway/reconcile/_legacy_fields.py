"""Field checks on staged legacy files, one vectorised SQL statement per column.

Each column's value is judged by its kind (an id, a date, a decimal, a currency, ...) in DuckDB:
the reason code and a message naming the value are computed for every row at once, and every
problem becomes a row of the table `issue`. Rows that pass every field check are converted into
`typed_<name>` (dates as DATE, amounts as DECIMAL(38, 9), never DOUBLE) for the row and cross-file
checks.
"""

from typing import Final

import duckdb

from tollway.money import all_currencies
from tollway.reconcile._legacy_duckdb import sql_list, sql_name, sql_text
from tollway.reconcile._legacy_format import (
    DECIMAL_INTEGER_DIGITS_MAX,
    DECIMAL_PLACES_MAX,
    ID_LENGTH_MAX,
    VALUE_SHOWN_CHARACTERS_MAX,
    ColumnKind,
    ColumnSpec,
    IssueCode,
)
from tollway.reconcile._legacy_read import StagedFile
from tollway.reconcile._tables import CrosswalkEntity, LineChargeType

DECIMAL_PATTERN: Final = (
    rf"-?[0-9]{{1,{DECIMAL_INTEGER_DIGITS_MAX}}}(\.[0-9]{{1,{DECIMAL_PLACES_MAX}}})?"
)
DATE_PATTERN: Final = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

_ALLOWED_VALUES: Final = {
    ColumnKind.CURRENCY: (
        IssueCode.UNKNOWN_CURRENCY,
        [found.code for found in all_currencies()],
        "an active ISO 4217 currency code in capitals, such as USD",
    ),
    ColumnKind.CHARGE_TYPE: (
        IssueCode.UNKNOWN_CHARGE_TYPE,
        [member.value for member in LineChargeType],
        "one of " + ", ".join(member.value for member in LineChargeType),
    ),
    ColumnKind.ENTITY: (
        IssueCode.UNKNOWN_ENTITY,
        [member.value for member in CrosswalkEntity],
        "one of " + ", ".join(member.value for member in CrosswalkEntity),
    ),
}


def check_fields(connection: duckdb.DuckDBPyConnection, staged: StagedFile) -> None:
    """Record the malformed records, then every bad field, of one staged file in `issue`."""
    connection.execute(
        f"""INSERT INTO issue
        SELECT {staged.order}, {sql_text(staged.file_name)}, row, NULL, NULL, malformed,
               malformed_message, 'error'
        FROM {staged.raw_table} WHERE malformed IS NOT NULL"""
    )
    if staged.rejected_whole:
        return
    checked = [
        (field_order, column)
        for field_order, column in enumerate(staged.spec.columns)
        if column.name in staged.columns or column.required
    ]
    for _, column in checked:
        # Macros keep each column's check readable as SQL over `value`; DuckDB inlines them.
        code_macro, message_macro = _macro_names(staged, column)
        connection.execute(
            f"CREATE TEMPORARY MACRO {code_macro}(value, json_type) AS {_code_sql(column)}"
        )
        connection.execute(
            f"CREATE TEMPORARY MACRO {message_macro}(value, code) AS {_message_sql(column)}"
        )
    connection.execute(_field_issues_sql(staged, checked))


def _macro_names(staged: StagedFile, column: ColumnSpec) -> tuple[str, str]:
    return f"code_{staged.spec.name}_{column.name}", f"message_{staged.spec.name}_{column.name}"


def _field_issues_sql(staged: StagedFile, checked: list[tuple[int, ColumnSpec]]) -> str:
    """One pass over the file computes every column's code; messages only for rows at fault."""
    codes, problems = [], []
    for field_order, column in checked:
        code_macro, message_macro = _macro_names(staged, column)
        value, json_type = sql_name(column.name), sql_name(column.name + "__type")
        code = f"code_{field_order}"
        codes.append(f"{code_macro}({value}, {json_type}) AS {code}")
        problems.append(
            f"""{{'field_order': {field_order}, 'field': {sql_text(column.name)}, 'code': {code},
                 'message': CASE WHEN {code} IS NOT NULL THEN {message_macro}({value}, {code}) END}}"""
        )
    any_problem = " OR ".join(f"code_{field_order} IS NOT NULL" for field_order, _ in checked)
    return f"""INSERT INTO issue
        SELECT {staged.order}, {sql_text(staged.file_name)}, row, problem.field_order,
               problem.field, problem.code, problem.message, 'error'
        FROM (
            SELECT row, unnest([{", ".join(problems)}]) AS problem
            FROM (
                SELECT *, {", ".join(codes)} FROM {staged.raw_table} WHERE malformed IS NULL
            )
            WHERE {any_problem}
        )
        WHERE problem.code IS NOT NULL"""


def create_typed(connection: duckdb.DuckDBPyConnection, staged: StagedFile) -> None:
    """`typed_<name>`: the rows without an error so far, each column as its type."""
    columns = ", ".join(
        f"{_typed_sql(column)} AS {sql_name(column.name)}" for column in staged.spec.columns
    )
    keep = "false" if staged.rejected_whole else "malformed IS NULL"
    connection.execute(
        f"""CREATE TABLE typed_{staged.spec.name} AS
        SELECT row, {columns}
        FROM {staged.raw_table} AS raw
        ANTI JOIN (
            SELECT row FROM issue
            WHERE file_order = {staged.order} AND severity = 'error' AND row IS NOT NULL
        ) AS rejected USING (row)
        WHERE {keep}"""
    )


def _code_sql(column: ColumnSpec) -> str:
    """The IssueCode of `value` (null when fine), reading `value` and its `json_type`."""
    if column.kind is ColumnKind.TEXT:
        empty = "THEN NULL"
    else:
        code = IssueCode.MISSING_VALUE.value if column.required else None
        empty = f"THEN '{code}'" if code else "THEN NULL"
    empty_test = "value IS NULL" if column.kind is ColumnKind.TEXT else "coalesce(value, '') = ''"
    return f"""CASE
        WHEN json_type IN ('OBJECT', 'ARRAY') THEN '{IssueCode.BAD_VALUE.value}'
        WHEN json_type = 'DOUBLE' THEN '{IssueCode.FLOAT_IN_JSON.value}'
        WHEN {empty_test} {empty}
        {_kind_check_sql(column.kind)}
        END"""


def _kind_check_sql(kind: ColumnKind) -> str:
    if kind is ColumnKind.ID:
        return (
            f"WHEN value <> trim(value) OR length(value) > {ID_LENGTH_MAX}"
            f" THEN '{IssueCode.BAD_ID.value}'"
        )
    if kind is ColumnKind.DATE:
        return (
            f"WHEN NOT regexp_full_match(value, '{DATE_PATTERN}') OR left(value, 4) = '0000'"
            f" OR TRY_CAST(value AS DATE) IS NULL THEN '{IssueCode.BAD_DATE.value}'"
        )
    if kind is ColumnKind.DECIMAL:
        return (
            f"WHEN NOT regexp_full_match(value, '{DECIMAL_PATTERN}')"
            f" THEN '{IssueCode.BAD_DECIMAL.value}'"
        )
    if kind is ColumnKind.BOOLEAN:
        return f"WHEN value NOT IN ('true', 'false') THEN '{IssueCode.BAD_BOOLEAN.value}'"
    if kind in _ALLOWED_VALUES:
        code, allowed, _ = _ALLOWED_VALUES[kind]
        return f"WHEN value NOT IN {sql_list(allowed)} THEN '{code.value}'"
    assert kind is ColumnKind.TEXT, f"no check for {kind}"
    return ""


def _message_sql(column: ColumnSpec) -> str:
    shown = (
        f"'\"' || left(value, {VALUE_SHOWN_CHARACTERS_MAX})"
        f" || CASE WHEN length(value) > {VALUE_SHOWN_CHARACTERS_MAX} THEN '…\"' ELSE '\"' END"
    )
    name = column.name
    messages = {
        IssueCode.BAD_VALUE: f"'{name}: a JSON object or array where one value belongs'",
        IssueCode.FLOAT_IN_JSON: (
            f"'{name}: a JSON number with a fraction, an exponent or more than 19 digits (read"
            " as ' || value || ') is a binary float to JSON parsers; write it as a string, such"
            ' as "12.50"\''
        ),
        IssueCode.MISSING_VALUE: f"'{name}: required, but empty'",
        IssueCode.BAD_ID: (
            f"'{name}: ' || {shown} || ' has leading or trailing spaces or is longer than"
            f" {ID_LENGTH_MAX} characters'"
        ),
        IssueCode.BAD_DATE: f"'{name}: ' || {shown} || ' is not a date written YYYY-MM-DD'",
        IssueCode.BAD_DECIMAL: (
            f"'{name}: ' || {shown} || ' is not a decimal such as -1234.50 (at most"
            f" {DECIMAL_INTEGER_DIGITS_MAX} digits before the point and {DECIMAL_PLACES_MAX}"
            " after; no exponent, spaces, plus sign or thousands separators)'"
        ),
        IssueCode.BAD_BOOLEAN: f"'{name}: ' || {shown} || ' is not true or false'",
    }
    for code, _, wanted in _ALLOWED_VALUES.values():
        messages[code] = f"'{name}: ' || {shown} || ' is not {wanted}'"
    cases = "\n".join(f"WHEN '{code.value}' THEN {sql}" for code, sql in messages.items())
    return f"CASE code {cases} END"


def _typed_sql(column: ColumnSpec) -> str:
    value = sql_name(column.name)
    if column.kind is ColumnKind.DATE:
        return f"TRY_CAST({value} AS DATE)"
    if column.kind is ColumnKind.DECIMAL:
        return f"TRY_CAST({value} AS DECIMAL(38, 9))"
    if column.kind is ColumnKind.BOOLEAN:
        return f"coalesce({value} = 'true', false)"
    if column.kind is ColumnKind.TEXT:
        return f"coalesce({value}, '')"
    return f"NULLIF({value}, '')"
