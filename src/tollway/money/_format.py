"""Formatting amounts for people (invoices, terminal tables) through babel's CLDR data.

The number of decimals shown follows ISO 4217 minor units (our table), not CLDR's digits.
"""

from babel import Locale
from babel.numbers import format_currency

from tollway.money._money import Money


def format_money(money: Money, *, locale: str = "en_US") -> str:
    """Format an amount the way a reader in `locale` expects, with ISO 4217 decimals.

    >>> format_money(Money.of("1234.5", "USD"))
    '$1,234.50'
    >>> format_money(Money.of("1234", "JPY"), locale="ja_JP")
    '￥1,234'
    >>> format_money(Money.of("1.5", "BHD"))
    'BHD1.500'
    >>> format_money(Money.of("-12.3", "EUR"), locale="de_DE")
    '-12,30\\xa0€'
    """
    digits = money.currency.minor_units
    pattern_decimals = "." + "0" * digits if digits else ""
    # Keep the locale's pattern (symbol position, grouping) but force ISO minor units.
    base_pattern = Locale.parse(locale).currency_formats["standard"].pattern
    pattern = _with_decimals(base_pattern.split(";")[0], pattern_decimals)
    return format_currency(
        money.amount,
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
