"""A bill run drafting in worker processes, killed at any point and started again (with any number
of workers), finishes with the same bills, byte for byte, as a run never interrupted and drafted
in-process, and with bill numbers 1..N per series, none missing or repeated.

As in `test_billrun_resume`, each run is a real process killed with SIGKILL, by itself right after
its N-th committed batch or by this test a random moment into the run. Its workers, orphaned, must
go away by themselves: `_finish` waits for every holder of the process's output pipes, the
workers included, so a worker left running would fail the test by its timeout.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final

import pytest
from sqlalchemy import select

from tollway.billing import BillingInputs
from tollway.billrun import run_cycle
from tollway.storage import (
    BillQuery,
    BillRepository,
    BillRunRepository,
    BillRunState,
    CheckpointState,
    Database,
    WorldRepository,
    bills_json,
)
from tollway.storage import _tables as tables
from tollway.usage import UsageStore

from .billrun_child import KILL_AFTER_BATCHES_VARIABLE, READY_LINE

pytestmark = pytest.mark.slow

CHILD: Final = Path(__file__).with_name("billrun_child.py")
BATCH_ACCOUNTS_MAX: Final = 1
"""Five paying accounts one by one: five drafting and five issuing batches."""
BATCHES_TOTAL: Final = 10
processes_per_test_max: Final = 12
child_timeout_s: Final = 120
random_kills: Final = 4
random_kill_window_s: Final = 1.0
"""Forking the workers adds to the run's time: kills land up to a second into it."""


def _child_arguments(
    database_url: str, usage_store: UsageStore, april_run: dict[str, Any], *, workers: int
) -> str:
    return json.dumps(
        {
            "database_url": database_url,
            "usage_store": str(usage_store.root),
            "batch_accounts_max": str(BATCH_ACCOUNTS_MAX),
            "period_start": april_run["period_start"].isoformat(),
            "period_end": april_run["period_end"].isoformat(),
            "bill_date": april_run["bill_date"].isoformat(),
            "run_id": april_run["run_id"],
            "workers": str(workers),
        }
    )


def _start(arguments: str, *, kill_after_batches: int | None = None) -> subprocess.Popen[bytes]:
    environment = dict(os.environ)
    environment.pop(KILL_AFTER_BATCHES_VARIABLE, None)
    if kill_after_batches is not None:
        environment[KILL_AFTER_BATCHES_VARIABLE] = str(kill_after_batches)
    return subprocess.Popen(
        [sys.executable, str(CHILD), arguments],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _finish(process: subprocess.Popen[bytes]) -> int:
    """Wait for the process and for everything holding its output pipes (its workers)."""
    _, errors = process.communicate(timeout=child_timeout_s)
    assert process.returncode in (0, -signal.SIGKILL), errors.decode(errors="replace")
    return process.returncode


def _export(database: Database) -> str:
    with database.transaction() as session:
        return bills_json(BillRepository(session).stream(BillQuery(run_id="RUN-2026-04")))


@pytest.fixture
def uninterrupted(
    tmp_path: Path, world: BillingInputs, usage_store: UsageStore, april_run: dict[str, Any]
) -> str:
    """The export of the same run, never interrupted and drafted in-process, on SQLite."""
    database = Database(f"sqlite:///{tmp_path / 'uninterrupted.db'}")
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(world)
    run_cycle(database, usage_store, **april_run, batch_accounts_max=BATCH_ACCOUNTS_MAX)
    exported = _export(database)
    database.dispose()
    return exported


def _assert_finished_like(database: Database, uninterrupted: str) -> None:
    assert _export(database) == uninterrupted
    with database.transaction() as session:
        bills = tables.customer_bills.c
        numbers = session.execute(
            select(bills.invoice_series, bills.bill_number).order_by(
                bills.invoice_series, bills.bill_number
            )
        ).all()
        run = BillRunRepository(session).get("RUN-2026-04")
        checkpoints = BillRunRepository(session).checkpoints("RUN-2026-04")
    assert [tuple(row) for row in numbers] == [
        ("INV", 1),
        ("INV", 2),
        ("INV", 3),
        ("INV", 4),
        ("JP", 1),
    ]
    assert run is not None and run.state is BillRunState.FINISHED
    assert [checkpoint.state for checkpoint in checkpoints] == [CheckpointState.ISSUED] * 5


def test_killed_after_every_single_batch_it_still_finishes_the_same(
    database_url: str,
    database: Database,
    usage_store: UsageStore,
    april_run: dict[str, Any],
    uninterrupted: str,
) -> None:
    arguments = _child_arguments(database_url, usage_store, april_run, workers=2)
    database.dispose()
    outcomes = [_finish(_start(arguments, kill_after_batches=1)) for _ in range(BATCHES_TOTAL + 1)]

    assert outcomes == [-signal.SIGKILL] * BATCHES_TOTAL + [0]
    _assert_finished_like(database, uninterrupted)


@pytest.mark.parametrize("restart_workers", [1, 2, 3])
def test_killed_while_drafting_it_resumes_with_any_workers(
    database_url: str,
    database: Database,
    usage_store: UsageStore,
    april_run: dict[str, Any],
    uninterrupted: str,
    restart_workers: int,
) -> None:
    killed = _child_arguments(database_url, usage_store, april_run, workers=2)
    restarted = _child_arguments(database_url, usage_store, april_run, workers=restart_workers)
    database.dispose()

    assert _finish(_start(killed, kill_after_batches=2)) == -signal.SIGKILL
    assert _finish(_start(restarted)) == 0
    _assert_finished_like(database, uninterrupted)


def test_killed_at_random_moments_it_finishes_the_same(
    database_url: str,
    database: Database,
    usage_store: UsageStore,
    april_run: dict[str, Any],
    uninterrupted: str,
) -> None:
    arguments = _child_arguments(database_url, usage_store, april_run, workers=2)
    database.dispose()
    # Seeded, so a failure can be replayed.
    chance = random.Random(20261125)
    delays_s = [chance.uniform(0.0, random_kill_window_s) for _ in range(random_kills)]

    for delay_s in delays_s:
        process = _start(arguments)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == READY_LINE.encode()
        time.sleep(delay_s)
        process.send_signal(signal.SIGKILL)
        _finish(process)
    attempts = 0
    while _finish(_start(arguments)) != 0:
        attempts += 1
        assert attempts < processes_per_test_max
    _assert_finished_like(database, uninterrupted)
