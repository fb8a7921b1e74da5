"""Importing a legacy system's invoices: read, validate, and account for every row.

`read_legacy` reads a directory in the legacy interchange format (docs/legacy-interchange.md) into
`InvoiceTables` (system "legacy") and a cross-walk table, with one issue row per problem. Every
submitted row is accepted or rejected, never dropped: accepted + rejected = submitted, per file,
asserted here. Parsing and checking are columnar (pyarrow, DuckDB), never a Python loop per row.
"""

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from tollway.reconcile._legacy_checks import check_references, check_rows, check_totals, clean
from tollway.reconcile._legacy_duckdb import connect, fetch_row, sql_text
from tollway.reconcile._legacy_fields import check_fields, create_typed
from tollway.reconcile._legacy_format import (
    CROSSWALK,
    FILE_SPECS,
    INVOICES,
    ISSUE_SCHEMA,
    LINES,
    TAXES,
)
from tollway.reconcile._legacy_read import (
    ISSUE_TABLE_SQL,
    StagedFile,
    locate_files,
    stage_file,
)
from tollway.reconcile._legacy_write import write_legacy
from tollway.reconcile._tables import InvoiceTables, System

__all__ = ["FileCount", "LegacyImport", "read_legacy", "write_legacy", "write_rejects_csv"]


@dataclass(frozen=True, slots=True)
class FileCount:
    """What happened to one file's rows. `file` is the file's name (`lines.csv`); a file that was
    not there counts zero rows under its base name (`taxes`)."""

    file: str
    submitted: int
    accepted: int
    rejected: int

    def __post_init__(self) -> None:
        assert self.accepted + self.rejected == self.submitted, (
            f"{self.file}: {self.accepted} accepted + {self.rejected} rejected"
            f" != {self.submitted} submitted"
        )


@dataclass(frozen=True, slots=True)
class LegacyImport:
    """The result of `read_legacy`: the accepted rows, the problems, and the row counts."""

    tables: InvoiceTables
    crosswalk: pa.Table
    """CROSSWALK_SCHEMA; empty when the directory has no cross-walk file."""
    issues: pa.Table
    """ISSUE_SCHEMA, errors (rejected rows) and warnings (accepted rows), in file and row order."""
    counts: tuple[FileCount, ...]
    """Per file, in the order invoices, lines, taxes, crosswalk."""

    @property
    def rejected_count(self) -> int:
        return sum(count.rejected for count in self.counts)

    @property
    def submitted_count(self) -> int:
        return sum(count.submitted for count in self.counts)


def read_legacy(directory: Path) -> LegacyImport:
    """Read and validate the legacy files in `directory`.

    A missing invoices or lines file, a file given in both encodings, or a file that cannot be read
    at all raises `LegacyFileError`; everything else is an issue row (see ISSUE_SCHEMA).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "invoices.csv").write_text(
    ...     "invoice_id,account_id,period_start,period_end,bill_date,currency,"
    ...     "total_excluding_tax,tax_total,total_including_tax\\n"
    ...     "L-1,ACC-9,2026-03-01,2026-04-01,2026-04-01,USD,100.00,0.00,100.00\\n")
    >>> _ = (folder / "lines.csv").write_text(
    ...     "invoice_id,line_id,charge_type,description,amount,currency\\n"
    ...     "L-1,1,recurring,Port,100.00,USD\\n"
    ...     "L-1,2,recurring,Port,1e2,USD\\n")
    >>> imported = read_legacy(folder)
    >>> imported.tables.invoices.num_rows, imported.tables.lines.num_rows
    (0, 0)
    >>> [(issue["file"], issue["row"], issue["code"]) for issue in imported.issues.to_pylist()]
    [('invoices.csv', 2, 'incomplete_invoice'), ('lines.csv', 2, 'invoice_rejected'), ('lines.csv', 3, 'bad_decimal')]
    """
    paths = locate_files(directory)
    connection = connect()
    try:
        connection.execute(ISSUE_TABLE_SQL)
        files = {
            spec.name: stage_file(connection, spec, paths.get(spec.name), order=order)
            for order, spec in enumerate(FILE_SPECS)
        }
        for staged in files.values():
            check_fields(connection, staged)
            create_typed(connection, staged)
        check_rows(connection, files)
        check_references(connection, files)
        check_totals(connection, files)
        return _result(connection, files)
    finally:
        connection.close()


def write_rejects_csv(issues: pa.Table, path: Path) -> None:
    """Write the issues of an import (ISSUE_SCHEMA) as a CSV file a person can open and work
    through: one row per problem, in file and row order; same issues, same bytes."""
    assert issues.schema.equals(ISSUE_SCHEMA), "write_rejects_csv takes ISSUE_SCHEMA rows"
    connection = connect()
    try:
        connection.register("issues", issues)
        connection.execute(
            f"COPY (SELECT * FROM issues) TO {sql_text(str(path))} (HEADER, DELIMITER ',')"
        )
    finally:
        connection.close()


def _result(connection: duckdb.DuckDBPyConnection, files: dict[str, StagedFile]) -> LegacyImport:
    invoices, lines, taxes = files[INVOICES.name], files[LINES.name], files[TAXES.name]
    tables = InvoiceTables(
        invoices=_fetch(connection, f"SELECT * FROM {clean(invoices)}", invoices),
        lines=_fetch(connection, _lines_sql(lines, invoices), lines),
        taxes=_fetch(connection, f"SELECT * FROM {clean(taxes)}", taxes),
    )
    crosswalk_file = files[CROSSWALK.name]
    crosswalk = connection.sql(
        f"SELECT * EXCLUDE (row) FROM {clean(crosswalk_file)} ORDER BY row"
    ).to_arrow_table()
    _assert_references(connection, files)
    counts = tuple(_count(connection, staged) for staged in files.values())
    assert tables.invoices.num_rows == counts[0].accepted
    assert tables.lines.num_rows == counts[1].accepted
    assert tables.taxes.num_rows == counts[2].accepted
    assert crosswalk.num_rows == counts[3].accepted
    return LegacyImport(
        tables=tables,
        crosswalk=crosswalk.cast(CROSSWALK.schema),
        issues=_issues(connection),
        counts=counts,
    )


def _fetch(connection: duckdb.DuckDBPyConnection, sql: str, staged: StagedFile) -> pa.Table:
    """The rows of `sql` (which has `row`) in file order, as the file's interchange schema."""
    ordered = f"SELECT '{System.LEGACY.value}' AS system, * FROM ({sql}) ORDER BY row"
    table = connection.sql(ordered).to_arrow_table()
    return table.select(staged.spec.schema.names).cast(staged.spec.schema)


def _lines_sql(lines: StagedFile, invoices: StagedFile) -> str:
    # A line without an account is the invoice's account's (a bill that is not consolidated).
    return f"""SELECT line.* REPLACE (coalesce(line.account_id, invoice.account_id) AS account_id)
        FROM {clean(lines)} AS line
        JOIN (SELECT invoice_id, account_id FROM {clean(invoices)}) AS invoice
          ON invoice.invoice_id = line.invoice_id"""


def _assert_references(connection: duckdb.DuckDBPyConnection, files: dict[str, StagedFile]) -> None:
    """Paired with the checks: every accepted line and tax has an accepted invoice of its currency."""
    invoices = clean(files[INVOICES.name])
    for name in (LINES.name, TAXES.name):
        found = fetch_row(
            connection,
            f"""SELECT count(*) FROM {clean(files[name])} AS item
            ANTI JOIN {invoices} AS invoice
              ON invoice.invoice_id = item.invoice_id AND invoice.currency = item.currency""",
        )
        assert found == (0,), f"accepted {name} without an accepted invoice of their currency"


def _count(connection: duckdb.DuckDBPyConnection, staged: StagedFile) -> FileCount:
    found = fetch_row(
        connection,
        f"""SELECT
            (SELECT count(*) FROM {staged.raw_table}),
            (SELECT count(*) FROM {clean(staged)}),
            (SELECT count(DISTINCT row) FROM issue
             WHERE file_order = {staged.order} AND severity = 'error' AND row IS NOT NULL)""",
    )
    submitted, accepted, rejected_rows = (int(str(value)) for value in found)
    rejected = submitted if staged.rejected_whole else rejected_rows
    return FileCount(staged.file_name, submitted, accepted, rejected)


def _issues(connection: duckdb.DuckDBPyConnection) -> pa.Table:
    table = connection.sql(
        """SELECT file, row, field, code, message, severity FROM issue
        ORDER BY file_order, row NULLS FIRST, field_order NULLS FIRST, code, message"""
    ).to_arrow_table()
    return table.cast(ISSUE_SCHEMA)
