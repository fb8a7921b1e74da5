"""Clawbacks: taking back, in a later period, share paid on revenue that turned out not to be due.

Three triggers, each on a revenue line an earlier statement shared (a `SettledShare`):
- a credit note crediting the line: the credited fraction of the line's basis, times what was
  paid on it;
- a bad-debt write-off dated after the line was settled: the written-off fraction, likewise;
- an item end (a milestone) that became known after the period it falls in was settled: the part
  of the share earned on revenue served after the end.
A clawback never takes back more than was paid and not yet taken back. It is computed exactly and
rounded once, at the model's rounding mode, and is negative (owed back by the partner).
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
    """Clawbacks for `reversed_basis` (a positive amount) of a line credited or written off."""
    assert kind in (AdjustmentKind.CREDIT_CLAWBACK, AdjustmentKind.BAD_DEBT_CLAWBACK)
    assert reversed_basis >= 0
    found = []
    for share in settled:
        if share.paid <= 0 or share.remaining <= 0 or share.line_basis <= 0:
            continue
        fraction = min(Fraction(1), Fraction(reversed_basis) / Fraction(share.line_basis))
        amount = min(share.remaining, _rounded(fraction * Fraction(share.paid), currency, mode))
        if amount == 0:
            continue
        found.append(
            AdjustmentLine(
                item_id=share.item_id,
                kind=kind,
                amount=-amount,
                description=f"{kind.value.replace('_', ' ')} of {fraction_text(fraction)} of "
                f"{share.paid} paid on {share.key[0]}/{share.key[1]}",
                bill_no=share.key[0],
                line_id=share.key[1],
                settled_period_start=share.period_start,
                source=source,
                basis=-min(reversed_basis, share.line_basis),
            )
        )
    return found


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
        if window is None or window.end is None or share.paid <= 0 or share.remaining <= 0:
            continue
        if AdjustmentKind.TERMINATION_CLAWBACK in share.kinds_clawed:
            continue
        after = [(line, _after_fraction(line, window.end)) for line in share.share_lines]
        weighted = sum((Fraction(line.share) * part for line, part in after), Fraction(0))
        if weighted == 0:
            continue
        fraction = weighted / Fraction(share.paid)
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
