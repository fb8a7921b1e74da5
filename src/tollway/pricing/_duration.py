"""Telecom duration rating (CGRateS, Oracle BRM): a connect fee, then rate intervals charged in
whole increments, in the rate band chosen by destination and origin zone, time of day and day type.

- **Band choice.** A band covers a call when its `zone` prefixes the destination ("+" ignored), its
  `origin_zone` the origin, its `from_time`–`to_time` the local start time (`conventions.time_zone`;
  from after to wraps midnight; to 00:00 is midnight) and its `day_types` the start date's day
  type (a date in `holidays` is a holiday only). The most specific covering band wins: longest
  destination prefix, then more restrictions (time of day, day type), then longest origin prefix,
  then the band listed first. A call no band covers is a `UsageError`, zero-duration ones too.
- **The band chosen at the call's start rates the whole call.** CGRateS splits a call at timing
  boundaries; that (`split_at_band_boundary`) is not implemented yet and is refused when set.
- **Intervals** (CGRateS Rates.csv GroupIntervalStart / Rate / RateUnit / RateIncrement; the rate
  whose group start is the latest not after the elapsed time applies, engine/rateinterval.go
  `GetRateParameters`). From `start_after_seconds` on, usage costs `rate` per `rate_unit_seconds`
  in steps of `rate_increment_seconds`, the usage inside an interval rounded up to whole steps. A
  last step reaching past the next interval's start is charged whole at its own rate and the next
  interval starts where it ends (CGRateS rounds a timespan up to its increment and drops what it
  now overlaps, engine/timespans.go `RoundToDuration`, `RemoveOverlapedFromIndex`). "30/6" is one
  30 s step, then 6 s steps from 30 s on: a 31 s call bills 36 s.
- **Rounding.** CGRateS rounds each increment's cost to its system precision (5 decimals, half-up)
  and a timespan's cost with the rate's RoundingDecimals / RoundingMethod (engine/timespans.go
  `createIncrementsSlice`, `getCost`; releases differ in which comes first). Here each step costs `rate × step / unit`, rounded to
  `conventions.increment_rounding_decimals` with `conventions.rounding_mode` when that is set
  (else the interval costs exactly `rate × billed seconds / unit`); then an interval's cost is
  rounded with the band's `rounding_decimals` and `rounding_mode` when the band sets them. Both
  round the exact cost. A cost no decimal holds (1 s at 0.10 per 60 s) stays exact until the
  calls' lines are made: they add up to the exact total of all the calls rounded once to 38
  significant digits (`_exact.decimal_amounts`), so three such 1 s calls cost exactly 0.005.
  `finalize` rounds to the currency at the conventions' stage.
- **Connect fee**: once per call of positive duration (the band's own fee, else the definition's).
  A zero-duration call costs nothing, or only the connect fee with `charge_connect_fee_on_zero`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tollway.conventions import Conventions
from tollway.money import Currency, RoundingMode
from tollway.pricing._errors import PriceDefinitionError, UsageError
from tollway.pricing._exact import (
    Cost,
    decimal_amounts,
    exact_multiply,
    exact_quotient,
    round_cost,
    whole_divisions,
)
from tollway.pricing._model import total_quantity
from tollway.pricing._rate_intervals import (
    RateInterval,
    billed_seconds_by_interval,
    check_intervals,
    require,
)
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._usage import UsageEvent

band_rounding_decimals_max: Final = 12
bands_per_rating_max: Final = 100_000


class DayType(StrEnum):
    """The kind of day a call starts on, in the conventions' time zone."""

    WEEKDAY = "weekday"
    """Monday to Friday, unless the date is a holiday."""
    SATURDAY = "saturday"
    SUNDAY = "sunday"
    HOLIDAY = "holiday"
    """A date listed in the definition's `holidays`, whatever its weekday."""


_WEEKEND_DAYS: Final = {5: DayType.SATURDAY, 6: DayType.SUNDAY}


@dataclass(frozen=True, slots=True)
class RateBand:
    """The intervals that rate calls to a zone, optionally only at some times of day or day types.

    >>> from tollway.pricing._rate_intervals import pulse_intervals
    >>> band = RateBand(intervals=pulse_intervals("60/60", rate="0.10"), zone="44", name="UK")
    >>> band.specificity
    (2, 0, 0)
    """

    intervals: tuple[RateInterval, ...]
    zone: str | None = None
    """Destination prefix ("1" North America, "44" UK, "447" UK mobile); None: every destination."""
    origin_zone: str | None = None
    from_time: time | None = None
    """Local clock time the band starts at (inclusive); wraps midnight when after `to_time`."""
    to_time: time | None = None
    """Local clock time the band ends at (exclusive); 00:00 is midnight."""
    day_types: tuple[DayType, ...] = ()
    """The day types the band applies on; empty: every day."""
    connect_fee: Decimal | None = None
    """This band's connect fee; None: the definition's."""
    rounding_decimals: int | None = None
    """Decimals each interval's cost is rounded to (CGRateS RoundingDecimals); None: not rounded."""
    rounding_mode: RoundingMode = RoundingMode.HALF_UP
    """How the interval's cost is rounded (CGRateS RoundingMethod; `*middle` is half-up)."""
    name: str | None = None

    def __post_init__(self) -> None:
        assert isinstance(self.intervals, tuple) and isinstance(self.day_types, tuple)
        assert all(isinstance(day_type, DayType) for day_type in self.day_types)
        assert self.connect_fee is None or isinstance(self.connect_fee, Decimal)
        check_intervals(self.intervals)
        for field_name in ("zone", "origin_zone"):
            prefix = getattr(self, field_name)
            require(
                prefix is None or (prefix != "" and prefix == prefix.strip()),
                field_name,
                "must be a non-empty prefix without spaces; leave it out to match every number",
            )
        _check_times(self.from_time, self.to_time)
        require(
            self.connect_fee is None or self.connect_fee >= 0, "connect_fee", "must not be negative"
        )
        decimals = self.rounding_decimals
        require(
            decimals is None or 0 <= decimals <= band_rounding_decimals_max,
            "rounding_decimals",
            f"must be between 0 and {band_rounding_decimals_max}",
        )

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Destination prefix length, number of time restrictions, origin prefix length."""
        restrictions = int(self.from_time is not None) + int(bool(self.day_types))
        return (len(self.zone or ""), restrictions, len(self.origin_zone or ""))

    @property
    def is_timed(self) -> bool:
        return self.from_time is not None or bool(self.day_types)

    def covers_numbers(self, *, destination: str | None, origin: str | None) -> bool:
        return _has_prefix(destination, self.zone) and _has_prefix(origin, self.origin_zone)

    def covers_clock(self, clock: time, day_type: DayType) -> bool:
        if self.day_types and day_type not in self.day_types:
            return False
        if self.from_time is None or self.to_time is None:
            return True
        if self.from_time < self.to_time:
            return self.from_time <= clock < self.to_time
        return clock >= self.from_time or clock < self.to_time

    def selector(self) -> tuple[object, ...]:
        """What the band selects on: two bands with the same selector are a definition mistake."""
        days = frozenset(self.day_types)
        return (self.zone, self.origin_zone, self.from_time, self.to_time, days)


def _check_times(from_time: time | None, to_time: time | None) -> None:
    require(
        (from_time is None) == (to_time is None),
        "to_time" if to_time is None else "from_time",
        "from_time and to_time go together: give both, or neither for a band that runs all day",
    )
    if from_time is None or to_time is None:
        return
    for field_name, clock in (("from_time", from_time), ("to_time", to_time)):
        require(
            clock.tzinfo is None,
            field_name,
            "must be a local clock time without a UTC offset (the zone is conventions.time_zone)",
        )
    require(
        from_time != to_time,
        "to_time",
        f"equals from_time {from_time}; leave both out for a band that runs all day",
    )


def _has_prefix(number: str | None, prefix: str | None) -> bool:
    if prefix is None:
        return True
    # E.164 numbers may arrive with or without the leading "+"; prefixes are written without it.
    return number is not None and number.removeprefix("+").startswith(prefix)


@dataclass(frozen=True, slots=True)
class _Call:
    """One event as the rater sees it: a name for messages, its numbers and its local start."""

    name: str
    duration_seconds: Decimal
    destination: str | None
    origin: str | None
    local_start: datetime | None
    day_type: DayType | None


@dataclass(frozen=True, slots=True)
class DurationRating:
    """Per-call duration rating: connect fee, rate intervals in increments, bands by zone and time.

    A UK call of 61 s on 60/60 at 0.10 per minute with a 0.05 connect fee: 0.05 + 2 × 0.10.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> from tollway.pricing._rate_intervals import pulse_intervals
    >>> rating = DurationRating(
    ...     rates=(RateBand(intervals=pulse_intervals("60/60", rate="0.10"), zone="44"),),
    ...     connect_fee=Decimal("0.05"))
    >>> call = UsageEvent.of("61", destination="+442079460000", record_id="c1")
    >>> rating.price([call], currency=currency("GBP"), conventions=profile()).amount
    Money(amount=Decimal('0.25'), currency=GBP)
    """

    model: ClassVar[str] = "duration"

    rates: tuple[RateBand, ...]
    connect_fee: Decimal = Decimal(0)
    charge_connect_fee_on_zero: bool = False
    holidays: tuple[date, ...] = ()
    split_at_band_boundary: bool = False

    def __post_init__(self) -> None:
        assert isinstance(self.rates, tuple) and isinstance(self.holidays, tuple)
        assert isinstance(self.connect_fee, Decimal), "connect_fee must be a Decimal"
        assert all(isinstance(band, RateBand) for band in self.rates)
        assert all(type(holiday) is date for holiday in self.holidays), "holidays are dates"
        require(bool(self.rates), "rates", "must list at least one rate band")
        require(
            len(self.rates) <= bands_per_rating_max,
            "rates",
            f"must list at most {bands_per_rating_max} rate bands",
        )
        require(self.connect_fee >= 0, "connect_fee", "must not be negative")
        require(
            not self.split_at_band_boundary,
            "split_at_band_boundary",
            "splitting a call across rate bands is not supported yet; the band chosen by the "
            "call's start time rates the whole call (leave this false)",
        )
        self._check_bands()

    def _check_bands(self) -> None:
        seen: dict[tuple[object, ...], int] = {}
        for index, band in enumerate(self.rates):
            require(
                DayType.HOLIDAY not in band.day_types or bool(self.holidays),
                f"rates[{index}].day_types",
                "lists holiday but the definition has no holidays",
            )
            earlier = seen.setdefault(band.selector(), index)
            require(
                earlier == index,
                f"rates[{index}]",
                f"selects the same calls as rates[{earlier}] (same zones, times and day types)",
            )

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        """Rate each call on its own and add them up; see the module notes for the semantics."""
        zone = self._time_zone(conventions) if any(band.is_timed for band in self.rates) else None
        costed: list[_CostedLine] = []
        for index, event in enumerate(events):
            call = self._call(event, index, zone)
            band_index = self._select_band(call)
            costed.extend(self._rate_call(call, band_index, conventions))
        amounts = decimal_amounts([line.cost for line in costed])
        lines = [line.with_amount(amount) for line, amount in zip(costed, amounts, strict=True)]
        return finalize(
            lines, quantity=total_quantity(events), currency=currency, conventions=conventions
        )

    @staticmethod
    def _time_zone(conventions: Conventions) -> ZoneInfo:
        try:
            return ZoneInfo(conventions.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PriceDefinitionError(
                "conventions.time_zone",
                f"{conventions.time_zone!r} is not an IANA time zone such as 'Europe/London'",
            ) from None

    def _call(self, event: UsageEvent, index: int, zone: ZoneInfo | None) -> _Call:
        name = event.record_id or f"events[{index}]"
        if event.quantity < 0:
            raise UsageError(f"{name}: duration {event.quantity} is negative")
        local_start = None if zone is None or event.start is None else event.start.astimezone(zone)
        day_type = self._day_type(local_start.date()) if local_start else None
        return _Call(
            name=name,
            duration_seconds=event.quantity,
            destination=event.destination,
            origin=event.origin,
            local_start=local_start,
            day_type=day_type,
        )

    def _day_type(self, local_date: date) -> DayType:
        if local_date in self.holidays:
            return DayType.HOLIDAY
        return _WEEKEND_DAYS.get(local_date.weekday(), DayType.WEEKDAY)

    def _select_band(self, call: _Call) -> int:
        """The index of the most specific band that covers the call; earlier bands win ties."""
        zoned = [
            index
            for index, band in enumerate(self.rates)
            if band.covers_numbers(destination=call.destination, origin=call.origin)
        ]
        numbers = f"destination {call.destination!r}, origin {call.origin!r}"
        if not zoned:
            raise UsageError(f"{call.name}: no rate band covers {numbers}")
        timed = [index for index in zoned if self.rates[index].is_timed]
        if timed and call.local_start is None:
            raise UsageError(
                f"{call.name}: has no start time, but rates[{timed[0]}] for {numbers} depends "
                "on the time of day or the day type"
            )
        matching = [index for index in zoned if self._covers_clock(index, call)]
        if not matching:
            raise UsageError(
                f"{call.name}: no rate band covers {numbers} at {call.local_start} "
                f"({call.day_type})"
            )
        return max(matching, key=lambda index: (self.rates[index].specificity, -index))

    def _covers_clock(self, index: int, call: _Call) -> bool:
        band = self.rates[index]
        if not band.is_timed:
            return True
        assert call.local_start is not None and call.day_type is not None
        return band.covers_clock(call.local_start.timetz().replace(tzinfo=None), call.day_type)

    def _rate_call(
        self, call: _Call, band_index: int, conventions: Conventions
    ) -> list["_CostedLine"]:
        band = self.rates[band_index]
        label = band.name or f"rates[{band_index}]"
        lines: list[_CostedLine] = []
        fee = self.connect_fee if band.connect_fee is None else band.connect_fee
        if fee > 0 and (call.duration_seconds > 0 or self.charge_connect_fee_on_zero):
            description = f"{call.name}: connect fee ({label})"
            lines.append(_CostedLine("connect_fee", description, Decimal(1), fee, fee))
        billed = billed_seconds_by_interval(band.intervals, call.duration_seconds)
        for interval_index, interval in enumerate(band.intervals):
            seconds = billed[interval_index]
            if seconds == 0:
                continue
            amount = _interval_cost(interval, seconds, band=band, conventions=conventions)
            description = (
                f"{call.name}: {seconds} s at {interval.rate} per {interval.rate_unit_seconds} s "
                f"in {interval.rate_increment_seconds} s increments ({label}, "
                f"interval {interval_index})"
            )
            lines.append(_CostedLine("increment", description, seconds, interval.rate, amount))
        return lines


@dataclass(frozen=True, slots=True)
class _CostedLine:
    """A breakdown line whose cost is still exact (a Fraction when no decimal holds it)."""

    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    cost: Cost

    def with_amount(self, amount: Decimal) -> BreakdownLine:
        return BreakdownLine(self.kind, self.description, self.quantity, self.unit_price, amount)


def _interval_cost(
    interval: RateInterval, billed_seconds: Decimal, *, band: RateBand, conventions: Conventions
) -> Cost:
    """What the billed seconds of one interval cost, exactly, rounded where the conventions and
    the band say."""
    decimals = conventions.increment_rounding_decimals
    rate, unit, step = interval.rate, interval.rate_unit_seconds, interval.rate_increment_seconds
    cost: Cost
    if decimals is None:
        # One division for the whole interval: 60 s at 0.10 per 60 s cost exactly 0.1.
        cost = exact_quotient(exact_multiply(rate, billed_seconds), unit)
    else:
        per_step = exact_quotient(exact_multiply(rate, step), unit)
        per_increment = round_cost(per_step, decimals=decimals, mode=conventions.rounding_mode)
        increments = whole_divisions(billed_seconds, step, round_up=False)
        cost = exact_multiply(per_increment, increments)
    if band.rounding_decimals is not None:
        cost = round_cost(cost, decimals=band.rounding_decimals, mode=band.rounding_mode)
    return cost
