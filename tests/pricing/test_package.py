"""Flat fees, per-unit prices and packages of units, and their schema.

Every expected amount is worked out by hand in the comment above it.
"""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tollway.conventions import Conventions, PackageRounding, profile
from tollway.money import Currency, Money, RoundingMode, currency
from tollway.pricing import PriceResult, UsageError, UsageEvent
from tollway.pricing._errors import PriceDefinitionError
from tollway.pricing._package import Flat, Package, PerUnit
from tollway.pricing.schema._tiers import FlatSpec, PackageSpec, PerUnitSpec

USD = currency("USD")
JPY = currency("JPY")
BHD = currency("BHD")
TOLLWAY = profile("tollway")
ROUND_DOWN = TOLLWAY.replace(package_rounding=PackageRounding.DOWN)


def charge(
    model: Flat | PerUnit | Package,
    *quantities: str,
    in_currency: Currency = USD,
    conventions: Conventions = TOLLWAY,
) -> PriceResult:
    events = [UsageEvent.of(quantity) for quantity in quantities]
    return model.price(events, currency=in_currency, conventions=conventions)


def lines_of(result: PriceResult) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.kind, line.quantity, line.amount) for line in result.lines]


# SMS bundles, USD: the first 50 SMS free, then packages of 100 SMS at 5.00.
SMS = Package.of(package_size="100", package_price="5", free_units="50")


class TestFlat:
    def test_the_same_amount_whatever_the_usage(self) -> None:
        port = Flat.of("49.90")
        for quantities in ((), ("0",), ("1000", "2.5")):
            result = charge(port, *quantities)
            assert result.amount == Money.of("49.90", "USD")
            assert lines_of(result) == [("flat", Decimal("1"), Decimal("49.90"))]

    def test_yen_and_dinar(self) -> None:
        # 4999.5 JPY rounds half-up to 5000; 12.3455 BHD to 12.346
        assert charge(Flat.of("4999.5"), in_currency=JPY).amount == Money.of("5000", "JPY")
        assert charge(Flat.of("12.3455"), in_currency=BHD).amount == Money.of("12.346", "BHD")

    def test_a_negative_amount_is_refused(self) -> None:
        with pytest.raises(PriceDefinitionError, match="zero or more") as raised:
            Flat.of("-1")
        assert raised.value.field == "amount"


class TestPerUnit:
    def test_quantity_times_unit_price(self) -> None:
        result = charge(PerUnit.of("0.25"), "10.5", "2")
        # 12.5 GB x 0.25 = 3.125: half-up 3.13, half-even 3.12
        assert result.precise_amount == Decimal("3.125")
        assert result.amount == Money.of("3.13", "USD")
        half_even = TOLLWAY.replace(rounding_mode=RoundingMode.HALF_EVEN)
        assert charge(PerUnit.of("0.25"), "12.5", conventions=half_even).amount == Money.of(
            "3.12", "USD"
        )
        assert lines_of(result) == [("per_unit", Decimal("12.5"), Decimal("3.125"))]

    def test_zero_usage(self) -> None:
        assert charge(PerUnit.of("0.25"), "0").amount == Money.of("0.00", "USD")
        assert charge(PerUnit.of("0.25")).amount == Money.of("0.00", "USD")

    def test_yen_and_dinar(self) -> None:
        # 10.5 min x 3 JPY = 31.5 → 32 JPY; 10.5 GB x 0.0125 BHD = 0.13125 → 0.131 BHD
        assert charge(PerUnit.of("3"), "10.5", in_currency=JPY).amount == Money.of("32", "JPY")
        assert charge(PerUnit.of("0.0125"), "10.5", in_currency=BHD).amount == Money.of(
            "0.131", "BHD"
        )

    def test_a_negative_correction_becomes_a_credit(self) -> None:
        # 5 GB billed, then a 15 GB correction: -10 x 0.25 = -2.50
        assert charge(PerUnit.of("0.25"), "5", "-15").amount == Money.of("-2.50", "USD")

    def test_a_negative_unit_price_is_refused(self) -> None:
        with pytest.raises(PriceDefinitionError) as raised:
            PerUnit.of("-0.25")
        assert raised.value.field == "unit_price"


class TestPackage:
    def test_a_started_package_counts_under_package_rounding_up(self) -> None:
        result = charge(SMS, "300")
        # 300 - 50 free = 250 SMS = 2.5 packages → 3 x 5.00 = 15.00
        assert result.amount == Money.of("15.00", "USD")
        assert lines_of(result) == [
            ("free_units", Decimal("50"), Decimal("0")),
            ("package", Decimal("3"), Decimal("15")),
        ]

    def test_only_complete_packages_count_under_package_rounding_down(self) -> None:
        # 250 paid SMS = 2.5 packages → 2 x 5.00 = 10.00 (Stripe `round: down`)
        assert charge(SMS, "300", conventions=ROUND_DOWN).amount == Money.of("10.00", "USD")

    def test_usage_exactly_on_a_package_bound_is_the_same_either_way(self) -> None:
        # 250 - 50 free = 200 = exactly 2 packages = 10.00
        assert charge(SMS, "250").amount == Money.of("10.00", "USD")
        assert charge(SMS, "250", conventions=ROUND_DOWN).amount == Money.of("10.00", "USD")
        # One more SMS starts a third package when rounding up
        assert charge(SMS, "251").amount == Money.of("15.00", "USD")

    def test_zero_usage_and_usage_within_the_free_units(self) -> None:
        result = charge(SMS, "0")
        assert result.amount == Money.of("0.00", "USD")
        assert lines_of(result) == [
            ("free_units", Decimal("0"), Decimal("0")),
            ("package", Decimal("0"), Decimal("0")),
        ]
        # 30 SMS, all free: never a negative number of packages
        result = charge(SMS, "30")
        assert result.amount == Money.of("0.00", "USD")
        assert lines_of(result)[0] == ("free_units", Decimal("30"), Decimal("0"))

    def test_fractional_usage_without_free_units(self) -> None:
        data = Package.of(package_size="10", package_price="2.50")
        # 150.5 GB = 15.05 packages: up 16 x 2.50 = 40.00, down 15 x 2.50 = 37.50; no free line
        result = charge(data, "150.5")
        assert result.amount == Money.of("40.00", "USD")
        assert [line.kind for line in result.lines] == ["package"]
        assert charge(data, "150.5", conventions=ROUND_DOWN).amount == Money.of("37.50", "USD")

    def test_yen_and_dinar(self) -> None:
        yen = Package.of(package_size="1000", package_price="550")
        dinar = Package.of(package_size="1", package_price="0.125")
        # 2001 SMS = 3 packages x 550 = 1650 JPY; 2.5 GB = 3 packages x 0.125 = 0.375 BHD
        assert charge(yen, "2001", in_currency=JPY).amount == Money.of("1650", "JPY")
        assert charge(dinar, "2.5", in_currency=BHD).amount == Money.of("0.375", "BHD")

    def test_lago_and_stripe_round_up(self) -> None:
        for name in ("lago", "stripe"):
            assert charge(SMS, "300", conventions=profile(name)).amount == Money.of("15", "USD")

    def test_negative_total_usage_is_refused(self) -> None:
        with pytest.raises(UsageError, match="package: the total quantity -1 is negative"):
            charge(SMS, "-1")

    @pytest.mark.parametrize(
        ("arguments", "field", "problem"),
        [
            ({"package_size": "0", "package_price": "5"}, "package_size", "greater than 0"),
            ({"package_size": "-10", "package_price": "5"}, "package_size", "zero or more"),
            ({"package_size": "10", "package_price": "-5"}, "package_price", "zero or more"),
            (
                {"package_size": "10", "package_price": "5", "free_units": "-1"},
                "free_units",
                "zero or more",
            ),
        ],
    )
    def test_invalid_packages_name_the_field(
        self, arguments: dict[str, str], field: str, problem: str
    ) -> None:
        with pytest.raises(PriceDefinitionError, match=problem) as raised:
            Package.of(**arguments)
        assert raised.value.field == field


class TestSchema:
    def test_specs_build_the_models(self) -> None:
        flat = FlatSpec.model_validate({"model": "flat", "amount": "49.90"})
        per_unit = PerUnitSpec.model_validate({"model": "per_unit", "unit_price": 2})
        package = PackageSpec.model_validate(
            {"model": "package", "package_size": 100, "package_price": "5", "free_units": "50"}
        )
        assert flat.build() == Flat.of("49.90")
        assert per_unit.build() == PerUnit.of("2")
        assert package.build() == SMS

    def test_free_units_default_to_zero(self) -> None:
        spec = PackageSpec.model_validate(
            {"model": "package", "package_size": "10", "package_price": "1"}
        )
        assert spec.build().free_units == 0

    def test_a_missing_field_and_a_float_are_refused(self) -> None:
        with pytest.raises(ValidationError) as raised:
            PackageSpec.model_validate({"model": "package", "package_size": "10"})
        assert [error["loc"] for error in raised.value.errors()] == [("package_price",)]
        with pytest.raises(ValidationError) as raised:
            PerUnitSpec.model_validate({"model": "per_unit", "unit_price": 0.1})
        assert "binary float" in raised.value.errors()[0]["msg"]

    def test_a_domain_problem_is_raised_by_build(self) -> None:
        spec = PackageSpec.model_validate(
            {"model": "package", "package_size": "0", "package_price": "1"}
        )
        with pytest.raises(PriceDefinitionError) as raised:
            spec.build()
        assert raised.value.field == "package_size"
