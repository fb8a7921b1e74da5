"""Clawbacks: taking back, in a later period, share paid on revenue that turned out not to be due.

Three triggers, each on a revenue line an earlier statement shared (a `SettledShare`):
- a credit note crediting the line: the fraction of the line's basis credited so far (by this and
  earlier credit notes, of what same-period credits had left of it), times what was paid on it
  after caps, less what credits already took back;
- a bad-debt write-off dated after the line was settled: the written-off fraction, likewise (credits
  and write-offs add up: both reverse the line's basis);
- an item end (a milestone) that became known after the period it falls in was settled: the part
  of the share earned on revenue served after the end.
A clawback never takes back more than was paid and not yet taken back. The cumulative amount is
computed exactly and rounded once, at the model's rounding mode, so partial credits of a whole line
take back exactly what was paid on it; a clawback is negative (owed back by the partner).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from tollway.money import MONEY_CONTEXT, Currency, RoundingMode, round_decimal
from tollway.settlement.core._carve import ONE_MICROSECOND, ItemWindow
from tollway.settlement.core._history import SettledShare
from tollway.settlement.core._statement import AdjustmentKind, AdjustmentLine, ShareLine


def _decimal(value: Fraction) -> Decimal:
    return MONEY_CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))


def _rounded(value: Fraction, currency: Currency, mode: RoundingMode) -> Decimal:
    return round_decimal(_decimal(value), decimals=currency.minor_units, mode=mode)


def reversal_clawbacks(
    settled: Sequence[SettledShare],
    *,
    kind: AdjustmentKind,
    reversed_basis: Decimal,
    source: str,
    currency: Currency,
    mode: RoundingMode,
) -> list[AdjustmentLine]:
    """Clawbacks for `reversed_basis` (a positive amount) of a line credited or written off: one
    per share of the line with basis left to reverse (zero when rounding leaves nothing yet)."""
    assert kind.is_reversal
    assert reversed_basis >= 0
    found = []
    for share in settled:
        if share.line_basis <= 0 or share.uncredited_basis <= 0:
            continue
        if reversed_fraction(share, share.reversed_basis) >= 1:
            continue  # every bit of the line's basis was reversed already
        fraction = reversed_fraction(share, share.reversed_basis + reversed_basis)
        target = _rounded(fraction * Fraction(max(share.paid, Decimal(0))), currency, mode)
        amount = min(max(share.remaining, Decimal(0)), target - share.reversal_clawed)
        assert amount >= 0, f"{share.key}: clawbacks only grow"
        credited = Fraction(reversed_basis) / Fraction(share.line_basis)
        found.append(
            AdjustmentLine(
                item_id=share.item_id,
                kind=kind,
                amount=-amount,
                description=f"{kind.value.replace('_', ' ')} of {fraction_text(credited)} of the "
                f"line: {share.paid} was paid on {share.key[0]}/{share.key[1]}",
                bill_no=share.key[0],
                line_id=share.key[1],
                settled_period_start=share.period_start,
                source=source,
                basis=-min(reversed_basis, share.line_basis),
            )
        )
    return found


def reversed_fraction(share: SettledShare, reversed_basis: Decimal) -> Fraction:
    """The fraction of the item's uncredited slice of the line that `reversed_basis` of the whole
    line's basis reverses (a line's reversal falls on its slices in proportion), at most 1."""
    on_slice = Fraction(reversed_basis) * Fraction(share.slice_basis) / Fraction(share.line_basis)
    return min(Fraction(1), on_slice / Fraction(share.uncredited_basis))


def reversed_slice_basis(
    share: SettledShare, reversed_basis: Decimal, currency: Currency
) -> Decimal:
    """The item's basis reversed once `reversed_basis` of the line is: what a credit or write-off
    takes off the item's running basis (cumulative, so the parts add up to the slice)."""
    fraction = reversed_fraction(share, reversed_basis)
    return _rounded(fraction * Fraction(share.uncredited_basis), currency, RoundingMode.HALF_EVEN)


def termination_clawbacks(
    settled: Sequence[SettledShare],
    windows: Mapping[str, ItemWindow],
    *,
    currency: Currency,
    mode: RoundingMode,
) -> list[AdjustmentLine]:
    """Clawbacks of share paid on revenue served after an item's end, once the end is known."""
    found = []
    for share in settled:
        window = windows.get(share.item_id)
        if window is None or window.end is None or share.shares <= 0 or share.remaining <= 0:
            continue
        if AdjustmentKind.TERMINATION_CLAWBACK in share.kinds_clawed:
            continue
        after = [(line, _after_fraction(line, window.end)) for line in share.share_lines]
        weighted = sum((Fraction(line.share) * part for line, part in after), Fraction(0))
        if weighted == 0:
            continue
        fraction = weighted / Fraction(share.shares)
        amount = min(
            share.remaining, _rounded(fraction * Fraction(share.remaining), currency, mode)
        )
        basis = sum((Fraction(line.basis) * part for line, part in after), Fraction(0))
        found.append(
            AdjustmentLine(
                item_id=share.item_id,
                kind=AdjustmentKind.TERMINATION_CLAWBACK,
                amount=-amount,
                description=f"share on revenue served after {window.end.isoformat()} "
                f"({window.end_reason or 'item ended'})",
                bill_no=share.key[0],
                line_id=share.key[1],
                settled_period_start=share.period_start,
                source=window.end_reason,
                basis=-_rounded(basis, currency, RoundingMode.HALF_EVEN),
            )
        )
    return found


def _after_fraction(line: ShareLine, end: datetime) -> Fraction:
    """The fraction of a share line's service period that lies at or after `end`."""
    if line.service_start == line.service_end:
        return Fraction(1) if line.service_start >= end else Fraction(0)
    if line.service_end <= end:
        return Fraction(0)
    after = line.service_end - max(line.service_start, end)
    whole = line.service_end - line.service_start
    return Fraction(after // ONE_MICROSECOND, whole // ONE_MICROSECOND)


def fraction_text(value: Fraction) -> str:
    """A fraction for people: '1/4', or 'all' for the whole.

    >>> fraction_text(Fraction(1, 4)), fraction_text(Fraction(1))
    ('1/4', 'all')
    """
    return "all" if value == 1 else f"{value.numerator}/{value.denominator}"
