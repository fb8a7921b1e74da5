"""A bill run drafting in worker processes, killed at any point and started again (with any number
of workers), finishes with the same bills, byte for byte, as a run never interrupted and drafted
in-process, and with bill numbers 1..N per series, none missing or repeated.

As in `test_billrun_resume`, each run is a real process killed with SIGKILL, by itself right after
its N-th committed batch or by this test a random moment into the run. Its workers, orphaned, must
go away by themselves: `finish_child` waits for every holder of the process's output pipes, the
workers included, so a worker left running would fail the test by its timeout.
"""

import random
import signal
from pathlib import Path
from typing import Any, Final

import pytest

from tollway.billing import BillingInputs
from tollway.storage import Database
from tollway.usage import UsageStore

from .resume_support import (
    assert_finished_like,
    child_arguments,
    finish_child,
    kill_at_moments_then_finish,
    start_child,
    uninterrupted_export,
)

pytestmark = pytest.mark.slow

BATCH_ACCOUNTS_MAX: Final = 1
"""Five paying accounts one by one: five drafting and five issuing batches."""
BATCHES_TOTAL: Final = 10
random_kills: Final = 4
random_kill_window_s: Final = 1.0
"""Forking the workers adds to the run's time: kills land up to a second into it."""


def _child_arguments(
    database_url: str, usage_store: UsageStore, april_run: dict[str, Any], *, workers: int
) -> str:
    return child_arguments(
        database_url,
        usage_store,
        april_run,
        batch_accounts_max=BATCH_ACCOUNTS_MAX,
        workers=workers,
    )


@pytest.fixture
def uninterrupted(
    tmp_path: Path, world: BillingInputs, usage_store: UsageStore, april_run: dict[str, Any]
) -> str:
    """The export of the same run, never interrupted and drafted in-process, on SQLite."""
    return uninterrupted_export(
        tmp_path, world, usage_store, april_run, batch_accounts_max=BATCH_ACCOUNTS_MAX
    )


def test_killed_after_every_single_batch_it_still_finishes_the_same(
    database_url: str,
    database: Database,
    usage_store: UsageStore,
    april_run: dict[str, Any],
    uninterrupted: str,
) -> None:
    arguments = _child_arguments(database_url, usage_store, april_run, workers=2)
    database.dispose()
    outcomes = [
        finish_child(start_child(arguments, kill_after_batches=1)) for _ in range(BATCHES_TOTAL + 1)
    ]

    assert outcomes == [-signal.SIGKILL] * BATCHES_TOTAL + [0]
    assert_finished_like(database, uninterrupted)


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

    assert finish_child(start_child(killed, kill_after_batches=2)) == -signal.SIGKILL
    assert finish_child(start_child(restarted)) == 0
    assert_finished_like(database, uninterrupted)


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

    kill_at_moments_then_finish(arguments, delays_s)
    assert_finished_like(database, uninterrupted)
