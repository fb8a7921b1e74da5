"""Scaling: the same workloads at two sizes, the time ratio against the data ratio.

    .venv/bin/python -m bench.scaling --size medium            # small → medium
    .venv/bin/python -m bench.scaling --size small --from tiny

Times, at each size, a first Parquet load into an empty store plus rating it (ingest + rate), and a
whole bill cycle, once each; prints time(large) / time(small) beside records(large) /
records(small). The target is at most 1.2× the data ratio (10× the data in ≤ 12× the time).
"""

import argparse
from datetime import UTC, datetime
from typing import Final

from bench._common import (
    SIZE_NAMES,
    cached_store,
    cached_world,
    figure,
    load_average,
    peak_rss_mib,
    remove_scratch,
    scratch_directory,
    seed_default,
    timed,
)
from bench.billrun import one_run, tax_documents
from bench.ingest import PARQUET_FILE
from tollway.billrun import rate_with_duckdb_engine
from tollway.io import load_world
from tollway.usage import UsageStore, load_usage

RUN_START: Final = datetime(2026, 2, 1, tzinfo=UTC)
RUN_END: Final = datetime(2026, 3, 1, tzinfo=UTC)
SMALLER: Final = {"tiny": "tiny", "small": "tiny", "medium": "small", "large": "medium"}
"""The size each size is compared with; tiny with itself, a smoke run of the code path."""


def ingest_and_rate(size: str, seed: int) -> tuple[int, float]:
    """(records, seconds) of loading the cycle's Parquet file into an empty store and rating it."""
    world = cached_world(size, seed)
    inputs = load_world(world)
    scratch = scratch_directory(size, seed, "scaling")
    try:
        store = UsageStore(scratch / "store")

        def work() -> int:
            report = load_usage([world / PARQUET_FILE], store=store, load_id="scaling")
            rate_with_duckdb_engine(store, inputs, period_start=RUN_START, period_end=RUN_END)
            return report.submitted

        run = timed(work)
    finally:
        remove_scratch(scratch)
    return run.value, run.seconds


def bill_run_seconds(size: str, seed: int) -> float:
    world = cached_world(size, seed)
    inputs = load_world(world)
    store = UsageStore(cached_store(size, seed))
    scratch = scratch_directory(size, seed, "scaling-billrun")
    try:
        return one_run(scratch, inputs, store, tax_documents(world))[1]
    finally:
        remove_scratch(scratch)


def run(smaller: str, larger: str, seed: int) -> None:
    small_records, small_ingest = ingest_and_rate(smaller, seed)
    large_records, large_ingest = ingest_and_rate(larger, seed)
    small_billing, large_billing = bill_run_seconds(smaller, seed), bill_run_seconds(larger, seed)
    label = f"{smaller}->{larger}"
    data_ratio = large_records / small_records
    figure("scaling", label, "data_ratio", data_ratio, "x")
    figure("scaling", label, "ingest_rate_seconds_smaller", small_ingest, "s")
    figure("scaling", label, "ingest_rate_seconds_larger", large_ingest, "s")
    figure("scaling", label, "ingest_rate_time_ratio", large_ingest / small_ingest, "x")
    figure("scaling", label, "billrun_seconds_smaller", small_billing, "s")
    figure("scaling", label, "billrun_seconds_larger", large_billing, "s")
    figure("scaling", label, "billrun_time_ratio", large_billing / small_billing, "x")
    figure(
        "scaling",
        label,
        "ingest_rate_time_over_data_ratio",
        large_ingest / small_ingest / data_ratio,
        "x",
    )
    figure("scaling", label, "peak_rss", peak_rss_mib(), "MiB")
    print(f"load average: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZE_NAMES, default="small", help="The larger size.")
    parser.add_argument("--from", dest="smaller", choices=SIZE_NAMES, default=None)
    parser.add_argument("--seed", type=int, default=seed_default)
    parser.add_argument("--repeat", type=int, default=1, help="Ignored: each size runs once.")
    options = parser.parse_args()
    smaller = options.smaller or SMALLER[options.size]
    run(smaller, options.size, options.seed)


if __name__ == "__main__":
    main()
