"""A bill run in a process of its own, for the kill-and-resume tests.

    python billrun_child.py '<json: database_url, usage_store, batch_accounts_max, run arguments>'

An optional "workers" in the JSON drafts in that many worker processes (default 1, in-process).

With TOLLWAY_TEST_KILL_AFTER_BATCHES=N in the environment the process SIGKILLs itself right after
its N-th committed batch (drafting and issuing batches count alike): no cleanup, no atexit, exactly
what a crash or an OOM kill leaves behind. It prints "ready" when start-up is over and the run
begins, for a parent that kills it a random moment into the run. Importing it does nothing.
"""

import json
import os
import signal
import sys
from datetime import date, datetime
from pathlib import Path

from tollway.billrun import BillRunProgress, run_cycle
from tollway.storage import Database
from tollway.usage import UsageStore

KILL_AFTER_BATCHES_VARIABLE = "TOLLWAY_TEST_KILL_AFTER_BATCHES"
READY_LINE = "ready"


def main(arguments: dict[str, str]) -> None:
    kill_after = int(os.environ.get(KILL_AFTER_BATCHES_VARIABLE, "0"))
    committed = 0

    def on_batch(_report: BillRunProgress) -> None:
        nonlocal committed
        committed += 1
        if kill_after and committed >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    database = Database(arguments["database_url"])
    # Tell a parent that waits for it that start-up is over and the run begins now.
    print(READY_LINE, flush=True)  # noqa: T201 - the parent reads it
    run_cycle(
        database,
        UsageStore(Path(arguments["usage_store"])),
        period_start=datetime.fromisoformat(arguments["period_start"]),
        period_end=datetime.fromisoformat(arguments["period_end"]),
        bill_date=date.fromisoformat(arguments["bill_date"]),
        run_id=arguments["run_id"],
        batch_accounts_max=int(arguments["batch_accounts_max"]),
        progress=on_batch,
        workers=int(arguments.get("workers", "1")),
    )
    database.dispose()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
