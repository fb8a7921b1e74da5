"""The named options. Each enum value's docstring says which systems behave that way."""

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from tollway.money import RoundingMode, RoundingStage


class TierBounds(StrEnum):
    """How tier boundaries are written and which tier a usage exactly on a bound belongs to."""

    UP_TO_INCLUSIVE = "up_to_inclusive"
    """Tiers end at an inclusive `up_to`: with a first tier up to 5, 5 is in tier 1 and 5.001 in
    tier 2 (Stripe, OpenMeter)."""
    INCLUSIVE_INTEGER = "inclusive_integer"
    """Tiers are inclusive integer ranges 0–10, 11–20: a range starting above 0 counts
    `min(u, to) - from + 1` units (Lago). Same membership as `up_to_inclusive`."""
    ADJACENT = "adjacent"
    """Each tier starts where the previous one ends and includes its start: [0, 10), [10, 20):
    a usage of exactly 10 is in tier 2 (Lago's decimal ranges, many legacy systems)."""


class VolumeTierLookup(StrEnum):
    """Which quantity selects the tier of a volume price."""

    EXACT = "exact"
    """The quantity itself."""
    CEIL = "ceil"
    """The quantity rounded up to a whole unit: 100.5 falls in 101–200 (Lago)."""


class PackageRounding(StrEnum):
    """How a partial package is counted."""

    UP = "up"
    """A started package is a whole package (Lago; Stripe `round: up`)."""
    DOWN = "down"
    """Only complete packages count (Stripe `round: down`)."""


class ProrationBasis(StrEnum):
    """How the length of a partial period is counted."""

    DAYS_INCLUSIVE = "days_inclusive"
    """Whole days, counting both the first and the last day (Lago)."""
    DAYS_END_EXCLUSIVE = "days_end_exclusive"
    """Whole days, start included, end excluded (Kill Bill; half-open periods)."""
    SECONDS = "seconds"
    """Elapsed seconds over the seconds of the period (Stripe)."""
    THIRTY_360 = "thirty_360"
    """Strict 30/360: every month has 30 days; a period ending on a month's last day counts as
    day 30 (enterprise telecom contracts)."""
    ACTUAL_360 = "actual_360"
    """Actual days over 30 per month (360 per year): "30 days, Actual/360"."""


class ProrationDenominator(StrEnum):
    """What the counted partial length is divided by (for the day-based bases)."""

    ACTUAL_PERIOD = "actual_period"
    """The whole current period: 28–31 days for a month, 90–92 for a quarter (Lago)."""
    BILL_CYCLE_ALIGNED = "bill_cycle_aligned"
    """The period aligned to the bill-cycle day that contains the interval: Mar 10 → 15 with cycle
    day 15 is 5/28 (Kill Bill)."""
    FIXED_30 = "fixed_30"
    """Always 30 days per month (Kill Bill option, telecom contracts)."""


class PartialDay(StrEnum):
    """How a change in the middle of a day counts under a day-based basis."""

    CEIL = "ceil"
    """A started day is a whole day (Lago)."""
    EXACT = "exact"
    """The exact fraction of the day."""


class CreditBasis(StrEnum):
    """Which price an unused prepaid period is credited at on a cancellation or plan change."""

    CURRENT_PRICE = "current_price"
    """The price in force now ("classic" proration, Stripe default before 2024)."""
    LAST_BILLED_PRICE = "last_billed_price"
    """The price actually billed for that period ("flexible"; Lago, Kill Bill)."""


increment_rounding_decimals_max: Final = 12
proration_fraction_decimals_max: Final = 28


@dataclass(frozen=True, slots=True)
class Conventions:
    """Every convention tollway's pricing and proration follow. Build one with `profile(...)`.

    >>> from tollway.conventions import profile
    >>> lago = profile("lago")
    >>> lago.volume_tier_lookup, lago.proration_basis
    (<VolumeTierLookup.CEIL: 'ceil'>, <ProrationBasis.DAYS_INCLUSIVE: 'days_inclusive'>)
    >>> lago.replace(rounding_mode=RoundingMode.HALF_EVEN).rounding_mode
    <RoundingMode.HALF_EVEN: 'half_even'>
    """

    name: str
    rounding_mode: RoundingMode
    rounding_stage: RoundingStage
    tier_bounds: TierBounds
    volume_tier_lookup: VolumeTierLookup
    flat_fee_at_zero: bool
    package_rounding: PackageRounding
    increment_rounding_decimals: int | None
    """Decimals each rating increment's cost is rounded to before summing (CGRateS: 5); None: exact."""
    proration_basis: ProrationBasis
    proration_denominator: ProrationDenominator
    partial_day: PartialDay
    proration_fraction_decimals: int | None
    """Decimals a proration fraction is rounded to (half-up) before use (Kill Bill: 9); None: exact."""
    credit_basis: CreditBasis
    time_zone: str
    """IANA zone in which dates, days and bill-cycle days are counted, e.g. "UTC", "America/New_York"."""

    def __post_init__(self) -> None:
        decimals = self.increment_rounding_decimals
        assert decimals is None or 0 <= decimals <= increment_rounding_decimals_max
        fraction = self.proration_fraction_decimals
        assert fraction is None or 0 <= fraction <= proration_fraction_decimals_max
        assert self.time_zone, "time_zone must name an IANA zone"

    def replace(self, **changes: object) -> "Conventions":
        """A copy with some options changed (the name records that it was customised)."""
        if "name" not in changes:
            changes["name"] = f"{self.name}+custom"
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
