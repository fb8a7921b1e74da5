"""Formatting amounts for people: only rounded amounts, never a silent rounding on the way out."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollway.money import InvalidAmountError, Money, RoundingMode, format_money


class TestOnlyRoundedAmountsAreFormatted:
    def test_an_unrounded_usd_amount_is_refused_not_shown_rounded_half_even(self) -> None:
        # 0.125 USD used to show as $0.12 (half-even, chosen by nobody).
        with pytest.raises(InvalidAmountError, match="round it first") as raised:
            format_money(Money.of("0.125", "USD"))
        assert raised.value.code == "invalid_amount"
        assert "0.125 USD" in raised.value.message
        assert "USD's 2" in raised.value.message

    def test_the_caller_names_the_rounding_mode(self) -> None:
        # 0.125 rounds half-up to 0.13 and half-even to 0.12: the caller's choice, visible.
        amount = Money.of("0.125", "USD")
        assert format_money(amount.rounded(RoundingMode.HALF_UP)) == "$0.13"
        assert format_money(amount.rounded(RoundingMode.HALF_EVEN)) == "$0.12"

    def test_a_fractional_yen_is_refused(self) -> None:
        with pytest.raises(InvalidAmountError, match="JPY's 0"):
            format_money(Money.of("1234.5", "JPY"), locale="ja_JP")
        assert format_money(Money.of("1234", "JPY"), locale="ja_JP") == "￥1,234"

    def test_bhd_keeps_three_decimals_and_refuses_a_fourth(self) -> None:
        with pytest.raises(InvalidAmountError, match="BHD's 3"):
            format_money(Money.of("1.0005", "BHD"))
        assert format_money(Money.of("1.001", "BHD")) == "BHD1.001"

    def test_a_negative_unrounded_amount_is_refused_too(self) -> None:
        with pytest.raises(InvalidAmountError, match="round it first"):
            format_money(Money.of("-0.125", "USD"))

    def test_trailing_zeros_beyond_the_minor_unit_are_still_rounded(self) -> None:
        # 12.500 is 1250 whole cents.
        assert format_money(Money.of("12.500", "USD")) == "$12.50"


class TestLayout:
    def test_zero_shows_every_minor_digit(self) -> None:
        assert format_money(Money.zero("USD")) == "$0.00"
        assert format_money(Money.zero("JPY")) == "¥0"
        assert format_money(Money.zero("BHD")) == "BHD0.000"

    def test_a_negated_zero_shows_no_minus_sign(self) -> None:
        # -(0.00) is a Decimal negative zero; a credit of nothing is not "-$0.00".
        assert format_money(-Money.zero("USD")) == "$0.00"

    def test_a_negative_amount_keeps_its_sign(self) -> None:
        assert format_money(Money.of("-1234.5", "USD")) == "-$1,234.50"


@given(st.integers(-(10**15), 10**15))
def test_every_rounded_usd_amount_reads_back_as_itself(amount_minor: int) -> None:
    money = Money.from_minor(amount_minor, "USD")
    shown = format_money(money)
    digits = shown.replace("$", "").replace(",", "")
    assert Decimal(digits) == money.amount
    assert len(digits.partition(".")[2]) == 2
