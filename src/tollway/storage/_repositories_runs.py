"""`BillRunRepository`: bill runs and their per-account checkpoints.

A run is a row in `bill_runs` (id, the window it bills, the bill date, its state, and the start and
finish times the caller gave). Each paying account the run has dealt with has a row in
`bill_run_accounts`: `drafted` (its draft bill is saved), `issued` (the bill has its number), or
`no_bill` (the computation gave it no bill this cycle). Checkpoints are written in the same
transaction as the bills they describe, so after any crash they tell exactly what is done.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.orm import Session

from tollway.storage import _tables as tables
from tollway.storage._errors import BillRunConflictError, StorageError
from tollway.storage._repositories_bills import ids_per_statement_max


class BillRunState(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    DISCARDED = "discarded"
    """Stopped before any bill was issued, its drafts deleted; the id is never used again."""


class CheckpointState(StrEnum):
    DRAFTED = "drafted"
    ISSUED = "issued"
    NO_BILL = "no_bill"


@dataclass(frozen=True, slots=True)
class BillRunRecord:
    """A bill run as stored. `started_at` / `finished_at` are what the caller's clock said."""

    id: str
    period_start: datetime
    period_end: datetime
    bill_date: date
    state: BillRunState
    world_digest: str
    """The `world_digest` of the world the run started on; resuming needs the same world."""
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What the run has done for one paying account."""

    billing_account_id: str
    batch_index: int
    bill_id: str | None
    state: CheckpointState


class BillRunRepository:
    """Bill runs and checkpoints; all bill-run SQL lives here. The caller's transaction commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def start(self, run: BillRunRecord) -> BillRunRecord:
        """Record a new run, or return the stored one when the id exists with the same window and
        bill date; another window or date under the same id is a `BillRunConflictError`, and so
        is resuming an unfinished run on a world other than the one it started on."""
        stored = self.get(run.id)
        if stored is None:
            self.session.execute(insert(tables.bill_runs), [_run_row(run)])
            return run
        same = (stored.period_start, stored.period_end, stored.bill_date) == (
            run.period_start,
            run.period_end,
            run.bill_date,
        )
        if not same:
            raise BillRunConflictError(
                f"bill run {run.id!r} was started for {stored.period_start.isoformat()} to "
                f"{stored.period_end.isoformat()} billed {stored.bill_date}; it cannot be rerun for "
                f"{run.period_start.isoformat()} to {run.period_end.isoformat()} billed {run.bill_date}"
            )
        if stored.state is BillRunState.DISCARDED:
            raise BillRunConflictError(
                f"bill run {run.id!r} was discarded; bill the cycle under a new run id"
            )
        if stored.state is BillRunState.RUNNING and stored.world_digest != run.world_digest:
            raise BillRunConflictError(
                f"bill run {run.id!r} started on another world than the one stored now; a run "
                "must finish on the world it started with (restore it, or bill the cycle under a "
                "new run id after voiding this run's bills)"
            )
        return stored

    def get(self, run_id: str) -> BillRunRecord | None:
        row = self.session.execute(
            select(tables.bill_runs).where(tables.bill_runs.c.id == run_id)
        ).one_or_none()
        return None if row is None else _run(row)

    def lock(self, run_id: str) -> BillRunRecord:
        """Lock the run's row until the transaction ends: batches of one run never interleave,
        even when two processes resume the same run at once (SQLite's write lock does the same)."""
        row = self.session.execute(
            select(tables.bill_runs).where(tables.bill_runs.c.id == run_id).with_for_update()
        ).one_or_none()
        if row is None:
            raise StorageError(f"no bill run {run_id!r}")
        return _run(row)

    def finish(self, run_id: str, *, finished_at: datetime | None) -> None:
        self.session.execute(
            update(tables.bill_runs)
            .where(tables.bill_runs.c.id == run_id)
            .where(tables.bill_runs.c.state == BillRunState.RUNNING.value)
            .values(state=BillRunState.FINISHED.value, finished_at=finished_at)
        )

    def discard(self, run_id: str) -> BillRunRecord:
        """Mark an unfinished run discarded and drop its checkpoints, when none of its bills was
        issued; the caller deletes its drafts in the same transaction. A run that issued bills
        (or finished) is never discarded: its numbers are taken, and resuming it is the way on."""
        run = self.lock(run_id)
        if run.state is not BillRunState.RUNNING:
            raise BillRunConflictError(
                f"bill run {run_id!r} is {run.state.value}; only an unfinished run is discarded"
            )
        column = tables.bill_run_accounts.c
        issued = self.session.execute(
            select(column.billing_account_id)
            .where(column.run_id == run_id)
            .where(column.state == CheckpointState.ISSUED.value)
            .limit(1)
        ).one_or_none()
        if issued is not None:
            raise BillRunConflictError(
                f"bill run {run_id!r} has issued bills (account {issued.billing_account_id!r} "
                "among them); resume it to finish issuing instead of discarding it"
            )
        self.session.execute(delete(tables.bill_run_accounts).where(column.run_id == run_id))
        self.session.execute(
            update(tables.bill_runs)
            .where(tables.bill_runs.c.id == run_id)
            .values(state=BillRunState.DISCARDED.value)
        )
        return replace(run, state=BillRunState.DISCARDED)

    def checkpoints(
        self, run_id: str, *, billing_account_ids: Sequence[str] | None = None
    ) -> tuple[Checkpoint, ...]:
        """The run's checkpoints (of the given paying accounts only, when given), by account id."""
        column = tables.bill_run_accounts.c
        statement = select(tables.bill_run_accounts).where(column.run_id == run_id)
        if billing_account_ids is None:
            rows = list(self.session.execute(statement))
        else:
            wanted = sorted(set(billing_account_ids))
            rows = [
                row
                for start in range(0, len(wanted), ids_per_statement_max)
                for row in self.session.execute(
                    statement.where(
                        column.billing_account_id.in_(wanted[start : start + ids_per_statement_max])
                    )
                )
            ]
        rows.sort(key=lambda row: row.billing_account_id)
        return tuple(
            Checkpoint(
                row.billing_account_id, row.batch_index, row.bill_id, CheckpointState(row.state)
            )
            for row in rows
        )

    def record(self, run_id: str, checkpoints: Sequence[Checkpoint]) -> None:
        """Add the checkpoints of a batch of accounts just drafted (or found to have no bill)."""
        if not checkpoints:
            return
        self.session.execute(
            insert(tables.bill_run_accounts),
            [
                {
                    "run_id": run_id,
                    "billing_account_id": checkpoint.billing_account_id,
                    "batch_index": checkpoint.batch_index,
                    "bill_id": checkpoint.bill_id,
                    "state": checkpoint.state.value,
                }
                for checkpoint in checkpoints
            ],
        )

    def mark_issued(self, run_id: str, bill_ids: Sequence[str]) -> None:
        column = tables.bill_run_accounts.c
        for start in range(0, len(bill_ids), ids_per_statement_max):
            self.session.execute(
                update(tables.bill_run_accounts)
                .where(column.run_id == run_id)
                .where(column.bill_id.in_(bill_ids[start : start + ids_per_statement_max]))
                .values(state=CheckpointState.ISSUED.value)
            )


def _run_row(run: BillRunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "period_start": run.period_start,
        "period_end": run.period_end,
        "bill_date": run.bill_date,
        "state": run.state.value,
        "world_digest": run.world_digest,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


def _run(row: Row[Any]) -> BillRunRecord:
    return BillRunRecord(
        id=row.id,
        period_start=row.period_start,
        period_end=row.period_end,
        bill_date=row.bill_date,
        state=BillRunState(row.state),
        world_digest=row.world_digest,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
