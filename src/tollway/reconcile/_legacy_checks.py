"""Row and cross-file checks on typed legacy rows: periods, duplicates, references, totals.

Every check is one SQL statement over whole tables. They run in order on the rows still clean
(`typed_<name>` less the rows with an error so far), so a row is reported for its first kind of
problem, not for every consequence of it:

1. within a file: reversed periods, duplicate ids, half-given line periods, overlapping cross-walk
   validity;
2. lines and taxes against invoices: an unknown invoice, a rejected invoice, another currency, a
   tax on a line that is not there;
3. an invoice is accepted whole or not at all: one with a rejected line or tax is rejected
   (`incomplete_invoice`), and its remaining lines and taxes with it (`invoice_rejected`);
4. totals that are not the sums of the accepted lines and taxes are accepted with a warning.
"""

from collections.abc import Mapping
from typing import Final

import duckdb

from tollway.reconcile._legacy_duckdb import sql_text
from tollway.reconcile._legacy_format import IssueCode, Severity
from tollway.reconcile._legacy_read import StagedFile

ROWS_LISTED_MAX: Final = 5
"""Rows a message names when it points at other rows (the first ones)."""


def _plain(expression: str) -> str:
    """A DECIMAL(38, 9) as text without trailing zeros (12.500000000 → 12.5)."""
    return rf"regexp_replace(CAST({expression} AS VARCHAR), '\.?0*$', '')"


def clean(staged: StagedFile) -> str:
    """SQL for the typed rows of `staged` with no error recorded so far."""
    return f"""(SELECT * FROM typed_{staged.spec.name} ANTI JOIN (
            SELECT row FROM issue
            WHERE file_order = {staged.order} AND severity = 'error' AND row IS NOT NULL
        ) AS rejected USING (row))"""


def insert_issues(
    connection: duckdb.DuckDBPyConnection,
    staged: StagedFile,
    select_sql: str,
    *,
    severity: Severity = Severity.ERROR,
) -> None:
    """Record the rows of `select_sql` (columns row, field, code, message) as issues of `staged`."""
    names = ", ".join(sql_text(name) for name in staged.spec.column_names)
    connection.execute(
        f"""INSERT INTO issue
        SELECT {staged.order}, {sql_text(staged.file_name)}, row,
               list_position([{names}], field) - 1, field, code, message, '{severity.value}'
        FROM ({select_sql})"""
    )


def check_rows(connection: duckdb.DuckDBPyConnection, files: Mapping[str, StagedFile]) -> None:
    """Step 1: the checks within each file."""
    invoices, lines, crosswalk = files["invoices"], files["lines"], files["crosswalk"]
    insert_issues(connection, invoices, _reversed_sql(invoices, "period_start", "period_end", "<="))
    insert_issues(connection, lines, _reversed_sql(lines, "period_start", "period_end", "<"))
    insert_issues(connection, crosswalk, _reversed_sql(crosswalk, "valid_from", "valid_to", "<="))
    insert_issues(connection, invoices, _duplicate_sql(invoices, ["invoice_id"]))
    insert_issues(connection, lines, _duplicate_sql(lines, ["invoice_id", "line_id"]))
    insert_issues(connection, lines, _half_period_sql(lines))
    insert_issues(connection, crosswalk, _overlap_sql(crosswalk))


def _reversed_sql(staged: StagedFile, start: str, end: str, operator: str) -> str:
    wanted = "after" if operator == "<=" else "on or after"
    return f"""SELECT row, '{end}' AS field, '{IssueCode.PERIOD_REVERSED.value}' AS code,
               '{end} ' || {end} || ' is not {wanted} {start} ' || {start}
               || ' (a period is [{start}, {end}))' AS message
        FROM {clean(staged)} WHERE {end} {operator} {start}"""


def _duplicate_sql(staged: StagedFile, key: list[str]) -> str:
    """Every row of an id given more than once (which one is right is for a person to say)."""
    columns = ", ".join(key)
    joined = " AND ".join(f"raw.{name} = twice.{name}" for name in key)
    described = " || ' on invoice ' || ".join(
        f"'\"' || raw.{name} || '\"'" for name in reversed(key)
    )
    return f"""SELECT raw.row, '{key[-1]}' AS field, '{IssueCode.DUPLICATE_ID.value}' AS code,
               '{key[-1]} ' || {described} || ' is given ' || twice.times || ' times (rows '
               || array_to_string(twice.first_rows, ', ')
               || CASE WHEN twice.times > {ROWS_LISTED_MAX} THEN ', …' ELSE '' END
               || '); keep one' AS message
        FROM {staged.raw_table} AS raw
        JOIN (
            SELECT {columns}, count(*) AS times, list(row ORDER BY row)[1:{ROWS_LISTED_MAX}]
                   AS first_rows
            FROM {staged.raw_table}
            WHERE malformed IS NULL AND {" AND ".join(f"coalesce({name}, '') <> ''" for name in key)}
            GROUP BY {columns} HAVING count(*) > 1
        ) AS twice ON {joined}"""


def _half_period_sql(staged: StagedFile) -> str:
    return f"""SELECT row, CASE WHEN period_start IS NULL THEN 'period_start' ELSE 'period_end' END
                   AS field,
               '{IssueCode.MISSING_VALUE.value}' AS code,
               CASE WHEN period_start IS NULL THEN 'period_start' ELSE 'period_end' END
               || ': empty while the other end of the period is given; give both or neither'
               AS message
        FROM {clean(staged)} WHERE (period_start IS NULL) <> (period_end IS NULL)"""


def _overlap_sql(staged: StagedFile) -> str:
    rows = clean(staged)
    return f"""SELECT one.row, 'legacy_id' AS field, '{IssueCode.CROSSWALK_OVERLAP.value}' AS code,
               'the ' || one.entity || ' "' || one.legacy_id || '" is mapped over ['
               || coalesce(CAST(one.valid_from AS VARCHAR), 'open') || ', '
               || coalesce(CAST(one.valid_to AS VARCHAR), 'open') || '), which overlaps row(s) '
               || array_to_string(list(other.row ORDER BY other.row)[1:{ROWS_LISTED_MAX}], ', ')
               || '; validity periods of one legacy id must not overlap' AS message
        FROM {rows} AS one
        JOIN {rows} AS other
          ON one.entity = other.entity AND one.legacy_id = other.legacy_id
         AND one.row <> other.row
         AND (one.valid_to IS NULL OR other.valid_from IS NULL OR other.valid_from < one.valid_to)
         AND (other.valid_to IS NULL OR one.valid_from IS NULL OR one.valid_from < other.valid_to)
        GROUP BY one.row, one.entity, one.legacy_id, one.valid_from, one.valid_to"""


def check_references(
    connection: duckdb.DuckDBPyConnection, files: Mapping[str, StagedFile]
) -> None:
    """Steps 2 and 3: lines and taxes against their invoices; whole invoices or none."""
    invoices, lines, taxes = files["invoices"], files["lines"], files["taxes"]
    connection.execute(
        f"""CREATE TEMPORARY TABLE invoice_ok AS
        SELECT row, invoice_id, currency FROM {clean(invoices)}"""
    )
    connection.execute(
        f"""CREATE TEMPORARY TABLE invoice_submitted AS
        SELECT DISTINCT invoice_id FROM {invoices.raw_table} WHERE coalesce(invoice_id, '') <> ''"""
    )
    connection.execute(f"CREATE TEMPORARY TABLE invoice_rejection AS {_rejection_sql(invoices)}")
    insert_issues(connection, lines, _reference_sql(lines, unknown_line=None))
    insert_issues(connection, taxes, _reference_sql(taxes, unknown_line=lines))
    connection.execute(
        f"CREATE TEMPORARY TABLE invoice_incomplete AS {_incomplete_sql(lines, taxes)}"
    )
    insert_issues(
        connection,
        invoices,
        f"""SELECT row, 'invoice_id' AS field, '{IssueCode.INCOMPLETE_INVOICE.value}' AS code,
                   message FROM invoice_incomplete""",
    )
    for staged in (lines, taxes):
        insert_issues(connection, staged, _cascade_sql(staged, invoices))


def _rejection_sql(invoices: StagedFile) -> str:
    """Per rejected invoice id: the first reason, to quote on its lines and taxes."""
    if invoices.rejected_whole:
        return f"""SELECT DISTINCT invoice_id,
                   {sql_text(f"{invoices.file_name}: {IssueCode.MISSING_COLUMN.value}")} AS reason
            FROM {invoices.raw_table} WHERE coalesce(invoice_id, '') <> ''"""
    return f"""SELECT raw.invoice_id,
               arg_min(issue.file || ' row ' || issue.row || ': ' || issue.code,
                       (issue.row, coalesce(issue.field_order, -1), issue.code)) AS reason
        FROM issue JOIN {invoices.raw_table} AS raw ON issue.row = raw.row
        WHERE issue.file_order = {invoices.order} AND issue.severity = 'error'
          AND coalesce(raw.invoice_id, '') <> ''
        GROUP BY raw.invoice_id"""


def _reference_sql(staged: StagedFile, *, unknown_line: StagedFile | None) -> str:
    line_case = ""
    line_join = ""
    if unknown_line is not None:
        line_case = f"""WHEN item.line_id IS NOT NULL AND known_line.line_id IS NULL
                THEN '{IssueCode.UNKNOWN_LINE.value}'"""
        line_join = f"""LEFT JOIN (
                SELECT DISTINCT invoice_id, line_id FROM {unknown_line.raw_table}
                WHERE malformed IS NULL
            ) AS known_line
            ON known_line.invoice_id = item.invoice_id AND known_line.line_id = item.line_id"""
    return f"""SELECT row, CASE WHEN code = '{IssueCode.CURRENCY_MISMATCH.value}' THEN 'currency'
                            WHEN code = '{IssueCode.UNKNOWN_LINE.value}' THEN 'line_id'
                            ELSE 'invoice_id' END AS field,
               code,
               CASE code
                   WHEN '{IssueCode.UNKNOWN_INVOICE.value}' THEN 'invoice "' || invoice_id
                       || '" is not in the invoices file'
                   WHEN '{IssueCode.INVOICE_REJECTED.value}' THEN 'invoice "' || invoice_id
                       || '" was rejected (' || coalesce(reason, 'see the invoices file')
                       || '); an invoice is taken whole, with its lines and taxes, or not at all'
                   WHEN '{IssueCode.CURRENCY_MISMATCH.value}' THEN 'currency: ' || currency
                       || ', but invoice "' || invoice_id || '" is in ' || invoice_currency
                   ELSE 'line_id: invoice "' || invoice_id || '" has no line "' || line_id || '"'
               END AS message
        FROM (
            SELECT item.row, item.invoice_id, item.line_id, item.currency,
                   ok.currency AS invoice_currency, rejection.reason,
                   CASE WHEN submitted.invoice_id IS NULL THEN '{IssueCode.UNKNOWN_INVOICE.value}'
                        WHEN ok.invoice_id IS NULL THEN '{IssueCode.INVOICE_REJECTED.value}'
                        WHEN item.currency <> ok.currency
                            THEN '{IssueCode.CURRENCY_MISMATCH.value}'
                        {line_case}
                   END AS code
            FROM {clean(staged)} AS item
            LEFT JOIN invoice_submitted AS submitted ON submitted.invoice_id = item.invoice_id
            LEFT JOIN invoice_ok AS ok ON ok.invoice_id = item.invoice_id
            LEFT JOIN invoice_rejection AS rejection ON rejection.invoice_id = item.invoice_id
            {line_join}
        )
        WHERE code IS NOT NULL"""


def _incomplete_sql(lines: StagedFile, taxes: StagedFile) -> str:
    """The accepted-so-far invoices with a rejected line or tax, and which one came first."""
    rejected = " UNION ALL ".join(_rejected_rows_sql(staged) for staged in (lines, taxes))
    return f"""SELECT ok.row, ok.invoice_id,
               count(DISTINCT (rejected.file_order, rejected.row))
               || ' line or tax row(s) of this invoice were rejected (first: '
               || arg_min(
                   rejected.reason, (rejected.file_order, rejected.row, rejected.field_order, rejected.reason)
               )
               || '); an invoice is taken whole or not at all' AS message
        FROM invoice_ok AS ok JOIN ({rejected}) AS rejected ON rejected.invoice_id = ok.invoice_id
        GROUP BY ok.row, ok.invoice_id"""


def _rejected_rows_sql(staged: StagedFile) -> str:
    """The rejected rows of a lines or taxes file with their invoice ids and first reasons."""
    if staged.rejected_whole:
        # A file missing a required column is rejected row by row with no issue per row.
        return f"""SELECT invoice_id, {staged.order} AS file_order, row, -1 AS field_order,
                   {sql_text(staged.file_name + " row ")} || row
                   || ': {IssueCode.MISSING_COLUMN.value}' AS reason
            FROM {staged.raw_table}"""
    return f"""SELECT raw.invoice_id, issue.file_order, issue.row,
               coalesce(issue.field_order, -1) AS field_order,
               issue.file || ' row ' || issue.row || ': ' || issue.code AS reason
        FROM issue JOIN {staged.raw_table} AS raw ON issue.row = raw.row
        WHERE issue.file_order = {staged.order} AND issue.severity = 'error'"""


def _cascade_sql(staged: StagedFile, invoices: StagedFile) -> str:
    return f"""SELECT item.row, 'invoice_id' AS field, '{IssueCode.INVOICE_REJECTED.value}' AS code,
               'invoice "' || item.invoice_id || '" was rejected ({invoices.file_name} row '
               || incomplete.row || ': {IssueCode.INCOMPLETE_INVOICE.value}); an invoice is taken'
               || ' whole, with its lines and taxes, or not at all' AS message
        FROM {clean(staged)} AS item
        JOIN invoice_incomplete AS incomplete ON incomplete.invoice_id = item.invoice_id"""


def check_totals(connection: duckdb.DuckDBPyConnection, files: Mapping[str, StagedFile]) -> None:
    """Step 4: totals against the accepted lines and taxes; a difference is a warning."""
    invoices, lines, taxes = files["invoices"], files["lines"], files["taxes"]
    sums = f"""SELECT invoice.row, invoice.total_excluding_tax, invoice.tax_total,
                      invoice.total_including_tax,
                      coalesce(line_sum.amount, 0) AS line_amount,
                      coalesce(tax_sum.amount, 0) AS tax_amount
        FROM {clean(invoices)} AS invoice
        LEFT JOIN (SELECT invoice_id, sum(amount) AS amount FROM {clean(lines)}
                   GROUP BY invoice_id) AS line_sum ON line_sum.invoice_id = invoice.invoice_id
        LEFT JOIN (SELECT invoice_id, sum(tax_amount) AS amount FROM {clean(taxes)}
                   WHERE NOT exempt GROUP BY invoice_id) AS tax_sum
               ON tax_sum.invoice_id = invoice.invoice_id"""
    connection.execute(f"CREATE TEMPORARY TABLE invoice_sums AS {sums}")
    checks = [
        ("total_excluding_tax", "line_amount", "the sum of the amounts of its lines"),
        ("tax_total", "tax_amount", "the sum of its taxes that are not exempt"),
        (
            "total_including_tax",
            "total_excluding_tax + tax_total",
            "total_excluding_tax + tax_total",
        ),
    ]
    for field, expected, meaning in checks:
        insert_issues(
            connection,
            invoices,
            f"""SELECT row, '{field}' AS field, '{IssueCode.TOTALS_MISMATCH.value}' AS code,
                       '{field} ' || {_plain(field)} || ' is not {meaning}, '
                       || {_plain(expected)} || ' (difference '
                       || {_plain(f"{field} - ({expected})")} || '); accepted as given' AS message
                FROM invoice_sums WHERE {field} <> {expected}""",
            severity=Severity.WARNING,
        )
