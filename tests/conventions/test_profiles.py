"""Compatibility profiles: each one reproduces its system's published semantics.

Every verified fact of every profile is one test case named after the system and the source it
comes from (docs/conventions.md lists them), so an edit that breaks compatibility with, say,
Kill Bill fails a test that says "killbill" and where to look. The worked examples are the
systems' own numbers, copied from their documentation and test suites and checked by hand.
"""

import dataclasses
import typing
from decimal import Decimal
from enum import Enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollway.conventions import (
    PROFILE_NAMES,
    ConventionError,
    Conventions,
    CreditBasis,
    PackageRounding,
    PartialDay,
    ProrationBasis,
    ProrationDenominator,
    TierBounds,
    UnknownProfileError,
    VolumeTierLookup,
    profile,
)
from tollway.money import (
    MONEY_CONTEXT,
    RoundingMode,
    RoundingStage,
    TollwayError,
    currency,
    round_decimal,
)
from tollway.pricing._result import BreakdownLine, finalize

OPTION_NAMES = tuple(
    field.name for field in dataclasses.fields(Conventions) if field.name != "name"
)


class TestProfilesAreCompleteAndNamed:
    def test_the_profiles_are_tollway_and_the_five_systems_it_migrates_from(self) -> None:
        assert PROFILE_NAMES == ("tollway", "lago", "killbill", "stripe", "openmeter", "cgrates")

    @pytest.mark.parametrize("name", PROFILE_NAMES)
    def test_a_profile_carries_its_own_name(self, name: str) -> None:
        assert profile(name).name == name

    @pytest.mark.parametrize("name", PROFILE_NAMES)
    def test_every_option_of_a_profile_is_set_with_its_own_type(self, name: str) -> None:
        hints = typing.get_type_hints(Conventions)
        for option in OPTION_NAMES:
            value = getattr(profile(name), option)
            expected = hints[option]
            if isinstance(expected, type) and issubclass(expected, Enum):
                # A raw string such as "half_up" would compare equal but is not an option.
                assert type(value) is expected, f"{name}.{option} is {value!r}"
            elif expected is bool:
                assert isinstance(value, bool), f"{name}.{option} is {value!r}"

    def test_no_profile_is_called_without_a_name(self) -> None:
        assert profile() is profile("tollway")

    def test_an_unknown_profile_names_every_choice(self) -> None:
        with pytest.raises(UnknownProfileError) as raised:
            profile("nope")
        assert isinstance(raised.value, TollwayError)
        assert raised.value.code == "unknown_profile"
        assert "'nope'" in raised.value.message
        for name in PROFILE_NAMES:
            assert name in raised.value.message


class TestReplace:
    def test_replace_changes_one_option_and_marks_the_profile_customised(self) -> None:
        lago = profile("lago")
        tokyo = lago.replace(time_zone="Asia/Tokyo")
        assert tokyo.time_zone == "Asia/Tokyo"
        assert tokyo.name == "lago+custom"
        assert tokyo.volume_tier_lookup is VolumeTierLookup.CEIL
        assert lago.time_zone == "UTC"  # the profile itself is untouched

    def test_replace_keeps_a_name_given_explicitly(self) -> None:
        tenant = profile("killbill").replace(name="acme-killbill", time_zone="Europe/Paris")
        assert tenant.name == "acme-killbill"

    def test_customising_twice_marks_the_name_once(self) -> None:
        twice = profile("stripe").replace(credit_basis=CreditBasis.LAST_BILLED_PRICE)
        twice = twice.replace(time_zone="America/New_York")
        assert twice.name == "stripe+custom"

    def test_conventions_are_frozen(self) -> None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            profile().rounding_mode = RoundingMode.DOWN  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("option", "value"),
        [
            ("increment_rounding_decimals", 13),
            ("increment_rounding_decimals", -1),
            ("proration_fraction_decimals", 29),
            ("time_zone", ""),
        ],
    )
    def test_an_out_of_range_option_is_refused_by_name(self, option: str, value: object) -> None:
        with pytest.raises(ConventionError) as raised:
            profile().replace(**{option: value})
        assert raised.value.option == option

    @given(data=st.data())
    def test_replace_changes_exactly_the_option_asked_for(self, data: st.DataObject) -> None:
        base = profile(data.draw(st.sampled_from(PROFILE_NAMES)))
        option = data.draw(st.sampled_from(OPTION_NAMES))
        value = data.draw(_OPTION_VALUES[option])
        changed = base.replace(**{option: value})
        assert getattr(changed, option) == value
        for other in OPTION_NAMES:
            if other != option:
                assert getattr(changed, other) == getattr(base, other)


_OPTION_VALUES: dict[str, st.SearchStrategy[object]] = {
    "rounding_mode": st.sampled_from(RoundingMode),
    "rounding_stage": st.sampled_from(RoundingStage),
    "tier_bounds": st.sampled_from(TierBounds),
    "volume_tier_lookup": st.sampled_from(VolumeTierLookup),
    "flat_fee_at_zero": st.booleans(),
    "package_rounding": st.sampled_from(PackageRounding),
    "increment_rounding_decimals": st.none() | st.integers(0, 12),
    "proration_basis": st.sampled_from(ProrationBasis),
    "proration_denominator": st.sampled_from(ProrationDenominator),
    "partial_day": st.sampled_from(PartialDay),
    "proration_fraction_decimals": st.none() | st.integers(0, 28),
    "credit_basis": st.sampled_from(CreditBasis),
    "time_zone": st.sampled_from(["UTC", "Asia/Tokyo", "Asia/Bahrain", "America/New_York"]),
}


def test_every_option_has_a_strategy_in_the_property_test() -> None:
    assert set(_OPTION_VALUES) == set(OPTION_NAMES)


# (profile, option, value, source): one case per verified fact. Sources are in
# docs/conventions.md; "not confirmed" values are deliberately absent from this table.
VERIFIED_FACTS = [
    # Lago (getlago/lago-api)
    ("lago", "rounding_mode", RoundingMode.HALF_UP, "fees/charge_service.rb BigDecimal#round"),
    ("lago", "rounding_stage", RoundingStage.PER_LINE, "fees/charge_service.rb, once per fee"),
    ("lago", "tier_bounds", TierBounds.INCLUSIVE_INTEGER, "range_graduated_service.rb units"),
    ("lago", "volume_tier_lookup", VolumeTierLookup.CEIL, "volume_service.rb units.ceil"),
    ("lago", "flat_fee_at_zero", True, "lago-api#5760"),
    ("lago", "package_rounding", PackageRounding.UP, "package_service.rb ceil"),
    ("lago", "proration_basis", ProrationBasis.DAYS_INCLUSIVE, "utils/datetime.rb"),
    ("lago", "proration_denominator", ProrationDenominator.ACTUAL_PERIOD, "dates/*_service.rb"),
    ("lago", "partial_day", PartialDay.CEIL, "utils/datetime.rb fdiv(1.day).ceil"),
    ("lago", "credit_basis", CreditBasis.LAST_BILLED_PRICE, "create_from_termination.rb"),
    # Kill Bill (killbill/killbill)
    ("killbill", "rounding_mode", RoundingMode.HALF_UP, "KillBillMoney.ROUNDING_METHOD"),
    ("killbill", "rounding_stage", RoundingStage.PER_LINE, "KillBillMoney.of per item, #1124"),
    ("killbill", "tier_bounds", TierBounds.UP_TO_INCLUSIVE, "blocks overflow only past max"),
    ("killbill", "volume_tier_lookup", VolumeTierLookup.EXACT, "TOP_TIER block lookup"),
    ("killbill", "flat_fee_at_zero", False, "usage tiers have no flat fee"),
    ("killbill", "package_rounding", PackageRounding.UP, "partial block rounded up"),
    ("killbill", "proration_basis", ProrationBasis.DAYS_END_EXCLUSIVE, "Days.daysBetween"),
    (
        "killbill",
        "proration_denominator",
        ProrationDenominator.BILL_CYCLE_ALIGNED,
        "InvoiceDateUtils",
    ),
    ("killbill", "partial_day", PartialDay.CALENDAR_DATE, "LocalDate in account time zone"),
    ("killbill", "proration_fraction_decimals", 9, "KillBillMoney.MAX_SCALE"),
    ("killbill", "credit_basis", CreditBasis.LAST_BILLED_PRICE, "tree/Item.java repair"),
    # Stripe (docs.stripe.com)
    ("stripe", "rounding_stage", RoundingStage.PER_LINE, "decimal-amounts: line item level"),
    ("stripe", "tier_bounds", TierBounds.UP_TO_INCLUSIVE, "API: tiers.up_to"),
    ("stripe", "volume_tier_lookup", VolumeTierLookup.EXACT, "API: tiers.up_to"),
    ("stripe", "proration_basis", ProrationBasis.SECONDS, "prorations: period start/end times"),
    ("stripe", "proration_denominator", ProrationDenominator.ACTUAL_PERIOD, "prorations"),
    ("stripe", "partial_day", PartialDay.EXACT, "prorations: timestamps, not days"),
    ("stripe", "credit_basis", CreditBasis.CURRENT_PRICE, "billing-mode/compare: classic"),
    # OpenMeter (openmeterio/openmeter)
    ("openmeter", "rounding_mode", RoundingMode.HALF_UP, "pkg/currencyx FiatRounding"),
    ("openmeter", "rounding_stage", RoundingStage.PER_INCREMENT, "lineservice detailed lines"),
    ("openmeter", "tier_bounds", TierBounds.UP_TO_INCLUSIVE, "pricegraduatedtiered.go"),
    ("openmeter", "volume_tier_lookup", VolumeTierLookup.EXACT, "pricevolumetiered.go"),
    ("openmeter", "flat_fee_at_zero", True, "pricegraduatedtiered.go, pricevolumetiered.go"),
    ("openmeter", "package_rounding", PackageRounding.UP, "pricepackage.go"),
    ("openmeter", "proration_basis", ProrationBasis.SECONDS, "charges/flatfee duration ratio"),
    ("openmeter", "proration_denominator", ProrationDenominator.ACTUAL_PERIOD, "flatfee"),
    ("openmeter", "partial_day", PartialDay.EXACT, "charges/flatfee duration ratio"),
    # CGRateS (cgrates/cgrates)
    ("cgrates", "rounding_mode", RoundingMode.HALF_UP, "utils.Round *middle"),
    ("cgrates", "increment_rounding_decimals", 5, "config_defaults.go rounding_decimals"),
    ("cgrates", "package_rounding", PackageRounding.UP, "usage rounded up to increments"),
]


@pytest.mark.parametrize(
    ("name", "option", "value", "source"),
    VERIFIED_FACTS,
    ids=[
        f"{name}: {option} = {value} ({source})" for name, option, value, source in VERIFIED_FACTS
    ],
)
def test_profile_reproduces_the_systems_published_semantics(
    name: str, option: str, value: object, source: str
) -> None:
    assert getattr(profile(name), option) == value, f"{name} must keep {option}={value} ({source})"


TOLLWAY_DEFAULTS = [
    ("rounding_mode", RoundingMode.HALF_UP),
    ("rounding_stage", RoundingStage.PER_LINE),
    ("tier_bounds", TierBounds.UP_TO_INCLUSIVE),
    ("volume_tier_lookup", VolumeTierLookup.EXACT),
    ("flat_fee_at_zero", False),
    ("package_rounding", PackageRounding.UP),
    ("increment_rounding_decimals", None),
    ("proration_basis", ProrationBasis.DAYS_END_EXCLUSIVE),
    ("proration_denominator", ProrationDenominator.ACTUAL_PERIOD),
    ("partial_day", PartialDay.EXACT),
    ("proration_fraction_decimals", None),
    ("credit_basis", CreditBasis.LAST_BILLED_PRICE),
    ("time_zone", "UTC"),
]


@pytest.mark.parametrize(
    ("option", "value"), TOLLWAY_DEFAULTS, ids=[o for o, _ in TOLLWAY_DEFAULTS]
)
def test_tollway_default_is_the_documented_one(option: str, value: object) -> None:
    assert getattr(profile("tollway"), option) == value


def test_every_tollway_default_is_pinned() -> None:
    assert {option for option, _ in TOLLWAY_DEFAULTS} == set(OPTION_NAMES)


class TestWorkedExamplesFromTheSystems:
    """The systems' own numbers, reproduced with the profile's options."""

    def test_killbill_keeps_23_of_31_days_at_nine_decimals(self) -> None:
        # Kill Bill TestInvoiceDateUtilsWithoutFixedProration: 23 May → 15 June 2023, cycle day
        # 15, so the period is 15 May → 15 June = 31 days: 23/31 = 0.74193548387... → 0.741935484.
        killbill = profile("killbill")
        fraction = MONEY_CONTEXT.divide(Decimal(23), Decimal(31))
        decimals = killbill.proration_fraction_decimals
        assert decimals is not None
        kept = round_decimal(fraction, decimals=decimals, mode=RoundingMode.HALF_UP)
        assert kept == Decimal("0.741935484")

    def test_killbill_fixed_30_days_example_is_thirty_360(self) -> None:
        # Kill Bill with org.killbill.invoice.proration.fixed.days=30: 23 May → 15 June is
        # 23 days - (31 - 30) = 22 days; 30/360 gives (30 - 23) + 15 = 22 too. 22/30 = 0.733333333.
        fraction = MONEY_CONTEXT.divide(Decimal(22), Decimal(30))
        assert round_decimal(fraction, decimals=9, mode=RoundingMode.HALF_UP) == Decimal(
            "0.733333333"
        )

    def test_stripe_rounds_one_and_a_half_cents_to_two(self) -> None:
        # docs.stripe.com decimal amounts: 0.05 cents × 30 = 1.5 cents, "rounded up to 2 cents".
        stripe = profile("stripe")
        line = Decimal("0.0005") * 30
        assert round_decimal(line, decimals=2, mode=stripe.rounding_mode) == Decimal("0.02")

    @pytest.mark.parametrize(
        ("code", "precise", "rounded"),
        [("USD", "1.23456789", "1.23"), ("USD", "1.23556789", "1.24"), ("JPY", "1.9556789", "2")],
    )
    def test_openmeter_rounds_to_the_currencys_subunits(
        self, code: str, precise: str, rounded: str
    ) -> None:
        # OpenMeter pkg/currencyx/currency_test.go TestRoundToPrecision.
        openmeter = profile("openmeter")
        places = currency(code).minor_units
        result = round_decimal(Decimal(precise), decimals=places, mode=openmeter.rounding_mode)
        assert result == Decimal(rounded)

    def test_cgrates_rounds_an_increment_to_five_decimals_half_up(self) -> None:
        # 1 s of a 0.01-per-minute rate: 0.01 / 60 = 0.000166666... → 0.00017 at 5 decimals.
        cgrates = profile("cgrates")
        decimals = cgrates.increment_rounding_decimals
        assert decimals is not None
        increment = MONEY_CONTEXT.divide(Decimal("0.01"), Decimal(60))
        kept = round_decimal(increment, decimals=decimals, mode=cgrates.rounding_mode)
        assert kept == Decimal("0.00017")

    @pytest.mark.parametrize(
        ("code", "tier_amount", "lago_total", "openmeter_total"),
        [
            # Two tiers of 0.333 USD: Lago rounds 0.666 once → 0.67; OpenMeter 0.33 + 0.33.
            ("USD", "0.333", "0.67", "0.66"),
            # JPY has no minor unit: 0.4 + 0.4 yen is 1 yen once, 0 + 0 per tier.
            ("JPY", "0.4", "1", "0"),
            # BHD has three decimals: 0.0004 + 0.0004 is 0.001 once, 0.000 + 0.000 per tier.
            ("BHD", "0.0004", "0.001", "0.000"),
        ],
    )
    def test_openmeter_rounds_each_tier_where_lago_rounds_the_fee(
        self, code: str, tier_amount: str, lago_total: str, openmeter_total: str
    ) -> None:
        amount = Decimal(tier_amount)
        tiers = [
            BreakdownLine("tier", "first tier", Decimal(1), amount, amount, tier=1),
            BreakdownLine("tier", "second tier", Decimal(1), amount, amount, tier=2),
        ]
        iso = currency(code)
        lago = finalize(tiers, quantity=Decimal(2), currency=iso, conventions=profile("lago"))
        openmeter = finalize(
            tiers, quantity=Decimal(2), currency=iso, conventions=profile("openmeter")
        )
        assert lago.amount.amount == Decimal(lago_total)
        assert openmeter.amount.amount == Decimal(openmeter_total)


@pytest.mark.parametrize("name", PROFILE_NAMES)
@pytest.mark.parametrize(
    ("code", "half_a_minor_unit", "rounded"),
    [("JPY", "0.5", "1"), ("USD", "0.005", "0.01"), ("BHD", "0.0005", "0.001")],
)
def test_every_profile_rounds_half_a_minor_unit_up(
    name: str, code: str, half_a_minor_unit: str, rounded: str
) -> None:
    # All six systems round half-up; the minor unit comes from ISO 4217, never assumed to be 2.
    mode = profile(name).rounding_mode
    places = currency(code).minor_units
    assert round_decimal(Decimal(half_a_minor_unit), decimals=places, mode=mode) == Decimal(rounded)
