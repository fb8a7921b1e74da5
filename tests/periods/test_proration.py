"""Proration under every named convention, with the expected shares worked out by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tollway.conventions import (
    Conventions,
    PartialDay,
    ProrationBasis,
    ProrationDenominator,
    profile,
)
from tollway.money import MONEY_CONTEXT, RoundingMode, round_decimal
from tollway.periods import (
    BillingPeriod,
    Cadence,
    PeriodError,
    Proration,
    ProrationUnit,
    local_midnight,
    period_containing,
    prorate,
)

NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def ratio(numerator: int, denominator: int) -> Decimal:
    """A hand-counted share written as MONEY_CONTEXT writes it (38 significant digits)."""
    return MONEY_CONTEXT.divide(Decimal(numerator), Decimal(denominator))


def rules(
    basis: ProrationBasis,
    *,
    denominator: ProrationDenominator = ProrationDenominator.ACTUAL_PERIOD,
    partial_day: PartialDay = PartialDay.EXACT,
    fraction_decimals: int | None = None,
) -> Conventions:
    return profile("tollway").replace(
        proration_basis=basis,
        proration_denominator=denominator,
        partial_day=partial_day,
        proration_fraction_decimals=fraction_decimals,
    )


END_EXCLUSIVE = rules(ProrationBasis.DAYS_END_EXCLUSIVE)


def month_of(instant: datetime, *, bill_cycle_day: int | None = None) -> BillingPeriod:
    return period_containing(
        instant,
        cadence=Cadence.MONTHLY,
        time_zone=instant.tzinfo or UTC,
        bill_cycle_day=bill_cycle_day,
    )


FEBRUARY_2023 = month_of(utc(2023, 2, 1))
MARCH_2023 = month_of(utc(2023, 3, 1))
JANUARY_2024 = month_of(utc(2024, 1, 1))
FEBRUARY_2024 = month_of(utc(2024, 2, 1))
MARCH_2024 = month_of(utc(2024, 3, 1))
APRIL_2024 = month_of(utc(2024, 4, 1))
"""Calendar months in UTC: 28, 31, 31, 29, 31 and 30 days."""


def share(
    amount: str,
    start: datetime,
    end: datetime,
    period: BillingPeriod,
    conventions: Conventions,
    bill_cycle_day: int | None = None,
) -> Proration:
    return prorate(
        Decimal(amount),
        interval_start=start,
        interval_end=end,
        period=period,
        conventions=conventions,
        bill_cycle_day=bill_cycle_day,
    )


class TestDaysEndExclusiveOverTheActualPeriod:
    def test_leap_february_has_29_days(self) -> None:
        # Feb 10 – Feb 19 is 10 days of 29: 29.00 * 10/29 = 10.
        result = share("29.00", utc(2024, 2, 10), utc(2024, 2, 20), FEBRUARY_2024, END_EXCLUSIVE)
        assert (result.numerator, result.denominator, result.unit) == (10, 29, ProrationUnit.DAYS)
        assert result.fraction == ratio(10, 29)
        assert result.amount == Decimal(10)

    def test_common_february_has_28_days(self) -> None:
        # 28.00 * 10/28 = 10.
        result = share("28.00", utc(2023, 2, 10), utc(2023, 2, 20), FEBRUARY_2023, END_EXCLUSIVE)
        assert (result.numerator, result.denominator) == (10, 28)
        assert result.amount == Decimal(10)

    def test_the_month_end_in_a_31_day_month(self) -> None:
        # Jan 21 – Jan 31 is 11 days of 31: 31.00 * 11/31 = 11.
        result = share("31.00", utc(2024, 1, 21), utc(2024, 2, 1), JANUARY_2024, END_EXCLUSIVE)
        assert (result.numerator, result.denominator) == (11, 31)
        assert result.amount == Decimal(11)

    def test_a_share_that_does_not_terminate_is_left_unrounded(self) -> None:
        # 100.00 * 10/31 = 1000/31 = 32.258064516129032... (repeating 258064516129032), kept to
        # 38 significant digits; the pricing layer rounds it to 32.26 at its stage.
        result = share("100.00", utc(2024, 1, 1), utc(2024, 1, 11), JANUARY_2024, END_EXCLUSIVE)
        assert result.amount == Decimal("32.258064516129032258064516129032258065")
        assert round_decimal(result.amount, decimals=2, mode=RoundingMode.HALF_UP) == Decimal(
            "32.26"
        )

    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            ("3100", Decimal(1100)),  # JPY, 0 decimals: 3100 * 11/31 = 1100
            ("12.400", Decimal("4.4")),  # BHD, 3 decimals: 12.400 * 11/31 = 4.4
            ("99.99", Decimal("35.480322580645161290322580645161290323")),  # USD: 1099.89/31
        ],
    )
    def test_amounts_of_any_currency_scale_by_the_same_fraction(
        self, amount: str, expected: Decimal
    ) -> None:
        result = share(amount, utc(2024, 1, 21), utc(2024, 2, 1), JANUARY_2024, END_EXCLUSIVE)
        assert result.amount == expected

    def test_zero_length_interval_is_zero(self) -> None:
        result = share("29.00", utc(2024, 2, 10), utc(2024, 2, 10), FEBRUARY_2024, END_EXCLUSIVE)
        assert (result.numerator, result.fraction, result.amount) == (0, 0, 0)

    def test_zero_price_prorates_to_zero(self) -> None:
        result = share("0", utc(2024, 2, 10), utc(2024, 2, 20), FEBRUARY_2024, END_EXCLUSIVE)
        assert result.amount == 0

    def test_the_whole_period_is_exactly_the_price(self) -> None:
        result = share("29.00", utc(2024, 2, 1), utc(2024, 3, 1), FEBRUARY_2024, END_EXCLUSIVE)
        assert result.fraction == 1
        assert result.amount == Decimal("29.00")
        assert "the whole period, not prorated" in result.description

    def test_quarters_of_90_91_and_92_days(self) -> None:
        def first_half_of_quarter(year: int, month: int, end: datetime) -> Proration:
            start = utc(year, month, 1)
            quarter = period_containing(start, cadence=Cadence.QUARTERLY, time_zone="UTC")
            return share("100.00", start, end, quarter, END_EXCLUSIVE)

        # Q1 2023: Jan 1 – Feb 14 is 31 + 14 = 45 days of 90 = 1/2.
        assert first_half_of_quarter(2023, 1, utc(2023, 2, 15)).amount == Decimal(50)
        # Q1 2024 has 91 days: 100 * 45/91 = 49.450549... (repeating 450549).
        q1_2024 = first_half_of_quarter(2024, 1, utc(2024, 2, 15))
        assert (q1_2024.numerator, q1_2024.denominator) == (45, 91)
        assert q1_2024.amount == Decimal("49.450549450549450549450549450549450549")
        # Q3 2024: Jul 1 – Aug 15 is 31 + 15 = 46 days of 92 = 1/2.
        q3_2024 = first_half_of_quarter(2024, 7, utc(2024, 8, 16))
        assert (q3_2024.numerator, q3_2024.denominator, q3_2024.amount) == (46, 92, 50)

    def test_years_of_365_and_366_days(self) -> None:
        def first_half_of_year(year: int) -> Proration:
            annual = period_containing(utc(year, 1, 1), cadence=Cadence.ANNUAL, time_zone="UTC")
            return share("365.00", utc(year, 1, 1), utc(year, 7, 2), annual, END_EXCLUSIVE)

        # Jan 1 – Jul 1 is 31+29+31+30+31+30+1 = 183 days of 366: 365 * 183/366 = 182.5.
        leap = first_half_of_year(2024)
        assert (leap.numerator, leap.denominator, leap.amount) == (183, 366, Decimal("182.5"))
        # In 2023 the same dates are 182 days of 365: 365 * 182/365 = 182.
        common = first_half_of_year(2023)
        assert (common.numerator, common.denominator, common.amount) == (182, 365, 182)


class TestPartialDays:
    """April 2024 (30 days, UTC), 30.00 a month, a change on Apr 11 at 18:00."""

    april = APRIL_2024
    change = utc(2024, 4, 11, 18)

    def test_exact_counts_the_elapsed_share_of_the_day(self) -> None:
        # From Apr 11 18:00: 6 hours of Apr 11 (0.25 day) + Apr 12 – Apr 30 (19 days) = 19.25.
        after = share("30.00", self.change, utc(2024, 5, 1), self.april, END_EXCLUSIVE)
        assert (after.numerator, after.denominator, after.amount) == (
            Decimal("19.25"),
            30,
            Decimal("19.25"),
        )
        # Before: Apr 1 – Apr 10 (10 days) + 18 hours (0.75) = 10.75 days; the two add up to 30.
        before = share("30.00", utc(2024, 4, 1), self.change, self.april, END_EXCLUSIVE)
        assert before.amount == Decimal("10.75")

    def test_ceil_counts_a_started_day_whole_on_both_sides(self) -> None:
        ceil = rules(ProrationBasis.DAYS_END_EXCLUSIVE, partial_day=PartialDay.CEIL)
        # Apr 11 – Apr 30 touched: 20 days; Apr 1 – Apr 11 touched: 11 days; 31 days for 30.
        after = share("30.00", self.change, utc(2024, 5, 1), self.april, ceil)
        before = share("30.00", utc(2024, 4, 1), self.change, self.april, ceil)
        assert (after.numerator, after.amount) == (20, 20)
        assert (before.numerator, before.amount) == (11, 11)

    def test_calendar_date_gives_the_day_of_the_change_to_the_interval_starting_on_it(self) -> None:
        dates = rules(ProrationBasis.DAYS_END_EXCLUSIVE, partial_day=PartialDay.CALENDAR_DATE)
        # Kill Bill: the old price Apr 1 – Apr 10 (10 days), the new price Apr 11 – Apr 30 (20).
        before = share("30.00", utc(2024, 4, 1), self.change, self.april, dates)
        after = share("30.00", self.change, utc(2024, 5, 1), self.april, dates)
        assert (before.numerator, before.amount) == (10, 10)
        assert (after.numerator, after.amount) == (20, 20)

    def test_calendar_dates_are_local_dates(self) -> None:
        # 02:00 UTC on Apr 11 is still Apr 10 (22:00) in New York: Apr 10 – Apr 30 is 21 days.
        dates = rules(ProrationBasis.DAYS_END_EXCLUSIVE, partial_day=PartialDay.CALENDAR_DATE)
        april = month_of(datetime(2024, 4, 1, tzinfo=NEW_YORK))
        result = share("30.00", utc(2024, 4, 11, 2), april.end, april, dates)
        assert (result.numerator, result.amount) == (21, 21)

    def test_a_partial_day_on_the_dst_change_day_is_its_share_of_23_hours(self) -> None:
        # New York, Mar 10, 2024 has 23 hours; 00:00 to 12:00 local is 11 real hours: 11/23 day.
        # Of a 31-day March: 11/23 / 31 = 11/713 of 713.00 = 11.
        march = month_of(datetime(2024, 3, 1, tzinfo=NEW_YORK))
        noon = datetime(2024, 3, 10, 12, tzinfo=NEW_YORK)
        result = share(
            "713.00",
            local_midnight(date(2024, 3, 10), time_zone=NEW_YORK),
            noon,
            march,
            END_EXCLUSIVE,
        )
        assert result.numerator == ratio(11, 23)
        assert result.amount == Decimal(11)


class TestDaysInclusive:
    """Lago: whole days, the first and the last both counted, in the customer's time zone."""

    inclusive = rules(ProrationBasis.DAYS_INCLUSIVE)
    march = MARCH_2024

    def test_an_interval_ending_at_midnight_ends_on_the_day_before(self) -> None:
        # [Mar 10 00:00, Mar 15 00:00) touches Mar 10 – Mar 14: 5 days of 31.
        result = share("31.00", utc(2024, 3, 10), utc(2024, 3, 15), self.march, self.inclusive)
        assert (result.numerator, result.denominator, result.amount) == (5, 31, 5)

    def test_an_inclusive_last_day_is_billed_by_ending_at_the_next_midnight(self) -> None:
        # Through Mar 15 inclusive: Mar 10 – Mar 15 is 6 days.
        through = local_midnight(date(2024, 3, 16), time_zone="UTC")
        result = share("31.00", utc(2024, 3, 10), through, self.march, self.inclusive)
        assert result.amount == 6

    def test_lagos_10_to_20_march_is_11_days(self) -> None:
        # Lago's "10 → 20 March" bills the 20th too: [Mar 10, Mar 21) touches 11 days of 31.
        result = share("31.00", utc(2024, 3, 10), utc(2024, 3, 21), self.march, self.inclusive)
        assert result.amount == 11

    def test_an_interval_ending_at_midnight_of_the_20th_is_10_days_of_31(self) -> None:
        # The end is excluded under every basis: [Mar 10 00:00, Mar 20 00:00) touches
        # Mar 10 – Mar 19, 10 days: 31.00 * 10/31 = 10, as under days_end_exclusive.
        result = share("31.00", utc(2024, 3, 10), utc(2024, 3, 20), self.march, self.inclusive)
        assert (result.numerator, result.denominator, result.amount) == (10, 31, 10)
        exclusive = share("31.00", utc(2024, 3, 10), utc(2024, 3, 20), self.march, END_EXCLUSIVE)
        assert exclusive.amount == 10

    def test_inclusive_counts_partly_used_days_at_both_ends_whole(self) -> None:
        # [Mar 10 15:00, Mar 20 09:00) touches Mar 10 – Mar 20: 11 days, 31.00 * 11/31 = 11.
        # End-exclusive exact days count 9/24 + 9 + 9/24 = 9.75 days: 31.00 * 9.75/31 = 9.75.
        start, end = utc(2024, 3, 10, 15), utc(2024, 3, 20, 9)
        assert share("31.00", start, end, self.march, self.inclusive).amount == 11
        exclusive = share("31.00", start, end, self.march, END_EXCLUSIVE)
        assert (exclusive.numerator, exclusive.amount) == (Decimal("9.75"), Decimal("9.75"))

    def test_partial_days_count_whole_even_with_exact_partial_days(self) -> None:
        # [Mar 15 10:00, Apr 1) touches Mar 15 – Mar 31: 17 days, although 16 5/12 elapse.
        result = share("31.00", utc(2024, 3, 15, 10), utc(2024, 4, 1), self.march, self.inclusive)
        assert result.amount == 17

    def test_a_mid_day_split_counts_its_day_on_both_sides(self) -> None:
        # Mar 1 – Mar 15 (15 days) + Mar 15 – Mar 31 (17 days) = 32 days billed of 31: marked
        # as not additive by `splits_add_up`.
        before = share("31.00", utc(2024, 3, 1), utc(2024, 3, 15, 10), self.march, self.inclusive)
        after = share("31.00", utc(2024, 3, 15, 10), utc(2024, 4, 1), self.march, self.inclusive)
        assert before.amount + after.amount == 32


class TestSeconds:
    """Stripe: elapsed seconds over the seconds of the period."""

    seconds = rules(ProrationBasis.SECONDS)

    def test_half_of_march_to_the_second(self) -> None:
        # March 2024 in UTC: 31 * 86400 = 2,678,400 s; Mar 1 – Mar 16 12:00 is 15.5 days,
        # 1,339,200 s.
        result = share("100.00", utc(2024, 3, 1), utc(2024, 3, 16, 12), MARCH_2024, self.seconds)
        assert (result.numerator, result.denominator) == (1_339_200, 2_678_400)
        assert result.unit is ProrationUnit.SECONDS
        assert (result.fraction, result.amount) == (Decimal("0.5"), 50)

    def test_the_dst_month_in_new_york_is_an_hour_short(self) -> None:
        # March 2024 in New York: 743 h = 2,674,800 s. Mar 1 – Mar 11 local: 10 days less the
        # skipped hour = 239 h = 860,400 s. 743.00 * 239/743 = 239.
        march = month_of(datetime(2024, 3, 1, tzinfo=NEW_YORK))
        result = share(
            "743.00", march.start, datetime(2024, 3, 11, tzinfo=NEW_YORK), march, self.seconds
        )
        assert (result.numerator, result.denominator, result.amount) == (860_400, 2_674_800, 239)
        # Counted in days the same interval is 10 of 31.
        days = share(
            "31.00", march.start, datetime(2024, 3, 11, tzinfo=NEW_YORK), march, END_EXCLUSIVE
        )
        assert (days.numerator, days.denominator) == (10, 31)

    def test_a_period_anchored_mid_day_is_prorated_to_the_second(self) -> None:
        # A Stripe cycle anchored at 14:30: Mar 5 14:30 – Apr 5 14:30 is 31 days; the last 16 of
        # them are 16/31 of 31.00 = 16.
        anchored = BillingPeriod(
            datetime(2024, 3, 5, 14, 30, tzinfo=UTC),
            datetime(2024, 4, 5, 14, 30, tzinfo=UTC),
            Cadence.MONTHLY,
        )
        result = share(
            "31.00", datetime(2024, 3, 20, 14, 30, tzinfo=UTC), anchored.end, anchored, self.seconds
        )
        assert result.amount == 16

    def test_the_denominator_option_is_for_day_bases_seconds_divide_by_the_period(self) -> None:
        fixed = rules(ProrationBasis.SECONDS, denominator=ProrationDenominator.FIXED_30)
        # Feb 2024: 29 * 86400 = 2,505,600 s; Feb 1 – Feb 16 is 15 days: 29.00 * 15/29 = 15.
        result = share("29.00", utc(2024, 2, 1), utc(2024, 2, 16), FEBRUARY_2024, fixed)
        assert (result.denominator, result.amount) == (2_505_600, 15)


class TestStubPeriods:
    """A stub (a period shorter than its cycle: a first period from the subscription date to the
    first bill-cycle day, or a last one ending on a cancellation) is its share of the full cycle
    of its cadence and bill-cycle day that holds it, under `actual_period` and `seconds` too."""

    # Subscribed on Mar 10 2023; the stub runs to Apr 1. Its own bill-cycle day is its start's,
    # the 10th, so it lies in the cycle Mar 10 – Apr 10 (31 days); with bill-cycle day 1 it lies
    # in March (31 days). Either way Mar 10 – Mar 31 is 22 of 31 days.
    stub = BillingPeriod(utc(2023, 3, 10), utc(2023, 4, 1), Cadence.MONTHLY)
    calendar_stub = BillingPeriod(utc(2023, 3, 10), utc(2023, 4, 1), Cadence.MONTHLY, 1)

    @pytest.mark.parametrize("name", ["tollway", "lago", "stripe", "openmeter"])
    def test_the_stub_march_10_to_april_1_is_22_31_not_the_full_price(self, name: str) -> None:
        # 31.00 * 22/31 = 22 (Lago counts Mar 10 – Mar 31 inclusive: the same 22 days; Stripe
        # 22 * 86,400 = 1,900,800 of 31 * 86,400 = 2,678,400 seconds).
        for stub in (self.stub, self.calendar_stub):
            result = share("31.00", stub.start, stub.end, stub, profile(name))
            assert (result.fraction, result.amount) == (ratio(22, 31), 22)

    def test_killbill_agrees_at_9_decimals(self) -> None:
        # 22/31 = 0.709677419|35... → 0.709677419; 31.00 * 0.709677419 = 21.999999989.
        result = share("31.00", self.stub.start, self.stub.end, self.stub, profile("killbill"))
        assert (result.fraction, result.amount) == (Decimal("0.709677419"), Decimal("21.999999989"))

    def test_seconds_are_counted_over_the_seconds_of_the_full_cycle(self) -> None:
        result = share("31.00", self.stub.start, self.stub.end, self.stub, profile("stripe"))
        assert (result.numerator, result.denominator) == (1_900_800, 2_678_400)
        assert result.description == (
            "1900800/2678400 seconds: 2023-03-10 to 2023-04-01 (end excluded) "
            "of the full cycle 2023-03-10 to 2023-04-10 that holds the stub period"
        )

    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            ("3100", Decimal(2200)),  # JPY, 0 decimals: 3100 * 22/31 = 2200
            ("12.400", Decimal("8.8")),  # BHD, 3 decimals: 12.400 * 22/31 = 8.8
            ("0", Decimal(0)),
        ],
    )
    def test_amounts_of_any_currency_scale_by_the_stubs_share(
        self, amount: str, expected: Decimal
    ) -> None:
        result = share(amount, self.stub.start, self.stub.end, self.stub, END_EXCLUSIVE)
        assert result.amount == expected

    def test_part_of_a_stub_is_measured_against_the_same_cycle(self) -> None:
        # Cancelled on Mar 20: Mar 20 – Mar 31 is 12 of the cycle's 31 days: 31.00 * 12/31 = 12.
        result = share("31.00", utc(2023, 3, 20), self.stub.end, self.stub, END_EXCLUSIVE)
        assert (result.numerator, result.denominator, result.amount) == (12, 31, 12)

    def test_an_empty_interval_of_a_stub_is_zero(self) -> None:
        result = share("31.00", utc(2023, 3, 20), utc(2023, 3, 20), self.stub, profile("lago"))
        assert (result.fraction, result.amount) == (0, 0)

    def test_the_bill_cycle_day_picks_the_cycle(self) -> None:
        # Jan 30 – Jan 31 2023 is 2 days. Billed from the 1st it is 2 of January's 31 days:
        # 31.00 * 2/31 = 2. On its own day, the 30th, the cycle is Jan 30 – Feb 28 (clamped): 29
        # days, 29.00 * 2/29 = 2.
        calendar = BillingPeriod(utc(2023, 1, 30), utc(2023, 2, 1), Cadence.MONTHLY, 1)
        result = share("31.00", calendar.start, calendar.end, calendar, END_EXCLUSIVE)
        assert (result.numerator, result.denominator, result.amount) == (2, 31, 2)
        own_day = BillingPeriod(utc(2023, 1, 30), utc(2023, 2, 1), Cadence.MONTHLY)
        result = share("29.00", own_day.start, own_day.end, own_day, END_EXCLUSIVE)
        assert (result.numerator, result.denominator, result.amount) == (2, 29, 2)

    def test_a_quarterly_trailing_stub_takes_its_quarter_from_its_start(self) -> None:
        # Quarters on Mar 15, Jun 15, ...: Mar 15 – Jun 15 2023 is 17 + 30 + 31 + 14 = 92 days;
        # a stub Mar 15 – Mar 31 is 17 of them: 92.00 * 17/92 = 17.
        stub = BillingPeriod(utc(2023, 3, 15), utc(2023, 4, 1), Cadence.QUARTERLY, 15)
        result = share("92.00", stub.start, stub.end, stub, END_EXCLUSIVE)
        assert (result.numerator, result.denominator, result.amount) == (17, 92, 17)

    def test_a_stub_ending_on_a_bill_cycle_date_is_a_leading_stub(self) -> None:
        # Quarters on the 31st (clamped): Jan 31 – Apr 30 2023 is 1 + 28 + 31 + 29 = 89 days.
        # Feb 28 is a (clamped) bill-cycle date too, but the stub Feb 28 – Apr 29 ends on one,
        # so it is the end of Jan 31 – Apr 30: 1 + 31 + 29 = 61 days, 89.00 * 61/89 = 61.
        stub = BillingPeriod(utc(2023, 2, 28), utc(2023, 4, 30), Cadence.QUARTERLY, 31)
        result = share("89.00", stub.start, stub.end, stub, END_EXCLUSIVE)
        assert (result.numerator, result.denominator, result.amount) == (61, 89, 61)

    def test_a_weekly_stub_is_its_days_of_the_week(self) -> None:
        # Weeks from Monday: Thursday Mar 14 – Sunday Mar 17 2024 is 4 of 7 days:
        # 70.00 * 4/7 = 40.
        stub = BillingPeriod(utc(2024, 3, 14), utc(2024, 3, 18), Cadence.WEEKLY, 1)
        for conventions in (END_EXCLUSIVE, profile("stripe")):
            assert share("70.00", stub.start, stub.end, stub, conventions).amount == 40

    def test_a_period_longer_than_its_cycle_is_refused(self) -> None:
        # Mar 10 – Apr 20 with bill-cycle day 15 runs across Mar 15: it is no part of one cycle.
        period = BillingPeriod(utc(2023, 3, 10), utc(2023, 4, 20), Cadence.MONTHLY, 15)
        with pytest.raises(PeriodError, match="split it at the bill-cycle day") as raised:
            share("31.00", period.start, period.end, period, END_EXCLUSIVE)
        assert raised.value.field == "period"


class TestBillCycleAligned:
    """Kill Bill: divide by the period aligned on the bill-cycle day that holds the interval."""

    aligned = rules(
        ProrationBasis.DAYS_END_EXCLUSIVE, denominator=ProrationDenominator.BILL_CYCLE_ALIGNED
    )
    calendar_march = MARCH_2023

    def test_killbills_example_mar_10_to_15_with_cycle_day_15_is_5_28(self) -> None:
        # Feb 15 – Mar 15, 2023 has 28 days; Mar 10 – Mar 14 is 5 of them: 28.00 * 5/28 = 5.
        result = share(
            "28.00",
            utc(2023, 3, 10),
            utc(2023, 3, 15),
            self.calendar_march,
            self.aligned,
            bill_cycle_day=15,
        )
        assert (result.numerator, result.denominator, result.amount) == (5, 28, 5)
        assert result.description == (
            "5/28 days: 2023-03-10 to 2023-03-15 (end excluded) "
            "of the bill-cycle-aligned period 2023-02-15 to 2023-03-15"
        )
        # Over the calendar month the same five days would be 5/31.
        actual = share(
            "28.00", utc(2023, 3, 10), utc(2023, 3, 15), self.calendar_march, END_EXCLUSIVE
        )
        assert actual.denominator == 31

    def test_killbill_profile_rounds_the_fraction_to_9_decimals_half_up(self) -> None:
        # 5/28 = 0.178571428|571... → 0.178571429; 28.00 * 0.178571429 = 5.000000012.
        result = share(
            "28.00",
            utc(2023, 3, 10),
            utc(2023, 3, 15),
            self.calendar_march,
            profile("killbill"),
            bill_cycle_day=15,
        )
        assert result.fraction == Decimal("0.178571429")
        assert result.amount == Decimal("5.000000012")
        assert round_decimal(result.amount, decimals=2, mode=RoundingMode.HALF_UP) == Decimal(
            "5.00"
        )

    def test_a_leading_stub_is_measured_against_the_longer_aligned_period(self) -> None:
        # Subscribed May 23 with cycle day 15: the stub May 23 – Jun 14 is 9 + 14 = 23 days of
        # May 15 – Jun 15 (31 days): 31.00 * 23/31 = 23.
        stub = BillingPeriod(utc(2023, 5, 23), utc(2023, 6, 15), Cadence.MONTHLY, bill_cycle_day=15)
        result = share("31.00", stub.start, stub.end, stub, self.aligned)
        assert (result.numerator, result.denominator, result.amount) == (23, 31, 23)
        # Under actual_period the stub is also 23 of the 31 days of the cycle holding it.
        assert share("31.00", stub.start, stub.end, stub, END_EXCLUSIVE).amount == 23

    def test_a_quarterly_leading_stub_takes_its_quarter_from_its_end(self) -> None:
        # Quarters on the 15th of Jan/Apr/Jul/Oct: a stub Mar 1 – Apr 14 is in Jan 15 – Apr 15
        # (17 + 28 + 31 + 14 = 90 days in 2023); the stub is 31 + 14 = 45 days: 1/2.
        stub = BillingPeriod(
            utc(2023, 3, 1), utc(2023, 4, 15), Cadence.QUARTERLY, bill_cycle_day=15
        )
        result = share("90.00", stub.start, stub.end, stub, self.aligned)
        assert (result.numerator, result.denominator, result.amount) == (45, 90, 45)

    def test_a_leap_february_makes_it_5_29(self) -> None:
        result = share(
            "29.00", utc(2024, 3, 10), utc(2024, 3, 15), MARCH_2024, self.aligned, bill_cycle_day=15
        )
        assert (result.numerator, result.denominator, result.amount) == (5, 29, 5)

    def test_by_default_the_periods_own_cycle_day_aligns_it(self) -> None:
        cycle = month_of(utc(2023, 3, 10), bill_cycle_day=15)
        result = share("28.00", utc(2023, 3, 10), utc(2023, 3, 15), cycle, self.aligned)
        assert (result.numerator, result.denominator) == (5, 28)

    def test_an_interval_across_the_bill_cycle_day_is_refused(self) -> None:
        with pytest.raises(
            PeriodError, match="bill-cycle-aligned period's end 2023-03-15"
        ) as raised:
            share(
                "28.00",
                utc(2023, 3, 10),
                utc(2023, 3, 20),
                self.calendar_march,
                self.aligned,
                bill_cycle_day=15,
            )
        assert raised.value.field == "interval_end"

    def test_rounded_fractions_round_half_up(self) -> None:
        # 20/30 = 0.666666666|67 → 0.666666667; 30.00 * 0.666666667 = 20.00000001.
        nine = rules(ProrationBasis.DAYS_END_EXCLUSIVE, fraction_decimals=9)
        result = share("30.00", utc(2024, 4, 11), utc(2024, 5, 1), APRIL_2024, nine)
        assert (result.fraction, result.amount) == (Decimal("0.666666667"), Decimal("20.00000001"))


class TestFixed30:
    fixed = rules(ProrationBasis.DAYS_END_EXCLUSIVE, denominator=ProrationDenominator.FIXED_30)

    def test_february_days_count_over_30(self) -> None:
        # Feb 1 – Feb 10: 10 days of a fixed 30: 30.00 * 1/3 = 10.
        result = share("30.00", utc(2024, 2, 1), utc(2024, 2, 11), FEBRUARY_2024, self.fixed)
        assert (result.numerator, result.denominator, result.amount) == (10, 30, 10)

    def test_a_whole_february_is_still_the_whole_price(self) -> None:
        result = share("30.00", utc(2023, 2, 1), utc(2023, 3, 1), FEBRUARY_2023, self.fixed)
        assert (result.fraction, result.amount) == (1, Decimal("30.00"))

    def test_a_stub_counts_its_days_over_30(self) -> None:
        # A stub May 23 – Jun 14 (cycle day 15): 9 + 14 = 23 days of a fixed 30.
        stub = BillingPeriod(utc(2023, 5, 23), utc(2023, 6, 15), Cadence.MONTHLY, bill_cycle_day=15)
        result = share("30.00", stub.start, stub.end, stub, self.fixed)
        assert (result.numerator, result.denominator, result.amount) == (23, 30, 23)

    def test_quarter_and_year_count_90_and_360(self) -> None:
        quarter = period_containing(utc(2024, 1, 1), cadence=Cadence.QUARTERLY, time_zone="UTC")
        # Jan 1 – Feb 14: 45 days of 90 = 1/2.
        assert share("90.00", utc(2024, 1, 1), utc(2024, 2, 15), quarter, self.fixed).amount == 45
        year = period_containing(utc(2024, 1, 1), cadence=Cadence.ANNUAL, time_zone="UTC")
        # Jan 1 – Jan 31: 31 days of 360.
        result = share("360.00", utc(2024, 1, 1), utc(2024, 2, 1), year, self.fixed)
        assert (result.denominator, result.amount) == (360, 31)


class TestThirty360:
    thirty = rules(ProrationBasis.THIRTY_360)

    def test_a_period_ending_on_february_28_counts_its_last_day_as_day_30(self) -> None:
        # Feb 15 – Feb 28, 2023: the last day is Feb 28, day 30: 30 - 15 + 1 = 16 of 30.
        result = share("30.00", utc(2023, 2, 15), utc(2023, 3, 1), FEBRUARY_2023, self.thirty)
        assert (result.numerator, result.denominator, result.unit) == (
            16,
            30,
            ProrationUnit.DAYS_30_360,
        )
        assert result.amount == 16
        assert "16/30 days (30/360)" in result.description

    def test_23_may_to_15_june_is_22_days(self) -> None:
        # May 23 – Jun 14: 30 + 14 - 23 + 1 = 22 of 30 (23 calendar days).
        cycle = month_of(utc(2023, 5, 20), bill_cycle_day=15)
        result = share("30.00", utc(2023, 5, 23), utc(2023, 6, 15), cycle, self.thirty)
        assert (result.numerator, result.amount) == (22, 22)

    def test_leap_february_29_is_day_30_too(self) -> None:
        result = share("30.00", utc(2024, 2, 15), utc(2024, 3, 1), FEBRUARY_2024, self.thirty)
        assert result.numerator == 16

    def test_a_period_ending_on_the_31st_counts_day_31_as_30(self) -> None:
        # Jan 11 – Jan 31: 30 - 11 + 1 = 20 of 30 (21 calendar days).
        result = share("30.00", utc(2024, 1, 11), utc(2024, 2, 1), JANUARY_2024, self.thirty)
        assert (result.numerator, result.amount) == (20, 20)

    def test_the_31st_alone_is_one_day_and_the_30th_and_31st_together_are_one_too(self) -> None:
        january = JANUARY_2024
        assert (
            share("30.00", utc(2024, 1, 31), utc(2024, 2, 1), january, self.thirty).numerator == 1
        )
        assert (
            share("30.00", utc(2024, 1, 30), utc(2024, 2, 1), january, self.thirty).numerator == 1
        )
        # And Jan 1 – Jan 30 already counts all 30 days: the 31st is free.
        assert share("30.00", utc(2024, 1, 1), utc(2024, 1, 31), january, self.thirty).fraction == 1

    def test_a_mid_month_cycle_and_a_quarter_across_the_year_end(self) -> None:
        # Bill-cycle day 15: Jan 25 – Feb 14 is 30 + 14 - 25 + 1 = 20 of 30 (21 calendar days).
        cycle = month_of(utc(2024, 1, 20), bill_cycle_day=15)
        assert (
            share("30.00", utc(2024, 1, 25), utc(2024, 2, 15), cycle, self.thirty).numerator == 20
        )
        # Q4 2023 from Nov 16: Nov 16 – Dec 31 is 30 + 30 - 16 + 1 = 45 of 90 = 1/2.
        quarter = period_containing(utc(2023, 11, 16), cadence=Cadence.QUARTERLY, time_zone="UTC")
        result = share("90.00", utc(2023, 11, 16), utc(2024, 1, 1), quarter, self.thirty)
        assert (result.numerator, result.denominator, result.amount) == (45, 90, 45)

    def test_partial_days_count_whole(self) -> None:
        result = share("30.00", utc(2024, 1, 11, 18), utc(2024, 2, 1), JANUARY_2024, self.thirty)
        assert result.numerator == 20

    def test_a_whole_period_clamped_to_february_28_is_the_whole_price(self) -> None:
        # Bill-cycle day 31: Jan 31 – Feb 27 counts 28 days in 30/360, but it is the whole period.
        cycle = month_of(utc(2023, 2, 10), bill_cycle_day=31)
        result = share("30.00", cycle.start, cycle.end, cycle, self.thirty)
        assert (result.fraction, result.amount) == (1, Decimal("30.00"))


class TestActual360:
    actual_360 = rules(ProrationBasis.ACTUAL_360)

    def test_actual_days_over_30(self) -> None:
        # Jan 11 – Jan 31: 21 actual days over 30 = 0.7.
        result = share("30.00", utc(2024, 1, 11), utc(2024, 2, 1), JANUARY_2024, self.actual_360)
        assert (result.numerator, result.denominator, result.fraction) == (21, 30, Decimal("0.7"))

    def test_1_to_16_february_is_15_days(self) -> None:
        result = share("30.00", utc(2023, 2, 1), utc(2023, 2, 16), FEBRUARY_2023, self.actual_360)
        assert (result.numerator, result.denominator, result.amount) == (15, 30, 15)

    def test_more_than_30_days_short_of_the_whole_month_is_capped_at_1(self) -> None:
        # Jan 1 – Jan 31 12:00: 30.5 days / 30 would be 1.0167: capped, never more than the month.
        result = share(
            "30.00", utc(2024, 1, 1), utc(2024, 1, 31, 12), JANUARY_2024, self.actual_360
        )
        assert result.numerator == Decimal("30.5")
        assert (result.fraction, result.amount) == (1, Decimal("30.00"))
        assert "capped at 1" in result.description

    def test_a_quarter_counts_90(self) -> None:
        quarter = period_containing(utc(2024, 7, 1), cadence=Cadence.QUARTERLY, time_zone="UTC")
        # Jul 1 – Aug 14: 45 actual days of 90 = 1/2.
        assert (
            share("90.00", utc(2024, 7, 1), utc(2024, 8, 15), quarter, self.actual_360).amount == 45
        )


class TestWeekly:
    week = period_containing(utc(2024, 3, 13), cadence=Cadence.WEEKLY, time_zone="UTC")

    @pytest.mark.parametrize(
        "conventions",
        [
            END_EXCLUSIVE,
            rules(ProrationBasis.DAYS_END_EXCLUSIVE, denominator=ProrationDenominator.FIXED_30),
            rules(ProrationBasis.THIRTY_360),
            rules(ProrationBasis.ACTUAL_360),
        ],
        ids=["actual", "fixed_30", "thirty_360", "actual_360"],
    )
    def test_a_week_is_7_days_under_every_day_basis(self, conventions: Conventions) -> None:
        # Thursday Mar 14 – Sunday Mar 17: 4 days of 7; 70.00 * 4/7 = 40.
        result = share("70.00", utc(2024, 3, 14), utc(2024, 3, 18), self.week, conventions)
        assert (result.numerator, result.denominator, result.unit) == (4, 7, ProrationUnit.DAYS)
        assert result.amount == 40


class TestProfilesOnOneChange:
    """One scenario under each profile: 30.00 a month, subscribed on Apr 11 at 18:00 UTC."""

    april = APRIL_2024

    def prorated(self, name: str) -> Proration:
        return share("30.00", utc(2024, 4, 11, 18), utc(2024, 5, 1), self.april, profile(name))

    def test_lago_counts_20_whole_days(self) -> None:
        assert self.prorated("lago").amount == 20  # Apr 11 – Apr 30 inclusive, of 30

    def test_killbill_counts_calendar_dates_at_9_decimals(self) -> None:
        # Apr 11 – Apr 30: 20/30 → 0.666666667 → 20.00000001
        assert self.prorated("killbill").amount == Decimal("20.00000001")

    def test_stripe_counts_seconds(self) -> None:
        # 19.25 days = 1,663,200 s of 2,592,000 s: 30.00 * 0.641666... = 19.25
        result = self.prorated("stripe")
        assert (result.numerator, result.amount) == (1_663_200, Decimal("19.25"))
        assert result.description == (
            "1663200/2592000 seconds: 2024-04-11 18:00:00 to 2024-05-01 (end excluded) "
            "of the period 2024-04-01 to 2024-05-01"
        )


class TestDescriptions:
    def test_an_inexact_day_count_is_shown_to_4_decimals(self) -> None:
        # 13:00 to midnight on Apr 30 is 11/24 = 0.4583 day.
        result = share("30.00", utc(2024, 4, 30, 13), utc(2024, 5, 1), APRIL_2024, END_EXCLUSIVE)
        assert result.description.startswith("~0.4583/30 days: 2024-04-30 13:00:00 to 2024-05-01")
        assert result.numerator == ratio(11, 24)

    def test_days_are_shown_in_the_periods_time_zone(self) -> None:
        march = month_of(datetime(2024, 3, 1, tzinfo=NEW_YORK))
        result = share("31.00", utc(2024, 3, 20, 4), march.end, march, END_EXCLUSIVE)
        # 04:00 UTC on Mar 20 is midnight in New York (EDT, UTC-4): Mar 20 – Mar 31 is 12 days.
        assert result.description.startswith("12/31 days: 2024-03-20 to 2024-04-01")


class TestRefusedIntervals:
    march = MARCH_2024

    def test_an_interval_starting_before_the_period(self) -> None:
        with pytest.raises(PeriodError, match="before the period start 2024-03-01") as raised:
            share("31.00", utc(2024, 2, 28), utc(2024, 3, 5), self.march, END_EXCLUSIVE)
        assert raised.value.field == "interval_start"

    def test_an_interval_ending_after_the_period(self) -> None:
        with pytest.raises(PeriodError, match="after the period end 2024-04-01") as raised:
            share("31.00", utc(2024, 3, 5), utc(2024, 4, 2), self.march, END_EXCLUSIVE)
        assert raised.value.field == "interval_end"

    def test_an_interval_ending_before_it_starts(self) -> None:
        with pytest.raises(PeriodError) as raised:
            share("31.00", utc(2024, 3, 5), utc(2024, 3, 4), self.march, END_EXCLUSIVE)
        assert raised.value.field == "interval_end"

    def test_a_naive_interval(self) -> None:
        with pytest.raises(PeriodError, match="no time zone"):
            share("31.00", datetime(2024, 3, 5), utc(2024, 3, 6), self.march, END_EXCLUSIVE)
