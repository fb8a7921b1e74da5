"""tollway: billing and revenue management for enterprise and telecom-grade billing.

The names here are the stable public surface for pricing a quantity, prorating a charge and
handling money; each subpackage (`tollway.pricing`, `tollway.periods`, ...) exposes the rest.

>>> import tollway
>>> definition = tollway.parse_price_definition(
...     {"id": "gb", "currency": "EUR", "pricing": {"model": "per_unit", "unit_price": "0.25"}})
>>> print(tollway.price(definition, "10", conventions="tollway").amount)
2.50 EUR
"""

from tollway.conventions import Conventions, profile
from tollway.money import (
    Currency,
    Money,
    RoundingMode,
    RoundingStage,
    TollwayError,
    currency,
    format_money,
)
from tollway.periods import BillingPeriod, Cadence, period_containing, prorate
from tollway.pricing import PriceDefinition, PriceResult, UsageEvent, price
from tollway.pricing.schema import parse_price_catalog, parse_price_definition

__version__ = "0.1.0"

__all__ = [
    "BillingPeriod",
    "Cadence",
    "Conventions",
    "Currency",
    "Money",
    "PriceDefinition",
    "PriceResult",
    "RoundingMode",
    "RoundingStage",
    "TollwayError",
    "UsageEvent",
    "currency",
    "format_money",
    "parse_price_catalog",
    "parse_price_definition",
    "period_containing",
    "price",
    "profile",
    "prorate",
]
