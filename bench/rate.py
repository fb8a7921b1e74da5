"""Rating: a cycle's stored usage → rated charges with the DuckDB engine, records/s.

    .venv/bin/python -m bench.rate --size small [--repeat 2] [--accounts-per-call N]

Rates the generated world's usage for the bill run of February 2026 (each account's closed
period, January) against the store built once from the world's usage files, two ways:

- `rating_*`: the bill run's rater, `rate_with_duckdb_engine`, whose `RatingOutcome` is what
  bills are built from today (a `PriceResult` per charge, a `BreakdownLine` per call interval);
- `columnar_rating_*`: `rate_with_duckdb_engine_columnar`, the same keying and the same charge
  numbers (key, price, record count, quantity, amount) as Arrow tables: rated charges only, no
  breakdown lines. This is the "usage → rated charges" figure.

In the same run it times a bare `SELECT circuit_id, SUM(quantity) FROM <the same stored files>
GROUP BY 1` and prints both ratios to it: how far rating is from the cost of just reading and
summing the usage (the target is ≤ 2×).

`--accounts-per-call N` rates the paying accounts billed by the run in consecutive chunks of N
(as the bill run's batches do: each chunk's world sliced the way a batch's is, each call reading
the month's store), and sums the calls' times; the slicing is not timed. Default: every account
in one call, except at large (10,000 a call, so that one call's memory stays near medium's).
"""

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Final

from bench._common import (
    SIZE_NAMES,
    cached_store,
    cached_world,
    duckdb_memory_limit,
    figure,
    load_average,
    peak_rss_mib,
    seed_default,
    timed,
)
from tollway.billing import BillingInputs
from tollway.billrun import (
    WorldIndex,
    billed_payers,
    rate_with_duckdb_engine,
    rate_with_duckdb_engine_columnar,
)
from tollway.io import load_world
from tollway.usage import UsageStore, connect_duckdb

USAGE_PERIOD: Final = "2026-01"
RUN_START: Final = datetime(2026, 2, 1, tzinfo=UTC)
RUN_END: Final = datetime(2026, 3, 1, tzinfo=UTC)
accounts_per_call_default: Final = {"large": 10_000}
"""Paying accounts rated per call by default, by size (absent: all in one call)."""


@dataclass(frozen=True, slots=True)
class Rated:
    """What the calls of one timed rating rated, summed over the calls (no outcome kept)."""

    seconds: float
    cpu_seconds: float
    calls: int
    records: int
    charges: int


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


def chunks(inputs: BillingInputs, accounts_per_call: int | None) -> list[BillingInputs]:
    """The world, or its slices of `accounts_per_call` paying accounts billed by the run."""
    if accounts_per_call is None:
        return [inputs]
    assert accounts_per_call > 0
    payers = billed_payers(inputs, period_start=RUN_START, period_end=RUN_END)
    index = WorldIndex.of(inputs)
    return [
        index.slice(payers[start : start + accounts_per_call])
        for start in range(0, len(payers), accounts_per_call)
    ]


def _objects(store: UsageStore, inputs: BillingInputs) -> tuple[int, int]:
    outcome = rate_with_duckdb_engine(store, inputs, period_start=RUN_START, period_end=RUN_END)
    return outcome.record_count, len(outcome.charges)


def _columnar(store: UsageStore, inputs: BillingInputs) -> tuple[int, int]:
    rating = rate_with_duckdb_engine_columnar(
        store, inputs, period_start=RUN_START, period_end=RUN_END
    )
    charges = rating.charges
    rated = sum(charges.column("record_count").to_pylist())
    return rated + rating.rejects.num_rows, charges.num_rows


def rate_all(
    rater: Callable[[UsageStore, BillingInputs], tuple[int, int]],
    store: UsageStore,
    parts: list[BillingInputs],
) -> Rated:
    """Every part rated in turn; only the counts are kept (a large world's outcome is big)."""
    seconds = cpu_seconds = 0.0
    records = charges = 0
    for part in parts:
        run = timed(partial(rater, store, part))
        seconds += run.seconds
        cpu_seconds += run.cpu_seconds
        records += run.value[0]
        charges += run.value[1]
    return Rated(seconds, cpu_seconds, len(parts), records, charges)


def _figures(size: str, prefix: str, best: Rated, *, records: int, bare: float) -> None:
    figure("rate", size, f"{prefix}rated_or_rejected_records", best.records, "records")
    figure("rate", size, f"{prefix}rated_charges", best.charges, "charges")
    figure("rate", size, f"{prefix}rating_seconds", best.seconds, "s")
    figure("rate", size, f"{prefix}rating_cpu_seconds", best.cpu_seconds, "s")
    figure("rate", size, f"{prefix}rating_rate", records / best.seconds, "records/s")
    figure("rate", size, f"{prefix}ratio_to_bare_group_by", best.seconds / bare, "x")


def run(size: str, seed: int, repeat: int, accounts_per_call: int | None) -> None:
    world = cached_world(size, seed)
    store = UsageStore(cached_store(size, seed))
    inputs = load_world(world)
    parts = chunks(inputs, accounts_per_call)
    records = stored_records(store)
    bare = min(timed(lambda: bare_group_by(store)).seconds for _ in range(max(repeat, 2)))
    objects = min(
        (rate_all(_objects, store, parts) for _ in range(repeat)), key=lambda found: found.seconds
    )
    columnar = min(
        (rate_all(_columnar, store, parts) for _ in range(repeat)), key=lambda found: found.seconds
    )
    assert (columnar.records, columnar.charges) == (objects.records, objects.charges)
    # Records outside every billed product window (another account's cycle, a disconnected
    # circuit) are read but not rated: the rate is over records read, as the group-by's is.
    figure("rate", size, "records", records, "records")
    figure("rate", size, "rating_calls", objects.calls, "calls")
    figure("rate", size, "bare_group_by_seconds", bare, "s")
    figure("rate", size, "bare_group_by_rate", records / bare, "records/s")
    # The bill run's rater: charges with every breakdown line (one per call interval).
    _figures(size, "", objects, records=records, bare=bare)
    # Rated charges only (Arrow tables): the same charges' numbers, no breakdown lines.
    _figures(size, "columnar_", columnar, records=records, bare=bare)
    figure("rate", size, "peak_rss", peak_rss_mib(), "MiB")
    print(
        "rating_* = rate_with_duckdb_engine (RatingOutcome with breakdown lines, what bills use); "
        "columnar_rating_* = rate_with_duckdb_engine_columnar (rated charges as Arrow tables)"
    )
    print(
        f"DuckDB runs in this process (its buffers are in the peak RSS); memory_limit {duckdb_memory_limit()}"
    )
    print(f"load average: {load_average()}")


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZE_NAMES, default="tiny")
    parser.add_argument("--seed", type=int, default=seed_default)
    parser.add_argument(
        "--repeat", type=int, default=1, help="Runs of each timed step; the best is printed."
    )
    parser.add_argument(
        "--accounts-per-call",
        type=int,
        default=None,
        help="Paying accounts per rating call (default: all, or 10,000 at large).",
    )
    return parser.parse_args()


if __name__ == "__main__":
    options = _options()
    per_call = options.accounts_per_call or accounts_per_call_default.get(options.size)
    run(options.size, options.seed, options.repeat, per_call)
