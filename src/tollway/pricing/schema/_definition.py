"""The top of the price schema: a price definition (id, currency, conventions) around one model."""

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

from tollway.conventions import (
    PROFILE_NAMES,
    CreditBasis,
    PackageRounding,
    PartialDay,
    ProrationBasis,
    ProrationDenominator,
    TierBounds,
    VolumeTierLookup,
)
from tollway.money import RoundingMode, RoundingStage, TollwayError, currency
from tollway.pricing._errors import PriceDefinitionError
from tollway.pricing._model import PriceDefinition
from tollway.pricing.schema._common import SpecBase
from tollway.pricing.schema._errors import from_validation_error
from tollway.pricing.schema._models import MODEL_NAMES, PricingSpec

prices_per_document_max = 100_000


class ConventionOverridesSpec(SpecBase):
    """Options a price sets for itself on top of its profile; every field optional."""

    rounding_mode: RoundingMode | None = None
    rounding_stage: RoundingStage | None = None
    tier_bounds: TierBounds | None = None
    volume_tier_lookup: VolumeTierLookup | None = None
    flat_fee_at_zero: bool | None = None
    package_rounding: PackageRounding | None = None
    increment_rounding_decimals: Annotated[int, Field(ge=0, le=12)] | None = None
    proration_basis: ProrationBasis | None = None
    proration_denominator: ProrationDenominator | None = None
    partial_day: PartialDay | None = None
    proration_fraction_decimals: Annotated[int, Field(ge=0, le=28)] | None = None
    credit_basis: CreditBasis | None = None
    time_zone: str | None = None

    def overrides(self) -> dict[str, object]:
        return {name: value for name, value in self if value is not None}


class PriceDefinitionSpec(SpecBase):
    id: Annotated[str, Field(min_length=1, max_length=200)]
    currency: str
    pricing: PricingSpec
    unit: str | None = None
    description: str | None = None
    profile: str | None = None
    conventions: ConventionOverridesSpec | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        try:
            return currency(value).code
        except TollwayError as error:
            raise ValueError(error.message) from None

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str | None) -> str | None:
        if value is not None and value not in PROFILE_NAMES:
            raise ValueError(f"unknown profile {value!r}: choose one of {', '.join(PROFILE_NAMES)}")
        return value


def parse_price_definition(data: object, *, prefix: str = "") -> PriceDefinition:
    """Validate one price definition (plain data from JSON/YAML) into frozen dataclasses.

    >>> definition = parse_price_definition({
    ...     "id": "sdwan-data", "currency": "USD", "unit": "GB",
    ...     "pricing": {"model": "per_unit", "unit_price": "0.25"}})
    >>> definition.pricing
    PerUnit(unit_price=Decimal('0.25'))
    >>> parse_price_definition({"id": "x", "currency": "XYZ", "pricing": {"model": "flat"}})
    Traceback (most recent call last):
    ...
    tollway.pricing._errors.PriceDefinitionError: currency: unknown currency 'XYZ': expected an active ISO 4217 code such as USD, EUR or JPY
    pricing.amount: is required but missing
    """
    try:
        spec = PriceDefinitionSpec.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, tags=MODEL_NAMES, prefix=prefix) from None
    try:
        model = spec.pricing.build()
    except PriceDefinitionError as error:
        raise error.under(f"{prefix}.pricing" if prefix else "pricing") from None
    overrides = spec.conventions.overrides() if spec.conventions else {}
    try:
        # The definition checks what needs its currency (a commitment's bounds in whole minor
        # units), naming the field from the definition: pricing.minimum_amount.
        return PriceDefinition(
            id=spec.id,
            currency=currency(spec.currency),
            pricing=model,
            unit=spec.unit,
            description=spec.description,
            profile=spec.profile,
            convention_overrides=overrides,
            document=spec.model_dump(mode="json", exclude_unset=True),
        )
    except PriceDefinitionError as error:
        raise (error.under(prefix) if prefix else error) from None


def parse_price_catalog(data: object) -> tuple[PriceDefinition, ...]:
    """A document of prices: one definition, a list of them, or a mapping with a `prices` list.

    Ids must be unique; a repeated id names both places.

    >>> [d.id for d in parse_price_catalog({"prices": [
    ...     {"id": "a", "currency": "EUR", "pricing": {"model": "per_unit", "unit_price": "1"}},
    ...     {"id": "b", "currency": "EUR", "pricing": {"model": "per_unit", "unit_price": "2"}}]})]
    ['a', 'b']
    """
    if isinstance(data, Mapping) and "prices" not in data:
        return (parse_price_definition(data),)
    items, prefix = _price_items(data)
    if len(items) > prices_per_document_max:
        raise PriceDefinitionError(
            prefix or "(document)", f"more than {prices_per_document_max} prices"
        )
    seen: dict[str, int] = {}
    result: list[PriceDefinition] = []
    for index, item in enumerate(items):
        definition = parse_price_definition(item, prefix=f"{prefix}[{index}]")
        if definition.id in seen:
            raise PriceDefinitionError(
                f"{prefix}[{index}].id",
                f"{definition.id!r} repeats {prefix}[{seen[definition.id]}].id",
            )
        seen[definition.id] = index
        result.append(definition)
    return tuple(result)


def _price_items(data: object) -> tuple[list[Any], str]:
    if isinstance(data, Mapping):
        prices = data["prices"]
        if not isinstance(prices, list):
            raise PriceDefinitionError("prices", "must be a list of price definitions")
        return prices, "prices"
    if isinstance(data, list):
        return data, ""
    raise PriceDefinitionError(
        "(document)", "must be a price definition, a list, or {prices: [...]}"
    )
