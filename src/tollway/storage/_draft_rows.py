"""A draft rendered to the rows saving it inserts (`render_draft`, pure: a drafting worker runs
it), and SQLite's line writer, which binds each value through its column type's processor."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.engine import Dialect

from tollway.billing import AppliedBillingRate, BillState, CustomerBill
from tollway.storage import _tables as tables
from tollway.storage._bill_rows import bill_row, line_columns, tax_item_row
from tollway.storage._documents import RenderedDraft, draft_digest
from tollway.storage._types import UtcDateTime


def line_keys() -> tuple[str, ...]:
    """The keys of `rendered_line_row`, in the order of the lines table's columns."""
    names = [column.name for column in tables.applied_billing_rates.columns]
    return tuple(f"{name}_json" if name in RENDERED_COLUMNS else name for name in names)


@dataclass(frozen=True, slots=True)
class DraftRows:
    """A draft rendered to the rows saving it inserts, with its digest: what `render_draft`
    computes from the bill alone (no database), for `BillRepository.insert_draft` to check against
    the database and insert. Its values are plain (text, integers, dates, small dicts), so a
    drafting worker process sends it to the saving one for a fraction of the bill's pickle."""

    id: str
    billing_account_id: str
    run_id: str | None
    digest: str
    dialect: str
    """The database dialect the line values are bound for (SQLite's: as its driver takes them)."""
    bill: dict[str, Any]
    """The `customer_bills` row."""
    lines: tuple[tuple[Any, ...], ...]
    """The `applied_billing_rates` rows, values in column order (`line_keys`), the breakdown
    and taxes as their JSON text."""
    tax_items: tuple[dict[str, Any], ...]


def render_draft(bill: CustomerBill, *, invoice_series: str, dialect: Dialect) -> DraftRows:
    """The rows `BillRepository.save_draft` would insert for `bill` into a `dialect` database, and
    its digest: pure, so it may run in a drafting worker (`insert_draft` does the rest)."""
    assert bill.state is BillState.DRAFT, f"{bill.id}: only drafts are saved; it is {bill.state}"
    rendered = RenderedDraft.of(bill)
    digest = draft_digest(bill, rendered)
    rows = [
        rendered_line_row(bill.id, position, line, rendered)
        for position, line in enumerate(bill.lines)
    ]
    if dialect.name == "sqlite":
        # Bound here as SQLite's driver takes them (text and integers): an instant's text is
        # rendered once per bill.
        lines = tuple(SqliteLinesWriter.of(dialect).values(rows))
    else:
        keys = line_keys()
        lines = tuple(tuple(row[key] for key in keys) for row in rows)
    return DraftRows(
        bill.id,
        bill.billing_account_id,
        bill.run_id,
        digest,
        dialect.name,
        bill_row(bill, invoice_series, digest),
        lines,
        tuple(
            tax_item_row(bill.id, position, item) for position, item in enumerate(bill.tax_items)
        ),
    )


RENDERED_COLUMNS: Final = ("breakdown", "taxes")


def rendered_line_row(
    bill_id: str, position: int, line: AppliedBillingRate, rendered: RenderedDraft
) -> dict[str, Any]:
    """`line_row` with the breakdown and taxes as their rendered JSON text (bound as
    `breakdown_json` and `taxes_json`); a test holds the two equal."""
    return {
        **line_columns(bill_id, position, line),
        "breakdown_json": rendered.breakdowns[position],
        "taxes_json": rendered.taxes[position],
    }


@dataclass(frozen=True, slots=True)
class SqliteLinesWriter:
    """The lines' INSERT as SQLite's driver takes it: positional parameters, one per column, each
    value bound through its column type's processor for the dialect (`ExactNumeric` to its text,
    `UtcDateTime` to UTC text, the JSON columns as the text already rendered)."""

    sql: str
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    instants: frozenset[str]
    """Keys whose values are instants: one instant binds one UTC text, so it is cached."""

    @classmethod
    def of(cls, dialect: Dialect) -> "SqliteLinesWriter":
        table = tables.applied_billing_rates
        names = [column.name for column in table.columns]
        keys = line_keys()
        processors = tuple(
            None if name in RENDERED_COLUMNS else table.c[name].type.bind_processor(dialect)
            for name in names
        )
        quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
        marks = ", ".join("?" for _ in names)
        instants = frozenset(name for name in names if isinstance(table.c[name].type, UtcDateTime))
        return cls(
            f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})", keys, processors, instants
        )

    def values(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        # Keyed with the fold: two local times of one zone compare equal across a DST fold.
        texts: dict[tuple[datetime, int], Any] = {}
        found: list[tuple[Any, ...]] = []
        for row in rows:
            bound: list[Any] = []
            for key, processor in zip(self.keys, self.processors, strict=True):
                value = row[key]
                if processor is None or value is None:
                    bound.append(value)
                elif key in self.instants:
                    instant = (value, value.fold)
                    text = texts.get(instant)
                    if text is None:
                        text = texts[instant] = processor(value)
                    bound.append(text)
                else:
                    bound.append(processor(value))
            found.append(tuple(bound))
        return found
