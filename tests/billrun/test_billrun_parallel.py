"""Drafting in worker processes (`run_cycle(..., workers=N)`) changes nothing but the time taken.

A generated operator (with records no price rates, in several batches) is billed for three consecutive cycles (late records of each cycle arrive with
the next one's file, so the later runs carry re-rating adjustments) one paying account a batch: once in-process, and again with 2 and 3 workers. Every run must export the same bills
byte for byte, return the same rejects in the same order, and leave the same checkpoints and the
same rows in the same insertion order. A worker's error surfaces in the parent as the error it is,
after the batches before it were saved, exactly as in-process.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Final

import pytest
from sqlalchemy import text

from tollway.billing import BillingError, BillingInputs
from tollway.billrun import (
    BillRunError,
    DraftWorkerError,
    UsageRater,
    rate_with_duckdb_engine,
    run_cycle,
)
from tollway.billrun._run_usage import partitioned_usage
from tollway.generator import GeneratedWorld, generate
from tollway.io import load_world
from tollway.money import TollwayError
from tollway.rating.reference import RatingOutcome, RatingReject
from tollway.storage import (
    BillQuery,
    BillRepository,
    BillRunRepository,
    Checkpoint,
    Database,
    WorldRepository,
    bills_json,
)
from tollway.usage import UsageStore, load_usage

pytestmark = pytest.mark.slow

MONTHS: Final = (2, 3, 4)
USAGE_HEADER: Final = "record_id,source,circuit_id,usage_type,start_time,quantity,unit\n"
BATCH_ACCOUNTS_MAX: Final = 1
"""The tiny world's eight paying accounts a cycle one by one: eight batches per run."""
FIRST_RUN_ID: Final = f"run-{MONTHS[0]}"


def _window(month: int) -> dict[str, datetime]:
    """Every account whose cycle date falls in the month (the CLI's `tollway bill 2026-MM`)."""
    return {
        "period_start": datetime(2026, month, 1, tzinfo=UTC),
        "period_end": datetime(2026, month + 1, 1, tzinfo=UTC),
    }


@dataclass(frozen=True, slots=True)
class _Billed:
    """What one run left behind and returned."""

    export: str
    rating_rejects: tuple[RatingReject, ...]
    rerating_rejects: tuple[RatingReject, ...]
    drafted_now: int
    checkpoints: tuple[Checkpoint, ...]
    bills_inserted: tuple[tuple[Any, ...], ...]
    """On SQLite, the run's bills and their lines in insertion (rowid) order; else empty."""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedWorld, BillingInputs]:
    root = tmp_path_factory.mktemp("generated")
    world = generate(root / "world", size="tiny", seed=2026, cycles=3, first_period="2026-01")
    assert sum(cycle.late_records for cycle in world.cycles) > 0, "late records arrive"
    return world, load_world(world.directory)


def _unpriced_usage(
    directory: Path, inputs: BillingInputs, *, period: str, earlier: str | None
) -> Path:
    """Records no price rates (`sms`) for circuits of several accounts, in the cycle's month and,
    late, in the month before it: rating rejects them, and re-rating the month before."""
    circuits = sorted(product.circuit_id for product in inputs.products.values())[::7]
    months = [period] if earlier is None else [period, earlier]
    rows = [
        f"sms-{month}-{number},edge,{circuit},sms,{month}-14T12:00:00+00:00,3,SMS"
        for month in months
        for number, circuit in enumerate(circuits)
    ]
    path = directory / f"unpriced-{period}.csv"
    path.write_text(USAGE_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _inserted(database: Database, run_id: str) -> tuple[tuple[Any, ...], ...]:
    if database.dialect_name != "sqlite":
        return ()
    with database.transaction() as session:
        bills = session.execute(
            text("SELECT rowid, id FROM customer_bills WHERE run_id = :run ORDER BY rowid"),
            {"run": run_id},
        ).all()
        lines = session.execute(
            text(
                "SELECT r.rowid, r.bill_id, r.position FROM applied_billing_rates AS r "
                "JOIN customer_bills AS b ON b.id = r.bill_id WHERE b.run_id = :run "
                "ORDER BY r.rowid"
            ),
            {"run": run_id},
        ).all()
    return tuple(tuple(row) for row in [*bills, *lines])


def _bill_the_cycles(
    database: Database,
    store: UsageStore,
    generated: tuple[GeneratedWorld, BillingInputs],
    *,
    workers: int,
) -> list[_Billed]:
    """Load each cycle's file and bill the month after it with `workers`; what each run left."""
    world, inputs = generated
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(inputs)
    billed: list[_Billed] = []
    earlier: str | None = None
    for month, cycle in zip(MONTHS, world.cycles, strict=True):
        unpriced = _unpriced_usage(store.root.parent, inputs, period=cycle.period, earlier=earlier)
        files = [world.directory / cycle.file, unpriced]
        load_usage(files, store=store, load_id=f"cycle-{cycle.period}")
        earlier = cycle.period
        run_id = f"run-{month}"
        summary = run_cycle(
            database,
            store,
            **_window(month),
            run_id=run_id,
            batch_accounts_max=BATCH_ACCOUNTS_MAX,
            workers=workers,
        )
        with database.transaction() as session:
            export = bills_json(BillRepository(session).stream(BillQuery(run_id=run_id)))
            checkpoints = tuple(BillRunRepository(session).checkpoints(run_id))
        billed.append(
            _Billed(
                export,
                summary.rating_rejects,
                summary.rerating_rejects,
                summary.drafted_now,
                checkpoints,
                _inserted(database, run_id),
            )
        )
    return billed


@pytest.fixture(scope="module")
def in_process(
    tmp_path_factory: pytest.TempPathFactory, generated: tuple[GeneratedWorld, BillingInputs]
) -> list[_Billed]:
    """The three runs drafted in-process (workers=1), on SQLite."""
    root = tmp_path_factory.mktemp("in-process")
    database = Database(f"sqlite:///{root / 'tollway.db'}")
    billed = _bill_the_cycles(database, UsageStore(root / "usage"), generated, workers=1)
    database.dispose()
    return billed


def test_the_in_process_runs_are_worth_comparing(in_process: list[_Billed]) -> None:
    """Several batches, bills in every run, adjustments after the first, some rejects."""
    assert all(len({found.batch_index for found in run.checkpoints}) == 8 for run in in_process)
    assert all(run.drafted_now > 0 for run in in_process)
    assert all('"charge_type": "adjustment"' in run.export for run in in_process[1:])
    assert all(len({reject.record_id for reject in run.rating_rejects}) > 2 for run in in_process)
    assert all(run.rerating_rejects for run in in_process[1:])


@pytest.mark.parametrize("workers", [2, 3])
def test_drafting_in_workers_gives_the_same_runs(
    database_url: str,
    tmp_path: Path,
    generated: tuple[GeneratedWorld, BillingInputs],
    in_process: list[_Billed],
    workers: int,
) -> None:
    database = Database(database_url)

    billed = _bill_the_cycles(database, UsageStore(tmp_path / "usage"), generated, workers=workers)

    database.dispose()
    for found, expected in zip(billed, in_process, strict=True):
        assert found.export == expected.export
        assert found.rating_rejects == expected.rating_rejects
        assert found.rerating_rejects == expected.rerating_rejects
        assert found.drafted_now == expected.drafted_now
        assert found.checkpoints == expected.checkpoints
        if database.dialect_name == "sqlite":
            assert found.bills_inserted == expected.bills_inserted


def test_workers_rating_from_batch_partitions_give_the_same_runs(
    tmp_path: Path,
    generated: tuple[GeneratedWorld, BillingInputs],
    in_process: list[_Billed],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the run's months copied into per-batch partitions first (forced here from two
    batches on), the workers read the partitions the parent wrote."""
    monkeypatch.setattr(
        "tollway.billrun._run.partitioned_usage", partial(partitioned_usage, batches_min=2)
    )
    database = Database(f"sqlite:///{tmp_path / 'tollway.db'}")

    billed = _bill_the_cycles(database, UsageStore(tmp_path / "usage"), generated, workers=2)

    database.dispose()
    assert billed == in_process


# --- Where the work happens, and when it cannot be parallel -----------------------------------


def _recording(pids: list[int]) -> UsageRater:
    """The default rater, noting the process it ran in (the parent reads the list it filled,
    so only calls made in the parent's own process are seen)."""

    def rate(
        usage_store: UsageStore,
        inputs: BillingInputs,
        *,
        period_start: datetime,
        period_end: datetime,
    ) -> RatingOutcome:
        pids.append(os.getpid())
        return rate_with_duckdb_engine(
            usage_store, inputs, period_start=period_start, period_end=period_end
        )

    return rate


def _first_month(
    database: Database,
    store_root: Path,
    generated: tuple[GeneratedWorld, BillingInputs],
    **options: Any,
) -> str:
    world, inputs = generated
    store = UsageStore(store_root)
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(inputs)
    load_usage([world.directory / world.cycles[0].file], store=store, load_id="cycle-1")
    run_cycle(
        database,
        store,
        **_window(MONTHS[0]),
        run_id=FIRST_RUN_ID,
        batch_accounts_max=BATCH_ACCOUNTS_MAX,
        **options,
    )
    with database.transaction() as session:
        return bills_json(BillRepository(session).stream(BillQuery(run_id=FIRST_RUN_ID)))


def test_with_workers_the_parent_computes_nothing(
    tmp_path: Path, generated: tuple[GeneratedWorld, BillingInputs], in_process: list[_Billed]
) -> None:
    pids: list[int] = []
    database = Database(f"sqlite:///{tmp_path / 'tollway.db'}")

    export = _first_month(database, tmp_path / "usage", generated, workers=2, rate=_recording(pids))

    database.dispose()
    assert export == in_process[0].export
    assert pids == []


def test_an_in_memory_database_is_drafted_in_process(
    tmp_path: Path, generated: tuple[GeneratedWorld, BillingInputs], in_process: list[_Billed]
) -> None:
    """A worker could not see an in-memory SQLite database: the run drafts in-process."""
    pids: list[int] = []
    database = Database("sqlite://")

    export = _first_month(database, tmp_path / "usage", generated, workers=2, rate=_recording(pids))

    assert export == in_process[0].export
    assert pids and set(pids) == {os.getpid()}


def test_without_fork_the_run_drafts_in_process(
    tmp_path: Path,
    generated: tuple[GeneratedWorld, BillingInputs],
    in_process: list[_Billed],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a platform whose processes cannot fork (Windows), `workers` is ignored, no error."""
    monkeypatch.setattr("multiprocessing.get_all_start_methods", lambda: ["spawn"])
    pids: list[int] = []
    database = Database(f"sqlite:///{tmp_path / 'tollway.db'}")

    export = _first_month(database, tmp_path / "usage", generated, workers=3, rate=_recording(pids))

    database.dispose()
    assert export == in_process[0].export
    assert pids and set(pids) == {os.getpid()}


@pytest.mark.parametrize("workers", [0, -1, 65])
def test_a_workers_count_out_of_range_is_refused(tmp_path: Path, workers: int) -> None:
    database = Database(f"sqlite:///{tmp_path / 'tollway.db'}")
    database.migrate()
    with pytest.raises(BillRunError, match=f"workers must be 1 to 64, got {workers}"):
        run_cycle(
            database,
            UsageStore(tmp_path / "usage"),
            **_window(2),
            run_id="run-2",
            workers=workers,
        )
    database.dispose()


# --- Errors -----------------------------------------------------------------------------------


def _failing_on(account_id: str, error: Callable[[], BaseException]) -> UsageRater:
    """The default rater, raising `error()` when rating the batch that bills `account_id`."""

    def rate(
        usage_store: UsageStore,
        inputs: BillingInputs,
        *,
        period_start: datetime,
        period_end: datetime,
    ) -> RatingOutcome:
        if account_id in inputs.accounts:
            raise error()
        return rate_with_duckdb_engine(
            usage_store, inputs, period_start=period_start, period_end=period_end
        )

    return rate


def _failing_account(in_process: list[_Billed]) -> str:
    """A paying account of the first run's fourth batch: three batches are saved before it."""
    return next(
        found for found in in_process[0].checkpoints if found.batch_index == 3
    ).billing_account_id


class _TwoPartError(TollwayError):
    """An error whose constructor does not take its message: it pickles, but cannot be rebuilt
    from its arguments in another process."""

    def __init__(self, account_id: str, reason: str) -> None:
        super().__init__(f"{account_id}: {reason}")


@dataclass(frozen=True, slots=True)
class _Failure:
    error_type: type[BaseException]
    message: str
    checkpoints: tuple[Checkpoint, ...]


def _fail_first_month(
    root: Path,
    generated: tuple[GeneratedWorld, BillingInputs],
    rate: UsageRater,
    *,
    workers: int,
) -> _Failure:
    database = Database(f"sqlite:///{root / f'workers-{workers}.db'}")
    with pytest.raises(TollwayError) as raised:
        _first_month(database, root / f"usage-{workers}", generated, workers=workers, rate=rate)
    with database.transaction() as session:
        checkpoints = tuple(BillRunRepository(session).checkpoints(FIRST_RUN_ID))
    database.dispose()
    return _Failure(type(raised.value), str(raised.value), checkpoints)


def test_a_worker_error_surfaces_as_it_would_in_process(
    tmp_path: Path, generated: tuple[GeneratedWorld, BillingInputs], in_process: list[_Billed]
) -> None:
    account_id = _failing_account(in_process)
    rate = _failing_on(account_id, lambda: BillingError(f"cannot bill {account_id} today"))

    failures = [
        _fail_first_month(tmp_path, generated, rate, workers=workers) for workers in (1, 2, 3)
    ]

    assert failures[0].error_type is BillingError
    assert failures[0].message == f"cannot bill {account_id} today"
    # The batches before the failing one were saved, and nothing after it, in any case.
    assert {found.batch_index for found in failures[0].checkpoints} == {0, 1, 2}
    assert failures[1] == failures[0]
    assert failures[2] == failures[0]


def test_a_worker_error_that_cannot_cross_processes_keeps_its_type_name_and_message(
    tmp_path: Path, generated: tuple[GeneratedWorld, BillingInputs], in_process: list[_Billed]
) -> None:
    account_id = _failing_account(in_process)
    rate = _failing_on(account_id, lambda: _TwoPartError(account_id, "no such tariff"))

    failure = _fail_first_month(tmp_path, generated, rate, workers=2)

    assert failure.error_type is DraftWorkerError
    assert (
        failure.message == f"a drafting worker failed: _TwoPartError: {account_id}: no such tariff"
    )
    assert {found.batch_index for found in failure.checkpoints} == {0, 1, 2}


def test_a_worker_that_dies_fails_the_run_instead_of_hanging_it(
    tmp_path: Path, generated: tuple[GeneratedWorld, BillingInputs], in_process: list[_Billed]
) -> None:
    """A worker killed (by the OOM killer, say) ends the run with an error; run again, it
    resumes."""
    account_id = _failing_account(in_process)

    def die() -> BaseException:
        os._exit(3)

    database = Database(f"sqlite:///{tmp_path / 'tollway.db'}")
    with pytest.raises(DraftWorkerError, match="a drafting worker process ended unexpectedly"):
        _first_month(
            database, tmp_path / "usage", generated, workers=2, rate=_failing_on(account_id, die)
        )
    run_cycle(
        database,
        UsageStore(tmp_path / "usage"),
        **_window(MONTHS[0]),
        run_id=FIRST_RUN_ID,
        batch_accounts_max=BATCH_ACCOUNTS_MAX,
        workers=2,
    )
    with database.transaction() as session:
        export = bills_json(BillRepository(session).stream(BillQuery(run_id=FIRST_RUN_ID)))
    database.dispose()
    assert export == in_process[0].export
