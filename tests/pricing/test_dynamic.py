"""Dynamic prices: each usage record carries its own amount or unit price."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tollway.conventions import Conventions, profile
from tollway.money import Currency, Money, RoundingMode, currency
from tollway.pricing import PriceResult, UsageError, UsageEvent
from tollway.pricing._dynamic import Dynamic
from tollway.pricing.schema._transactional import DynamicSpec

USD = currency("USD")
JPY = currency("JPY")
BHD = currency("BHD")
TOLLWAY = profile("tollway")


def charge(
    events: list[UsageEvent], *, in_currency: Currency = USD, conventions: Conventions = TOLLWAY
) -> PriceResult:
    return Dynamic().price(events, currency=in_currency, conventions=conventions)


def test_lago_documented_example_records_carry_their_total() -> None:
    # Lago's docs: 7 units for 0.70, 5 for 0.55, 10 for 2.20: 0.70 + 0.55 + 2.20 = 3.45
    events = [
        UsageEvent.of(7, amount="0.70", record_id="transaction_1"),
        UsageEvent.of(5, amount="0.55", record_id="transaction_2"),
        UsageEvent.of(10, amount="2.20", record_id="transaction_3"),
    ]
    result = charge(events)
    assert result.amount == Money.of("3.45", "USD")
    assert [(line.kind, line.quantity, line.amount) for line in result.lines] == [
        ("record_amount", Decimal(22), Decimal("3.45"))
    ]
    assert result.quantity == Decimal(22)


def test_records_without_amount_are_priced_quantity_times_unit_price() -> None:
    # 100 x 0.012 + 50 x 0.012 = 150 x 0.012 = 1.80; 10 x 0.05 = 0.50; total 2.30
    events = [
        UsageEvent.of(100, unit_price="0.012"),
        UsageEvent.of(10, unit_price="0.05"),
        UsageEvent.of(50, unit_price="0.012"),
    ]
    result = charge(events)
    assert result.amount == Money.of("2.30", "USD")
    assert [(line.quantity, line.unit_price, line.amount) for line in result.lines] == [
        (Decimal(150), Decimal("0.012"), Decimal("1.800")),
        (Decimal(10), Decimal("0.05"), Decimal("0.50")),
    ]


def test_amount_wins_over_unit_price() -> None:
    # The record's amount is its total price: 1.00, not 3 x 5
    assert charge([UsageEvent.of(3, amount="1.00", unit_price="5")]).amount == Money.of(
        "1.00", "USD"
    )


def test_zero_usage_charges_nothing() -> None:
    result = charge([])
    assert result.amount == Money.of("0.00", "USD")
    assert result.lines == ()


def test_fractional_quantities() -> None:
    # 2.5 x 0.40 = 1.00; 0.333 x 3 = 0.999; 1.999 → 2.00
    events = [UsageEvent.of("2.5", unit_price="0.40"), UsageEvent.of("0.333", unit_price="3")]
    result = charge(events)
    assert result.precise_amount == Decimal("1.999")
    assert result.amount == Money.of("2.00", "USD")


def test_a_record_may_carry_a_credit() -> None:
    # 5.00 - 1.25 = 3.75
    events = [UsageEvent.of(1, amount="5.00"), UsageEvent.of(1, amount="-1.25")]
    assert charge(events).amount == Money.of("3.75", "USD")


def test_yen_rounds_to_whole_units() -> None:
    # 120.4 + 10.4 = 130.8 → 131 JPY
    events = [UsageEvent.of(1, amount="120.4"), UsageEvent.of(1, amount="10.4")]
    assert charge(events, in_currency=JPY).amount == Money.of("131", "JPY")


def test_bahraini_dinar_rounds_to_three_decimals() -> None:
    # 3 x 0.3335 = 1.0005: half-up 1.001, half-even 1.000
    events = [UsageEvent.of(3, unit_price="0.3335")]
    half_even = TOLLWAY.replace(rounding_mode=RoundingMode.HALF_EVEN)
    assert charge(events, in_currency=BHD).amount == Money.of("1.001", "BHD")
    assert charge(events, in_currency=BHD, conventions=half_even).amount == Money.of("1.000", "BHD")


def test_record_with_no_price_is_named() -> None:
    events = [
        UsageEvent.of(1, amount="0.10", record_id="sms-1"),
        UsageEvent.of(1, record_id="sms-2"),
    ]
    with pytest.raises(UsageError, match="record 'sms-2' carries no price"):
        charge(events)


def test_record_with_no_price_and_no_id_is_named_by_position() -> None:
    with pytest.raises(UsageError, match=r"record #1 \(no record_id\) carries no price"):
        charge([UsageEvent.of(1)])


def test_dynamic_spec_builds_the_model() -> None:
    assert DynamicSpec.model_validate({"model": "dynamic"}).build() == Dynamic()
    with pytest.raises(ValidationError):
        DynamicSpec.model_validate({"model": "dynamic", "unit_price": "1"})


records = st.builds(
    UsageEvent,
    quantity=st.decimals(min_value="0", max_value="1000", places=3),
    amount=st.none() | st.decimals(min_value="-100", max_value="100", places=4),
    unit_price=st.decimals(min_value="0", max_value="10", places=4),
)


@given(first=st.lists(records, max_size=8), second=st.lists(records, max_size=8))
def test_dynamic_price_is_additive_over_records(
    first: list[UsageEvent], second: list[UsageEvent]
) -> None:
    together = charge([*first, *second]).precise_amount
    assert together == charge(first).precise_amount + charge(second).precise_amount
