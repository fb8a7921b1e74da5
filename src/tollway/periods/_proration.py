"""Proration: the share of a period's price an interval of that period is charged.

Every interval is half-open, [interval_start, interval_end), like the periods themselves. Days are
local calendar days of the period's time zone, so a 23-hour or 25-hour DST-change day is one day.
The maths is exact (`fractions.Fraction`); results become Decimals once, at the end, with the 38
significant digits of `MONEY_CONTEXT`.

| basis | numerator | denominator |
| --- | --- | --- |
| days_inclusive | whole local days touched, first and last included | per `proration_denominator` |
| days_end_exclusive | local days, start to end, by `partial_day` | per `proration_denominator` |
| seconds | elapsed seconds | the seconds of the current period |
| thirty_360 | strict 30/360 days of the dates touched | 30 days a month (90, 360) |
| actual_360 | as days_end_exclusive | 30 days a month (90, 360) |

`partial_day` `calendar_date` first moves both ends to the midnight that begins their date (Kill
Bill's local dates); it applies to every day basis. A week is 7 days under every day basis.
The current period of a stub (a period shorter than its cycle) is the full cycle that holds it.
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final

from tollway.conventions import Conventions, PartialDay, ProrationBasis, ProrationDenominator
from tollway.money import MONEY_CONTEXT, RoundingMode, round_decimal
from tollway.periods._period import (
    DAYS_PER_WEEK,
    ONE_DAY,
    BillingPeriod,
    Cadence,
    Cycle,
    PeriodError,
    check_bill_cycle_day,
    clamped_date,
    dates_containing,
    local_midnight,
    month_index,
    period_of_dates,
    require_aware,
)

MICROSECONDS_PER_SECOND: Final = 1_000_000
SECONDS_PER_DAY: Final = 86_400
DAYS_PER_30_360_MONTH: Final = 30
THIRTY_360_LAST_DAY: Final = 30
description_decimals: Final = 4
"""Decimals shown for an inexact day count in a description (the fraction itself stays exact)."""


class ProrationUnit(StrEnum):
    """What a proration's numerator and denominator count."""

    DAYS = "days"
    SECONDS = "seconds"
    DAYS_30_360 = "days_30_360"
    """Strict 30/360 days: every month has 30."""


_UNIT_LABELS: Final[dict[ProrationUnit, str]] = {
    ProrationUnit.DAYS: "days",
    ProrationUnit.SECONDS: "seconds",
    ProrationUnit.DAYS_30_360: "days (30/360)",
}


@dataclass(frozen=True, slots=True)
class Proration:
    """The prorated share of an amount for an interval of a billing period.

    `fraction` is min(1, numerator / denominator), rounded half-up to the conventions'
    `proration_fraction_decimals` when set; the whole period is exactly 1. `amount` is the given
    amount times the fraction, unrounded: the pricing or billing layer rounds it at its stage.
    """

    amount: Decimal
    fraction: Decimal
    numerator: Decimal
    denominator: Decimal
    unit: ProrationUnit
    description: str

    def __post_init__(self) -> None:
        assert isinstance(self.amount, Decimal) and isinstance(self.fraction, Decimal)
        assert 0 <= self.fraction <= 1, f"a proration fraction lies in [0, 1], got {self.fraction}"
        assert self.numerator >= 0 and self.denominator > 0


@dataclass(frozen=True, slots=True)
class _Measure:
    numerator: Fraction
    denominator: Fraction
    unit: ProrationUnit
    note: str


def _exact_decimal(value: Fraction) -> Decimal:
    """`value` as a Decimal, correctly rounded to MONEY_CONTEXT's 38 significant digits."""
    return MONEY_CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))


def _round_half_up(value: Fraction, decimals: int) -> Decimal:
    """A non-negative `value` rounded half-up to `decimals` places, with no double rounding."""
    assert value >= 0
    scaled = math.floor(value * 10**decimals + Fraction(1, 2))
    return Decimal(scaled).scaleb(-decimals, context=MONEY_CONTEXT)


def _microseconds(start: datetime, end: datetime) -> int:
    """Elapsed microseconds from `start` to `end`, in real time (UTC), never wall-clock time."""
    delta = end.astimezone(UTC) - start.astimezone(UTC)
    return (delta.days * SECONDS_PER_DAY + delta.seconds) * MICROSECONDS_PER_SECOND + (
        delta.microseconds
    )


# Bill runs prorate thousands of intervals of a few periods: a period's length and the day
# position of its bounds are computed once. Keys tell apart everything a result depends on:
# an instant by its wall-clock time, fold and zone object (two equal instants in two zones, or
# the two sides of a fold, are different keys).
InstantKey = tuple[datetime, int, tzinfo | None]
positions_cached_max: Final = 4096
"""Day positions and period lengths kept (emptied when full): intervals end on a few period
bounds, so those are computed once per run."""
_positions: Final[dict[tuple[InstantKey, tzinfo], Fraction]] = {}
_current_lengths: Final[dict[tuple[object, ...], tuple[Fraction, str]]] = {}


def _instant_key(value: datetime) -> InstantKey:
    # Aware datetimes with one tzinfo compare by wall-clock time (fold ignored), with two as
    # instants: with the fold and the zone beside it, the key is exact.
    return (value, value.fold, value.tzinfo)


def _day_position(instant: datetime, zone: tzinfo) -> Fraction:
    """Days since day 1 of the proleptic calendar: each local day counts 1, whatever its length.

    Noon on a 23-hour spring-forward day is 11/23 of that day: a day's share is real elapsed time
    over the day's real length, so positions add up across any split.
    """
    key = (_instant_key(instant), zone)
    found = _positions.get(key)
    if found is None:
        if len(_positions) >= positions_cached_max:
            _positions.clear()
        found = _positions[key] = _computed_day_position(instant, zone)
    return found


def _computed_day_position(instant: datetime, zone: tzinfo) -> Fraction:
    day = instant.astimezone(zone).date()
    midnight = local_midnight(day, time_zone=zone)
    following = local_midnight(day + ONE_DAY, time_zone=zone)
    elapsed = Fraction(_microseconds(midnight, instant), _microseconds(midnight, following))
    return day.toordinal() + elapsed


def _touched_dates(start: datetime, end: datetime, zone: tzinfo) -> tuple[date, date]:
    """The first local date [start, end) touches and the date after the last one it touches."""
    first = start.astimezone(zone).date()
    if end <= start:
        return first, first
    last_instant = end.astimezone(UTC) - timedelta(microseconds=1)
    return first, last_instant.astimezone(zone).date() + ONE_DAY


def _thirty_360_days(first: date, end: date) -> int:
    """Strict 30/360 days from `first` through the day before `end`, both counted.

    Day 31 counts as 30, and a last day that ends its month counts as day 30 (Feb 28 or 29 too):
    Feb 1 – Feb 28 is 30 days, Jan 31 – Jan 31 is 1 day.
    """
    if end <= first:
        return 0
    last = end - ONE_DAY
    first_day = min(first.day, THIRTY_360_LAST_DAY)
    ends_month = (last + ONE_DAY).month != last.month
    last_day = THIRTY_360_LAST_DAY if ends_month else min(last.day, THIRTY_360_LAST_DAY)
    months = (last.year - first.year) * 12 + last.month - first.month
    return months * DAYS_PER_30_360_MONTH + last_day - first_day + 1


def _unit(basis: ProrationBasis, cadence: Cadence) -> ProrationUnit:
    if basis is ProrationBasis.SECONDS:
        return ProrationUnit.SECONDS
    if basis is ProrationBasis.THIRTY_360 and cadence is not Cadence.WEEKLY:
        return ProrationUnit.DAYS_30_360
    return ProrationUnit.DAYS


def _on_calendar_date(instant: datetime, zone: tzinfo) -> datetime:
    """The local midnight that begins `instant`'s calendar date, in UTC."""
    return local_midnight(instant.astimezone(zone).date(), time_zone=zone).astimezone(UTC)


def _counted(
    start: datetime, end: datetime, period: BillingPeriod, conventions: Conventions
) -> Fraction:
    """The length of [start, end) in the basis' unit (the numerator)."""
    basis = conventions.proration_basis
    unit = _unit(basis, period.cadence)
    zone = period.time_zone
    if unit is ProrationUnit.SECONDS:
        return Fraction(_microseconds(start, end), MICROSECONDS_PER_SECOND)
    partial_day = conventions.partial_day
    if partial_day is PartialDay.CALENDAR_DATE:
        start, end = _on_calendar_date(start, zone), _on_calendar_date(end, zone)
    whole_days = basis in (ProrationBasis.DAYS_INCLUSIVE, ProrationBasis.THIRTY_360)
    if whole_days or partial_day is not PartialDay.EXACT:
        first, after_last = _touched_dates(start, end, zone)
        if unit is ProrationUnit.DAYS_30_360:
            return Fraction(_thirty_360_days(first, after_last))
        return Fraction((after_last - first).days)
    return _day_position(end, zone) - _day_position(start, zone)


def _length(period: BillingPeriod, basis: ProrationBasis) -> Fraction:
    """A whole period's length: seconds, or exact local days (integral at local midnights)."""
    if basis is ProrationBasis.SECONDS:
        return Fraction(_microseconds(period.start, period.end), MICROSECONDS_PER_SECOND)
    zone = period.time_zone
    return _day_position(period.end, zone) - _day_position(period.start, zone)


def _phase_month(period: BillingPeriod, day: int) -> int:
    """A month in which bill-cycle-aligned quarters or years start: the end's month when the
    period ends on a bill-cycle date (a whole cycle, or a leading stub whose cycle ends there),
    the start's when only the start is on one (a trailing stub), else the end's."""
    zone = period.time_zone
    first = period.start.astimezone(zone).date()
    end = period.end.astimezone(zone).date()
    if end != clamped_date(month_index(end), day) and first == clamped_date(
        month_index(first), day
    ):
        return first.month
    return end.month


def _cycle_from(instant: datetime, period: BillingPeriod, day: int) -> BillingPeriod:
    """The period of `period`'s cadence, aligned on bill-cycle day `day`, that holds `instant`."""
    check_bill_cycle_day(period.cadence, day)
    zone = period.time_zone
    phase_month = 1 if period.cadence is Cadence.WEEKLY else _phase_month(period, day)
    cycle = Cycle(cadence=period.cadence, zone=zone, day=day, phase_month=phase_month)
    first, after = dates_containing(instant.astimezone(zone).date(), cycle)
    return period_of_dates(first, after, cycle)


def _aligned_period(
    start: datetime, end: datetime, period: BillingPeriod, bill_cycle_day: int | None
) -> BillingPeriod:
    """The period of `period`'s cadence, aligned on the bill-cycle day, that holds the interval.

    It may be longer than `period` itself: a leading stub May 23 → Jun 15 with cycle day 15 is
    measured against May 15 → Jun 15.
    """
    day = period.cycle_day if bill_cycle_day is None else bill_cycle_day
    aligned = _cycle_from(start, period, day)
    zone = period.time_zone
    if end > aligned.end.astimezone(UTC):
        raise PeriodError(
            "interval_end",
            f"{_when(end, zone)} is past the bill-cycle-aligned period's end "
            f"{_when(aligned.end, zone)}; prorate each side of the bill-cycle day separately",
        )
    return aligned


def _cycle_of_stub(period: BillingPeriod) -> BillingPeriod:
    """The full cycle, on the stub's own bill-cycle day, that holds the whole stub `period`: a
    leading stub Mar 10 → Apr 1 with cycle day 1 lies in Mar 1 → Apr 1."""
    cycle = _cycle_from(period.start, period, period.cycle_day)
    if period.end.astimezone(UTC) > cycle.end.astimezone(UTC):
        zone = period.time_zone
        raise PeriodError(
            "period",
            f"{_span(period.start, period.end, zone)} is neither a whole cycle nor part of one: "
            f"it runs past {_when(cycle.end, zone)}, a bill-cycle date (day {period.cycle_day}); "
            "split it at the bill-cycle day",
        )
    return cycle


def _nominal_days(cadence: Cadence) -> Fraction:
    """30 days a month of the cadence (90 a quarter, 360 a year); 7 for a week."""
    if cadence is Cadence.WEEKLY:
        return Fraction(DAYS_PER_WEEK)
    return Fraction(DAYS_PER_30_360_MONTH * cadence.months)


def _current_period(period: BillingPeriod, basis: ProrationBasis) -> tuple[Fraction, str]:
    """The length of the current period, as `actual_period` and `seconds` divide by it: the
    period itself when it is a whole cycle, else the full cycle that holds the stub."""
    key = (
        _instant_key(period.start),
        _instant_key(period.end),
        period.cadence,
        period.bill_cycle_day,
        basis,
    )
    found = _current_lengths.get(key)
    if found is None:
        if len(_current_lengths) >= positions_cached_max:
            _current_lengths.clear()
        found = _current_lengths[key] = _computed_current_period(period, basis)
    return found


def _computed_current_period(period: BillingPeriod, basis: ProrationBasis) -> tuple[Fraction, str]:
    zone = period.time_zone
    if period.is_full_cycle:
        return _length(period, basis), f"of the period {_span(period.start, period.end, zone)}"
    cycle = _cycle_of_stub(period)
    span = _span(cycle.start, cycle.end, zone)
    return _length(cycle, basis), f"of the full cycle {span} that holds the stub period"


def _denominator(
    start: datetime,
    end: datetime,
    period: BillingPeriod,
    conventions: Conventions,
    bill_cycle_day: int | None,
) -> tuple[Fraction, str]:
    """What the counted length is divided by, and how a reader would say it."""
    basis = conventions.proration_basis
    if basis is ProrationBasis.SECONDS:
        return _current_period(period, basis)
    nominal = _nominal_days(period.cadence)
    fixed = f"of {nominal} days (30 a month)" if period.cadence.months else "of a 7-day week"
    option = conventions.proration_denominator
    if basis in (ProrationBasis.THIRTY_360, ProrationBasis.ACTUAL_360) or (
        option is ProrationDenominator.FIXED_30
    ):
        return nominal, fixed
    if option is ProrationDenominator.ACTUAL_PERIOD:
        return _current_period(period, basis)
    aligned = _aligned_period(start, end, period, bill_cycle_day)
    span = _span(aligned.start, aligned.end, period.time_zone)
    return _length(aligned, basis), f"of the bill-cycle-aligned period {span}"


def _measure(
    start: datetime,
    end: datetime,
    period: BillingPeriod,
    conventions: Conventions,
    bill_cycle_day: int | None,
) -> _Measure:
    unit = _unit(conventions.proration_basis, period.cadence)
    numerator = _counted(start, end, period, conventions)
    everything = start == period.start.astimezone(UTC) and end == period.end.astimezone(UTC)
    if everything and period.is_full_cycle:
        # A whole period is never prorated (Lago and Kill Bill bill it at the full price), so
        # 30/360's or a fixed 30's quirks never make a whole February cost 28/30 of its price.
        # A stub is prorated like any part of a cycle.
        return _Measure(numerator, numerator, unit, ": the whole period, not prorated")
    denominator, note = _denominator(start, end, period, conventions, bill_cycle_day)
    return _Measure(numerator, denominator, unit, f" {note}")


def _when(instant: datetime, zone: tzinfo) -> str:
    local = instant.astimezone(zone)
    if local == local_midnight(local.date(), time_zone=zone):
        return local.date().isoformat()
    return local.strftime("%Y-%m-%d %H:%M:%S")


def _span(start: datetime, end: datetime, zone: tzinfo) -> str:
    return f"{_when(start, zone)} to {_when(end, zone)}"


def _shown(value: Fraction) -> str:
    exact = _exact_decimal(value)
    shown = round_decimal(exact, decimals=description_decimals, mode=RoundingMode.HALF_UP)
    if shown == exact:
        return f"{exact:f}"
    return f"~{shown:f}"


def _describe(measure: _Measure, start: datetime, end: datetime, zone: tzinfo, capped: bool) -> str:
    count = f"{_shown(measure.numerator)}/{_shown(measure.denominator)}"
    label = _UNIT_LABELS[measure.unit]
    cap = ", capped at 1 (never more than the whole period)" if capped else ""
    return f"{count} {label}: {_span(start, end, zone)} (end excluded){measure.note}{cap}"


def _checked_interval(
    interval_start: datetime, interval_end: datetime, period: BillingPeriod
) -> tuple[datetime, datetime]:
    """The interval in UTC, refused unless it is a (possibly empty) part of the period."""
    start = require_aware(interval_start, "interval_start").astimezone(UTC)
    end = require_aware(interval_end, "interval_end").astimezone(UTC)
    zone = period.time_zone
    if end < start:
        raise PeriodError("interval_end", f"{_when(end, zone)} is before {_when(start, zone)}")
    if start < period.start.astimezone(UTC):
        raise PeriodError(
            "interval_start",
            f"{_when(start, zone)} is before the period start {_when(period.start, zone)}",
        )
    if end > period.end.astimezone(UTC):
        raise PeriodError(
            "interval_end", f"{_when(end, zone)} is after the period end {_when(period.end, zone)}"
        )
    return start, end


def _share(amount: Decimal, exact: Fraction, decimals: int | None) -> tuple[Decimal, Decimal]:
    """The fraction as used (rounded when the conventions say so) and the prorated amount."""
    if exact == 1:
        return Decimal(1), amount
    if decimals is None:
        return _exact_decimal(exact), _exact_decimal(Fraction(amount) * exact)
    fraction = _round_half_up(exact, decimals)
    return fraction, MONEY_CONTEXT.multiply(amount, fraction)


def prorate(
    amount: Decimal,
    *,
    interval_start: datetime,
    interval_end: datetime,
    period: BillingPeriod,
    conventions: Conventions,
    bill_cycle_day: int | None = None,
) -> Proration:
    """The share of `amount` (a whole period's price) due for [interval_start, interval_end).

    The interval must lie within `period`; days are local days of the period's time zone (the
    zone its start carries, normally built from `conventions.time_zone`).

    - `days_inclusive` counts every local day the interval touches, whole, first and last included
      (Lago); only `partial_day` calendar_date changes that, by first moving both ends to the
      start of their dates. Its last day is the day of the last instant *inside* the interval:
      [Mar 10 00:00, Mar 15 00:00) is Mar 10–14, 5 days; to bill through an inclusive last day
      Mar 15 (Lago's "10 → 15 March"), end the interval at `local_midnight(Mar 16)`: 6 days.
    - `days_end_exclusive` and `actual_360` count days from start to end. A partly used day counts
      its elapsed share of the day's real length (`partial_day` exact), whole at either end (ceil:
      a mid-day split counts its day on both sides), or not at all at the end and whole at the
      start (calendar_date: both ends move to the start of their date).
    - `thirty_360` counts the touched dates in strict 30/360 (day 31 is day 30; a month's last day
      is day 30): [May 23, Jun 15) is 22 days.
    - `seconds` counts elapsed seconds over the seconds of the current period.

    The current period is `period` when it runs from one bill-cycle day to the next; a stub (a
    `period` shorter than its cycle, such as a first period from the subscription date to the
    first bill-cycle day) is measured against the full cycle, on its own bill-cycle day, that
    holds it: the stub Mar 10 → Apr 1 with bill-cycle day 1 is 22/31 of March's price, not all of
    it (Lago, Kill Bill and Stripe prorate a first period the same way). A `period` that runs past
    that cycle's end is refused. A quarterly or annual stub that starts and ends on the bill-cycle
    day of its months (Feb 1 → Apr 1, quarters on the 1st) is read as a leading stub, its cycle
    ending where it ends; to charge the first part of a period, prorate it as an interval of the
    whole period.

    The day bases divide by the current period (`actual_period`), by the period of the same
    cadence aligned on `bill_cycle_day` (default: the period's own) that holds the interval
    (`bill_cycle_aligned`; an interval across its end is refused), or by 30 days a month
    (`fixed_30`, and always for `thirty_360` and `actual_360`); `seconds` divides by the current
    period. The fraction never exceeds 1, and a whole period from one bill-cycle day to the next
    is exactly 1 under every convention; which conventions add up across a split is
    `splits_add_up`'s answer.

    >>> from datetime import date
    >>> from tollway.conventions import profile
    >>> from tollway.periods import Cadence, period_containing
    >>> def midnight(day: int) -> datetime:
    ...     return local_midnight(date(2023, 3, day), time_zone="UTC")
    >>> cycle = period_containing(midnight(10), cadence=Cadence.MONTHLY, time_zone="UTC",
    ...                           bill_cycle_day=15)
    >>> share = prorate(Decimal("28.00"), interval_start=midnight(10), interval_end=midnight(15),
    ...                 period=cycle, conventions=profile("killbill"))
    >>> share.fraction, share.amount
    (Decimal('0.178571429'), Decimal('5.00000001200'))
    >>> share.description
    '5/28 days: 2023-03-10 to 2023-03-15 (end excluded) of the bill-cycle-aligned period 2023-02-15 to 2023-03-15'
    """
    assert isinstance(amount, Decimal), "prorate needs a Decimal amount"
    start, end = _checked_interval(interval_start, interval_end, period)
    measure = _measure(start, end, period, conventions, bill_cycle_day)
    exact = measure.numerator / measure.denominator
    capped = exact > 1
    fraction, prorated = _share(
        amount, min(exact, Fraction(1)), conventions.proration_fraction_decimals
    )
    return Proration(
        amount=prorated,
        fraction=fraction,
        numerator=_exact_decimal(measure.numerator),
        denominator=_exact_decimal(measure.denominator),
        unit=measure.unit,
        description=_describe(measure, start, end, period.time_zone, capped),
    )


def splits_add_up(conventions: Conventions, *, at_local_midnight: bool = False) -> bool:
    """Whether, under `conventions`, the charges for [start, split) and [split, end) of a period
    always add up to its whole price (to the 38 digits of MONEY_CONTEXT).

    True for `seconds`, and for `days_end_exclusive` with exact or calendar-date partial days
    (and `days_inclusive` with calendar dates), over the current or the bill-cycle-aligned period.
    With `at_local_midnight` (a split on a day boundary of a period that runs from local midnight
    to local midnight) also for `days_inclusive` and ceil partial days. Never for these, which are
    not additive by design:

    - `days_inclusive` and ceil partial days count a mid-day split's day on both sides;
    - `thirty_360`: day 31 and a month's last day both count as day 30 (Jan 30 – Jan 31 is one
      day, but Jan 30 and Jan 31 are one day each) and February's last day counts three;
    - `actual_360` and `fixed_30`: a whole 31-day month is capped at 1, a whole February is 1
      although its days sum to 28/30;
    - a rounded fraction (`proration_fraction_decimals`, Kill Bill's 9) keeps each side's rounding.

    >>> from tollway.conventions import profile
    >>> splits_add_up(profile("stripe")), splits_add_up(profile("lago"))
    (True, False)
    >>> splits_add_up(profile("lago"), at_local_midnight=True)
    True
    """
    if conventions.proration_fraction_decimals is not None:
        return False
    basis = conventions.proration_basis
    if basis is ProrationBasis.SECONDS:
        return True
    if basis in (ProrationBasis.THIRTY_360, ProrationBasis.ACTUAL_360):
        return False
    if conventions.proration_denominator is ProrationDenominator.FIXED_30:
        return False
    partial_day = conventions.partial_day
    if partial_day is PartialDay.CALENDAR_DATE:
        return True
    if basis is ProrationBasis.DAYS_END_EXCLUSIVE and partial_day is PartialDay.EXACT:
        return True
    return at_local_midnight
