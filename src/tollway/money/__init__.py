"""Exact money: ISO 4217 currencies, the `Money` type, named rounding modes and stages.

Owns: amounts and currencies, rounding, formatting for people.
Invariants: no float ever becomes an amount; rounding only through `RoundingMode`; amounts of
different currencies never mix silently.
May import: the standard library and babel. Never I/O.
"""

from tollway.money._currency import Currency, all_currencies, currency
from tollway.money._errors import (
    CurrencyMismatchError,
    FloatNotAllowedError,
    InvalidAmountError,
    TollwayError,
    UnknownCurrencyError,
)
from tollway.money._format import format_money
from tollway.money._money import DecimalLike, Money, sum_money, to_decimal
from tollway.money._rounding import (
    MONEY_CONTEXT,
    RoundingMode,
    RoundingStage,
    plain_decimal,
    round_decimal,
)

__all__ = [
    "MONEY_CONTEXT",
    "Currency",
    "CurrencyMismatchError",
    "DecimalLike",
    "FloatNotAllowedError",
    "InvalidAmountError",
    "Money",
    "RoundingMode",
    "RoundingStage",
    "TollwayError",
    "UnknownCurrencyError",
    "all_currencies",
    "currency",
    "format_money",
    "plain_decimal",
    "round_decimal",
    "sum_money",
    "to_decimal",
]
