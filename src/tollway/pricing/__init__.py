"""Pricing models: a quantity or usage events in, an exact amount with its breakdown out.

Owns: every pricing model as frozen data (flat, per-unit, graduated, volume, stairstep, package,
block tiers, percentage, graduated percentage, dynamic, spend commitments, telecom duration rating,
95th-percentile bandwidth), pay-in-advance per-event fees, and `price()`.
Invariants: pure functions; amounts exact until `finalize` rounds them at the named stage (a
result 38 significant digits cannot hold is a `UsageError`, never rounded); the breakdown always
sums to the precise amount. Limits: every number priced is at most 10^24 in absolute value, with at
most 12 decimals in a definition and 9 in usage quantities and transaction amounts (`_limits`).
May import: `tollway.money`, `tollway.conventions`, the standard library; pydantic only in `schema`.
"""

from tollway.pricing._advance import EventFee, advance_true_up, per_event_fees
from tollway.pricing._blocks import BlockTier, BlockTierMode, BlockTiers
from tollway.pricing._commitment import SpendCommitment
from tollway.pricing._duration import DayType, DurationRating, RateBand
from tollway.pricing._dynamic import Dynamic
from tollway.pricing._errors import PriceDefinitionError, UsageError
from tollway.pricing._model import PriceDefinition, PricingModel, price, total_quantity
from tollway.pricing._package import Flat, Package, PerUnit
from tollway.pricing._percentage import GraduatedPercentage, Percentage, PercentageTier
from tollway.pricing._percentile import Percentile95, discarded_sample_count
from tollway.pricing._rate_intervals import (
    RateInterval,
    billed_seconds_by_interval,
    pulse_intervals,
)
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._tiers import Graduated, Stairstep, Step, Tier, Volume
from tollway.pricing._usage import UsageEvent

__all__ = [
    "BlockTier",
    "BlockTierMode",
    "BlockTiers",
    "BreakdownLine",
    "DayType",
    "DurationRating",
    "Dynamic",
    "EventFee",
    "Flat",
    "Graduated",
    "GraduatedPercentage",
    "Package",
    "PerUnit",
    "Percentage",
    "PercentageTier",
    "Percentile95",
    "PriceDefinition",
    "PriceDefinitionError",
    "PriceResult",
    "PricingModel",
    "RateBand",
    "RateInterval",
    "SpendCommitment",
    "Stairstep",
    "Step",
    "Tier",
    "UsageError",
    "UsageEvent",
    "Volume",
    "advance_true_up",
    "billed_seconds_by_interval",
    "discarded_sample_count",
    "finalize",
    "per_event_fees",
    "price",
    "pulse_intervals",
    "total_quantity",
]
