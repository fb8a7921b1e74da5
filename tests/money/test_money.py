"""Money: exact amounts, ISO 4217 minor units, floats refused, rounding only by name."""

import decimal
from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision
from hypothesis import given
from hypothesis import strategies as st

from tollway.money import (
    CurrencyMismatchError,
    FloatNotAllowedError,
    InvalidAmountError,
    Money,
    RoundingMode,
    UnknownCurrencyError,
    all_currencies,
    currency,
    format_money,
    round_decimal,
    sum_money,
    to_decimal,
)


class TestCurrencies:
    def test_minor_units_of_zero_two_and_three_decimal_currencies(self) -> None:
        assert currency("JPY").minor_units == 0
        assert currency("USD").minor_units == 2
        assert currency("BHD").minor_units == 3
        assert currency("CLF").minor_units == 4
        assert currency("KWD").minor_unit == Decimal("0.001")

    def test_lookup_is_case_insensitive_and_strips(self) -> None:
        assert currency(" eur ") == currency("EUR")

    def test_unknown_code_names_the_code(self) -> None:
        with pytest.raises(UnknownCurrencyError, match="'XYZ'"):
            currency("XYZ")

    def test_withdrawn_and_non_monetary_codes_are_not_billable(self) -> None:
        for code in ("ANG", "HRK", "SLL", "ZWL", "XAU", "XXX", "XTS"):
            with pytest.raises(UnknownCurrencyError):
                currency(code)

    def test_every_active_code_is_listed_with_a_three_digit_numeric(self) -> None:
        codes = [found.code for found in all_currencies()]
        assert len(codes) == 165
        assert codes == sorted(codes)
        assert all(
            len(found.numeric) == 3 and found.numeric.isdigit() for found in all_currencies()
        )
        numerics = [found.numeric for found in all_currencies()]
        assert len(set(numerics)) == len(numerics)

    def test_iso_minor_units_differ_from_cldr_only_where_known(self) -> None:
        # CLDR's "digits" (what babel rounds to) is a display choice; invoices follow ISO 4217.
        differing = {
            found.code
            for found in all_currencies()
            if get_currency_precision(found.code) != found.minor_units
        }
        assert differing == {
            "AFN", "ALL", "IQD", "IRR", "KPW", "LAK", "LBP", "MGA", "MMK", "RSD", "SOS", "SYP",
            "YER",
        }  # fmt: skip


class TestConstruction:
    def test_from_string_int_and_decimal(self) -> None:
        assert Money.of("12.50", "USD").amount == Decimal("12.50")
        assert Money.of(12, "USD").amount == Decimal(12)
        assert Money.of(Decimal("0.1"), "USD").amount == Decimal("0.1")

    def test_float_is_refused_with_a_fix(self) -> None:
        with pytest.raises(FloatNotAllowedError, match=r'as a string such as "0\.1"'):
            Money.of(0.1, "USD")  # type: ignore[arg-type]

    def test_float_factor_is_refused(self) -> None:
        with pytest.raises(FloatNotAllowedError):
            Money.of("1", "USD") * 1.5  # type: ignore[operator]

    @pytest.mark.parametrize("bad", ["abc", "", "NaN", "Infinity", True])
    def test_not_a_number_is_refused(self, bad: object) -> None:
        with pytest.raises(InvalidAmountError):
            to_decimal(bad, field="unit_price")

    def test_error_names_the_field(self) -> None:
        with pytest.raises(InvalidAmountError, match=r"^unit_price: 'abc' is not a number$"):
            to_decimal("abc", field="unit_price")

    def test_underscores_as_digit_separators(self) -> None:
        assert to_decimal("1_000_000.25") == Decimal("1000000.25")

    def test_float_operation_is_trapped_in_tests(self) -> None:
        # conftest.py traps FloatOperation so a float mixed into Decimal maths anywhere fails a test.
        with pytest.raises(decimal.FloatOperation):
            Decimal(0.1)  # type: ignore[arg-type]  # noqa: RUF032


class TestMinorUnits:
    def test_round_trip_through_minor_units(self) -> None:
        assert Money.from_minor(1234, "USD").amount == Decimal("12.34")
        assert Money.from_minor(1234, "JPY").amount == Decimal(1234)
        assert Money.from_minor(1234, "BHD").amount == Decimal("1.234")
        assert Money.of("12.34", "USD").to_minor() == 1234

    def test_unrounded_amount_does_not_convert(self) -> None:
        with pytest.raises(InvalidAmountError, match="round it first"):
            Money.of("1.005", "USD").to_minor()

    def test_zero_decimal_currency_is_not_billed_100x(self) -> None:
        # The known bug class: 500 JPY stored as 50000 "cents".
        assert Money.of("500", "JPY").to_minor() == 500


class TestRounding:
    @pytest.mark.parametrize(
        ("mode", "amount", "expected"),
        [
            (RoundingMode.HALF_UP, "2.345", "2.35"),
            (RoundingMode.HALF_EVEN, "2.345", "2.34"),
            (RoundingMode.HALF_EVEN, "2.355", "2.36"),
            (RoundingMode.UP, "2.341", "2.35"),
            (RoundingMode.DOWN, "2.349", "2.34"),
            (RoundingMode.HALF_UP, "-2.345", "-2.35"),
            (RoundingMode.UP, "-2.341", "-2.35"),
            (RoundingMode.DOWN, "-2.349", "-2.34"),
        ],
    )
    def test_named_modes_in_usd(self, mode: RoundingMode, amount: str, expected: str) -> None:
        assert Money.of(amount, "USD").rounded(mode).amount == Decimal(expected)

    def test_jpy_rounds_to_whole_yen_and_bhd_to_fils(self) -> None:
        assert Money.of("100.5", "JPY").rounded(RoundingMode.HALF_UP).amount == Decimal(101)
        assert Money.of("100.5", "JPY").rounded(RoundingMode.HALF_EVEN).amount == Decimal(100)
        assert Money.of("1.0005", "BHD").rounded(RoundingMode.HALF_UP).amount == Decimal("1.001")

    def test_round_to_explicit_decimals(self) -> None:
        assert Money.of("0.123456", "USD").rounded(RoundingMode.UP, decimals=5).amount == Decimal(
            "0.12346"
        )

    def test_round_decimal_refuses_non_decimal(self) -> None:
        with pytest.raises(AssertionError):
            round_decimal(1, decimals=2, mode=RoundingMode.HALF_UP)  # type: ignore[arg-type]

    @given(
        st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False),
        st.sampled_from(list(RoundingMode)),
        st.sampled_from(["JPY", "USD", "BHD"]),
    )
    def test_rounding_moves_less_than_one_minor_unit(
        self, amount: Decimal, mode: RoundingMode, code: str
    ) -> None:
        money = Money(amount, currency(code))
        rounded = money.rounded(mode)
        drift = abs(rounded.amount - amount)
        unit = currency(code).minor_unit
        assert rounded.is_rounded
        if mode in (RoundingMode.HALF_UP, RoundingMode.HALF_EVEN):
            assert drift <= unit / 2
        else:
            assert drift < unit


class TestArithmetic:
    def test_add_subtract_negate(self) -> None:
        a, b = Money.of("10.10", "EUR"), Money.of("0.05", "EUR")
        assert (a + b).amount == Decimal("10.15")
        assert (a - b).amount == Decimal("10.05")
        assert (-a).amount == Decimal("-10.10")
        assert abs(-a) == a

    def test_negation_keeps_every_digit(self) -> None:
        # 38 significant digits survive; the default context (28 digits) would round them.
        long = Money.of("1234567890.1234567890123456789012345678", "USD")
        assert (-long).amount == Decimal("-1234567890.1234567890123456789012345678")
        assert abs(-long) == long

    def test_currencies_never_mix(self) -> None:
        with pytest.raises(CurrencyMismatchError, match="USD and EUR"):
            Money.of("1", "USD") + Money.of("1", "EUR")
        with pytest.raises(CurrencyMismatchError):
            assert Money.of("1", "USD") < Money.of("2", "EUR")

    def test_multiply_keeps_precision(self) -> None:
        assert (Money.of("0.0123", "USD") * Decimal("1000.5")).amount == Decimal("12.30615")
        assert (3 * Money.of("19.99", "USD")).amount == Decimal("59.97")

    def test_comparisons_and_equality_ignore_trailing_zeros(self) -> None:
        assert Money.of("1.0", "USD") == Money.of("1.00", "USD")
        assert Money.of("1", "USD") < Money.of("1.01", "USD")
        assert Money.of("2", "USD") >= Money.of("2.00", "USD")

    def test_sum_money_of_nothing_is_zero_in_the_named_currency(self) -> None:
        assert sum_money([], "JPY") == Money.zero("JPY")
        assert sum_money([Money.of("1.1", "USD"), Money.of("2.2", "USD")], "USD").amount == Decimal(
            "3.3"
        )


class TestAllocate:
    def test_three_way_split_of_100_usd(self) -> None:
        parts = Money.of("100", "USD").allocate(["1", "1", "1"], RoundingMode.DOWN)
        assert [part.amount for part in parts] == [
            Decimal("33.34"),
            Decimal("33.33"),
            Decimal("33.33"),
        ]

    def test_weighted_split_in_jpy(self) -> None:
        # 1000 JPY at 20/80: 200 and 800 exactly.
        parts = Money.of("1000", "JPY").allocate(["20", "80"], RoundingMode.HALF_UP)
        assert [part.amount for part in parts] == [Decimal(200), Decimal(800)]

    @given(
        st.integers(min_value=0, max_value=10**9),
        st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(
            lambda weights: sum(weights) > 0
        ),
        st.sampled_from(list(RoundingMode)),
    )
    def test_parts_always_sum_to_the_whole(
        self, amount_minor: int, weights: list[int], mode: RoundingMode
    ) -> None:
        whole = Money.from_minor(amount_minor, "BHD")
        parts = whole.allocate(weights, mode)
        assert sum_money(parts, "BHD") == whole
        assert all(part.is_rounded for part in parts)


class TestFormatting:
    def test_locale_formats_with_iso_decimals(self) -> None:
        assert format_money(Money.of("1234.5", "USD")) == "$1,234.50"
        assert format_money(Money.of("1234", "JPY"), locale="ja_JP") == "￥1,234"
        assert format_money(Money.of("-12.3", "EUR"), locale="de_DE") == "-12,30\xa0€"
        assert format_money(Money.of("5", "IQD")) == "IQD5.000"
        assert (
            format_money(Money.of("1234567.5", "EUR"), locale="fr_FR")
            == "1\u202f234\u202f567,50\xa0€"
        )
