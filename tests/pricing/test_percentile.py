"""95th-percentile burstable bandwidth: drop the top 5 % of 5-minute samples, bill the highest left.

Every expected amount is worked out by hand in the comment beside it.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tollway.conventions import profile
from tollway.money import DecimalLike, Money, currency
from tollway.pricing import PriceDefinitionError, PriceResult, UsageError, UsageEvent
from tollway.pricing._percentile import Percentile95, discarded_sample_count
from tollway.pricing.schema._telecom import SPECS, Percentile95Spec

TOLLWAY = profile()
JUNE_FIRST = datetime(2024, 6, 1, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)
SAMPLES_IN_30_DAYS = 30 * 24 * 12  # 8640 five-minute samples

# A 100 Mbps commitment for 1500.00 a month, burst at 2.50 per Mbps.
CIRCUIT = Percentile95(
    committed_rate_mbps=Decimal(100),
    committed_price=Decimal("1500.00"),
    burst_price_per_mbps=Decimal("2.50"),
)


def samples(*mbps: DecimalLike) -> list[UsageEvent]:
    """One sample every five minutes from 1 June 2024 00:00 UTC, in the order given."""
    return [
        UsageEvent.of(rate, start=JUNE_FIRST + index * FIVE_MINUTES, record_id=f"s{index}")
        for index, rate in enumerate(mbps)
    ]


def bill(
    events: list[UsageEvent], *, model: Percentile95 = CIRCUIT, code: str = "USD"
) -> PriceResult:
    return model.price(events, currency=currency(code), conventions=TOLLWAY)


def kinds(result: PriceResult) -> list[str]:
    return [line.kind for line in result.lines]


class TestDiscardedShare:
    def test_top_five_percent_of_100_samples_is_five(self) -> None:
        assert discarded_sample_count(100, Decimal(95)) == 5

    def test_top_five_percent_of_a_30_day_month_is_432_samples(self) -> None:
        # 8640 × 0.05 = 432 samples = 36 hours
        assert discarded_sample_count(SAMPLES_IN_30_DAYS, Decimal(95)) == 432

    def test_the_count_rounds_down(self) -> None:
        # 19 × 0.05 = 0.95 → 0 discarded; 20 × 0.05 = 1; 39 × 0.05 = 1.95 → 1
        assert discarded_sample_count(19, Decimal(95)) == 0
        assert discarded_sample_count(20, Decimal(95)) == 1
        assert discarded_sample_count(39, Decimal(95)) == 1

    def test_other_percentiles(self) -> None:
        # 100 × 10 % = 10; 1000 × 0.5 % = 5; at the 100th percentile nothing is discarded
        assert discarded_sample_count(100, Decimal(90)) == 10
        assert discarded_sample_count(1000, Decimal("99.5")) == 5
        assert discarded_sample_count(100, Decimal(100)) == 0


class TestHundredSamples:
    def test_five_highest_are_dropped_and_the_95th_is_billed(self) -> None:
        # Samples 1..100 Mbps: 96..100 dropped, 95 Mbps billed against a 50 Mbps commitment:
        # 500.00 + (95 − 50) × 12 = 500.00 + 540 = 1040.00
        model = Percentile95(
            committed_rate_mbps=Decimal(50),
            committed_price=Decimal("500.00"),
            burst_price_per_mbps=Decimal(12),
        )
        result = bill(samples(*range(1, 101)), model=model)
        assert kinds(result) == ["percentile_sample", "committed", "burst"]
        sample_line, committed_line, burst_line = result.lines
        assert sample_line.quantity == Decimal(95)
        assert sample_line.amount == Decimal(0)
        assert "95th percentile of 100 samples (5 highest discarded): 95 Mbps" in (
            sample_line.description
        )
        assert "2024-06-01T07:50:00+00:00" in sample_line.description  # the 95th sample, s94
        assert committed_line.amount == Decimal("500.00")
        assert (burst_line.quantity, burst_line.unit_price) == (Decimal(45), Decimal(12))
        assert burst_line.amount == Decimal(540)
        assert result.quantity == Decimal(95)
        assert result.amount == Money.of("1040.00", "USD")

    def test_sample_order_does_not_matter(self) -> None:
        # The same 100 samples, highest first: still 95 Mbps billed → 1500.00 (below 100)
        result = bill(samples(*range(100, 0, -1)))
        assert result.lines[0].quantity == Decimal(95)
        assert result.amount == Money.of("1500.00", "USD")

    def test_below_the_commitment_bills_the_commitment_only(self) -> None:
        # 95 Mbps billed < 100 committed: 1500.00, no burst line
        result = bill(samples(*range(1, 101)))
        assert kinds(result) == ["percentile_sample", "committed"]
        assert result.amount == Money.of("1500.00", "USD")

    def test_exactly_at_the_commitment_has_no_burst(self) -> None:
        # 100 samples of 100 Mbps: billed 100 = committed → 1500.00
        result = bill(samples(*[100] * 100))
        assert kinds(result) == ["percentile_sample", "committed"]
        assert result.amount == Money.of("1500.00", "USD")

    def test_fractional_megabits_above_the_commitment(self) -> None:
        # 95 samples of 100.4 and 5 spikes of 900: billed 100.4 → 1500.00 + 0.4 × 2.50 = 1501.00
        result = bill(samples(*["100.4"] * 95, *[900] * 5))
        assert result.lines[-1].quantity == Decimal("0.4")
        assert result.amount == Money.of("1501.00", "USD")


class TestThirtyDayMonth:
    def test_432_spikes_are_all_discarded(self) -> None:
        # 8208 samples at 80 Mbps, 432 spikes at 500: all spikes dropped, 80 Mbps billed,
        # below the 100 commitment → 1500.00
        result = bill(samples(*[80] * 8208, *[500] * 432))
        assert result.lines[0].quantity == Decimal(80)
        assert "432 highest discarded" in result.lines[0].description
        assert result.amount == Money.of("1500.00", "USD")

    def test_one_spike_more_than_36_hours_is_billed(self) -> None:
        # 8207 samples at 80 Mbps, 433 spikes at 500: one spike survives, 500 Mbps billed:
        # 1500.00 + (500 − 100) × 2.50 = 1500.00 + 1000.00 = 2500.00
        result = bill(samples(*[80] * 8207, *[500] * 433))
        assert result.lines[0].quantity == Decimal(500)
        assert result.lines[-1].amount == Decimal("1000.00")
        assert result.amount == Money.of("2500.00", "USD")


class TestEdges:
    def test_no_samples_bills_the_commitment_only(self) -> None:
        result = bill([])
        assert kinds(result) == ["percentile_sample", "committed"]
        assert result.lines[0].quantity == Decimal(0)
        assert "no samples" in result.lines[0].description
        assert result.amount == Money.of("1500.00", "USD")

    def test_a_single_sample_is_billed_as_it_is(self) -> None:
        # 1 × 0.05 = 0.05 → nothing discarded: 120 Mbps → 1500.00 + 20 × 2.50 = 1550.00
        assert bill(samples(120)).amount == Money.of("1550.00", "USD")

    def test_the_percentile_is_a_parameter(self) -> None:
        # 90th percentile of 1..100: 10 dropped, 90 billed → 500 + (90 − 50) × 12 = 980.00
        model = Percentile95(
            committed_rate_mbps=Decimal(50),
            committed_price=Decimal(500),
            burst_price_per_mbps=Decimal(12),
            percentile=Decimal(90),
        )
        assert bill(samples(*range(1, 101)), model=model).amount == Money.of("980.00", "USD")

    def test_yen(self) -> None:
        # 150000 JPY committed for 10 Mbps; billed 10.5 → 0.5 × 1201 = 600.5 → 601 JPY (half-up)
        model = Percentile95(
            committed_rate_mbps=Decimal(10),
            committed_price=Decimal(150000),
            burst_price_per_mbps=Decimal(1201),
        )
        result = bill(samples("10.5"), model=model, code="JPY")
        assert result.precise_amount == Decimal("150600.5")
        assert result.amount == Money.of("150601", "JPY")

    def test_bahraini_dinar(self) -> None:
        # 10.000 BHD committed for 10 Mbps; billed 13.5 → 3.5 × 0.375 = 1.3125 → 11.3125
        # → 11.313 BHD (half-up to 3 decimals)
        model = Percentile95(
            committed_rate_mbps=Decimal(10),
            committed_price=Decimal("10.000"),
            burst_price_per_mbps=Decimal("0.375"),
        )
        result = bill(samples("13.5"), model=model, code="BHD")
        assert result.precise_amount == Decimal("11.3125")
        assert result.amount == Money.of("11.313", "BHD")

    def test_a_negative_sample_is_a_usage_error(self) -> None:
        with pytest.raises(UsageError, match="s1: sample of -1 Mbps is negative"):
            bill(samples(5, -1))


class TestInvalidDefinitions:
    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"committed_rate_mbps": Decimal(-1)}, "committed_rate_mbps"),
            ({"committed_price": Decimal("-0.01")}, "committed_price"),
            ({"burst_price_per_mbps": Decimal(-1)}, "burst_price_per_mbps"),
            ({"percentile": Decimal(0)}, "percentile"),
            ({"percentile": Decimal(101)}, "percentile"),
        ],
    )
    def test_numbers_are_checked(self, changes: dict[str, Any], field: str) -> None:
        values: dict[str, Any] = {
            "committed_rate_mbps": Decimal(100),
            "committed_price": Decimal(1500),
            "burst_price_per_mbps": Decimal("2.50"),
            **changes,
        }
        with pytest.raises(PriceDefinitionError) as error:
            Percentile95(**values)
        assert error.value.field == field


class TestSchema:
    def test_schema_builds_the_model(self) -> None:
        spec = Percentile95Spec.model_validate(
            {
                "model": "percentile_95",
                "committed_rate_mbps": 100,
                "committed_price": "1500.00",
                "burst_price_per_mbps": "2.50",
            }
        )
        assert spec.build() == CIRCUIT
        assert Percentile95Spec in SPECS

    def test_schema_refuses_floats_and_passes_domain_errors_on(self) -> None:
        with pytest.raises(ValidationError, match="binary float"):
            Percentile95Spec.model_validate(
                {
                    "model": "percentile_95",
                    "committed_rate_mbps": 100,
                    "committed_price": 1500.5,
                    "burst_price_per_mbps": "2.50",
                }
            )
        spec = Percentile95Spec.model_validate(
            {
                "model": "percentile_95",
                "committed_rate_mbps": 100,
                "committed_price": "1500",
                "burst_price_per_mbps": "2.50",
                "percentile": "0",
            }
        )
        with pytest.raises(PriceDefinitionError) as error:
            spec.build()
        assert error.value.field == "percentile"


sample_lists = st.lists(
    st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False), max_size=400
)


class TestProperties:
    @given(rates=sample_lists, percentile=st.sampled_from(["90", "95", "99", "100"]))
    def test_the_billed_sample_ranks_where_the_percentile_says(
        self, rates: list[Decimal], percentile: str
    ) -> None:
        model = Percentile95(
            committed_rate_mbps=Decimal(0),
            committed_price=Decimal(0),
            burst_price_per_mbps=Decimal(1),
            percentile=Decimal(percentile),
        )
        billed = bill(samples(*rates), model=model).lines[0].quantity
        discarded = discarded_sample_count(len(rates), Decimal(percentile))
        if rates:
            assert billed in rates
            assert sum(1 for rate in rates if rate > billed) <= discarded
            assert sum(1 for rate in rates if rate >= billed) >= discarded + 1
        else:
            assert billed == 0

    @given(rates=sample_lists, data=st.data())
    def test_order_does_not_change_the_bill_and_the_commitment_is_a_floor(
        self, rates: list[Decimal], data: st.DataObject
    ) -> None:
        shuffled = data.draw(st.permutations(rates))
        result = bill(samples(*rates))
        assert bill(samples(*shuffled)).amount == result.amount
        assert result.precise_amount >= CIRCUIT.committed_price
