"""Re-rating in the bill run: late usage and price corrections become adjustment lines.

Each bill run re-rates, for every paying account it bills, the closed periods of its
`rerate_lookback_periods` previous cycles: with the world the run bills with (prices are
effective-dated; a corrected price document replaces the old one) and the usage in the store now
(late records land in their own month's partition). For each such period that an issued bill
billed, the re-rated USAGE lines are compared with what was billed for it — the usage lines of that
bill plus the usage adjustments of later bills naming it — and the differences become ADJUSTMENT
lines (`tollway.billing.rerate_adjustments`) on the bill being drafted, naming the bill they
correct and keeping the period's coverage. A graduated price is re-rated on the period's whole
total, so a late record is priced at the tier position it would have had.

What is compared, per circuit and period (anything else is left as billed):
- the circuit's product is in the world under the account the line is for, that account rolls up
  onto the paying account now and was carried by the bill being corrected, and no usage line of
  that bill bills the product under another account (circuits and accounts that moved between
  accounts or hierarchies are not re-rated);
- the re-rate rated every record of the circuit's period: a record it rejects (an unknown usage
  type, a price that cannot rate it) leaves the circuit's period as billed, and is reported.

Issued bills never change; a period whose bill was voided, or never issued, is not re-rated.
Of the issued bills only the usage and adjustment lines are read, and of a usage line's breakdown
(a step per call) only the tax-inclusive discount mark that an adjustment copies.
Credit notes are deliberate corrections and are not netted: re-rating compares with the bill.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from tollway.accounts import BillingAccount
from tollway.billing import (
    TAX_INCLUSIVE_DISCOUNT_KIND,
    AppliedBillingRate,
    BillCycle,
    BillingInputs,
    ChargeType,
    bill_cycle_for,
    parse_usage_charge_key,
    rerate_adjustments,
)
from tollway.billing._compute import usage_lines
from tollway.billing._corrections import corrected_charge_type
from tollway.billrun._batches import WorldIndex, payers_of
from tollway.billrun._history import BilledCycle, billed_cycles
from tollway.billrun._rating import CIRCUIT_NOT_ACTIVE, UsageRater
from tollway.rating.reference import RatingReject
from tollway.storage import Database
from tollway.usage import UsageStore

rerate_lookback_periods: Final = 3
"""How many closed periods before the one a bill covers each bill run re-rates: usage arriving
later than that after its period closed is never billed."""
rating_window_span_max: Final = timedelta(days=27)
"""The widest window of cycle dates re-rated with one call of the rater: shorter than any month
(28 days less a daylight-saving hour), so no account has two cycle dates in it."""
_JUST_AFTER: Final = timedelta(microseconds=1)
_COMPARED_CHARGE_TYPES: Final = (ChargeType.USAGE, ChargeType.ADJUSTMENT)
"""The lines of the issued bills re-rating reads: the usage lines it compares and the adjustments
that corrected them (`_billed_usage`)."""
_COMPARED_BREAKDOWN_KINDS: Final = frozenset({TAX_INCLUSIVE_DISCOUNT_KIND})
"""The only steps of an issued usage line's breakdown that comparing it reads: the mark an
adjustment copies from it (`rerate_adjustments`); not its steps per call."""


@dataclass(frozen=True, slots=True)
class RerateOutcome:
    """What re-rating found: per paying account, the adjustment lines its next bill carries; and
    the records the re-rate rejected (reported again each time their period is re-rated)."""

    adjustments: Mapping[str, tuple[AppliedBillingRate, ...]] = field(default_factory=dict)
    rejects: tuple[RatingReject, ...] = ()

    @property
    def lines(self) -> tuple[AppliedBillingRate, ...]:
        """Every adjustment line, by paying account."""
        return tuple(line for payer in sorted(self.adjustments) for line in self.adjustments[payer])


@dataclass(frozen=True, slots=True)
class _Target:
    """One issued bill to re-rate: its paying account, the cycle it billed (whose closed period
    is re-rated), and the bill."""

    payer: BillingAccount
    cycle: BillCycle
    bill: BilledCycle


def earlier_cycles(account: BillingAccount, cycle: BillCycle, *, periods: int) -> list[BillCycle]:
    """The cycles of the account's `periods` bills before `cycle`, latest first.

    >>> from datetime import UTC
    >>> from tollway.money import currency
    >>> account = BillingAccount("A1", "p1", "Acme", currency("USD"), 1, "UTC")
    >>> april = bill_cycle_for(account, window_start=datetime(2026, 4, 1, tzinfo=UTC),
    ...                        window_end=datetime(2026, 4, 2, tzinfo=UTC))
    >>> [f"{found.closed.start:%b}" for found in earlier_cycles(account, april, periods=3)]
    ['Feb', 'Jan', 'Dec']
    """
    found: list[BillCycle] = []
    cycle_date = cycle.closed.start
    for _ in range(periods):
        earlier = bill_cycle_for(
            account, window_start=cycle_date, window_end=cycle_date + _JUST_AFTER
        )
        assert earlier is not None and earlier.cycle_date == cycle_date, "cycle dates chain"
        found.append(earlier)
        cycle_date = earlier.closed.start
    return found


def rerate_batch(
    rate: UsageRater,
    usage_store: UsageStore,
    database: Database,
    index: WorldIndex,
    paying_account_ids: Sequence[str],
    *,
    period_start: datetime,
    period_end: datetime,
) -> RerateOutcome:
    """Re-rate the earlier periods of the paying accounts a run over [period_start, period_end)
    bills, and return the adjustment lines their bills carry (see the module docstring)."""
    wanted: list[tuple[BillingAccount, BillCycle]] = []
    latest: list[datetime] = []
    for payer_id in paying_account_ids:
        payer = index.inputs.accounts[payer_id]
        cycle = bill_cycle_for(payer, window_start=period_start, window_end=period_end)
        assert cycle is not None, f"{payer_id} is billed by the run"
        latest.append(cycle.cycle_date)
        earlier = earlier_cycles(payer, cycle, periods=rerate_lookback_periods)
        wanted.extend((payer, found) for found in earlier)
    if not wanted:
        return RerateOutcome()
    with database.transaction() as session:
        history = billed_cycles(
            session,
            paying_account_ids,
            first=min(found.cycle_date for _, found in wanted),
            last=max(latest),
            charge_types=_COMPARED_CHARGE_TYPES,
            usage_breakdown_kinds=_COMPARED_BREAKDOWN_KINDS,
        )
    targets = _targets(wanted, history)
    if not targets:
        return RerateOutcome()
    return _rerated(rate, usage_store, index, targets, history)


def _targets(
    wanted: Sequence[tuple[BillingAccount, BillCycle]], history: Sequence[BilledCycle]
) -> list[_Target]:
    """The wanted cycles an issued bill billed."""
    bills = {(bill.paying_account_id, bill.cycle_date): bill for bill in history}
    targets: list[_Target] = []
    for payer, cycle in wanted:
        bill = bills.get((payer.id, cycle.cycle_date))
        if bill is not None:
            targets.append(_Target(payer, cycle, bill))
    return targets


def _rating_windows(targets: Sequence[_Target]) -> list[list[_Target]]:
    """Targets grouped into windows of cycle dates rated together: in cycle-date order, each
    window spanning less than `rating_window_span_max`."""
    windows: list[list[_Target]] = []
    for target in sorted(targets, key=lambda found: (found.cycle.cycle_date, found.payer.id)):
        current = windows[-1] if windows else None
        if current and target.cycle.cycle_date - current[0].cycle.cycle_date < (
            rating_window_span_max
        ):
            current.append(target)
        else:
            windows.append([target])
    return windows


def _rerated(
    rate: UsageRater,
    usage_store: UsageStore,
    index: WorldIndex,
    targets: Sequence[_Target],
    history: Sequence[BilledCycle],
) -> RerateOutcome:
    adjustments_of = _adjustments_by_bill(history)
    found: dict[str, list[AppliedBillingRate]] = {}
    rejects: list[RatingReject] = []
    for window in _rating_windows(targets):
        payer_ids = sorted(target.payer.id for target in window)
        assert len(set(payer_ids)) == len(payer_ids), "a window holds one cycle per account"
        start, end = window[0].cycle.cycle_date, window[-1].cycle.cycle_date + _JUST_AFTER
        world = index.slice(payer_ids)
        outcome = rate(usage_store, world, period_start=start, period_end=end)
        corrected = usage_lines(
            world, period_start=start, period_end=end, rated_usage=outcome.charges
        )
        rejected = _rejected_products(outcome.rejects)
        current_payers = payers_of(world)
        for target in window:
            rated = bill_cycle_for(target.payer, window_start=start, window_end=end)
            assert rated == target.cycle, f"{target.payer.id}: the window rates its cycle"
            issued = _billed_usage(target, adjustments_of.get(target.bill.bill_no, ()))
            compared = _Comparison.of(target, world, current_payers, rejected, issued)
            found.setdefault(target.payer.id, []).extend(
                rerate_adjustments(
                    [line for line in issued if compared.keeps(line)],
                    [line for line in corrected.get(target.payer.id, ()) if compared.keeps(line)],
                    related_bill_no=target.bill.bill_no,
                )
            )
        rejects.extend(outcome.rejects)
    return RerateOutcome(
        {payer: tuple(lines) for payer, lines in sorted(found.items()) if lines}, tuple(rejects)
    )


def _adjustments_by_bill(
    history: Sequence[BilledCycle],
) -> dict[str, list[AppliedBillingRate]]:
    """The adjustment lines of the issued bills, by the number of the bill each corrects."""
    found: dict[str, list[AppliedBillingRate]] = {}
    for bill in history:
        for line in bill.lines:
            if line.charge_type is ChargeType.ADJUSTMENT and line.related_bill_no is not None:
                found.setdefault(line.related_bill_no, []).append(line)
    return found


def _billed_usage(
    target: _Target, adjustments: Sequence[AppliedBillingRate]
) -> list[AppliedBillingRate]:
    """What was billed for the target's period: the bill's usage lines covering it, and the
    usage adjustments of later bills naming the bill."""
    period = target.cycle.closed
    return [
        line
        for line in (*target.bill.lines, *adjustments)
        if corrected_charge_type(line) is ChargeType.USAGE
        and (line.period_start, line.period_end) == (period.start, period.end)
    ]


def _rejected_products(rejects: Sequence[RatingReject]) -> set[tuple[str, datetime]]:
    """(product id, period start) of every rejected record whose period cannot be re-rated.

    Usage where the circuit was not active is meant to stay unbilled; the rest of its period is
    sound, so such rejects do not keep a period from being corrected (e.g. after a back-dated
    disconnect, usage already billed past it is credited)."""
    found: set[tuple[str, datetime]] = set()
    for reject in rejects:
        if reject.code == CIRCUIT_NOT_ACTIVE:
            continue
        key = parse_usage_charge_key(reject.charge_key)
        found.add((key.product_id, key.period_start))
    return found


@dataclass(frozen=True, slots=True)
class _Comparison:
    """Which lines of one re-rated period are compared (see the module docstring)."""

    target: _Target
    world: BillingInputs
    current_payers: Mapping[str, str]
    rejected: set[tuple[str, datetime]]
    moved: frozenset[str]
    """Products the corrected bill billed under an account other than their account now."""

    @classmethod
    def of(
        cls,
        target: _Target,
        world: BillingInputs,
        current_payers: Mapping[str, str],
        rejected: set[tuple[str, datetime]],
        issued: Sequence[AppliedBillingRate],
    ) -> "_Comparison":
        moved = frozenset(
            line.product_id
            for line in issued
            if line.product_id is not None
            and (
                line.product_id not in world.products
                or world.products[line.product_id].billing_account_id != line.billing_account_id
            )
        )
        return cls(target, world, current_payers, rejected, moved)

    def keeps(self, line: AppliedBillingRate) -> bool:
        account_id, product_id = line.billing_account_id, line.product_id
        if product_id is None or product_id in self.moved:
            return False
        if (product_id, self.target.cycle.closed.start) in self.rejected:
            return False
        product = self.world.products.get(product_id)
        return (
            product is not None
            and product.billing_account_id == account_id
            and self.current_payers.get(account_id) == self.target.payer.id
            and account_id in self.target.bill.account_ids
        )
