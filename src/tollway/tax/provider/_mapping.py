"""How tollway's bills are described to a communications tax service: the service mapping.

A `ServiceMapping` says which transaction/service (T/S) pair each bill line is taxed as (by its
offering's `product_type` and its `ChargeType`), which customer and sale type each customer class
is, and how the service's tax ids, jurisdiction codes and flags read back as tollway categories,
jurisdictions and treatments (and, read backwards, which tax ids and PCodes an exemption
certificate's tax types and issuing jurisdiction are). No customer class is exempt as such:
exemptions come from the certificates the accounts hold, valid on the bill date. It is loaded from a
mapping document (YAML or JSON, already parsed into a mapping) and checked with pydantic here, at
the boundary; every problem names its field.

`DEFAULT_SERVICE_MAPPING` is ILLUSTRATIVE: its pair numbers and tax ids are placeholders chosen
for the tests and the demo, not Avalara's pair table. An operator looks up the real pairs of their
account (AFC: `GET /api/v2/afc/tspairs`, tax types: `GET /api/v2/afc/taxtype/*`) and writes their
own mapping document.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Any, Final

from pydantic import Field, ValidationError, field_validator, model_validator

from tollway.accounts import CustomerClass
from tollway.billing import ChargeType, TaxTreatment
from tollway.tax.provider._errors import TaxProviderConfigError
from tollway.tax.provider._schema import (
    ExactNumber,
    StrictInteger,
    StrictModel,
    problems_of,
)

ANY: Final = "*"
"""A pair's product type or charge type that matches every value."""

CUSTOMER_TYPES: Final = {0: "residential", 1: "business", 2: "senior citizen", 3: "industrial"}
"""AFC `cust` codes (Invoice reference, Communications REST v2)."""
SALE_TYPES: Final = {0: "wholesale", 1: "retail", 2: "consumed", 3: "vendor use"}
"""AFC `sale` codes (LineItem reference)."""
DISCOUNT_TYPES: Final = {
    0: "none",
    1: "retail product",
    2: "manufacturer product",
    3: "account level",
    4: "subsidized",
    5: "goodwill",
}
"""AFC `disc` codes (LineItem reference; the Adjustments chapter explains each)."""


@dataclass(frozen=True, slots=True)
class ServicePair:
    """An AFC transaction/service pair: `tran` and `serv` of a line item."""

    transaction_type: int
    service_type: int
    description: str = ""


@dataclass(frozen=True, slots=True)
class Exemption:
    """An AFC tax-type exemption (`exms` entry: `tpe`, `dom`, `scp`, `frc`), claimed for an
    exemption certificate: the tax type, the domain (0 federal, 1 state, 2 county, 3 city) in
    which its location must match the taxing jurisdiction, and the levels it covers (128 federal
    + 256 state + 512 county + 1024 local)."""

    tax_type: int
    domain: int
    scope: int
    force: bool = False


@dataclass(frozen=True, slots=True)
class CompanyProfile:
    """The seller (AFC `cmpn`): business class `bscl` (0 ILEC, 1 not an ILEC), service class
    `svcl` (0 primary local, 1 primary long distance), facilities-based `fclt`, franchise
    `frch`, regulated `reg`, and an optional reporting identifier `idnt` (at most 20 bytes)."""

    business_class: int = 1
    service_class: int = 0
    facilities_based: bool = True
    franchise: bool = False
    regulated: bool = False
    identifier: str | None = None

    def __post_init__(self) -> None:
        assert self.business_class in (0, 1), "bscl is 0 (ILEC) or 1 (not an ILEC)"
        assert self.service_class in (0, 1), "svcl is 0 (primary local) or 1 (long distance)"
        assert self.identifier is None or len(self.identifier.encode()) <= 20, "idnt ≤ 20 bytes"


@dataclass(frozen=True, slots=True)
class ServiceMapping:
    """How bill lines, customers and the service's answers translate (see the module docstring).

    Build it with `parse_service_mapping`; `pair_for` finds a line's pair, most specific first:
    (product type, charge type), (product type, any), (any, charge type), (any, any).
    """

    label: str
    pairs: Mapping[tuple[str, str], ServicePair]
    customer_types: Mapping[CustomerClass, int]
    sale_types: Mapping[CustomerClass, int] = field(default_factory=dict)
    discount_types: Mapping[ChargeType, int] = field(default_factory=dict)
    tax_categories: Mapping[int, str] = field(default_factory=dict)
    jurisdictions: Mapping[int, str] = field(default_factory=dict)
    treatments: Mapping[int, TaxTreatment] = field(default_factory=dict)
    private_line_split: Decimal = Decimal("0.5")
    minute_units: frozenset[str] = frozenset({"minute", "minutes", "min"})
    country_codes: Mapping[str, str] = field(default_factory=dict)

    def pair_for(self, product_type: str | None, charge_type: ChargeType) -> ServicePair | None:
        """The pair a line is taxed as, or None when the mapping has none for it."""
        candidates = [(ANY, charge_type.value), (ANY, ANY)]
        if product_type is not None:
            candidates[:0] = [(product_type, charge_type.value), (product_type, ANY)]
        for key in candidates:
            if key in self.pairs:
                return self.pairs[key]
        return None

    def sale_type(self, customer_class: CustomerClass) -> int:
        """AFC `sale`: retail (1) unless the mapping says otherwise for the class."""
        return self.sale_types.get(customer_class, 1)

    def category_of(self, tax_type: int) -> str:
        """The tollway tax category of an AFC tax type id; `afc_<tid>` when the table lacks it."""
        return self.tax_categories.get(tax_type, f"afc_{tax_type}")

    def jurisdiction_of(self, pcode: int) -> str:
        """The tollway jurisdiction id of an AFC PCode; `afc_pcode_<pcd>` when unmapped."""
        return self.jurisdictions.get(pcode, f"afc_pcode_{pcode}")


# --- the mapping document --------------------------------------------------------------------

_CHARGE_TYPE_NAMES: Final = frozenset(charge_type.value for charge_type in ChargeType)
_TREATMENTS_FROM_SERVICE: Final = frozenset(
    {TaxTreatment.BILLED, TaxTreatment.COMPLIANCE_ONLY, TaxTreatment.CARRIER_ABSORBED}
)

NonNegative = Annotated[StrictInteger, Field(ge=0)]


class _PairSpec(StrictModel):
    product_type: str = Field(ANY, min_length=1)
    charge_type: str = ANY
    transaction_type: NonNegative
    service_type: NonNegative
    description: str = ""

    @field_validator("charge_type")
    @classmethod
    def _known_charge_type(cls, value: str) -> str:
        if value != ANY and value not in _CHARGE_TYPE_NAMES:
            known = ", ".join(sorted(_CHARGE_TYPE_NAMES))
            raise ValueError(f"{value!r} is not a charge type ({known}, or {ANY!r} for any)")
        return value


def _codes_problem(values: Mapping[Any, int], known: Mapping[int, str]) -> str | None:
    for key, code in values.items():
        if code not in known:
            allowed = ", ".join(f"{number} {name}" for number, name in known.items())
            return f"{key}: {code} is not one of {allowed}"
    return None


class _MappingSpec(StrictModel):
    label: str = Field(min_length=1)
    pairs: list[_PairSpec] = Field(min_length=1)
    customer_types: dict[CustomerClass, StrictInteger]
    sale_types: dict[CustomerClass, StrictInteger] = Field(default_factory=dict)
    discount_types: dict[ChargeType, StrictInteger] = Field(default_factory=dict)
    tax_categories: dict[int, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    jurisdictions: dict[int, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    treatments: dict[int, TaxTreatment] = Field(default_factory=dict)
    private_line_split: Annotated[ExactNumber, Field(ge=0, le=1)] = Decimal("0.5")
    minute_units: list[str] = Field(default_factory=lambda: ["minute", "minutes", "min"])
    country_codes: dict[str, str] = Field(default_factory=dict)

    @field_validator("customer_types")
    @classmethod
    def _every_class(cls, value: dict[CustomerClass, int]) -> dict[CustomerClass, int]:
        missing = [name.value for name in CustomerClass if name not in value]
        if missing:
            raise ValueError(f"no customer type for {', '.join(missing)}")
        problem = _codes_problem({key.value: code for key, code in value.items()}, CUSTOMER_TYPES)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("sale_types")
    @classmethod
    def _sale_codes(cls, value: dict[CustomerClass, int]) -> dict[CustomerClass, int]:
        problem = _codes_problem({key.value: code for key, code in value.items()}, SALE_TYPES)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("discount_types")
    @classmethod
    def _discount_codes(cls, value: dict[ChargeType, int]) -> dict[ChargeType, int]:
        problem = _codes_problem({key.value: code for key, code in value.items()}, DISCOUNT_TYPES)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("treatments")
    @classmethod
    def _service_treatments(cls, value: dict[int, TaxTreatment]) -> dict[int, TaxTreatment]:
        for tax_type, treatment in value.items():
            if treatment not in _TREATMENTS_FROM_SERVICE:
                raise ValueError(
                    f"{tax_type}: {treatment.value!r} cannot come from the service; use billed, "
                    "compliance_only or carrier_absorbed"
                )
        return value

    @model_validator(mode="after")
    def _pairs_once(self) -> "_MappingSpec":
        seen: dict[tuple[str, str], int] = {}
        for index, pair in enumerate(self.pairs):
            key = (pair.product_type, pair.charge_type)
            if key in seen:
                raise ValueError(
                    f"pairs[{seen[key]}] and pairs[{index}] both map product type "
                    f"{key[0]!r} with charge type {key[1]!r}"
                )
            seen[key] = index
        return self


def parse_service_mapping(document: Mapping[str, Any]) -> ServiceMapping:
    """A `ServiceMapping` from a parsed mapping document; a `TaxProviderConfigError` names every
    field that is wrong.

    >>> mapping = parse_service_mapping({
    ...     "label": "two pairs",
    ...     "pairs": [{"product_type": "sip", "charge_type": "usage",
    ...                "transaction_type": 19, "service_type": 6},
    ...               {"transaction_type": 1, "service_type": 4}],
    ...     "customer_types": {"business": 1, "government": 1, "residential": 0,
    ...                        "wholesale": 1}})
    >>> mapping.pair_for("sip", ChargeType.USAGE).service_type
    6
    >>> mapping.pair_for("mpls", ChargeType.RECURRING).service_type
    4
    >>> parse_service_mapping({"label": "x", "pairs": [{"transaction_type": 1.5,
    ...     "service_type": 4}], "customer_types": {"business": 1}})
    Traceback (most recent call last):
    ...
    tollway.tax.provider._errors.TaxProviderConfigError: service mapping: pairs[0].transaction_type: input should be a valid integer; customer_types: no customer type for government, residential, wholesale
    """
    try:
        spec = _MappingSpec.model_validate(document)
    except ValidationError as error:
        raise TaxProviderConfigError(f"service mapping: {problems_of(error)}") from None
    return ServiceMapping(
        label=spec.label,
        pairs=MappingProxyType(
            {
                (pair.product_type, pair.charge_type): ServicePair(
                    pair.transaction_type, pair.service_type, pair.description
                )
                for pair in spec.pairs
            }
        ),
        customer_types=MappingProxyType(dict(spec.customer_types)),
        sale_types=MappingProxyType(dict(spec.sale_types)),
        discount_types=MappingProxyType(dict(spec.discount_types)),
        tax_categories=MappingProxyType(dict(spec.tax_categories)),
        jurisdictions=MappingProxyType(dict(spec.jurisdictions)),
        treatments=MappingProxyType(dict(spec.treatments)),
        private_line_split=spec.private_line_split,
        minute_units=frozenset(spec.minute_units),
        country_codes=MappingProxyType(dict(spec.country_codes)),
    )
