"""Compatibility profiles: one named set of conventions per established billing system.

Each profile reproduces that system's published semantics and spells out every option, so a
change to tollway's own defaults never silently changes a compatibility profile. The source of
each value, and the values that could not be confirmed, are in docs/conventions.md;
tests/conventions/test_profiles.py pins each verified fact to the system it comes from.
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
    # Half-up is what invoice readers and most contracts expect, and what Lago, Kill Bill,
    # OpenMeter and CGRateS do, so a migration rarely changes the rounding mode.
    rounding_mode=RoundingMode.HALF_UP,
    # One rounding point per line: the line shown equals its exact price rounded once, and the
    # drift is at most half a minor unit per line.
    rounding_stage=RoundingStage.PER_LINE,
    # An inclusive up_to reads like a contract ("the first 100 GB"): 100 GB is in the first tier,
    # and decimal usage never falls between two tiers.
    tier_bounds=TierBounds.UP_TO_INCLUSIVE,
    # With up_to bounds there are no gaps to bridge, so the quantity itself picks the tier.
    volume_tier_lookup=VolumeTierLookup.EXACT,
    # A tier's flat fee is the price of entering the tier; zero usage enters none. A fee due
    # whatever the usage belongs in a recurring charge, where the invoice reader sees it.
    flat_fee_at_zero=False,
    # A started package is a package: that is what package pricing sells.
    package_rounding=PackageRounding.UP,
    # Exact until the named rounding stage.
    increment_rounding_decimals=None,
    # Half-open periods [start, end): adjacent periods neither overlap nor leave gaps, so a split
    # period's charges and credits add back up to the unsplit price.
    proration_basis=ProrationBasis.DAYS_END_EXCLUSIVE,
    # The period being billed: a whole period is always exactly the full price.
    proration_denominator=ProrationDenominator.ACTUAL_PERIOD,
    # Exact fractions: no day is charged twice or lost when a period is split mid-day.
    partial_day=PartialDay.EXACT,
    proration_fraction_decimals=None,
    # Credit what the customer actually paid for the unused time, never more.
    credit_basis=CreditBasis.LAST_BILLED_PRICE,
    # Unambiguous until a tenant sets its own zone; no 23- or 25-hour days.
    time_zone="UTC",
)

LAGO: Final = Conventions(
    name="lago",
    # fees/charge_service.rb: amount.round(currency.exponent), BigDecimal's default half-up.
    rounding_mode=RoundingMode.HALF_UP,
    rounding_stage=RoundingStage.PER_LINE,
    tier_bounds=TierBounds.INCLUSIVE_INTEGER,
    # charge_models/volume_service.rb: from_value <= units.ceil; 100.5 is in 101–200.
    volume_tier_lookup=VolumeTierLookup.CEIL,
    # lago-api#5760: the first tier's flat fee is charged at zero usage (earlier releases: not).
    flat_fee_at_zero=True,
    package_rounding=PackageRounding.UP,
    increment_rounding_decimals=None,
    # utils/datetime.rb date_diff_with_timezone: (end of last day - start) / 1 day, ceil.
    proration_basis=ProrationBasis.DAYS_INCLUSIVE,
    proration_denominator=ProrationDenominator.ACTUAL_PERIOD,
    partial_day=PartialDay.CEIL,
    proration_fraction_decimals=None,
    # credit_notes/create_from_termination.rb: the last subscription fee's plan amount, capped.
    credit_basis=CreditBasis.LAST_BILLED_PRICE,
    # Lago counts days in the customer's time zone: set it per tenant with replace().
    time_zone="UTC",
)

KILLBILL: Final = Conventions(
    name="killbill",
    # util/currency/KillBillMoney.java: ROUNDING_METHOD = HALF_UP, to the currency's decimals.
    rounding_mode=RoundingMode.HALF_UP,
    # Each invoice item is rounded once; a usage item sums its unrounded tiers first (#1124).
    rounding_stage=RoundingStage.PER_LINE,
    # A tier of `max` blocks overflows only when more than `max` blocks are used.
    tier_bounds=TierBounds.UP_TO_INCLUSIVE,
    volume_tier_lookup=VolumeTierLookup.EXACT,
    # Usage tiers carry no flat fee; zero usage is a 0 item.
    flat_fee_at_zero=False,
    # A partial block is a whole block.
    package_rounding=PackageRounding.UP,
    increment_rounding_decimals=None,
    # generator/InvoiceDateUtils.java: Days.daysBetween(start, end) over the bill-cycle period.
    proration_basis=ProrationBasis.DAYS_END_EXCLUSIVE,
    proration_denominator=ProrationDenominator.BILL_CYCLE_ALIGNED,
    # Invoicing works on LocalDates in the account's time zone.
    partial_day=PartialDay.CALENDAR_DATE,
    # KillBillMoney.MAX_SCALE = 9: 23/31 is 0.741935484.
    proration_fraction_decimals=9,
    # invoice/tree/Item.java: repairs prorate the billed item's amount, not the current rate.
    credit_basis=CreditBasis.LAST_BILLED_PRICE,
    # Kill Bill counts dates in the account's time zone: set it per tenant with replace().
    time_zone="UTC",
)

STRIPE: Final = Conventions(
    name="stripe",
    # "Rounded to the nearest whole cent" (1.5 cents → 2); the tie rule is not published.
    rounding_mode=RoundingMode.HALF_UP,
    # "Rounding occurs on the line item level"; each line is rounded before the invoice is summed.
    rounding_stage=RoundingStage.PER_LINE,
    # tiers[].up_to: "the lower bound of a tier is the upper bound of the previous tier adding one".
    tier_bounds=TierBounds.UP_TO_INCLUSIVE,
    volume_tier_lookup=VolumeTierLookup.EXACT,
    # Not confirmed from Stripe's documentation.
    flat_fee_at_zero=True,
    # transform_quantity.round is required on every price; `up` is the package reading.
    package_rounding=PackageRounding.UP,
    increment_rounding_decimals=None,
    # Prorations use the billing period's start and end times (UNIX seconds).
    proration_basis=ProrationBasis.SECONDS,
    proration_denominator=ProrationDenominator.ACTUAL_PERIOD,
    partial_day=PartialDay.EXACT,
    proration_fraction_decimals=None,
    # Classic billing mode: most subscriptions migrated today were created under it. Flexible
    # billing mode (the API default since 2025-09-30.clover) is LAST_BILLED_PRICE.
    credit_basis=CreditBasis.CURRENT_PRICE,
    time_zone="UTC",
)

OPENMETER: Final = Conventions(
    name="openmeter",
    # pkg/currencyx: fiat currencies round half-up to their ISO 4217 subunits.
    rounding_mode=RoundingMode.HALF_UP,
    # billing/service/lineservice: every detailed line (tier usage, tier flat fee) is rounded,
    # then the lines are summed.
    rounding_stage=RoundingStage.PER_INCREMENT,
    # Tier ranges are (from, up_to]; volume: quantity <= up_to.
    tier_bounds=TierBounds.UP_TO_INCLUSIVE,
    volume_tier_lookup=VolumeTierLookup.EXACT,
    # Graduated: the first range is added at zero usage "in case there's a flat price
    # component"; volume: the tier's flat price line is always emitted.
    flat_fee_at_zero=True,
    # pricepackage.go: a remainder adds one package.
    package_rounding=PackageRounding.UP,
    increment_rounding_decimals=None,
    # charges/flatfee: service period duration / full service period duration.
    proration_basis=ProrationBasis.SECONDS,
    proration_denominator=ProrationDenominator.ACTUAL_PERIOD,
    partial_day=PartialDay.EXACT,
    proration_fraction_decimals=None,
    # Not confirmed: tollway's default.
    credit_basis=CreditBasis.LAST_BILLED_PRICE,
    time_zone="UTC",
)

CGRATES: Final = Conventions(
    name="cgrates",
    # utils.Round *middle (0.5 rounds up) at the system precision.
    rounding_mode=RoundingMode.HALF_UP,
    # CGRateS rounds each timespan with the rate's own method and decimals (set on the duration
    # price); it has no currency rounding of its own, so each rated step is a rounding point.
    rounding_stage=RoundingStage.PER_INCREMENT,
    # Rate intervals start after GroupIntervalStart: the first 60 s are in the first interval.
    tier_bounds=TierBounds.UP_TO_INCLUSIVE,
    volume_tier_lookup=VolumeTierLookup.EXACT,
    flat_fee_at_zero=False,
    # Usage is rounded up to whole rate increments.
    package_rounding=PackageRounding.UP,
    # config/config_defaults.go general.rounding_decimals = 5; engine/timespans.go rounds each
    # increment's cost to it.
    increment_rounding_decimals=5,
    # CGRateS has no subscriptions: the proration options keep tollway's defaults.
    proration_basis=ProrationBasis.DAYS_END_EXCLUSIVE,
    proration_denominator=ProrationDenominator.ACTUAL_PERIOD,
    partial_day=PartialDay.EXACT,
    proration_fraction_decimals=None,
    credit_basis=CreditBasis.LAST_BILLED_PRICE,
    # Time-of-day bands follow general.default_timezone ("Local"): set it per tenant.
    time_zone="UTC",
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
    >>> profile().name
    'tollway'
    """
    found = _PROFILES.get(name)
    if found is None:
        raise UnknownProfileError(
            f"unknown profile {name!r}: choose one of {', '.join(PROFILE_NAMES)}"
        )
    return found
