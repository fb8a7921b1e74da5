"""A bill run killed at any point and started again finishes with the same bills, byte for byte,
as a run never interrupted, and with bill numbers 1..N per series, none missing or repeated.

Each run is a real process killed with SIGKILL: by itself right after its N-th committed batch
(TOLLWAY_TEST_KILL_AFTER_BATCHES), or by this test after a random short delay, landing wherever it
lands (inside a transaction, in DuckDB, between batches).
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

pytestmark = pytest.mark.slow

CHILD: Final = Path(__file__).with_name("billrun_child.py")
BATCH_ACCOUNTS_MAX: Final = 2
"""Five paying accounts in batches of two: three drafting and three issuing batches."""
BATCHES_TOTAL: Final = 6
processes_per_test_max: Final = 12
child_timeout_s: Final = 120
random_kills: Final = 4
random_kill_window_s: Final = 0.4


def _child_arguments(database_url: str, usage_store: UsageStore, april_run: dict[str, Any]) -> str:
    return json.dumps(
        {
            "database_url": database_url,
            "usage_store": str(usage_store.root),
            "batch_accounts_max": str(BATCH_ACCOUNTS_MAX),
            "period_start": april_run["period_start"].isoformat(),
            "period_end": april_run["period_end"].isoformat(),
            "bill_date": april_run["bill_date"].isoformat(),
            "run_id": april_run["run_id"],
        }
    )


def _start(arguments: str, *, kill_after_batches: int | None = None) -> subprocess.Popen[bytes]:
    environment = dict(os.environ)
    environment.pop("TOLLWAY_TEST_KILL_AFTER_BATCHES", None)
    if kill_after_batches is not None:
        environment["TOLLWAY_TEST_KILL_AFTER_BATCHES"] = str(kill_after_batches)
    return subprocess.Popen(
        [sys.executable, str(CHILD), arguments],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _finish(process: subprocess.Popen[bytes]) -> int:
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
    """The export of the same run, never interrupted, on a SQLite database of its own."""
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
    # Gapless and unique per series: INV 1..4, JP 1.
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
    arguments = _child_arguments(database_url, usage_store, april_run)
    database.dispose()
    outcomes = [_finish(_start(arguments, kill_after_batches=1)) for _ in range(BATCHES_TOTAL + 1)]

    # Each process committed one batch and died; the last found only the run's end to record.
    assert outcomes == [-signal.SIGKILL] * BATCHES_TOTAL + [0]
    _assert_finished_like(database, uninterrupted)


@pytest.mark.parametrize("kill_after_batches", [2, 4], ids=["while-drafting", "while-issuing"])
def test_killed_once_and_restarted_it_finishes_the_same(
    database_url: str,
    database: Database,
    usage_store: UsageStore,
    april_run: dict[str, Any],
    uninterrupted: str,
    kill_after_batches: int,
) -> None:
    arguments = _child_arguments(database_url, usage_store, april_run)
    database.dispose()

    assert _finish(_start(arguments, kill_after_batches=kill_after_batches)) == -signal.SIGKILL
    assert _finish(_start(arguments)) == 0
    _assert_finished_like(database, uninterrupted)


def test_killed_at_random_moments_it_finishes_the_same(
    database_url: str,
    database: Database,
    usage_store: UsageStore,
    april_run: dict[str, Any],
    uninterrupted: str,
) -> None:
    arguments = _child_arguments(database_url, usage_store, april_run)
    database.dispose()
    # The run itself takes about 0.4 s after start-up here: the kills land inside it (in a
    # transaction, in DuckDB, between batches). Seeded, so a failure can be replayed.
    chance = random.Random(20260401)
    delays_s = [chance.uniform(0.0, random_kill_window_s) for _ in range(random_kills)]

    for delay_s in delays_s:
        process = _start(arguments)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        time.sleep(delay_s)
        process.send_signal(signal.SIGKILL)
        _finish(process)
    attempts = 0
    while _finish(_start(arguments)) != 0:
        attempts += 1
        assert attempts < processes_per_test_max
    _assert_finished_like(database, uninterrupted)
