"""Telecom duration rating: connect fees, 60/60 · 30/6 · 1/1 increments, bands by zone and time.

Every expected amount is worked out by hand in the comment beside it.
"""

from datetime import UTC, date, datetime, time
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tollway.conventions import Conventions, profile
from tollway.money import DecimalLike, Money, RoundingMode, RoundingStage, currency
from tollway.pricing import PriceDefinitionError, PriceResult, UsageError, UsageEvent
from tollway.pricing._duration import DayType, DurationRating, RateBand
from tollway.pricing._rate_intervals import (
    RateInterval,
    billed_seconds_by_interval,
    pulse_intervals,
)
from tollway.pricing.schema._telecom import SPECS, DurationRatingSpec

USD = currency("USD")
TOLLWAY = profile()
CGRATES = profile("cgrates")
LONDON_NUMBER = "+442079460000"
UK_MOBILE = "+447700900123"
US_NUMBER = "+15555550123"
# Wednesday 5 June 2024, 10:00 UTC: a weekday, peak time.
WEDNESDAY_10AM = datetime(2024, 6, 5, 10, 0, tzinfo=UTC)
WEEKDAY = (DayType.WEEKDAY,)


def call(
    seconds: DecimalLike,
    *,
    to: str = LONDON_NUMBER,
    start: datetime | None = WEDNESDAY_10AM,
    origin: str | None = None,
    record_id: str = "call-1",
) -> UsageEvent:
    return UsageEvent.of(seconds, start=start, destination=to, origin=origin, record_id=record_id)


def uk_rating(pulse: str, rate: str, *, connect_fee: str = "0") -> DurationRating:
    return DurationRating(
        rates=(RateBand(intervals=pulse_intervals(pulse, rate=rate), zone="44", name="UK"),),
        connect_fee=Decimal(connect_fee),
    )


def rate(
    rating: DurationRating,
    *events: UsageEvent,
    conventions: Conventions = TOLLWAY,
    code: str = "USD",
) -> PriceResult:
    return rating.price(events, currency=currency(code), conventions=conventions)


def increment_quantities(result: PriceResult) -> list[Decimal]:
    return [line.quantity for line in result.lines if line.kind == "increment"]


class TestIncrementNotations:
    def test_sixty_sixty_bills_a_61_second_call_as_two_minutes(self) -> None:
        # 61 s on 60/60 → 2 × 60 s = 120 s at 0.10 per minute = 0.20
        result = rate(uk_rating("60/60", "0.10"), call(61))
        assert increment_quantities(result) == [Decimal(120)]
        assert result.lines[0].unit_price == Decimal("0.10")
        assert result.precise_amount == Decimal("0.20")
        assert result.amount == Money.of("0.20", "USD")

    def test_sixty_sixty_call_of_exactly_one_minute_bills_one_minute(self) -> None:
        # 60 s on 60/60 → 60 s = 0.10
        result = rate(uk_rating("60/60", "0.10"), call(60))
        assert increment_quantities(result) == [Decimal(60)]
        assert result.amount == Money.of("0.10", "USD")

    def test_thirty_six_bills_a_31_second_call_as_36_seconds(self) -> None:
        # 30 s first block = 0.10 × 30/60 = 0.05; 1 s more rounds up to one 6 s step = 0.01
        result = rate(uk_rating("30/6", "0.10"), call(31))
        assert increment_quantities(result) == [Decimal(30), Decimal(6)]
        assert result.precise_amount == Decimal("0.06")

    def test_thirty_six_short_call_pays_the_30_second_minimum(self) -> None:
        # 10 s on 30/6 → the first 30 s block = 0.10 × 30/60 = 0.05
        result = rate(uk_rating("30/6", "0.10"), call(10))
        assert increment_quantities(result) == [Decimal(30)]
        assert result.precise_amount == Decimal("0.05")

    def test_thirty_six_call_ending_on_a_step_bills_no_extra_step(self) -> None:
        # 42 s = 30 + 2 × 6 exactly → 42 s = 0.10 × 42/60 = 0.07
        result = rate(uk_rating("30/6", "0.10"), call(42))
        assert increment_quantities(result) == [Decimal(30), Decimal(12)]
        assert result.precise_amount == Decimal("0.07")

    def test_one_one_bills_every_second(self) -> None:
        # 61 s at 0.12 per minute = 61 × 0.002 = 0.122 → 0.12 half-up
        result = rate(uk_rating("1/1", "0.12"), call(61))
        assert increment_quantities(result) == [Decimal(61)]
        assert result.precise_amount == Decimal("0.122")
        assert result.amount == Money.of("0.12", "USD")

    def test_fractional_seconds_round_up_to_the_next_increment(self) -> None:
        # 60.2 s on 1/1 bills 61 s; 0.5 s on 60/60 bills a whole minute
        assert billed_seconds_by_interval(pulse_intervals("1/1", rate="1"), Decimal("60.2")) == (
            Decimal(61),
        )
        assert billed_seconds_by_interval(pulse_intervals("60/60", rate="1"), Decimal("0.5")) == (
            Decimal(60),
        )

    def test_pulse_notation_must_be_whole_seconds_over_whole_seconds(self) -> None:
        for pulse in ("60", "30/", "a/6", "30/6.5", "30/0", "0/6", "30/6/6"):
            with pytest.raises(PriceDefinitionError) as error:
                pulse_intervals(pulse, rate="0.10")
            assert error.value.field == "pulse"


class TestConnectFee:
    def test_connect_fee_is_charged_once_per_call(self) -> None:
        # two calls: 2 × (0.05 connect + 61 s on 60/60 = 0.20) = 0.50
        rating = uk_rating("60/60", "0.10", connect_fee="0.05")
        result = rate(rating, call(61, record_id="a"), call(61, record_id="b"))
        assert [line.kind for line in result.lines] == [
            "connect_fee",
            "increment",
            "connect_fee",
            "increment",
        ]
        assert result.lines[0].description == "a: connect fee (UK)"
        assert result.amount == Money.of("0.50", "USD")

    def test_zero_duration_call_costs_nothing_by_default(self) -> None:
        result = rate(uk_rating("60/60", "0.10", connect_fee="0.05"), call(0))
        assert result.lines == ()
        assert result.amount == Money.of("0", "USD")

    def test_zero_duration_call_pays_the_connect_fee_when_asked(self) -> None:
        # 0 s: no increments, connect fee 0.05 only
        rating = DurationRating(
            rates=(RateBand(intervals=pulse_intervals("60/60", rate="0.10"), zone="44"),),
            connect_fee=Decimal("0.05"),
            charge_connect_fee_on_zero=True,
        )
        result = rate(rating, call(0))
        assert [line.kind for line in result.lines] == ["connect_fee"]
        assert result.amount == Money.of("0.05", "USD")

    def test_a_band_with_its_own_connect_fee_overrides_the_definition(self) -> None:
        # 0.15 band fee (not 0.05) + 60 s at 0.10 = 0.25
        band = RateBand(
            intervals=pulse_intervals("60/60", rate="0.10"), zone="44", connect_fee=Decimal("0.15")
        )
        rating = DurationRating(rates=(band,), connect_fee=Decimal("0.05"))
        assert rate(rating, call(60)).amount == Money.of("0.25", "USD")


# CGRateS tutorial rate RT_10CNT: 0.20 connect fee, 0.10 per minute for the first 60 s in 60 s
# increments, then 0.05 per minute in 1 s increments.
TEN_CENT_INTERVALS = (
    RateInterval.of(rate="0.10", rate_unit_seconds=60, rate_increment_seconds=60),
    RateInterval.of(
        start_after_seconds=60, rate="0.05", rate_unit_seconds=60, rate_increment_seconds=1
    ),
)


def ten_cent_rating(*, rounding_decimals: int | None = None) -> DurationRating:
    band = RateBand(
        intervals=TEN_CENT_INTERVALS,
        rounding_decimals=rounding_decimals,
        rounding_mode=RoundingMode.UP,
    )
    return DurationRating(rates=(band,), connect_fee=Decimal("0.20"))


class TestIntervalsAndRounding:
    def test_second_interval_switches_rate_and_increment_after_60_seconds(self) -> None:
        # 85 s: 60 s at 0.10/min = 0.10; 25 s at 0.05/min = 25/1200 = 0.0208333…
        # total 0.20 + 0.10 + 0.0208333… = 0.3208333… → 0.32
        result = rate(ten_cent_rating(), call(85))
        assert increment_quantities(result) == [Decimal(60), Decimal(25)]
        assert [line.unit_price for line in result.lines[1:]] == [Decimal("0.10"), Decimal("0.05")]
        # Never rounded to cents here: the lines add up to the exact total kept to the 38
        # significant digits tollway computes with, 0.32083333333333333333333333333333333333,
        # so the 25 s line is that total less 0.20 and 0.10.
        assert result.lines[2].amount == Decimal("0.02083333333333333333333333333333333333")
        assert result.precise_amount == Decimal("0.32083333333333333333333333333333333333")
        assert result.amount == Money.of("0.32", "USD")

    def test_cgrates_rounds_each_increment_to_5_decimals(self) -> None:
        # A published CGRateS GetCost answer for this tariff and call (1m25s) lists 25 increments
        # of 0.00083: Cost 0.12075 + ConnectFee 0.2.
        # Each 1 s increment costs 0.05/60 = 0.000833… → 0.00083; 25 × 0.00083 = 0.02075
        result = rate(ten_cent_rating(), call(85), conventions=CGRATES)
        assert result.lines[2].amount == Decimal("0.02075")
        assert result.precise_amount == Decimal("0.32075")

    def test_per_increment_rounding_changes_the_amount_against_exact(self) -> None:
        # One hour on 1/1 at 0.05 per minute:
        #   exact: 3600 × 0.05/60 = 3.00
        #   5 decimals: 0.000833… → 0.00083 per second; 3600 × 0.00083 = 2.988 → 2.99
        rating = DurationRating(rates=(RateBand(intervals=pulse_intervals("1/1", rate="0.05")),))
        exact = rate(rating, call(3600))
        per_increment = rate(
            rating, call(3600), conventions=TOLLWAY.replace(increment_rounding_decimals=5)
        )
        assert exact.amount == Money.of("3.00", "USD")
        assert per_increment.precise_amount == Decimal("2.988")
        assert per_increment.amount == Money.of("2.99", "USD")

    def test_a_band_rounds_each_interval_up_to_its_own_decimals(self) -> None:
        # CGRateS RoundingMethod *up, RoundingDecimals 4 on the same 85 s call:
        # 0.10 stays 0.1000; 0.02075 rounds up to 0.0208; total 0.20 + 0.10 + 0.0208 = 0.3208
        result = rate(ten_cent_rating(rounding_decimals=4), call(85), conventions=CGRATES)
        assert result.lines[2].amount == Decimal("0.0208")
        assert result.precise_amount == Decimal("0.3208")

    def test_an_increment_that_reaches_past_the_next_interval_is_charged_whole(self) -> None:
        # First interval 60 s increments but only up to 30 s, then 1 s increments:
        # a 45 s call fills the first interval (30 s) and rounds up to one 60 s increment, which
        # covers the call: 60 s at 0.10/min = 0.10, nothing at the second rate.
        intervals = (
            RateInterval.of(rate="0.10", rate_increment_seconds=60),
            RateInterval.of(start_after_seconds=30, rate="0.50", rate_increment_seconds=1),
        )
        rating = DurationRating(rates=(RateBand(intervals=intervals),))
        assert billed_seconds_by_interval(intervals, Decimal(45)) == (Decimal(60), Decimal(0))
        # 75 s: 60 s in the first interval, then 15 s at 0.50/min = 0.125 → 0.10 + 0.125 = 0.225
        assert rate(rating, call(75)).precise_amount == Decimal("0.225")

    def test_yen_has_no_decimals(self) -> None:
        # 61 s on 60/60 at 10 JPY per minute = 20 JPY; on 1/1: 61 × 10/60 = 10.1666… → 10 JPY
        assert rate(uk_rating("60/60", "10"), call(61), code="JPY").amount == Money.of("20", "JPY")
        per_second = rate(uk_rating("1/1", "10"), call(61), code="JPY")
        assert per_second.amount == Money.of("10", "JPY")

    def test_bahraini_dinar_has_three_decimals(self) -> None:
        # 61 s on 1/1 at 0.125 BHD per minute: 61 × 0.125/60 = 0.1270833… → 0.127 BHD
        # CGRateS: 0.125/60 = 0.0020833… → 0.00208 per second; 61 × 0.00208 = 0.12688 → 0.127
        rating = uk_rating("1/1", "0.125")
        assert rate(rating, call(61), code="BHD").amount == Money.of("0.127", "BHD")
        cgrates = rate(rating, call(61), code="BHD", conventions=CGRATES)
        assert cgrates.precise_amount == Decimal("0.12688")
        assert cgrates.amount == Money.of("0.127", "BHD")


def peak_offpeak_rating() -> DurationRating:
    """UK calls: weekday peak 08–19 at 0.20/min, weekday off-peak 19–08 (wraps midnight) at
    0.05/min, weekends and holidays at 0.02/min; all 60/60. Christmas 2024 is a holiday."""
    return DurationRating(
        rates=(
            RateBand(
                intervals=pulse_intervals("60/60", rate="0.20"),
                zone="44",
                from_time=time(8),
                to_time=time(19),
                day_types=WEEKDAY,
                name="peak",
            ),
            RateBand(
                intervals=pulse_intervals("60/60", rate="0.05"),
                zone="44",
                from_time=time(19),
                to_time=time(8),
                day_types=WEEKDAY,
                name="off-peak",
            ),
            RateBand(
                intervals=pulse_intervals("60/60", rate="0.02"),
                zone="44",
                day_types=(DayType.SATURDAY, DayType.SUNDAY, DayType.HOLIDAY),
                name="weekend",
            ),
        ),
        holidays=(date(2024, 12, 25),),
    )


def two_minutes_at(start: datetime, *, conventions: Conventions = TOLLWAY) -> Money:
    return rate(peak_offpeak_rating(), call(120, start=start), conventions=conventions).amount


class TestTimeBands:
    def test_weekday_daytime_call_is_peak(self) -> None:
        # 120 s at 0.20/min = 0.40
        assert two_minutes_at(WEDNESDAY_10AM) == Money.of("0.40", "USD")

    def test_weekday_evening_call_is_off_peak(self) -> None:
        # 120 s at 0.05/min = 0.10
        assert two_minutes_at(datetime(2024, 6, 5, 22, 0, tzinfo=UTC)) == Money.of("0.10", "USD")

    def test_off_peak_wraps_past_midnight(self) -> None:
        # Thursday 03:00 is inside 19:00–08:00 → 0.10
        assert two_minutes_at(datetime(2024, 6, 6, 3, 0, tzinfo=UTC)) == Money.of("0.10", "USD")

    def test_band_start_is_inclusive_and_end_exclusive(self) -> None:
        # 08:00:00 is peak (0.40); 07:59:59 off-peak (0.10); 19:00:00 off-peak (0.10)
        assert two_minutes_at(datetime(2024, 6, 5, 8, 0, tzinfo=UTC)) == Money.of("0.40", "USD")
        assert two_minutes_at(datetime(2024, 6, 5, 7, 59, 59, tzinfo=UTC)) == Money.of(
            "0.10", "USD"
        )
        assert two_minutes_at(datetime(2024, 6, 5, 19, 0, tzinfo=UTC)) == Money.of("0.10", "USD")

    def test_weekend_call_uses_the_weekend_band(self) -> None:
        # Saturday 8 June 10:00 → 120 s at 0.02/min = 0.04
        assert two_minutes_at(datetime(2024, 6, 8, 10, 0, tzinfo=UTC)) == Money.of("0.04", "USD")

    def test_early_saturday_after_a_friday_evening_is_a_weekend_call(self) -> None:
        # The day type is the start date's: Saturday 02:00 is weekend (0.04), not off-peak
        assert two_minutes_at(datetime(2024, 6, 8, 2, 0, tzinfo=UTC)) == Money.of("0.04", "USD")

    def test_holiday_on_a_weekday_uses_the_holiday_band(self) -> None:
        # Wednesday 25 December 10:00 is a holiday → 0.04, not peak 0.40
        assert two_minutes_at(datetime(2024, 12, 25, 10, 0, tzinfo=UTC)) == Money.of("0.04", "USD")

    def test_the_local_clock_follows_the_conventions_time_zone(self) -> None:
        # 07:30 UTC on 5 June is 08:30 in London (BST): peak there (0.40), off-peak in UTC (0.10)
        start = datetime(2024, 6, 5, 7, 30, tzinfo=UTC)
        london = TOLLWAY.replace(time_zone="Europe/London")
        assert two_minutes_at(start, conventions=london) == Money.of("0.40", "USD")
        assert two_minutes_at(start) == Money.of("0.10", "USD")

    def test_unknown_time_zone_is_a_definition_error(self) -> None:
        with pytest.raises(PriceDefinitionError) as error:
            two_minutes_at(WEDNESDAY_10AM, conventions=TOLLWAY.replace(time_zone="Mars/Olympus"))
        assert error.value.field == "conventions.time_zone"

    def test_call_without_a_start_time_cannot_be_time_rated(self) -> None:
        with pytest.raises(UsageError, match=r"call-1: has no start time, but rates\[0\]"):
            rate(peak_offpeak_rating(), call(60, start=None))

    def test_call_outside_every_band_is_a_usage_error(self) -> None:
        # Peak only, and a call at 22:00: nothing covers it
        rating = DurationRating(rates=(peak_offpeak_rating().rates[0],))
        late = call(60, start=datetime(2024, 6, 5, 22, 0, tzinfo=UTC))
        with pytest.raises(UsageError, match="call-1: no rate band covers destination"):
            rate(rating, late)


def zone_rating() -> DurationRating:
    """60/60 everywhere: North America 0.01/min, UK 0.10/min, UK mobile 0.25/min, UK from the US
    0.30/min, and UK mobile at peak 0.40/min."""

    def band(per_minute: str, **selectors: Any) -> RateBand:
        return RateBand(intervals=pulse_intervals("60/60", rate=per_minute), **selectors)

    return DurationRating(
        rates=(
            band("0.01", zone="1"),
            band("0.10", zone="44"),
            band("0.25", zone="447"),
            band("0.30", zone="44", origin_zone="1"),
            band("0.40", zone="447", from_time=time(8), to_time=time(19)),
        )
    )


class TestZones:
    def test_longest_destination_prefix_wins(self) -> None:
        # 60 s each: North America 0.01; UK landline 0.10; UK mobile off-peak 0.25
        night = datetime(2024, 6, 5, 23, 0, tzinfo=UTC)
        assert rate(zone_rating(), call(60, to=US_NUMBER, start=night)).amount == Money.of(
            "0.01", "USD"
        )
        assert rate(zone_rating(), call(60, start=night)).amount == Money.of("0.10", "USD")
        assert rate(zone_rating(), call(60, to=UK_MOBILE, start=night)).amount == Money.of(
            "0.25", "USD"
        )

    def test_a_time_restricted_band_beats_an_open_one_with_the_same_prefix(self) -> None:
        # UK mobile at 10:00: the peak band (0.40) beats the all-day band (0.25)
        assert rate(zone_rating(), call(60, to=UK_MOBILE)).amount == Money.of("0.40", "USD")

    def test_origin_zone_narrows_a_band(self) -> None:
        # UK landline from the US: 0.30; from France: the plain UK band 0.10
        from_us = call(60, origin="15555550100")
        from_france = call(60, origin="33140000000")
        assert rate(zone_rating(), from_us).amount == Money.of("0.30", "USD")
        assert rate(zone_rating(), from_france).amount == Money.of("0.10", "USD")

    def test_a_destination_no_band_covers_is_a_usage_error(self) -> None:
        with pytest.raises(UsageError, match="call-1: no rate band covers destination '33"):
            rate(zone_rating(), call(60, to="33140000000"))

    def test_a_missing_destination_matches_only_bands_without_a_zone(self) -> None:
        with pytest.raises(UsageError, match="destination None"):
            rate(zone_rating(), UsageEvent.of("60"))
        open_band = DurationRating(rates=(RateBand(intervals=pulse_intervals("60/60", rate="1")),))
        assert rate(open_band, UsageEvent.of("60")).amount == Money.of("1.00", "USD")

    def test_negative_duration_is_a_usage_error(self) -> None:
        with pytest.raises(UsageError, match="call-1: duration -1 is negative"):
            rate(zone_rating(), call(-1))


class TestInvalidDefinitions:
    def test_interval_starts_must_increase(self) -> None:
        intervals = (
            RateInterval.of(rate="0.10", rate_increment_seconds=30),
            RateInterval.of(start_after_seconds=30, rate="0.10", rate_increment_seconds=6),
            RateInterval.of(start_after_seconds=30, rate="0.05", rate_increment_seconds=6),
        )
        with pytest.raises(PriceDefinitionError) as error:
            RateBand(intervals=intervals)
        assert error.value.field == "intervals[2].start_after_seconds"
        assert error.value.problem == "must be greater than the previous interval's start 30"

    def test_first_interval_must_start_at_zero(self) -> None:
        late = (RateInterval.of(start_after_seconds=10, rate="1", rate_increment_seconds=1),)
        with pytest.raises(PriceDefinitionError) as error:
            RateBand(intervals=late)
        assert error.value.field == "intervals[0].start_after_seconds"

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"rate_increment_seconds": 0}, "rate_increment_seconds"),
            ({"rate_unit_seconds": 0}, "rate_unit_seconds"),
            ({"rate": "-0.01"}, "rate"),
            ({"start_after_seconds": -1}, "start_after_seconds"),
        ],
    )
    def test_interval_numbers_are_checked(self, changes: dict[str, Any], field: str) -> None:
        values: dict[str, Any] = {"rate": "0.10", "rate_increment_seconds": 60, **changes}
        with pytest.raises(PriceDefinitionError) as error:
            RateInterval.of(**values)
        assert error.value.field == field

    @pytest.mark.parametrize(
        ("selectors", "field"),
        [
            ({"zone": ""}, "zone"),
            ({"origin_zone": " 1"}, "origin_zone"),
            ({"from_time": time(8)}, "to_time"),
            ({"to_time": time(8)}, "from_time"),
            ({"from_time": time(8), "to_time": time(8)}, "to_time"),
            ({"from_time": time(8, tzinfo=UTC), "to_time": time(9)}, "from_time"),
            ({"connect_fee": Decimal("-0.01")}, "connect_fee"),
            ({"rounding_decimals": 13}, "rounding_decimals"),
            ({"intervals": ()}, "intervals"),
        ],
    )
    def test_band_selectors_are_checked(self, selectors: dict[str, Any], field: str) -> None:
        values: dict[str, Any] = {"intervals": pulse_intervals("60/60", rate="1"), **selectors}
        with pytest.raises(PriceDefinitionError) as error:
            RateBand(**values)
        assert error.value.field == field

    def test_definition_needs_a_band_and_a_non_negative_connect_fee(self) -> None:
        with pytest.raises(PriceDefinitionError) as error:
            DurationRating(rates=())
        assert error.value.field == "rates"
        band = RateBand(intervals=pulse_intervals("60/60", rate="1"))
        with pytest.raises(PriceDefinitionError) as error:
            DurationRating(rates=(band,), connect_fee=Decimal("-1"))
        assert error.value.field == "connect_fee"

    def test_two_bands_selecting_the_same_calls_are_refused(self) -> None:
        first = RateBand(intervals=pulse_intervals("60/60", rate="1"), zone="44")
        second = RateBand(intervals=pulse_intervals("1/1", rate="2"), zone="44")
        with pytest.raises(PriceDefinitionError) as error:
            DurationRating(rates=(first, second))
        assert error.value.field == "rates[1]"
        assert "rates[0]" in error.value.problem

    def test_a_holiday_band_needs_holidays(self) -> None:
        band = RateBand(intervals=pulse_intervals("60/60", rate="1"), day_types=(DayType.HOLIDAY,))
        with pytest.raises(PriceDefinitionError) as error:
            DurationRating(rates=(band,))
        assert error.value.field == "rates[0].day_types"

    def test_splitting_at_band_boundaries_is_refused_until_supported(self) -> None:
        band = RateBand(intervals=pulse_intervals("60/60", rate="1"))
        with pytest.raises(PriceDefinitionError) as error:
            DurationRating(rates=(band,), split_at_band_boundary=True)
        assert error.value.field == "split_at_band_boundary"


class TestSchema:
    def test_schema_builds_the_peak_off_peak_tariff(self) -> None:
        spec = DurationRatingSpec.model_validate(
            {
                "model": "duration",
                "holidays": ["2024-12-25"],
                "rates": [
                    {
                        "name": "peak",
                        "zone": "44",
                        "from_time": "08:00",
                        "to_time": "19:00",
                        "day_types": ["weekday"],
                        "pulse": "60/60",
                        "rate": "0.20",
                    },
                    {
                        "name": "off-peak",
                        "zone": "44",
                        "from_time": "19:00",
                        "to_time": "08:00",
                        "day_types": ["weekday"],
                        "intervals": [
                            {"rate": "0.05", "rate_unit_seconds": 60, "rate_increment_seconds": 60}
                        ],
                    },
                    {
                        "name": "weekend",
                        "zone": "44",
                        "day_types": ["saturday", "sunday", "holiday"],
                        "pulse": "60/60",
                        "rate": "0.02",
                    },
                ],
            }
        )
        assert spec.build() == peak_offpeak_rating()
        assert DurationRatingSpec in SPECS

    def test_schema_names_the_full_path_of_a_bad_interval(self) -> None:
        spec = DurationRatingSpec.model_validate(
            {
                "model": "duration",
                "rates": [
                    {
                        "intervals": [
                            {"rate": "0.10", "rate_increment_seconds": 30},
                            {
                                "start_after_seconds": 30,
                                "rate": "0.10",
                                "rate_increment_seconds": 0,
                            },
                        ]
                    }
                ],
            }
        )
        with pytest.raises(PriceDefinitionError) as error:
            spec.build()
        assert error.value.field == "rates[0].intervals[1].rate_increment_seconds"

    def test_schema_names_the_band_of_a_bad_selector(self) -> None:
        spec = DurationRatingSpec.model_validate(
            {"model": "duration", "rates": [{"pulse": "30/6", "rate": "1", "from_time": "08:00"}]}
        )
        with pytest.raises(PriceDefinitionError) as error:
            spec.build()
        assert error.value.field == "rates[0].to_time"

    def test_schema_refuses_float_rates_and_half_given_shorthands(self) -> None:
        with pytest.raises(ValidationError, match="binary float"):
            DurationRatingSpec.model_validate(
                {"model": "duration", "rates": [{"pulse": "60/60", "rate": 0.1}]}
            )
        with pytest.raises(ValidationError, match="give either intervals"):
            DurationRatingSpec.model_validate({"model": "duration", "rates": [{"pulse": "60/60"}]})


durations = st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False)
whole_seconds = st.integers(min_value=1, max_value=120).map(Decimal)


@st.composite
def interval_lists(draw: st.DrawFn) -> tuple[RateInterval, ...]:
    gaps = draw(st.lists(st.integers(min_value=1, max_value=300), min_size=0, max_size=3))
    starts = [0]
    for gap in gaps:
        starts.append(starts[-1] + gap)
    return tuple(
        RateInterval(
            start_after_seconds=Decimal(start),
            rate=draw(st.decimals(min_value=0, max_value=10, places=4)),
            rate_unit_seconds=draw(whole_seconds),
            rate_increment_seconds=draw(whole_seconds),
        )
        for start in starts
    )


class TestProperties:
    @given(intervals=interval_lists(), duration=durations)
    def test_billed_seconds_cover_the_call_by_less_than_one_increment(
        self, intervals: tuple[RateInterval, ...], duration: Decimal
    ) -> None:
        billed = sum(billed_seconds_by_interval(intervals, duration), Decimal(0))
        largest_increment = max(interval.rate_increment_seconds for interval in intervals)
        assert duration <= billed < duration + largest_increment

    @given(
        intervals=interval_lists(),
        shorter=durations,
        extra=durations,
        rounding_decimals=st.none() | st.integers(min_value=0, max_value=6),
        conventions=st.sampled_from([TOLLWAY, CGRATES]),
    )
    def test_cost_never_decreases_with_duration(
        self,
        intervals: tuple[RateInterval, ...],
        shorter: Decimal,
        extra: Decimal,
        rounding_decimals: int | None,
        conventions: Conventions,
    ) -> None:
        band = RateBand(intervals=intervals, rounding_decimals=rounding_decimals)
        rating = DurationRating(rates=(band,), connect_fee=Decimal("0.05"))
        short = rate(rating, call(shorter), conventions=conventions)
        long = rate(rating, call(shorter + extra), conventions=conventions)
        assert short.precise_amount <= long.precise_amount
        assert short.amount <= long.amount


class TestExactTotalsAcrossCalls:
    """Per-call costs that no decimal holds (1 s at 0.10 per 60 s) add up to their exact total."""

    HALF_EVEN = TOLLWAY.replace(rounding_mode=RoundingMode.HALF_EVEN)

    def one_second_calls(self, count: int) -> list[UsageEvent]:
        return [call(1, record_id=f"call-{number}") for number in range(1, count + 1)]

    def test_three_one_second_calls_tie_exactly_and_round_half_even_down(self) -> None:
        # 1/1 at 0.10 per minute: each 1 s call costs 0.10 / 60 = 0.001666..., three cost
        # 3 × 0.10 / 60 = 0.005 exactly, a tie that half-even rounds to 0.00 USD.
        result = rate(
            uk_rating("1/1", "0.10"), *self.one_second_calls(3), conventions=self.HALF_EVEN
        )
        assert result.precise_amount == Decimal("0.005")
        assert result.amount == Money.of("0.00", "USD")
        # Half-up rounds the same tie up.
        half_up = rate(uk_rating("1/1", "0.10"), *self.one_second_calls(3))
        assert half_up.amount == Money.of("0.01", "USD")

    def test_each_call_keeps_its_own_line(self) -> None:
        # Three lines of 1 s; their amounts add up to 0.005 exactly.
        result = rate(uk_rating("1/1", "0.10"), *self.one_second_calls(3))
        lines = [line for line in result.lines if line.kind == "increment"]
        assert [line.quantity for line in lines] == [Decimal(1)] * 3
        assert [line.description.split(":")[0] for line in lines] == ["call-1", "call-2", "call-3"]
        with localcontext() as wide:
            wide.prec = 60
            assert sum((line.amount for line in lines), Decimal(0)) == Decimal("0.005")

    def test_ties_summed_over_several_bands(self) -> None:
        # One 1 s call to each of three zones, each band 0.10 per minute on 1/1:
        # 3 × 0.10 / 60 = 0.005 → half-even 0.00
        bands = tuple(
            RateBand(intervals=pulse_intervals("1/1", rate="0.10"), zone=zone)
            for zone in ("44", "33", "49")
        )
        calls = [
            call(1, to=number, record_id=f"call-{index}")
            for index, number in enumerate(("+442079460000", "+33140000000", "+4930000000"))
        ]
        result = rate(DurationRating(rates=bands), *calls, conventions=self.HALF_EVEN)
        assert result.precise_amount == Decimal("0.005")
        assert result.amount == Money.of("0.00", "USD")

    def test_per_increment_rounds_each_call_on_its_own(self) -> None:
        # Per increment, each call's 0.001666... rounds to 0.00: three calls bill 0.00, even
        # half-up.
        per_increment = TOLLWAY.replace(rounding_stage=RoundingStage.PER_INCREMENT)
        result = rate(
            uk_rating("1/1", "0.10"), *self.one_second_calls(3), conventions=per_increment
        )
        assert result.amount == Money.of("0.00", "USD")

    def test_yen_tie_over_ten_calls(self) -> None:
        # 3 JPY per minute on 1/1: 10 calls of 1 s = 10 × 3 / 60 = 0.5 JPY → half-even 0 JPY
        calls = self.one_second_calls(10)
        result = rate(uk_rating("1/1", "3"), *calls, conventions=self.HALF_EVEN, code="JPY")
        assert result.precise_amount == Decimal("0.5")
        assert result.amount == Money.of("0", "JPY")

    def test_bahraini_dinar_tie_over_thirty_calls(self) -> None:
        # 0.001 BHD per minute on 1/1: 30 calls of 1 s = 30 × 0.001 / 60 = 0.0005 → half-even 0.000
        calls = self.one_second_calls(30)
        result = rate(uk_rating("1/1", "0.001"), *calls, conventions=self.HALF_EVEN, code="BHD")
        assert result.precise_amount == Decimal("0.0005")
        assert result.amount == Money.of("0.000", "BHD")

    def test_band_rounding_applies_to_the_exact_cost(self) -> None:
        # 1 s at 0.25 per 60 s = 0.0041666...; the band rounds it to 3 decimals half-up: 0.004
        band = RateBand(
            intervals=pulse_intervals("1/1", rate="0.25"), rounding_decimals=3, name="UK"
        )
        result = rate(DurationRating(rates=(band,)), call(1))
        assert result.precise_amount == Decimal("0.004")

    @given(
        seconds=st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=12),
        rate_per_minute=st.decimals(min_value=0, max_value=5, places=3),
    )
    def test_splitting_seconds_over_calls_does_not_change_the_price(
        self, seconds: list[int], rate_per_minute: Decimal
    ) -> None:
        # On 1/1 every whole second is billed once: n calls cost what one call of their summed
        # seconds costs, to the last digit.
        rating = uk_rating("1/1", str(rate_per_minute))
        calls = [call(value, record_id=f"call-{index}") for index, value in enumerate(seconds)]
        split = rate(rating, *calls, conventions=self.HALF_EVEN)
        whole = rate(rating, call(sum(seconds)), conventions=self.HALF_EVEN)
        assert split.precise_amount == whole.precise_amount
        assert split.amount == whole.amount


def test_billed_seconds_of_a_very_long_call_are_exact() -> None:
    # 10^36 + 0.5 s on 1/1 bills 10^36 + 1 s: counted by integer division, not a rounded quotient
    duration = Decimal("1000000000000000000000000000000000000.5")
    assert billed_seconds_by_interval(pulse_intervals("1/1", rate="1"), duration) == (
        Decimal("1000000000000000000000000000000000001"),
    )


def test_billed_seconds_beyond_38_digits_are_a_usage_error() -> None:
    # 10^37 s in 0.3 s steps: 33333333333333333333333333333333333334 steps bill
    # 10000000000000000000000000000000000000.2 s, 39 digits: refused, where rounding the quotient
    # to 38 digits used to bill one step too few.
    steps = (RateInterval.of(rate="1", rate_increment_seconds="0.3"),)
    with pytest.raises(UsageError, match="38 significant digits"):
        billed_seconds_by_interval(steps, Decimal(10**37))
