"""Options given as text (a tenant's settings, a price file, a command line) become the named
options, and an unknown option or value is an error that names it and lists what is allowed."""

import dataclasses
import typing
from decimal import Decimal
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollway.conventions import (
    ConventionError,
    Conventions,
    CreditBasis,
    PackageRounding,
    PartialDay,
    ProrationBasis,
    ProrationDenominator,
    TierBounds,
    VolumeTierLookup,
    profile,
)
from tollway.money import RoundingMode, RoundingStage, TollwayError, currency
from tollway.pricing._result import BreakdownLine, finalize

ENUM_OPTIONS: dict[str, type[StrEnum]] = {
    "rounding_mode": RoundingMode,
    "rounding_stage": RoundingStage,
    "tier_bounds": TierBounds,
    "volume_tier_lookup": VolumeTierLookup,
    "package_rounding": PackageRounding,
    "proration_basis": ProrationBasis,
    "proration_denominator": ProrationDenominator,
    "partial_day": PartialDay,
    "credit_basis": CreditBasis,
}
USD = currency("USD")


def usd_total(amounts: list[str], conventions: Conventions) -> Decimal:
    """The amount `finalize` charges for breakdown lines of these exact USD amounts."""
    lines = [
        BreakdownLine("tier", f"tier {index}", Decimal(1), None, Decimal(amount))
        for index, amount in enumerate(amounts, start=1)
    ]
    result = finalize(lines, quantity=Decimal(len(lines)), currency=USD, conventions=conventions)
    return result.amount.amount


class TestStringsBecomeOptions:
    def test_rounding_stage_per_line_as_text_rounds_the_line(self) -> None:
        # Two tiers of 0.333 USD: per line, 0.666 is rounded once to 0.67. The text "per_line"
        # used to be kept as a plain string and leave the line unrounded at 0.666.
        per_line = (
            profile("tollway")
            .replace(rounding_stage="per_increment")
            .replace(rounding_stage="per_line")
        )
        assert per_line.rounding_stage is RoundingStage.PER_LINE
        assert usd_total(["0.333", "0.333"], per_line) == Decimal("0.67")

    def test_rounding_mode_half_up_as_text_rounds_half_up(self) -> None:
        # 1.005 USD: half-up gives 1.01 (half-even would give 1.00). The text "half_up" used to
        # raise AttributeError when the amount was rounded.
        half_even = profile("tollway").replace(rounding_mode=RoundingMode.HALF_EVEN)
        assert usd_total(["1.005"], half_even) == Decimal("1.00")
        half_up = half_even.replace(rounding_mode="half_up")
        assert half_up.rounding_mode is RoundingMode.HALF_UP
        assert usd_total(["1.005"], half_up) == Decimal("1.01")

    @pytest.mark.parametrize(
        ("option", "member"),
        [(option, member) for option, kind in ENUM_OPTIONS.items() for member in kind],
    )
    def test_every_value_of_every_option_is_accepted_as_text(
        self, option: str, member: StrEnum
    ) -> None:
        changed = profile("lago").replace(**{option: member.value})
        assert getattr(changed, option) is member
        assert changed.name == "lago+custom"

    def test_conventions_built_directly_from_text_hold_the_options(self) -> None:
        fields = dataclasses.asdict(profile("killbill"))
        as_text = {
            name: str(value) if name in ENUM_OPTIONS else value for name, value in fields.items()
        }
        built = Conventions(**as_text)  # type: ignore[arg-type]
        assert built == profile("killbill")
        assert built.partial_day is PartialDay.CALENDAR_DATE


class TestUnknownOptionsAndValues:
    def test_every_enum_option_is_checked(self) -> None:
        hints = typing.get_type_hints(Conventions)
        enum_fields = {
            name
            for name, kind in hints.items()
            if isinstance(kind, type) and issubclass(kind, StrEnum)
        }
        assert enum_fields == set(ENUM_OPTIONS)
        for option in enum_fields:
            with pytest.raises(ConventionError):
                profile().replace(**{option: "nope"})

    def test_a_misspelt_option_names_itself_and_lists_the_options(self) -> None:
        with pytest.raises(ConventionError) as raised:
            profile().replace(rounding_mod="half_up")
        assert isinstance(raised.value, TollwayError)
        assert raised.value.code == "invalid_convention"
        assert raised.value.option == "rounding_mod"
        assert raised.value.message.startswith("rounding_mod: is not a convention option")
        for option in ("rounding_mode", "rounding_stage", "proration_basis", "time_zone"):
            assert option in raised.value.message

    def test_an_unknown_value_lists_the_allowed_ones(self) -> None:
        with pytest.raises(ConventionError) as raised:
            profile().replace(rounding_mode="half-up")
        assert raised.value.option == "rounding_mode"
        assert raised.value.message == (
            "rounding_mode: 'half-up' is not one of half_up, half_even, up, down"
        )

    @pytest.mark.parametrize("option", sorted(ENUM_OPTIONS))
    def test_a_value_of_the_wrong_type_is_refused(self, option: str) -> None:
        with pytest.raises(ConventionError, match=f"^{option}: 1 is not one of"):
            profile().replace(**{option: 1})

    def test_flat_fee_at_zero_is_true_or_false(self) -> None:
        with pytest.raises(ConventionError, match="flat_fee_at_zero: 'yes' is not true or false"):
            profile().replace(flat_fee_at_zero="yes")

    @pytest.mark.parametrize(
        ("option", "value", "largest"),
        [
            ("increment_rounding_decimals", 13, 12),
            ("increment_rounding_decimals", -1, 12),
            ("increment_rounding_decimals", "5", 12),
            ("increment_rounding_decimals", True, 12),
            ("proration_fraction_decimals", 29, 28),
        ],
    )
    def test_decimals_are_a_whole_number_in_range_or_none(
        self, option: str, value: object, largest: int
    ) -> None:
        with pytest.raises(ConventionError, match=f"from 0 to {largest}, or None") as raised:
            profile().replace(**{option: value})
        assert raised.value.option == option

    @pytest.mark.parametrize("value", ["", None, 9])
    def test_time_zone_is_a_zone_name(self, value: object) -> None:
        with pytest.raises(ConventionError, match=r"^time_zone: .* is not an IANA time zone name"):
            profile().replace(time_zone=value)

    def test_an_empty_name_is_refused(self) -> None:
        with pytest.raises(ConventionError, match=r"^name: must be a non-empty string"):
            profile().replace(name="")


@given(st.sampled_from(sorted(ENUM_OPTIONS)), st.text(max_size=20))
def test_text_is_either_an_option_value_or_refused_by_name(option: str, text: str) -> None:
    allowed = {member.value for member in ENUM_OPTIONS[option]}
    if text in allowed:
        assert getattr(profile().replace(**{option: text}), option) == text
    else:
        with pytest.raises(ConventionError) as raised:
            profile().replace(**{option: text})
        assert raised.value.option == option
        assert all(value in raised.value.message for value in allowed)
