"""Reading usage files: one query per file giving its records as sent, whole files at a time.

Nothing is interpreted before validation: a quantity is never parsed as a float, a timestamp never
silently given a zone. CSV and JSON Lines fields are read as text. A Parquet column whose type
already says what the field is (a DECIMAL or integer quantity, a TIMESTAMP WITH TIME ZONE time) is
passed on typed, and judged as such (`tollway.usage._judge`); every other column is read as text,
as it prints. Each file's query gives one row per submitted record with where it came from (file,
row) and its fields.
"""

import csv
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tollway.usage._duckdb import sql_text
from tollway.usage._errors import UsageFileError
from tollway.usage._record import QUANTITY_SCALE, RECORD_FIELDS

CSV_SUFFIXES = (".csv",)
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
KNOWN_SUFFIXES = CSV_SUFFIXES + JSON_LINES_SUFFIXES + PARQUET_SUFFIXES

ERROR_LINES_MAX = 3
"""Lines of a DuckDB error message kept in a file error: the part that names the line and problem."""

FLOAT_COLUMN_TYPES = ("FLOAT", "DOUBLE")
TEXT_TYPE = "VARCHAR"
TYPED_TIME_TYPE = "TIMESTAMP WITH TIME ZONE"
TYPED_INTEGER_TYPES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
)  # fmt: skip
_DECIMAL_TYPE = re.compile(r"DECIMAL\((\d+),(\d+)\)")

_MALFORMED_PROBLEM_SQL = """CASE
    WHEN NOT json_valid(line) THEN 'not_object'
    WHEN json_type(line) <> 'OBJECT' THEN 'not_object'
    WHEN len(json_keys(line)) <> len(list_distinct(json_keys(line))) THEN 'repeated_field'
    END"""

# CSV is read with a fixed dialect and the header's columns: sniffing could pick another delimiter,
# take a line starting with '#' for a comment and drop a record without a word, or fail on a broken
# line with a message that does not name it.
_CSV_OPTIONS = (
    "auto_detect = false, header = true, delim = ',', quote = '\"', escape = '\"', comment = ''"
)


@dataclass(frozen=True, slots=True)
class SentFile:
    """One usage file's records as sent: a query, and the DuckDB type of each field it gives.

    The query's columns: file_index, source_file, source_row, raw_line, malformed_problem,
    quantity_is_float, then every field of `RECORD_FIELDS`, as text (`TEXT_TYPE`) or typed.
    `numbered_in_order` says the query numbers its rows as it reads them (a window over the whole
    file, which runs on one thread): whatever is done with its rows had better run on a table.
    """

    select_sql: str
    field_types: dict[str, str]
    numbered_in_order: bool = False


def is_typed_quantity(column_type: str) -> bool:
    """Whether a quantity column of this type is judged as a number, not as text.

    Integers and DECIMALs with at most 9 decimals fit a stored quantity as they are; a DECIMAL
    with more decimals is read as text, where its extra decimals are checked.

    >>> [is_typed_quantity(name) for name in ("DECIMAL(38,9)", "BIGINT", "DECIMAL(38,10)")]
    [True, True, False]
    """
    decimal = _DECIMAL_TYPE.fullmatch(column_type)
    if decimal is not None:
        return int(decimal.group(2)) <= QUANTITY_SCALE
    return column_type in TYPED_INTEGER_TYPES


def sent_file(connection: duckdb.DuckDBPyConnection, path: Path, *, file_index: int) -> SentFile:
    """The query over one usage file's records as sent; refuses a file that cannot be read."""
    if not path.is_file():
        raise UsageFileError(str(path), "no such file")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _csv_select_sql(path, file_index=file_index)
    if suffix in JSON_LINES_SUFFIXES:
        return _json_lines_select_sql(connection, path, file_index=file_index)
    if suffix in PARQUET_SUFFIXES:
        return _parquet_select_sql(connection, path, file_index=file_index)
    raise UsageFileError(path.name, f"unknown format; use one of {', '.join(KNOWN_SUFFIXES)}")


def _csv_select_sql(path: Path, *, file_index: int) -> SentFile:
    header = _csv_header(path)
    _refuse_unknown_columns(path, header)
    columns = ", ".join(f"{sql_text(name)}: 'VARCHAR'" for name in header)
    source = f"read_csv({sql_text(str(path))}, {_CSV_OPTIONS}, columns = {{{columns}}})"
    fields = [_text_field_sql(field, present=field in header) for field in RECORD_FIELDS]
    # row_number() OVER () runs as a streaming window that keeps the file's order: the n-th record
    # after the header is row n.
    select_sql = f"""
        SELECT {_origin_sql(path, file_index)}, row_number() OVER () AS source_row,
               NULL::VARCHAR AS raw_line, NULL::VARCHAR AS malformed_problem,
               false AS quantity_is_float, {", ".join(fields)}
        FROM {source}
    """
    return SentFile(select_sql, dict.fromkeys(RECORD_FIELDS, TEXT_TYPE), numbered_in_order=True)


def _origin_sql(path: Path, file_index: int) -> str:
    return f"{file_index}::INTEGER AS file_index, {sql_text(path.name)} AS source_file"


def _text_field_sql(field: str, *, present: bool) -> str:
    return f'"{field}"' if present else f"NULL::VARCHAR AS {field}"


def _csv_header(path: Path) -> list[str]:
    """The column names in the file's first record (one record read, whatever the file's size)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            header = next(csv.reader(file, strict=True), [])
    except UnicodeDecodeError as error:
        raise UsageFileError(path.name, f"is not UTF-8 text: {error}") from error
    except csv.Error as error:
        raise UsageFileError(path.name, f"has no readable CSV header row: {error}") from error
    if not header:
        raise UsageFileError(path.name, "is empty; a CSV usage file starts with a header row")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise UsageFileError(path.name, f"column(s) {', '.join(repeated)} appear more than once")
    return header


def _json_lines_select_sql(
    connection: duckdb.DuckDBPyConnection, path: Path, *, file_index: int
) -> SentFile:
    # Nested CASE, not AND: a branch runs only on the rows that reach it, so json_type and the
    # cast never see a line that is not JSON.
    lines_sql = f"""
        SELECT line_number, line, malformed_problem,
               CASE WHEN malformed_problem IS NULL THEN line::JSON END AS record
        FROM (SELECT *, {_MALFORMED_PROBLEM_SQL} AS malformed_problem FROM (
            SELECT generate_subscripts(lines, 1) AS line_number, rtrim(unnest(lines), chr(13)) AS line
            FROM (SELECT string_split(content, chr(10)) AS lines FROM read_text({sql_text(str(path))}))
        ))
        WHERE trim(line) <> ''
    """
    keys_sql = f"SELECT DISTINCT unnest(json_keys(record)) FROM ({lines_sql})"
    keys = {row[0] for row in run_on_file(connection, path, keys_sql).fetchall()}
    _refuse_unknown_columns(path, keys)
    fields = [f"{_json_field_sql(field)} AS {field}" for field in RECORD_FIELDS]
    # A JSON number with a fraction or an exponent has already become a binary float (DOUBLE) in
    # the parser; only JSON strings and integers reach the quantity exactly.
    quantity_is_float = "coalesce(json_type(record, '$.quantity') = 'DOUBLE', false)"
    select_sql = f"""
        SELECT {_origin_sql(path, file_index)}, line_number AS source_row, line AS raw_line,
               malformed_problem, {quantity_is_float} AS quantity_is_float, {", ".join(fields)}
        FROM ({lines_sql})
    """
    return SentFile(select_sql, dict.fromkeys(RECORD_FIELDS, TEXT_TYPE), numbered_in_order=True)


def _json_field_sql(field: str) -> str:
    if field == "characteristics":
        # Kept as JSON text (an object, or whatever else was sent, to be judged); null is absent.
        return f"CASE WHEN json_type(record, '$.{field}') <> 'NULL' THEN record -> '$.{field}' END"
    return f"record ->> '$.{field}'"


def _parquet_select_sql(
    connection: duckdb.DuckDBPyConnection, path: Path, *, file_index: int
) -> SentFile:
    source = f"read_parquet({sql_text(str(path))}, file_row_number = true)"
    columns = _column_types(connection, path, f"read_parquet({sql_text(str(path))})")
    _refuse_unknown_columns(path, columns)
    field_types = {field: _sent_type(field, columns.get(field)) for field in RECORD_FIELDS}
    fields = [
        _parquet_field_sql(field, columns.get(field), typed=field_types[field] != TEXT_TYPE)
        for field in RECORD_FIELDS
    ]
    quantity_is_float = "true" if columns.get("quantity") in FLOAT_COLUMN_TYPES else "false"
    select_sql = f"""
        SELECT {_origin_sql(path, file_index)}, file_row_number + 1 AS source_row,
               NULL::VARCHAR AS raw_line, NULL::VARCHAR AS malformed_problem,
               {quantity_is_float} AS quantity_is_float, {", ".join(fields)}
        FROM {source}
    """
    return SentFile(select_sql, field_types)


def _sent_type(field: str, column_type: str | None) -> str:
    """The type a Parquet column is passed on with: its own where it is judged typed, else text."""
    if column_type is None:
        return TEXT_TYPE
    if field in ("start_time", "end_time") and column_type == TYPED_TIME_TYPE:
        return column_type
    if field == "quantity" and is_typed_quantity(column_type):
        return column_type
    return TEXT_TYPE


def _parquet_field_sql(field: str, column_type: str | None, *, typed: bool) -> str:
    if column_type is None:
        return f"NULL::VARCHAR AS {field}"
    if typed or column_type == TEXT_TYPE:
        return f'"{field}"'
    if column_type.startswith(("MAP", "STRUCT")):
        return f'to_json("{field}")::VARCHAR AS {field}'
    # A DECIMAL prints every stored digit; a TIMESTAMP WITH TIME ZONE prints in UTC with its
    # offset; a TIMESTAMP without one prints without, and is judged as such.
    return f'CAST("{field}" AS VARCHAR) AS {field}'


def _column_types(connection: duckdb.DuckDBPyConnection, path: Path, source: str) -> dict[str, str]:
    rows = run_on_file(connection, path, f"DESCRIBE SELECT * FROM {source}").fetchall()
    return {str(row[0]): str(row[1]) for row in rows}


def _refuse_unknown_columns(path: Path, columns: Collection[str]) -> None:
    unknown = sorted(set(columns) - set(RECORD_FIELDS))
    if unknown:
        raise UsageFileError(
            path.name,
            f"unknown column(s) {', '.join(unknown)}; a usage record has only"
            f" {', '.join(RECORD_FIELDS)} (docs/usage-records.md)",
        )


def run_on_file(
    connection: duckdb.DuckDBPyConnection, path: Path, sql: str
) -> duckdb.DuckDBPyConnection:
    """Run `sql`, turning DuckDB's complaint about the file into an error that names the file."""
    try:
        return connection.execute(sql)
    except duckdb.IOException as error:
        raise UsageFileError(path.name, f"cannot be read: {_first_lines(error)}") from error
    except duckdb.InvalidInputException as error:
        raise UsageFileError(path.name, f"is not well formed: {_first_lines(error)}") from error


def _first_lines(error: duckdb.Error) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " / ".join(lines[:ERROR_LINES_MAX])
