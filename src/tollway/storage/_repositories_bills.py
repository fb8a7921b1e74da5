"""`BillRepository`: drafts saved idempotently, issued with gapless numbers, voided, credited.

Numbering: every invoice series (`INV`, `CN`, an account's own) has one counter row in
`invoice_number_series`. Issuing locks the counter rows it needs (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite's write lock, taken by `BEGIN IMMEDIATE`, already serialises writers), re-reads
the bills' states under that lock, and assigns the numbers and the `issued` state in the same
transaction as the counter moves. A transaction that dies leaves neither a number used nor a bill
issued, so numbers have no gaps and no duplicates, even with two processes issuing at once.
"""

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Insert,
    Row,
    Select,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from tollway.billing import (
    AppliedBillingRate,
    BillCategory,
    BillState,
    ChargeType,
    CustomerBill,
    line_key,
)
from tollway.storage import _tables as tables
from tollway.storage._bill_rows import (
    bill_from_rows,
    line_from_row,
)
from tollway.storage._documents import draft_digest, draft_document_digest
from tollway.storage._draft_rows import (
    RENDERED_COLUMNS,
    DraftRows,
    SqliteLinesWriter,
    line_keys,
    render_draft,
)
from tollway.storage._errors import (
    BillConflictError,
    BillNotFoundError,
    BillStateError,
    OverCreditError,
    StorageError,
)


def _amounts_by_key(lines: Sequence[AppliedBillingRate]) -> dict[tuple[str, ...], Decimal]:
    totals: dict[tuple[str, ...], Decimal] = {}
    for found in lines:
        key = tuple(str(part) for part in line_key(found))
        totals[key] = totals.get(key, Decimal(0)) + found.amount.amount
    return totals


bill_number_digits: Final = 8
"""Digits of the number in a bill number: `INV-00000042`."""
ids_per_statement_max: Final = 500
"""Ids in one `IN (...)` list: bounded statements on every database."""
bills_listed_max: Final = 10_000
"""The most bills `find` returns at once; `stream` has no limit and bounded memory."""
credit_note_series: Final = "CN"
"""The series credit notes are numbered in unless told otherwise."""


def bill_number_text(series: str, number: int) -> str:
    """A bill number as printed: the series, a dash, the number zero-padded.

    >>> bill_number_text("INV", 42)
    'INV-00000042'
    """
    assert number >= 1, "bill numbers start at 1"
    return f"{series}-{number:0{bill_number_digits}d}"


@dataclass(frozen=True, slots=True)
class BillQuery:
    """Which bills to list; every field left None matches all."""

    run_id: str | None = None
    billing_account_id: str | None = None
    state: BillState | None = None
    category: BillCategory | None = None
    invoice_series: str | None = None
    bill_date: date | None = None


@dataclass(frozen=True, slots=True)
class IssuedBill:
    """A bill that was just issued: its id and the number it got."""

    bill_id: str
    invoice_series: str
    bill_number: int
    bill_no: str


def _chunks(items: Sequence[str], size: int = ids_per_statement_max) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BillRepository:
    """Bills and their lines; all bill SQL lives here. The caller's transaction commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- drafts ---------------------------------------------------------------------------------

    def save_draft(self, bill: CustomerBill, *, invoice_series: str) -> bool:
        """Store a draft; True when stored now, False when the same bill was already stored.

        Saving a bill id again with other content raises `BillConflictError`: a bill, once
        saved, changes only by being issued or voided. The same as `render_draft` then
        `insert_draft`, but a draft saved by an earlier version is recognised by `bill` itself.
        """
        dialect = self.session.get_bind().dialect
        rows = render_draft(bill, invoice_series=invoice_series, dialect=dialect)

        def same_as_earlier(stored_digest: str) -> bool:
            return stored_digest == draft_document_digest(bill)

        return self._insert_rendered(rows, same_as_earlier=same_as_earlier)

    def insert_draft(self, rows: DraftRows) -> bool:
        """Store a draft rendered by `render_draft` (in this process or another); True when stored
        now, False when the same bill was already stored. Every check `save_draft` makes that
        reads the database is made here: the bill stored already by this run with the same
        digest, or by another run, or with other content (`BillConflictError`)."""
        return self._insert_rendered(rows, same_as_earlier=self._stored_is_earlier(rows))

    def _insert_rendered(self, rows: DraftRows, *, same_as_earlier: Callable[[str], bool]) -> bool:
        dialect = self.session.get_bind().dialect
        assert rows.dialect == dialect.name, (
            f"{rows.id}: rendered for {rows.dialect}, saved to {dialect.name}"
        )
        column = tables.customer_bills.c
        stored = self.session.execute(
            select(column.draft_digest, column.run_id).where(column.id == rows.id)
        ).one_or_none()
        if stored is not None:
            _check_same_bill(
                rows,
                stored_digest=stored.draft_digest,
                stored_run_id=stored.run_id,
                same_as_earlier=same_as_earlier,
            )
            return False
        self.session.execute(insert(tables.customer_bills), [rows.bill])
        if rows.lines:
            self._insert_lines(rows, dialect)
        if rows.tax_items:
            self.session.execute(insert(tables.tax_items), list(rows.tax_items))
        return True

    def _stored_is_earlier(self, rows: DraftRows) -> Callable[[str], bool]:
        """Whether the stored draft, saved by an earlier version with the digest of its whole
        document, is this one. Without the bill in hand, the stored one is read back: it is this
        one when its document gives the stored digest and its draft digest is this one's."""

        def same(stored_digest: str) -> bool:
            found = self.get(rows.id)
            assert found is not None, f"{rows.id}: read back in the same transaction"
            return (
                stored_digest == draft_document_digest(found) and draft_digest(found) == rows.digest
            )

        return same

    def _insert_lines(self, rows: DraftRows, dialect: Dialect) -> None:
        if dialect.name != "sqlite":
            keys = line_keys()
            self.session.execute(
                self._rendered_lines_insert(),
                [dict(zip(keys, row, strict=True)) for row in rows.lines],
            )
            return
        # SQLite: the rows go to the driver's executemany as rendered, each value already bound
        # through its column's own bind processor (what SQLAlchemy would apply).
        writer = SqliteLinesWriter.of(dialect)
        self.session.connection().exec_driver_sql(writer.sql, list(rows.lines))

    def _rendered_lines_insert(self) -> Insert:
        """The lines' INSERT taking their JSON columns as the text already rendered for the
        digest (SQLite keeps JSON as that text; PostgreSQL casts it)."""
        postgres = self.session.get_bind().dialect.name == "postgresql"
        columns: dict[str, Any] = {}
        for name in RENDERED_COLUMNS:
            parameter = bindparam(f"{name}_json", type_=Text())
            columns[name] = cast(parameter, JSON) if postgres else parameter
        return insert(tables.applied_billing_rates).values(columns)

    def delete_drafts(self, run_id: str) -> int:
        """Delete the run's draft bills (lines and tax items with them); return how many. Issued
        and void bills are never deleted."""
        column = tables.customer_bills.c
        draft_ids = list(
            self.session.execute(
                select(column.id)
                .where(column.run_id == run_id)
                .where(column.state == BillState.DRAFT.value)
            ).scalars()
        )
        for chunk in _chunks(draft_ids):
            for child in (tables.tax_items, tables.applied_billing_rates):
                self.session.execute(delete(child).where(child.c.bill_id.in_(chunk)))
            self.session.execute(delete(tables.customer_bills).where(column.id.in_(chunk)))
        return len(draft_ids)

    # --- issuing --------------------------------------------------------------------------------

    def issue(self, bill_ids: Sequence[str]) -> tuple[IssuedBill, ...]:
        """Issue the drafts among `bill_ids`, numbering them in the order given.

        Bills already issued or void are left as they are (issuing is idempotent); an unknown id
        is an error. Returns the bills issued by this call.
        """
        series_of = self._series_of(bill_ids)
        counters = {
            series: self._lock_counter(series) for series in sorted(set(series_of.values()))
        }
        states = self._states(bill_ids)
        issued: list[IssuedBill] = []
        for bill_id in bill_ids:
            if states[bill_id] != BillState.DRAFT.value:
                continue
            series = series_of[bill_id]
            number = counters[series]
            counters[series] = number + 1
            issued.append(IssuedBill(bill_id, series, number, bill_number_text(series, number)))
            states[bill_id] = BillState.ISSUED.value
        for done in issued:
            self.session.execute(
                update(tables.customer_bills)
                .where(tables.customer_bills.c.id == done.bill_id)
                .values(
                    state=BillState.ISSUED.value, bill_number=done.bill_number, bill_no=done.bill_no
                )
            )
        for series, next_number in counters.items():
            self.session.execute(
                update(tables.invoice_number_series)
                .where(tables.invoice_number_series.c.series == series)
                .values(next_number=next_number)
            )
        return tuple(issued)

    def issue_drafts(self, query: BillQuery = BillQuery()) -> tuple[IssuedBill, ...]:
        """Issue every draft matching `query`, in (account, period, id) order."""
        drafts = self.ids(replace(query, state=BillState.DRAFT))
        return self.issue(list(drafts))

    def next_number(self, series: str) -> int:
        """The number the series will give next (1 for a series never used)."""
        found = self.session.execute(
            select(tables.invoice_number_series.c.next_number).where(
                tables.invoice_number_series.c.series == series
            )
        ).scalar_one_or_none()
        return 1 if found is None else int(found)

    def _series_of(self, bill_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        column = tables.customer_bills.c
        for chunk in _chunks(bill_ids):
            rows = self.session.execute(
                select(column.id, column.invoice_series).where(column.id.in_(chunk))
            )
            found.update({row.id: row.invoice_series for row in rows})
        missing = [bill_id for bill_id in bill_ids if bill_id not in found]
        if missing:
            raise BillNotFoundError(f"no bill with id {missing[0]!r} to issue")
        return found

    def _states(self, bill_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        column = tables.customer_bills.c
        for chunk in _chunks(bill_ids):
            rows = self.session.execute(select(column.id, column.state).where(column.id.in_(chunk)))
            found.update({row.id: row.state for row in rows})
        return found

    def _lock_counter(self, series: str) -> int:
        """Create the series' counter if new, lock its row, and return the next number."""
        counter = tables.invoice_number_series
        dialect = self.session.get_bind().dialect.name
        builder = postgres_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(
            builder(counter).values(series=series, next_number=1).on_conflict_do_nothing()
        )
        next_number = self.session.execute(
            select(counter.c.next_number).where(counter.c.series == series).with_for_update()
        ).scalar_one()
        return int(next_number)

    # --- voids and credit notes -----------------------------------------------------------------

    def void(self, bill_id: str) -> CustomerBill:
        """Void an issued bill; it keeps its number (no gap). Voiding a void bill changes nothing."""
        bill = self.get(bill_id)
        if bill is None:
            raise BillNotFoundError(f"no bill with id {bill_id!r} to void")
        if bill.state is BillState.DRAFT:
            raise BillStateError(
                f"bill {bill_id!r} is a draft: only issued bills are voided (a draft has no number yet)"
            )
        if bill.state is BillState.ISSUED:
            self.session.execute(
                update(tables.customer_bills)
                .where(tables.customer_bills.c.id == bill_id)
                .values(state=BillState.VOID.value)
            )
        return replace(bill, state=BillState.VOID)

    def issue_credit_note(
        self, note: CustomerBill, *, invoice_series: str = credit_note_series
    ) -> CustomerBill:
        """Save a credit-note draft and issue it with its own number, in one transaction.

        The note must name the issued (or void) bill it corrects in `related_bill_no`. Issuing
        the same note again changes nothing and returns it as stored.
        """
        assert note.category is BillCategory.CREDIT_NOTE, f"{note.id}: not a credit note"
        if note.related_bill_no is None:
            raise StorageError(f"credit note {note.id!r} does not name the bill it corrects")
        corrected = self.by_number(note.related_bill_no)
        if corrected is None:
            raise BillNotFoundError(
                f"credit note {note.id!r} corrects bill {note.related_bill_no!r}, which does not exist"
            )
        if corrected.currency != note.currency:
            raise StorageError(
                f"credit note {note.id!r} is in {note.currency}, but bill "
                f"{note.related_bill_no} is in {corrected.currency}"
            )
        self._refuse_over_credit(note, corrected)
        self.save_draft(note, invoice_series=invoice_series)
        self.issue([note.id])
        stored = self.get(note.id)
        assert stored is not None
        return stored

    def _refuse_over_credit(self, note: CustomerBill, corrected: CustomerBill) -> None:
        """Credit notes may together reverse each line of a bill at most once: per line key, the
        bill's amount plus every credit against it stays between zero and the bill's amount."""
        earlier = [
            found
            for found in self.stream(
                BillQuery(
                    billing_account_id=corrected.billing_account_id,
                    category=BillCategory.CREDIT_NOTE,
                    state=BillState.ISSUED,
                )
            )
            if found.related_bill_no == corrected.bill_no and found.id != note.id
        ]
        billed = _amounts_by_key(corrected.lines)
        credited = _amounts_by_key([line for found in earlier for line in found.lines])
        for key, amount in sorted(_amounts_by_key(note.lines).items()):
            original = billed.get(key)
            if original is None:
                raise OverCreditError(
                    f"credit note {note.id!r} credits a line that bill {corrected.bill_no} does not have: {key}"
                )
            remaining = original + credited.get(key, Decimal(0)) + amount
            if remaining.copy_abs() > original.copy_abs() or remaining * original < 0:
                numbers = ", ".join(str(found.bill_no) for found in earlier) or "none"
                raise OverCreditError(
                    f"bill {corrected.bill_no}'s line {key} charged {original}; with earlier credit "
                    f"notes ({numbers}) this credit note would reverse it more than once"
                )

    # --- reading --------------------------------------------------------------------------------

    def issued_lines(
        self,
        billing_account_ids: Sequence[str],
        *,
        period_start: datetime,
        period_end: datetime,
        charge_types: Collection[ChargeType] | None = None,
    ) -> tuple[AppliedBillingRate, ...]:
        """The lines of the issued (not void) normal bills of these paying accounts whose billing
        period overlaps [period_start, period_end): what was already billed, in (bill number,
        line) order. A bill run passes them on as `previously_billed`.

        With `charge_types`, only the lines of those types are read (settlement reads only the
        recurring lines, not a month of per-call usage breakdowns); each bill's lines are still
        checked, in SQL, to add up to its stored total."""
        column = tables.customer_bills.c
        headers: list[Row[Any]] = []
        for chunk in _chunks(sorted(set(billing_account_ids))):
            statement = (
                select(column.id, column.bill_no, column.currency, column.tax_excluded_amount_minor)
                .where(column.billing_account_id.in_(chunk))
                .where(column.state == BillState.ISSUED.value)
                .where(column.category == BillCategory.NORMAL.value)
                .where(column.billing_period_start < period_end)
                .where(column.billing_period_end > period_start)
            )
            headers.extend(self.session.execute(statement))
        if charge_types is not None:
            return self._issued_lines_of_types(headers, frozenset(charge_types))
        bill_ids = [row.id for row in headers]
        bills = [found for chunk in _chunks(bill_ids) for found in self._load(chunk)]
        bills.sort(key=lambda found: (found.bill_no or "", found.id))
        return tuple(line for found in bills for line in found.lines)

    def _issued_lines_of_types(
        self, headers: Sequence[Row[Any]], charge_types: frozenset[ChargeType]
    ) -> tuple[AppliedBillingRate, ...]:
        """The lines of `charge_types` of the bills `headers` (id, bill_no, currency, total), in
        (bill number, bill id, position) order, each bill's total checked against all its lines."""
        ordered = sorted(headers, key=lambda row: (row.bill_no or "", row.id))
        line = tables.applied_billing_rates.c
        types = sorted(found.value for found in charge_types)
        currency_of = {row.id: row.currency for row in ordered}
        by_bill: dict[str, list[AppliedBillingRate]] = {}
        for chunk in _chunks([row.id for row in ordered]):
            self._check_line_totals(ordered, chunk)
            statement = (
                select(tables.applied_billing_rates)
                .where(line.bill_id.in_(chunk))
                .where(line.charge_type.in_(types))
                .order_by(line.bill_id, line.position)
            )
            for row in self.session.execute(statement):
                by_bill.setdefault(row.bill_id, []).append(
                    line_from_row(row, currency_of[row.bill_id])
                )
        return tuple(found for row in ordered for found in by_bill.get(row.id, ()))

    def _check_line_totals(self, headers: Sequence[Row[Any]], bill_ids: Sequence[str]) -> None:
        check_line_totals(self.session, headers, bill_ids)

    def get(self, bill_id: str) -> CustomerBill | None:
        found = self._load([bill_id])
        return found[0] if found else None

    def by_number(self, bill_no: str) -> CustomerBill | None:
        bill_id = self.session.execute(
            select(tables.customer_bills.c.id).where(tables.customer_bills.c.bill_no == bill_no)
        ).scalar_one_or_none()
        return None if bill_id is None else self.get(bill_id)

    def ids(self, query: BillQuery = BillQuery()) -> tuple[str, ...]:
        """Ids of the bills matching `query`: numbered bills by (series, number), then drafts by
        (account, period, id). The order of `find`, `stream` and the exports.

        Sorted here, not by the database: a PostgreSQL collation may order text differently from
        SQLite, and the order must not depend on the database."""
        column = tables.customer_bills.c
        statement = _filtered(
            select(
                column.id,
                column.invoice_series,
                column.bill_number,
                column.billing_account_id,
                column.billing_period_start,
            ),
            query,
        )
        rows = sorted(
            self.session.execute(statement).all(),
            key=lambda row: (
                row.bill_number is None,
                row.invoice_series if row.bill_number is not None else "",
                row.bill_number or 0,
                row.billing_account_id,
                row.billing_period_start,
                row.id,
            ),
        )
        return tuple(row.id for row in rows)

    def find(
        self, query: BillQuery = BillQuery(), *, limit: int = bills_listed_max
    ) -> tuple[CustomerBill, ...]:
        """The bills matching `query` (at most `limit`), in the order of `ids`."""
        assert 0 < limit <= bills_listed_max, f"limit is 1..{bills_listed_max}; use stream()"
        return tuple(self._load(self.ids(query)[:limit]))

    def stream(self, query: BillQuery = BillQuery()) -> Iterator[CustomerBill]:
        """Every bill matching `query`, in the order of `ids`, loaded a chunk at a time."""
        for chunk in _chunks(self.ids(query)):
            yield from self._load(chunk)

    def _load(self, bill_ids: Sequence[str]) -> list[CustomerBill]:
        if not bill_ids:
            return []
        bills = tables.customer_bills
        rows = {
            row.id: row
            for row in self.session.execute(select(bills).where(bills.c.id.in_(bill_ids)))
        }
        lines = self._children(tables.applied_billing_rates, bill_ids)
        items = self._children(tables.tax_items, bill_ids)
        return [
            bill_from_rows(rows[bill_id], lines.get(bill_id, []), items.get(bill_id, []))
            for bill_id in bill_ids
            if bill_id in rows
        ]

    def _children(self, table: Any, bill_ids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        statement = (
            select(table)
            .where(table.c.bill_id.in_(bill_ids))
            .order_by(table.c.bill_id, table.c.position)
        )
        grouped: dict[str, list[Row[Any]]] = {}
        for row in self.session.execute(statement):
            grouped.setdefault(row.bill_id, []).append(row)
        return grouped


def _check_same_bill(
    rows: DraftRows,
    *,
    stored_digest: str,
    stored_run_id: str | None,
    same_as_earlier: Callable[[str], bool],
) -> None:
    if stored_run_id != rows.run_id:
        raise BillConflictError(
            f"bill {rows.id!r} was already saved by bill run {stored_run_id!r}; run "
            f"{rows.run_id!r} bills the same account and cycle again (rerun {stored_run_id!r} "
            "instead: runs are idempotent)"
        )
    # A draft saved by an earlier version carries the digest of its whole document.
    if stored_digest != rows.digest and not same_as_earlier(stored_digest):
        raise BillConflictError(
            f"bill {rows.id!r} was saved before with different content; a recomputed bill must "
            "equal the stored one (did the world or the usage change under the run?)"
        )


def _filtered(statement: Select[Any], query: BillQuery) -> Select[Any]:
    column = tables.customer_bills.c
    conditions = [
        (query.run_id, column.run_id),
        (query.billing_account_id, column.billing_account_id),
        (None if query.state is None else query.state.value, column.state),
        (None if query.category is None else query.category.value, column.category),
        (query.invoice_series, column.invoice_series),
        (query.bill_date, column.bill_date),
    ]
    for value, where in conditions:
        if value is not None:
            statement = statement.where(where == value)
    return statement


def check_line_totals(
    session: Session, headers: Sequence[Row[Any]], bill_ids: Sequence[str]
) -> None:
    """Every bill's lines, all of them, add up to the total stored beside them (`headers`: rows
    with the bill's `id` and `tax_excluded_amount_minor`)."""
    line = tables.applied_billing_rates.c
    sums = {
        row.bill_id: row.total
        for row in session.execute(
            select(line.bill_id, func.sum(line.amount_minor).label("total"))
            .where(line.bill_id.in_(bill_ids))
            .group_by(line.bill_id)
        )
    }
    wanted = set(bill_ids)
    for row in headers:
        if row.id in wanted:
            assert int(sums.get(row.id) or 0) == row.tax_excluded_amount_minor, f"{row.id}: lines"
