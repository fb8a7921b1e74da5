"""Percentage and graduated-percentage prices: card and transfer fees on transaction amounts."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tollway.conventions import Conventions, TierBounds, profile
from tollway.money import Currency, Money, RoundingMode, currency
from tollway.pricing import PriceDefinitionError, PriceResult, PricingModel, UsageError, UsageEvent
from tollway.pricing._percentage import GraduatedPercentage, Percentage, PercentageTier
from tollway.pricing._tiers import Graduated, Tier
from tollway.pricing.schema._transactional import GraduatedPercentageSpec, PercentageSpec

USD = currency("USD")
JPY = currency("JPY")
BHD = currency("BHD")
TOLLWAY = profile("tollway")
LAGO = profile("lago")


def transactions(*amounts: str) -> list[UsageEvent]:
    return [
        UsageEvent.of(1, amount=amount, record_id=f"txn-{number}")
        for number, amount in enumerate(amounts, start=1)
    ]


def charge(
    model: PricingModel,
    events: list[UsageEvent],
    *,
    in_currency: Currency = USD,
    conventions: Conventions = TOLLWAY,
) -> PriceResult:
    return model.price(events, currency=in_currency, conventions=conventions)


def kinds_and_amounts(result: PriceResult) -> list[tuple[str, Decimal]]:
    return [(line.kind, line.amount) for line in result.lines]


# --- percentage ---------------------------------------------------------------------------------


def test_lago_documented_example_first_three_transactions_or_500_free() -> None:
    # Lago's docs: 1.2 % + $0.10, the first 3 events or $500 free. 200, 100, 100 are free (count
    # used up at $400); the fourth, $50, pays 0.10 + 1.2 % x 50 = 0.10 + 0.60 = 0.70.
    card = Percentage(
        rate=Decimal("1.2"),
        fixed_fee_per_transaction=Decimal("0.10"),
        free_transactions=3,
        free_amount=Decimal("500"),
    )
    result = charge(card, transactions("200", "100", "100", "50"))
    assert result.amount == Money.of("0.70", "USD")
    assert kinds_and_amounts(result) == [
        ("free_units", Decimal(0)),
        ("percentage", Decimal("0.6")),
        ("fixed_fee", Decimal("0.10")),
    ]
    assert result.lines[0].quantity == Decimal("400")
    assert result.quantity == Decimal("450")


def test_rate_plus_fixed_fee_on_every_transaction() -> None:
    # 2.5 % of (100 + 40) = 3.50; 2 x 0.30 = 0.60; total 4.10
    card = Percentage(rate=Decimal("2.5"), fixed_fee_per_transaction=Decimal("0.30"))
    result = charge(card, transactions("100.00", "40.00"))
    assert result.amount == Money.of("4.10", "USD")
    assert result.lines[0].unit_price == Decimal("0.025")


def test_zero_usage_charges_nothing() -> None:
    card = Percentage(rate=Decimal("2.5"), fixed_fee_per_transaction=Decimal("0.30"))
    result = charge(card, [])
    assert result.amount == Money.of("0.00", "USD")
    assert kinds_and_amounts(result) == [("percentage", Decimal(0))]


def test_zero_amount_transaction_still_pays_the_fixed_fee() -> None:
    # 2.5 % of 0 = 0, plus the 0.30 fixed fee
    card = Percentage(rate=Decimal("2.5"), fixed_fee_per_transaction=Decimal("0.30"))
    assert charge(card, transactions("0")).amount == Money.of("0.30", "USD")


def test_free_units_by_count_waive_rate_and_fixed_fee() -> None:
    # The first 2 transactions are free; the third pays 1 % x 100 + 0.25 = 1.25
    card = Percentage(
        rate=Decimal("1"), fixed_fee_per_transaction=Decimal("0.25"), free_transactions=2
    )
    assert charge(card, transactions("100", "100", "100")).amount == Money.of("1.25", "USD")


def test_free_units_by_amount_straddling_transaction_pays_above_the_free_amount() -> None:
    # First 150 free at 2 % + 0.10: txn 1 (100) free, 50 left; txn 2 (100) straddles: pays
    # 2 % x 50 + 0.10 = 1.10; txn 3 pays 2 % x 100 + 0.10 = 2.10; total 3.20
    card = Percentage(
        rate=Decimal("2"), fixed_fee_per_transaction=Decimal("0.10"), free_amount=Decimal("150")
    )
    result = charge(card, transactions("100", "100", "100"))
    assert result.amount == Money.of("3.20", "USD")
    assert result.lines[0].quantity == Decimal("150")  # exempt from the rate
    assert result.lines[1].quantity == Decimal("150")  # 50 + 100 pay the rate
    assert result.lines[2].quantity == Decimal("2")  # two paid transactions


def test_transaction_landing_exactly_on_the_free_amount_is_free() -> None:
    # First 200 free: 100 and 100 fit exactly, the third pays 2 % x 100 + 0.10 = 2.10
    card = Percentage(
        rate=Decimal("2"), fixed_fee_per_transaction=Decimal("0.10"), free_amount=Decimal("200")
    )
    assert charge(card, transactions("100", "100", "100")).amount == Money.of("2.10", "USD")


def test_free_amount_used_up_before_free_count() -> None:
    # First 3 transactions or 250, whichever comes first: txn 1 (200) free, 50 left; txn 2 (100)
    # straddles, pays 2 % x 50 + 0.10 = 1.10; txn 3 pays 2 % x 100 + 0.10 = 2.10 although only
    # 2 of the 3 free transactions were used; total 3.20
    card = Percentage(
        rate=Decimal("2"),
        fixed_fee_per_transaction=Decimal("0.10"),
        free_transactions=3,
        free_amount=Decimal("250"),
    )
    assert charge(card, transactions("200", "100", "100")).amount == Money.of("3.20", "USD")


def test_per_transaction_minimum_raises_small_fees() -> None:
    # 1 % of 10 = 0.10, raised to 0.50; 1 % of 100 = 1.00; total 1.50
    card = Percentage(rate=Decimal("1"), per_transaction_min=Decimal("0.50"))
    result = charge(card, transactions("10.00", "100.00"))
    assert result.amount == Money.of("1.50", "USD")
    assert kinds_and_amounts(result)[-1] == ("per_transaction_minimum", Decimal("0.4000"))


def test_per_transaction_maximum_caps_large_fees() -> None:
    # 3 % of 500 + 0.30 = 15.30, capped at 5.00; 3 % of 100 + 0.30 = 3.30; total 8.30
    card = Percentage(
        rate=Decimal("3"),
        fixed_fee_per_transaction=Decimal("0.30"),
        per_transaction_max=Decimal("5"),
    )
    result = charge(card, transactions("500", "100"))
    assert result.amount == Money.of("8.30", "USD")
    assert kinds_and_amounts(result)[-1] == ("per_transaction_maximum", Decimal("-10.30"))


def test_clamp_applies_after_the_fixed_fee() -> None:
    # 1 % of 1.00 + 0.30 = 0.31, raised to 0.35; 1 % of 10.00 + 0.30 = 0.40; total 0.75
    # (clamping before the fixed fee would give 0.35 + 0.30 + 0.40 = 1.05)
    card = Percentage(
        rate=Decimal("1"),
        fixed_fee_per_transaction=Decimal("0.30"),
        per_transaction_min=Decimal("0.35"),
    )
    assert charge(card, transactions("1.00", "10.00")).amount == Money.of("0.75", "USD")


def test_free_transactions_do_not_pay_the_minimum() -> None:
    # txn 1 free; txn 2: 1 % of 10 = 0.10, raised to 0.50
    card = Percentage(rate=Decimal("1"), free_transactions=1, per_transaction_min=Decimal("0.50"))
    assert charge(card, transactions("10", "10")).amount == Money.of("0.50", "USD")


def test_straddling_transaction_is_clamped_like_any_paid_one() -> None:
    # First 100 free; 100.50 pays 1 % of 0.50 = 0.005, raised to the 0.50 minimum
    card = Percentage(
        rate=Decimal("1"), free_amount=Decimal("100"), per_transaction_min=Decimal("0.50")
    )
    assert charge(card, transactions("100.50")).amount == Money.of("0.50", "USD")


def test_fractional_fee_is_rounded_by_the_conventions_mode() -> None:
    # 1.5 % of 3.00 = 0.045: half-up 0.05, half-even 0.04
    card = Percentage(rate=Decimal("1.5"))
    half_even = TOLLWAY.replace(rounding_mode=RoundingMode.HALF_EVEN)
    assert charge(card, transactions("3.00")).precise_amount == Decimal("0.045")
    assert charge(card, transactions("3.00")).amount == Money.of("0.05", "USD")
    assert charge(card, transactions("3.00"), conventions=half_even).amount == Money.of(
        "0.04", "USD"
    )


def test_yen_has_no_minor_unit() -> None:
    # 3.6 % of 12,345 JPY = 444.42, + 40 = 484.42 → 484 JPY
    card = Percentage(rate=Decimal("3.6"), fixed_fee_per_transaction=Decimal("40"))
    result = charge(card, transactions("12345"), in_currency=JPY)
    assert result.amount == Money.of("484", "JPY")


def test_bahraini_dinar_has_three_decimals() -> None:
    # 2.5 % of 12.345 BHD = 0.308625, + 0.100 = 0.408625 → 0.409 BHD
    card = Percentage(rate=Decimal("2.5"), fixed_fee_per_transaction=Decimal("0.100"))
    result = charge(card, transactions("12.345"), in_currency=BHD)
    assert result.amount == Money.of("0.409", "BHD")


def test_record_without_amount_is_named() -> None:
    card = Percentage(rate=Decimal("2.5"))
    events = [*transactions("10"), UsageEvent.of(1, record_id="txn-2")]
    with pytest.raises(UsageError, match="record 'txn-2' has no transaction amount"):
        charge(card, events)


def test_record_without_amount_or_id_is_named_by_position() -> None:
    card = Percentage(rate=Decimal("2.5"))
    with pytest.raises(UsageError, match=r"record #2 \(no record_id\)"):
        charge(card, [UsageEvent.of(1, amount="5"), UsageEvent.of(1)])


def test_negative_transaction_amount_is_refused() -> None:
    card = Percentage(rate=Decimal("2.5"))
    with pytest.raises(UsageError, match="record 'txn-1' has a negative transaction amount"):
        charge(card, transactions("-5"))


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"rate": Decimal("-1")}, "rate"),
        ({"rate": Decimal("NaN")}, "rate"),
        ({"rate": Decimal(1), "fixed_fee_per_transaction": Decimal("-0.1")}, "fixed_fee_per_transaction"),
        ({"rate": Decimal(1), "free_transactions": -1}, "free_transactions"),
        ({"rate": Decimal(1), "free_amount": Decimal("-5")}, "free_amount"),
        ({"rate": Decimal(1), "per_transaction_min": Decimal("-1")}, "per_transaction_min"),
        (
            {"rate": Decimal(1), "per_transaction_min": Decimal(5), "per_transaction_max": Decimal(1)},
            "per_transaction_max",
        ),
    ],
)  # fmt: skip
def test_invalid_percentage_names_the_field(definition: dict[str, object], field: str) -> None:
    with pytest.raises(PriceDefinitionError) as raised:
        Percentage(**definition)  # type: ignore[arg-type]
    assert raised.value.field == field


amounts = st.decimals(min_value="0", max_value="100000", places=2)
optional_bounds = st.tuples(
    st.none() | st.decimals(min_value="0", max_value="50", places=2),
    st.none() | st.decimals(min_value="0", max_value="50", places=2),
).map(lambda pair: tuple(sorted(pair)) if None not in pair else pair)  # type: ignore[type-var]


@st.composite
def percentages(draw: st.DrawFn) -> Percentage:
    minimum, maximum = draw(optional_bounds)
    return Percentage(
        rate=draw(st.decimals(min_value="0", max_value="100", places=3)),
        fixed_fee_per_transaction=draw(st.decimals(min_value="0", max_value="5", places=2)),
        free_transactions=draw(st.integers(min_value=0, max_value=5)),
        free_amount=draw(st.decimals(min_value="0", max_value="1000", places=2)),
        per_transaction_min=minimum,
        per_transaction_max=maximum,
    )


@given(card=percentages(), values=st.lists(amounts, max_size=12), extra=amounts)
def test_percentage_fees_are_never_negative(
    card: Percentage, values: list[Decimal], extra: Decimal
) -> None:
    events = [UsageEvent(quantity=Decimal(1), amount=value) for value in values]
    before = charge(card, events)
    after = charge(card, [*events, UsageEvent(quantity=Decimal(1), amount=extra)])
    assert before.precise_amount >= 0
    assert before.amount.amount >= 0
    # A later transaction never changes an earlier one's fee, and its own fee is not negative.
    assert after.precise_amount >= before.precise_amount


# --- graduated percentage -----------------------------------------------------------------------

TRANSFER_FEES = GraduatedPercentage(
    tiers=(
        PercentageTier(up_to=Decimal("1000"), rate=Decimal("2")),
        PercentageTier(up_to=Decimal("5000"), rate=Decimal("1.5"), flat_fee=Decimal("10")),
        PercentageTier(up_to=None, rate=Decimal("1"), flat_fee=Decimal("25")),
    )
)


def test_graduated_percentage_spans_three_tiers() -> None:
    # 2500 + 3500 = 6000: 2 % x 1000 = 20; 1.5 % x 4000 = 60, + 10 flat; 1 % x 1000 = 10,
    # + 25 flat; total 125.00
    result = charge(TRANSFER_FEES, transactions("2500", "3500"))
    assert result.amount == Money.of("125.00", "USD")
    assert kinds_and_amounts(result) == [
        ("tier", Decimal("20")),
        ("tier", Decimal("60")),
        ("tier_flat_fee", Decimal("10")),
        ("tier", Decimal("10")),
        ("tier_flat_fee", Decimal("25")),
    ]
    assert [line.tier for line in result.lines] == [1, 2, 2, 3, 3]


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        (TierBounds.UP_TO_INCLUSIVE, "20.00"),  # 1000 is in tier 1: 2 % x 1000
        (TierBounds.INCLUSIVE_INTEGER, "20.00"),  # Lago's integer ranges: same membership
        (TierBounds.ADJACENT, "30.00"),  # 1000 enters tier 2: + its 10 flat fee
    ],
)
def test_total_exactly_on_a_bound_follows_tier_bounds(bounds: TierBounds, expected: str) -> None:
    conventions = TOLLWAY.replace(tier_bounds=bounds)
    result = charge(TRANSFER_FEES, transactions("1000"), conventions=conventions)
    assert result.amount == Money.of(expected, "USD")


FIRST_TIER_FLAT = GraduatedPercentage(
    tiers=(
        PercentageTier(up_to=Decimal("1000"), rate=Decimal("2"), flat_fee=Decimal("5")),
        PercentageTier(up_to=None, rate=Decimal("1")),
    )
)


def test_zero_total_charges_first_flat_fee_only_under_flat_fee_at_zero() -> None:
    assert charge(FIRST_TIER_FLAT, []).amount == Money.of("0.00", "USD")
    assert charge(FIRST_TIER_FLAT, transactions("0")).amount == Money.of("0.00", "USD")
    assert charge(FIRST_TIER_FLAT, [], conventions=LAGO).amount == Money.of("5.00", "USD")
    # Any usage enters tier 1: 2 % x 100 + 5 = 7.00
    assert charge(FIRST_TIER_FLAT, transactions("100")).amount == Money.of("7.00", "USD")


def test_fractional_total_just_past_a_bound() -> None:
    # 1000.50: 20 + 1.5 % x 0.50 = 0.0075 + 10 flat = 30.0075 → 30.01
    result = charge(TRANSFER_FEES, transactions("1000.50"))
    assert result.precise_amount == Decimal("30.0075")
    assert result.amount == Money.of("30.01", "USD")


def test_graduated_percentage_in_yen() -> None:
    # 150,001 JPY: 3 % x 100,000 = 3,000; 2 % x 50,001 = 1,000.02 + 500 flat; 4,500.02 → 4,500
    fees = GraduatedPercentage(
        tiers=(
            PercentageTier(up_to=Decimal("100000"), rate=Decimal("3")),
            PercentageTier(up_to=None, rate=Decimal("2"), flat_fee=Decimal("500")),
        )
    )
    assert charge(fees, transactions("150001"), in_currency=JPY).amount == Money.of("4500", "JPY")


def test_graduated_percentage_in_bahraini_dinar() -> None:
    # 1234.567: 20 + 1.5 % x 234.567 = 3.518505 + 10 flat = 33.518505 → 33.519 BHD
    result = charge(TRANSFER_FEES, transactions("1234.567"), in_currency=BHD)
    assert result.amount == Money.of("33.519", "BHD")


def test_graduated_percentage_record_without_amount_is_named() -> None:
    with pytest.raises(UsageError, match="record 'wire-7'"):
        charge(TRANSFER_FEES, [UsageEvent.of(1, record_id="wire-7")])


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ((), "tiers"),
        ((PercentageTier(Decimal(0), Decimal(1)), PercentageTier(None, Decimal(1))), "tiers[0].up_to"),
        ((PercentageTier(Decimal(10), Decimal(1)), PercentageTier(Decimal(10), Decimal(1)),
          PercentageTier(None, Decimal(1))), "tiers[1].up_to"),
        ((PercentageTier(None, Decimal(1)), PercentageTier(None, Decimal(1))), "tiers[0].up_to"),
        ((PercentageTier(Decimal(10), Decimal(1)), PercentageTier(Decimal(20), Decimal(1))), "tiers[1].up_to"),
        ((PercentageTier(None, Decimal(-2)),), "tiers[0].rate"),
        ((PercentageTier(Decimal(10), Decimal(1)), PercentageTier(None, Decimal(1), Decimal(-5))),
         "tiers[1].flat_fee"),
    ],
)  # fmt: skip
def test_invalid_graduated_percentage_names_the_field(
    tiers: tuple[PercentageTier, ...], field: str
) -> None:
    with pytest.raises(PriceDefinitionError) as raised:
        GraduatedPercentage(tiers=tiers)
    assert raised.value.field == field


def test_graduated_percentage_bounds_follow_the_tier_table_rules() -> None:
    # One rule for every tier table: the same field and the same words as graduated unit tiers.
    with pytest.raises(PriceDefinitionError) as percentage_error:
        GraduatedPercentage(
            tiers=(
                PercentageTier(Decimal(1000), Decimal(2)),
                PercentageTier(Decimal(500), Decimal(1)),
                PercentageTier(None, Decimal(1)),
            )
        )
    with pytest.raises(PriceDefinitionError) as tier_error:
        Graduated(
            (
                Tier.of(up_to="1000", unit_price="2"),
                Tier.of(up_to="500", unit_price="1"),
                Tier.of(up_to=None, unit_price="1"),
            )
        )
    assert str(percentage_error.value) == str(tier_error.value)
    assert str(percentage_error.value) == (
        "tiers[1].up_to: must be greater than the previous tier's bound 1000, got 500"
    )


# --- schema -------------------------------------------------------------------------------------


def test_percentage_spec_builds_the_model() -> None:
    spec = PercentageSpec.model_validate(
        {
            "model": "percentage",
            "rate": "2.9",
            "fixed_fee_per_transaction": "0.30",
            "free_transactions": 3,
            "free_amount": "500",
            "per_transaction_min": "0.10",
            "per_transaction_max": 10,
        }
    )
    assert spec.build() == Percentage(
        rate=Decimal("2.9"),
        fixed_fee_per_transaction=Decimal("0.30"),
        free_transactions=3,
        free_amount=Decimal("500"),
        per_transaction_min=Decimal("0.10"),
        per_transaction_max=Decimal("10"),
    )


def test_percentage_spec_rejects_a_float_rate_and_a_missing_rate() -> None:
    with pytest.raises(ValidationError, match="binary float"):
        PercentageSpec.model_validate({"model": "percentage", "rate": 2.5})
    with pytest.raises(ValidationError) as raised:
        PercentageSpec.model_validate({"model": "percentage"})
    assert [error["loc"] for error in raised.value.errors()] == [("rate",)]


def test_percentage_spec_leaves_domain_rules_to_the_model() -> None:
    spec = PercentageSpec.model_validate({"model": "percentage", "rate": "-1"})
    with pytest.raises(PriceDefinitionError, match="rate: must be zero or more"):
        spec.build()


def test_graduated_percentage_spec_accepts_inf_for_the_last_bound() -> None:
    spec = GraduatedPercentageSpec.model_validate(
        {
            "model": "graduated_percentage",
            "tiers": [
                {"up_to": "1000", "rate": "2"},
                {"up_to": 5000, "rate": "1.5", "flat_fee": "10"},
                {"up_to": "Infinity", "rate": "1", "flat_fee": "25"},
            ],
        }
    )
    assert spec.build() == TRANSFER_FEES
