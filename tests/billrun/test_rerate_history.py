"""What re-rating reads of the issued bills: only their usage and adjustment lines, and of a usage
line's breakdown (a step per call) only the tax-inclusive discount mark an adjustment copies.
Reading less must give the lines a whole read gives, and the same adjustments.

The operator is `rerate_world`'s: January billed on the bills dated Feb 1; ACME billed 95 GB
(9.50 USD) for January on INV-00000001.
"""

from collections.abc import Collection, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from tollway.billing import (
    TAX_INCLUSIVE_DISCOUNT_KIND,
    AppliedBillingRate,
    ChargeType,
)
from tollway.billrun import preview_rerate
from tollway.billrun._history import BilledCycle, billed_cycles
from tollway.inventory import LifecycleAction, LifecycleEvent
from tollway.pricing import BreakdownLine
from tollway.storage import Database, WorldRepository
from tollway.storage import _tables as tables
from tollway.storage._documents import breakdown_document
from tollway.usage import UsageStore

from .rerate_world import JANUARY_USAGE, bill_month, bill_of, load, make_world, usage_csv

PAYERS = ("ACME", "KAISHA", "MANAMA")
FEBRUARY_TO_MARCH = {
    "first": datetime(2026, 2, 1, tzinfo=UTC),
    "last": datetime(2026, 3, 1, tzinfo=UTC),
}
COMPARED = (ChargeType.USAGE, ChargeType.ADJUSTMENT)
MARK = BreakdownLine(TAX_INCLUSIVE_DISCOUNT_KIND, "mark", Decimal(0), None, Decimal(0))
DECOY = BreakdownLine(
    "increment", f"names {TAX_INCLUSIVE_DISCOUNT_KIND}", Decimal(1), None, Decimal(0)
)


@pytest.fixture
def billed(database_url: str, tmp_path: Path) -> Iterator[tuple[Database, UsageStore]]:
    """January billed on Feb 1; a late January record and a price correction adjusted on the
    March 1 bills (so both months carry usage, and March adjustments too)."""
    database = Database(database_url)
    database.migrate()
    store = UsageStore(tmp_path / "usage-store")
    with database.transaction() as session:
        WorldRepository(session).save(make_world())
    assert load(store, tmp_path, JANUARY_USAGE, load_id="2026-01").accepted == 5
    bill_month(database, store, 2)
    late = usage_csv(
        "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB",
        "a4,edge,CKT-ACME,data,2026-02-03T10:00:00+00:00,7,GB",
        "m2,edge,CKT-MANAMA,data,2026-02-04T10:00:00+00:00,3,GB",
    )
    assert load(store, tmp_path, late, load_id="late").accepted == 3
    with database.transaction() as session:
        WorldRepository(session).save(make_world(january_first_tier="0.08"))
    bill_month(database, store, 3)
    yield database, store
    database.dispose()


def _read(
    database: Database,
    *,
    charge_types: Collection[ChargeType] | None = None,
    usage_breakdown_kinds: Collection[str] | None = None,
) -> tuple[BilledCycle, ...]:
    with database.transaction() as session:
        return billed_cycles(
            session,
            PAYERS,
            **FEBRUARY_TO_MARCH,
            charge_types=charge_types,
            usage_breakdown_kinds=usage_breakdown_kinds,
        )


def _only(
    cycles: tuple[BilledCycle, ...], types: Collection[ChargeType], kinds: Collection[str] | None
) -> tuple[BilledCycle, ...]:
    """The whole read narrowed by hand: the lines of `types`, a usage line's steps of `kinds`."""

    def narrowed(line: AppliedBillingRate) -> AppliedBillingRate:
        if kinds is None or line.charge_type is not ChargeType.USAGE:
            return line
        return replace(line, breakdown=tuple(s for s in line.breakdown if s.kind in kinds))

    return tuple(
        replace(
            cycle,
            lines=tuple(narrowed(line) for line in cycle.lines if line.charge_type in types),
        )
        for cycle in cycles
    )


def _mark_acme_january_usage(database: Database, *, steps: tuple[BreakdownLine, ...]) -> None:
    """Give ACME's issued January usage line a tax-inclusive price and these extra breakdown
    steps, as a bill billed with them would hold (issued bills are never edited otherwise)."""
    (usage,) = [
        line for line in bill_of(database, "ACME", 2).lines if line.charge_type is ChargeType.USAGE
    ]
    column = tables.applied_billing_rates.c
    with database.transaction() as session:
        session.execute(
            update(tables.applied_billing_rates)
            .where(column.line_id == usage.id)
            .values(breakdown=breakdown_document((*usage.breakdown, *steps)), tax_inclusive=True)
        )


def test_the_bills_read_carry_usage_per_call_and_adjustments(
    billed: tuple[Database, UsageStore],
) -> None:
    whole = _read(billed[0])
    assert [(cycle.bill_no, f"{cycle.cycle_date:%m}") for cycle in whole] == [
        ("INV-00000001", "02"),
        ("INV-00000002", "03"),
        ("JP-00000001", "02"),
        ("JP-00000002", "03"),
        ("BH-00000001", "02"),
        ("BH-00000002", "03"),
    ]
    types = {line.charge_type for cycle in whole for line in cycle.lines}
    assert types == {ChargeType.RECURRING, ChargeType.USAGE, ChargeType.ADJUSTMENT}
    assert all(
        line.breakdown for cycle in whole for line in cycle.lines if line.charge_type in COMPARED
    )


@pytest.mark.parametrize(
    "types", [COMPARED, (ChargeType.USAGE,), (ChargeType.RECURRING, ChargeType.ADJUSTMENT)]
)
def test_reading_some_charge_types_equals_the_whole_read_narrowed(
    billed: tuple[Database, UsageStore], types: tuple[ChargeType, ...]
) -> None:
    database, _ = billed
    whole = _read(database)

    assert _read(database, charge_types=types) == _only(whole, types, None)


@pytest.mark.parametrize("kinds", [frozenset(), frozenset({TAX_INCLUSIVE_DISCOUNT_KIND})])
@pytest.mark.parametrize("types", [COMPARED, None])
def test_reading_usage_breakdowns_sparingly_equals_the_whole_read_narrowed(
    billed: tuple[Database, UsageStore],
    kinds: frozenset[str],
    types: tuple[ChargeType, ...] | None,
) -> None:
    database, _ = billed
    _mark_acme_january_usage(database, steps=(MARK, DECOY))
    whole = _read(database)
    every = tuple(ChargeType)

    sparing = _read(database, charge_types=types, usage_breakdown_kinds=kinds)

    assert sparing == _only(whole, types or every, kinds)
    acme_january_usage = [
        line.breakdown
        for line in sparing[0].lines
        if line.charge_type is ChargeType.USAGE and line.billing_account_id == "ACME"
    ]
    # The decoy's description names the mark's kind; only the mark is a step of that kind.
    assert acme_january_usage == [(MARK,) if kinds else ()]


def test_a_kind_that_sql_cannot_find_as_written_is_refused(
    billed: tuple[Database, UsageStore],
) -> None:
    with pytest.raises(AssertionError, match="plain kinds"):
        _read(billed[0], usage_breakdown_kinds={"50%"})


def test_a_tax_inclusive_usage_line_reversed_keeps_its_mark(
    billed: tuple[Database, UsageStore],
) -> None:
    """The mark path: a usage line that should not have been billed (its circuit disconnected
    back-dated to before its records) is reversed by an adjustment named after the issued line,
    which copies the mark; its price (tax-inclusive, untaxed here) is reversed whole."""
    database, store = billed
    _mark_acme_january_usage(database, steps=(DECOY, MARK))
    world = make_world(january_first_tier="0.08")
    acme = world.products["P-ACME"]
    disconnected = (
        *acme.events,
        LifecycleEvent(datetime(2026, 1, 2, tzinfo=UTC), LifecycleAction.DISCONNECT),
    )
    world = replace(
        world, products={**world.products, "P-ACME": replace(acme, events=disconnected)}
    )
    with database.transaction() as session:
        WorldRepository(session).save(world)

    preview = preview_rerate(
        database,
        store,
        period_start=datetime(2026, 4, 1, tzinfo=UTC),
        period_end=datetime(2026, 4, 2, tzinfo=UTC),
    )

    january = [
        line
        for line in preview.adjustments["ACME"]
        if line.period_start == datetime(2026, 1, 1, tzinfo=UTC)
    ]
    # Billed 95 GB at 0.10 (9.50); March adjusted January to 105 GB at the corrected price,
    # 100 x 0.08 + 5 x 0.05 = 8.25: all of it is reversed.
    assert [
        (line.name, str(line.amount), line.quantity, line.related_bill_no) for line in january
    ] == [("Adjustment: Data", "-8.25 USD", Decimal(-105), "INV-00000001")]
    assert [step.kind for step in january[0].breakdown] == [
        "adjusts_usage",
        TAX_INCLUSIVE_DISCOUNT_KIND,
    ]
