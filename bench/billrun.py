"""A whole bill cycle: rate + recurring + proration + discounts + taxes + invoices in SQLite.

    .venv/bin/python -m bench.billrun --size small [--repeat 2] [--workers 1 2]

Each repeat starts from an empty SQLite workspace: the generated world is saved with the
ILLUSTRATIVE demonstration tax tables and the world's tax-accounts.yaml (timed apart, it is
set-up, not billing), then `run_cycle` bills February 2026 for every paying account, rating
the January usage of the store built once from the world's files with the DuckDB engine, drafting
bills batch by batch (500 accounts a transaction, the default; `--batch-accounts N`) and issuing them with numbers.
Prints paying accounts/s and bills/s for the run, and the peak RSS (DuckDB's included).

`--workers 1 2` runs the cycle drafting in-process, then in two worker processes (`run_cycle`'s
`workers`), and prints each count's figures suffixed `_workers_N`, the first count's also under the
plain names, and each later count's speed-up over the first (`speedup_workers_N`). CPU seconds
count the workers' too (they are waited for before the run ends); `peak_rss_worker` is the
largest worker's.
"""

import argparse
import resource
from datetime import UTC, datetime
from pathlib import Path
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
from tollway.billing import BillingInputs
from tollway.billrun import (
    BillRunSummary,
    batch_accounts_max_default,
    billed_payers,
    rate_with_duckdb_engine,
    run_cycle,
    workers_limit,
)
from tollway.io import load_world, read_document
from tollway.storage import (
    Database,
    TaxDocument,
    TaxDocumentName,
    TaxDocumentRepository,
    WorldRepository,
)
from tollway.tax import demo_tax_tables_path
from tollway.usage import UsageStore

RUN_START: Final = datetime(2026, 2, 1, tzinfo=UTC)
RUN_END: Final = datetime(2026, 3, 1, tzinfo=UTC)


def tax_documents(world: Path) -> list[TaxDocument]:
    """The demonstration tax tables (they list every jurisdiction the generator uses) and the
    world's own certificates when its folder has them (worlds cached before taxes do not)."""
    found = [
        TaxDocument(TaxDocumentName.TABLES, "demo", read_document(demo_tax_tables_path())),
    ]
    accounts = world / "tax-accounts.yaml"
    if accounts.exists():
        found.append(TaxDocument(TaxDocumentName.ACCOUNTS, accounts.name, read_document(accounts)))
    return found


def save_world(database: Database, inputs: BillingInputs, taxes: list[TaxDocument]) -> None:
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(inputs)
        for document in taxes:
            TaxDocumentRepository(session).save(document)


def bill_cycle(
    database: Database,
    store: UsageStore,
    *,
    workers: int = 1,
    batch_accounts_max: int = batch_accounts_max_default,
) -> BillRunSummary:
    return run_cycle(
        database,
        store,
        period_start=RUN_START,
        period_end=RUN_END,
        run_id="bench-2026-02",
        rate=rate_with_duckdb_engine,
        workers=workers,
        batch_accounts_max=batch_accounts_max,
    )


def _children_cpu_seconds() -> float:
    """CPU seconds of this process's finished (waited-for) children: the drafting workers."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def one_run(
    scratch: Path,
    inputs: BillingInputs,
    store: UsageStore,
    taxes: list[TaxDocument],
    *,
    workers: int = 1,
    batch_accounts_max: int = batch_accounts_max_default,
) -> tuple[float, float, int, float]:
    """(seconds saving the world, seconds of the cycle, bills, CPU seconds of the cycle, its
    workers' included) on a fresh SQLite database."""
    database = Database(f"sqlite:///{scratch / 'tollway.sqlite'}")
    saving = timed(lambda: save_world(database, inputs, taxes))
    children_before = _children_cpu_seconds()
    cycle = timed(
        lambda: bill_cycle(database, store, workers=workers, batch_accounts_max=batch_accounts_max)
    )
    assert cycle.value.issued_now == cycle.value.bill_count
    database.dispose()
    workers_cpu = _children_cpu_seconds() - children_before
    return saving.seconds, cycle.seconds, cycle.value.bill_count, cycle.cpu_seconds + workers_cpu


def best_of(
    size: str, seed: int, repeat: int, *, workers: int, batch_accounts_max: int
) -> tuple[float, float, int, float]:
    """The run with the shortest cycle of `repeat`, each on a fresh database."""
    world = cached_world(size, seed)
    inputs = load_world(world)
    store = UsageStore(cached_store(size, seed))
    taxes = tax_documents(world)
    runs = []
    for _ in range(repeat):
        scratch = scratch_directory(size, seed, "billrun")
        try:
            runs.append(
                one_run(
                    scratch,
                    inputs,
                    store,
                    taxes,
                    workers=workers,
                    batch_accounts_max=batch_accounts_max,
                )
            )
        finally:
            remove_scratch(scratch)
    assert len({found[2] for found in runs}) == 1, "every run bills the same"
    return min(runs, key=lambda found: found[1])


def print_cycle(size: str, suffix: str, payers: int, best: tuple[float, float, int, float]) -> None:
    _, cycle, bills, cpu_seconds = best
    figure("billrun", size, f"cycle_seconds{suffix}", cycle, "s")
    figure("billrun", size, f"cycle_cpu_seconds{suffix}", cpu_seconds, "s")
    figure("billrun", size, f"accounts_rate{suffix}", payers / cycle, "accounts/s")
    figure("billrun", size, f"bills_rate{suffix}", bills / cycle, "bills/s")


def run(size: str, seed: int, repeat: int, workers: list[int], batch_accounts_max: int) -> None:
    inputs = load_world(cached_world(size, seed))
    payers = len(billed_payers(inputs, period_start=RUN_START, period_end=RUN_END))
    best = {
        count: best_of(size, seed, repeat, workers=count, batch_accounts_max=batch_accounts_max)
        for count in workers
    }
    first = best[workers[0]]
    figure("billrun", size, "billing_accounts", len(inputs.accounts), "accounts")
    figure("billrun", size, "paying_accounts", payers, "accounts")
    figure("billrun", size, "batch_accounts_max", batch_accounts_max, "accounts")
    figure("billrun", size, "bills", first[2], "bills")
    figure("billrun", size, "save_world_seconds", min(found[0] for found in best.values()), "s")
    print_cycle(size, "", payers, first)
    if len(workers) > 1:
        for count in workers:
            print_cycle(size, f"_workers_{count}", payers, best[count])
        for count in workers[1:]:
            speedup = first[1] / best[count][1]
            figure("billrun", size, f"speedup_workers_{count}", speedup, "x")
    figure("billrun", size, "peak_rss", peak_rss_mib(), "MiB")
    if max(workers) > 1:
        worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        figure("billrun", size, "peak_rss_worker", worker_rss, "MiB")
    print(f"load average: {load_average()}")


def _arguments() -> argparse.Namespace:
    """`bench._common.arguments`, and the workers counts and batch size to run with."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZE_NAMES, default="tiny")
    parser.add_argument("--seed", type=int, default=seed_default)
    parser.add_argument(
        "--repeat", type=int, default=1, help="Runs of each timed step; the best is printed."
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1],
        help="Drafting worker processes: one cycle per count given, e.g. --workers 1 2.",
    )
    parser.add_argument(
        "--batch-accounts",
        type=int,
        default=batch_accounts_max_default,
        help="Paying accounts per batch (batch_accounts_max): workers share out batches.",
    )
    options = parser.parse_args()
    if not all(1 <= count <= workers_limit for count in options.workers):
        parser.error(f"--workers: each count must be 1 to {workers_limit}")
    return options


if __name__ == "__main__":
    options = _arguments()
    run(options.size, options.seed, options.repeat, options.workers, options.batch_accounts)
