"""Guarantees, recoupment, floors and caps: from what an item earned to what it pays.

Applied in this order, each on the result of the previous step (all amounts whole minor units):
1. minimum guarantee (periods the item is in effect at the start): a shortfall below it is topped
   up; a recoupable top-up is added to the outstanding balance, and later periods' share above the
   guarantee repays that balance first (recoupment);
2. period floor (periods in effect at the start): a shortfall is topped up, never recouped;
3. cumulative floor (the period the item ends): the lifetime total is topped up to it;
4. period cap, then cumulative cap: caps are absolute and cut any of the above.
A recoupable top-up cut by a cap adds only what was really paid above the share to the balance.
"""

from dataclasses import dataclass
from decimal import Decimal

from tollway.settlement.core._model import ShareItem
from tollway.settlement.core._statement import AdjustmentKind, AdjustmentLine


@dataclass(frozen=True, slots=True)
class LimitResult:
    adjustments: tuple[AdjustmentLine, ...]
    payable: Decimal
    cumulative_paid: Decimal
    guarantee_outstanding: Decimal


@dataclass(slots=True)
class _Running:
    amount: Decimal
    lines: list[AdjustmentLine]
    item_id: str

    def move_to(self, target: Decimal, kind: AdjustmentKind, description: str) -> Decimal:
        change = target - self.amount
        self.lines.append(AdjustmentLine(self.item_id, kind, change, description))
        self.amount = target
        return change


def apply_limits(
    item: ShareItem,
    *,
    earned: Decimal,
    paid_before: Decimal,
    outstanding_before: Decimal,
    in_effect: bool,
    ended_now: bool,
) -> LimitResult:
    """The payable amount of an item for a period, with the lines that explain it.

    >>> from tollway.settlement.core._model import FlatShare, MinimumGuarantee
    >>> item = ShareItem("I", "item", FlatShare(Decimal(10)),
    ...     guarantee=MinimumGuarantee(Decimal(1000)))
    >>> result = apply_limits(item, earned=Decimal(400), paid_before=Decimal(0),
    ...     outstanding_before=Decimal(0), in_effect=True, ended_now=False)
    >>> result.payable, result.guarantee_outstanding
    (Decimal('1000'), Decimal('600'))
    """
    running = _Running(earned, [], item.id)
    top_up, outstanding = Decimal(0), outstanding_before
    if in_effect and item.guarantee is not None:
        top_up, outstanding = _guarantee(item, running, outstanding)
    _floors(item, running, paid_before=paid_before, in_effect=in_effect, ended_now=ended_now)
    _caps(item, running, paid_before=paid_before)
    if item.guarantee is not None and item.guarantee.recoupable and top_up > 0:
        outstanding += max(Decimal(0), min(top_up, running.amount - earned))
    limits = item.limits
    assert limits.period_cap is None or running.amount <= limits.period_cap
    assert limits.cumulative_cap is None or paid_before + running.amount <= limits.cumulative_cap
    assert outstanding >= 0
    return LimitResult(
        adjustments=tuple(running.lines),
        payable=running.amount,
        cumulative_paid=paid_before + running.amount,
        guarantee_outstanding=outstanding,
    )


def _guarantee(item: ShareItem, running: _Running, outstanding: Decimal) -> tuple[Decimal, Decimal]:
    assert item.guarantee is not None
    minimum = item.guarantee.amount_per_period
    if running.amount < minimum:
        top_up = running.move_to(
            minimum, AdjustmentKind.GUARANTEE_TOP_UP, f"minimum guarantee of {minimum}"
        )
        return top_up, outstanding
    if not item.guarantee.recoupable or outstanding <= 0:
        return Decimal(0), outstanding
    recouped = min(outstanding, running.amount - minimum)
    if recouped > 0:
        running.move_to(
            running.amount - recouped,
            AdjustmentKind.RECOUPMENT,
            f"recoups {recouped} of {outstanding} guarantee top-ups (share above {minimum})",
        )
    return Decimal(0), outstanding - recouped


def _floors(
    item: ShareItem, running: _Running, *, paid_before: Decimal, in_effect: bool, ended_now: bool
) -> None:
    floor = item.limits.period_floor
    if in_effect and floor is not None and running.amount < floor:
        running.move_to(floor, AdjustmentKind.PERIOD_FLOOR, f"period floor of {floor}")
    lifetime = item.limits.cumulative_floor
    if ended_now and lifetime is not None and paid_before + running.amount < lifetime:
        running.move_to(
            lifetime - paid_before,
            AdjustmentKind.CUMULATIVE_FLOOR,
            f"lifetime floor of {lifetime} at the item's end ({paid_before} paid before)",
        )


def _caps(item: ShareItem, running: _Running, *, paid_before: Decimal) -> None:
    cap = item.limits.period_cap
    if cap is not None and running.amount > cap:
        running.move_to(cap, AdjustmentKind.PERIOD_CAP, f"period cap of {cap}")
    lifetime = item.limits.cumulative_cap
    if lifetime is not None and paid_before + running.amount > lifetime:
        running.move_to(
            lifetime - paid_before,
            AdjustmentKind.CUMULATIVE_CAP,
            f"cumulative cap of {lifetime} ({paid_before} paid before)",
        )
