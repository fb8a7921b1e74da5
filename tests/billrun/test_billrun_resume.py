"""A bill run killed at any point and started again finishes with the same bills, byte for byte,
as a run never interrupted, and with bill numbers 1..N per series, none missing or repeated.

Each run is a real process killed with SIGKILL: by itself right after its N-th committed batch
(TOLLWAY_TEST_KILL_AFTER_BATCHES), or by this test after a random short delay, landing wherever it
lands (inside a transaction, in DuckDB, between batches).
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

BATCH_ACCOUNTS_MAX: Final = 2
"""Five paying accounts in batches of two: three drafting and three issuing batches."""
BATCHES_TOTAL: Final = 6
random_kills: Final = 4
random_kill_window_s: Final = 0.4


def _child_arguments(database_url: str, usage_store: UsageStore, april_run: dict[str, Any]) -> str:
    return child_arguments(
        database_url, usage_store, april_run, batch_accounts_max=BATCH_ACCOUNTS_MAX
    )


@pytest.fixture
def uninterrupted(
    tmp_path: Path, world: BillingInputs, usage_store: UsageStore, april_run: dict[str, Any]
) -> str:
    """The export of the same run, never interrupted, on a SQLite database of its own."""
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
    arguments = _child_arguments(database_url, usage_store, april_run)
    database.dispose()
    outcomes = [
        finish_child(start_child(arguments, kill_after_batches=1)) for _ in range(BATCHES_TOTAL + 1)
    ]

    # Each process committed one batch and died; the last found only the run's end to record.
    assert outcomes == [-signal.SIGKILL] * BATCHES_TOTAL + [0]
    assert_finished_like(database, uninterrupted)


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

    killed = start_child(arguments, kill_after_batches=kill_after_batches)
    assert finish_child(killed) == -signal.SIGKILL
    assert finish_child(start_child(arguments)) == 0
    assert_finished_like(database, uninterrupted)


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

    kill_at_moments_then_finish(arguments, delays_s)
    assert_finished_like(database, uninterrupted)
