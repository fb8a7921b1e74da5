"""Pricing models: a quantity or usage events in, an exact amount with its breakdown out.

Owns: every pricing model as frozen data (flat, per-unit, graduated, volume, package, block tiers,
percentage, graduated percentage, stairstep, dynamic, spend commitments, pay-in-advance per-event
fees, telecom duration rating, 95th-percentile bandwidth), and `price()`.
Invariants: pure functions; amounts exact until `finalize` rounds them at the named stage; the
breakdown always sums to the precise amount.
May import: `tollway.money`, `tollway.conventions`, the standard library; pydantic only in `schema`.
"""

from tollway.pricing._errors import PriceDefinitionError, UsageError
from tollway.pricing._model import PriceDefinition, PricingModel, price, total_quantity
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._usage import UsageEvent

__all__ = [
    "BreakdownLine",
    "PriceDefinition",
    "PriceDefinitionError",
    "PriceResult",
    "PricingModel",
    "UsageError",
    "UsageEvent",
    "finalize",
    "price",
    "total_quantity",
]
