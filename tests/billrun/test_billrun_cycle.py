"""A bill run over 2026-04-01: what it bills, and that running it again, in other batch sizes or on
another database, gives the same bills byte for byte."""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tollway.billing import BillingInputs, BillState, ChargeType, credit_note_for
from tollway.billrun import (
    BillRunError,
    BillRunPhase,
    BillRunProgress,
    billed_payers,
    discard_run,
    plan_batches,
    run_cycle,
    slice_world,
)
from tollway.money import Money
from tollway.storage import (
    BillConflictError,
    BillQuery,
    BillRepository,
    BillRunConflictError,
    BillRunRepository,
    BillRunState,
    CheckpointState,
    Database,
    WorldRepository,
    bills_csv,
    bills_json,
)
from tollway.storage import _tables as tables
from tollway.usage import UsageStore


def _export(database: Database, run_id: str = "RUN-2026-04") -> str:
    with database.transaction() as session:
        return bills_json(BillRepository(session).stream(BillQuery(run_id=run_id)))


def _rows(database: Database) -> dict[str, int]:
    counted = (tables.customer_bills, tables.applied_billing_rates, tables.bill_run_accounts)
    with database.transaction() as session:
        return {
            table.name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for table in counted
        }


def test_the_run_bills_each_account_with_a_cycle_date_in_the_window(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    summary = run_cycle(database, usage_store, **april_run, batch_accounts_max=2)

    with database.transaction() as session:
        bills = BillRepository(session).find(BillQuery(run_id="RUN-2026-04"))
    found = {bill.billing_account_id: (bill.bill_no, str(bill.amount_due)) for bill in bills}
    # Every circuit has billed nothing yet: March (the closed period) and April (in advance).
    assert found == {
        # 100 + 100 (port) + 100 + 100 (branch port) + 11.02 data + 0.00 data (branch).
        "A-ALPHA": ("INV-00000001", "411.02 USD"),
        # 100 + 100 + 100 GB x 0.10 = 10.00; the sms record has no price.
        "A-BRAVO": ("INV-00000002", "210.00 USD"),
        # 100 + 100 - 25.00 credit.
        "A-CHARLIE": ("INV-00000003", "175.00 USD"),
        # ¥15,000 + ¥15,000 + 125 min x ¥3 = ¥375, numbered in its own series.
        "A-DELTA": ("JP-00000001", "30375 JPY"),
        "A-ECHO": ("INV-00000004", "200.00 USD"),
    }
    assert all(bill.state is BillState.ISSUED for bill in bills)
    assert (summary.bill_count, summary.drafted_now, summary.issued_now) == (5, 5, 5)


def test_alphas_bill_written_out(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    run_cycle(database, usage_store, **april_run)

    with database.transaction() as session:
        bill = BillRepository(session).by_number("INV-00000001")
    assert bill is not None
    march, april, may = (datetime(2026, month, 1, tzinfo=UTC) for month in (3, 4, 5))
    lines = [
        (
            line.billing_account_id,
            line.charge_type,
            line.period_start,
            line.period_end,
            line.quantity,
            line.amount,
        )
        for line in bill.lines
    ]
    usd = "USD"
    assert lines == [
        ("A-ALPHA", ChargeType.RECURRING, march, april, Decimal(1), Money.of("100.00", usd)),
        ("A-ALPHA", ChargeType.RECURRING, april, may, Decimal(1), Money.of("100.00", usd)),
        # 40.5 + 60 + 19.9 = 120.4 GB in March (the April and February records are not March's):
        # 100 x 0.10 + 20.4 x 0.05 = 10.00 + 1.02.
        ("A-ALPHA", ChargeType.USAGE, march, april, Decimal("120.4"), Money.of("11.02", usd)),
        ("A-ALPHA-BR", ChargeType.RECURRING, march, april, Decimal(1), Money.of("100.00", usd)),
        ("A-ALPHA-BR", ChargeType.RECURRING, april, may, Decimal(1), Money.of("100.00", usd)),
        # 0.000000001 GB x 0.10 rounds to 0.00 but is billed, exactly, as a line.
        (
            "A-ALPHA-BR",
            ChargeType.USAGE,
            march,
            april,
            Decimal("0.000000001"),
            Money.of("0.00", usd),
        ),
    ]
    assert bill.consolidated_account_ids == ("A-ALPHA-BR",)
    assert bill.lines[5].precise_amount == Decimal("0.0000000001")


def test_an_unpriced_record_is_reported_not_billed(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    summary = run_cycle(database, usage_store, **april_run)

    assert [(reject.record_id, reject.code) for reject in summary.rating_rejects] == [
        ("edge:c2", "unknown_price")
    ]


def test_an_account_without_a_cycle_date_in_the_window_is_left_alone(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    run_cycle(database, usage_store, **april_run)

    with database.transaction() as session:
        checkpoints = BillRunRepository(session).checkpoints("RUN-2026-04")
        foxtrot = BillRepository(session).find(BillQuery(billing_account_id="A-FOXTROT"))
    assert [checkpoint.billing_account_id for checkpoint in checkpoints] == [
        "A-ALPHA",
        "A-BRAVO",
        "A-CHARLIE",
        "A-DELTA",
        "A-ECHO",
    ]
    assert {checkpoint.state for checkpoint in checkpoints} == {CheckpointState.ISSUED}
    assert foxtrot == ()


def test_running_the_cycle_again_changes_nothing(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    run_cycle(database, usage_store, **april_run, batch_accounts_max=2)
    exported, rows = _export(database), _rows(database)

    again = run_cycle(database, usage_store, **april_run, batch_accounts_max=3)

    assert (again.bill_count, again.drafted_now, again.issued_now) == (5, 0, 0)
    assert _export(database) == exported
    assert _rows(database) == rows


def test_batch_size_and_database_do_not_change_a_single_byte(
    database: Database,
    usage_store: UsageStore,
    tmp_path: Path,
    world: BillingInputs,
    april_run: dict[str, Any],
) -> None:
    run_cycle(database, usage_store, **april_run, batch_accounts_max=1)
    one_by_one = _export(database)
    elsewhere = Database(f"sqlite:///{tmp_path / 'all-at-once.db'}")
    elsewhere.migrate()
    with elsewhere.transaction() as session:
        WorldRepository(session).save(world)

    run_cycle(elsewhere, usage_store, **april_run, batch_accounts_max=500)

    assert _export(elsewhere) == one_by_one
    with database.transaction() as session, elsewhere.transaction() as other:
        assert bills_csv(BillRepository(session).stream()) == bills_csv(
            BillRepository(other).stream()
        )
    elsewhere.dispose()


def test_progress_is_reported_after_each_committed_batch(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    reports: list[BillRunProgress] = []

    run_cycle(database, usage_store, **april_run, batch_accounts_max=2, progress=reports.append)

    assert [
        (report.phase, report.batch_index, report.batches_total, report.items) for report in reports
    ] == [
        (BillRunPhase.DRAFT, 0, 3, 2),
        (BillRunPhase.DRAFT, 1, 3, 2),
        (BillRunPhase.DRAFT, 2, 3, 1),
        (BillRunPhase.ISSUE, 0, 3, 2),
        (BillRunPhase.ISSUE, 1, 3, 2),
        (BillRunPhase.ISSUE, 2, 3, 1),
    ]


def test_the_callers_clock_stamps_the_run_never_the_bills(
    database: Database,
    usage_store: UsageStore,
    tmp_path: Path,
    world: BillingInputs,
    april_run: dict[str, Any],
) -> None:
    ticks = iter([datetime(2026, 4, 1, 2, 0, tzinfo=UTC), datetime(2026, 4, 1, 2, 7, tzinfo=UTC)])

    run_cycle(database, usage_store, **april_run, clock=lambda: next(ticks))

    with database.transaction() as session:
        run = BillRunRepository(session).get("RUN-2026-04")
    assert run is not None
    assert (run.state, run.started_at, run.finished_at) == (
        BillRunState.FINISHED,
        datetime(2026, 4, 1, 2, 0, tzinfo=UTC),
        datetime(2026, 4, 1, 2, 7, tzinfo=UTC),
    )
    unstamped = Database(f"sqlite:///{tmp_path / 'no-clock.db'}")
    unstamped.migrate()
    with unstamped.transaction() as session:
        WorldRepository(session).save(world)
    run_cycle(unstamped, usage_store, **april_run)
    assert _export(unstamped) == _export(database)
    unstamped.dispose()


def test_another_run_over_a_billed_cycle_is_refused(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    run_cycle(database, usage_store, **april_run)

    with pytest.raises(BillConflictError, match="already saved by bill run 'RUN-2026-04'"):
        run_cycle(database, usage_store, **{**april_run, "run_id": "RUN-2026-04-AGAIN"})


def test_a_run_id_cannot_be_reused_for_another_window(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    run_cycle(database, usage_store, **april_run)

    with pytest.raises(BillRunConflictError, match="RUN-2026-04"):
        run_cycle(database, usage_store, **{**april_run, "bill_date": date(2026, 4, 2)})


def test_the_next_cycle_bills_only_what_was_not_billed_in_advance(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    run_cycle(database, usage_store, **april_run)

    run_cycle(
        database,
        usage_store,
        period_start=datetime(2026, 5, 1, tzinfo=UTC),
        period_end=datetime(2026, 5, 2, tzinfo=UTC),
        bill_date=date(2026, 5, 1),
        run_id="RUN-2026-05",
    )

    with database.transaction() as session:
        may = BillRepository(session).find(BillQuery(run_id="RUN-2026-05"))
    found = {bill.billing_account_id: (bill.bill_no, str(bill.amount_due)) for bill in may}
    # April was billed in advance on the April bills: May's bills carry May in advance, plus
    # April's usage: ALPHA's 500 GB on April 1 = 100 x 0.10 + 400 x 0.05 = 30.00. Numbers go on
    # where April's stopped.
    assert found == {
        "A-ALPHA": ("INV-00000005", "230.00 USD"),
        "A-BRAVO": ("INV-00000006", "100.00 USD"),
        "A-CHARLIE": ("INV-00000007", "100.00 USD"),
        "A-DELTA": ("JP-00000002", "15000 JPY"),
        "A-ECHO": ("INV-00000008", "100.00 USD"),
    }


def test_a_batch_size_outside_the_limits_is_refused(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    with pytest.raises(BillRunError, match="batch_accounts_max must be 1 to 10000, got 0"):
        run_cycle(database, usage_store, **april_run, batch_accounts_max=0)


# --- planning (pure) ----------------------------------------------------------------------------


def test_the_plan_bills_paying_accounts_in_id_order(
    world: BillingInputs, april_run: dict[str, Any]
) -> None:
    payers = billed_payers(
        world, period_start=april_run["period_start"], period_end=april_run["period_end"]
    )

    assert payers == ["A-ALPHA", "A-BRAVO", "A-CHARLIE", "A-DELTA", "A-ECHO"]
    assert [batch.paying_account_ids for batch in plan_batches(payers, batch_accounts_max=2)] == [
        ("A-ALPHA", "A-BRAVO"),
        ("A-CHARLIE", "A-DELTA"),
        ("A-ECHO",),
    ]


def test_a_batch_slice_holds_its_payers_with_their_children_products_and_credits(
    world: BillingInputs,
) -> None:
    sliced = slice_world(world, ["A-ALPHA", "A-CHARLIE"])

    assert sorted(sliced.accounts) == ["A-ALPHA", "A-ALPHA-BR", "A-CHARLIE"]
    assert sorted(sliced.products) == ["P-ALPHA-1", "P-ALPHA-BR-1", "P-CHARLIE-1"]
    assert [credit.id for credit in sliced.credits] == ["CR-1"]
    assert sliced.catalog is world.catalog
    assert slice_world(world, ["A-ECHO"]).credits == ()
    assert replace(sliced, accounts=world.accounts).accounts == world.accounts


def test_a_credit_note_for_a_run_bill_is_numbered_in_its_own_series(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    run_cycle(database, usage_store, **april_run)
    with database.transaction() as session:
        bravo = BillRepository(session).by_number("INV-00000002")
        assert bravo is not None
        usage_line = next(line.id for line in bravo.lines if line.charge_type is ChargeType.USAGE)
        note = BillRepository(session).issue_credit_note(
            credit_note_for(bravo, lines=[usage_line], reason="data counter fault")
        )

    # BRAVO's 10.00 of data, credited in full.
    assert (note.bill_no, str(note.amount_due), note.related_bill_no) == (
        "CN-00000001",
        "-10.00 USD",
        "INV-00000002",
    )
    again = run_cycle(database, usage_store, **april_run)
    assert (again.drafted_now, again.issued_now) == (0, 0)


class _Crash(Exception):
    """Stands for a process dying right after a batch committed."""


def _crash_after(batches: int) -> Callable[[BillRunProgress], None]:
    seen: list[BillRunProgress] = []

    def on_batch(report: BillRunProgress) -> None:
        seen.append(report)
        if len(seen) == batches:
            raise _Crash(f"crashed after batch {batches}")

    return on_batch


def test_a_run_that_crashed_resumes_to_the_same_bills(
    database: Database,
    usage_store: UsageStore,
    tmp_path: Path,
    world: BillingInputs,
    april_run: dict[str, Any],
) -> None:
    with pytest.raises(_Crash):
        run_cycle(
            database, usage_store, **april_run, batch_accounts_max=2, progress=_crash_after(2)
        )
    with database.transaction() as session:
        half_done = BillRunRepository(session).checkpoints("RUN-2026-04")
    assert len(half_done) == 4

    resumed = run_cycle(database, usage_store, **april_run, batch_accounts_max=2)

    assert (resumed.drafted_now, resumed.issued_now) == (1, 5)
    clean = Database(f"sqlite:///{tmp_path / 'clean.db'}")
    clean.migrate()
    with clean.transaction() as session:
        WorldRepository(session).save(world)
    run_cycle(clean, usage_store, **april_run, batch_accounts_max=2)
    assert _export(database) == _export(clean)
    clean.dispose()


def test_an_unfinished_run_refuses_to_resume_on_another_world(
    database: Database, usage_store: UsageStore, world: BillingInputs, april_run: dict[str, Any]
) -> None:
    with pytest.raises(_Crash):
        run_cycle(
            database, usage_store, **april_run, batch_accounts_max=2, progress=_crash_after(1)
        )
    repriced = replace(world, credits=())
    with database.transaction() as session:
        WorldRepository(session).save(repriced)

    with pytest.raises(BillRunConflictError, match="started on another world"):
        run_cycle(database, usage_store, **april_run, batch_accounts_max=2)


def test_a_crashed_run_on_a_changed_world_is_discarded_and_billed_under_a_new_id(
    database: Database, usage_store: UsageStore, world: BillingInputs, april_run: dict[str, Any]
) -> None:
    with pytest.raises(_Crash):
        run_cycle(
            database, usage_store, **april_run, batch_accounts_max=2, progress=_crash_after(1)
        )
    without_credits = replace(world, credits=())
    with database.transaction() as session:
        WorldRepository(session).save(without_credits)

    discarded = discard_run(database, "RUN-2026-04")
    rerun = run_cycle(database, usage_store, **{**april_run, "run_id": "RUN-2026-04-B"})

    # The crash left one batch of two accounts drafted: both drafts are gone, and the new run
    # bills all five accounts, each series numbered from 1 with no gap (the discarded run took
    # no number; A-DELTA bills in yen in its own JP series).
    assert discarded.drafts_deleted == 2
    assert (rerun.drafted_now, rerun.issued_now) == (5, 5)
    with database.transaction() as session:
        bills = list(BillRepository(session).stream())
        assert BillRunRepository(session).checkpoints("RUN-2026-04") == ()
    assert sorted(bill.bill_no or "" for bill in bills) == [
        "INV-00000001",
        "INV-00000002",
        "INV-00000003",
        "INV-00000004",
        "JP-00000001",
    ]
    assert {bill.run_id for bill in bills} == {"RUN-2026-04-B"}
    with pytest.raises(BillRunConflictError, match="was discarded; bill the cycle under a new"):
        run_cycle(database, usage_store, **april_run)


def test_a_run_that_issued_bills_or_finished_is_never_discarded(
    database: Database, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    # Batches of two over five accounts: three drafting batches, then the first issuing batch.
    with pytest.raises(_Crash):
        run_cycle(
            database, usage_store, **april_run, batch_accounts_max=2, progress=_crash_after(4)
        )
    with pytest.raises(BillRunConflictError, match="has issued bills"):
        discard_run(database, "RUN-2026-04")

    run_cycle(database, usage_store, **april_run, batch_accounts_max=2)
    with pytest.raises(BillRunConflictError, match="is finished; only an unfinished run"):
        discard_run(database, "RUN-2026-04")
