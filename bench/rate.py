"""Rating: a cycle's stored usage → rated charges with the DuckDB engine, records/s.

    .venv/bin/python -m bench.rate --size small [--repeat 2]

Rates the whole generated world's usage for the bill run of February 2026 (each account's closed
period, January) in one call of the bill run's DuckDB rater, `rate_with_duckdb_engine`, against
the store built once from the world's usage files. In the same run it times a bare
`SELECT circuit_id, SUM(quantity) FROM <the same stored files> GROUP BY 1` and prints the ratio:
how far rating is from the cost of just reading and summing the usage (the target is ≤ 2×).
"""

from datetime import UTC, datetime
from typing import Final

from bench._common import (
    arguments,
    cached_store,
    cached_world,
    duckdb_memory_limit,
    figure,
    load_average,
    peak_rss_mib,
    timed,
)
from tollway.billrun import rate_with_duckdb_engine
from tollway.io import load_world
from tollway.usage import UsageStore, connect_duckdb

USAGE_PERIOD: Final = "2026-01"
RUN_START: Final = datetime(2026, 2, 1, tzinfo=UTC)
RUN_END: Final = datetime(2026, 3, 1, tzinfo=UTC)


def stored_records(store: UsageStore) -> int:
    connection = connect_duckdb()
    try:
        row = connection.execute(
            f"SELECT count(*) FROM ({store.scan_sql(USAGE_PERIOD)})"
        ).fetchone()
    finally:
        connection.close()
    assert row is not None
    return int(row[0])


def bare_group_by(store: UsageStore) -> int:
    """The floor: read the stored usage and sum quantity per circuit; returns the group count."""
    connection = connect_duckdb()
    try:
        rows = connection.execute(
            f"SELECT circuit_id, SUM(quantity) FROM ({store.scan_sql(USAGE_PERIOD)}) GROUP BY 1"
        ).fetchall()
    finally:
        connection.close()
    return len(rows)


def run(size: str, seed: int, repeat: int) -> None:
    world = cached_world(size, seed)
    store = UsageStore(cached_store(size, seed))
    inputs = load_world(world)
    records = stored_records(store)
    bare = min(timed(lambda: bare_group_by(store)).seconds for _ in range(max(repeat, 2)))
    ratings = [
        timed(
            lambda: rate_with_duckdb_engine(
                store, inputs, period_start=RUN_START, period_end=RUN_END
            )
        )
        for _ in range(repeat)
    ]
    best = min(ratings, key=lambda found: found.seconds)
    outcome = best.value
    # Records outside every billed product window (another account's cycle, a disconnected
    # circuit) are read but not rated: the rate is over records read, as the group-by's is.
    figure("rate", size, "records", records, "records")
    figure("rate", size, "rated_or_rejected_records", outcome.record_count, "records")
    figure("rate", size, "rated_charges", len(outcome.charges), "charges")
    figure("rate", size, "rating_seconds", best.seconds, "s")
    figure("rate", size, "rating_cpu_seconds", best.cpu_seconds, "s")
    figure("rate", size, "rating_rate", records / best.seconds, "records/s")
    figure("rate", size, "bare_group_by_seconds", bare, "s")
    figure("rate", size, "bare_group_by_rate", records / bare, "records/s")
    figure("rate", size, "ratio_to_bare_group_by", best.seconds / bare, "x")
    figure("rate", size, "peak_rss", peak_rss_mib(), "MiB")
    print(
        f"DuckDB runs in this process (its buffers are in the peak RSS); memory_limit {duckdb_memory_limit()}"
    )
    print(f"load average: {load_average()}")


if __name__ == "__main__":
    options = arguments(__doc__ or "")
    run(options.size, options.seed, options.repeat)
