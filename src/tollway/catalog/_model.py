"""Catalog records and effective-dated price lookup."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tollway.money import TollwayError
from tollway.pricing import PriceDefinition


class CatalogError(TollwayError):
    code = "invalid_catalog"


class ChargeKind(StrEnum):
    """TMF620 priceType, with the timing of recurring charges made explicit."""

    RECURRING_ADVANCE = "recurring_advance"
    """Billed at the start of the period it covers (MRC in advance); prorated on changes."""
    RECURRING_ARREARS = "recurring_arrears"
    """Billed after the period it covers."""
    ONE_TIME = "one_time"
    """Billed once, on activation (installation, NRC)."""
    USAGE = "usage"
    """Rated from usage records of `usage_type`."""


class QuantityBasis(StrEnum):
    """What quantity a recurring or one-time price is applied to."""

    ONE = "one"
    """The price is per product instance (a flat MRC)."""
    BANDWIDTH_MBPS = "bandwidth_mbps"
    """The price is per Mbps of the instance's bandwidth (per_unit or tiered on Mbps)."""


@dataclass(frozen=True, slots=True)
class ProductOfferingPrice:
    """A TMF620 ProductOfferingPrice: one charge of an offering, valid over [valid_from, valid_to)."""

    id: str
    offering_id: str
    kind: ChargeKind
    price: PriceDefinition
    valid_from: datetime
    valid_to: datetime | None = None
    usage_type: str | None = None
    quantity_basis: QuantityBasis = QuantityBasis.ONE
    name: str = ""
    tax_inclusive: bool = False
    """The price includes taxes: the tax step splits each charge into net amount and taxes."""

    def __post_init__(self) -> None:
        assert self.valid_from.tzinfo is not None, "valid_from must be timezone-aware"
        assert self.valid_to is None or self.valid_to > self.valid_from
        assert (self.kind is ChargeKind.USAGE) == (self.usage_type is not None), (
            "usage prices name a usage_type; other prices do not"
        )

    def is_valid_at(self, instant: datetime) -> bool:
        return self.valid_from <= instant and (self.valid_to is None or instant < self.valid_to)


@dataclass(frozen=True, slots=True)
class ProductOffering:
    """A TMF620 ProductOffering: a sellable product such as "MPLS 100 Mbps port"."""

    id: str
    name: str
    product_type: str
    """Family used by reports, taxes and generators: mpls, dia, sdwan, security, sip."""
    prices: tuple[ProductOfferingPrice, ...]


@dataclass(frozen=True, slots=True)
class Bundle:
    """A bundled offering: products sold together get `discount_percent` off their recurring charges."""

    id: str
    name: str
    offering_ids: tuple[str, ...]
    discount_percent: Decimal

    def __post_init__(self) -> None:
        assert Decimal(0) <= self.discount_percent <= Decimal(100)


@dataclass(frozen=True, slots=True)
class Catalog:
    offerings: Mapping[str, ProductOffering]
    bundles: Mapping[str, Bundle] = field(default_factory=dict)

    def prices_at(self, offering_id: str, instant: datetime) -> tuple[ProductOfferingPrice, ...]:
        """Every price of an offering in force at `instant`, in a stable order (by id)."""
        offering = self.offerings.get(offering_id)
        if offering is None:
            raise CatalogError(f"unknown product offering {offering_id!r}")
        return tuple(
            sorted((p for p in offering.prices if p.is_valid_at(instant)), key=lambda p: p.id)
        )
