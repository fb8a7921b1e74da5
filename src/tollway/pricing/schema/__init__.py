"""The documented price schema: plain data (from JSON/YAML) → validated → frozen dataclasses.

Boundary code: pydantic lives here and nowhere else in the pricing package. Every problem becomes
a `PriceDefinitionError` whose field path (`pricing.tiers[1].up_to`) a person can follow.
"""

from tollway.pricing.schema._definition import (
    ConventionOverridesSpec,
    PriceDefinitionSpec,
    parse_price_catalog,
    parse_price_definition,
)
from tollway.pricing.schema._models import MODEL_NAMES, PricingSpec

__all__ = [
    "MODEL_NAMES",
    "ConventionOverridesSpec",
    "PriceDefinitionSpec",
    "PricingSpec",
    "parse_price_catalog",
    "parse_price_definition",
]
