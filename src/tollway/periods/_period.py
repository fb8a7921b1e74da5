"""Billing periods: half-open intervals [start, end) between local midnights of a time zone.

A period's boundaries are computed on local calendar dates and only then turned into instants, so a
monthly period in America/New_York starts at local midnight even in the month clocks change, and a
bill-cycle day of 31 clamps to the month's last day without the clamping sticking (Jan 31, Feb 29,
Mar 31, Apr 30, May 31, ...).
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tollway.money import TollwayError

ONE_DAY: Final = timedelta(days=1)
DAYS_PER_WEEK: Final = 7
MONTHS_PER_YEAR: Final = 12
bill_cycle_day_max: Final = 31
periods_between_max: Final = 10_000
"""The most periods `periods_between` lists (over 190 years of weeks): a guard against a typo."""


class PeriodError(TollwayError):
    """A billing period, interval or bill-cycle setting is unusable. `field` names the argument.

    >>> str(PeriodError("bill_cycle_day", "must be between 1 and 31, got 32"))
    'bill_cycle_day: must be between 1 and 31, got 32'
    """

    code = "invalid_period"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class Cadence(StrEnum):
    """How long a billing period is."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        """Calendar months per period (0 for weekly)."""
        return _MONTHS[self]


_MONTHS: Final[dict[Cadence, int]] = {
    Cadence.WEEKLY: 0,
    Cadence.MONTHLY: 1,
    Cadence.QUARTERLY: 3,
    Cadence.ANNUAL: 12,
}


class Alignment(StrEnum):
    """Where periods start when no bill-cycle day is given."""

    CALENDAR = "calendar"
    """On the 1st of the month, of a calendar quarter (Jan, Apr, Jul, Oct), of January; weekly
    periods on Monday."""
    ANNIVERSARY = "anniversary"
    """On the subscription's start date: its day of the month (clamped in shorter months), its month
    for quarterly and annual periods, its weekday for weekly periods."""


def time_zone_named(time_zone: str | tzinfo) -> tzinfo:
    """The zone for an IANA name (a `tzinfo` is returned as it is).

    >>> time_zone_named("America/New_York")
    zoneinfo.ZoneInfo(key='America/New_York')
    """
    if isinstance(time_zone, tzinfo):
        return time_zone
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(
            "time_zone", f"{time_zone!r} is not an IANA time zone such as 'Europe/Paris'"
        ) from None


def local_midnight(day: date, *, time_zone: str | tzinfo) -> datetime:
    """The instant `day` begins in `time_zone`: its local midnight.

    Where clocks skip midnight itself (Santiago, Havana, Beirut spring forward at 00:00) the day
    begins at the first local time that exists, 01:00.

    >>> local_midnight(date(2024, 3, 10), time_zone="America/New_York").isoformat()
    '2024-03-10T00:00:00-05:00'
    >>> local_midnight(date(2024, 9, 8), time_zone="America/Santiago").isoformat()
    '2024-09-08T01:00:00-03:00'
    """
    zone = time_zone_named(time_zone)
    wall_clock = datetime(day.year, day.month, day.day, tzinfo=zone)
    # The round trip through UTC moves a midnight that does not exist to the instant it denotes.
    return wall_clock.astimezone(UTC).astimezone(zone)


def require_aware(value: datetime, field: str) -> datetime:
    """`value` if it carries a time zone; a naive datetime is ambiguous and refused."""
    if not isinstance(value, datetime):
        raise PeriodError(field, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise PeriodError(field, f"{value.isoformat()} has no time zone; give an aware datetime")
    return value


def check_bill_cycle_day(cadence: Cadence, day: int) -> None:
    largest = DAYS_PER_WEEK if cadence is Cadence.WEEKLY else bill_cycle_day_max
    meaning = "an ISO weekday (1 = Monday)" if cadence is Cadence.WEEKLY else "a day of the month"
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= largest:
        raise PeriodError("bill_cycle_day", f"must be {meaning} from 1 to {largest}, got {day!r}")


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    """A billing period: the half-open interval [start, end) of aware datetimes.

    `bill_cycle_day` is the day of the month periods start on (29–31 clamp to shorter months' last
    day), or the ISO weekday (1 = Monday) for weekly periods; None means the start's own day.
    Comparisons are made in UTC, never on wall-clock times.

    >>> from zoneinfo import ZoneInfo
    >>> march = BillingPeriod(
    ...     datetime(2024, 3, 1, tzinfo=ZoneInfo("UTC")),
    ...     datetime(2024, 4, 1, tzinfo=ZoneInfo("UTC")),
    ...     Cadence.MONTHLY,
    ... )
    >>> march.contains(datetime(2024, 3, 31, 23, 59, tzinfo=ZoneInfo("UTC"))), march.days
    (True, 31)
    """

    start: datetime
    end: datetime
    cadence: Cadence
    bill_cycle_day: int | None = None

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.start.tzinfo != self.end.tzinfo:
            raise PeriodError("end", "must be in the same time zone as the start")
        if self.end.astimezone(UTC) <= self.start.astimezone(UTC):
            raise PeriodError(
                "end", f"{self.end.isoformat()} must be after the start {self.start.isoformat()}"
            )
        assert isinstance(self.cadence, Cadence), "cadence must be a Cadence"
        if self.bill_cycle_day is not None:
            check_bill_cycle_day(self.cadence, self.bill_cycle_day)

    @property
    def time_zone(self) -> tzinfo:
        """The zone whose local days and midnights this period counts."""
        assert self.start.tzinfo is not None
        return self.start.tzinfo

    @property
    def cycle_day(self) -> int:
        """The bill-cycle day (weekday for weekly periods), resolved from the start when unset."""
        if self.bill_cycle_day is not None:
            return self.bill_cycle_day
        local_start = self.start.astimezone(self.time_zone)
        return local_start.isoweekday() if self.cadence is Cadence.WEEKLY else local_start.day

    @property
    def days(self) -> int:
        """Local calendar days from the start's date to the end's date (28–31 for a month)."""
        first = self.start.astimezone(self.time_zone).date()
        return (self.end.astimezone(self.time_zone).date() - first).days

    @property
    def is_full_cycle(self) -> bool:
        """Whether the period runs from one bill-cycle day to the next (a stub does not): the
        dates decide, so a cycle anchored at 14:30 local time is still a full cycle."""
        zone = self.time_zone
        first = self.start.astimezone(zone).date()
        end = self.end.astimezone(zone).date()
        if self.cadence is Cadence.WEEKLY:
            return first.isoweekday() == self.cycle_day and end == first + timedelta(weeks=1)
        index = month_index(first)
        return first == clamped_date(index, self.cycle_day) and end == clamped_date(
            index + self.cadence.months, self.cycle_day
        )

    def contains(self, instant: datetime) -> bool:
        """Whether `instant` lies in [start, end)."""
        moment = require_aware(instant, "instant").astimezone(UTC)
        return self.start.astimezone(UTC) <= moment < self.end.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Cycle:
    """A resolved billing cycle: what `period_containing` needs to place any instant."""

    cadence: Cadence
    zone: tzinfo
    day: int
    phase_month: int
    """A month (1–12) in which a quarterly or annual period starts."""


def _resolve_cycle(
    cadence: Cadence,
    time_zone: str | tzinfo,
    bill_cycle_day: int | None,
    alignment: Alignment,
    anchor: date | None,
) -> Cycle:
    assert isinstance(cadence, Cadence) and isinstance(alignment, Alignment)
    zone = time_zone_named(time_zone)
    if alignment is Alignment.CALENDAR:
        default_day, phase_month = 1, 1
    elif anchor is None:
        raise PeriodError("anchor", "anniversary alignment needs the subscription's start date")
    else:
        default_day = anchor.isoweekday() if cadence is Cadence.WEEKLY else anchor.day
        phase_month = anchor.month
    day = default_day if bill_cycle_day is None else bill_cycle_day
    check_bill_cycle_day(cadence, day)
    return Cycle(cadence=cadence, zone=zone, day=day, phase_month=phase_month)


def clamped_date(month_index: int, day: int) -> date:
    """The date `day` of the month `month_index` (year * 12 + month - 1), clamped to its end."""
    year, month_zero = divmod(month_index, MONTHS_PER_YEAR)
    last_day = calendar.monthrange(year, month_zero + 1)[1]
    return date(year, month_zero + 1, min(day, last_day))


def month_index(day: date) -> int:
    return day.year * MONTHS_PER_YEAR + day.month - 1


def dates_containing(local_day: date, cycle: Cycle) -> tuple[date, date]:
    """The first date and the (excluded) end date of the cycle's period that holds `local_day`."""
    if cycle.cadence is Cadence.WEEKLY:
        first = local_day - timedelta(days=(local_day.isoweekday() - cycle.day) % DAYS_PER_WEEK)
        return first, first + timedelta(days=DAYS_PER_WEEK)
    months = cycle.cadence.months
    index = month_index(local_day)
    start_index = index - (index - (cycle.phase_month - 1)) % months
    if clamped_date(start_index, cycle.day) > local_day:
        start_index -= months
    return clamped_date(start_index, cycle.day), clamped_date(start_index + months, cycle.day)


def period_of_dates(first: date, end: date, cycle: Cycle) -> BillingPeriod:
    return BillingPeriod(
        start=local_midnight(first, time_zone=cycle.zone),
        end=local_midnight(end, time_zone=cycle.zone),
        cadence=cycle.cadence,
        bill_cycle_day=cycle.day,
    )


def period_containing(
    instant: datetime,
    *,
    cadence: Cadence,
    time_zone: str | tzinfo,
    bill_cycle_day: int | None = None,
    alignment: Alignment = Alignment.CALENDAR,
    anchor: date | None = None,
) -> BillingPeriod:
    """The billing period that contains `instant`.

    `time_zone` is normally `conventions.time_zone`. `alignment` picks the default bill-cycle day
    and, for quarterly and annual periods, the months periods start in; `anchor` is the
    subscription's start date (needed for anniversary alignment). An explicit `bill_cycle_day`
    (1–31, or an ISO weekday 1–7 for weekly periods) overrides the day.

    >>> from zoneinfo import ZoneInfo
    >>> period = period_containing(
    ...     datetime(2024, 2, 10, tzinfo=ZoneInfo("UTC")), cadence=Cadence.MONTHLY,
    ...     time_zone="UTC", bill_cycle_day=31)
    >>> period.start.date(), period.end.date()
    (datetime.date(2024, 1, 31), datetime.date(2024, 2, 29))
    """
    moment = require_aware(instant, "instant")
    cycle = _resolve_cycle(cadence, time_zone, bill_cycle_day, alignment, anchor)
    first, end = dates_containing(moment.astimezone(cycle.zone).date(), cycle)
    return period_of_dates(first, end, cycle)


def next_period(period: BillingPeriod) -> BillingPeriod:
    """The period that starts where `period` ends, on the same bill-cycle day.

    >>> from zoneinfo import ZoneInfo
    >>> utc = ZoneInfo("UTC")
    >>> february = BillingPeriod(datetime(2024, 1, 31, tzinfo=utc),
    ...     datetime(2024, 2, 29, tzinfo=utc), Cadence.MONTHLY, bill_cycle_day=31)
    >>> next_period(february).end.date()
    datetime.date(2024, 3, 31)
    """
    zone = period.time_zone
    first = period.end.astimezone(zone).date()
    if period.cadence is Cadence.WEEKLY:
        end = first + timedelta(days=DAYS_PER_WEEK)
    else:
        end = clamped_date(month_index(first) + period.cadence.months, period.cycle_day)
    return BillingPeriod(
        start=period.end,
        end=local_midnight(end, time_zone=zone),
        cadence=period.cadence,
        bill_cycle_day=period.cycle_day,
    )


def periods_between(
    *,
    start: datetime,
    end: datetime,
    cadence: Cadence,
    time_zone: str | tzinfo,
    bill_cycle_day: int | None = None,
    alignment: Alignment = Alignment.CALENDAR,
    anchor: date | None = None,
) -> tuple[BillingPeriod, ...]:
    """Every period that overlaps [start, end), in order (the first and last may stick out).

    >>> from zoneinfo import ZoneInfo
    >>> utc = ZoneInfo("UTC")
    >>> quarters = periods_between(start=datetime(2024, 2, 1, tzinfo=utc),
    ...     end=datetime(2024, 7, 1, tzinfo=utc), cadence=Cadence.QUARTERLY, time_zone=utc)
    >>> [(quarter.start.date().isoformat(), quarter.days) for quarter in quarters]
    [('2024-01-01', 91), ('2024-04-01', 91)]
    """
    until = require_aware(end, "end").astimezone(UTC)
    since = require_aware(start, "start").astimezone(UTC)
    if until < since:
        raise PeriodError("end", f"{end.isoformat()} is before the start {start.isoformat()}")
    if until == since:
        return ()
    period = period_containing(
        start,
        cadence=cadence,
        time_zone=time_zone,
        bill_cycle_day=bill_cycle_day,
        alignment=alignment,
        anchor=anchor,
    )
    found: list[BillingPeriod] = []
    while period.start.astimezone(UTC) < until:
        if len(found) == periods_between_max:
            raise PeriodError("end", f"spans more than {periods_between_max} periods")
        found.append(period)
        period = next_period(period)
    return tuple(found)
