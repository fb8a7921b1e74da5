"""The edges of pricing: how large and how fine a number may be, and what `price()` accepts.

Limits: every number of a price definition is at most 10^24 in absolute value with at most 12
decimals (it fits DuckDB's DECIMAL(38, 12)); every usage quantity and transaction amount at most
10^24 with at most 9 decimals (DECIMAL(38, 9), as the usage store keeps it), a record's unit price
at most 10^24 with 12 decimals; every amount priced at most 10^24. Beyond them: a typed error that
names the field or the record, never a crash.
"""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollway.conventions import profile
from tollway.money import FloatNotAllowedError, InvalidAmountError, Money, TollwayError, currency
from tollway.pricing import (
    BlockTier,
    BlockTiers,
    DurationRating,
    Dynamic,
    Graduated,
    GraduatedPercentage,
    Package,
    Percentage,
    PercentageTier,
    Percentile95,
    PerUnit,
    PriceDefinition,
    PriceDefinitionError,
    PricingModel,
    RateBand,
    SpendCommitment,
    Stairstep,
    Step,
    Tier,
    UsageError,
    UsageEvent,
    Volume,
    price,
    pulse_intervals,
)
from tollway.pricing.schema import parse_price_definition

USD = currency("USD")
TEN_TO_THE_24 = "1000000000000000000000000"


def definition(pricing: dict[str, Any], *, currency_code: str = "USD") -> PriceDefinition:
    return parse_price_definition({"id": "p", "currency": currency_code, "pricing": pricing})


def one_per_unit() -> PriceDefinition:
    return PriceDefinition(id="p", currency=USD, pricing=PerUnit.of("1"))


# --- the price document -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pricing", "field"),
    [
        ({"model": "per_unit", "unit_price": "1e40"}, "pricing.unit_price"),
        (
            {"model": "package", "package_size": "1", "package_price": "1e39"},
            "pricing.package_price",
        ),
        (
            {
                "model": "graduated",
                "tiers": [{"up_to": "1e30", "unit_price": "1"}, {"up_to": None, "unit_price": "1"}],
            },
            "pricing.tiers[0].up_to",
        ),
        ({"model": "flat", "amount": "-1e25"}, "pricing.amount"),
        (
            {
                "model": "spend_commitment",
                "minimum_amount": "1e25",
                "inner": {"model": "per_unit", "unit_price": "1"},
            },
            "pricing.minimum_amount",
        ),
        (
            {"model": "duration", "rates": [{"pulse": "60/60", "rate": "1e26"}]},
            "pricing.rates[0].rate",
        ),
    ],
)
def test_numbers_beyond_10_to_the_24_are_refused_by_field(
    pricing: dict[str, Any], field: str
) -> None:
    with pytest.raises(PriceDefinitionError) as raised:
        definition(pricing)
    assert raised.value.field == field
    assert "at most 10^24" in raised.value.problem


@pytest.mark.parametrize(
    ("pricing", "field"),
    [
        ({"model": "percentage", "rate": "1", "free_transactions": 10**25}, "pricing.free_transactions"),
        (
            {"model": "block_tiers", "tiers": [
                {"block_size": "1", "max_blocks": 10**25, "block_price": "1"},
                {"block_size": "1", "max_blocks": None, "block_price": "1"}]},
            "pricing.tiers[0].max_blocks",
        ),
    ],
)  # fmt: skip
def test_counts_beyond_10_to_the_24_are_refused_by_field(
    pricing: dict[str, Any], field: str
) -> None:
    with pytest.raises(PriceDefinitionError) as raised:
        definition(pricing)
    assert raised.value.field == field
    assert "at most 10^24" in raised.value.problem


def test_prices_with_more_than_12_decimals_are_refused() -> None:
    # 0.0000000000001 has 13 decimals
    with pytest.raises(PriceDefinitionError) as raised:
        definition({"model": "per_unit", "unit_price": "0.0000000000001"})
    assert raised.value.field == "pricing.unit_price"
    assert "at most 12 decimals" in raised.value.problem


def test_numbers_exactly_at_the_limits_are_accepted() -> None:
    # 10^24 per unit × 1 unit = 10^24 USD; 12 decimals per unit × 10^12 units = 1.00 USD
    huge = definition({"model": "per_unit", "unit_price": TEN_TO_THE_24})
    assert price(huge, "1").amount == Money.of(TEN_TO_THE_24, "USD")
    fine = definition({"model": "per_unit", "unit_price": "0.000000000001"})
    assert price(fine, "1000000000000").amount == Money.of("1.00", "USD")


def test_trailing_zeros_do_not_count_as_decimals() -> None:
    # 0.10000000000000000 is 0.1: one decimal
    tiny = definition({"model": "per_unit", "unit_price": "0.10000000000000000"})
    assert price(tiny, "3").amount == Money.of("0.30", "USD")


# --- usage handed to price() ---------------------------------------------------------------------


def test_a_huge_quantity_is_a_usage_error_naming_the_quantity() -> None:
    with pytest.raises(UsageError, match=r"quantity 1E\+37 .*at most 10\^24"):
        price(one_per_unit(), "1e37")


def test_a_huge_record_is_a_usage_error_naming_the_record() -> None:
    events = [UsageEvent.of("1", record_id="ok"), UsageEvent.of("1e25", record_id="r-huge")]
    with pytest.raises(UsageError, match="record 'r-huge': quantity"):
        price(one_per_unit(), events)


def test_a_record_without_id_is_named_by_position() -> None:
    events = [UsageEvent.of("1"), UsageEvent.of("0.0000000001")]
    with pytest.raises(
        UsageError, match=r"record #2 \(no record_id\): quantity .*at most 9 decimals"
    ):
        price(one_per_unit(), events)


def test_transaction_amounts_and_record_prices_are_bounded_too() -> None:
    fee = PriceDefinition(id="fee", currency=USD, pricing=Percentage(rate=Decimal(2)))
    with pytest.raises(UsageError, match="record 'pay-1': amount"):
        price(fee, [UsageEvent.of(1, amount="1e30", record_id="pay-1")])
    dynamic = PriceDefinition(id="sms", currency=USD, pricing=Dynamic())
    # a record's unit price may carry 12 decimals, not 13
    assert price(dynamic, [UsageEvent.of(10**12, unit_price="0.000000000001")]).amount == Money.of(
        "1.00", "USD"
    )
    with pytest.raises(UsageError, match=r"unit_price .*at most 12 decimals"):
        price(dynamic, [UsageEvent.of(1, unit_price="0.0000000000001")])


def test_an_amount_beyond_10_to_the_24_is_a_usage_error() -> None:
    # 10^24 units × 2 = 2 × 10^24: each number is within its limit, the amount is not
    double = definition({"model": "per_unit", "unit_price": "2"})
    with pytest.raises(UsageError, match=r"amount 2000000000000000000000000 .*at most 10\^24"):
        price(double, TEN_TO_THE_24)


def test_a_float_quantity_is_refused_by_name() -> None:
    with pytest.raises(
        FloatNotAllowedError, match=r'quantity: 1\.5 is a float; give it as a string such as "1\.5"'
    ):
        price(one_per_unit(), 1.5)  # type: ignore[arg-type]


def test_a_boolean_quantity_is_refused() -> None:
    with pytest.raises(InvalidAmountError, match="quantity: True is a boolean"):
        price(one_per_unit(), True)


def test_usage_that_is_not_events_is_refused_by_position() -> None:
    with pytest.raises(UsageError, match=r"usage\[1\] is a Decimal, not a UsageEvent"):
        price(one_per_unit(), [UsageEvent.of("1"), Decimal(2)])  # type: ignore[list-item]


# --- any model, any magnitude: a result or a typed error ------------------------------------------

# Any finite decimal: astronomically large or small exponents, long digit strings, negatives.
any_number = st.decimals(allow_nan=False, allow_infinity=False) | st.builds(
    lambda coefficient, exponent: Decimal(f"{coefficient}E{exponent}"),
    st.integers(min_value=-(10**45), max_value=10**45),
    st.integers(min_value=-1_200_000, max_value=1_200_000),
)


def _models(value: Decimal) -> list[PricingModel]:
    return [
        PerUnit(value),
        Graduated((Tier(value, value, value), Tier(None, value))) if value > 0 else PerUnit(value),
        Volume((Tier(None, value, value),)),
        Stairstep((Step(None, value),)),
        Package(package_size=value, package_price=value) if value > 0 else PerUnit(value),
        BlockTiers((BlockTier(value, None, value),)) if value > 0 else PerUnit(value),
        Percentage(rate=value, fixed_fee_per_transaction=value),
        GraduatedPercentage((PercentageTier(None, value, value),)),
        Dynamic(),
        SpendCommitment(PerUnit(value), minimum_amount=Decimal(1)),
        DurationRating(rates=(RateBand(intervals=pulse_intervals("30/6", rate=value)),)),
        Percentile95(committed_rate_mbps=value, committed_price=value, burst_price_per_mbps=value),
    ]


@given(number=any_number, usage=any_number)
def test_extreme_numbers_price_or_raise_a_typed_error(number: Decimal, usage: Decimal) -> None:
    value = number.copy_abs()  # models refuse negative prices when they are made
    start = datetime(2026, 3, 1, tzinfo=UTC)
    events = [
        UsageEvent(quantity=usage, amount=usage, unit_price=value, start=start, record_id="r")
    ]
    for model in _models(value):
        for conventions in (profile("tollway"), profile("cgrates"), profile("lago")):
            try:
                model.price(events, currency=USD, conventions=conventions)
                price(PriceDefinition(id="p", currency=USD, pricing=model), events)
            except TollwayError:
                pass
