"""Staging legacy files as text: every field read as a string, with the row it came from.

Nothing is interpreted here: a CSV file is parsed by pyarrow with every column as text, a JSON Lines
file is split into lines by pyarrow and taken apart by DuckDB's JSON functions, keeping each
field's JSON type (so a JSON float is caught before anything reads it as binary). Each file becomes
a DuckDB table `raw_<name>`: `row`, `malformed` / `malformed_message` (a record that could not be
taken apart at all), and per column `<column>` (text or null) and `<column>__type` (its JSON type;
null for CSV). Whole-file findings (a missing or unknown column) go into the table `issue`.
"""

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from tollway.reconcile._legacy_duckdb import fetch_row, sql_name, sql_text
from tollway.reconcile._legacy_format import (
    ENCODINGS,
    FILE_SPECS,
    FileSpec,
    IssueCode,
    LegacyFileError,
    Severity,
)

BLOCK_BYTES: Final = 1 << 24
"""pyarrow's parsing block: a record (or JSON line) must fit in one."""

JSON_LINE_SEPARATOR: Final = "\x01"
"""A delimiter that never occurs in valid JSON text, so each JSON line is one field."""

ISSUE_TABLE_SQL: Final = """
CREATE TABLE issue (
    file_order INTEGER NOT NULL,
    file VARCHAR NOT NULL,
    row BIGINT,
    field_order INTEGER,
    field VARCHAR,
    code VARCHAR NOT NULL,
    message VARCHAR NOT NULL,
    severity VARCHAR NOT NULL
)
"""

# A blank line is not a record. trim() only for the rare line not starting with "{": it is slow.
_NOT_BLANK_SQL: Final = "CASE WHEN starts_with(line, '{') THEN true ELSE trim(line) <> '' END"

_SHAPE_SQL: Final = """CASE
    WHEN try(json_type(line)) IS NULL THEN 'is not valid JSON'
    WHEN try(json_type(line)) <> 'OBJECT' THEN 'is not a JSON object'
    END"""
"""Why a line is not a JSON object (null when it is)."""


@dataclass(frozen=True, slots=True)
class StagedFile:
    """One legacy file, staged as `raw_<name>`."""

    spec: FileSpec
    order: int
    file_name: str
    """The file's name (`lines.csv`), or the base name (`taxes`) of an optional file not there."""
    columns: frozenset[str]
    """The format's columns the file has."""
    rejected_whole: bool
    """A required column is missing: every row is rejected, with one file-level issue per column."""

    @property
    def raw_table(self) -> str:
        return f"raw_{self.spec.name}"


def locate_files(directory: Path) -> dict[str, Path]:
    """The legacy files present in `directory`, by base name (`invoices`, ...).

    A required file missing, or one file given in both encodings, is a `LegacyFileError`."""
    if not directory.is_dir():
        raise LegacyFileError(f"{directory}: no such directory of legacy files")
    found: dict[str, Path] = {}
    for spec in FILE_SPECS:
        candidates = [directory / f"{spec.name}.{encoding}" for encoding in ENCODINGS]
        present = [path for path in candidates if path.is_file()]
        if len(present) > 1:
            raise LegacyFileError(
                f"{directory}: both {present[0].name} and {present[1].name} are there; keep one"
            )
        if present:
            found[spec.name] = present[0]
        elif spec.required:
            raise LegacyFileError(
                f"{directory}: no {spec.name}.csv or {spec.name}.jsonl; the legacy import needs one"
            )
    return found


def stage_file(
    connection: duckdb.DuckDBPyConnection, spec: FileSpec, path: Path | None, *, order: int
) -> StagedFile:
    """Stage one file (or an empty table when an optional file is absent) as `raw_<name>`."""
    if path is None:
        _create_raw(connection, spec, source_sql=None)
        return StagedFile(spec, order, spec.name, frozenset(), rejected_whole=False)
    if path.suffix == ".csv":
        header = _read_csv(connection, spec, path)
    else:
        header = _read_json_lines(connection, spec, path)
    columns = frozenset(header) & set(spec.column_names)
    # A JSON Lines file without a single readable object has no columns to miss.
    has_columns = bool(header) or path.suffix == ".csv"
    missing = [name for name in spec.required_names if name not in columns and has_columns]
    staged = StagedFile(spec, order, path.name, columns, rejected_whole=bool(missing))
    _record_file_issues(connection, staged, header=header, missing=missing)
    return staged


def _create_raw(
    connection: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    *,
    source_sql: str | None,
    fields: list[str] | None = None,
    kept: str = "",
) -> None:
    """`raw_<name>` from `source_sql` (row, malformed, malformed_message and what `fields` read)."""
    if fields is None:
        fields = [_field_sql(name, value=None) for name in spec.column_names]
    if source_sql is None:
        source_sql = "(SELECT NULL AS row, NULL AS malformed, NULL AS malformed_message LIMIT 0)"
    connection.execute(
        f"""CREATE TABLE raw_{spec.name} AS
        SELECT row::BIGINT AS row, malformed::VARCHAR AS malformed,
               malformed_message::VARCHAR AS malformed_message, {", ".join(fields)}{kept}
        FROM {source_sql}"""
    )


def _field_sql(name: str, *, value: str | None, json_type: str | None = None) -> str:
    return (
        f"{value or 'NULL'}::VARCHAR AS {sql_name(name)},"
        f" {json_type or 'NULL'}::VARCHAR AS {sql_name(name + '__type')}"
    )


def _record_file_issues(
    connection: duckdb.DuckDBPyConnection,
    staged: StagedFile,
    *,
    header: list[str],
    missing: list[str],
) -> None:
    """One warning per unknown column (ignored), one error per missing required column."""
    spec = staged.spec
    (row_count,) = fetch_row(connection, f"SELECT count(*) FROM {staged.raw_table}")
    issues: list[tuple[str, IssueCode, str, Severity]] = []
    for name in sorted(set(header) - set(spec.column_names)):
        message = (
            f"column {name!r} is not in the {spec.name} format and was ignored"
            f" (the format's columns: {', '.join(spec.column_names)})"
        )
        issues.append((name, IssueCode.UNKNOWN_COLUMN, message, Severity.WARNING))
    for name in missing:
        message = f"required column {name!r} is missing: all {row_count} row(s) are rejected"
        issues.append((name, IssueCode.MISSING_COLUMN, message, Severity.ERROR))
    for field, code, message, severity in issues:
        field_order = spec.column_names.index(field) if field in spec.column_names else None
        connection.execute(
            "INSERT INTO issue VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
            [
                staged.order,
                staged.file_name,
                field_order,
                field,
                code.value,
                message,
                severity.value,
            ],
        )


def _read_csv(connection: duckdb.DuckDBPyConnection, spec: FileSpec, path: Path) -> list[str]:
    header = _csv_header(path)
    wanted = [name for name in header if name in spec.column_names] or header[:1]
    table, bad_rows = _parse_csv(path, header, wanted)
    rows = _row_numbers(table.num_rows, [number for number, _ in bad_rows], first_row=2)
    connection.register("staged_records", table.append_column("row", rows))
    connection.register("staged_bad_rows", _bad_rows_table(bad_rows))
    present = frozenset(wanted) & set(spec.column_names)
    nulls = ", ".join(f"NULL::VARCHAR AS {sql_name(name)}" for name in wanted)
    source = f"""(
        SELECT row, NULL AS malformed, NULL AS malformed_message, {", ".join(map(sql_name, wanted))}
        FROM staged_records
        UNION ALL
        SELECT row, '{IssueCode.BAD_ROW.value}', message, {nulls} FROM staged_bad_rows
    )"""
    fields = [
        _field_sql(name, value=sql_name(name) if name in present else None)
        for name in spec.column_names
    ]
    _create_raw(connection, spec, source_sql=source, fields=fields)
    connection.unregister("staged_records")
    connection.unregister("staged_bad_rows")
    return header


def _csv_header(path: Path) -> list[str]:
    """The column names in the file's first record (one record read, whatever the file's size)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            header = next(csv.reader(file, strict=True), [])
    except UnicodeDecodeError as error:
        raise LegacyFileError(f"{path.name}: is not UTF-8 text ({error})") from error
    except csv.Error as error:
        raise LegacyFileError(f"{path.name}: has no readable CSV header row ({error})") from error
    if not header:
        raise LegacyFileError(f"{path.name}: is empty; a CSV file starts with a header row")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise LegacyFileError(f"{path.name}: column(s) {', '.join(repeated)} appear more than once")
    return header


def _parse_csv(
    path: Path, header: list[str], wanted: list[str]
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Every wanted column as text, and the records with the wrong number of fields (skipped)."""
    return _parse_in_order(
        path,
        read_options={"skip_rows": 1, "column_names": header},
        parse_options={"newlines_in_values": True, "ignore_empty_lines": True},
        columns=wanted,
        all_columns=header,
    )


def _parse_in_order(
    path: Path,
    *,
    read_options: dict[str, object],
    parse_options: dict[str, object],
    columns: list[str],
    all_columns: list[str],
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Parse in parallel; when a record is broken, parse again in order to learn its number."""
    for use_threads in (True, False):
        table, bad_rows = _parse_text(
            path,
            read_options=read_options,
            parse_options=parse_options,
            columns=columns,
            all_columns=all_columns,
            use_threads=use_threads,
        )
        numbered = [(number, text) for number, text in bad_rows if number is not None]
        if len(numbered) == len(bad_rows):
            return table, numbered
    raise AssertionError(f"{path.name}: pyarrow did not number a broken record")


def _parse_text(
    path: Path,
    *,
    read_options: dict[str, object],
    parse_options: dict[str, object],
    columns: list[str],
    all_columns: list[str],
    use_threads: bool,
) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    bad_rows: list[tuple[int | None, str]] = []

    def skip_and_record(row: pa_csv.InvalidRow) -> str:
        found = f"has {row.actual_columns} field(s) where the header has {row.expected_columns}"
        bad_rows.append((row.number, found))
        return "skip"

    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(
                use_threads=use_threads, block_size=BLOCK_BYTES, **read_options
            ),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=skip_and_record, **parse_options),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in all_columns},
                include_columns=columns,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        raise LegacyFileError(f"{path.name}: cannot be read ({_first_line(error)})") from error
    return table, bad_rows


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _row_numbers(good_count: int, bad_numbers: list[int], *, first_row: int) -> pa.Array:
    """The row number of each good record: the records in order, less the bad ones."""
    everything = np.arange(first_row, first_row + good_count + len(bad_numbers), dtype=np.int64)
    if bad_numbers:
        bad = np.array(sorted(bad_numbers), dtype=np.int64)
        everything = np.setdiff1d(everything, bad, assume_unique=True)
    assert len(everything) == good_count, "row numbering lost a record"
    return pa.array(everything, type=pa.int64())


def _bad_rows_table(bad_rows: list[tuple[int, str]]) -> pa.Table:
    return pa.table(
        {
            "row": pa.array([number for number, _ in bad_rows], type=pa.int64()),
            "message": pa.array([message for _, message in bad_rows], type=pa.string()),
        }
    )


def _split_lines(path: Path) -> tuple[pa.Table, list[tuple[int, str]]]:
    """The file's lines as one text column (blank ones kept, so that row n is line n)."""
    if path.stat().st_size == 0:
        return pa.table({"line": pa.array([], type=pa.string())}), []
    return _parse_in_order(
        path,
        read_options={"column_names": ["line"]},
        parse_options={
            "delimiter": JSON_LINE_SEPARATOR,
            "quote_char": False,
            "escape_char": False,
            "ignore_empty_lines": False,
        },
        columns=["line"],
        all_columns=["line"],
    )


def _read_json_lines(
    connection: duckdb.DuckDBPyConnection, spec: FileSpec, path: Path
) -> list[str]:
    table, bad_rows = _split_lines(path)
    rows = _row_numbers(table.num_rows, [number for number, _ in bad_rows], first_row=1)
    connection.register("staged_lines", table.append_column("row", rows))
    connection.register(
        "staged_bad_rows",
        _bad_rows_table([(number, "is not valid JSON") for number, _ in bad_rows]),
    )
    # Each line is parsed a few times, never once per field: the fields' texts and JSON types
    # come out as two lists.
    paths = "[" + ", ".join(sql_text(f'$."{name}"') for name in spec.column_names) + "]"
    source = f"""(
        SELECT row, CASE WHEN problem IS NOT NULL THEN '{IssueCode.BAD_JSON.value}' END AS malformed,
               problem AS malformed_message, keys,
               CASE WHEN problem IS NULL THEN json_extract_string(line, {paths}) END AS texts,
               CASE WHEN problem IS NULL THEN json_type(line, {paths}) END AS types
        FROM (
            SELECT row, line, keys,
                   coalesce(shape, CASE WHEN len(keys) <> len(list_distinct(keys))
                                        THEN 'repeats a field' END) AS problem
            FROM (
                SELECT row, line, shape, CASE WHEN shape IS NULL THEN json_keys(line) END AS keys
                FROM (
                    SELECT row, line, {_SHAPE_SQL} AS shape
                    FROM staged_lines WHERE {_NOT_BLANK_SQL}
                    UNION ALL SELECT row, NULL, message FROM staged_bad_rows
                )
            )
        )
    )"""
    fields = [
        _field_sql(name, value=f"texts[{position}]", json_type=f"types[{position}]")
        for position, name in enumerate(spec.column_names, start=1)
    ]
    _create_raw(connection, spec, source_sql=source, fields=fields, kept=", keys")
    connection.unregister("staged_lines")
    connection.unregister("staged_bad_rows")
    keys_sql = f"SELECT DISTINCT unnest(keys) FROM raw_{spec.name} ORDER BY 1"
    keys = [str(key) for (key,) in connection.execute(keys_sql).fetchall()]
    connection.execute(f"ALTER TABLE raw_{spec.name} DROP COLUMN keys")
    return keys
