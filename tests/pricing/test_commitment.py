"""Spend commitments: a minimum spend trued up, a maximum spend discounted."""

from decimal import Decimal
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field

from tollway.conventions import Conventions, profile
from tollway.money import Currency, Money, RoundingMode, RoundingStage, currency
from tollway.pricing import PriceDefinition, PriceDefinitionError, PriceResult, UsageEvent
from tollway.pricing._commitment import SpendCommitment
from tollway.pricing._dynamic import Dynamic
from tollway.pricing._percentage import Percentage
from tollway.pricing.schema._transactional import DynamicSpec, PercentageSpec, SpendCommitmentSpec

USD = currency("USD")
JPY = currency("JPY")
BHD = currency("BHD")
TOLLWAY = profile("tollway")


def spend(*amounts: str) -> list[UsageEvent]:
    """Usage whose price is carried on the records (a Dynamic inner price)."""
    return [UsageEvent.of(1, amount=amount) for amount in amounts]


def commit(
    events: list[UsageEvent],
    *,
    minimum: str | None = None,
    maximum: str | None = None,
    in_currency: Currency = USD,
    conventions: Conventions = TOLLWAY,
) -> PriceResult:
    commitment = SpendCommitment(
        Dynamic(),
        minimum_amount=None if minimum is None else Decimal(minimum),
        maximum_amount=None if maximum is None else Decimal(maximum),
    )
    return commitment.price(events, currency=in_currency, conventions=conventions)


def kinds_and_amounts(result: PriceResult) -> list[tuple[str, Decimal]]:
    return [(line.kind, line.amount) for line in result.lines]


def test_shortfall_against_the_minimum_is_trued_up() -> None:
    # Spent 62.50 of a 100.00 minimum: true-up 37.50
    result = commit(spend("40.00", "22.50"), minimum="100")
    assert result.amount == Money.of("100.00", "USD")
    assert kinds_and_amounts(result) == [
        ("record_amount", Decimal("62.50")),
        ("minimum_spend", Decimal("37.50")),
    ]


def test_spend_above_the_minimum_is_unchanged() -> None:
    result = commit(spend("120.00"), minimum="100")
    assert result.amount == Money.of("120.00", "USD")
    assert kinds_and_amounts(result) == [("record_amount", Decimal("120.00"))]


def test_spend_exactly_at_the_minimum_needs_no_true_up() -> None:
    result = commit(spend("100.00"), minimum="100")
    assert kinds_and_amounts(result) == [("record_amount", Decimal("100.00"))]


def test_spend_above_the_maximum_is_discounted() -> None:
    # Spent 120.00 with a 100.00 maximum: discount -20.00
    result = commit(spend("120.00"), maximum="100")
    assert result.amount == Money.of("100.00", "USD")
    assert kinds_and_amounts(result)[-1] == ("maximum_spend", Decimal("-20.00"))


def test_spend_between_minimum_and_maximum_is_unchanged() -> None:
    assert commit(spend("50"), minimum="10", maximum="100").amount == Money.of("50.00", "USD")


def test_zero_usage_pays_the_whole_minimum() -> None:
    result = commit([], minimum="100")
    assert result.amount == Money.of("100.00", "USD")
    assert kinds_and_amounts(result) == [("minimum_spend", Decimal("100"))]


def test_minimum_compares_the_rounded_inner_amount() -> None:
    # Inner 10.005 is invoiced as 10.01 (half-up), so the true-up is 20 - 10.01 = 9.99 and the
    # invoice reads 10.01 + 9.99 = 20.00. The 0.005 rounding shows as its own breakdown line.
    result = commit(spend("10.005"), minimum="20")
    assert result.amount == Money.of("20.00", "USD")
    assert result.precise_amount == Decimal("20")
    assert kinds_and_amounts(result) == [
        ("record_amount", Decimal("10.005")),
        ("minimum_spend", Decimal("9.99")),
        ("inner_rounding", Decimal("0.005")),
    ]


def test_minimum_is_exact_even_on_a_half_even_tie() -> None:
    # Half-even invoices 10.005 as 10.00; true-up 20.01 - 10.00 = 10.01; total exactly 20.01
    # (rounding 10.005 + 10.01 = 20.015 half-even would have given 20.02).
    half_even = TOLLWAY.replace(rounding_mode=RoundingMode.HALF_EVEN)
    result = commit(spend("10.005"), minimum="20.01", conventions=half_even)
    assert result.amount == Money.of("20.01", "USD")
    assert kinds_and_amounts(result)[1] == ("minimum_spend", Decimal("10.01"))


def test_minimum_under_per_increment_rounding() -> None:
    # Two inner lines of 0.004 each round to 0.00: billed 0.00, true-up 1.00, no rounding line
    per_increment = TOLLWAY.replace(rounding_stage=RoundingStage.PER_INCREMENT)
    events = [UsageEvent.of(1, amount="0.004"), UsageEvent.of(1, unit_price="0.004")]
    result = commit(events, minimum="1", conventions=per_increment)
    assert result.amount == Money.of("1.00", "USD")
    assert kinds_and_amounts(result)[-1] == ("minimum_spend", Decimal("1.00"))


def test_minimum_under_per_invoice_rounding_stays_precise() -> None:
    # Lines stay exact: 10.005 + 9.995 = 20
    per_invoice = TOLLWAY.replace(rounding_stage=RoundingStage.PER_INVOICE)
    result = commit(spend("10.005"), minimum="20", conventions=per_invoice)
    assert result.amount == Money.of("20", "USD")
    assert kinds_and_amounts(result)[-1] == ("minimum_spend", Decimal("9.995"))


def test_minimum_in_yen() -> None:
    # 1234.4 JPY is invoiced as 1234; true-up 5000 - 1234 = 3766
    result = commit(spend("1234.4"), minimum="5000", in_currency=JPY)
    assert result.amount == Money.of("5000", "JPY")
    assert kinds_and_amounts(result)[1] == ("minimum_spend", Decimal("3766"))


def test_minimum_in_bahraini_dinar() -> None:
    # 12.3456 BHD is invoiced as 12.346; true-up 20 - 12.346 = 7.654
    result = commit(spend("12.3456"), minimum="20", in_currency=BHD)
    assert result.amount == Money.of("20.000", "BHD")
    assert kinds_and_amounts(result)[1] == ("minimum_spend", Decimal("7.654"))


def test_minimum_on_card_fees() -> None:
    # 2.9 % + 0.30 on 100 and 200: 8.70 + 0.60 = 9.30; minimum 25.00: true-up 15.70
    card_fees = Percentage(rate=Decimal("2.9"), fixed_fee_per_transaction=Decimal("0.30"))
    commitment = SpendCommitment(card_fees, minimum_amount=Decimal("25"))
    events = [UsageEvent.of(1, amount="100"), UsageEvent.of(1, amount="200")]
    result = commitment.price(events, currency=USD, conventions=TOLLWAY)
    assert result.amount == Money.of("25.00", "USD")
    assert kinds_and_amounts(result)[-1] == ("minimum_spend", Decimal("15.70"))


@pytest.mark.parametrize(
    ("minimum", "maximum", "in_currency", "field"),
    [
        ("10.005", None, USD, "minimum_amount"),
        (None, "1000.5", JPY, "maximum_amount"),
        ("1.0001", None, BHD, "minimum_amount"),
    ],
)
def test_bounds_finer_than_the_currency_are_refused(
    minimum: str | None, maximum: str | None, in_currency: Currency, field: str
) -> None:
    with pytest.raises(PriceDefinitionError) as raised:
        commit(spend("1"), minimum=minimum, maximum=maximum, in_currency=in_currency)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("minimum", "maximum", "field"),
    [
        (None, None, "minimum_amount"),
        (Decimal("100"), Decimal("50"), "maximum_amount"),
        (Decimal("-1"), None, "minimum_amount"),
        (None, Decimal("-1"), "maximum_amount"),
    ],
)
def test_invalid_commitment_names_the_field(
    minimum: Decimal | None, maximum: Decimal | None, field: str
) -> None:
    with pytest.raises(PriceDefinitionError) as raised:
        SpendCommitment(Dynamic(), minimum_amount=minimum, maximum_amount=maximum)
    assert raised.value.field == field


class _SpendCommitmentOverTwoModels(SpendCommitmentSpec):
    """The commitment spec with `inner` resolved to two models, as the composed union will be."""

    inner: Annotated[PercentageSpec | DynamicSpec, Field(discriminator="model")]


def test_spend_commitment_spec_builds_its_inner_model() -> None:
    spec = _SpendCommitmentOverTwoModels.model_validate(
        {
            "model": "spend_commitment",
            "inner": {"model": "percentage", "rate": "2.9"},
            "minimum_amount": "25",
            "maximum_amount": 1000,
        }
    )
    assert spec.build() == SpendCommitment(
        Percentage(rate=Decimal("2.9")),
        minimum_amount=Decimal("25"),
        maximum_amount=Decimal("1000"),
    )


def test_spend_commitment_spec_leaves_bounds_rules_to_the_model() -> None:
    spec = _SpendCommitmentOverTwoModels.model_validate(
        {"model": "spend_commitment", "inner": {"model": "dynamic"}}
    )
    with pytest.raises(PriceDefinitionError, match="minimum_amount: set a minimum_amount"):
        spec.build()


amounts = st.decimals(min_value="-50", max_value="500", places=4)
bounds = st.none() | st.decimals(min_value="0", max_value="300", places=2)


@given(
    values=st.lists(amounts, max_size=6),
    limits=st.tuples(bounds, bounds),
    mode=st.sampled_from(RoundingMode),
    stage=st.sampled_from(RoundingStage),
)
def test_commitment_bills_the_invoiced_inner_amount_clamped_to_the_bounds(
    values: list[Decimal],
    limits: tuple[Decimal | None, Decimal | None],
    mode: RoundingMode,
    stage: RoundingStage,
) -> None:
    minimum, maximum = limits
    if minimum is None and maximum is None:
        minimum = Decimal(0)
    if minimum is not None and maximum is not None and minimum > maximum:
        minimum, maximum = maximum, minimum
    conventions = TOLLWAY.replace(rounding_mode=mode, rounding_stage=stage)
    events = [UsageEvent(quantity=Decimal(1), amount=value) for value in values]
    invoiced = Dynamic().price(events, currency=USD, conventions=conventions).amount.amount
    commitment = SpendCommitment(Dynamic(), minimum_amount=minimum, maximum_amount=maximum)
    billed = commitment.price(events, currency=USD, conventions=conventions).amount.amount
    expected = invoiced
    if minimum is not None:
        expected = max(expected, minimum)
    if maximum is not None:
        expected = min(expected, maximum)
    assert billed == expected


def test_a_definition_refuses_bounds_finer_than_its_currency() -> None:
    # A definition knows its currency, so a JPY minimum of 10.5 is refused when it is made,
    # naming the field from the definition: pricing.minimum_amount
    with pytest.raises(PriceDefinitionError) as raised:
        PriceDefinition(
            id="p",
            currency=JPY,
            pricing=SpendCommitment(Dynamic(), minimum_amount=Decimal("10.5")),
        )
    assert raised.value.field == "pricing.minimum_amount"
