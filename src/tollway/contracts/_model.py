"""Agreement records."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tollway.catalog import ChargeKind
from tollway.pricing import PriceDefinition


class CommitmentPeriod(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"


@dataclass(frozen=True, slots=True)
class Commitment:
    """A minimum spend: if the counted charges of a period fall short of `minimum_amount`,
    `shortfall_percent` of the shortfall is charged (100 = the whole shortfall; 25 or 50 for an
    "underutilization charge")."""

    id: str
    period: CommitmentPeriod
    minimum_amount: Decimal
    shortfall_percent: Decimal = Decimal(100)
    counted_kinds: tuple[ChargeKind, ...] = tuple(ChargeKind)

    def __post_init__(self) -> None:
        assert self.minimum_amount >= 0
        assert Decimal(0) <= self.shortfall_percent <= Decimal(100)


@dataclass(frozen=True, slots=True)
class EarlyTermination:
    """Charge on disconnecting before the term ends: `percent_of_remaining` of the monthly recurring
    charge times the whole months left in the term (e.g. 100 % within the minimum term)."""

    percent_of_remaining: Decimal

    def __post_init__(self) -> None:
        assert self.percent_of_remaining >= 0


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """A negotiated price replacing catalog price `offering_price_id` for this agreement's products."""

    offering_price_id: str
    price: PriceDefinition


@dataclass(frozen=True, slots=True)
class Agreement:
    """A TMF651 Agreement between the operator and a customer, attached to a billing account."""

    id: str
    billing_account_id: str
    name: str
    start: datetime
    term_months: int
    commitments: tuple[Commitment, ...] = ()
    early_termination: EarlyTermination | None = None
    price_overrides: tuple[PriceOverride, ...] = ()
    discount_percent: Decimal = Decimal(0)
    """A contract discount on recurring charges of the agreement's products."""

    def __post_init__(self) -> None:
        assert self.start.tzinfo is not None, "start must be timezone-aware"
        assert self.term_months >= 0
        assert Decimal(0) <= self.discount_percent <= Decimal(100)

    def override_for(self, offering_price_id: str) -> PriceDefinition | None:
        for override in self.price_overrides:
            if override.offering_price_id == offering_price_id:
                return override.price
        return None
