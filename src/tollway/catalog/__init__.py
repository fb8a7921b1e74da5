"""The product catalog: offerings, their effective-dated prices, and bundles — TMF620 names.

Owns: what can be sold and at what price on a given date. A `ProductOfferingPrice` wraps a pricing
core `PriceDefinition` with its charge kind (recurring in advance or arrears, one-time, usage) and
validity. Invariants: prices of one offering and kind never overlap in time for the same usage
type; bundle discounts are percentages in [0, 100].
May import: the pure core. Never I/O.
"""

from tollway.catalog._model import (
    Bundle,
    Catalog,
    CatalogError,
    ChargeKind,
    ProductOffering,
    ProductOfferingPrice,
    QuantityBasis,
)

__all__ = [
    "Bundle",
    "Catalog",
    "CatalogError",
    "ChargeKind",
    "ProductOffering",
    "ProductOfferingPrice",
    "QuantityBasis",
]
