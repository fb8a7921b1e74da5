"""Shared by the kill-and-resume tests (`test_billrun_resume`, `test_billrun_parallel_resume`): a
bill run started as a real process (`billrun_child.py`), killed with SIGKILL, restarted, and the
finished run compared with one never interrupted."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

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

CHILD: Final = Path(__file__).with_name("billrun_child.py")
RUN_ID: Final = "RUN-2026-04"
processes_per_test_max: Final = 12
child_timeout_s: Final = 120


def child_arguments(
    database_url: str,
    usage_store: UsageStore,
    april_run: dict[str, Any],
    *,
    batch_accounts_max: int,
    workers: int | None = None,
) -> str:
    """The child's one argument: the run to bill, as JSON (no `workers`: the default, in-process)."""
    arguments = {
        "database_url": database_url,
        "usage_store": str(usage_store.root),
        "batch_accounts_max": str(batch_accounts_max),
        "period_start": april_run["period_start"].isoformat(),
        "period_end": april_run["period_end"].isoformat(),
        "bill_date": april_run["bill_date"].isoformat(),
        "run_id": april_run["run_id"],
    }
    if workers is not None:
        arguments["workers"] = str(workers)
    return json.dumps(arguments)


def start_child(
    arguments: str, *, kill_after_batches: int | None = None
) -> subprocess.Popen[bytes]:
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


def finish_child(process: subprocess.Popen[bytes]) -> int:
    """Wait for the process and for everything holding its output pipes (its workers, if any)."""
    _, errors = process.communicate(timeout=child_timeout_s)
    assert process.returncode in (0, -signal.SIGKILL), errors.decode(errors="replace")
    return process.returncode


def kill_at_moments_then_finish(arguments: str, delays_s: Sequence[float]) -> None:
    """Start the run and SIGKILL it `delay` seconds after it is ready, for each delay; then start
    it again until a run finishes."""
    for delay_s in delays_s:
        process = start_child(arguments)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == READY_LINE.encode()
        time.sleep(delay_s)
        process.send_signal(signal.SIGKILL)
        finish_child(process)
    attempts = 0
    while finish_child(start_child(arguments)) != 0:
        attempts += 1
        assert attempts < processes_per_test_max


def export_run(database: Database) -> str:
    with database.transaction() as session:
        return bills_json(BillRepository(session).stream(BillQuery(run_id=RUN_ID)))


def uninterrupted_export(
    directory: Path,
    world: BillingInputs,
    usage_store: UsageStore,
    april_run: dict[str, Any],
    *,
    batch_accounts_max: int,
) -> str:
    """The export of the same run, never interrupted and drafted in-process, on SQLite."""
    database = Database(f"sqlite:///{directory / 'uninterrupted.db'}")
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(world)
    run_cycle(database, usage_store, **april_run, batch_accounts_max=batch_accounts_max)
    exported = export_run(database)
    database.dispose()
    return exported


def assert_finished_like(database: Database, uninterrupted: str) -> None:
    """The same bills as the uninterrupted run, numbered gaplessly, the run finished."""
    assert export_run(database) == uninterrupted
    with database.transaction() as session:
        bills = tables.customer_bills.c
        numbers = session.execute(
            select(bills.invoice_series, bills.bill_number).order_by(
                bills.invoice_series, bills.bill_number
            )
        ).all()
        run = BillRunRepository(session).get(RUN_ID)
        checkpoints = BillRunRepository(session).checkpoints(RUN_ID)
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
