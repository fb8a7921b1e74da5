"""`run_cycle`: a bill run that is deterministic, idempotent, resumable and numbers gaplessly.

Phases, each batch its own transaction:

1. Start: record the run (or find it), load the world snapshot.
2. Draft: refuse the run if a paying account's bill would not follow on from its latest issued
   bill (a skipped or out-of-order cycle, a changed bill-cycle day: `BillCycleContinuityError`).
   Then for each batch of paying accounts not yet checkpointed, rate the batch's usage, re-rate
   the periods its earlier bills billed (late usage, corrected prices: adjustment lines, see
   `_rerate`), compute its draft bills (pure), and save the drafts together with one checkpoint
   per paying account.
3. Issue: take the run's drafted bills in paying-account order and issue them a batch at a time;
   the numbers, the bills' new state and the checkpoints change in one transaction.
4. Finish: mark the run finished.

With `workers` > 1 the batches are computed in that many forked worker processes while this one
saves them, strictly in batch order (`_parallel`): the same transactions with the same content in
the same order as drafting in-process, so the same bills, rejects and checkpoints. A worker also
renders its drafts to the rows saving inserts (`render_draft`: the line rows with their breakdown
and taxes as JSON text, the digest) and sends those, plain text and integers that pickle cheaply,
not the bills' object graphs; this process makes every check that reads the database and inserts
(`BillRepository.insert_draft`).

A process killed anywhere loses at most the batch in flight, whose transaction never committed;
running the cycle again skips what the checkpoints say is done and redoes the rest, which gives the
same bills (the computation is pure and the inputs are the stored ones) and the next numbers in the
same order. Running a finished cycle again changes nothing.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final

from sqlalchemy.orm import Session

from tollway.billing import (
    AnnualClosing,
    BillingInputs,
    CustomerBill,
    TaxCalculator,
    annual_closings,
    bill_cycle_for,
    compute_bills,
    follow_on_problem,
    year_to_date_totals,
)
from tollway.billrun._batches import Batch, WorldIndex, billed_payers, plan_batches
from tollway.billrun._history import (
    contract_year_lines,
    issued_product_lines,
    latest_issued_bills,
)
from tollway.billrun._parallel import (
    computed_in_workers,
    database_shared_across_processes,
    fork_available,
    workers_limit,
)
from tollway.billrun._rating import UsageRater, usage_months
from tollway.billrun._rating_duckdb import rate_with_duckdb_engine
from tollway.billrun._rerate import rerate_batch
from tollway.billrun._run_usage import partitioned_usage
from tollway.billrun._taxes import TaxStep, combined_digest, stored_tax_step
from tollway.money import Money, TollwayError
from tollway.rating.reference import RatingReject
from tollway.storage import (
    BillRepository,
    BillRunRecord,
    BillRunRepository,
    BillRunState,
    Checkpoint,
    CheckpointState,
    Database,
    WorldRepository,
    world_digest,
)
from tollway.storage._draft_rows import DraftRows, render_draft
from tollway.usage import UsageStore

batch_accounts_max_default: Final = 500
batch_accounts_limit: Final = 10_000
"""The largest batch a caller may ask for: one transaction must stay a reasonable size."""


class BillRunError(TollwayError):
    code = "bill_run_error"


class BillCycleContinuityError(BillRunError):
    """A paying account's bill would not follow on from its latest issued bill: a skipped or
    out-of-order cycle, or a changed bill-cycle day. The run is refused before drafting."""

    code = "bill_cycle_discontinuity"


class BillRunPhase(StrEnum):
    DRAFT = "draft"
    ISSUE = "issue"


@dataclass(frozen=True, slots=True)
class BillRunProgress:
    """Reported after each committed batch: which phase, which batch of how many, its size."""

    run_id: str
    phase: BillRunPhase
    batch_index: int
    batches_total: int
    items: int
    """Paying accounts drafted, or bills issued, by this batch."""


@dataclass(frozen=True, slots=True)
class BillRunSummary:
    """What a call to `run_cycle` found and did. `drafted_now` and `issued_now` count this call's
    work only (zero when the run had already finished); `bill_count` is the run's whole total.
    `rerating_rejects` are the records that re-rating the earlier periods rejected (this call's)."""

    run_id: str
    bill_count: int
    drafted_now: int
    issued_now: int
    rating_rejects: tuple[RatingReject, ...]
    rerating_rejects: tuple[RatingReject, ...] = ()


@dataclass(frozen=True, slots=True)
class _Cycle:
    """The run's fixed parameters, handed to each phase."""

    database: Database
    usage_store: UsageStore
    run: BillRunRecord
    inputs: BillingInputs
    index: WorldIndex
    rate: UsageRater
    tax: TaxCalculator
    progress: Callable[[BillRunProgress], None] | None
    bill_date: date | None
    """The date every bill carries, or None: each bill is dated its account's own cycle date."""


def run_cycle(
    database: Database,
    usage_store: UsageStore,
    *,
    period_start: datetime,
    period_end: datetime,
    bill_date: date | None = None,
    run_id: str,
    batch_accounts_max: int = batch_accounts_max_default,
    rate: UsageRater = rate_with_duckdb_engine,
    progress: Callable[[BillRunProgress], None] | None = None,
    tax: TaxCalculator | None = None,
    clock: Callable[[], datetime] | None = None,
    workers: int = 1,
) -> BillRunSummary:
    """Bill every paying account with a bill-cycle date in [period_start, period_end).

    Each bill is dated `bill_date` if given, else its account's own cycle date (local).
    The world is the one stored in `database` (`WorldRepository`); usage comes from `usage_store`
    through `rate`. Each bill also carries the adjustments that re-rating its account's last
    `rerate_lookback_periods` billed periods gives (late usage, corrected prices), each naming the
    issued bill it corrects. A paying account whose bill would not follow on from its latest
    issued bill of an earlier run refuses the whole run (`BillCycleContinuityError`), before
    anything is drafted. `tax` is the tax step; by default the tax engine over the tax tables
    and account tax data stored in `database` (no tax when none are stored). `clock`, when given, stamps the run's start and finish (bills never
    carry it). `workers` (1 to `workers_limit`) computes the drafts in that many worker processes
    while this one saves them in order; it drafts in-process where processes cannot fork, or
    when `database` is an in-memory SQLite database, which a worker could not open. `rate` and
    `tax` then run in the workers (forked, so they need not pickle); their errors surface here.
    Same arguments, same bills, whatever `workers`: see the module docstring for the guarantees.
    """
    if not 1 <= batch_accounts_max <= batch_accounts_limit:
        raise BillRunError(
            f"batch_accounts_max must be 1 to {batch_accounts_limit}, got {batch_accounts_max}"
        )
    if not 1 <= workers <= workers_limit:
        raise BillRunError(f"workers must be 1 to {workers_limit}, got {workers}")
    if period_end <= period_start:
        raise BillRunError(
            f"the run's period end {period_end.isoformat()} must be after its start "
            f"{period_start.isoformat()}"
        )
    with database.transaction() as session:
        inputs = WorldRepository(session).load()
        step = stored_tax_step(session) if tax is None else TaxStep(tax, "")
        wanted = BillRunRecord(
            run_id,
            period_start,
            period_end,
            # The run's own date on record; without an explicit bill date, its window's first day.
            bill_date if bill_date is not None else period_start.date(),
            BillRunState.RUNNING,
            combined_digest(world_digest(inputs), step.digest),
            started_at=_now(clock),
        )
        run = BillRunRepository(session).start(wanted)
    if run.state is BillRunState.FINISHED:
        return _summary(database, run_id, drafted_now=0, issued_now=0, rejects=_Rejects())
    cycle = _Cycle(
        database,
        usage_store,
        run,
        inputs,
        WorldIndex.of(inputs),
        rate,
        step.calculator,
        progress,
        bill_date,
    )
    drafted_now, rejects = _draft_phase(cycle, batch_accounts_max, workers)
    issued_now = _issue_phase(cycle, batch_accounts_max)
    with database.transaction() as session:
        BillRunRepository(session).finish(run_id, finished_at=_now(clock))
    return _summary(
        database, run_id, drafted_now=drafted_now, issued_now=issued_now, rejects=rejects
    )


@dataclass(frozen=True, slots=True)
class _Rejects:
    """Records the draft phase's rating and re-rating rejected."""

    rating: tuple[RatingReject, ...] = ()
    rerating: tuple[RatingReject, ...] = ()


def _now(clock: Callable[[], datetime] | None) -> datetime | None:
    return None if clock is None else clock()


def _draft_phase(cycle: _Cycle, batch_accounts_max: int, workers: int) -> tuple[int, _Rejects]:
    run = cycle.run
    payers = billed_payers(cycle.inputs, period_start=run.period_start, period_end=run.period_end)
    batches = plan_batches(payers, batch_accounts_max=batch_accounts_max)
    with cycle.database.transaction() as session:
        done = {
            found.billing_account_id for found in BillRunRepository(session).checkpoints(run.id)
        }
    _check_continuity(cycle, [payer for payer in payers if payer not in done])
    pending = [
        Batch(batch.index, tuple(payer for payer in batch.paying_account_ids if payer not in done))
        for batch in batches
    ]
    pending = [batch for batch in pending if batch.paying_account_ids]
    drafted = 0
    rejects: list[RatingReject] = []
    rerating: list[RatingReject] = []
    with (
        _batch_usage(cycle, pending) as usage,
        _drafts(cycle, pending, usage, workers) as computed,
    ):
        for batch, (drafts, batch_rejects) in zip(pending, computed, strict=True):
            drafted += _save_batch(cycle, batch, drafts)
            rejects.extend(batch_rejects.rating)
            rerating.extend(batch_rejects.rerating)
            _report(
                cycle, BillRunPhase.DRAFT, batch.index, len(batches), len(batch.paying_account_ids)
            )
    return drafted, _Rejects(tuple(rejects), tuple(rerating))


_Draft = CustomerBill | DraftRows
"""A draft bill as computed in-process, or as a drafting worker sends it: rendered to its rows."""
_Drafted = tuple[tuple[_Draft, ...], _Rejects]
"""A batch's draft bills and the records its rating and re-rating rejected."""


@contextmanager
def _drafts(
    cycle: _Cycle, batches: Sequence[Batch], usage: dict[int, UsageStore], workers: int
) -> Iterator[Iterator[_Drafted]]:
    """Each batch's drafts, in batch order: computed in-process, one batch at a time as the
    caller asks, or by `workers` forked processes (see `_parallel`) when that is possible."""

    def compute(batch: Batch) -> _Drafted:
        return _compute_batch(cycle, batch.paying_account_ids, usage[batch.index])

    def rendered(batch: Batch) -> _Drafted:
        bills, rejects = _compute_batch(cycle, batch.paying_account_ids, usage[batch.index])
        return _rendered(cycle, bills), rejects

    workers = min(workers, len(batches))
    database = cycle.database
    if workers < 2 or not fork_available() or not database_shared_across_processes(database.url):
        yield (compute(batch) for batch in batches)
        return
    # No connection may cross the fork: the pool's idle ones are closed here (this process opens
    # new ones when it saves) and each worker drops the emptied pool it inherits, opening its own.
    database.engine.dispose()
    with computed_in_workers(
        rendered,
        batches,
        workers=workers,
        prepare=lambda: database.engine.dispose(close=False),
    ) as computed:
        yield computed


def _rendered(cycle: _Cycle, bills: Sequence[CustomerBill]) -> tuple[DraftRows, ...]:
    """The bills rendered to the rows saving them inserts (pure: in the drafting worker)."""
    dialect = cycle.database.engine.dialect
    return tuple(
        render_draft(
            bill,
            invoice_series=cycle.inputs.accounts[bill.billing_account_id].invoice_series,
            dialect=dialect,
        )
        for bill in bills
    )


def _batch_usage(
    cycle: _Cycle, batches: Sequence[Batch]
) -> AbstractContextManager[dict[int, UsageStore]]:
    """Each batch's usage: the store, or its partition of the months the run rates when there
    are several batches (see `_run_usage`)."""
    circuits = {
        batch.index: sorted(
            {
                cycle.inputs.products[product_id].circuit_id
                for payer in batch.paying_account_ids
                for member in cycle.index.members.get(payer, ())
                for product_id in cycle.index.products.get(member, ())
            }
        )
        for batch in batches
    }
    payers = [payer for batch in batches for payer in batch.paying_account_ids]
    months: set[str] = set()
    if payers:
        start, end = _closed_span(cycle.inputs, payers, cycle.run)
        months = usage_months(start.astimezone(UTC), end.astimezone(UTC))
    return partitioned_usage(cycle.usage_store, circuits, sorted(months))


def _compute_batch(
    cycle: _Cycle, paying_account_ids: Sequence[str], usage_store: UsageStore
) -> tuple[tuple[CustomerBill, ...], _Rejects]:
    """The batch's draft bills: rate its usage, re-rate its earlier billed periods, read what was
    billed before, compute (pure)."""
    run = cycle.run
    world = cycle.index.slice(paying_account_ids)
    outcome = cycle.rate(
        usage_store, world, period_start=run.period_start, period_end=run.period_end
    )
    rerated = rerate_batch(
        cycle.rate,
        usage_store,
        cycle.database,
        cycle.index,
        paying_account_ids,
        period_start=run.period_start,
        period_end=run.period_end,
    )
    closed_start, closed_end = _closed_span(cycle.inputs, paying_account_ids, run)
    closings = annual_closings(world, period_start=run.period_start, period_end=run.period_end)
    with cycle.database.transaction() as session:
        # By product, on any paying account's bill: a circuit billed in advance by its old paying
        # account is settled against that, whichever batch the old paying account is in.
        previously_billed = issued_product_lines(
            session, sorted(world.products), period_start=closed_start, period_end=closed_end
        )
        year_to_date = _year_to_date(session, closings, world)
    bills = compute_bills(
        world,
        period_start=run.period_start,
        period_end=run.period_end,
        bill_date=cycle.bill_date,
        rated_usage=outcome.charges,
        previously_billed=previously_billed,
        tax=cycle.tax,
        run_id=run.id,
        year_to_date=year_to_date,
        adjustments=rerated.lines,
    )
    billed = {bill.billing_account_id for bill in bills}
    assert billed <= set(paying_account_ids), "a batch bills only its own paying accounts"
    return bills, _Rejects(outcome.rejects, rerated.rejects)


def _year_to_date(
    session: Session, closings: Sequence[AnnualClosing], world: BillingInputs
) -> dict[tuple[str, str], Money]:
    """The counted totals of the contract years the batch's bills close, from the issued bills."""
    earlier = {closing.key: contract_year_lines(session, closing) for closing in closings}
    return year_to_date_totals(closings, earlier, world)


def _check_continuity(cycle: _Cycle, paying_account_ids: Sequence[str]) -> None:
    """Refuse the run when a paying account's bill would not follow on from its latest issued
    bill of an earlier run (accounts never billed before start anywhere)."""
    run = cycle.run
    with cycle.database.transaction() as session:
        latest = latest_issued_bills(session, paying_account_ids, other_than_run_id=run.id)
    for payer in sorted(latest):
        found = latest[payer]
        billed = bill_cycle_for(
            cycle.inputs.accounts[payer], window_start=run.period_start, window_end=run.period_end
        )
        assert billed is not None, "every planned paying account has a cycle in the run's window"
        if found.period_start == billed.current.start:
            continue  # the same cycle billed again: saving the draft refuses it, naming the run
        problem = follow_on_problem(
            billed, previous_start=found.period_start, previous_end=found.period_end
        )
        if problem is not None:
            raise BillCycleContinuityError(
                f"bill run {run.id!r} refused: billing account {payer!r} is billed for the cycle "
                f"dated {billed.cycle_date.isoformat()}, which expects its latest issued bill to "
                f"cover {billed.closed.start.isoformat()} to {billed.closed.end.isoformat()} in "
                f"advance, but its latest, {found.bill_no} (run {found.run_id}), covers "
                f"{found.period_start.isoformat()} to {found.period_end.isoformat()}: {problem}"
            )


def _closed_span(
    inputs: BillingInputs, paying_account_ids: Sequence[str], run: BillRunRecord
) -> tuple[datetime, datetime]:
    """From the earliest start to the latest end of the batch's closed periods."""
    cycles = [
        bill_cycle_for(
            inputs.accounts[payer], window_start=run.period_start, window_end=run.period_end
        )
        for payer in paying_account_ids
    ]
    closed = [found.closed for found in cycles if found is not None]
    assert closed, "every planned paying account has a cycle in the run's window"
    return min(period.start for period in closed), max(period.end for period in closed)


def _save_batch(cycle: _Cycle, batch: Batch, drafts: Sequence[_Draft]) -> int:
    """Save a batch's drafts and checkpoints in one transaction; return the drafts saved now."""
    draft_of = {draft.billing_account_id: draft for draft in drafts}
    saved = 0
    with cycle.database.transaction() as session:
        runs = BillRunRepository(session)
        runs.lock(cycle.run.id)
        # Another process resuming the same run may have drafted some of these meanwhile.
        done = {
            found.billing_account_id
            for found in runs.checkpoints(
                cycle.run.id, billing_account_ids=batch.paying_account_ids
            )
        }
        repository = BillRepository(session)
        checkpoints: list[Checkpoint] = []
        for payer in batch.paying_account_ids:
            if payer in done:
                continue
            draft = draft_of.get(payer)
            if isinstance(draft, CustomerBill):
                series = cycle.inputs.accounts[payer].invoice_series
                saved += repository.save_draft(draft, invoice_series=series)
            elif draft is not None:
                saved += repository.insert_draft(draft)
            state = CheckpointState.NO_BILL if draft is None else CheckpointState.DRAFTED
            checkpoints.append(
                Checkpoint(payer, batch.index, None if draft is None else draft.id, state)
            )
        runs.record(cycle.run.id, checkpoints)
    return saved


def _issue_phase(cycle: _Cycle, batch_accounts_max: int) -> int:
    run_id = cycle.run.id
    with cycle.database.transaction() as session:
        drafted = [
            found.bill_id
            for found in BillRunRepository(session).checkpoints(run_id)
            if found.state is CheckpointState.DRAFTED and found.bill_id is not None
        ]
    chunks = [
        drafted[start : start + batch_accounts_max]
        for start in range(0, len(drafted), batch_accounts_max)
    ]
    issued = 0
    for index, chunk in enumerate(chunks):
        with cycle.database.transaction() as session:
            BillRunRepository(session).lock(run_id)
            issued += len(BillRepository(session).issue(chunk))
            BillRunRepository(session).mark_issued(run_id, chunk)
        _report(cycle, BillRunPhase.ISSUE, index, len(chunks), len(chunk))
    return issued


def _report(cycle: _Cycle, phase: BillRunPhase, index: int, total: int, items: int) -> None:
    if cycle.progress is not None:
        cycle.progress(BillRunProgress(cycle.run.id, phase, index, total, items))


def _summary(
    database: Database,
    run_id: str,
    *,
    drafted_now: int,
    issued_now: int,
    rejects: _Rejects,
) -> BillRunSummary:
    with database.transaction() as session:
        checkpoints = BillRunRepository(session).checkpoints(run_id)
    bill_count = sum(1 for found in checkpoints if found.bill_id is not None)
    return BillRunSummary(
        run_id, bill_count, drafted_now, issued_now, rejects.rating, rejects.rerating
    )


@dataclass(frozen=True, slots=True)
class DiscardSummary:
    run_id: str
    drafts_deleted: int


def discard_run(database: Database, run_id: str) -> DiscardSummary:
    """Give up an unfinished run that issued nothing: delete its drafts and checkpoints and mark
    it discarded, in one transaction. For a run that crashed and whose world was since changed
    (it can no longer resume on the world it started with): discard it, then bill the cycle under
    a new run id. A run that issued bills is refused (`BillRunConflictError`): resume it."""
    with database.transaction() as session:
        BillRunRepository(session).discard(run_id)
        deleted = BillRepository(session).delete_drafts(run_id)
    return DiscardSummary(run_id, deleted)
