"""Which cycle a bill run bills for an account, and the two periods that bill covers.

An account is billed on its bill-cycle dates: local midnight of its bill-cycle day (29–31 clamp to
short months) in its time zone, monthly. A run over the window [window_start, window_end) bills
every paying account with a bill-cycle date D in the window; a window of whole UTC days (a month's
run) is read as those calendar dates in each account's own zone, so the "2026-04" run bills every
account whose local cycle date falls in April. That bill covers two periods:

- the *current* period [D, next cycle date): recurring charges billed in advance;
- the *closed* period [previous cycle date, D): recurring charges billed in arrears, usage, one-time
  charges of activations, early-termination charges of disconnects, and the settlement of changes
  to what was billed in advance for it.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from tollway.accounts import BillingAccount
from tollway.billing._charges import BillingError
from tollway.periods import BillingPeriod, Cadence, next_period, period_containing

MONTHS_PER_YEAR: Final = 12
_JUST_BEFORE: Final = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class BillCycle:
    """The periods one account's bill covers: `current` (in advance) and `closed` (in arrears)."""

    current: BillingPeriod
    closed: BillingPeriod
    bill_cycle_day: int
    time_zone: str

    def __post_init__(self) -> None:
        assert self.closed.end == self.current.start, (
            "the closed period ends where the current starts"
        )

    @property
    def cycle_date(self) -> datetime:
        """The bill-cycle date D: the end of the closed period, the start of the current one."""
        return self.current.start


def _period_of(account: BillingAccount, instant: datetime) -> BillingPeriod:
    return period_containing(
        instant,
        cadence=Cadence.MONTHLY,
        time_zone=account.time_zone,
        bill_cycle_day=account.bill_cycle_day,
    )


def bill_cycle_for(
    account: BillingAccount, *, window_start: datetime, window_end: datetime
) -> BillCycle | None:
    """The cycle billed for `account` by a run over [window_start, window_end), or None when no
    bill-cycle date of the account falls in the window. A window holding two of its cycle dates
    (longer than a month) is refused: each cycle is a bill of its own.

    >>> from tollway.money import currency
    >>> account = BillingAccount("A1", "p1", "Acme", currency("USD"), 1, "UTC")
    >>> cycle = bill_cycle_for(account, window_start=datetime(2026, 4, 1, tzinfo=UTC),
    ...                        window_end=datetime(2026, 4, 2, tzinfo=UTC))
    >>> cycle.closed.start.date(), cycle.current.start.date(), cycle.current.end.date()
    (datetime.date(2026, 3, 1), datetime.date(2026, 4, 1), datetime.date(2026, 5, 1))
    >>> bill_cycle_for(account, window_start=datetime(2026, 4, 2, tzinfo=UTC),
    ...                window_end=datetime(2026, 4, 30, tzinfo=UTC)) is None
    True
    """
    assert window_start.tzinfo is not None and window_end.tzinfo is not None
    if window_end <= window_start:
        raise BillingError(
            f"bill run window: the end {window_end.isoformat()} must be after the start "
            f"{window_start.isoformat()}"
        )
    window_start, window_end = _local_window(account, start=window_start, end=window_end)
    containing = _period_of(account, window_start)
    current = containing if containing.start == window_start else next_period(containing)
    if current.start >= window_end:
        return None
    if current.end < window_end:
        raise BillingError(
            f"billing account {account.id!r}: the run window {window_start.isoformat()} to "
            f"{window_end.isoformat()} holds two of its bill-cycle dates "
            f"({current.start.date()} and {current.end.date()}); run one window per cycle"
        )
    closed = _period_of(account, current.start - _JUST_BEFORE)
    return BillCycle(
        current=current,
        closed=closed,
        bill_cycle_day=account.bill_cycle_day,
        time_zone=account.time_zone,
    )


def _is_utc_midnight(instant: datetime) -> bool:
    return instant.astimezone(UTC).time() == time(0)


def _local_window(
    account: BillingAccount, *, start: datetime, end: datetime
) -> tuple[datetime, datetime]:
    """A window of whole UTC days (as `tollway bill YYYY-MM` gives) read as those calendar dates
    in the account's own zone; any other window as the instants it names.

    So the "2026-04" run bills a Tokyo account dated 1 April local (31 March 15:00 UTC) and a
    Honolulu account dated 1 April local (1 April 10:00 UTC) alike: every account whose local
    cycle date falls in the month, exactly once across consecutive months, whatever its zone.
    """
    if not (_is_utc_midnight(start) and _is_utc_midnight(end)):
        return start, end
    zone = ZoneInfo(account.time_zone)
    local_start = datetime.combine(start.astimezone(UTC).date(), time(0), tzinfo=zone)
    local_end = datetime.combine(end.astimezone(UTC).date(), time(0), tzinfo=zone)
    # Through UTC and back: a local midnight that does not exist moves to the instant it denotes.
    return local_start.astimezone(UTC).astimezone(zone), local_end.astimezone(UTC).astimezone(zone)


def add_months(instant: datetime, months: int, *, time_zone: str) -> datetime:
    """The same local wall-clock time `months` later, the day clamped to the month's end.

    >>> add_months(datetime(2026, 1, 31, tzinfo=UTC), 1, time_zone="UTC").date()
    datetime.date(2026, 2, 28)
    """
    local = instant.astimezone(ZoneInfo(time_zone))
    month_index = local.year * MONTHS_PER_YEAR + local.month - 1 + months
    year, month_zero = divmod(month_index, MONTHS_PER_YEAR)
    day = min(local.day, calendar.monthrange(year, month_zero + 1)[1])
    moved = local.replace(year=year, month=month_zero + 1, day=day)
    # Through UTC and back: a wall-clock time that does not exist moves to the instant it denotes.
    return moved.astimezone(UTC).astimezone(local.tzinfo)


def whole_months_between(*, start: datetime, end: datetime, time_zone: str) -> int:
    """How many whole months fit from `start` to `end` (0 when `end` is not after `start`).

    >>> whole_months_between(start=datetime(2026, 3, 16, tzinfo=UTC),
    ...                      end=datetime(2027, 1, 1, tzinfo=UTC), time_zone="UTC")
    9
    """
    if end <= start:
        return 0
    local_start = start.astimezone(ZoneInfo(time_zone))
    local_end = end.astimezone(local_start.tzinfo)
    months = (local_end.year - local_start.year) * MONTHS_PER_YEAR + (
        local_end.month - local_start.month
    )
    while months > 0 and add_months(start, months, time_zone=time_zone) > end:
        months -= 1
    return months


def follow_on_problem(
    cycle: BillCycle, *, previous_start: datetime, previous_end: datetime
) -> str | None:
    """Why a bill for `cycle` cannot follow the account's latest issued bill, whose current
    period was [previous_start, previous_end); None when it follows on (that period is this
    bill's closed period). A bill-cycle-day change is not supported yet: the periods no longer
    line up, and the bill is refused rather than billing part of a period twice.

    >>> from tollway.money import currency
    >>> account = BillingAccount("A1", "p1", "Acme", currency("USD"), 1, "UTC")
    >>> may = bill_cycle_for(account, window_start=datetime(2026, 5, 1, tzinfo=UTC),
    ...                      window_end=datetime(2026, 5, 2, tzinfo=UTC))
    >>> follow_on_problem(may, previous_start=datetime(2026, 4, 1, tzinfo=UTC),
    ...                   previous_end=datetime(2026, 5, 1, tzinfo=UTC)) is None
    True
    >>> follow_on_problem(may, previous_start=datetime(2026, 3, 1, tzinfo=UTC),
    ...                   previous_end=datetime(2026, 4, 1, tzinfo=UTC))
    'a skipped cycle: the cycle dated 2026-04-01T00:00:00+00:00 was never billed; bill it first'
    """
    closed = cycle.closed
    if previous_start == closed.start and previous_end == closed.end:
        return None
    if previous_start >= cycle.current.start:
        return "out of order: a later (or the same) cycle was billed already"
    if previous_end <= closed.start:
        return (
            f"a skipped cycle: the cycle dated {previous_end.isoformat()} was never billed; "
            "bill it first"
        )
    return (
        f"its periods no longer line up with bill-cycle day {cycle.bill_cycle_day} (a "
        "bill-cycle-day change is not supported yet, and is refused rather than billing part "
        "of a period twice)"
    )
