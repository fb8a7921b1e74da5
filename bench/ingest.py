"""Ingestion: usage files → the deduplicated usage store, records/s.

    .venv/bin/python -m bench.ingest --size small [--repeat 2]

On the cached generated world (bench/data/<size>-seed<seed>/), for the cycle's Parquet file and
for the same records written as CSV: a first load into an empty store (records submitted per
second) and a second load of the same file under a new load id, every record of which is then a
duplicate and rejected (records/s). Prints FIGURE lines and the process's peak RSS, which includes
DuckDB's buffers (DuckDB runs in this process).

Each load also prints its CPU seconds (this process, every thread): on a machine shared with
other work, wall time depends on how many cores the load got, CPU time much less.
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench._common import (
    Timed,
    arguments,
    cached_world,
    duckdb_memory_limit,
    figure,
    load_average,
    peak_rss_mib,
    remove_scratch,
    scratch_directory,
    timed,
)
from tollway.usage import (
    LOAD_MEMORY_LIMIT_BYTES,
    LoadReport,
    UsageStore,
    connect_duckdb,
    load_usage,
)

PARQUET_FILE: Final = Path("usage/cycle-01.parquet")


def csv_copy(world: Path) -> Path:
    """The cycle's Parquet records written once as CSV (timestamps ISO 8601 in UTC), cached."""
    target = world.parent / "cycle-01-all.csv"
    if target.exists():
        return target
    partial = target.with_suffix(".partial")
    connection = connect_duckdb()
    try:
        connection.execute(
            f"""COPY (
                SELECT record_id, source, circuit_id, usage_type,
                       strftime(timezone('UTC', start_time), '%Y-%m-%dT%H:%M:%SZ') AS start_time,
                       strftime(timezone('UTC', end_time), '%Y-%m-%dT%H:%M:%SZ') AS end_time,
                       CAST(quantity AS VARCHAR) AS quantity, unit, origin, destination
                FROM read_parquet('{world / PARQUET_FILE}')
            ) TO '{partial}' (FORMAT csv, HEADER true)"""
        )
    finally:
        connection.close()
    partial.rename(target)
    return target


@dataclass(frozen=True, slots=True)
class Load:
    """One timed load: wall seconds and report, and the CPU seconds it took."""

    timed: Timed[LoadReport]
    cpu_seconds: float

    @property
    def seconds(self) -> float:
        return self.timed.seconds

    @property
    def value(self) -> LoadReport:
        return self.timed.value


def timed_load(file: Path, store: UsageStore, load_id: str) -> Load:
    cpu_started = time.process_time()
    run = timed(lambda: load_usage([file], store=store, load_id=load_id))
    return Load(run, time.process_time() - cpu_started)


def first_and_second_load(file: Path, scratch: Path) -> tuple[Load, Load]:
    """Load `file` into an empty store, then again under another load id (all duplicates)."""
    store = UsageStore(scratch / "store")
    first = timed_load(file, store, "first")
    second = timed_load(file, store, "second")
    return first, second


def best_loads(file: Path, *, size: str, seed: int, repeat: int) -> tuple[Load, Load]:
    runs = []
    for _ in range(repeat):
        scratch = scratch_directory(size, seed, "ingest")
        try:
            runs.append(first_and_second_load(file, scratch))
        finally:
            remove_scratch(scratch)
    first = min((run[0] for run in runs), key=lambda found: found.seconds)
    second = min((run[1] for run in runs), key=lambda found: found.seconds)
    return first, second


def report_loads(label: str, size: str, loads: tuple[Load, Load]) -> None:
    first, second = loads
    submitted = first.value.submitted
    assert second.value.accepted == 0, "a second load of the same file must store nothing"
    figure("ingest", size, f"{label}_records", submitted, "records")
    figure("ingest", size, f"{label}_first_load_seconds", first.seconds, "s")
    figure("ingest", size, f"{label}_first_load_cpu_seconds", first.cpu_seconds, "s")
    figure("ingest", size, f"{label}_first_load_rate", submitted / first.seconds, "records/s")
    figure("ingest", size, f"{label}_second_load_seconds", second.seconds, "s")
    figure("ingest", size, f"{label}_second_load_cpu_seconds", second.cpu_seconds, "s")
    figure(
        "ingest",
        size,
        f"{label}_second_load_rate",
        second.value.submitted / second.seconds,
        "records/s",
    )


def run(size: str, seed: int, repeat: int) -> None:
    world = cached_world(size, seed)
    csv_file = csv_copy(world)
    report_loads(
        "parquet", size, best_loads(world / PARQUET_FILE, size=size, seed=seed, repeat=repeat)
    )
    report_loads("csv", size, best_loads(csv_file, size=size, seed=seed, repeat=repeat))
    figure("ingest", size, "peak_rss", peak_rss_mib(), "MiB")
    print(
        "DuckDB runs in this process (its buffers are in the peak RSS); a load's memory_limit:"
        f" {LOAD_MEMORY_LIMIT_BYTES / 1024**3:.1f} GiB (a plain connection's: {duckdb_memory_limit()})"
    )
    print(f"load average: {load_average()}")


if __name__ == "__main__":
    options = arguments(__doc__ or "")
    run(options.size, options.seed, options.repeat)
