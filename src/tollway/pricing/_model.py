"""The pricing-model protocol, the price definition that wraps a model, and `price()`."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Protocol, runtime_checkable

from tollway.conventions import Conventions, profile
from tollway.money import Currency, DecimalLike, to_decimal
from tollway.pricing._errors import PriceDefinitionError, UsageError
from tollway.pricing._exact import exact_sum
from tollway.pricing._limits import check_quantity, check_usage
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


@runtime_checkable
class CurrencyBound(Protocol):
    """A model with amounts of its own that must be whole minor units of the currency priced in
    (a spend commitment's bounds). A `PriceDefinition` checks them when it is made."""

    def check_currency(self, currency: Currency) -> None:
        """Raise `PriceDefinitionError` naming the field (from the model) if an amount is finer
        than `currency`'s minor unit."""
        ...


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

    def __post_init__(self) -> None:
        assert isinstance(self.currency, Currency), "PriceDefinition.currency must be a Currency"
        if isinstance(self.pricing, CurrencyBound):
            try:
                self.pricing.check_currency(self.currency)
            except PriceDefinitionError as error:
                raise error.under("pricing") from None

    def conventions(self, default: Conventions) -> Conventions:
        base = profile(self.profile) if self.profile is not None else default
        if not self.convention_overrides:
            return base
        return base.replace(**dict(self.convention_overrides))


def total_quantity(events: Sequence[UsageEvent]) -> Decimal:
    """The summed quantity of events (what aggregating models price), every digit kept.

    >>> total_quantity([UsageEvent.of("0.4999999999999999999999999999999"), UsageEvent.of("1")])
    Decimal('1.4999999999999999999999999999999')
    """
    return exact_sum(event.quantity for event in events)


def price(
    definition: PriceDefinition,
    usage: DecimalLike | Sequence[UsageEvent],
    *,
    conventions: Conventions | str = "tollway",
) -> PriceResult:
    """Price usage under a definition: a total quantity, or the usage events themselves.

    `conventions` is the caller's default (a profile name or a `Conventions`); a definition that
    names its own profile or overrides keeps them. Usage is checked against the limits first (at
    most 10^24, 9 decimals for quantities and transaction amounts, 12 for a record's unit price):
    a `UsageError` names the record beyond them, a float quantity is a `FloatNotAllowedError`.

    >>> from tollway.money import currency
    >>> from tollway.pricing._package import PerUnit
    >>> gb = PriceDefinition(id="gb", currency=currency("USD"), pricing=PerUnit.of("0.25"))
    >>> price(gb, "12.5").amount
    Money(amount=Decimal('3.13'), currency=USD)
    >>> price(gb, 12.5)
    Traceback (most recent call last):
    ...
    tollway.money._errors.FloatNotAllowedError: quantity: 12.5 is a float; give it as a string such as "12.5"
    """
    default = profile(conventions) if isinstance(conventions, str) else conventions
    events = _usage_events(usage)
    check_usage(events)
    return definition.pricing.price(
        events, currency=definition.currency, conventions=definition.conventions(default)
    )


def _usage_events(usage: object) -> Sequence[UsageEvent]:
    """Usage events as given, or one event for a bare quantity (never a float)."""
    if isinstance(usage, Sequence) and not isinstance(usage, str):
        for index, event in enumerate(usage):
            if not isinstance(event, UsageEvent):
                raise UsageError(
                    f"usage[{index}] is a {type(event).__name__}, not a UsageEvent: give a total "
                    "quantity or a sequence of UsageEvent"
                )
        return usage
    quantity = to_decimal(usage, field="quantity")
    check_quantity(quantity)
    return (UsageEvent(quantity=quantity),)
