"""The discriminated union of every pricing model's schema, keyed by `model`."""

from typing import Annotated, Final, get_args

from pydantic import Field

from tollway.pricing.schema import _tiers as tiers
from tollway.pricing.schema import _transactional as transactional
from tollway.pricing.schema._common import SpecBase
from tollway.pricing.schema._telecom import DurationRatingSpec, Percentile95Spec
from tollway.pricing.schema._tiers import (
    BlockTiersSpec,
    FlatSpec,
    GraduatedSpec,
    PackageSpec,
    PerUnitSpec,
    StairstepSpec,
    VolumeSpec,
)
from tollway.pricing.schema._transactional import (
    DynamicSpec,
    GraduatedPercentageSpec,
    PercentageSpec,
    SpendCommitmentSpec,
)

PricingSpec = Annotated[
    FlatSpec
    | PerUnitSpec
    | GraduatedSpec
    | VolumeSpec
    | StairstepSpec
    | PackageSpec
    | BlockTiersSpec
    | PercentageSpec
    | GraduatedPercentageSpec
    | DynamicSpec
    | SpendCommitmentSpec
    | DurationRatingSpec
    | Percentile95Spec,
    Field(discriminator="model"),
]
"""Any pricing model's schema; pydantic picks the class from the `model` field."""

# A spend commitment wraps any other price: resolve its forward reference now the union exists.
SpendCommitmentSpec.model_rebuild(_types_namespace={"PricingSpec": PricingSpec})

_ALL_SPECS: Final = (*tiers.SPECS, *transactional.SPECS, DurationRatingSpec, Percentile95Spec)


def _model_name(spec: type[SpecBase]) -> str:
    names = get_args(spec.model_fields["model"].annotation)
    assert len(names) == 1, f"{spec.__name__}.model must be a single Literal"
    name = names[0]
    assert isinstance(name, str)
    return name


MODEL_NAMES: Final[frozenset[str]] = frozenset(_model_name(spec) for spec in _ALL_SPECS)
"""Every `model` value the schema accepts."""
