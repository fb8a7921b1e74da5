"""Shared by the benchmarks: cached generated worlds, timing, peak memory, figure lines.

Every figure a benchmark prints is one line starting with `FIGURE ` so that the smoke test (and a
reader grepping a log) can find them: `FIGURE <workload> <size> <name> = <value> <unit>`.
"""

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Generic, TypeVar

from tollway.generator import GeneratedWorld, generate
from tollway.generator._sizes import SizeName

BENCH_DIRECTORY: Final = Path(__file__).resolve().parent
DATA_DIRECTORY: Final = Path(os.environ.get("TOLLWAY_BENCH_DATA", BENCH_DIRECTORY / "data"))
"""Generated worlds and scratch stores; TOLLWAY_BENCH_DATA moves them (the smoke test does)."""
SIZE_NAMES: Final = ("tiny", "small", "medium", "large")
seed_default: Final = 7
cycles_generated: Final = 1
"""One cycle of usage per world: the benchmarks ingest, rate and bill one month."""
FIGURE_PREFIX: Final = "FIGURE"

Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class Timed(Generic[Result]):
    seconds: float
    value: Result
    cpu_seconds: float = 0.0
    """CPU time of this process meanwhile, every thread (DuckDB's too): on a shared machine it
    moves less with the other work than the wall-clock time does."""


def timed(action: Callable[[], Result]) -> Timed[Result]:
    started, cpu_started = time.perf_counter(), time.process_time()
    value = action()
    return Timed(time.perf_counter() - started, value, time.process_time() - cpu_started)


def world_directory(size: str, seed: int) -> Path:
    return DATA_DIRECTORY / f"{size}-seed{seed}" / "world"


def cached_world(size: str, seed: int) -> Path:
    """The generated world for (size, seed), generated on first use and reused afterwards.

    A marker file is written only once generation finished, so an interrupted generation is
    redone rather than half reused.
    """
    directory = world_directory(size, seed)
    done = directory.parent / "generated.ok"
    if done.exists():
        return directory
    if directory.exists():
        _remove_tree(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    assert size in SIZE_NAMES, size
    named: SizeName = size  # type: ignore[assignment]
    run = timed(
        lambda: generate(
            directory, size=named, seed=seed, cycles=cycles_generated, first_period="2026-01"
        )
    )
    world: GeneratedWorld = run.value
    figure("generate", size, "seconds", run.seconds, "s")
    figure("generate", size, "usage_records", world.usage_records, "records")
    done.write_text(f"{world.usage_records}\n", encoding="utf-8")
    return directory


def _remove_tree(directory: Path) -> None:
    for path in sorted(directory.rglob("*"), key=lambda item: len(item.parts), reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()
    directory.rmdir()


def scratch_directory(size: str, seed: int, name: str) -> Path:
    """An empty scratch folder beside the cached world (a store or a workspace), made fresh."""
    directory = DATA_DIRECTORY / f"{size}-seed{seed}" / "scratch" / f"{name}-{os.getpid()}"
    if directory.exists():
        _remove_tree(directory)
    directory.mkdir(parents=True)
    return directory


def remove_scratch(directory: Path) -> None:
    if directory.exists():
        _remove_tree(directory)


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def figure(workload: str, size: str, name: str, value: float, unit: str) -> None:
    shown = f"{value:,.0f}" if isinstance(value, int) or abs(value) >= 100 else f"{value:,.3f}"
    sys.stdout.write(f"{FIGURE_PREFIX} {workload} {size} {name} = {shown} {unit}\n")
    sys.stdout.flush()


def duckdb_memory_limit() -> str:
    """The memory DuckDB allows itself in this process (its default: 80 % of RAM)."""
    # Imported here: only the DuckDB workloads print it.
    from tollway.usage import connect_duckdb

    connection = connect_duckdb()
    try:
        row = connection.execute("SELECT current_setting('memory_limit')").fetchone()
    finally:
        connection.close()
    assert row is not None
    return str(row[0])


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", choices=SIZE_NAMES, default="tiny")
    parser.add_argument("--seed", type=int, default=seed_default)
    parser.add_argument(
        "--repeat", type=int, default=1, help="Runs of each timed step; the best is printed."
    )
    return parser.parse_args()


def cached_store(size: str, seed: int) -> Path:
    """A usage store holding the world's cycle file (Parquet and the small CSV), loaded once.

    Benchmarks that only read the store (rating) reuse it; a bill run copies nothing from it
    either, since runs write to their own database, not to the store.
    """
    # Imported here: the ingestion modules are only needed when the store must be built.
    from tollway.usage import UsageStore, load_usage

    world = cached_world(size, seed)
    directory = world.parent / "store"
    done = world.parent / "store.ok"
    if done.exists():
        return directory
    if directory.exists():
        _remove_tree(directory)
    files = sorted((world / "usage").iterdir())
    run = timed(lambda: load_usage(files, store=UsageStore(directory), load_id="cycle-01"))
    figure("store", size, "load_seconds", run.seconds, "s")
    done.write_text(f"{run.value.accepted}\n", encoding="utf-8")
    return directory
