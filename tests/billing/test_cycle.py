"""Which cycle a run bills for an account, and the month arithmetic of terms."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from billing_world import World, day

from tollway.billing._charges import BillingError
from tollway.billing._cycle import add_months, bill_cycle_for, whole_months_between


def test_a_run_on_the_cycle_date_bills_the_month_ahead_and_closes_the_month_behind() -> None:
    world = World()
    account = world.account("A1", bill_cycle_day=1)
    cycle = bill_cycle_for(account, window_start=day(4, 1), window_end=day(4, 2))
    assert cycle is not None
    assert (cycle.closed.start, cycle.closed.end) == (day(3, 1), day(4, 1))
    assert (cycle.current.start, cycle.current.end) == (day(4, 1), day(5, 1))
    assert cycle.cycle_date == day(4, 1)


def test_an_account_whose_cycle_date_is_outside_the_window_is_not_billed() -> None:
    world = World()
    account = world.account("A15", bill_cycle_day=15)
    assert bill_cycle_for(account, window_start=day(4, 1), window_end=day(4, 2)) is None


def test_a_month_long_window_bills_each_account_on_its_own_cycle_day() -> None:
    world = World()
    account = world.account("A15", bill_cycle_day=15)
    cycle = bill_cycle_for(account, window_start=day(4, 1), window_end=day(5, 1))
    assert cycle is not None
    assert (cycle.closed.start, cycle.current.start, cycle.current.end) == (
        day(3, 15),
        day(4, 15),
        day(5, 15),
    )


def test_bill_cycle_day_31_clamps_to_the_end_of_february() -> None:
    world = World()
    account = world.account("A31", bill_cycle_day=31)
    cycle = bill_cycle_for(account, window_start=day(2, 1), window_end=day(3, 1))
    assert cycle is not None
    # Jan 31 -> Feb 28 (2026 is not a leap year) -> Mar 31.
    assert (cycle.closed.start, cycle.current.start, cycle.current.end) == (
        day(1, 31),
        day(2, 28),
        day(3, 31),
    )


def test_cycle_dates_are_local_midnights_of_the_account_zone() -> None:
    world = World()
    account = world.account("NY", time_zone="America/New_York")
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 4, 1, tzinfo=new_york)
    cycle = bill_cycle_for(
        account, window_start=start, window_end=datetime(2026, 4, 2, tzinfo=new_york)
    )
    assert cycle is not None
    assert cycle.current.start.astimezone(UTC) == datetime(2026, 4, 1, 4, tzinfo=UTC)
    # The run over the UTC day of Apr 1 starts at 8 pm Mar 31 in New York: no cycle date in it
    # until local midnight, which is 04:00 UTC, inside the window.
    assert bill_cycle_for(account, window_start=day(4, 1), window_end=day(4, 2)) is not None


def test_a_window_with_two_cycle_dates_is_refused() -> None:
    world = World()
    account = world.account("A1")
    with pytest.raises(BillingError, match="holds two of its bill-cycle dates"):
        bill_cycle_for(account, window_start=day(3, 1), window_end=day(4, 15))


def test_a_reversed_window_is_refused() -> None:
    world = World()
    with pytest.raises(BillingError, match="must be after the start"):
        bill_cycle_for(world.account("A1"), window_start=day(4, 2), window_end=day(4, 1))


def test_adding_months_clamps_the_day_to_the_month_end() -> None:
    assert add_months(day(1, 31), 1, time_zone="UTC") == day(2, 28)
    assert add_months(day(1, 31), 13, time_zone="UTC") == day(2, 28, 2027)
    assert add_months(day(3, 16), 10, time_zone="UTC") == day(1, 16, 2027)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (day(3, 16), day(1, 1, 2027), 9),  # Mar 16 -> Dec 16 is 9 months; 16 days left over
        (day(3, 1), day(1, 1, 2027), 10),  # exactly on a month boundary
        (day(1, 31), day(2, 28), 1),  # Jan 31 + 1 month clamps to Feb 28
        (day(3, 16), day(4, 15), 0),
        (day(4, 1), day(3, 1), 0),  # end before start
    ],
)
def test_whole_months_between(start: datetime, end: datetime, months: int) -> None:
    assert whole_months_between(start=start, end=end, time_zone="UTC") == months


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Honolulu", "UTC"])
def test_a_months_run_bills_the_accounts_whose_local_cycle_date_is_in_that_month(
    zone: str,
) -> None:
    # Cycle day 1 in Tokyo is 1 April 00:00 JST = 31 March 15:00 UTC; in Kiritimati (UTC+14) it is
    # 31 March 10:00 UTC. Both belong to the April run, not the March one, as in Honolulu (UTC-10,
    # 1 April 10:00 UTC) and UTC itself.
    world = World()
    account = world.account("A1", bill_cycle_day=1, time_zone=zone)
    local = ZoneInfo(zone)
    march_run = bill_cycle_for(account, window_start=day(3, 1), window_end=day(4, 1))
    april_run = bill_cycle_for(account, window_start=day(4, 1), window_end=day(5, 1))
    assert march_run is not None and april_run is not None
    assert march_run.cycle_date == datetime(2026, 3, 1, tzinfo=local)
    assert april_run.cycle_date == datetime(2026, 4, 1, tzinfo=local)
    assert april_run.closed.start == march_run.current.start


def test_a_window_that_is_not_whole_utc_days_is_read_as_instants() -> None:
    # Tokyo's 1 April cycle date is 31 March 15:00 UTC: a window of instants around it finds it.
    world = World()
    account = world.account("A1", bill_cycle_day=1, time_zone="Asia/Tokyo")
    cycle = bill_cycle_for(
        account,
        window_start=datetime(2026, 3, 31, 14, tzinfo=UTC),
        window_end=datetime(2026, 3, 31, 16, tzinfo=UTC),
    )
    assert cycle is not None
    assert cycle.cycle_date == datetime(2026, 4, 1, tzinfo=ZoneInfo("Asia/Tokyo"))
