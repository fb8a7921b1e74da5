"""Reading usage files into one staging table of raw text fields, whole files at a time.

Every field is read as text so that nothing is interpreted before validation: a quantity is never
parsed as a float, a timestamp never silently given a zone. The staging table `raw_record` holds one
row per submitted record with where it came from (file, row) and its fields as sent.
"""

import csv
from collections.abc import Collection, Sequence
from pathlib import Path

import duckdb

from tollway.usage._duckdb import sql_text
from tollway.usage._errors import UsageFileError
from tollway.usage._record import RECORD_FIELDS

CSV_SUFFIXES = (".csv",)
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
KNOWN_SUFFIXES = CSV_SUFFIXES + JSON_LINES_SUFFIXES + PARQUET_SUFFIXES

ERROR_LINES_MAX = 3
"""Lines of a DuckDB error message kept in a file error: the part that names the line and problem."""

FLOAT_COLUMN_TYPES = ("FLOAT", "DOUBLE")

_MALFORMED_PROBLEM_SQL = """CASE
    WHEN NOT json_valid(line) THEN 'not_object'
    WHEN json_type(line) <> 'OBJECT' THEN 'not_object'
    WHEN len(json_keys(line)) <> len(list_distinct(json_keys(line))) THEN 'repeated_field'
    END"""

_RAW_TABLE_SQL = f"""
CREATE TABLE raw_record (
    file_index INTEGER NOT NULL,
    source_file VARCHAR NOT NULL,
    source_row BIGINT NOT NULL,
    raw_line VARCHAR,
    malformed_problem VARCHAR,
    quantity_is_float BOOLEAN NOT NULL,
    {", ".join(f"{field} VARCHAR" for field in RECORD_FIELDS)}
)
"""

# CSV is read with a fixed dialect and the header's columns: sniffing could pick another delimiter,
# take a line starting with '#' for a comment and drop a record without a word, or fail on a broken
# line with a message that does not name it.
_CSV_OPTIONS = (
    "auto_detect = false, header = true, delim = ',', quote = '\"', escape = '\"', comment = ''"
)


def stage_raw_records(connection: duckdb.DuckDBPyConnection, paths: Sequence[Path]) -> int:
    """Read every file into the table `raw_record`; return how many records were submitted."""
    connection.execute(_RAW_TABLE_SQL)
    for file_index, path in enumerate(paths):
        select_sql = _raw_select_sql(connection, path, file_index=file_index)
        _run_on_file(connection, path, f"INSERT INTO raw_record {select_sql}")
    row = connection.execute("SELECT count(*) FROM raw_record").fetchone()
    assert row is not None
    submitted: int = row[0]
    return submitted


def _raw_select_sql(connection: duckdb.DuckDBPyConnection, path: Path, *, file_index: int) -> str:
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


def _csv_select_sql(path: Path, *, file_index: int) -> str:
    header = _csv_header(path)
    _refuse_unknown_columns(path, header)
    columns = ", ".join(f"{sql_text(name)}: 'VARCHAR'" for name in header)
    source = f"read_csv({sql_text(str(path))}, {_CSV_OPTIONS}, columns = {{{columns}}})"
    fields = [f'"{field}"' if field in header else "NULL" for field in RECORD_FIELDS]
    # row_number() OVER () runs as a streaming window that keeps the file's order: the n-th record
    # after the header is row n.
    return f"""
        SELECT {file_index}, {sql_text(path.name)}, row_number() OVER (), NULL, NULL, false,
               {", ".join(fields)}
        FROM {source}
    """


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
) -> str:
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
    keys = {row[0] for row in _run_on_file(connection, path, keys_sql).fetchall()}
    _refuse_unknown_columns(path, keys)
    fields = [_json_field_sql(field) for field in RECORD_FIELDS]
    # A JSON number with a fraction or an exponent has already become a binary float (DOUBLE) in
    # the parser; only JSON strings and integers reach the quantity exactly.
    quantity_is_float = "coalesce(json_type(record, '$.quantity') = 'DOUBLE', false)"
    return f"""
        SELECT {file_index}, {sql_text(path.name)}, line_number, line, malformed_problem,
               {quantity_is_float}, {", ".join(fields)}
        FROM ({lines_sql})
    """


def _json_field_sql(field: str) -> str:
    if field == "characteristics":
        # Kept as JSON text (an object, or whatever else was sent, to be judged); null is absent.
        return f"CASE WHEN json_type(record, '$.{field}') <> 'NULL' THEN record -> '$.{field}' END"
    return f"record ->> '$.{field}'"


def _parquet_select_sql(
    connection: duckdb.DuckDBPyConnection, path: Path, *, file_index: int
) -> str:
    source = f"read_parquet({sql_text(str(path))}, file_row_number = true)"
    columns = _column_types(connection, path, f"read_parquet({sql_text(str(path))})")
    _refuse_unknown_columns(path, columns)
    fields = [_parquet_field_sql(field, columns.get(field)) for field in RECORD_FIELDS]
    quantity_is_float = "true" if columns.get("quantity") in FLOAT_COLUMN_TYPES else "false"
    return f"""
        SELECT {file_index}, {sql_text(path.name)}, file_row_number + 1, NULL, NULL,
               {quantity_is_float}, {", ".join(fields)}
        FROM {source}
    """


def _parquet_field_sql(field: str, column_type: str | None) -> str:
    if column_type is None:
        return "NULL"
    if column_type.startswith(("MAP", "STRUCT")):
        return f'to_json("{field}")::VARCHAR'
    # Text stays text; a DECIMAL prints every stored digit; a TIMESTAMP WITH TIME ZONE prints in UTC
    # with its offset; a TIMESTAMP without one prints without, and is judged as such.
    return f'CAST("{field}" AS VARCHAR)'


def _column_types(connection: duckdb.DuckDBPyConnection, path: Path, source: str) -> dict[str, str]:
    rows = _run_on_file(connection, path, f"DESCRIBE SELECT * FROM {source}").fetchall()
    return {str(row[0]): str(row[1]) for row in rows}


def _refuse_unknown_columns(path: Path, columns: Collection[str]) -> None:
    unknown = sorted(set(columns) - set(RECORD_FIELDS))
    if unknown:
        raise UsageFileError(
            path.name,
            f"unknown column(s) {', '.join(unknown)}; a usage record has only"
            f" {', '.join(RECORD_FIELDS)} (docs/usage-records.md)",
        )


def _run_on_file(
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
