"""Share maths: flat, tiered (marginal) and banded (whole-amount) percentages over slices of basis.

Shares are computed exactly (basis × percent / 100 at 38 significant digits, exact for any
percentage with few decimals) and rounded once per share line at the model's rounding mode (a
same-period credit under one percentage: cumulatively with the slice it credits, see `_one_rate`). A
slice's basis is a whole number of minor units and a percentage is at most 100, so a rounded
share never exceeds its basis whatever the mode.

Bands are read against a running total that starts at `start_total` (zero, or the item's
cumulative basis) and moves with each slice in order, down as well as up for a negative slice.
A marginal (tiered) slice crossing a bound is split at it; below zero the first band applies.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tollway.money import MONEY_CONTEXT, Currency, RoundingMode, round_decimal
from tollway.settlement.core._model import Band, BandedShare, FlatShare, ShareRate, TieredShare
from tollway.settlement.core._records import LineKey
from tollway.settlement.core._statement import ShareLine

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Slice:
    """The part of a revenue line's basis an item shares, before its rate is applied."""

    item_id: str
    bill_no: str
    line_id: str
    start: datetime
    end: datetime
    line_basis: Decimal
    amount: Decimal
    credits: LineKey | None = None
    """For a credit-note line netted in its own period: the line it credits."""


def share_lines(
    rate: ShareRate,
    slices: Sequence[Slice],
    *,
    start_total: Decimal,
    currency: Currency,
    mode: RoundingMode,
) -> tuple[ShareLine, ...]:
    """The share lines of an item's slices, in order.

    >>> from datetime import UTC
    >>> from tollway.money import currency
    >>> moment = datetime(2025, 1, 1, tzinfo=UTC)
    >>> bands = TieredShare((Band(Decimal("1000"), Decimal("10")), Band(None, Decimal("20"))))
    >>> crossing = Slice("I", "INV-1", "L1", moment, moment, Decimal("1500"), Decimal("1500"))
    >>> [(line.band, line.basis, line.share) for line in share_lines(bands, [crossing],
    ...     start_total=Decimal(0), currency=currency("JPY"), mode=RoundingMode.HALF_UP)]
    [(1, Decimal('1000'), Decimal('100')), (2, Decimal('500'), Decimal('100'))]
    """
    if isinstance(rate, FlatShare):
        return _one_rate(slices, None, rate.percent, currency, mode)
    if isinstance(rate, BandedShare):
        final = start_total + sum((each.amount for each in slices), Decimal(0))
        number = band_number(rate.bands, final)
        return _one_rate(slices, number, rate.bands[number - 1].percent, currency, mode)
    return _tiered(rate, slices, start_total=start_total, currency=currency, mode=mode)


def _one_rate(
    slices: Sequence[Slice],
    band: int | None,
    percent: Decimal,
    currency: Currency,
    mode: RoundingMode,
) -> tuple[ShareLine, ...]:
    """One percentage for every slice. A credit slice netted against a slice of the same period
    is rounded cumulatively: the share of what is left of that slice, rounded, less the share
    before the credit; so a slice credited in full, in any number of parts, earns exactly 0."""
    left: dict[tuple[LineKey, datetime, datetime], Decimal] = {}
    lines = []
    for each in slices:
        if each.credits is None:
            left[((each.bill_no, each.line_id), each.start, each.end)] = each.amount
            lines.append(_line(each, each.amount, band, percent, currency, mode))
            continue
        target = (each.credits, each.start, each.end)
        before = left.get(target)
        share = None
        if before is not None:
            left[target] = before + each.amount
            share = _rounded(before + each.amount, percent, currency, mode) - _rounded(
                before, percent, currency, mode
            )
        lines.append(_line(each, each.amount, band, percent, currency, mode, share=share))
    return tuple(lines)


def _rounded(basis: Decimal, percent: Decimal, currency: Currency, mode: RoundingMode) -> Decimal:
    exact = MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(basis, percent), HUNDRED)
    return round_decimal(exact, decimals=currency.minor_units, mode=mode)


def band_number(bands: Sequence[Band], total: Decimal) -> int:
    """The 1-based band a running total lies in; a total exactly on a bound is in the lower band.

    >>> bands = (Band(Decimal("100"), Decimal("5")), Band(None, Decimal("8")))
    >>> band_number(bands, Decimal("100")), band_number(bands, Decimal("100.01"))
    (1, 2)
    """
    for number, band in enumerate(bands, start=1):
        if band.up_to is None or total <= band.up_to:
            return number
    raise AssertionError("the last band is unbounded")


def _tiered(
    rate: TieredShare,
    slices: Sequence[Slice],
    *,
    start_total: Decimal,
    currency: Currency,
    mode: RoundingMode,
) -> tuple[ShareLine, ...]:
    lines: list[ShareLine] = []
    running = start_total
    for each in slices:
        for number, portion in marginal_portions(rate.bands, running, each.amount):
            percent = rate.bands[number - 1].percent
            lines.append(_line(each, portion, number, percent, currency, mode))
        running += each.amount
    return tuple(lines)


def marginal_portions(
    bands: Sequence[Band], running: Decimal, amount: Decimal
) -> list[tuple[int, Decimal]]:
    """How a move of `amount` from `running` splits across bands, in the order walked.

    >>> bands = (Band(Decimal("100"), Decimal("5")), Band(None, Decimal("8")))
    >>> marginal_portions(bands, Decimal("80"), Decimal("50"))
    [(1, Decimal('20')), (2, Decimal('30'))]
    >>> marginal_portions(bands, Decimal("130"), Decimal("-50"))
    [(2, Decimal('-30')), (1, Decimal('-20'))]
    """
    if amount == 0:
        return [(band_number(bands, running), Decimal(0))]
    low, high = sorted((running, running + amount))
    portions: list[tuple[int, Decimal]] = []
    lower: Decimal | None = None
    for number, band in enumerate(bands, start=1):
        overlap_low = low if lower is None else max(low, lower)
        overlap_high = high if band.up_to is None else min(high, band.up_to)
        if overlap_high > overlap_low:
            size = overlap_high - overlap_low
            portions.append((number, size if amount > 0 else -size))
        lower = band.up_to
    assert sum((portion for _, portion in portions), Decimal(0)) == amount
    return portions if amount > 0 else portions[::-1]


def _line(
    each: Slice,
    basis: Decimal,
    band: int | None,
    percent: Decimal,
    currency: Currency,
    mode: RoundingMode,
    *,
    share: Decimal | None = None,
) -> ShareLine:
    exact = MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(basis, percent), HUNDRED)
    return ShareLine(
        item_id=each.item_id,
        bill_no=each.bill_no,
        line_id=each.line_id,
        service_start=each.start,
        service_end=each.end,
        line_basis=each.line_basis,
        basis=basis,
        band=band,
        percent=percent,
        share_exact=exact,
        share=_rounded(basis, percent, currency, mode) if share is None else share,
        credits_bill_no=each.credits[0] if each.credits else None,
        credits_line_id=each.credits[1] if each.credits else None,
    )
