"""Dynamic pricing: each usage record carries its own price (Lago's `dynamic`, Stripe-style
per-record amounts for SMS, AI-model or resold usage whose cost changes during the period)."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from tollway.conventions import Conventions
from tollway.money import Currency
from tollway.pricing._errors import UsageError
from tollway.pricing._exact import exact_add, exact_multiply
from tollway.pricing._model import total_quantity
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._usage import UsageEvent, describe_record


@dataclass(slots=True)
class _UnitPriceGroup:
    quantity: Decimal
    records: int


@dataclass(frozen=True, slots=True)
class Dynamic:
    """The price is carried by each record: its `amount` is its total price; without one, its
    `quantity × unit_price`. A record with neither is a UsageError naming the record.

    Records that carry an amount become one breakdown line; records priced by quantity become one
    line per distinct unit price, in order of first appearance. Amounts may be negative (a record
    may carry a credit); the line total is what the records say.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> events = [UsageEvent.of(7, amount="0.70"), UsageEvent.of(5, amount="0.55"),
    ...           UsageEvent.of(10, unit_price="0.22")]
    >>> Dynamic().price(events, currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('3.45'), currency=USD)
    """

    model: ClassVar[str] = "dynamic"

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        carried_amount = Decimal(0)
        carried_quantity = Decimal(0)
        carried_records = 0
        groups: dict[Decimal, _UnitPriceGroup] = {}
        for index, event in enumerate(events):
            if event.amount is not None:
                carried_amount = exact_add(carried_amount, event.amount)
                carried_quantity = exact_add(carried_quantity, event.quantity)
                carried_records += 1
            elif event.unit_price is not None:
                group = groups.setdefault(event.unit_price, _UnitPriceGroup(Decimal(0), 0))
                group.quantity = exact_add(group.quantity, event.quantity)
                group.records += 1
            else:
                raise UsageError(
                    f"{describe_record(event, index)} carries no price: a dynamic price needs "
                    "the record's `amount`, or its `unit_price` to multiply by its quantity"
                )
        lines: list[BreakdownLine] = []
        if carried_records:
            lines.append(
                BreakdownLine(
                    "record_amount",
                    f"{carried_records} records carrying their own amount",
                    carried_quantity,
                    None,
                    carried_amount,
                )
            )
        lines.extend(_unit_price_line(price, group) for price, group in groups.items())
        return finalize(
            lines, quantity=total_quantity(events), currency=currency, conventions=conventions
        )


def _unit_price_line(unit_price: Decimal, group: _UnitPriceGroup) -> BreakdownLine:
    return BreakdownLine(
        "record_unit_price",
        f"{group.records} records: {group.quantity} × {unit_price}",
        group.quantity,
        unit_price,
        exact_multiply(group.quantity, unit_price),
    )
