"""The pricing-model protocol, the price definition that wraps a model, and `price()`."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Protocol, runtime_checkable

from tollway.conventions import Conventions, profile
from tollway.money import Currency, DecimalLike, to_decimal
from tollway.pricing._result import PriceResult
from tollway.pricing._usage import UsageEvent


@runtime_checkable
class PricingModel(Protocol):
    """A pricing model: frozen data that prices a sequence of usage events.

    Implementations are frozen dataclasses whose `__post_init__` validates the definition and raises
    `PriceDefinitionError` naming the field; `price` is pure and returns the amount with its
    breakdown through `finalize`.
    """

    model: ClassVar[str]

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult: ...


@dataclass(frozen=True, slots=True)
class PriceDefinition:
    """A priced item: identity, currency, the model, and the conventions it follows.

    `profile` and `convention_overrides`, when set, are the price's own conventions and win over the
    caller's default (a migrated tariff keeps its old system's rules while the tenant uses another).
    """

    id: str
    currency: Currency
    pricing: PricingModel
    unit: str | None = None
    description: str | None = None
    profile: str | None = None
    convention_overrides: Mapping[str, object] = field(default_factory=dict)
    document: Mapping[str, object] | None = field(default=None, compare=False, repr=False)
    """The canonical price document this definition was read from (numbers as strings), for storage:
    `parse_price_definition(definition.document)` gives back an equal definition."""

    def conventions(self, default: Conventions) -> Conventions:
        base = profile(self.profile) if self.profile is not None else default
        if not self.convention_overrides:
            return base
        return base.replace(**dict(self.convention_overrides))


def total_quantity(events: Sequence[UsageEvent]) -> Decimal:
    """The summed quantity of events (what aggregating models price)."""
    return sum((event.quantity for event in events), Decimal(0))


def price(
    definition: PriceDefinition,
    usage: DecimalLike | Sequence[UsageEvent],
    *,
    conventions: Conventions | str = "tollway",
) -> PriceResult:
    """Price usage under a definition: a total quantity, or the usage events themselves.

    `conventions` is the caller's default (a profile name or a `Conventions`); a definition that
    names its own profile or overrides keeps them.
    """
    default = profile(conventions) if isinstance(conventions, str) else conventions
    if isinstance(usage, Decimal | int | str):
        events: Sequence[UsageEvent] = (UsageEvent(quantity=to_decimal(usage, field="quantity")),)
    else:
        events = usage
    return definition.pricing.price(
        events, currency=definition.currency, conventions=definition.conventions(default)
    )
