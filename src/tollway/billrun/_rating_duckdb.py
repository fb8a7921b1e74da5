"""The bill run's vectorized `UsageRater`: selects, keys and prices a batch's usage in DuckDB.

It makes the same choices as `rate_with_reference` — which product a record belongs to (the first
by product id whose closed-period window holds it), which price rates it (the usage price of the
product's offering at the record's start, or the agreement's override), the billing charge key,
which records fall where their product is not active (rejected as `circuit_not_active`) — but as
joins over small per-product tables made disjoint in Python (`_rating_tables`), so that every
record meets at most one row of each and no window function has to choose, and then prices with
`tollway.rating.duckdb`. Python work is per product and per price, never per rated record (only
the rejected ones become `RatingReject`s one by one, and the engine's breakdown lines).
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tollway.billing import BillingInputs
from tollway.billrun._rating import (
    CIRCUIT_NOT_ACTIVE,
    UNPRICED_PREFIX,
    inactive_message,
    usage_months,
)
from tollway.billrun._rating_tables import OVERRIDE_MARK, RatingTables, rating_tables
from tollway.conventions import profile
from tollway.pricing import PriceDefinition
from tollway.rating.duckdb import (
    CHARGE_SCHEMA,
    REJECT_SCHEMA,
    ColumnarRating,
    connect,
    rate_with_duckdb,
    rate_with_duckdb_columnar,
)
from tollway.rating.reference import RatingOutcome, RatingReject
from tollway.usage import UsageStore


def rate_with_duckdb_engine(
    usage_store: UsageStore,
    inputs: BillingInputs,
    *,
    period_start: datetime,
    period_end: datetime,
) -> RatingOutcome:
    """Rate a batch's usage with the DuckDB engine (a `UsageRater`); equals `rate_with_reference`."""
    with _keyed(usage_store, inputs, period_start=period_start, period_end=period_end) as keyed:
        if keyed is None:
            return RatingOutcome((), ())
        connection, tables = keyed
        outcomes = [
            _rate_profile(connection, name, tables.definitions) for name in _profiles(connection)
        ]
        outcomes.append(_inactive_rejects(connection, tables.circuits))
    return _merged(outcomes)


def rate_with_duckdb_engine_columnar(
    usage_store: UsageStore,
    inputs: BillingInputs,
    *,
    period_start: datetime,
    period_end: datetime,
) -> ColumnarRating:
    """The same rating as `rate_with_duckdb_engine`, as Arrow tables of charges and rejects.

    Charges (key, catalog price id, record count, quantity, amounts) and rejects are those of
    the object rater, sorted alike; what it leaves out is the breakdown of each charge (no
    Python object per charge or per call line: see `tollway.rating.duckdb.CHARGE_SCHEMA`).
    """
    with _keyed(usage_store, inputs, period_start=period_start, period_end=period_end) as keyed:
        if keyed is None:
            return ColumnarRating(CHARGE_SCHEMA.empty_table(), REJECT_SCHEMA.empty_table())
        connection, tables = keyed
        ratings = [
            rate_with_duckdb_columnar(
                _profile_usage_sql(name),
                tables.definitions,
                conventions=profile(name),
                connection=connection,
            )
            for name in _profiles(connection)
        ]
        inactive = _inactive_rejects(connection, tables.circuits).rejects
    charges = _catalog_id_column(
        pa.concat_tables([CHARGE_SCHEMA.empty_table(), *(rating.charges for rating in ratings)])
    )
    rejects = pa.concat_tables(
        [
            *(_catalog_id_column(rating.rejects) for rating in ratings),
            pa.Table.from_pylist([_reject_row(reject) for reject in inactive], REJECT_SCHEMA),
        ]
    )
    return ColumnarRating(
        charges.sort_by([("charge_key", "ascending"), ("price_id", "ascending")]),
        # As `_merged`, which sorts a missing record id as "", first.
        rejects.sort_by(
            [(name, "ascending", "at_start") for name in ("charge_key", "price_id", "record_id")]
        ),
    )


@contextmanager
def _keyed(
    usage_store: UsageStore,
    inputs: BillingInputs,
    *,
    period_start: datetime,
    period_end: datetime,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, RatingTables] | None]:
    """A connection holding the `keyed` usage of the batch, and its tables; None: nothing to rate."""
    tables = rating_tables(inputs, period_start=period_start, period_end=period_end)
    if not tables.spans:
        yield None
        return
    earliest = min(start for start, _ in tables.spans)
    latest = max(end for _, end in tables.spans)
    periods = [
        period for period in usage_store.periods() if period in usage_months(earliest, latest)
    ]
    if not periods:
        yield None
        return
    connection = connect()
    try:
        _key_usage(connection, tables, usage_store, periods)
        yield connection, tables
    finally:
        connection.close()


def _catalog_id_column(found: pa.Table) -> pa.Table:
    """`found` with each engine price key that names an agreement cut to its catalog price id."""
    index = found.schema.get_field_index("price_id")
    parts = pc.split_pattern(found.column("price_id"), OVERRIDE_MARK, max_splits=1)
    return found.set_column(index, "price_id", pc.list_element(parts, 0))


def _reject_row(reject: RatingReject) -> dict[str, str | None]:
    return {
        "charge_key": reject.charge_key,
        "price_id": reject.price_id,
        "record_id": reject.record_id,
        "code": reject.code,
        "message": reject.message,
    }


def _key_usage(
    connection: duckdb.DuckDBPyConnection,
    tables: RatingTables,
    usage_store: UsageStore,
    periods: list[str],
) -> None:
    """The `keyed` table: every record of a batch circuit in its product's window."""
    connection.register("product_windows", tables.windows_table())
    connection.register("price_segments", tables.prices_table())
    usage_sql = " UNION ALL ".join(f"({usage_store.scan_sql(period)})" for period in periods)
    connection.execute(f"CREATE TEMP TABLE keyed AS {_keyed_sql(usage_sql)}")
    connection.unregister("product_windows")
    connection.unregister("price_segments")


_RECORD_ID: Final = "source || ':' || source_record_id"
"""A record's id on its rated charge and rejects: its source and its id there."""


def _keyed_sql(usage_sql: str) -> str:
    """Each usage record of a batch circuit, in its product's window, with its key and price.

    Windows and price segments are disjoint (`_rating_tables`): a record matches at most one of
    each, so the joins choose without a window function. The usage store holds a (source,
    record_id) at most once (`tollway.usage`), so each record gives at most one row."""
    return f"""
        SELECT
            w.key_head || '|' || u.usage_type || '|' || w.key_tail AS charge_key,
            coalesce(p.price_key, '{UNPRICED_PREFIX}' || u.usage_type) AS price_id,
            u.source,
            u.record_id AS source_record_id,
            u.quantity,
            u.start_time,
            u.origin,
            u.destination,
            w.profile_name,
            w.product_index,
            w.inactive_state
        FROM ({usage_sql}) AS u
        JOIN product_windows AS w
          ON u.circuit_id = w.circuit_id
         AND u.start_time >= w.window_start AND u.start_time < w.window_end
        LEFT JOIN price_segments AS p
          ON p.product_index = w.product_index AND p.usage_type = u.usage_type
         AND u.start_time >= p.segment_start AND u.start_time < p.segment_end
    """


def _profiles(connection: duckdb.DuckDBPyConnection) -> list[str]:
    rows = connection.execute(
        "SELECT DISTINCT profile_name FROM keyed WHERE inactive_state IS NULL ORDER BY 1"
    ).fetchall()
    return [str(row[0]) for row in rows]


def _inactive_rejects(
    connection: duckdb.DuckDBPyConnection, circuits: Mapping[int, str]
) -> RatingOutcome:
    """The records whose product is not active at their start, rejected as the reference does."""
    rows = connection.execute(
        f"""
        SELECT {_RECORD_ID} AS record_id, charge_key, price_id, product_index, start_time,
               inactive_state
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
            inactive_message(circuits[product_index], instant=start_time, state=state),
        )
        for record_id, charge_key, price_id, product_index, start_time, state in rows
    )
    return RatingOutcome((), rejects)


def _rate_profile(
    connection: duckdb.DuckDBPyConnection, name: str, definitions: Mapping[str, PriceDefinition]
) -> RatingOutcome:
    outcome = rate_with_duckdb(
        _profile_usage_sql(name), definitions, conventions=profile(name), connection=connection
    )
    return _catalog_ids(outcome)


def _profile_usage_sql(name: str) -> str:
    """The usage the engine rates under conventions profile `name`: the active keyed records."""
    escaped = name.replace("'", "''")
    # No amount or unit price: the engine reads them as NULL. The record id is written where a
    # query needs it (calls, samples), not for every record.
    return (
        f"SELECT charge_key, price_id, {_RECORD_ID} AS record_id, quantity, start_time, origin, "
        f"destination FROM keyed WHERE profile_name = '{escaped}' AND inactive_state IS NULL"
    )


def _catalog_ids(outcome: RatingOutcome) -> RatingOutcome:
    """Bills name the catalog price id; the engine's key also named the overriding agreement."""
    charges = tuple(
        replace(charge, price_id=charge.price_id.split(OVERRIDE_MARK)[0])
        if OVERRIDE_MARK in charge.price_id
        else charge
        for charge in outcome.charges
    )
    rejects = tuple(
        replace(reject, price_id=reject.price_id.split(OVERRIDE_MARK)[0])
        if OVERRIDE_MARK in reject.price_id
        else reject
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
