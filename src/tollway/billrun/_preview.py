"""`preview_rerate`: the adjustments a bill run would carry, computed without writing anything."""

from datetime import datetime

from tollway.billing import AppliedBillingRate
from tollway.billrun._batches import WorldIndex, billed_payers, plan_batches
from tollway.billrun._rating import UsageRater
from tollway.billrun._rating_duckdb import rate_with_duckdb_engine
from tollway.billrun._rerate import RerateOutcome, rerate_batch
from tollway.billrun._run import BillRunError, batch_accounts_limit, batch_accounts_max_default
from tollway.rating.reference import RatingReject
from tollway.storage import Database, WorldRepository
from tollway.usage import UsageStore


def preview_rerate(
    database: Database,
    usage_store: UsageStore,
    *,
    period_start: datetime,
    period_end: datetime,
    rate: UsageRater = rate_with_duckdb_engine,
    batch_accounts_max: int = batch_accounts_max_default,
) -> RerateOutcome:
    """The adjustment lines the bills of a run over [period_start, period_end) carry: the same
    re-rating `run_cycle` does, on the world and usage stored now, writing nothing (a preview for
    finance). For a cycle already billed, what is still outstanding after its bills' adjustments
    (nothing, unless usage arrived or prices changed since)."""
    if not 1 <= batch_accounts_max <= batch_accounts_limit:
        raise BillRunError(
            f"batch_accounts_max must be 1 to {batch_accounts_limit}, got {batch_accounts_max}"
        )
    if period_end <= period_start:
        raise BillRunError(
            f"the cycle's period end {period_end.isoformat()} must be after its start "
            f"{period_start.isoformat()}"
        )
    with database.transaction() as session:
        inputs = WorldRepository(session).load()
    index = WorldIndex.of(inputs)
    payers = billed_payers(inputs, period_start=period_start, period_end=period_end)
    adjustments: dict[str, tuple[AppliedBillingRate, ...]] = {}
    rejects: list[RatingReject] = []
    for batch in plan_batches(payers, batch_accounts_max=batch_accounts_max):
        outcome = rerate_batch(
            rate,
            usage_store,
            database,
            index,
            batch.paying_account_ids,
            period_start=period_start,
            period_end=period_end,
        )
        adjustments.update(outcome.adjustments)
        rejects.extend(outcome.rejects)
    return RerateOutcome(adjustments, tuple(rejects))
