"""Rating for the bill run: the `UsageRater` seam, and an adapter onto the reference rater.

`rate_with_reference` reads the batch's usage from the usage store with DuckDB (the circuits of
the batch, each in its paying account's closed period), turns each record into a `RatableRecord`
under the billing charge key, and prices them row by row with `tollway.rating.reference`. The
DuckDB rating engine replaces the last step; the record selection stays.

Which price rates a record: the usage price of the product's offering at the record's start (a
CHANGE event may switch offering) for the record's usage type, or the agreement's override of it.
A record with no such price is rejected by the rater as `unknown_price`. Records are matched to
products by `circuit_id`; records that only carry a `service_id` are not billed here.

A record whose start falls where its product is not active (before the activation, during a
suspension, at or after the disconnect: outside the active `tollway.inventory.segments`) is rejected
as `circuit_not_active`, never billed: the message names the circuit, the instant and the state.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any, Final, Protocol

from tollway.billing import BillingInputs, bill_cycle_for, usage_charge_key
from tollway.billrun._batches import payers_of
from tollway.catalog import ChargeKind, ProductOfferingPrice
from tollway.conventions import profile
from tollway.inventory import LifecycleAction, Product, event_instants, segments
from tollway.money import MONEY_CONTEXT
from tollway.pricing import PriceDefinition, UsageEvent
from tollway.rating.reference import RatableRecord, RatingOutcome, RatingReject, rate_records
from tollway.usage import UsageStore, connect_duckdb

UNPRICED_PREFIX: Final = "unpriced:"
"""Price id given to a record whose product has no usage price for its type: the rater rejects it."""
CIRCUIT_NOT_ACTIVE: Final = "circuit_not_active"
"""Reject code of a record whose start falls where its product is not active."""
usage_rows_per_fetch: Final = 50_000
_ACTIVITY_ACTIONS: Final = frozenset(
    {
        LifecycleAction.ACTIVATE,
        LifecycleAction.SUSPEND,
        LifecycleAction.RESUME,
        LifecycleAction.DISCONNECT,
    }
)


class UsageRater(Protocol):
    """Rates the usage of the accounts in `inputs` (a batch's slice of the world) for the run over
    [period_start, period_end): each paying account's closed period, under the billing charge
    keys. Must be deterministic: a resumed run rates a batch again and must get the same charges."""

    def __call__(
        self,
        usage_store: UsageStore,
        inputs: BillingInputs,
        *,
        period_start: datetime,
        period_end: datetime,
    ) -> RatingOutcome: ...


@dataclass(frozen=True, slots=True)
class _InactiveSpan:
    """A stretch [start, end) of a product's window in which it is not active, and why: its
    `state` reads "disconnected on 2026-03-10", "suspended on ...", "not activated until ..."."""

    start: datetime
    end: datetime
    state: str


@dataclass(frozen=True, slots=True)
class _Window:
    """Where one circuit's usage is billed: its product, account and the closed period, and the
    stretches of that period in which the product is not active."""

    product: Product
    start: datetime
    end: datetime
    inactive: tuple[_InactiveSpan, ...]

    def state_at(self, instant: datetime) -> str | None:
        """Why the product is not active at `instant`, or None when it is."""
        for span in self.inactive:
            if span.start <= instant < span.end:
                return span.state
        return None


def rate_with_reference(
    usage_store: UsageStore,
    inputs: BillingInputs,
    *,
    period_start: datetime,
    period_end: datetime,
) -> RatingOutcome:
    """Rate a batch's usage with the reference rater (a `UsageRater`)."""
    windows = _circuit_windows(inputs, period_start=period_start, period_end=period_end)
    groups: dict[tuple[str, str], list[RatableRecord]] = {}
    prices: dict[tuple[str, str], dict[str, PriceDefinition]] = {}
    inactive: list[RatingReject] = []
    for row in _usage_rows(usage_store, windows):
        window = _window_of(windows[row["circuit_id"]], row["start_time"])
        if window is None:
            continue
        record, definition = _ratable(row, window, inputs)
        state = window.state_at(row["start_time"])
        if state is not None:
            inactive.append(_inactive_reject(record, window.product, state))
            continue
        group = _group_of(window.product, inputs)
        groups.setdefault(group, []).append(record)
        if definition is not None:
            prices.setdefault(group, {})[record.price_id] = definition
    outcomes = [
        rate_records(records, prices.get(group, {}), conventions=profile(group[0]))
        for group, records in sorted(groups.items())
    ]
    return _merged([*outcomes, RatingOutcome((), tuple(inactive))])


def _inactive_reject(record: RatableRecord, product: Product, state: str) -> RatingReject:
    assert record.event.start is not None, "a stored record has a start"
    return RatingReject(
        record.event.record_id,
        record.charge_key,
        record.price_id,
        CIRCUIT_NOT_ACTIVE,
        inactive_message(product.circuit_id, instant=record.event.start, state=state),
    )


def inactive_message(circuit_id: str, *, instant: datetime, state: str) -> str:
    """The message of a `circuit_not_active` reject: the circuit, the instant (UTC), the state.

    >>> inactive_message("CKT-1", instant=datetime(2026, 3, 20, 10, tzinfo=UTC),
    ...                  state="disconnected on 2026-03-10")
    'circuit CKT-1 is not active at 2026-03-20T10:00:00+00:00: disconnected on 2026-03-10'
    """
    return f"circuit {circuit_id} is not active at {instant.astimezone(UTC).isoformat()}: {state}"


def inactive_spans(
    product: Product, *, start: datetime, end: datetime
) -> tuple[_InactiveSpan, ...]:
    """The stretches of [start, end) (UTC) outside the product's active segments, each with the
    state the product is in: the complement of what recurring charges bill.

    >>> from decimal import Decimal
    >>> from tollway.inventory import LifecycleEvent
    >>> at = lambda day: datetime(2026, 3, day, tzinfo=UTC)
    >>> port = Product("P1", "C1", "A1", "o", Decimal(1), "S1", "J", (
    ...     LifecycleEvent(at(5), LifecycleAction.ACTIVATE),
    ...     LifecycleEvent(at(10), LifecycleAction.SUSPEND),
    ...     LifecycleEvent(at(12), LifecycleAction.RESUME),
    ...     LifecycleEvent(at(20), LifecycleAction.DISCONNECT)))
    >>> [(s.start.day, s.end.day, s.state) for s in inactive_spans(port, start=at(1), end=at(31))]
    [(1, 5, 'not activated until 2026-03-05'), (10, 12, 'suspended on 2026-03-10'), \
(20, 31, 'disconnected on 2026-03-20')]
    """
    gaps: list[tuple[datetime, datetime]] = []
    since = start
    for segment in segments(product, start=start, end=end):
        if not segment.active:
            continue
        if since < segment.start:
            gaps.append((since, segment.start))
        since = segment.end
    if since < end:
        gaps.append((since, end))
    return tuple(
        _InactiveSpan(
            gap_start.astimezone(UTC), gap_end.astimezone(UTC), _state(product, gap_start)
        )
        for gap_start, gap_end in gaps
    )


def _state(product: Product, instant: datetime) -> str:
    """Why the product is not active from `instant` on (a gap's start): the last activity event
    at or before it, a suspension or the disconnect, or no activation yet."""
    last = None
    for event in product.events:
        if event.at <= instant and event.action in _ACTIVITY_ACTIONS:
            last = event
    if last is None:
        activations = event_instants(product, LifecycleAction.ACTIVATE)
        return f"not activated until {_day(activations[0])}" if activations else "never activated"
    assert last.action in (LifecycleAction.SUSPEND, LifecycleAction.DISCONNECT), (
        f"{product.id}: inactive at {instant.isoformat()} after {last.action}"
    )
    verb = "suspended" if last.action is LifecycleAction.SUSPEND else "disconnected"
    return f"{verb} on {_day(last.at)}"


def _day(instant: datetime) -> str:
    """An event's day, or its whole instant when it is not at midnight (in its own zone)."""
    return instant.date().isoformat() if instant.time() == time(0) else instant.isoformat()


def _circuit_windows(
    inputs: BillingInputs, *, period_start: datetime, period_end: datetime
) -> dict[str, list[_Window]]:
    payers = payers_of(inputs)
    windows: dict[str, list[_Window]] = {}
    for product_id in sorted(inputs.products):
        product = inputs.products[product_id]
        payer = inputs.accounts[payers[product.billing_account_id]]
        cycle = bill_cycle_for(payer, window_start=period_start, window_end=period_end)
        if cycle is None:
            continue
        start, end = cycle.closed.start.astimezone(UTC), cycle.closed.end.astimezone(UTC)
        windows.setdefault(product.circuit_id, []).append(
            _Window(product, start, end, inactive_spans(product, start=start, end=end))
        )
    return windows


def _window_of(windows: Sequence[_Window], start: datetime) -> _Window | None:
    """The product a record of a circuit belongs to: the first, by product id, whose window holds
    the record (a circuit id normally names one product)."""
    for window in windows:
        if window.start <= start < window.end:
            return window
    return None


def _usage_rows(
    usage_store: UsageStore, windows: dict[str, list[_Window]]
) -> Iterator[dict[str, Any]]:
    """The stored records of the batch's circuits from the earliest window start to the latest
    window end, in a stable order (each record's own window is checked by the caller)."""
    spans = [window for found in windows.values() for window in found]
    if not spans:
        return
    earliest, latest = min(span.start for span in spans), max(span.end for span in spans)
    months = usage_months(earliest, latest)
    periods = [period for period in usage_store.periods() if period in months]
    if not periods:
        return
    relation = " UNION ALL ".join(f"({usage_store.scan_sql(period)})" for period in periods)
    connection = connect_duckdb()
    try:
        result = connection.execute(
            f"""
            SELECT source, record_id, circuit_id, usage_type, start_time, quantity,
                   origin, destination, characteristics
            FROM ({relation})
            WHERE circuit_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
              AND start_time >= ? AND start_time < ?
            ORDER BY circuit_id, usage_type, start_time, source, record_id
            """,
            [sorted(windows), earliest, latest],
        )
        names = [column[0] for column in result.description or ()]
        while rows := result.fetchmany(usage_rows_per_fetch):
            yield from (dict(zip(names, row, strict=True)) for row in rows)
    finally:
        connection.close()


def usage_months(start: datetime, end: datetime) -> set[str]:
    """The usage months (UTC, `YYYY-MM`) that [start, end) touches (the month of `end` included).

    >>> sorted(usage_months(datetime(2025, 12, 15, tzinfo=UTC), datetime(2026, 1, 15, tzinfo=UTC)))
    ['2025-12', '2026-01']
    """
    months: set[str] = set()
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.add(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _group_of(product: Product, inputs: BillingInputs) -> tuple[str, str]:
    """Records rated together: one account profile and one agreement (its overrides)."""
    return (inputs.accounts[product.billing_account_id].profile, product.agreement_id or "")


def _ratable(
    row: dict[str, Any], window: _Window, inputs: BillingInputs
) -> tuple[RatableRecord, PriceDefinition | None]:
    product = window.product
    start: datetime = row["start_time"]
    key = usage_charge_key(
        billing_account_id=product.billing_account_id,
        product_id=product.id,
        usage_type=row["usage_type"],
        period_start=window.start,
    )
    quantity = row["quantity"]
    assert isinstance(quantity, Decimal), "usage quantities are exact DECIMALs"
    event = UsageEvent(
        # The stored DECIMAL(38, 9) as is: the DuckDB engine prices the same fixed-scale values,
        # so both engines describe a charge in the same digits; bill lines show plain values.
        quantity=quantity,
        start=start,
        origin=row["origin"],
        destination=row["destination"],
        record_id=f"{row['source']}:{row['record_id']}",
        characteristics=tuple(sorted((row["characteristics"] or {}).items())),
    )
    found = _usage_price(product, row["usage_type"], start, inputs)
    if found is None:
        return RatableRecord(key, f"{UNPRICED_PREFIX}{row['usage_type']}", event), None
    return RatableRecord(key, found.id, event), _definition(found, product, inputs)


def plain_quantity(stored: Decimal) -> Decimal:
    """A stored DECIMAL(38, 9) quantity without the trailing zeros of its fixed scale, so bills
    read "120.4 GB", not "120.400000000 GB". The value is unchanged.

    >>> plain_quantity(Decimal("120.400000000")), plain_quantity(Decimal("100.000000000"))
    (Decimal('120.4'), Decimal('100'))
    >>> plain_quantity(Decimal("12345678901234567890123456789.123456780"))
    Decimal('12345678901234567890123456789.12345678')
    """
    # MONEY_CONTEXT's 38 digits hold any DECIMAL(38, 9) exactly; the default context's 28 do not.
    if stored == stored.to_integral_value():
        return stored.quantize(Decimal(1), context=MONEY_CONTEXT)
    return stored.normalize(context=MONEY_CONTEXT)


def _offering_at(product: Product, instant: datetime) -> str:
    offering_id = product.offering_id
    for event in product.events:
        if event.at <= instant and event.action is LifecycleAction.CHANGE and event.offering_id:
            offering_id = event.offering_id
    return offering_id


def _usage_price(
    product: Product, usage_type: str, instant: datetime, inputs: BillingInputs
) -> ProductOfferingPrice | None:
    for found in inputs.catalog.prices_at(_offering_at(product, instant), instant):
        if found.kind is ChargeKind.USAGE and found.usage_type == usage_type:
            return found
    return None


def _definition(
    found: ProductOfferingPrice, product: Product, inputs: BillingInputs
) -> PriceDefinition:
    agreement = (
        None if product.agreement_id is None else inputs.agreements.get(product.agreement_id)
    )
    override = None if agreement is None else agreement.override_for(found.id)
    return found.price if override is None else override


def _merged(outcomes: Sequence[RatingOutcome]) -> RatingOutcome:
    charges = sorted(
        (charge for outcome in outcomes for charge in outcome.charges),
        key=lambda charge: (charge.charge_key, charge.price_id),
    )
    rejects = sorted(
        (reject for outcome in outcomes for reject in outcome.rejects),
        key=lambda reject: (reject.charge_key, reject.price_id, reject.record_id or ""),
    )
    return RatingOutcome(tuple(charges), tuple(rejects))
