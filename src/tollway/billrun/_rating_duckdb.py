"""The bill run's vectorized `UsageRater`: selects, keys and prices a batch's usage in DuckDB.

It makes the same choices as `rate_with_reference` — which product a record belongs to (the first
by product id whose closed-period window holds it), which price rates it (the usage price of the
product's offering at the record's start, or the agreement's override), the billing charge key,
which records fall where their product is not active (rejected as `circuit_not_active`) — but as
joins over small per-product tables instead of a Python loop per record, and then prices with
`tollway.rating.duckdb`. Python work is per product and per price, never per rated record (only
the rejected ones become `RatingReject`s one by one).
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

import duckdb
import pyarrow as pa

from tollway.billing import BillingInputs, bill_cycle_for, usage_charge_key
from tollway.billrun._batches import payers_of
from tollway.billrun._rating import (
    CIRCUIT_NOT_ACTIVE,
    UNPRICED_PREFIX,
    _months,
    inactive_message,
    inactive_spans,
)
from tollway.catalog import ChargeKind
from tollway.conventions import profile
from tollway.inventory import LifecycleAction, Product
from tollway.pricing import PriceDefinition
from tollway.rating.duckdb import connect, rate_with_duckdb
from tollway.rating.reference import RatingOutcome, RatingReject
from tollway.usage import UsageStore

OVERRIDE_MARK: Final = "@agreement:"
"""Joins a price id and an agreement id into the engine's price key for an overridden price."""

_WINDOWS_SCHEMA: Final = pa.schema(
    [
        ("circuit_id", pa.string()),
        ("product_id", pa.string()),
        ("key_head", pa.string()),
        ("key_tail", pa.string()),
        ("window_start", pa.timestamp("us", tz="UTC")),
        ("window_end", pa.timestamp("us", tz="UTC")),
        ("profile_name", pa.string()),
    ]
)
_PRICES_SCHEMA: Final = pa.schema(
    [
        ("product_id", pa.string()),
        ("usage_type", pa.string()),
        ("segment_start", pa.timestamp("us", tz="UTC")),
        ("segment_end", pa.timestamp("us", tz="UTC")),
        ("price_key", pa.string()),
    ]
)
_INACTIVE_SCHEMA: Final = pa.schema(
    [
        ("product_id", pa.string()),
        ("span_start", pa.timestamp("us", tz="UTC")),
        ("span_end", pa.timestamp("us", tz="UTC")),
        ("state", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class _Tables:
    windows: list[dict[str, object]]
    prices: list[dict[str, object]]
    inactive: list[dict[str, object]]
    """Stretches of each product's window in which it is not active, with its state."""
    definitions: dict[str, PriceDefinition]
    """Engine price key → definition (a catalog price, or an agreement's override of it)."""
    spans: list[tuple[datetime, datetime]]


def rate_with_duckdb_engine(
    usage_store: UsageStore,
    inputs: BillingInputs,
    *,
    period_start: datetime,
    period_end: datetime,
) -> RatingOutcome:
    """Rate a batch's usage with the DuckDB engine (a `UsageRater`); equals `rate_with_reference`."""
    tables = _tables(inputs, period_start=period_start, period_end=period_end)
    if not tables.windows:
        return RatingOutcome((), ())
    earliest = min(start for start, _ in tables.spans)
    latest = max(end for _, end in tables.spans)
    periods = [period for period in usage_store.periods() if period in _months(earliest, latest)]
    if not periods:
        return RatingOutcome((), ())
    connection = connect()
    try:
        connection.register(
            "product_windows", pa.Table.from_pylist(tables.windows, _WINDOWS_SCHEMA)
        )
        connection.register("price_segments", pa.Table.from_pylist(tables.prices, _PRICES_SCHEMA))
        connection.register(
            "inactive_spans", pa.Table.from_pylist(tables.inactive, _INACTIVE_SCHEMA)
        )
        usage_sql = " UNION ALL ".join(f"({usage_store.scan_sql(period)})" for period in periods)
        connection.execute(f"CREATE TEMP TABLE keyed AS {_keyed_sql(usage_sql)}")
        outcomes = [
            _rate_profile(connection, name, tables.definitions) for name in _profiles(connection)
        ]
        outcomes.append(_inactive_rejects(connection))
    finally:
        connection.close()
    return _merged(outcomes)


def _keyed_sql(usage_sql: str) -> str:
    """Each usage record of a batch circuit, in its product's window, with its key and price."""
    return f"""
        WITH chosen AS (
            SELECT u.*, w.product_id, w.key_head, w.key_tail, w.profile_name
            FROM ({usage_sql}) AS u
            JOIN product_windows AS w
              ON u.circuit_id = w.circuit_id
             AND u.start_time >= w.window_start AND u.start_time < w.window_end
            QUALIFY row_number() OVER (
                PARTITION BY u.source, u.record_id ORDER BY w.product_id) = 1
        ),
        windowed AS (
            -- A product's inactive spans are disjoint: at most one holds a record.
            SELECT chosen.*, s.state AS inactive_state
            FROM chosen
            LEFT JOIN inactive_spans AS s
              ON s.product_id = chosen.product_id
             AND chosen.start_time >= s.span_start AND chosen.start_time < s.span_end
        )
        SELECT
            windowed.key_head || '|' || windowed.usage_type || '|' || windowed.key_tail
                AS charge_key,
            coalesce(p.price_key, '{UNPRICED_PREFIX}' || windowed.usage_type) AS price_id,
            windowed.source || ':' || windowed.record_id AS record_id,
            windowed.quantity,
            windowed.start_time,
            CAST(NULL AS DECIMAL(38, 9)) AS amount,
            CAST(NULL AS DECIMAL(38, 12)) AS unit_price,
            windowed.origin,
            windowed.destination,
            windowed.profile_name,
            windowed.circuit_id,
            windowed.inactive_state
        FROM windowed
        LEFT JOIN price_segments AS p
          ON p.product_id = windowed.product_id
         AND p.usage_type = windowed.usage_type
         AND windowed.start_time >= p.segment_start AND windowed.start_time < p.segment_end
        -- As the reference: the first usage price (by id) in force at the record's start.
        QUALIFY row_number() OVER (
            PARTITION BY windowed.source, windowed.record_id ORDER BY p.price_key) = 1
    """


def _profiles(connection: duckdb.DuckDBPyConnection) -> list[str]:
    rows = connection.execute(
        "SELECT DISTINCT profile_name FROM keyed WHERE inactive_state IS NULL ORDER BY 1"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _inactive_rejects(connection: duckdb.DuckDBPyConnection) -> RatingOutcome:
    """The records whose product is not active at their start, rejected as the reference does."""
    rows = connection.execute(
        """
        SELECT record_id, charge_key, price_id, circuit_id, start_time, inactive_state
        FROM keyed WHERE inactive_state IS NOT NULL
        ORDER BY charge_key, price_id, record_id
        """
    ).fetchall()
    rejects = tuple(
        RatingReject(
            record_id,
            charge_key,
            price_id.split(OVERRIDE_MARK)[0],
            CIRCUIT_NOT_ACTIVE,
            inactive_message(circuit_id, instant=start_time, state=state),
        )
        for record_id, charge_key, price_id, circuit_id, start_time, state in rows
    )
    return RatingOutcome((), rejects)


def _rate_profile(
    connection: duckdb.DuckDBPyConnection, name: str, definitions: Mapping[str, PriceDefinition]
) -> RatingOutcome:
    escaped = name.replace("'", "''")
    relation = (
        "SELECT charge_key, price_id, record_id, quantity, start_time, amount, unit_price, "
        f"origin, destination FROM keyed WHERE profile_name = '{escaped}' "
        "AND inactive_state IS NULL"
    )
    outcome = rate_with_duckdb(
        relation, definitions, conventions=profile(name), connection=connection
    )
    return _catalog_ids(outcome)


def _catalog_ids(outcome: RatingOutcome) -> RatingOutcome:
    """Bills name the catalog price id; the engine's key also named the overriding agreement."""
    charges = tuple(
        replace(charge, price_id=charge.price_id.split(OVERRIDE_MARK)[0])
        for charge in outcome.charges
    )
    rejects = tuple(
        replace(reject, price_id=reject.price_id.split(OVERRIDE_MARK)[0])
        for reject in outcome.rejects
    )
    return RatingOutcome(charges, rejects)


def _merged(outcomes: list[RatingOutcome]) -> RatingOutcome:
    charges = sorted(
        (charge for outcome in outcomes for charge in outcome.charges),
        key=lambda charge: (charge.charge_key, charge.price_id),
    )
    rejects = sorted(
        (reject for outcome in outcomes for reject in outcome.rejects),
        key=lambda reject: (reject.charge_key, reject.price_id, reject.record_id or ""),
    )
    return RatingOutcome(tuple(charges), tuple(rejects))


def _tables(inputs: BillingInputs, *, period_start: datetime, period_end: datetime) -> _Tables:
    payers = payers_of(inputs)
    windows: list[dict[str, object]] = []
    prices: list[dict[str, object]] = []
    inactive: list[dict[str, object]] = []
    definitions: dict[str, PriceDefinition] = {}
    spans: list[tuple[datetime, datetime]] = []
    for product_id in sorted(inputs.products):
        product = inputs.products[product_id]
        payer = inputs.accounts[payers[product.billing_account_id]]
        cycle = bill_cycle_for(payer, window_start=period_start, window_end=period_end)
        if cycle is None:
            continue
        start, end = cycle.closed.start.astimezone(UTC), cycle.closed.end.astimezone(UTC)
        spans.append((start, end))
        windows.append(_window_row(product, inputs, start=start, end=end))
        for row, key, definition in _price_segments(product, inputs, start=start, end=end):
            prices.append(row)
            definitions[key] = definition
        inactive.extend(_inactive_rows(product, start=start, end=end))
    return _Tables(windows, prices, inactive, definitions, spans)


def _window_row(
    product: Product, inputs: BillingInputs, *, start: datetime, end: datetime
) -> dict[str, object]:
    """The product's closed-period window, with the charge key around its usage type."""
    head, _, tail = usage_charge_key(
        billing_account_id=product.billing_account_id,
        product_id=product.id,
        usage_type="usage-type",
        period_start=start,
    ).partition("|usage-type|")
    return {
        "circuit_id": product.circuit_id,
        "product_id": product.id,
        "key_head": head,
        "key_tail": tail,
        "window_start": start,
        "window_end": end,
        "profile_name": inputs.accounts[product.billing_account_id].profile,
    }


def _inactive_rows(
    product: Product, *, start: datetime, end: datetime
) -> Iterator[dict[str, object]]:
    """The stretches of the window in which the product is not active, as the reference sees them."""
    for span in inactive_spans(product, start=start, end=end):
        yield {
            "product_id": product.id,
            "span_start": span.start,
            "span_end": span.end,
            "state": span.state,
        }


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


def _price_segments(
    product: Product, inputs: BillingInputs, *, start: datetime, end: datetime
) -> Iterator[tuple[dict[str, object], str, PriceDefinition]]:
    agreement = (
        None if product.agreement_id is None else inputs.agreements.get(product.agreement_id)
    )
    for offering_id, since, until in _offering_segments(product, start=start, end=end):
        offering = inputs.catalog.offerings.get(offering_id)
        if offering is None:
            continue
        for found in sorted(offering.prices, key=lambda price: price.id):
            if found.kind is not ChargeKind.USAGE or found.usage_type is None:
                continue
            valid_from = max(since, found.valid_from)
            valid_to = until if found.valid_to is None else min(until, found.valid_to)
            if valid_from >= valid_to:
                continue
            override = None if agreement is None else agreement.override_for(found.id)
            key = found.id if override is None else f"{found.id}{OVERRIDE_MARK}{agreement.id}"  # type: ignore[union-attr]
            row = {
                "product_id": product.id,
                "usage_type": found.usage_type,
                "segment_start": valid_from.astimezone(UTC),
                "segment_end": valid_to.astimezone(UTC),
                "price_key": key,
            }
            yield row, key, found.price if override is None else override
