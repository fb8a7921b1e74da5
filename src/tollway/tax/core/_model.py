"""The tax tables and the account data the engine reads: frozen records, checked when parsed."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from tollway.accounts import CustomerClass
from tollway.billing import ChargeType, TaxTreatment
from tollway.money import Currency, RoundingMode, TollwayError

PERCENT: Final = Decimal(100)


class TaxTableError(TollwayError):
    """Tax tables that cannot be used; `problems` holds one message per problem, each naming the
    file and the row (`demo.yaml: rules[4].jurisdiction: unknown jurisdiction 'US-ZZ'`)."""

    code = "invalid_tax_tables"

    def __init__(self, problems: tuple[str, ...]) -> None:
        assert problems, "a TaxTableError names at least one problem"
        super().__init__("\n".join(problems))
        self.problems = problems


class TaxAccountDataError(TaxTableError):
    """Exemption certificates or traffic studies that cannot be used."""

    code = "invalid_tax_account_data"


class TaxError(TollwayError):
    """A bill's taxes cannot be computed from the inputs (a site in a jurisdiction the tables do
    not list, a fee in another currency than the bill's); the message says what to fix."""

    code = "tax_not_computable"


class JurisdictionLevel(StrEnum):
    """The level of a taxing jurisdiction, outermost first (AFC tax levels 0–4)."""

    FEDERAL = "federal"
    STATE = "state"
    COUNTY = "county"
    CITY = "city"
    UNINCORPORATED = "unincorporated"

    @property
    def depth(self) -> int:
        """0 for federal up to 4 for unincorporated: a parent is always less deep."""
        return list(JurisdictionLevel).index(self)


class Calculation(StrEnum):
    """How a rule computes its tax (AFC `calc`)."""

    RATE = "rate"
    """A percentage of the taxable amount."""
    FIXED_PER_INVOICE = "fixed_per_invoice"
    """One fixed amount per bill, on the first positive line the rule applies to."""
    PER_LINE = "per_line"
    """An amount per voice line or channel of the product, weighted by its line type."""
    PER_MINUTE = "per_minute"
    """An amount per minute of a usage line measured in minutes or seconds."""
    BRACKET = "bracket"
    """The fixed amount of the bracket the taxable amount falls in."""
    TIERED = "tiered"
    """Graduated: each part of the taxable amount at the rate of its tier."""

    @property
    def is_on_amount(self) -> bool:
        """Computed from the taxable amount (so other taxes may be part of its base)."""
        return self in (Calculation.RATE, Calculation.BRACKET, Calculation.TIERED)


class Portion(StrEnum):
    """Which part of a charge a rule taxes, after the interstate/intrastate allocation."""

    INTERSTATE = "interstate"
    INTRASTATE = "intrastate"
    WHOLE = "whole"


class SaleType(StrEnum):
    """Retail sales to end users, or sales for resale (wholesale customers)."""

    RETAIL = "retail"
    RESALE = "resale"

    @classmethod
    def of(cls, customer_class: CustomerClass) -> "SaleType":
        return cls.RESALE if customer_class is CustomerClass.WHOLESALE else cls.RETAIL


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """A taxing jurisdiction: "US", "US-PA", "US-PA-PHILADELPHIA"."""

    id: str
    level: JurisdictionLevel
    name: str
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class LineUnits:
    """How the voice channels of one line type count for a per-line fee: every started group of
    `channels_per_group` channels counts `units_per_group` units (a PRI of 23 channels counting
    5, a DS1 of 24 counting 24, one unit per 9 Centrex lines)."""

    voice_line_type: str
    channels_per_group: int
    units_per_group: Decimal

    def units(self, channels: int) -> Decimal:
        """The units of `channels` channels: two PRIs count 10; 10 Centrex lines count 2.

        >>> pri, centrex = LineUnits("pri", 23, Decimal(5)), LineUnits("centrex", 9, Decimal(1))
        >>> pri.units(46), centrex.units(10)
        (Decimal('10'), Decimal('2'))
        """
        groups = -(-channels // self.channels_per_group)
        return groups * self.units_per_group


@dataclass(frozen=True, slots=True)
class Bracket:
    """Up to `up_to` (inclusive; None: no upper bound) the tax is `amount`."""

    up_to: Decimal | None
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Tier:
    """The part of the taxable amount up to `up_to` (None: no bound) is taxed at `rate_percent`."""

    up_to: Decimal | None
    rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class TaxRule:
    """One effective-dated row of the rate table, valid over [valid_from, valid_to).

    A rule applies to a line when the bill date is in its validity, its jurisdiction is on the
    line's chain, and the line's service type, charge type, customer class and sale type are among
    its own (an empty set means every one). `row` is its index in the file's `rules` list.
    """

    id: str
    row: int
    jurisdiction_id: str
    level: JurisdictionLevel
    tax_type: str
    name: str
    calculation: Calculation
    valid_from: date
    valid_to: date | None
    portion: Portion
    treatment: TaxTreatment
    rounding: RoundingMode = RoundingMode.HALF_UP
    service_types: frozenset[str] = frozenset()
    charge_types: frozenset[ChargeType] = frozenset()
    customer_classes: frozenset[CustomerClass] = frozenset()
    sale_types: frozenset[SaleType] = frozenset()
    rate_percent: Decimal | None = None
    rate_cap_percent: Decimal | None = None
    """The highest rate that may be billed (the USF contribution factor caps a pass-through)."""
    amount: Decimal | None = None
    """Per invoice, per line unit or per minute, in `currency`."""
    currency: Currency | None = None
    line_units: tuple[LineUnits, ...] = ()
    brackets: tuple[Bracket, ...] = ()
    tiers: tuple[Tier, ...] = ()
    base_taxes: tuple[str, ...] = ()
    """Tax types whose amounts on the same line are part of this rule's taxable amount."""
    cap_per_line: Decimal | None = None
    cap_per_invoice: Decimal | None = None
    exemptible: bool = True
    note: str = ""
    """Why the row is as it is (the statute, the quarter's contribution factor)."""

    def __post_init__(self) -> None:
        assert self.valid_to is None or self.valid_to > self.valid_from, f"{self.id}: validity"
        assert self.treatment is not TaxTreatment.EXEMPT, "exemption comes from certificates"

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def units_for(self, voice_line_type: str | None, channels: int) -> Decimal:
        """The per-line units of `channels` channels; a type the rule does not list counts one
        unit per channel."""
        for units in self.line_units:
            if units.voice_line_type == voice_line_type:
                return units.units(channels)
        return Decimal(channels)


@dataclass(frozen=True, slots=True)
class InterstateAllocation:
    """The interstate share of a service type when no traffic study says otherwise. For a
    `private_line` service the 10 % rule applies: more than 10 % interstate makes the line wholly
    interstate, 10 % or less wholly intrastate."""

    service_type: str
    interstate_percent: Decimal
    private_line: bool = False


@dataclass(frozen=True, slots=True)
class TaxTables:
    """Jurisdictions, interstate allocations and rules (in evaluation order: a tax comes after
    every tax in its base), as read from `source`."""

    source: str
    name: str
    notice: str
    jurisdictions: Mapping[str, Jurisdiction]
    allocations: Mapping[str, InterstateAllocation]
    rules: tuple[TaxRule, ...]

    def chain(self, jurisdiction_id: str) -> tuple[Jurisdiction, ...]:
        """The jurisdiction and its ancestors, innermost first (the tables are acyclic)."""
        found: list[Jurisdiction] = []
        current: str | None = jurisdiction_id
        while current is not None:
            jurisdiction = self.jurisdictions[current]
            found.append(jurisdiction)
            current = jurisdiction.parent_id
        return tuple(found)

    def state_of(self, jurisdiction_id: str) -> str | None:
        """The state-level jurisdiction a jurisdiction lies in (None above state level)."""
        for jurisdiction in self.chain(jurisdiction_id):
            if jurisdiction.level is JurisdictionLevel.STATE:
                return jurisdiction.id
        return None


@dataclass(frozen=True, slots=True)
class ExemptionCertificate:
    """A TMF666 TaxExemptionCertificate: exempts its account (and the accounts under it) from the
    tax types and levels it covers, in its issuing jurisdiction and those inside it, over
    [valid_from, valid_to)."""

    id: str
    number: str
    billing_account_id: str
    issuing_jurisdiction_id: str
    tax_types: frozenset[str]
    levels: frozenset[JurisdictionLevel]
    valid_from: date
    valid_to: date | None = None
    reason: str = ""

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True, slots=True)
class TrafficStudy:
    """The measured interstate share of an account's traffic of one service type."""

    id: str
    billing_account_id: str
    service_type: str
    interstate_percent: Decimal
    valid_from: date
    valid_to: date | None = None

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True, slots=True)
class TaxAccountData:
    """What the engine knows about accounts beyond the world: certificates and traffic studies."""

    certificates: tuple[ExemptionCertificate, ...] = ()
    traffic_studies: tuple[TrafficStudy, ...] = ()
    source: str = ""
