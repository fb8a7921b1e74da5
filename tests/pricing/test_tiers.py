"""Graduated, volume and stairstep prices, their bound conventions, and their schema forms.

Every expected amount is worked out by hand in the comment above it.
"""

from decimal import Decimal
from typing import TypeAlias

import pytest
from pydantic import ValidationError

from tollway.conventions import Conventions, TierBounds, VolumeTierLookup, profile
from tollway.money import Currency, Money, RoundingMode, currency
from tollway.pricing import PriceResult, UsageError, UsageEvent
from tollway.pricing._errors import PriceDefinitionError
from tollway.pricing._tiers import Graduated, Stairstep, Step, Tier, Volume
from tollway.pricing.schema._tiers import GraduatedSpec, StairstepSpec, VolumeSpec

USD = currency("USD")
JPY = currency("JPY")
BHD = currency("BHD")
TOLLWAY = profile("tollway")
ADJACENT = TOLLWAY.replace(tier_bounds=TierBounds.ADJACENT)

PricedModel: TypeAlias = Graduated | Volume | Stairstep


def charge(
    model: PricedModel,
    *quantities: str,
    in_currency: Currency = USD,
    conventions: Conventions = TOLLWAY,
) -> PriceResult:
    events = [UsageEvent.of(quantity) for quantity in quantities]
    return model.price(events, currency=in_currency, conventions=conventions)


def lines_of(result: PriceResult) -> list[tuple[str, int | None, Decimal, Decimal]]:
    return [(line.kind, line.tier, line.quantity, line.amount) for line in result.lines]


# Mobile data, USD per GB: the first 100 GB at 0.10 with a 5.00 access fee, up to 500 GB at 0.08,
# beyond at 0.05 with a 10.00 heavy-user fee.
DATA = Graduated(
    (
        Tier.of(up_to="100", unit_price="0.10", flat_price="5"),
        Tier.of(up_to="500", unit_price="0.08"),
        Tier.of(up_to=None, unit_price="0.05", flat_price="10"),
    )
)

# Seats, USD: up to 10 at 12 each plus 15, up to 50 at 10 each plus 20, beyond at 8 each plus 50.
SEATS = Volume(
    (
        Tier.of(up_to="10", unit_price="12", flat_price="15"),
        Tier.of(up_to="50", unit_price="10", flat_price="20"),
        Tier.of(up_to=None, unit_price="8", flat_price="50"),
    )
)

# Named users, USD: 0–10 users 100, up to 50 users 400, beyond 1000.
USERS = Stairstep(
    (
        Step.of(up_to="10", amount="100"),
        Step.of(up_to="50", amount="400"),
        Step.of(up_to=None, amount="1000"),
    )
)


class TestGraduated:
    def test_each_tier_is_priced_at_its_own_rate_and_entered_tiers_pay_their_flat_fee(
        self,
    ) -> None:
        result = charge(DATA, "400", "250")
        # 650 GB: 100 x 0.10 = 10.00 + 5.00 fee; 400 x 0.08 = 32.00; 150 x 0.05 = 7.50 + 10.00 fee
        assert result.amount == Money.of("64.50", "USD")
        assert lines_of(result) == [
            ("tier", 1, Decimal("100"), Decimal("10.00")),
            ("tier_flat_fee", 1, Decimal("1"), Decimal("5")),
            ("tier", 2, Decimal("400"), Decimal("32.00")),
            ("tier", 3, Decimal("150"), Decimal("7.50")),
            ("tier_flat_fee", 3, Decimal("1"), Decimal("10")),
        ]
        assert result.quantity == Decimal("650")
        assert "100 to 500" in result.lines[2].description

    def test_zero_usage_charges_nothing_under_tollway_and_kill_bill(self) -> None:
        for conventions in (TOLLWAY, profile("killbill")):
            result = charge(DATA, "0", conventions=conventions)
            assert result.amount == Money.of("0.00", "USD")
            assert lines_of(result) == [("tier", 1, Decimal("0"), Decimal("0"))]

    def test_zero_usage_charges_the_first_flat_fee_under_lago_stripe_and_openmeter(self) -> None:
        for name in ("lago", "stripe", "openmeter"):
            result = charge(DATA, conventions=profile(name))
            # No events at all: 0 GB, but the first tier's 5.00 fee is due.
            assert result.amount == Money.of("5.00", "USD")
            assert lines_of(result) == [
                ("tier", 1, Decimal("0"), Decimal("0")),
                ("tier_flat_fee", 1, Decimal("1"), Decimal("5")),
            ]

    def test_usage_exactly_on_a_bound_stays_in_the_lower_tier_with_inclusive_bounds(self) -> None:
        for conventions in (TOLLWAY, profile("lago")):
            # 500 GB: 10.00 + 5.00 fee + 400 x 0.08 = 32.00; tier 3 not entered, no 10.00 fee
            assert charge(DATA, "500", conventions=conventions).amount == Money.of("47.00", "USD")

    def test_usage_exactly_on_a_bound_enters_the_upper_tier_with_adjacent_bounds(self) -> None:
        result = charge(DATA, "500", conventions=ADJACENT)
        # 500 GB is the start of [500, ∞): same units, but tier 3 is entered: 47.00 + 10.00 fee
        assert result.amount == Money.of("57.00", "USD")
        assert lines_of(result)[-2:] == [
            ("tier", 3, Decimal("0"), Decimal("0")),
            ("tier_flat_fee", 3, Decimal("1"), Decimal("10")),
        ]

    def test_fractional_usage_past_a_bound_prices_the_fraction_in_the_next_tier(self) -> None:
        result = charge(DATA, "100.5")
        # 100 x 0.10 = 10.00 + 5.00 fee; 0.5 GB x 0.08 = 0.04
        assert result.amount == Money.of("15.04", "USD")
        assert lines_of(result)[2] == ("tier", 2, Decimal("0.5"), Decimal("0.040"))

    def test_precise_amount_is_kept_beside_the_rounded_one(self) -> None:
        storage = Graduated((Tier.of(up_to=None, unit_price="0.0125"),))
        result = charge(storage, "10.5")
        # 10.5 GB x 0.0125 = 0.13125, half-up to 0.13
        assert result.precise_amount == Decimal("0.13125")
        assert result.amount == Money.of("0.13", "USD")

    def test_yen_has_no_decimals(self) -> None:
        calls = Graduated(
            (Tier.of(up_to="1000", unit_price="3"), Tier.of(up_to=None, unit_price="2.5"))
        )
        # 1333 calls: 1000 x 3 = 3000 + 333 x 2.5 = 832.5 → 3832.5 JPY
        result = charge(calls, "1333", in_currency=JPY)
        assert result.amount == Money.of("3833", "JPY")
        half_even = TOLLWAY.replace(rounding_mode=RoundingMode.HALF_EVEN)
        assert charge(calls, "1333", in_currency=JPY, conventions=half_even).amount == Money.of(
            "3832", "JPY"
        )

    def test_dinar_has_three_decimals(self) -> None:
        data = Graduated(
            (Tier.of(up_to="10", unit_price="0.0125"), Tier.of(up_to=None, unit_price="0.0100"))
        )
        # 12.345 GB: 10 x 0.0125 = 0.125 + 2.345 x 0.0100 = 0.02345 → 0.14845, half-up 0.148 BHD
        result = charge(data, "12.345", in_currency=BHD)
        assert result.precise_amount == Decimal("0.14845")
        assert result.amount == Money.of("0.148", "BHD")

    def test_negative_total_usage_is_refused(self) -> None:
        with pytest.raises(UsageError, match="graduated: the total quantity -1 is negative"):
            charge(DATA, "4", "-5")


class TestVolume:
    def test_every_unit_at_the_price_of_the_tier_reached(self) -> None:
        result = charge(SEATS, "25")
        # 25 seats reach tier 2: 25 x 10 = 250 + 20 flat
        assert result.amount == Money.of("270.00", "USD")
        assert lines_of(result) == [
            ("tier", 2, Decimal("25"), Decimal("250")),
            ("tier_flat_fee", 2, Decimal("1"), Decimal("20")),
        ]

    def test_zero_usage_and_the_first_flat_fee(self) -> None:
        # tollway, Kill Bill: nothing. Stripe, Lago: tier 1's 15.00 flat fee.
        assert charge(SEATS, "0").amount == Money.of("0.00", "USD")
        assert lines_of(charge(SEATS, "0")) == [("tier", 1, Decimal("0"), Decimal("0"))]
        assert charge(SEATS, "0", conventions=profile("stripe")).amount == Money.of("15", "USD")
        assert charge(SEATS, "0", conventions=profile("lago")).amount == Money.of("15", "USD")

    def test_usage_exactly_on_a_bound_selects_the_tier_by_the_bound_convention(self) -> None:
        # Inclusive: 50 seats are in tier 2: 50 x 10 + 20 = 520
        assert charge(SEATS, "50").amount == Money.of("520.00", "USD")
        # Adjacent: 50 seats start tier 3: 50 x 8 + 50 = 450
        assert charge(SEATS, "50", conventions=ADJACENT).amount == Money.of("450.00", "USD")

    def test_ceil_lookup_selects_the_tier_with_the_usage_rounded_up(self) -> None:
        exact = ADJACENT
        ceil = ADJACENT.replace(volume_tier_lookup=VolumeTierLookup.CEIL)
        # Exact: 9.5 is in [0, 10): 9.5 x 12 = 114 + 15 = 129
        assert charge(SEATS, "9.5", conventions=exact).amount == Money.of("129.00", "USD")
        # Ceil: 9.5 looks up as 10, in [10, 50), but still bills 9.5 units: 9.5 x 10 = 95 + 20
        result = charge(SEATS, "9.5", conventions=ceil)
        assert result.amount == Money.of("115.00", "USD")
        assert lines_of(result)[0] == ("tier", 2, Decimal("9.5"), Decimal("95.0"))

    def test_lago_prices_fractional_usage_in_the_next_integer_range(self) -> None:
        # Lago's docs: 100.5 falls in 101–200. Ranges 0–100 at 1.00, 101–∞ at 0.80: 100.5 x 0.80
        gigabytes = Volume(
            (Tier.of(up_to="100", unit_price="1.00"), Tier.of(up_to=None, unit_price="0.80"))
        )
        result = charge(gigabytes, "100.5", conventions=profile("lago"))
        assert result.amount == Money.of("80.40", "USD")

    def test_fractional_usage(self) -> None:
        # 12.5 GB in tier 2: 12.5 x 10 = 125 + 20 = 145
        assert charge(SEATS, "12.5").amount == Money.of("145.00", "USD")

    def test_yen(self) -> None:
        messages = Volume(
            (Tier.of(up_to="1000", unit_price="1.5"), Tier.of(up_to=None, unit_price="1.2"))
        )
        # 999 x 1.5 = 1498.5 → 1499 JPY (half-up); 1001 x 1.2 = 1201.2 → 1201 JPY
        assert charge(messages, "999", in_currency=JPY).amount == Money.of("1499", "JPY")
        assert charge(messages, "1001", in_currency=JPY).amount == Money.of("1201", "JPY")

    def test_dinar(self) -> None:
        data = Volume(
            (Tier.of(up_to="100", unit_price="0.0155"), Tier.of(up_to=None, unit_price="0.0125"))
        )
        # 150.5 GB x 0.0125 = 1.88125 → 1.881 BHD
        assert charge(data, "150.5", in_currency=BHD).amount == Money.of("1.881", "BHD")


class TestStairstep:
    def test_the_step_the_quantity_falls_in_is_charged_whole(self) -> None:
        result = charge(USERS, "11")
        # 11 users: step 2 (10 to 50) = 400, no per-unit part
        assert result.amount == Money.of("400.00", "USD")
        assert lines_of(result) == [("step", 2, Decimal("11"), Decimal("400"))]
        # 51 users: step 3 = 1000
        assert charge(USERS, "51").amount == Money.of("1000.00", "USD")

    def test_zero_usage(self) -> None:
        # Nothing under tollway; the first step (100) under Lago's flat-fee-at-zero rule.
        assert charge(USERS, "0").amount == Money.of("0.00", "USD")
        assert "not charged" in charge(USERS, "0").lines[0].description
        assert charge(USERS, "0", conventions=profile("lago")).amount == Money.of("100", "USD")

    def test_usage_exactly_on_a_bound(self) -> None:
        # Inclusive: 10 users are in step 1 (100); adjacent: 10 starts step 2 (400)
        assert charge(USERS, "10").amount == Money.of("100.00", "USD")
        assert charge(USERS, "10", conventions=ADJACENT).amount == Money.of("400.00", "USD")

    def test_fractional_usage_and_ceil_lookup(self) -> None:
        # 10.5 is past the bound 10: step 2
        assert charge(USERS, "10.5").amount == Money.of("400.00", "USD")
        # Adjacent bounds, ceil lookup: 9.5 looks up as 10, the start of step 2
        ceil = ADJACENT.replace(volume_tier_lookup=VolumeTierLookup.CEIL)
        assert charge(USERS, "9.5", conventions=ADJACENT).amount == Money.of("100.00", "USD")
        assert charge(USERS, "9.5", conventions=ceil).amount == Money.of("400.00", "USD")

    def test_yen_and_dinar(self) -> None:
        yen = Stairstep((Step.of(up_to="10", amount="10000"), Step.of(up_to=None, amount="40000")))
        dinar = Stairstep((Step.of(up_to="10", amount="10.5"), Step.of(up_to=None, amount="42")))
        assert charge(yen, "12", in_currency=JPY).amount == Money.of("40000", "JPY")
        assert charge(dinar, "3", in_currency=BHD).amount == Money.of("10.500", "BHD")


class TestInvalidTierTables:
    @pytest.mark.parametrize("model", [Graduated, Volume])
    def test_problems_name_the_field(self, model: type[Graduated] | type[Volume]) -> None:
        cases: list[tuple[tuple[Tier, ...], str, str]] = [
            ((), "tiers", "at least one tier"),
            (
                (Tier.of(up_to="100", unit_price="1"), Tier.of(up_to="50", unit_price="1")),
                "tiers[1].up_to",
                "greater than the previous tier's bound 100",
            ),
            (
                (
                    Tier.of(up_to="100", unit_price="1"),
                    Tier.of(up_to="100", unit_price="1"),
                    Tier.of(up_to=None, unit_price="1"),
                ),
                "tiers[1].up_to",
                "greater than the previous tier's bound 100",
            ),
            ((Tier.of(up_to="0", unit_price="1"),), "tiers[0].up_to", "greater than 0"),
            (
                (Tier.of(up_to=None, unit_price="1"), Tier.of(up_to=None, unit_price="1")),
                "tiers[0].up_to",
                "only the last tier may be unbounded",
            ),
            (
                (Tier.of(up_to="10", unit_price="1"), Tier.of(up_to="20", unit_price="1")),
                "tiers[1].up_to",
                "the last tier must be unbounded",
            ),
            ((Tier.of(up_to=None, unit_price="-0.01"),), "tiers[0].unit_price", "zero or more"),
            (
                (
                    Tier.of(up_to="1", unit_price="1"),
                    Tier.of(up_to=None, unit_price="1", flat_price="-5"),
                ),
                "tiers[1].flat_price",
                "zero or more, got -5",
            ),
        ]
        for tiers, field, problem in cases:
            with pytest.raises(PriceDefinitionError, match=problem) as raised:
                model(tiers)
            assert raised.value.field == field

    def test_stairstep_problems_name_the_field(self) -> None:
        with pytest.raises(PriceDefinitionError, match="at least one step") as raised:
            Stairstep(())
        assert raised.value.field == "steps"
        with pytest.raises(PriceDefinitionError, match="zero or more") as raised:
            Stairstep((Step.of(up_to="5", amount="1"), Step.of(up_to=None, amount="-1")))
        assert raised.value.field == "steps[1].amount"
        with pytest.raises(PriceDefinitionError, match="previous step's bound 5") as raised:
            Stairstep((Step.of(up_to="5", amount="1"), Step.of(up_to="5", amount="2")))
        assert raised.value.field == "steps[1].up_to"


class TestSchema:
    def test_stripe_form_with_inf_or_null_for_the_last_tier(self) -> None:
        for last in ("inf", None):
            spec = GraduatedSpec.model_validate(
                {
                    "model": "graduated",
                    "tiers": [
                        {"up_to": "100", "unit_price": "0.10", "flat_price": "5"},
                        {"up_to": 500, "unit_price": "0.08"},
                        {"up_to": last, "unit_price": "0.05", "flat_price": 10},
                    ],
                }
            )
            assert spec.build() == DATA

    def test_lago_inclusive_integer_ranges_become_up_to_bounds(self) -> None:
        spec = VolumeSpec.model_validate(
            {
                "model": "volume",
                "tiers": [
                    {"from_value": 0, "to_value": 10, "per_unit_amount": "12", "flat_amount": "15"},
                    {"from_value": 11, "to_value": 50, "per_unit_amount": "10", "flat_amount": 20},
                    {"from_value": 51, "to_value": None, "per_unit_amount": "8", "flat_amount": 50},
                ],
            }
        )
        assert spec.build() == SEATS

    def test_lago_adjacent_decimal_ranges_become_up_to_bounds(self) -> None:
        spec = GraduatedSpec.model_validate(
            {
                "model": "graduated",
                "tiers": [
                    {"from_value": 0, "to_value": "0.1", "per_unit_amount": "2"},
                    {"from_value": "0.1", "to_value": None, "per_unit_amount": "1"},
                ],
            }
        )
        expected = Graduated(
            (Tier.of(up_to="0.1", unit_price="2"), Tier.of(up_to=None, unit_price="1"))
        )
        assert spec.build() == expected
        # 0.25 GB: 0.1 x 2 = 0.20 + 0.15 x 1 = 0.15 → 0.35
        assert charge(spec.build(), "0.25").amount == Money.of("0.35", "USD")

    def test_lago_integer_ranges_count_fractional_units_past_the_bound(self) -> None:
        spec = GraduatedSpec.model_validate(
            {
                "model": "graduated",
                "tiers": [
                    {"from_value": 0, "to_value": 10, "per_unit_amount": "1"},
                    {"from_value": 11, "to_value": None, "per_unit_amount": "0.5"},
                ],
            }
        )
        # Lago: tier 2 counts min(10.5, ∞) - 11 + 1 = 0.5 units. 10 x 1 + 0.5 x 0.5 = 10.25
        result = charge(spec.build(), "10.5", conventions=profile("lago"))
        assert result.amount == Money.of("10.25", "USD")

    def test_stairstep_in_both_forms(self) -> None:
        up_to = StairstepSpec.model_validate(
            {
                "model": "stairstep",
                "steps": [
                    {"up_to": 10, "amount": "100"},
                    {"up_to": 50, "amount": "400"},
                    {"up_to": "inf", "amount": "1000"},
                ],
            }
        )
        ranges = StairstepSpec.model_validate(
            {
                "model": "stairstep",
                "steps": [
                    {"from_value": 0, "to_value": 10, "amount": "100"},
                    {"from_value": 11, "to_value": 50, "amount": "400"},
                    {"from_value": 51, "to_value": None, "amount": "1000"},
                ],
            }
        )
        assert up_to.build() == USERS
        assert ranges.build() == USERS

    @pytest.mark.parametrize(
        ("tiers", "field", "problem"),
        [
            pytest.param(
                [
                    {"from_value": 0, "to_value": 10, "per_unit_amount": "1"},
                    {"from_value": 5, "to_value": None, "per_unit_amount": "1"},
                ],
                "tiers[1].from_value",
                "5 overlaps tiers\\[0\\] \\(to_value 10\\); start at 11",
                id="overlapping ranges",
            ),
            pytest.param(
                [
                    {"from_value": 0, "to_value": 10, "per_unit_amount": "1"},
                    {"from_value": 15, "to_value": None, "per_unit_amount": "1"},
                ],
                "tiers[1].from_value",
                "15 leaves a gap after tiers\\[0\\]",
                id="gap between ranges",
            ),
            pytest.param(
                [
                    {"from_value": 0, "to_value": "0.5", "per_unit_amount": "1"},
                    {"from_value": "1.5", "to_value": None, "per_unit_amount": "1"},
                ],
                "tiers[1].from_value",
                "start at 0.5 \\(adjacent ranges\\)$",
                id="decimal ranges must be adjacent",
            ),
            pytest.param(
                [{"from_value": 1, "to_value": None, "per_unit_amount": "1"}],
                "tiers[0].from_value",
                "must start at 0",
                id="first range not at zero",
            ),
            pytest.param(
                [
                    {"from_value": 0, "to_value": "0.1", "per_unit_amount": "1"},
                    {"from_value": "0.1", "to_value": "0.1", "per_unit_amount": "1"},
                    {"from_value": "0.1", "to_value": None, "per_unit_amount": "1"},
                ],
                "tiers[1].to_value",
                "must be greater than 0.1",
                id="empty adjacent range",
            ),
            pytest.param(
                [
                    {"from_value": 0, "to_value": None, "per_unit_amount": "1"},
                    {"from_value": 0, "to_value": None, "per_unit_amount": "1"},
                ],
                "tiers[0].to_value",
                "only the last range may be open-ended",
                id="open range in the middle",
            ),
            pytest.param(
                [{"from_value": 0, "to_value": 10, "per_unit_amount": "1"}],
                "tiers[0].to_value",
                "the last range must be open-ended",
                id="bounded last range",
            ),
            pytest.param(
                [
                    {"from_value": 0, "to_value": 10, "per_unit_amount": "1"},
                    {"from_value": 11, "to_value": None},
                ],
                "tiers[1].per_unit_amount",
                "is required but missing",
                id="missing per-unit amount",
            ),
            pytest.param(
                [{"unit_price": "1"}],
                "tiers[0].up_to",
                'is required but missing \\(null or "inf" for the last tier\\)',
                id="missing up_to",
            ),
            pytest.param(
                [{"up_to": None, "unit_price": None}],
                "tiers[0].unit_price",
                "must be a number, not null",
                id="null unit price",
            ),
            pytest.param(
                [{"up_to": "100", "unit_price": "1"}, {"up_to": "50", "unit_price": "1"}],
                "tiers[1].up_to",
                "greater than the previous tier's bound 100",
                id="up_to not increasing",
            ),
            pytest.param(
                [{"up_to": None, "unit_price": "-1"}],
                "tiers[0].unit_price",
                "must be zero or more, got -1",
                id="negative price",
            ),
            pytest.param(
                [{"up_to": "10", "per_unit_amount": "1"}],
                "tiers[0]",
                "mixes the up_to form \\(up_to\\) with the range form \\(per_unit_amount\\)",
                id="one tier in both forms",
            ),
            pytest.param(
                [
                    {"up_to": "10", "unit_price": "1"},
                    {"from_value": 11, "to_value": None, "per_unit_amount": "1"},
                ],
                "tiers[1]",
                "is written in the range form but tiers\\[0\\] in the up_to form",
                id="tiers in different forms",
            ),
            pytest.param([{}], "tiers[0]", "give either up_to", id="empty tier"),
            pytest.param([], "tiers", "at least one tier", id="no tiers"),
        ],
    )
    def test_invalid_tier_tables_name_the_field(
        self, tiers: list[dict[str, object]], field: str, problem: str
    ) -> None:
        spec = GraduatedSpec.model_validate({"model": "graduated", "tiers": tiers})
        with pytest.raises(PriceDefinitionError, match=problem) as raised:
            spec.build()
        assert raised.value.field == field

    def test_floats_and_unknown_fields_are_refused_by_the_schema(self) -> None:
        with pytest.raises(ValidationError) as raised:
            GraduatedSpec.model_validate(
                {"model": "graduated", "tiers": [{"up_to": None, "unit_price": 0.1}]}
            )
        assert raised.value.errors()[0]["loc"] == ("tiers", 0, "unit_price")
        assert "binary float" in raised.value.errors()[0]["msg"]
        with pytest.raises(ValidationError) as raised:
            GraduatedSpec.model_validate(
                {"model": "graduated", "tiers": [{"up_to": None, "unit_prise": "1"}]}
            )
        assert raised.value.errors()[0]["loc"] == ("tiers", 0, "unit_prise")

    def test_a_step_without_an_amount_is_refused_by_the_schema(self) -> None:
        with pytest.raises(ValidationError) as raised:
            StairstepSpec.model_validate({"model": "stairstep", "steps": [{"up_to": None}]})
        assert raised.value.errors()[0]["loc"] == ("steps", 0, "amount")
        assert raised.value.errors()[0]["type"] == "missing"
