"""Billing periods: cadences, alignment, bill-cycle days that clamp without sticking, time zones."""

import calendar
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tollway.periods
from tollway.periods import (
    Alignment,
    BillingPeriod,
    Cadence,
    PeriodError,
    local_midnight,
    next_period,
    period_containing,
    periods_between,
)

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
SANTIAGO = ZoneInfo("America/Santiago")


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def dates(period: BillingPeriod) -> tuple[date, date]:
    """The period's first local date and its (excluded) end date."""
    zone = period.time_zone
    return period.start.astimezone(zone).date(), period.end.astimezone(zone).date()


def monthly(
    instant: datetime,
    *,
    bill_cycle_day: int | None = None,
    alignment: Alignment = Alignment.CALENDAR,
    anchor: date | None = None,
) -> BillingPeriod:
    return period_containing(
        instant,
        cadence=Cadence.MONTHLY,
        time_zone="UTC",
        bill_cycle_day=bill_cycle_day,
        alignment=alignment,
        anchor=anchor,
    )


class TestMonthly:
    def test_calendar_month_holds_an_instant_in_the_middle(self) -> None:
        period = monthly(utc(2024, 3, 17, 15))
        assert dates(period) == (date(2024, 3, 1), date(2024, 4, 1))
        assert period.days == 31

    def test_periods_are_half_open_an_instant_on_the_end_belongs_to_the_next(self) -> None:
        assert dates(monthly(utc(2024, 4, 1))) == (date(2024, 4, 1), date(2024, 5, 1))
        last_microsecond = utc(2024, 4, 1) - timedelta(microseconds=1)
        assert dates(monthly(last_microsecond)) == (date(2024, 3, 1), date(2024, 4, 1))

    def test_leap_february_has_29_days_and_common_february_28(self) -> None:
        assert monthly(utc(2024, 2, 10)).days == 29
        assert monthly(utc(2023, 2, 10)).days == 28

    def test_the_day_before_the_bill_cycle_day_is_in_the_previous_period(self) -> None:
        period = monthly(utc(2023, 3, 14), bill_cycle_day=15)
        assert dates(period) == (date(2023, 2, 15), date(2023, 3, 15))
        assert period.days == 28

    def test_bill_cycle_day_31_clamps_in_short_months_and_never_sticks(self) -> None:
        # 2024: Jan 31 → Feb 29 (leap) → Mar 31 → Apr 30 → May 31 → Jun 30.
        period = monthly(utc(2024, 1, 31), bill_cycle_day=31)
        starts = []
        for _ in range(6):
            starts.append(dates(period)[0])
            period = next_period(period)
        assert starts == [
            date(2024, 1, 31),
            date(2024, 2, 29),
            date(2024, 3, 31),
            date(2024, 4, 30),
            date(2024, 5, 31),
            date(2024, 6, 30),
        ]

    def test_bill_cycle_day_31_in_a_common_year_lands_on_february_28(self) -> None:
        february = monthly(utc(2023, 3, 5), bill_cycle_day=31)
        assert dates(february) == (date(2023, 2, 28), date(2023, 3, 31))
        assert february.days == 31
        assert dates(monthly(utc(2023, 2, 27), bill_cycle_day=31)) == (
            date(2023, 1, 31),
            date(2023, 2, 28),
        )

    def test_bill_cycle_day_30_clamps_only_in_february(self) -> None:
        assert dates(monthly(utc(2024, 3, 1), bill_cycle_day=30)) == (
            date(2024, 2, 29),
            date(2024, 3, 30),
        )

    def test_cycle_day_is_kept_on_the_period_and_resolved_from_the_start_when_unset(self) -> None:
        assert monthly(utc(2024, 2, 29), bill_cycle_day=31).cycle_day == 31
        handmade = BillingPeriod(utc(2024, 3, 15), utc(2024, 4, 15), Cadence.MONTHLY)
        assert handmade.cycle_day == 15
        assert dates(next_period(handmade)) == (date(2024, 4, 15), date(2024, 5, 15))


class TestQuarterlyAndAnnual:
    def test_calendar_quarters_have_90_91_and_92_days(self) -> None:
        def quarter(instant: datetime) -> BillingPeriod:
            return period_containing(instant, cadence=Cadence.QUARTERLY, time_zone="UTC")

        assert dates(quarter(utc(2023, 2, 1))) == (date(2023, 1, 1), date(2023, 4, 1))
        assert quarter(utc(2023, 2, 1)).days == 90
        assert quarter(utc(2024, 2, 1)).days == 91
        assert dates(quarter(utc(2024, 8, 20))) == (date(2024, 7, 1), date(2024, 10, 1))
        assert quarter(utc(2024, 8, 20)).days == 92

    def test_calendar_years_have_365_or_366_days(self) -> None:
        def year(instant: datetime) -> BillingPeriod:
            return period_containing(instant, cadence=Cadence.ANNUAL, time_zone="UTC")

        assert dates(year(utc(2024, 7, 1))) == (date(2024, 1, 1), date(2025, 1, 1))
        assert year(utc(2024, 7, 1)).days == 366
        assert year(utc(2023, 7, 1)).days == 365

    def test_anniversary_quarters_follow_the_subscription_month_and_day(self) -> None:
        # Subscribed Nov 30, 2023: quarters start Nov 30, Feb 29 (clamped), May 30, Aug 30.
        period = period_containing(
            utc(2024, 3, 1),
            cadence=Cadence.QUARTERLY,
            time_zone="UTC",
            alignment=Alignment.ANNIVERSARY,
            anchor=date(2023, 11, 30),
        )
        assert dates(period) == (date(2024, 2, 29), date(2024, 5, 30))
        assert dates(next_period(period)) == (date(2024, 5, 30), date(2024, 8, 30))

    def test_annual_anniversary_on_february_29_clamps_in_common_years(self) -> None:
        def year(instant: datetime) -> BillingPeriod:
            return period_containing(
                instant,
                cadence=Cadence.ANNUAL,
                time_zone="UTC",
                alignment=Alignment.ANNIVERSARY,
                anchor=date(2024, 2, 29),
            )

        assert dates(year(utc(2025, 6, 1))) == (date(2025, 2, 28), date(2026, 2, 28))
        assert dates(year(utc(2028, 3, 1))) == (date(2028, 2, 29), date(2029, 2, 28))
        assert year(utc(2024, 3, 1)).days == 365  # Feb 29, 2024 to Feb 28, 2025

    def test_anniversary_monthly_uses_the_subscription_day(self) -> None:
        period = monthly(utc(2024, 3, 5), alignment=Alignment.ANNIVERSARY, anchor=date(2024, 1, 31))
        assert dates(period) == (date(2024, 2, 29), date(2024, 3, 31))

    def test_anniversary_needs_the_subscription_start(self) -> None:
        with pytest.raises(PeriodError) as raised:
            monthly(utc(2024, 3, 5), alignment=Alignment.ANNIVERSARY)
        assert raised.value.field == "anchor"


class TestWeekly:
    def test_calendar_weeks_start_on_monday(self) -> None:
        week = period_containing(utc(2024, 3, 13, 9), cadence=Cadence.WEEKLY, time_zone="UTC")
        assert dates(week) == (date(2024, 3, 11), date(2024, 3, 18))
        assert week.start.isoweekday() == 1

    def test_bill_cycle_weekday_sunday(self) -> None:
        week = period_containing(
            utc(2024, 3, 13), cadence=Cadence.WEEKLY, time_zone="UTC", bill_cycle_day=7
        )
        assert dates(week) == (date(2024, 3, 10), date(2024, 3, 17))
        assert dates(next_period(week)) == (date(2024, 3, 17), date(2024, 3, 24))

    def test_anniversary_weeks_start_on_the_subscription_weekday(self) -> None:
        # Subscribed on Thursday, Feb 1, 2024.
        week = period_containing(
            utc(2024, 3, 13),
            cadence=Cadence.WEEKLY,
            time_zone="UTC",
            alignment=Alignment.ANNIVERSARY,
            anchor=date(2024, 2, 1),
        )
        assert dates(week) == (date(2024, 3, 7), date(2024, 3, 14))

    def test_a_weekday_above_7_is_refused(self) -> None:
        with pytest.raises(PeriodError, match="ISO weekday"):
            period_containing(
                utc(2024, 3, 13), cadence=Cadence.WEEKLY, time_zone="UTC", bill_cycle_day=8
            )


class TestTimeZones:
    def test_the_local_date_decides_the_period(self) -> None:
        # 03:00 UTC on Mar 1 is still Feb 29, 22:00 in New York and already Mar 1, 12:00 in Tokyo.
        instant = utc(2024, 3, 1, 3)
        in_new_york = period_containing(instant, cadence=Cadence.MONTHLY, time_zone=NEW_YORK)
        in_tokyo = period_containing(instant, cadence=Cadence.MONTHLY, time_zone="Asia/Tokyo")
        assert dates(in_new_york) == (date(2024, 2, 1), date(2024, 3, 1))
        assert dates(in_tokyo) == (date(2024, 3, 1), date(2024, 4, 1))
        assert in_tokyo.start == datetime(2024, 3, 1, tzinfo=TOKYO)
        assert in_tokyo.start.astimezone(UTC) == utc(2024, 2, 29, 15)

    def test_dst_month_in_new_york_starts_and_ends_at_local_midnight(self) -> None:
        # Clocks spring forward on Sunday Mar 10, 2024: March is 31 days but 743 hours long.
        march = period_containing(utc(2024, 3, 15), cadence=Cadence.MONTHLY, time_zone=NEW_YORK)
        assert march.start.isoformat() == "2024-03-01T00:00:00-05:00"
        assert march.end.isoformat() == "2024-04-01T00:00:00-04:00"
        assert march.days == 31
        assert march.end.astimezone(UTC) - march.start.astimezone(UTC) == timedelta(hours=743)

    def test_a_week_starting_on_the_dst_change_day_starts_at_its_midnight(self) -> None:
        week = period_containing(
            utc(2024, 3, 12), cadence=Cadence.WEEKLY, time_zone=NEW_YORK, bill_cycle_day=7
        )
        assert week.start.isoformat() == "2024-03-10T00:00:00-05:00"
        assert week.end.isoformat() == "2024-03-17T00:00:00-04:00"

    def test_november_fall_back_month_is_721_hours(self) -> None:
        november = period_containing(utc(2024, 11, 20), cadence=Cadence.MONTHLY, time_zone=NEW_YORK)
        assert november.end.astimezone(UTC) - november.start.astimezone(UTC) == timedelta(hours=721)

    def test_where_midnight_is_skipped_the_day_starts_at_one(self) -> None:
        # Santiago springs forward at 00:00 on Sunday Sep 8, 2024: that day begins at 01:00.
        week = period_containing(
            utc(2024, 9, 10), cadence=Cadence.WEEKLY, time_zone=SANTIAGO, bill_cycle_day=7
        )
        assert week.start.isoformat() == "2024-09-08T01:00:00-03:00"
        assert local_midnight(date(2024, 9, 8), time_zone=SANTIAGO) == week.start

    def test_an_unknown_zone_is_named_in_the_error(self) -> None:
        with pytest.raises(PeriodError, match="'Mars/Olympus'") as raised:
            period_containing(utc(2024, 3, 1), cadence=Cadence.MONTHLY, time_zone="Mars/Olympus")
        assert raised.value.field == "time_zone"
        assert raised.value.code == "invalid_period"


class TestPeriodsBetween:
    def test_a_year_of_months_with_bill_cycle_day_31(self) -> None:
        periods = periods_between(
            start=utc(2023, 1, 31),
            end=utc(2024, 1, 31),
            cadence=Cadence.MONTHLY,
            time_zone="UTC",
            bill_cycle_day=31,
        )
        assert len(periods) == 12
        assert [period.days for period in periods] == [
            28,
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
            31,
        ]
        assert all(earlier.end == later.start for earlier, later in itertools.pairwise(periods))

    def test_partly_covered_periods_at_both_ends_are_listed(self) -> None:
        weeks = periods_between(
            start=utc(2024, 3, 13), end=utc(2024, 3, 19), cadence=Cadence.WEEKLY, time_zone="UTC"
        )
        assert [dates(week) for week in weeks] == [
            (date(2024, 3, 11), date(2024, 3, 18)),
            (date(2024, 3, 18), date(2024, 3, 25)),
        ]

    def test_an_empty_span_has_no_periods_and_a_reversed_one_is_refused(self) -> None:
        same = utc(2024, 3, 13)
        assert periods_between(start=same, end=same, cadence=Cadence.WEEKLY, time_zone="UTC") == ()
        with pytest.raises(PeriodError) as raised:
            periods_between(
                start=same, end=utc(2024, 3, 1), cadence=Cadence.WEEKLY, time_zone="UTC"
            )
        assert raised.value.field == "end"

    def test_a_runaway_span_is_refused(self) -> None:
        with pytest.raises(PeriodError, match="more than 10000 periods"):
            periods_between(
                start=utc(1900, 1, 1), end=utc(2199, 1, 1), cadence=Cadence.WEEKLY, time_zone="UTC"
            )


class TestValidation:
    @pytest.mark.parametrize("day", [0, 32, -1])
    def test_bill_cycle_day_outside_1_to_31_is_refused(self, day: int) -> None:
        with pytest.raises(PeriodError, match="from 1 to 31") as raised:
            monthly(utc(2024, 3, 1), bill_cycle_day=day)
        assert raised.value.field == "bill_cycle_day"

    def test_a_naive_instant_is_refused(self) -> None:
        with pytest.raises(PeriodError, match="no time zone"):
            monthly(datetime(2024, 3, 1))

    def test_a_period_must_end_after_it_starts(self) -> None:
        with pytest.raises(PeriodError) as raised:
            BillingPeriod(utc(2024, 4, 1), utc(2024, 3, 1), Cadence.MONTHLY)
        assert raised.value.field == "end"

    def test_a_period_keeps_one_time_zone(self) -> None:
        with pytest.raises(PeriodError, match="same time zone"):
            BillingPeriod(
                datetime(2024, 3, 1, tzinfo=NEW_YORK), utc(2024, 4, 1, 4), Cadence.MONTHLY
            )

    def test_a_stub_is_not_a_full_cycle(self) -> None:
        assert monthly(utc(2024, 2, 10), bill_cycle_day=31).is_full_cycle
        stub = BillingPeriod(utc(2024, 5, 23), utc(2024, 6, 15), Cadence.MONTHLY, bill_cycle_day=15)
        assert not stub.is_full_cycle
        # A cycle anchored mid-day (Stripe's billing_cycle_anchor) is still a full cycle.
        anchored = BillingPeriod(
            datetime(2024, 3, 5, 14, 30, tzinfo=UTC),
            datetime(2024, 4, 5, 14, 30, tzinfo=UTC),
            Cadence.MONTHLY,
        )
        assert anchored.is_full_cycle

    def test_contains_is_half_open(self) -> None:
        march = monthly(utc(2024, 3, 1))
        assert march.contains(utc(2024, 3, 1))
        assert not march.contains(utc(2024, 4, 1))


ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe", "America/Santiago"]
EPOCH = utc(1990, 1, 1)
SPAN_MICROSECONDS = 80 * 366 * 24 * 3600 * 1_000_000


@st.composite
def cycles(draw: st.DrawFn) -> tuple[datetime, Cadence, str, int]:
    instant = EPOCH + timedelta(microseconds=draw(st.integers(0, SPAN_MICROSECONDS)))
    cadence = draw(st.sampled_from(Cadence))
    largest = 7 if cadence is Cadence.WEEKLY else 31
    return instant, cadence, draw(st.sampled_from(ZONES)), draw(st.integers(1, largest))


@given(cycles())
def test_every_instant_lies_in_its_period_and_periods_tile_time(
    cycle: tuple[datetime, Cadence, str, int],
) -> None:
    instant, cadence, zone, day = cycle
    period = period_containing(instant, cadence=cadence, time_zone=zone, bill_cycle_day=day)
    assert period.contains(instant)
    following = next_period(period)
    assert following.start == period.end
    assert period_containing(period.end, cadence=cadence, time_zone=zone, bill_cycle_day=day) == (
        following
    )
    first, _ = dates(period)
    assert period.start == local_midnight(first, time_zone=zone)
    if cadence is Cadence.WEEKLY:
        assert first.isoweekday() == day
    else:
        assert first.day == min(day, calendar.monthrange(first.year, first.month)[1])


def test_the_public_surface_is_pinned() -> None:
    assert tollway.periods.__all__ == [
        "Alignment",
        "BillingPeriod",
        "Cadence",
        "Credit",
        "PeriodError",
        "PlanChange",
        "Proration",
        "ProrationUnit",
        "local_midnight",
        "next_period",
        "period_containing",
        "periods_between",
        "plan_change",
        "prorate",
        "splits_add_up",
        "unused_credit",
    ]
