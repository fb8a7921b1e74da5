"""The rating run: register the compiled tables, aggregate, find failing charges, build lines.

A session owns the engine's names in the connection (registered Arrow tables, temp views and
tables, all prefixed `tollway_rating_`) and drops them when the run ends, so a caller's
connection is left as it was found (apart from extension autoloading being off).
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import duckdb

from tollway.conventions import Conventions
from tollway.money import TollwayError
from tollway.pricing import PriceDefinition
from tollway.rating.duckdb._compile import Catalog, compile_catalog
from tollway.rating.duckdb._duration_lines import (
    calls_sql,
    duration_line_query,
    duration_pattern_query,
    offsets_table,
    patterned_calls_sql,
    patterns_sql,
)
from tollway.rating.duckdb._event_lines import EVENT_MODELS, event_line_query
from tollway.rating.duckdb._failures import Failure, charge_failures, failures_table
from tollway.rating.duckdb._quantity_lines import quantity_line_query, spend_line_query
from tollway.rating.duckdb._records import (
    UsageInputError,
    UsageSource,
    connect,
    create_usage_view,
    secure,
    source_sql,
)
from tollway.rating.duckdb._sql import LineQuery, check_exact, table, union_all

_RECORD_MODELS: Final = frozenset({*EVENT_MODELS, "graduated_percentage", "duration"})
_REGISTERED: Final = (
    "input", "prices", "tiers", "blocks", "bands", "intervals", "holidays", "zone_lengths",
    "offsets", "failures",
)  # fmt: skip
_TEMPORARY: Final = (
    ("VIEW", "usage"),
    ("TABLE", "charges"),
    ("TABLE", "calls"),
    ("TABLE", "patterns"),
    ("TABLE", "patterned_calls"),
)


class RatingRangeError(TollwayError):
    """Usage or prices beyond the exact range of the engine's decimals (amounts below 10^14)."""

    code = "rating_out_of_range"


@dataclass(frozen=True, slots=True)
class Session:
    """A prepared rating run: the catalog, the failing charges, and the SQL of every line."""

    connection: duckdb.DuckDBPyConnection
    catalog: Catalog
    failures: tuple[Failure, ...]
    lines_sql: str | None
    """Every line of every charge rated in SQL (duration calls included)."""
    described_lines_sql: str | None
    """The lines described one row at a time: all but duration calls'."""
    pattern_lines_sql: str | None
    """The lines of each duration call pattern (see `_duration_lines`), when duration is rated."""


@contextmanager
def rating_session(
    usage: UsageSource,
    prices: Mapping[str, PriceDefinition],
    *,
    conventions: Conventions,
    connection: duckdb.DuckDBPyConnection | None,
) -> Iterator[Session]:
    """Prepare a run on `connection` (a new in-memory one when None) and clean up after it."""
    owned = connection is None
    active = connect() if connection is None else connection
    secure(active)
    try:
        yield _prepare(active, usage, compile_catalog(prices, conventions))
    except duckdb.OutOfRangeException as error:
        raise RatingRangeError(
            f"a quantity or amount is beyond the engine's exact decimals: {error}"
        ) from error
    finally:
        _clean_up(active)
        if owned:
            active.close()


def _prepare(
    connection: duckdb.DuckDBPyConnection, usage: UsageSource, catalog: Catalog
) -> Session:
    create_usage_view(connection, source_sql(connection, usage))
    for name, found in catalog.tables.items():
        connection.register(table(name), found)
    models = catalog.models
    connection.execute(_charges_sql(record_stats=bool(models & _RECORD_MODELS)))
    _require_keys(connection)
    connection.register(table("offsets"), offsets_table(connection))
    if "duration" in models:
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {table('calls')} AS {calls_sql()}")
    failures = tuple(charge_failures(connection, catalog.prices))
    connection.register(table("failures"), failures_table(failures))
    described = _described_line_queries(catalog)
    queries = list(described)
    pattern_query = None
    if "duration" in models:
        for name, sql in (("patterns", patterns_sql()), ("patterned_calls", patterned_calls_sql())):
            connection.execute(f"CREATE OR REPLACE TEMP TABLE {table(name)} AS {sql}")
        interval_counts = catalog.tables["intervals"].column("interval_index").to_pylist()
        interval_count = max(interval_counts) + 1
        pattern_query = duration_pattern_query(interval_count)
        check_exact(connection, pattern_query)
        queries.append(duration_line_query(interval_count))
    for query in queries:
        check_exact(connection, query)
    return Session(
        connection,
        catalog,
        failures,
        lines_sql=_united(queries),
        described_lines_sql=_united(described),
        pattern_lines_sql=None if pattern_query is None else pattern_query.sql(),
    )


def _united(queries: Sequence[LineQuery]) -> str | None:
    return union_all([query.sql() for query in queries]) if queries else None


def _require_keys(connection: duckdb.DuckDBPyConnection) -> None:
    found = connection.execute(
        f"SELECT sum(record_count) FROM {table('charges')} "
        "WHERE charge_key IS NULL OR price_id IS NULL"
    ).fetchone()
    if found is not None and found[0]:
        raise UsageInputError(
            f"{found[0]} usage records have no charge_key or no price_id: every record needs both"
        )


def _charges_sql(*, record_stats: bool) -> str:
    """One row per (charge key, price): SUM first, the aggregate every model starts from."""
    stats = (
        "sum(amount) AS amount_total, "
        "count(*) FILTER (WHERE amount IS NULL OR amount < 0) AS bad_amounts, "
        "count(*) FILTER (WHERE amount IS NULL AND unit_price IS NULL) AS unpriced_records, "
        "count(*) FILTER (WHERE quantity < 0) AS negative_quantities"
        if record_stats
        else "CAST(NULL AS DECIMAL(38,9)) AS amount_total, 0 AS bad_amounts, "
        "0 AS unpriced_records, 0 AS negative_quantities"
    )
    # The largest magnitudes find records beyond the pricing core's limits (10^24).
    extents = (
        "max(abs(quantity)) AS quantity_extent, max(abs(amount)) AS amount_extent, "
        "max(abs(unit_price)) AS unit_price_extent"
    )
    return (
        f"CREATE OR REPLACE TEMP TABLE {table('charges')} AS "
        "SELECT charge_key, price_id, count(*) AS record_count, sum(quantity) AS quantity, "
        f"{stats}, {extents} FROM {table('usage')} GROUP BY charge_key, price_id"
    )


def _described_line_queries(catalog: Catalog) -> list[LineQuery]:
    """The line queries of every model but duration (whose lines come per call pattern)."""
    models = catalog.models
    queries: list[LineQuery] = []
    if models - {*EVENT_MODELS, "duration"}:
        queries.append(spend_line_query(quantity_line_query()))
    if models & set(EVENT_MODELS):
        queries.append(event_line_query())
    return queries


def _clean_up(connection: duckdb.DuckDBPyConnection) -> None:
    for kind, name in _TEMPORARY:
        connection.execute(f"DROP {kind} IF EXISTS {table(name)}")
    for name in _REGISTERED:
        connection.unregister(table(name))  # a name never registered is ignored
