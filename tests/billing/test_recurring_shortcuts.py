"""The bill run's shortcuts for recurring charges give what the slow path gives, exactly.

- A bill's closed and current periods are cut from one walk of a product's timeline over both
  (`_segments_in`), not one walk per period (`segments`).
- A product with nothing billed in advance for the closed period (never billed, or activated after
  the advance bill) is settled by charging each active piece whole, not through the general
  settlement (`settled`).
- Period lengths, day positions and prorations are cached by keys exact about time zones and folds.

"Exactly" means the same values with the same representations: each instant's zone and fold, each
Decimal's digits (compared through `repr`).
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from billing_world import World, activate, change, day, disconnect, resume, suspend

from tollway.billing import AppliedBillingRate
from tollway.billing import _recurring as recurring
from tollway.billing._charges import Charge
from tollway.billing._cycle import bill_cycle_for
from tollway.billing._prices import AccountContext, offering_price_index
from tollway.catalog import ChargeKind
from tollway.conventions import profile
from tollway.inventory import LifecycleEvent, Segment, segments
from tollway.periods import BillingPeriod, Cadence, period_containing, prorate
from tollway.periods import _proration as proration

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")

HISTORIES: dict[str, list[LifecycleEvent]] = {
    "active for years": [activate(day(1, 5, year=2024))],
    "activated in the closed period": [activate(day(3, 10))],
    "activated in the current period": [activate(day(4, 20))],
    "activated at the cycle date": [activate(day(4, 1))],
    "mid-cycle change": [activate(day(1, 1)), change(day(3, 16), "mpls-100")],
    "change at the cycle date": [activate(day(1, 1)), change(day(4, 1), "mpls-100", "200")],
    "bandwidth change in the current period": [activate(day(1, 1)), change(day(4, 9), mbps="300")],
    "suspended across the cycle date": [
        activate(day(1, 1)),
        suspend(day(3, 20)),
        resume(day(4, 10)),
    ],
    "suspended in the closed period": [
        activate(day(1, 1)),
        suspend(day(3, 11)),
        resume(day(3, 21)),
    ],
    "disconnected in the closed period": [activate(day(1, 1)), disconnect(day(3, 16))],
    "disconnected in the current period": [activate(day(1, 1)), disconnect(day(4, 16))],
    "disconnected before the closed period": [activate(day(1, 1)), disconnect(day(2, 16))],
    "events in another zone on the bounds": [
        activate(datetime(2026, 3, 1, tzinfo=TOKYO)),
        change(datetime(2026, 4, 1, tzinfo=TOKYO), "mpls-100"),
        suspend(datetime(2026, 5, 1, tzinfo=TOKYO)),
    ],
}


def _world(time_zone: str = "UTC") -> World:
    world = World()
    world.account("ACME", time_zone=time_zone)
    world.offering("mpls-50", mrc="500.00")
    world.offering("mpls-100", mrc="800.00")
    return world


def _context(world: World, on: datetime) -> AccountContext:
    inputs = world.inputs()
    account = inputs.accounts["ACME"]
    # A window of whole UTC days is read as those dates in the account's zone.
    dated = datetime(on.year, on.month, on.day, tzinfo=UTC)
    cycle = bill_cycle_for(account, window_start=dated, window_end=dated.replace(day=2))
    assert cycle is not None
    return AccountContext.of(inputs, account, cycle, offering_price_index(inputs))


def _exactly(values: Sequence[object]) -> list[str]:
    """Values as text that tells apart zones, folds and Decimal digits."""
    shown = []
    for value in values:
        if isinstance(value, datetime):
            shown.append(f"{value.isoformat()} {value.tzinfo!r} fold={value.fold}")
        elif isinstance(value, Segment):
            shown.append(repr(value) + "|".join(_exactly([value.start, value.end])))
        else:
            shown.append(repr(value))
    return shown


def _charges_exactly(charges: Sequence[Charge]) -> list[str]:
    return [
        repr(charge) + "|".join(_exactly([charge.period_start, charge.period_end]))
        for charge in charges
    ]


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Tokyo", "America/New_York"])
@pytest.mark.parametrize("history", sorted(HISTORIES))
def test_the_cycle_walk_cuts_each_period_as_the_timeline_does(history: str, time_zone: str) -> None:
    world = _world(time_zone)
    product = world.product("P1", account="ACME", offering="mpls-50", events=HISTORIES[history])
    context = _context(world, day(4, 1))
    cycle = context.cycle
    # The order of a bill: current (advance), closed (settlement), closed again (arrears).
    for period in (cycle.current, cycle.closed, cycle.closed, cycle.current):
        direct = segments(product, start=period.start, end=period.end)
        assert _exactly(recurring._segments_in(product, period, context)) == _exactly(direct)


@pytest.mark.parametrize("history", sorted(HISTORIES))
def test_a_product_never_billed_is_settled_as_the_general_settlement_does(history: str) -> None:
    world = _world("America/New_York")
    product = world.product("P1", account="ACME", offering="mpls-50", events=HISTORIES[history])
    other = world.product("P2", account="ACME", offering="mpls-50", events=[activate(day(1, 1))])
    context = _context(world, day(4, 1))
    # The previous bill billed another product only: P1 has nothing billed in advance.
    (march,) = world.bill(datetime(2026, 3, 1, tzinfo=NEW_YORK))
    billed_before = tuple(line for line in march.lines if line.product_id == other.id)
    closed = context.cycle.closed
    wanted = recurring.recurring_pieces(product, closed, ChargeKind.RECURRING_ADVANCE, context)
    general = recurring.settled(product, wanted, [], context)
    for previously_billed in ((), billed_before):
        shortcut = recurring.settlement_charges(product, previously_billed, context)
        assert _charges_exactly(shortcut) == _charges_exactly(general)
    assert [charge.charge_type.value for charge in general] == ["recurring"] * len(wanted)


@pytest.mark.parametrize(
    "history",
    ["mid-cycle change", "suspended in the closed period", "disconnected in the closed period"],
)
def test_a_product_billed_before_goes_through_the_general_settlement(history: str) -> None:
    world = _world()
    world.product("P1", account="ACME", offering="mpls-50", events=[activate(day(1, 1))])
    (march,) = world.bill(day(3, 1))
    product = world.product("P1", account="ACME", offering="mpls-50", events=HISTORIES[history])
    context = _context(world, day(4, 1))
    billed: list[AppliedBillingRate] = sorted(
        (line for line in march.lines if line.period_start >= day(3, 1)),
        key=lambda line: (line.price_id or "", line.period_start, line.id),
    )
    closed = context.cycle.closed
    wanted = recurring.recurring_pieces(product, closed, ChargeKind.RECURRING_ADVANCE, context)
    settled = recurring.settlement_charges(product, march.lines, context)
    assert _charges_exactly(settled) == _charges_exactly(
        recurring.settled(product, wanted, billed, context)
    )
    assert any(charge.charge_type.value == "credit" for charge in settled)


def _fresh() -> None:
    proration._positions.clear()
    proration._current_lengths.clear()
    recurring._prorations.entries.clear()
    recurring._period_prices.entries.clear()
    recurring._period_keys.clear()
    recurring._cycle_segments.clear()


# 1 November 2026, 01:30 in New York happens twice: fold 0 (EDT) and fold 1 (EST), an hour apart.
FIRST_0130 = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)
SECOND_0130 = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK)
SAME_INSTANTS = [
    datetime(2026, 11, 10, 5, tzinfo=UTC),
    datetime(2026, 11, 10, tzinfo=NEW_YORK),
    datetime(2026, 11, 10, 14, tzinfo=TOKYO),
]


def _prorated(start: datetime, period: BillingPeriod) -> str:
    share = prorate(
        Decimal("31.00"),
        interval_start=start,
        interval_end=period.end,
        period=period,
        conventions=profile("tollway"),
        bill_cycle_day=1,
    )
    return repr(share)


@pytest.mark.parametrize("zone", [NEW_YORK, UTC])
def test_cached_prorations_equal_fresh_ones_across_folds_and_zones(zone: ZoneInfo) -> None:
    period = period_containing(
        FIRST_0130, cadence=Cadence.MONTHLY, time_zone=zone, bill_cycle_day=1
    )
    starts = [FIRST_0130, SECOND_0130, *SAME_INSTANTS, FIRST_0130]
    fresh = []
    for start in starts:
        _fresh()
        fresh.append(_prorated(start, period))
    _fresh()
    warm = [_prorated(start, period) for start in starts]
    assert warm == fresh
    assert fresh[0] != fresh[1], "the two 01:30s are an hour apart"


def test_cached_recurring_lines_keep_each_piece_zone_and_fold() -> None:
    world = _world("America/New_York")
    events = [activate(datetime(2026, 10, 1, tzinfo=NEW_YORK))]
    product = world.product("P1", account="ACME", offering="mpls-50", events=events)
    context = _context(world, datetime(2026, 12, 1, tzinfo=NEW_YORK))
    closed = context.cycle.closed
    (price,) = recurring.recurring_pieces(product, closed, ChargeKind.RECURRING_ADVANCE, context)
    pieces = [
        recurring.Piece(start, closed.end, price.offering_price, price.quantity)
        for start in [FIRST_0130, SECOND_0130, *SAME_INSTANTS, FIRST_0130]
    ]
    fresh = []
    for piece in pieces:
        _fresh()
        fresh.append(recurring.recurring_charge(piece, product, closed, context))
    _fresh()
    warm = [recurring.recurring_charge(piece, product, closed, context) for piece in pieces]
    assert _charges_exactly(warm) == _charges_exactly(fresh)
    assert fresh[0].precise_amount != fresh[1].precise_amount
