"""Sums and products in the pricing core keep every digit (38 significant digits, never the
default context's 28), and a result that 38 digits cannot hold is a typed error, never a silent
rounding."""

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollway.conventions import profile
from tollway.money import Money, RoundingMode, RoundingStage, currency
from tollway.pricing import (
    BreakdownLine,
    Dynamic,
    Graduated,
    GraduatedPercentage,
    Percentage,
    PercentageTier,
    PerUnit,
    SpendCommitment,
    Tier,
    UsageError,
    UsageEvent,
    finalize,
    total_quantity,
)

USD = currency("USD")
JPY = currency("JPY")
BHD = currency("BHD")
TOLLWAY = profile("tollway")
# 31 significant digits: a default (28-digit) context rounds it up to 0.5
JUST_BELOW_HALF = "0.4999999999999999999999999999999"


def test_per_unit_yen_just_below_half_a_yen_rounds_down() -> None:
    # 0.4999999999999999999999999999999 units × 1 JPY = 0.4999... JPY → half-up 0 JPY
    result = PerUnit.of("1").price(
        [UsageEvent.of(JUST_BELOW_HALF)], currency=JPY, conventions=TOLLWAY
    )
    assert result.precise_amount == Decimal(JUST_BELOW_HALF)
    assert result.amount == Money.of("0", "JPY")


def test_graduated_price_just_below_half_a_cent_rounds_down() -> None:
    # 0.5 units × 0.0099999999999999999999999999999 = 0.00499999999999999999999999999995 USD
    # → half-up 0.00 USD
    tiers = Graduated((Tier.of(up_to=None, unit_price="0.0099999999999999999999999999999"),))
    result = tiers.price([UsageEvent.of("0.5")], currency=USD, conventions=TOLLWAY)
    assert result.precise_amount == Decimal("0.00499999999999999999999999999995")
    assert result.amount == Money.of("0.00", "USD")


def test_summed_quantity_keeps_38_digits() -> None:
    # 0.4999999999999999999999999999999 + 1 = 1.4999999999999999999999999999999 (32 digits)
    events = [UsageEvent.of(JUST_BELOW_HALF), UsageEvent.of("1")]
    assert total_quantity(events) == Decimal("1.4999999999999999999999999999999")


def test_finalize_sums_lines_with_38_digits_in_every_stage() -> None:
    # 0.0049999999999999999999999999999 + 1 = 1.0049999999999999999999999999999 → 1.00 USD
    # (a 28-digit sum gives 1.005000000000000000000000000 → 1.01). Per increment: 0.00 + 1.00.
    lines = [
        BreakdownLine("tier", "a", Decimal(1), None, Decimal("0.0049999999999999999999999999999")),
        BreakdownLine("tier", "b", Decimal(1), None, Decimal(1)),
    ]
    for stage in RoundingStage:
        conventions = TOLLWAY.replace(rounding_stage=stage)
        result = finalize(lines, quantity=Decimal(2), currency=USD, conventions=conventions)
        assert result.precise_amount == Decimal("1.0049999999999999999999999999999")
        if stage is not RoundingStage.PER_INVOICE:
            assert result.amount == Money.of("1.00", "USD")


def test_dynamic_record_amounts_sum_exactly() -> None:
    # 1 + 0.0049999999999999999999999999999 = 1.0049999999999999999999999999999 → 1.00 USD
    events = [
        UsageEvent.of(1, amount="1"),
        UsageEvent.of(1, amount="0.0049999999999999999999999999999"),
    ]
    result = Dynamic().price(events, currency=USD, conventions=TOLLWAY)
    assert result.amount == Money.of("1.00", "USD")


def test_percentage_of_transactions_sums_exactly() -> None:
    # 10 % of (100 + 0.049999999999999999999999999999) = 10.0049999999999999999999999999999
    # → 10.00 USD
    card = Percentage(rate=Decimal(10))
    events = [
        UsageEvent.of(1, amount="100"),
        UsageEvent.of(1, amount="0.049999999999999999999999999999"),
    ]
    result = card.price(events, currency=USD, conventions=TOLLWAY)
    assert result.precise_amount == Decimal("10.0049999999999999999999999999999")
    assert result.amount == Money.of("10.00", "USD")


def test_graduated_percentage_total_sums_exactly() -> None:
    # 1 % of (1000 + 0.4999999999999999999999999999999) = 10.004999999999999999999999999999999
    # → 10.00 USD
    fees = GraduatedPercentage(tiers=(PercentageTier(up_to=None, rate=Decimal(1)),))
    events = [UsageEvent.of(1, amount="1000"), UsageEvent.of(1, amount=JUST_BELOW_HALF)]
    result = fees.price(events, currency=USD, conventions=TOLLWAY)
    assert result.amount == Money.of("10.00", "USD")


def test_commitment_true_up_is_exact() -> None:
    # Per invoice the inner price stays precise: 99.0049999999999999999999999999999; the minimum
    # 100 adds exactly 0.9950000000000000000000000000001, so the total is exactly 100.
    per_invoice = TOLLWAY.replace(rounding_stage=RoundingStage.PER_INVOICE)
    committed = SpendCommitment(Dynamic(), minimum_amount=Decimal(100))
    events = [UsageEvent.of(1, amount="99.0049999999999999999999999999999")]
    result = committed.price(events, currency=USD, conventions=per_invoice)
    assert result.lines[-1].amount == Decimal("0.9950000000000000000000000000001")
    assert result.precise_amount == Decimal(100)


def test_sum_beyond_38_digits_is_refused_not_rounded() -> None:
    # 10^20 + 10^-20 needs 41 significant digits: refused, naming the problem
    events = [UsageEvent.of("100000000000000000000"), UsageEvent.of("0.00000000000000000001")]
    with pytest.raises(UsageError, match="38 significant digits"):
        PerUnit.of("1").price(events, currency=USD, conventions=TOLLWAY)


def test_product_beyond_38_digits_is_refused_not_rounded() -> None:
    # 1.23456789012345678901 × 1.23456789012345678901 has 42 significant digits
    with pytest.raises(UsageError, match="38 significant digits"):
        PerUnit.of("1.23456789012345678901").price(
            [UsageEvent.of("1.23456789012345678901")], currency=USD, conventions=TOLLWAY
        )


long_decimals = st.decimals(min_value="0", max_value="1000", places=30)


@given(
    quantities=st.lists(long_decimals, min_size=1, max_size=5),
    mode=st.sampled_from(RoundingMode),
)
def test_per_unit_at_one_bills_the_exact_sum_rounded_once(
    quantities: list[Decimal], mode: RoundingMode
) -> None:
    # At 1 per unit the precise amount is the quantities' exact sum (at most 34 digits here),
    # which a 60-digit context computes without rounding.
    conventions = TOLLWAY.replace(rounding_mode=mode)
    events = [UsageEvent(quantity=quantity) for quantity in quantities]
    result = PerUnit.of("1").price(events, currency=USD, conventions=conventions)
    with localcontext() as wide:
        wide.prec = 60
        exact = sum(quantities, Decimal(0))
    assert result.precise_amount == exact
    assert result.amount == Money(exact, USD).rounded(mode)
