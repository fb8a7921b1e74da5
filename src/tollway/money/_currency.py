"""ISO 4217 currencies with their minor units."""

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from tollway.money._errors import UnknownCurrencyError
from tollway.money._iso4217 import ISO_4217


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency: alphabetic code, numeric code and number of minor-unit decimals."""

    code: str
    numeric: str
    minor_units: int
    name: str

    @property
    def minor_unit(self) -> Decimal:
        """The smallest invoiced amount: 0.01 for USD, 1 for JPY, 0.001 for BHD."""
        return Decimal(1).scaleb(-self.minor_units)

    def __str__(self) -> str:
        return self.code


@cache
def currency(code: str) -> Currency:
    """Look a currency up by its ISO 4217 alphabetic code (case-insensitive).

    >>> currency("JPY").minor_units, currency("usd").minor_units, currency("BHD").minor_units
    (0, 2, 3)
    """
    if not isinstance(code, str):
        raise UnknownCurrencyError(f"currency code must be a string, got {code!r}")
    normalised = code.strip().upper()
    entry = ISO_4217.get(normalised)
    if entry is None:
        raise UnknownCurrencyError(
            f"unknown currency {code!r}: expected an active ISO 4217 code such as USD, EUR or JPY"
        )
    numeric, minor_units, name = entry
    return Currency(code=normalised, numeric=numeric, minor_units=minor_units, name=name)


def all_currencies() -> tuple[Currency, ...]:
    """Every active ISO 4217 currency tollway bills in, sorted by code."""
    return tuple(currency(code) for code in sorted(ISO_4217))
