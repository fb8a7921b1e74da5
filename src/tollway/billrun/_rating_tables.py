"""The small per-product tables the bill run's DuckDB rater joins usage with, built in Python.

For each product whose paying account the run bills: its closed-period window, cut into pieces
that are active or not (with the state the reference names), and the stretches of the window each
usage price rates (the usage price of the product's offering at the record's start, or the
agreement's override of it).

Both tables are made disjoint here, so the SQL join gives every record at most one row and needs
no window function to choose: a circuit's record belongs to the first product, by product id,
whose window holds it (a circuit id normally names one product); a record is rated by the first
usage price, by engine price key, in force for its usage type at its start. Work here is per
product and per price, never per record, and each paying account's cycle is computed once.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

import pyarrow as pa

from tollway.billing import BillCycle, BillingInputs, bill_cycle_for, usage_charge_key
from tollway.billrun._batches import payers_of
from tollway.billrun._rating import inactive_spans
from tollway.catalog import ChargeKind, ProductOfferingPrice
from tollway.inventory import LifecycleAction, Product
from tollway.pricing import PriceDefinition

OVERRIDE_MARK: Final = "@agreement:"
"""Joins a price id and an agreement id into the engine's price key for an overridden price."""

WINDOWS_SCHEMA: Final = pa.schema(
    [
        ("circuit_id", pa.string()),
        ("product_index", pa.int32()),
        ("key_head", pa.string()),
        ("key_tail", pa.string()),
        ("window_start", pa.timestamp("us", tz="UTC")),
        ("window_end", pa.timestamp("us", tz="UTC")),
        ("profile_name", pa.string()),
        ("inactive_state", pa.string()),
    ]
)
PRICES_SCHEMA: Final = pa.schema(
    [
        ("product_index", pa.int32()),
        ("usage_type", pa.string()),
        ("segment_start", pa.timestamp("us", tz="UTC")),
        ("segment_end", pa.timestamp("us", tz="UTC")),
        ("price_key", pa.string()),
    ]
)

Span = tuple[datetime, datetime]


@dataclass(slots=True)
class RatingTables:
    """Rows of the two tables, as columns, and the price definitions by engine price key."""

    windows: dict[str, list[object]] = field(
        default_factory=lambda: {name: [] for name in WINDOWS_SCHEMA.names}
    )
    prices: dict[str, list[object]] = field(
        default_factory=lambda: {name: [] for name in PRICES_SCHEMA.names}
    )
    definitions: dict[str, PriceDefinition] = field(default_factory=dict)
    """Engine price key → definition (a catalog price, or an agreement's override of it)."""
    spans: list[Span] = field(default_factory=list)
    """Every product window, before pieces were taken out of it."""
    circuits: dict[int, str] = field(default_factory=dict)
    """Product index → its circuit id."""

    def windows_table(self) -> pa.Table:
        return pa.table(self.windows, schema=WINDOWS_SCHEMA)

    def prices_table(self) -> pa.Table:
        return pa.table(self.prices, schema=PRICES_SCHEMA)


@dataclass(frozen=True, slots=True)
class _Window:
    product: Product
    index: int
    start: datetime
    end: datetime


def uncovered(span: Span, taken: Sequence[Span]) -> list[Span]:
    """The parts of `span` that no stretch in `taken` covers, in time order.

    >>> uncovered((1, 10), [(3, 5), (8, 12)])
    [(1, 3), (5, 8)]
    """
    parts: list[Span] = []
    cursor, end = span
    for taken_start, taken_end in sorted(taken):
        if taken_end <= cursor or taken_start >= end:
            continue
        if taken_start > cursor:
            parts.append((cursor, taken_start))
        cursor = max(cursor, taken_end)
    if cursor < end:
        parts.append((cursor, end))
    return parts


def rating_tables(
    inputs: BillingInputs, *, period_start: datetime, period_end: datetime
) -> RatingTables:
    """The tables for the products of the accounts in `inputs` billed over the run's window."""
    payers = payers_of(inputs)
    cycles: dict[str, BillCycle | None] = {}
    tables = RatingTables()
    by_circuit: dict[str, list[_Window]] = {}
    usage_prices: dict[str, list[ProductOfferingPrice]] = {}
    for index, product_id in enumerate(sorted(inputs.products)):
        product = inputs.products[product_id]
        payer_id = payers[product.billing_account_id]
        if payer_id not in cycles:
            cycles[payer_id] = bill_cycle_for(
                inputs.accounts[payer_id], window_start=period_start, window_end=period_end
            )
        cycle = cycles[payer_id]
        if cycle is None:
            continue
        start, end = cycle.closed.start.astimezone(UTC), cycle.closed.end.astimezone(UTC)
        tables.spans.append((start, end))
        tables.circuits[index] = product.circuit_id
        by_circuit.setdefault(product.circuit_id, []).append(_Window(product, index, start, end))
        _add_prices(tables, product, index, inputs, usage_prices, span=(start, end))
    for windows in by_circuit.values():
        _add_windows(tables, windows, inputs)
    return tables


def _add_windows(tables: RatingTables, windows: Sequence[_Window], inputs: BillingInputs) -> None:
    """A circuit's windows (in product id order), each instant to the first holding it, cut at
    the product's inactive spans."""
    taken: list[Span] = []
    rows = tables.windows
    for window in windows:
        product = window.product
        parts = uncovered((window.start, window.end), taken)
        taken.extend(parts)
        head, _, tail = usage_charge_key(
            billing_account_id=product.billing_account_id,
            product_id=product.id,
            usage_type="usage-type",
            period_start=window.start,
        ).partition("|usage-type|")
        profile_name = inputs.accounts[product.billing_account_id].profile
        pieces = list(_pieces(product, window))
        for part_start, part_end in parts:
            for piece_start, piece_end, state in pieces:
                low, high = max(part_start, piece_start), min(part_end, piece_end)
                if low >= high:
                    continue
                rows["circuit_id"].append(product.circuit_id)
                rows["product_index"].append(window.index)
                rows["key_head"].append(head)
                rows["key_tail"].append(tail)
                rows["window_start"].append(low)
                rows["window_end"].append(high)
                rows["profile_name"].append(profile_name)
                rows["inactive_state"].append(state)


def _pieces(product: Product, window: _Window) -> Iterator[tuple[datetime, datetime, str | None]]:
    """The window cut into stretches where the product is active (None) or not (its state)."""
    cursor = window.start
    for span in inactive_spans(product, start=window.start, end=window.end):
        if span.start > cursor:
            yield cursor, span.start, None
        yield span.start, span.end, span.state
        cursor = span.end
    if cursor < window.end:
        yield cursor, window.end, None


def _offering_segments(
    product: Product, *, start: datetime, end: datetime
) -> Iterator[tuple[str, datetime, datetime]]:
    """(offering id, from, to) over [start, end): CHANGE events switch the offering."""
    offering_id, since = product.offering_id, start
    for event in product.events:
        if event.action is not LifecycleAction.CHANGE or not event.offering_id:
            continue
        if event.at <= start:
            offering_id = event.offering_id
        elif event.at < end:
            yield offering_id, since, event.at
            offering_id, since = event.offering_id, event.at
    yield offering_id, since, end


def _usage_prices(
    inputs: BillingInputs, offering_id: str, found: dict[str, list[ProductOfferingPrice]]
) -> list[ProductOfferingPrice]:
    """The offering's usage prices by id (cached per offering)."""
    if offering_id not in found:
        offering = inputs.catalog.offerings.get(offering_id)
        found[offering_id] = [
            price
            for price in sorted(() if offering is None else offering.prices, key=lambda p: p.id)
            if price.kind is ChargeKind.USAGE and price.usage_type is not None
        ]
    return found[offering_id]


def _add_prices(
    tables: RatingTables,
    product: Product,
    index: int,
    inputs: BillingInputs,
    usage_prices: dict[str, list[ProductOfferingPrice]],
    *,
    span: Span,
) -> None:
    """The product's usage price segments, disjoint per usage type: the first by price key wins."""
    agreement = (
        None if product.agreement_id is None else inputs.agreements.get(product.agreement_id)
    )
    candidates: dict[str, list[tuple[str, datetime, datetime]]] = {}
    for offering_id, since, until in _offering_segments(product, start=span[0], end=span[1]):
        for found in _usage_prices(inputs, offering_id, usage_prices):
            valid_from = max(since, found.valid_from)
            valid_to = until if found.valid_to is None else min(until, found.valid_to)
            if valid_from >= valid_to:
                continue
            override = None if agreement is None else agreement.override_for(found.id)
            key = found.id if override is None else f"{found.id}{OVERRIDE_MARK}{agreement.id}"  # type: ignore[union-attr]
            tables.definitions[key] = found.price if override is None else override
            assert found.usage_type is not None
            candidates.setdefault(found.usage_type, []).append(
                (key, valid_from.astimezone(UTC), valid_to.astimezone(UTC))
            )
    rows = tables.prices
    for usage_type, segments in candidates.items():
        taken: list[Span] = []
        for key, start, end in sorted(segments, key=lambda segment: segment[0]):
            for part_start, part_end in uncovered((start, end), taken):
                taken.append((part_start, part_end))
                rows["product_index"].append(index)
                rows["usage_type"].append(usage_type)
                rows["segment_start"].append(part_start)
                rows["segment_end"].append(part_end)
                rows["price_key"].append(key)
