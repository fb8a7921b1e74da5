"""Formatting amounts for people (invoices, terminal tables) through babel's CLDR data.

The number of decimals shown follows ISO 4217 minor units (our table), not CLDR's digits. Only a
rounded amount is formatted: choosing how to round is the billing's job, at its named rounding
stage with its named mode, never a side effect of showing an amount.
"""

from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency

from tollway.money._errors import InvalidAmountError
from tollway.money._money import Money


def format_money(money: Money, *, locale: str = "en_US") -> str:
    """Format a rounded amount the way a reader in `locale` expects, with ISO 4217 decimals.

    An amount with more decimals than its currency's minor unit is refused with
    `InvalidAmountError`: round it first with `Money.rounded` and a named `RoundingMode`.

    >>> format_money(Money.of("1234.5", "USD"))
    '$1,234.50'
    >>> format_money(Money.of("1234", "JPY"), locale="ja_JP")
    '￥1,234'
    >>> format_money(Money.of("1.5", "BHD"))
    'BHD1.500'
    >>> format_money(Money.of("-12.3", "EUR"), locale="de_DE")
    '-12,30\\xa0€'
    >>> format_money(Money.of("0.125", "USD"))
    Traceback (most recent call last):
    ...
    tollway.money._errors.InvalidAmountError: cannot format 0.125 USD: it has more decimals than USD's 2; round it first with Money.rounded and a RoundingMode
    >>> from tollway.money import RoundingMode
    >>> format_money(Money.of("0.125", "USD").rounded(RoundingMode.HALF_UP))
    '$0.13'
    """
    if not money.is_rounded:
        raise InvalidAmountError(
            f"cannot format {money}: it has more decimals than {money.currency.code}'s "
            f"{money.currency.minor_units}; round it first with Money.rounded and a RoundingMode"
        )
    digits = money.currency.minor_units
    pattern_decimals = "." + "0" * digits if digits else ""
    # Keep the locale's pattern (symbol position, grouping) but force ISO minor units.
    base_pattern = Locale.parse(locale).currency_formats["standard"].pattern
    pattern = _with_decimals(base_pattern.split(";")[0], pattern_decimals)
    # A negated zero (a credit of nothing) is shown as zero, not "-$0.00".
    amount = Decimal(0) if money.is_zero else money.amount
    return format_currency(
        amount,
        money.currency.code,
        format=pattern,
        locale=locale,
        currency_digits=False,
    )


def _with_decimals(pattern: str, decimals: str) -> str:
    """Replace the fraction part of a CLDR number pattern with `decimals` ('.00', '.000' or '')."""
    head, dot, tail = pattern.partition(".")
    if not dot:
        # No fraction in the pattern: insert one after the last digit placeholder.
        last = max(head.rfind("0"), head.rfind("#"))
        return head[: last + 1] + decimals + head[last + 1 :]
    index = 0
    while index < len(tail) and tail[index] in "0#":
        index += 1
    return head + decimals + tail[index:]
