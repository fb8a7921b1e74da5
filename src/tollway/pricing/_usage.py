"""`UsageEvent`: one usage record as the pricing core sees it."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tollway.money import to_decimal


@dataclass(frozen=True, slots=True)
class UsageEvent:
    """One usage record to be priced.

    Aggregating models (per-unit, tiers, packages, blocks) use only `quantity`; the others read the
    field their model needs: `amount` (the transaction amount a percentage applies to), `unit_price`
    (a dynamic price carried by the record), `start` (time-of-day bands, 95th-percentile samples),
    `origin` / `destination` (zones).

    >>> UsageEvent.of("90", start=None).quantity
    Decimal('90')
    """

    quantity: Decimal
    start: datetime | None = None
    amount: Decimal | None = None
    unit_price: Decimal | None = None
    origin: str | None = None
    destination: str | None = None
    record_id: str | None = None
    characteristics: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        assert isinstance(self.quantity, Decimal), "UsageEvent.quantity must be a Decimal"
        assert self.amount is None or isinstance(self.amount, Decimal)
        assert self.unit_price is None or isinstance(self.unit_price, Decimal)
        assert self.start is None or self.start.tzinfo is not None, "start must be timezone-aware"

    @classmethod
    def of(
        cls,
        quantity: Decimal | int | str,
        *,
        start: datetime | None = None,
        amount: Decimal | int | str | None = None,
        unit_price: Decimal | int | str | None = None,
        origin: str | None = None,
        destination: str | None = None,
        record_id: str | None = None,
    ) -> "UsageEvent":
        """Build an event from user-supplied numbers (strings, ints or Decimals; never floats)."""
        return cls(
            quantity=to_decimal(quantity, field="quantity"),
            start=start,
            amount=None if amount is None else to_decimal(amount, field="amount"),
            unit_price=None if unit_price is None else to_decimal(unit_price, field="unit_price"),
            origin=origin,
            destination=destination,
            record_id=record_id,
        )


def describe_record(event: UsageEvent, index: int) -> str:
    """How an error names a usage record: its record id, else its position (counted from 1).

    >>> describe_record(UsageEvent.of("1", record_id="cdr-7"), 0), describe_record(UsageEvent.of("1"), 2)
    ("record 'cdr-7'", 'record #3 (no record_id)')
    """
    if event.record_id is not None:
        return f"record {event.record_id!r}"
    return f"record #{index + 1} (no record_id)"
