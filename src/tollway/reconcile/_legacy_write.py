"""Writing invoice tables in the legacy interchange format (the simulator's legacy system).

The same tables always give the same bytes: rows in table order, columns in format order, amounts
as plain decimals keeping the currency's minor-unit places (`12.50`, `1500`, `0.125`), other
numbers without trailing zeros, dates as `YYYY-MM-DD`, booleans as `true` / `false`. CSV leaves a
null field empty (and quotes an empty text as `""`); JSON Lines writes null, and every number as a
string, so that no reader makes it a binary float (booleans as JSON booleans).
"""

from pathlib import Path
from typing import Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tollway.money import all_currencies
from tollway.reconcile._legacy_duckdb import connect, sql_name, sql_text
from tollway.reconcile._legacy_format import (
    CROSSWALK,
    ENCODINGS,
    INVOICES,
    LINES,
    TAXES,
    ColumnKind,
    FileSpec,
    LegacyEncoding,
    LegacyFileError,
)
from tollway.reconcile._tables import CROSSWALK_SCHEMA, InvoiceTables

MONEY_COLUMNS: Final = frozenset(
    {
        "total_excluding_tax",
        "tax_total",
        "total_including_tax",
        "amount",
        "taxable_amount",
        "tax_amount",
    }
)
"""Amounts written with at least their currency's minor-unit places."""

_COPY_OPTIONS: Final[dict[LegacyEncoding, str]] = {
    "csv": "HEADER, DELIMITER ','",
    "jsonl": "FORMAT JSON",
}


def write_legacy(
    tables: InvoiceTables,
    crosswalk: pa.Table,
    directory: Path,
    *,
    format: LegacyEncoding,
) -> None:
    """Write `tables` and `crosswalk` to `directory` as invoices, lines, taxes and crosswalk files.

    The `system` column is not written (a file read back is the legacy system's). A file of the
    other encoding already in `directory` is an error: the directory would be ambiguous.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_legacy(InvoiceTables.empty(), CROSSWALK_SCHEMA.empty_table(), folder, format="csv")
    >>> sorted(path.name for path in folder.iterdir())
    ['crosswalk.csv', 'invoices.csv', 'lines.csv', 'taxes.csv']
    >>> (folder / "crosswalk.csv").read_text()
    'entity,legacy_id,tollway_id,valid_from,valid_to\\n'
    """
    assert format in ENCODINGS, f"format is one of {ENCODINGS}, not {format!r}"
    assert crosswalk.schema.equals(CROSSWALK_SCHEMA), "crosswalk does not have CROSSWALK_SCHEMA"
    directory.mkdir(parents=True, exist_ok=True)
    contents = (
        (INVOICES, tables.invoices),
        (LINES, tables.lines),
        (TAXES, tables.taxes),
        (CROSSWALK, crosswalk),
    )
    for spec, _ in contents:
        _refuse_other_encoding(directory, spec, format)
    connection = connect()
    try:
        for spec, table in contents:
            _write_file(connection, spec, table, directory / f"{spec.name}.{format}", format)
    finally:
        connection.close()


def _refuse_other_encoding(directory: Path, spec: FileSpec, format: LegacyEncoding) -> None:
    for encoding in ENCODINGS:
        other = directory / f"{spec.name}.{encoding}"
        if encoding != format and other.exists():
            raise LegacyFileError(
                f"{directory}: {other.name} is already there; writing {spec.name}.{format} beside"
                " it would give the table twice"
            )


def _write_file(
    connection: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    table: pa.Table,
    path: Path,
    format: LegacyEncoding,
) -> None:
    staged = table.append_column("position__", pa.array(range(table.num_rows), type=pa.int64()))
    has_currency = "currency" in table.column_names
    if has_currency:
        staged = staged.append_column("minor_units__", _minor_units(table.column("currency")))
    connection.register("writing", staged)
    columns = ", ".join(
        f"{_text_sql(column.name, column.kind, format)} AS {sql_name(column.name)}"
        for column in spec.columns
    )
    connection.execute(
        f"""COPY (SELECT {columns} FROM writing ORDER BY position__)
        TO {sql_text(str(path))} ({_COPY_OPTIONS[format]})"""
    )
    connection.unregister("writing")


def _minor_units(codes: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each row's currency's minor-unit places, looked up column-wise."""
    known = all_currencies()
    positions = pc.index_in(codes, value_set=pa.array([found.code for found in known]))
    assert positions.null_count == 0, "a table to write holds an unknown currency"
    return pc.take(pa.array([found.minor_units for found in known], type=pa.int32()), positions)


def _text_sql(name: str, kind: ColumnKind, format: LegacyEncoding) -> str:
    value = sql_name(name)
    if kind is ColumnKind.DECIMAL:
        text = f"CAST({value} AS VARCHAR)"
        if name in MONEY_COLUMNS:
            return _keep_places_sql(text)
        return rf"regexp_replace({text}, '\.?0*$', '')"
    if kind is ColumnKind.DATE or (kind is ColumnKind.BOOLEAN and format == "csv"):
        return f"CAST({value} AS VARCHAR)"
    return value


def _keep_places_sql(text: str) -> str:
    """Trailing zeros dropped, but never below the currency's minor-unit places."""
    places = sorted({found.minor_units for found in all_currencies()})
    cases = [
        rf"WHEN {count} THEN regexp_replace({text}, '(\.[0-9]{{{count}}}[0-9]*?)0*$', '\1')"
        for count in places
        if count > 0
    ]
    return (
        rf"CASE minor_units__ WHEN 0 THEN regexp_replace({text}, '\.?0*$', '') "
        + " ".join(cases)
        + " END"
    )
