"""Cutting a revenue line's service period between the items in effect over it.

Revenue is spread evenly over the line's service period [start, end). The period is cut at every
instant where an item starts or ends (or the agreement does); each part goes to the first item in
model order in effect over it, or to nobody. The line's basis is then split between the parts by
time, exactly (`fractions.Fraction` of microseconds), and rounded once to whole minor units by the
largest-remainder rule, so the parts always add up to the line. An instant (start == end) is one
part.
"""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from tollway.money import Currency
from tollway.settlement.core._statement import ExclusionReason

ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class ItemWindow:
    """When an item is in effect: [start, end), None for unbounded, and why it ends."""

    item_id: str
    start: datetime | None
    end: datetime | None
    end_reason: str | None = None

    def contains(self, instant: datetime) -> bool:
        after_start = self.start is None or self.start <= instant
        return after_start and (self.end is None or instant < self.end)


@dataclass(frozen=True, slots=True)
class Piece:
    """A part of a line's service period with its share of the basis, and who shares it."""

    owner: str | None
    start: datetime
    end: datetime
    amount: Decimal
    reason: ExclusionReason | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class _Owner:
    item_id: str | None
    reason: ExclusionReason | None


def from_minor(units: int, currency: Currency) -> Decimal:
    """`units` minor units as an amount with the currency's decimals: 150 USD cents is 1.50."""
    return Decimal(units).scaleb(-currency.minor_units).quantize(currency.minor_unit)


def to_minor(amount: Decimal, currency: Currency) -> int:
    scaled = amount.scaleb(currency.minor_units)
    assert scaled == scaled.to_integral_value(), f"{amount} is not whole {currency.code} units"
    return int(scaled)


def allocate(amount: Decimal, fractions: Sequence[Fraction], currency: Currency) -> list[Decimal]:
    """Split a whole-minor amount by exact fractions (summing to 1) into whole-minor parts that sum
    to it: each part rounded toward zero, the units left over to the largest remainders, earliest
    first.

    >>> from tollway.money import currency
    >>> allocate(Decimal("100.00"), [Fraction(1, 3)] * 3, currency("USD"))
    [Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
    >>> allocate(Decimal("-10"), [Fraction(1, 4), Fraction(3, 4)], currency("JPY"))
    [Decimal('-3'), Decimal('-7')]
    """
    assert sum(fractions, Fraction(0)) == 1, "the fractions cover the whole line"
    total = abs(to_minor(amount, currency))
    exact = [total * fraction for fraction in fractions]
    parts = [math.floor(value) for value in exact]
    order = sorted(range(len(parts)), key=lambda index: (parts[index] - exact[index], index))
    for index in order[: total - sum(parts)]:
        parts[index] += 1
    sign = -1 if amount < 0 else 1
    result = [from_minor(sign * part, currency) for part in parts]
    assert sum(result, Decimal(0)) == amount
    return result


def carve(
    *,
    start: datetime,
    end: datetime,
    amount: Decimal,
    candidates: Sequence[ItemWindow],
    agreement: ItemWindow,
    currency: Currency,
    idle_detail: str,
) -> tuple[Piece, ...]:
    """Cut [start, end) between `candidates` (in model order) and split `amount` by time."""
    bounds = _cut_points(start, end, [*candidates, agreement])
    owned = _merge(
        [(_owner_at(left, candidates, agreement), left, right) for left, right in bounds]
    )
    if start == end:
        fractions = [Fraction(1)]
    else:
        length = (end - start) // ONE_MICROSECOND
        fractions = [
            Fraction((right - left) // ONE_MICROSECOND, length) for _, left, right in owned
        ]
    amounts = allocate(amount, fractions, currency)
    pieces = []
    for (owner, left, right), part in zip(owned, amounts, strict=True):
        detail = "" if owner.item_id else _detail(owner.reason, agreement, idle_detail)
        pieces.append(Piece(owner.item_id, left, right, part, owner.reason, detail))
    return tuple(pieces)


def _cut_points(
    start: datetime, end: datetime, windows: Sequence[ItemWindow]
) -> list[tuple[datetime, datetime]]:
    if start == end:
        return [(start, end)]
    inside = {start, end}
    for window in windows:
        for instant in (window.start, window.end):
            if instant is not None and start < instant < end:
                inside.add(instant)
    ordered = sorted(inside)
    return list(itertools.pairwise(ordered))


def _owner_at(instant: datetime, candidates: Sequence[ItemWindow], agreement: ItemWindow) -> _Owner:
    if not agreement.contains(instant):
        return _Owner(None, ExclusionReason.OUTSIDE_AGREEMENT)
    for window in candidates:
        if window.contains(instant):
            return _Owner(window.item_id, None)
    return _Owner(None, ExclusionReason.NO_ITEM_IN_EFFECT)


def _merge(
    parts: list[tuple[_Owner, datetime, datetime]],
) -> list[tuple[_Owner, datetime, datetime]]:
    merged: list[tuple[_Owner, datetime, datetime]] = []
    for owner, left, right in parts:
        if merged and merged[-1][0] == owner:
            merged[-1] = (owner, merged[-1][1], right)
        else:
            merged.append((owner, left, right))
    return merged


def _detail(reason: ExclusionReason | None, agreement: ItemWindow, idle_detail: str) -> str:
    if reason is ExclusionReason.OUTSIDE_AGREEMENT:
        since = agreement.start.isoformat() if agreement.start else "the start"
        until = agreement.end.isoformat() if agreement.end else "open end"
        return f"served outside the agreement period {since} to {until}"
    return idle_detail
