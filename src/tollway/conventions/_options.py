"""The named options. Each value's docstring says which systems behave that way.

The sources behind every "(System)" attribution, and the facts that could not be confirmed, are
listed in docs/conventions.md.
"""

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, TypeVar

from tollway.money import RoundingMode, RoundingStage, TollwayError


class ConventionError(TollwayError):
    """An option that does not exist, or a value it does not take. `option` names it; the
    message lists what is allowed.

    >>> str(ConventionError("rounding_mode", "'half-up' is not one of half_up, half_even"))
    "rounding_mode: 'half-up' is not one of half_up, half_even"
    """

    code = "invalid_convention"

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"{option}: {problem}")
        self.option = option
        self.problem = problem


class TierBounds(StrEnum):
    """How tier boundaries are written and which tier a usage exactly on a bound belongs to."""

    UP_TO_INCLUSIVE = "up_to_inclusive"
    """Tiers end at an inclusive `up_to`: with a first tier up to 5, 5 is in tier 1 and 5.001 in
    tier 2 (Stripe, OpenMeter; Kill Bill, whose tier of `max` blocks of `size` units holds exactly
    `max × size` units)."""
    INCLUSIVE_INTEGER = "inclusive_integer"
    """Tiers are written as inclusive integer ranges 0–10, 11–20; a range starting above 0 counts
    `min(u, to) - from + 1` units, so 10.5 puts 0.5 units in 11–20 (Lago). When every range starts
    exactly where the previous one ends (0–0.1, 0.1–1) Lago counts `min(u, to) - from` instead.
    Either way the membership is that of `up_to_inclusive`: 10 is in the first tier."""
    ADJACENT = "adjacent"
    """Each tier starts where the previous one ends and includes its start: [0, 10), [10, 20):
    a usage of exactly 10 is in tier 2 (half-open legacy rate tables; none of the profiles)."""


class VolumeTierLookup(StrEnum):
    """Which quantity selects the tier of a volume price."""

    EXACT = "exact"
    """The quantity itself: 100.5 with a first tier up to 100 is in tier 2 (Stripe, OpenMeter,
    Kill Bill)."""
    CEIL = "ceil"
    """The quantity rounded up to a whole unit before it is compared with the tiers' lower
    bounds, so a fractional usage never falls between two integer ranges: 100.5 falls in 101–200
    (Lago)."""


class PackageRounding(StrEnum):
    """How a partial package is counted."""

    UP = "up"
    """A started package is a whole package: 101 units in packages of 100 are 2 packages (Lago,
    OpenMeter, Kill Bill's partial blocks; Stripe `transform_quantity.round: up`)."""
    DOWN = "down"
    """Only complete packages count: 199 units in packages of 100 are 1 package (Stripe
    `transform_quantity.round: down`)."""


class ProrationBasis(StrEnum):
    """How the length of a partial period is counted.

    Every interval is half-open, [start, end): the end instant is never in it, under every basis.
    """

    DAYS_INCLUSIVE = "days_inclusive"
    """Every local day the interval touches counts whole, the day of its first instant and the
    day of its last instant included (Lago). The end instant is excluded, so Lago's "10 → 20
    March" is [Mar 10 00:00, Mar 21 00:00): 11 days; [Mar 10 00:00, Mar 20 00:00) is 10 days. A
    partly used day counts whole at either end: [Mar 10 15:00, Mar 20 09:00) is 11 days."""
    DAYS_END_EXCLUSIVE = "days_end_exclusive"
    """Days from start to end, the end excluded: [Mar 10, Mar 20) is 10 days, [Mar 10, Mar 21)
    11; a partly used day counts as `partial_day` says (Kill Bill; half-open periods)."""
    SECONDS = "seconds"
    """Elapsed time over the time of the period (of the full cycle, for a stub), to the second:
    12 h of a 30-day month is 1/60 (Stripe, OpenMeter)."""
    THIRTY_360 = "thirty_360"
    """Strict 30/360: every month has 30 days; a period ending on a month's last day counts as
    day 30: 23 May → 15 June is 22/30 (enterprise telecom contracts; Kill Bill with
    `org.killbill.invoice.proration.fixed.days=30`). The denominator is 30 days a month."""
    ACTUAL_360 = "actual_360"
    """Actual days over 30 per month (360 per year): 1 → 16 February is 15/30, "30 days,
    Actual/360". The denominator is 30 days a month."""


class ProrationDenominator(StrEnum):
    """What the counted days are divided by, for `days_inclusive` and `days_end_exclusive`.

    `seconds` always divides by the seconds of the period; `thirty_360` and `actual_360` always
    divide by 30 days a month.
    """

    ACTUAL_PERIOD = "actual_period"
    """The whole current billing period: 28–31 days for a month, 90–92 for a quarter (Lago). A
    stub (a period shorter than its cycle) is measured against the full cycle that holds it:
    10 March → 1 April billed from the 1st is 22/31."""
    BILL_CYCLE_ALIGNED = "bill_cycle_aligned"
    """The period aligned to the bill-cycle day that contains the interval, even when the
    subscription's own period is shorter: 23 May → 15 June with cycle day 15 is 23/31 (15 May →
    15 June has 31 days) (Kill Bill)."""
    FIXED_30 = "fixed_30"
    """Always 30 days per month: 10 days are 10/30 in February and in March (telecom contracts)."""


class PartialDay(StrEnum):
    """How a change in the middle of a day counts under a day-based basis."""

    CEIL = "ceil"
    """A started day is a whole day: an interval from 10 March 15:00 to the end of March counts
    10 March (Lago)."""
    CALENDAR_DATE = "calendar_date"
    """Each instant is first reduced to its calendar date in `time_zone`; with end-exclusive
    days a change at 10 March 15:00 gives the old price 1–9 March and the new price 10–31 March:
    the day of a change belongs wholly to the interval that starts on it (Kill Bill)."""
    EXACT = "exact"
    """The exact fraction of the day: 10 March 15:00 → 11 March 00:00 is 9/24 of a day."""


class CreditBasis(StrEnum):
    """Which price an unused prepaid period is credited at on a cancellation or plan change."""

    CURRENT_PRICE = "current_price"
    """The price in force now (Stripe "classic" billing mode, the default for subscriptions
    created with API versions before 2025-09-30.clover)."""
    LAST_BILLED_PRICE = "last_billed_price"
    """The amount actually billed for that period, never more (Lago, Kill Bill; Stripe "flexible"
    billing mode)."""


increment_rounding_decimals_max: Final = 12
proration_fraction_decimals_max: Final = 28
_custom_suffix: Final = "+custom"

_Option = TypeVar("_Option", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Conventions:
    """Every convention tollway's pricing and proration follow. Build one with `profile(...)`.

    Each enum option also takes its value as text ("half_up"), which becomes the enum member; an
    unknown option or value raises `ConventionError`, naming it and listing what is allowed.

    >>> from tollway.conventions import profile
    >>> lago = profile("lago")
    >>> lago.volume_tier_lookup, lago.proration_basis
    (<VolumeTierLookup.CEIL: 'ceil'>, <ProrationBasis.DAYS_INCLUSIVE: 'days_inclusive'>)
    >>> lago.replace(rounding_mode=RoundingMode.HALF_EVEN).rounding_mode
    <RoundingMode.HALF_EVEN: 'half_even'>
    >>> lago.replace(rounding_stage="per_increment").rounding_stage
    <RoundingStage.PER_INCREMENT: 'per_increment'>
    """

    name: str
    """The profile these conventions come from; `+custom` once any option was replaced."""
    rounding_mode: RoundingMode
    """How amounts are rounded to the currency's minor unit (and increments to their decimals)."""
    rounding_stage: RoundingStage
    """Where amounts are rounded to the currency's minor unit: per breakdown step, line or invoice."""
    tier_bounds: TierBounds
    """How tier bounds are written and which tier a usage exactly on a bound belongs to."""
    volume_tier_lookup: VolumeTierLookup
    """Which quantity selects the tier of a volume price."""
    flat_fee_at_zero: bool
    """Whether zero usage still pays the first tier's flat fee (graduated and volume prices)."""
    package_rounding: PackageRounding
    """Whether a started package counts as a whole package."""
    increment_rounding_decimals: int | None
    """Decimals each rating increment's cost is rounded to before summing (CGRateS: 5); None: exact."""
    proration_basis: ProrationBasis
    """How the length of a partial period is counted."""
    proration_denominator: ProrationDenominator
    """What counted days are divided by (day-based bases only)."""
    partial_day: PartialDay
    """How a change in the middle of a day counts under a day-based basis."""
    proration_fraction_decimals: int | None
    """Decimals a proration fraction is rounded to (half-up) before use (Kill Bill: 9); None: exact."""
    credit_basis: CreditBasis
    """Which price an unused prepaid period is credited at."""
    time_zone: str
    """IANA zone in which dates, days and bill-cycle days are counted, e.g. "UTC", "America/New_York"."""

    def __post_init__(self) -> None:
        for option, kind in _ENUM_OPTIONS.items():
            # Frozen: the coerced member is set once, here, before anyone can read the value.
            object.__setattr__(self, option, _enum_option(option, getattr(self, option), kind))
        for option, largest in _DECIMALS_OPTIONS.items():
            _check_decimals(option, getattr(self, option), largest)
        if not isinstance(self.flat_fee_at_zero, bool):
            raise ConventionError(
                "flat_fee_at_zero", f"{self.flat_fee_at_zero!r} is not true or false"
            )
        if not isinstance(self.time_zone, str) or not self.time_zone:
            raise ConventionError(
                "time_zone", f"{self.time_zone!r} is not an IANA time zone name such as 'UTC'"
            )
        if not isinstance(self.name, str) or not self.name:
            raise ConventionError("name", f"must be a non-empty string, got {self.name!r}")

    def replace(self, **changes: object) -> "Conventions":
        """A copy with some options changed; the name records that it was customised.

        >>> from tollway.conventions import profile
        >>> profile("killbill").replace(time_zone="Europe/Paris").name
        'killbill+custom'
        >>> profile().replace(rounding_mod="half_up")
        Traceback (most recent call last):
        ...
        tollway.conventions._options.ConventionError: rounding_mod: is not a convention option; the options are name, rounding_mode, rounding_stage, tier_bounds, volume_tier_lookup, flat_fee_at_zero, package_rounding, increment_rounding_decimals, proration_basis, proration_denominator, partial_day, proration_fraction_decimals, credit_basis, time_zone
        """
        unknown = sorted(set(changes) - set(_OPTION_NAMES))
        if unknown:
            options = ", ".join(_OPTION_NAMES)
            raise ConventionError(
                unknown[0], f"is not a convention option; the options are {options}"
            )
        if "name" not in changes:
            already_custom = self.name.endswith(_custom_suffix)
            changes["name"] = self.name if already_custom else f"{self.name}{_custom_suffix}"
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


_OPTION_NAMES: Final = tuple(field.name for field in dataclasses.fields(Conventions))
_ENUM_OPTIONS: Final[dict[str, type[StrEnum]]] = {
    "rounding_mode": RoundingMode,
    "rounding_stage": RoundingStage,
    "tier_bounds": TierBounds,
    "volume_tier_lookup": VolumeTierLookup,
    "package_rounding": PackageRounding,
    "proration_basis": ProrationBasis,
    "proration_denominator": ProrationDenominator,
    "partial_day": PartialDay,
    "credit_basis": CreditBasis,
}
_DECIMALS_OPTIONS: Final[dict[str, int]] = {
    "increment_rounding_decimals": increment_rounding_decimals_max,
    "proration_fraction_decimals": proration_fraction_decimals_max,
}


def _enum_option(option: str, value: object, kind: type[_Option]) -> _Option:
    """`value` as a member of `kind`: a member as it is, its text value as the member."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        for member in kind:
            if member.value == value:
                return member
    allowed = ", ".join(member.value for member in kind)
    raise ConventionError(option, f"{value!r} is not one of {allowed}")


def _check_decimals(option: str, value: object, largest: int) -> None:
    if value is None:
        return
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= largest:
        return
    raise ConventionError(
        option, f"{value!r} is not a whole number of decimals from 0 to {largest}, or None (exact)"
    )
