"""What the issued bills of a batch's paying accounts billed: the bills re-rating compares with.

Read-only queries over the bill tables, in the caller's transaction. The storage repositories have
no query for "the issued bills of these accounts dated in this span, with their numbers and
lines", so the bill headers and the line-to-bill map are read here with SQLAlchemy Core; the lines
themselves come from `BillRepository.issued_lines`, which checks the money invariants on reading.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from tollway.billing import AppliedBillingRate, BillCategory, BillState
from tollway.storage import BillRepository
from tollway.storage import _tables as tables

ids_per_statement_max: Final = 500
"""Ids in one `IN (...)` list: bounded statements on every database."""
_JUST_AFTER: Final = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class BilledCycle:
    """One issued (not void) normal bill of a paying account: its number, the cycle date it was
    billed on (the start of its billing period), the accounts it carried, and its lines."""

    bill_id: str
    bill_no: str
    paying_account_id: str
    cycle_date: datetime
    account_ids: frozenset[str]
    """The paying account and the accounts consolidated onto its bill when it was issued."""
    lines: tuple[AppliedBillingRate, ...]


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), ids_per_statement_max):
        yield items[start : start + ids_per_statement_max]


def _headers(
    session: Session, paying_account_ids: Sequence[str], *, first: datetime, last: datetime
) -> list[Row[Any]]:
    column = tables.customer_bills.c
    found: list[Row[Any]] = []
    for chunk in _chunks(sorted(set(paying_account_ids))):
        statement = (
            select(
                column.id,
                column.bill_no,
                column.billing_account_id,
                column.billing_period_start,
                column.consolidated_account_ids,
            )
            .where(column.billing_account_id.in_(chunk))
            .where(column.state == BillState.ISSUED.value)
            .where(column.category == BillCategory.NORMAL.value)
            .where(column.billing_period_start >= first)
            .where(column.billing_period_start <= last)
        )
        found.extend(session.execute(statement))
    return sorted(found, key=lambda row: (row.billing_account_id, row.billing_period_start))


def _bill_of_line(session: Session, bill_ids: Sequence[str]) -> dict[str, str]:
    """Line id → the id of the bill (among `bill_ids`) that carries it."""
    column = tables.applied_billing_rates.c
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(bill_ids)):
        for row in session.execute(
            select(column.bill_id, column.line_id).where(column.bill_id.in_(chunk))
        ):
            assert found.setdefault(row.line_id, row.bill_id) == row.bill_id, (
                f"line id {row.line_id} is on two bills"
            )
    return found


def billed_cycles(
    session: Session, paying_account_ids: Sequence[str], *, first: datetime, last: datetime
) -> tuple[BilledCycle, ...]:
    """The issued normal bills of the paying accounts billed on a cycle date in [first, last],
    with their lines, by (paying account, cycle date)."""
    headers = _headers(session, paying_account_ids, first=first, last=last)
    if not headers:
        return ()
    bill_of_line = _bill_of_line(session, [row.id for row in headers])
    lines = BillRepository(session).issued_lines(
        paying_account_ids, period_start=first, period_end=last + _JUST_AFTER
    )
    by_bill: dict[str, list[AppliedBillingRate]] = {}
    for line in lines:
        bill_id = bill_of_line.get(line.id)
        if bill_id is not None:
            by_bill.setdefault(bill_id, []).append(line)
    return tuple(
        BilledCycle(
            bill_id=row.id,
            bill_no=row.bill_no,
            paying_account_id=row.billing_account_id,
            cycle_date=row.billing_period_start,
            account_ids=frozenset([row.billing_account_id, *row.consolidated_account_ids]),
            lines=tuple(by_bill.get(row.id, ())),
        )
        for row in headers
    )
