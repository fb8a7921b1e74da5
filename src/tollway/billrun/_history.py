"""What the issued bills billed: the bills re-rating compares with, the lines settlement and
annual commitments count, and each paying account's latest bill (the cycle a run follows on from).

Read-only queries over the bill tables, in the caller's transaction. The storage repositories have
no query for "the issued bills of these accounts dated in this span, with their numbers and
lines", so the bill headers and the line-to-bill map are read here with SQLAlchemy Core; the lines
themselves come from `BillRepository.issued_lines`, which checks the money invariants on reading.
Re-rating reads usage lines without the breakdown it does not use (one step per call, the bulk of
a month's bill): those lines are read here too, each bill's lines checked against its total.
"""

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import JSON, ColumnElement, Row, Text, case, cast, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from tollway.billing import AnnualClosing, AppliedBillingRate, BillCategory, BillState, ChargeType
from tollway.storage import BillRepository
from tollway.storage import _tables as tables
from tollway.storage._bill_rows import line_from_row
from tollway.storage._repositories_bills import check_line_totals

ids_per_statement_max: Final = 500
"""Ids in one `IN (...)` list: bounded statements on every database."""
_JUST_AFTER: Final = timedelta(microseconds=1)
_PLAIN_KIND: Final = re.compile(r"[A-Za-z0-9_]+")
"""A breakdown kind found in SQL: written as is in the JSON text, and no LIKE wildcard but `_`."""


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
                column.tax_excluded_amount_minor,
                column.currency,
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
    session: Session,
    paying_account_ids: Sequence[str],
    *,
    first: datetime,
    last: datetime,
    charge_types: Collection[ChargeType] | None = None,
    usage_breakdown_kinds: Collection[str] | None = None,
) -> tuple[BilledCycle, ...]:
    """The issued normal bills of the paying accounts billed on a cycle date in [first, last],
    with their lines, by (paying account, cycle date).

    With `charge_types`, each bill carries only its lines of those types (in bill order). With
    `usage_breakdown_kinds`, a usage line's breakdown keeps only its steps of those kinds: the
    other steps, one per call, are neither read nor decoded (the other lines keep their whole
    breakdown). Re-rating asks for usage and adjustment lines and the tax-inclusive discount mark.
    """
    headers = _headers(session, paying_account_ids, first=first, last=last)
    if not headers:
        return ()
    if usage_breakdown_kinds is None:
        by_bill = _lines_by_bill(
            session, paying_account_ids, headers, first=first, last=last, charge_types=charge_types
        )
    else:
        by_bill = _lines_sparing_usage_breakdowns(
            session, headers, charge_types=charge_types, kinds=frozenset(usage_breakdown_kinds)
        )
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


def _lines_by_bill(
    session: Session,
    paying_account_ids: Sequence[str],
    headers: Sequence[Row[Any]],
    *,
    first: datetime,
    last: datetime,
    charge_types: Collection[ChargeType] | None,
) -> dict[str, list[AppliedBillingRate]]:
    """The lines (of `charge_types`, or all) of the bills `headers`, whole, by bill id."""
    bill_of_line = _bill_of_line(session, [row.id for row in headers])
    lines = BillRepository(session).issued_lines(
        paying_account_ids,
        period_start=first,
        period_end=last + _JUST_AFTER,
        charge_types=charge_types,
    )
    by_bill: dict[str, list[AppliedBillingRate]] = {}
    for line in lines:
        bill_id = bill_of_line.get(line.id)
        if bill_id is not None:
            by_bill.setdefault(bill_id, []).append(line)
    return by_bill


def _maybe_has_kind(kinds: frozenset[str]) -> ColumnElement[bool]:
    """True for every line whose breakdown may hold a step of `kinds`: its JSON text names one.
    A superset (`_` matches any character; a description may name a kind), narrowed after
    decoding."""
    breakdown = cast(tables.applied_billing_rates.c.breakdown, Text)
    return or_(*(breakdown.like(f"%{kind}%") for kind in sorted(kinds)))


def _lines_sparing_usage_breakdowns(
    session: Session,
    headers: Sequence[Row[Any]],
    *,
    charge_types: Collection[ChargeType] | None,
    kinds: frozenset[str],
) -> dict[str, list[AppliedBillingRate]]:
    """The lines (of `charge_types`, or all) of the bills `headers` by bill id, in position
    order; a usage line's breakdown holds only its steps of `kinds`, read only where its JSON
    text names one. Each bill's lines, all of them, are checked to add up to its total."""
    assert all(_PLAIN_KIND.fullmatch(kind) for kind in kinds), f"plain kinds: {sorted(kinds)}"
    line = tables.applied_billing_rates.c
    not_usage = line.charge_type != ChargeType.USAGE.value
    read = or_(not_usage, _maybe_has_kind(kinds)) if kinds else not_usage
    breakdown = case((read, line.breakdown), else_=literal([], JSON)).label("breakdown")
    columns = [column for column in tables.applied_billing_rates.c if column.name != "breakdown"]
    currency_of = {row.id: row.currency for row in headers}
    by_bill: dict[str, list[AppliedBillingRate]] = {}
    for chunk in _chunks([row.id for row in headers]):
        check_line_totals(session, headers, chunk)
        statement: Select[Any] = select(*columns, breakdown).where(line.bill_id.in_(chunk))
        if charge_types is not None:
            statement = statement.where(line.charge_type.in_(sorted(t.value for t in charge_types)))
        for row in session.execute(statement.order_by(line.bill_id, line.position)):
            found = line_from_row(row, currency_of[row.bill_id])
            if found.charge_type is ChargeType.USAGE and found.breakdown:
                kept = tuple(step for step in found.breakdown if step.kind in kinds)
                found = replace(found, breakdown=kept)
            by_bill.setdefault(row.bill_id, []).append(found)
    return by_bill


def _payers_billing_products(
    session: Session, product_ids: Sequence[str], *, period_start: datetime, period_end: datetime
) -> list[str]:
    """The paying accounts of the issued normal bills whose billing period overlaps
    [period_start, period_end) and that carry a line of one of the products."""
    bill = tables.customer_bills.c
    line = tables.applied_billing_rates.c
    found: set[str] = set()
    for chunk in _chunks(sorted(set(product_ids))):
        statement = (
            select(bill.billing_account_id)
            .distinct()
            .join_from(tables.applied_billing_rates, tables.customer_bills, line.bill_id == bill.id)
            .where(line.product_id.in_(chunk))
            .where(bill.state == BillState.ISSUED.value)
            .where(bill.category == BillCategory.NORMAL.value)
            .where(bill.billing_period_start < period_end)
            .where(bill.billing_period_end > period_start)
        )
        found.update(session.execute(statement).scalars())
    return sorted(found)


def issued_product_lines(
    session: Session, product_ids: Sequence[str], *, period_start: datetime, period_end: datetime
) -> tuple[AppliedBillingRate, ...]:
    """The recurring lines for these products on ANY issued normal bill whose billing period
    overlaps [period_start, period_end), whichever paying account it was billed to: a circuit
    that moved to another paying account is settled against what its old paying account was
    billed. Settlement reads only recurring lines (`compute_bills` ignores the others in
    `previously_billed`), so the others, usage lines with a breakdown per call among them, are
    not read."""
    wanted = frozenset(product_ids)
    payers = _payers_billing_products(
        session, product_ids, period_start=period_start, period_end=period_end
    )
    if not payers:
        return ()
    lines = BillRepository(session).issued_lines(
        payers,
        period_start=period_start,
        period_end=period_end,
        charge_types=(ChargeType.RECURRING,),
    )
    return tuple(line for line in lines if line.product_id in wanted)


def contract_year_lines(session: Session, closing: AnnualClosing) -> tuple[AppliedBillingRate, ...]:
    """The lines for the agreement's products on the issued normal bills billed on a cycle date
    in [year_start, bill_cycle_date): the contract year's earlier bills, whoever paid them."""
    products = sorted(closing.product_ids)
    last = closing.bill_cycle_date - _JUST_AFTER
    payers = _payers_billing_products(
        session, products, period_start=closing.year_start, period_end=closing.bill_cycle_date
    )
    cycles = billed_cycles(session, payers, first=closing.year_start, last=last)
    return tuple(
        line for cycle in cycles for line in cycle.lines if line.product_id in closing.product_ids
    )


@dataclass(frozen=True, slots=True)
class LatestBill:
    """A paying account's issued normal bill with the latest billing period."""

    bill_no: str
    run_id: str | None
    period_start: datetime
    period_end: datetime


def latest_issued_bills(
    session: Session, paying_account_ids: Sequence[str], *, other_than_run_id: str
) -> dict[str, LatestBill]:
    """Per paying account, its issued normal bill with the latest billing period among those
    not issued by run `other_than_run_id` (accounts without one are left out)."""
    column = tables.customer_bills.c
    found: dict[str, LatestBill] = {}
    for chunk in _chunks(sorted(set(paying_account_ids))):
        statement = (
            select(
                column.billing_account_id,
                column.bill_no,
                column.run_id,
                column.billing_period_start,
                column.billing_period_end,
            )
            .where(column.billing_account_id.in_(chunk))
            .where(column.state == BillState.ISSUED.value)
            .where(column.category == BillCategory.NORMAL.value)
            .where(or_(column.run_id.is_(None), column.run_id != other_than_run_id))
        )
        for row in session.execute(statement):
            earlier = found.get(row.billing_account_id)
            if earlier is None or (earlier.period_start, earlier.bill_no) < (
                row.billing_period_start,
                row.bill_no,
            ):
                found[row.billing_account_id] = LatestBill(
                    row.bill_no, row.run_id, row.billing_period_start, row.billing_period_end
                )
    return found
