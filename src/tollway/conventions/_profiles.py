"""Compatibility profiles: one named set of conventions per established billing system.

Each profile reproduces that system's published semantics (see docs/conventions.md for the sources
and the reason behind every tollway default).
"""

from types import MappingProxyType
from typing import Final

from tollway.conventions._options import (
    Conventions,
    CreditBasis,
    PackageRounding,
    PartialDay,
    ProrationBasis,
    ProrationDenominator,
    TierBounds,
    VolumeTierLookup,
)
from tollway.money import RoundingMode, RoundingStage, TollwayError


class UnknownProfileError(TollwayError):
    code = "unknown_profile"


TOLLWAY: Final = Conventions(
    name="tollway",
    # Half-up per line: what invoice readers and most contracts expect; one rounding point per line
    # keeps the drift to half a minor unit per line.
    rounding_mode=RoundingMode.HALF_UP,
    rounding_stage=RoundingStage.PER_LINE,
    # An inclusive up_to reads like a contract ("the first 100 GB"): 100 GB is in the first tier.
    tier_bounds=TierBounds.UP_TO_INCLUSIVE,
    volume_tier_lookup=VolumeTierLookup.EXACT,
    # Zero usage enters no tier, so no tier's flat fee is due.
    flat_fee_at_zero=False,
    package_rounding=PackageRounding.UP,
    increment_rounding_decimals=None,
    # Half-open periods [start, end): adjacent periods neither overlap nor leave gaps, so a split
    # period's charges and credits add back up to the unsplit price.
    proration_basis=ProrationBasis.DAYS_END_EXCLUSIVE,
    proration_denominator=ProrationDenominator.ACTUAL_PERIOD,
    partial_day=PartialDay.EXACT,
    proration_fraction_decimals=None,
    # Credit what the customer actually paid for the unused time.
    credit_basis=CreditBasis.LAST_BILLED_PRICE,
    time_zone="UTC",
)

LAGO: Final = TOLLWAY.replace(
    name="lago",
    rounding_mode=RoundingMode.HALF_UP,
    rounding_stage=RoundingStage.PER_LINE,
    tier_bounds=TierBounds.INCLUSIVE_INTEGER,
    volume_tier_lookup=VolumeTierLookup.CEIL,
    flat_fee_at_zero=True,
    package_rounding=PackageRounding.UP,
    proration_basis=ProrationBasis.DAYS_INCLUSIVE,
    proration_denominator=ProrationDenominator.ACTUAL_PERIOD,
    partial_day=PartialDay.CEIL,
    credit_basis=CreditBasis.LAST_BILLED_PRICE,
)

KILLBILL: Final = TOLLWAY.replace(
    name="killbill",
    rounding_mode=RoundingMode.HALF_UP,
    rounding_stage=RoundingStage.PER_LINE,
    tier_bounds=TierBounds.UP_TO_INCLUSIVE,
    volume_tier_lookup=VolumeTierLookup.EXACT,
    flat_fee_at_zero=False,
    proration_basis=ProrationBasis.DAYS_END_EXCLUSIVE,
    proration_denominator=ProrationDenominator.BILL_CYCLE_ALIGNED,
    partial_day=PartialDay.CEIL,
    proration_fraction_decimals=9,
    credit_basis=CreditBasis.LAST_BILLED_PRICE,
)

STRIPE: Final = TOLLWAY.replace(
    name="stripe",
    rounding_mode=RoundingMode.HALF_UP,
    rounding_stage=RoundingStage.PER_LINE,
    tier_bounds=TierBounds.UP_TO_INCLUSIVE,
    volume_tier_lookup=VolumeTierLookup.EXACT,
    flat_fee_at_zero=True,
    package_rounding=PackageRounding.UP,
    proration_basis=ProrationBasis.SECONDS,
    proration_denominator=ProrationDenominator.ACTUAL_PERIOD,
    partial_day=PartialDay.EXACT,
    credit_basis=CreditBasis.CURRENT_PRICE,
)

OPENMETER: Final = TOLLWAY.replace(
    name="openmeter",
    rounding_mode=RoundingMode.HALF_UP,
    rounding_stage=RoundingStage.PER_LINE,
    tier_bounds=TierBounds.UP_TO_INCLUSIVE,
    volume_tier_lookup=VolumeTierLookup.EXACT,
    flat_fee_at_zero=True,
    proration_basis=ProrationBasis.SECONDS,
    proration_denominator=ProrationDenominator.ACTUAL_PERIOD,
    partial_day=PartialDay.EXACT,
)

CGRATES: Final = TOLLWAY.replace(
    name="cgrates",
    # Each increment's cost is rounded to the system precision (5 decimals); the timespan is then
    # rounded by the rate's own method and decimals (set on the duration price itself).
    rounding_mode=RoundingMode.HALF_UP,
    rounding_stage=RoundingStage.PER_INCREMENT,
    increment_rounding_decimals=5,
    flat_fee_at_zero=False,
)

_PROFILES: Final = MappingProxyType(
    {
        "tollway": TOLLWAY,
        "lago": LAGO,
        "killbill": KILLBILL,
        "stripe": STRIPE,
        "openmeter": OPENMETER,
        "cgrates": CGRATES,
    }
)

PROFILE_NAMES: Final = tuple(_PROFILES)


def profile(name: str = "tollway") -> Conventions:
    """The conventions of a named compatibility profile.

    >>> profile("killbill").proration_denominator
    <ProrationDenominator.BILL_CYCLE_ALIGNED: 'bill_cycle_aligned'>
    """
    found = _PROFILES.get(name)
    if found is None:
        raise UnknownProfileError(
            f"unknown profile {name!r}: choose one of {', '.join(PROFILE_NAMES)}"
        )
    return found
