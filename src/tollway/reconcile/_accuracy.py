"""How well the classifier found the simulator's injected differences, measured by a join.

Each label (LABEL_SCHEMA, one per injected difference) is joined, in DuckDB, to the difference rows
that describe it — same cycle and level, and:
- line: the same legacy line (on the same legacy invoice) or the same tollway line;
- tax: the same invoice (either side) and tax type, and the same jurisdiction (for a
  `tax_jurisdiction` label, any jurisdiction: the two sides name different ones);
- invoice: the same invoice on either side.
A label is found **right** when some joined row has its category and none has another category
than `matched`; **misclassified** when a joined row has another category (that category is the
confusion); **within tolerance** when every joined row is `matched`; **not reported** when no row
joins.

A difference row that is not `matched` and joins no label is either **consequential** — an
invoice row of an invoice a label names, or a tax row of an invoice with a line label (a changed
line moves its invoice's totals and tax base) — or a **false difference**: the classifier reported
a difference where none was injected. Amounts are never compared here: only keys and categories.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import duckdb
import pyarrow as pa

from tollway.money import MONEY_CONTEXT
from tollway.reconcile._tables import DIFFERENCE_SCHEMA, LABEL_SCHEMA
from tollway.usage import connect_duckdb

NOT_REPORTED: Final = "not_reported"
"""The confusion entry of a label no difference row describes."""

_LINE_JOIN: Final = """(
    (d.legacy_line_id = l.legacy_line_id AND d.legacy_invoice_id = l.legacy_invoice_id)
    OR (d.tollway_line_id = l.tollway_line_id AND d.tollway_invoice_id = l.tollway_invoice_id))"""
_SAME_INVOICE: Final = """(d.legacy_invoice_id = l.legacy_invoice_id
    OR d.tollway_invoice_id = l.tollway_invoice_id)"""
_TAX_JOIN: Final = f"""({_SAME_INVOICE} AND d.tax_type = l.tax_type
    AND (d.jurisdiction_id = l.jurisdiction_id OR l.category = 'tax_jurisdiction'))"""
_JOIN: Final = f"""d.cycle = l.cycle AND d.level = l.level AND CASE l.level
    WHEN 'line' THEN {_LINE_JOIN} WHEN 'tax' THEN {_TAX_JOIN} ELSE {_SAME_INVOICE} END"""


@dataclass(frozen=True, slots=True)
class CategoryAccuracy:
    """The outcome of one category's injected differences."""

    category: str
    injected: int
    right: int
    misclassified: int
    within_tolerance: int
    not_reported: int


@dataclass(frozen=True, slots=True)
class AccuracyReport:
    """The classifier against the answer key.

    `outcomes` is the labels with the category found (`found`: the label's own when right, the
    wrong category, `matched`, or `not_reported`); `false_differences` and
    `consequential_differences` are difference rows (DIFFERENCE_SCHEMA) joining no label.
    """

    categories: tuple[CategoryAccuracy, ...]
    confusion: tuple[tuple[str, str, int], ...]
    """(injected category, category found, labels) for every label not found right."""
    outcomes: pa.Table
    false_differences: pa.Table
    consequential_differences: pa.Table

    @property
    def injected(self) -> int:
        return sum(category.injected for category in self.categories)

    @property
    def right(self) -> int:
        return sum(category.right for category in self.categories)

    @property
    def right_percent(self) -> Decimal:
        """Share of injected differences found in the right category, in percent (100 when
        nothing was injected)."""
        if self.injected == 0:
            return Decimal(100)
        return MONEY_CONTEXT.divide(Decimal(self.right * 100), Decimal(self.injected))

    def text(self) -> str:
        """The report for people (and for a failing test's message)."""
        lines = [
            f"{self.right} of {self.injected} injected differences in the right category; "
            f"{self.false_differences.num_rows} false differences, "
            f"{self.consequential_differences.num_rows} consequential rows"
        ]
        lines += [
            f"  {item.category}: {item.right}/{item.injected} right, "
            f"{item.misclassified} misclassified, {item.within_tolerance} within tolerance, "
            f"{item.not_reported} not reported"
            for item in self.categories
        ]
        lines += [
            f"  {injected} found as {found}: {count}" for injected, found, count in self.confusion
        ]
        return "\n".join(lines)


def measure_accuracy(differences: pa.Table, labels: pa.Table) -> AccuracyReport:
    """Join the classifier's difference rows to the simulator's labels and count the outcomes.

    >>> report = measure_accuracy(DIFFERENCE_SCHEMA.empty_table(), LABEL_SCHEMA.empty_table())
    >>> report.injected, report.false_differences.num_rows, report.right_percent
    (0, 0, Decimal('100'))
    """
    assert differences.schema.equals(DIFFERENCE_SCHEMA), "differences do not have DIFFERENCE_SCHEMA"
    assert labels.schema.equals(LABEL_SCHEMA), "labels do not have LABEL_SCHEMA"
    connection = connect_duckdb()
    try:
        _load(connection, differences, labels)
        return AccuracyReport(
            categories=_categories(connection),
            confusion=_confusion(connection),
            outcomes=connection.sql(
                "SELECT * EXCLUDE (label_row) FROM outcome ORDER BY label_row"
            ).to_arrow_table(),
            false_differences=_unlabelled(connection, consequential=False),
            consequential_differences=_unlabelled(connection, consequential=True),
        )
    finally:
        connection.close()


def _load(connection: duckdb.DuckDBPyConnection, differences: pa.Table, labels: pa.Table) -> None:
    connection.register("labels_input", labels)
    connection.register("differences_input", differences)
    label_order = ", ".join(LABEL_SCHEMA.names)
    difference_order = ", ".join(name for name in DIFFERENCE_SCHEMA.names if name != "evidence")
    connection.execute(
        f"""CREATE TABLE label AS SELECT row_number() OVER (ORDER BY {label_order}) AS label_row, *
        FROM labels_input"""
    )
    connection.execute(
        f"""CREATE TABLE difference AS SELECT
            row_number() OVER (ORDER BY {difference_order}, evidence) AS difference_row, *
        FROM differences_input"""
    )
    connection.execute(
        f"""CREATE TABLE joined AS SELECT l.label_row, d.difference_row, d.category AS found
        FROM label l JOIN difference d ON {_JOIN}"""
    )
    connection.execute(
        """CREATE TABLE outcome AS SELECT l.*, CASE
            WHEN wrong IS NOT NULL THEN wrong
            WHEN rows_right > 0 THEN l.category
            WHEN rows_joined > 0 THEN 'matched'
            ELSE 'not_reported' END AS found
        FROM label l JOIN (
            SELECT l.label_row, count(j.difference_row) AS rows_joined,
                count(*) FILTER (WHERE j.found = l.category) AS rows_right,
                min(j.found) FILTER (WHERE j.found NOT IN (l.category, 'matched')) AS wrong
            FROM label l LEFT JOIN joined j USING (label_row) GROUP BY l.label_row
        ) counted USING (label_row)"""
    )


def _categories(connection: duckdb.DuckDBPyConnection) -> tuple[CategoryAccuracy, ...]:
    rows = connection.execute(
        """SELECT category, count(*),
            count(*) FILTER (WHERE found = category),
            count(*) FILTER (WHERE found NOT IN (category, 'matched', 'not_reported')),
            count(*) FILTER (WHERE found = 'matched'),
            count(*) FILTER (WHERE found = 'not_reported')
        FROM outcome GROUP BY category ORDER BY category"""
    ).fetchall()
    return tuple(CategoryAccuracy(str(row[0]), *(int(value) for value in row[1:])) for row in rows)


def _confusion(connection: duckdb.DuckDBPyConnection) -> tuple[tuple[str, str, int], ...]:
    rows = connection.execute(
        """SELECT category, found, count(*) FROM outcome WHERE found <> category
        GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    return tuple((str(injected), str(found), int(count)) for injected, found, count in rows)


def _unlabelled(connection: duckdb.DuckDBPyConnection, *, consequential: bool) -> pa.Table:
    """Difference rows that are not `matched` and join no label, split into consequential rows
    (invoice rows of labelled invoices, tax rows of invoices with a line label) and the rest."""
    named_invoice = f"""EXISTS (SELECT 1 FROM label l WHERE l.cycle = d.cycle AND {_SAME_INVOICE}
        AND (d.level = 'invoice' OR (d.level = 'tax' AND l.level = 'line')))"""
    columns = ", ".join(DIFFERENCE_SCHEMA.names)
    table = connection.sql(
        f"""SELECT {columns} FROM difference d
        WHERE d.category <> 'matched'
        AND d.difference_row NOT IN (SELECT difference_row FROM joined)
        AND {"" if consequential else "NOT "}{named_invoice}
        ORDER BY d.difference_row"""
    ).to_arrow_table()
    return table.cast(DIFFERENCE_SCHEMA)
