"""The bill run: rate a cycle's usage, compute draft bills, persist them, issue them with numbers.

Owns: orchestrating one billing cycle over the stored world (`tollway.storage`) and the usage
store (`tollway.usage`): batches of paying accounts, each drafted in one transaction with its
checkpoints, then issued in paying-account order with gapless numbers.

Invariants: deterministic (same stored inputs, same bills, byte for byte); idempotent (running a
cycle again changes nothing); resumable (a run killed at any point and restarted ends with the same
bills and numbers 1..N per series, none missing or repeated); issued bills never change (late usage
and price corrections of the last `rerate_lookback_periods` billed periods become adjustment lines
on the next bill, never counted twice). The computation itself is the pure `tollway.billing`; this
package only moves data and draws transaction boundaries.

May import: the core and domain packages, `tollway.storage`, `tollway.usage`, `tollway.rating`.
"""

from tollway.billrun._batches import (
    Batch,
    WorldIndex,
    billed_payers,
    plan_batches,
    slice_world,
)
from tollway.billrun._parallel import DraftWorkerError, workers_limit
from tollway.billrun._preview import preview_rerate
from tollway.billrun._rating import UsageRater, rate_with_reference
from tollway.billrun._rating_duckdb import (
    rate_with_duckdb_engine,
    rate_with_duckdb_engine_columnar,
)
from tollway.billrun._rerate import RerateOutcome, earlier_cycles, rerate_lookback_periods
from tollway.billrun._run import (
    BillCycleContinuityError,
    BillRunError,
    BillRunPhase,
    BillRunProgress,
    BillRunSummary,
    DiscardSummary,
    batch_accounts_limit,
    batch_accounts_max_default,
    discard_run,
    run_cycle,
)

__all__ = [
    "Batch",
    "BillCycleContinuityError",
    "BillRunError",
    "BillRunPhase",
    "BillRunProgress",
    "BillRunSummary",
    "DiscardSummary",
    "DraftWorkerError",
    "RerateOutcome",
    "UsageRater",
    "WorldIndex",
    "batch_accounts_limit",
    "batch_accounts_max_default",
    "billed_payers",
    "discard_run",
    "earlier_cycles",
    "plan_batches",
    "preview_rerate",
    "rate_with_duckdb_engine",
    "rate_with_duckdb_engine_columnar",
    "rate_with_reference",
    "rerate_lookback_periods",
    "run_cycle",
    "slice_world",
    "workers_limit",
]
