"""Schema of the transaction and spend models: percentage, graduated percentage, dynamic and
spend commitment.

`SpendCommitmentSpec.inner` is any price spec. Its type is the forward reference `PricingSpec`,
the discriminated union the schema package composes from every module's `SPECS`; the module that
defines that union resolves it with `SpendCommitmentSpec.model_rebuild()` (or
`model_rebuild(_types_namespace={"PricingSpec": union})`). Until then the class is not usable.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal, Protocol

from tollway.pricing._commitment import SpendCommitment
from tollway.pricing._dynamic import Dynamic
from tollway.pricing._model import PricingModel
from tollway.pricing._percentage import GraduatedPercentage, Percentage, PercentageTier
from tollway.pricing.schema._common import (
    BoundedCount,
    ExactDecimal,
    SpecBase,
    TierBound,
    built_under,
)

if TYPE_CHECKING:

    class _BuildsPricingModel(Protocol):
        def build(self) -> PricingModel: ...

    PricingSpec = _BuildsPricingModel


class PercentageSpec(SpecBase):
    """`model: percentage`. `rate` is a percentage number: "2.5" is 2.5 %."""

    model: Literal["percentage"]
    rate: ExactDecimal
    fixed_fee_per_transaction: ExactDecimal = Decimal(0)
    free_transactions: Annotated[int, BoundedCount] = 0
    free_amount: ExactDecimal = Decimal(0)
    per_transaction_min: ExactDecimal | None = None
    per_transaction_max: ExactDecimal | None = None

    def build(self) -> Percentage:
        return Percentage(
            rate=self.rate,
            fixed_fee_per_transaction=self.fixed_fee_per_transaction,
            free_transactions=self.free_transactions,
            free_amount=self.free_amount,
            per_transaction_min=self.per_transaction_min,
            per_transaction_max=self.per_transaction_max,
        )


class PercentageTierSpec(SpecBase):
    """One tier of a graduated percentage; the last tier's `up_to` is left out, null or "inf"."""

    up_to: TierBound = None
    rate: ExactDecimal
    flat_fee: ExactDecimal = Decimal(0)

    def build(self) -> PercentageTier:
        return PercentageTier(up_to=self.up_to, rate=self.rate, flat_fee=self.flat_fee)


class GraduatedPercentageSpec(SpecBase):
    """`model: graduated_percentage`."""

    model: Literal["graduated_percentage"]
    tiers: tuple[PercentageTierSpec, ...]

    def build(self) -> GraduatedPercentage:
        return GraduatedPercentage(tiers=tuple(tier.build() for tier in self.tiers))


class DynamicSpec(SpecBase):
    """`model: dynamic`: the price comes with each usage record."""

    model: Literal["dynamic"]

    def build(self) -> Dynamic:
        return Dynamic()


class SpendCommitmentSpec(SpecBase):
    """`model: spend_commitment`: any price (`inner`) with a minimum and/or maximum spend."""

    model: Literal["spend_commitment"]
    inner: "PricingSpec"
    minimum_amount: ExactDecimal | None = None
    maximum_amount: ExactDecimal | None = None

    def build(self) -> SpendCommitment:
        return SpendCommitment(
            inner=built_under("inner", self.inner.build),
            minimum_amount=self.minimum_amount,
            maximum_amount=self.maximum_amount,
        )


SPECS = (PercentageSpec, GraduatedPercentageSpec, DynamicSpec, SpendCommitmentSpec)
