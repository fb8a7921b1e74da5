"""A generated operator billed two cycles, the second cycle's usage file bringing the first's late
records: the late records are billed as adjustments, the same whatever the batch size or the
rater, and once billed nothing is left to adjust."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tollway.billing import BillingInputs, ChargeType
from tollway.billrun import UsageRater, preview_rerate, rate_with_reference, run_cycle
from tollway.billrun._rating_duckdb import rate_with_duckdb_engine
from tollway.generator import GeneratedWorld, generate
from tollway.io import load_world
from tollway.storage import BillQuery, BillRepository, Database, WorldRepository, bills_json
from tollway.usage import UsageStore, load_usage

MONTHS = (2, 3)


def _window(month: int) -> dict[str, datetime]:
    """Every account whose cycle date falls in the month (the CLI's `tollway bill 2026-MM`)."""
    return {
        "period_start": datetime(2026, month, 1, tzinfo=UTC),
        "period_end": datetime(2026, month + 1, 1, tzinfo=UTC),
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeneratedWorld, BillingInputs]:
    root = tmp_path_factory.mktemp("generated")
    world = generate(root / "world", size="tiny", seed=2026, cycles=2, first_period="2026-01")
    assert sum(cycle.late_records for cycle in world.cycles) > 0, "late records arrive"
    return world, load_world(world.directory)


def _bill_the_cycles(
    database: Database,
    store: UsageStore,
    world: GeneratedWorld,
    inputs: BillingInputs,
    *,
    batch_accounts_max: int,
    rate: UsageRater = rate_with_reference,
) -> list[str]:
    """Load each cycle's file and bill the month after it; the exports of the runs."""
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(inputs)
    exports: list[str] = []
    for month, cycle in zip(MONTHS, world.cycles, strict=True):
        load_usage([world.directory / cycle.file], store=store, load_id=f"cycle-{cycle.period}")
        run_cycle(
            database,
            store,
            **_window(month),
            run_id=f"run-{month}",
            batch_accounts_max=batch_accounts_max,
            rate=rate,
        )
        with database.transaction() as session:
            exports.append(
                bills_json(BillRepository(session).stream(BillQuery(run_id=f"run-{month}")))
            )
    return exports


def test_late_records_are_adjusted_once_in_any_batches(
    database_url: str, tmp_path: Path, generated: tuple[GeneratedWorld, BillingInputs]
) -> None:
    world, inputs = generated
    batched, at_once = Database(database_url), Database(f"sqlite:///{tmp_path / 'at-once.db'}")
    batched_store, at_once_store = UsageStore(tmp_path / "batched"), UsageStore(tmp_path / "once")

    exports = _bill_the_cycles(batched, batched_store, world, inputs, batch_accounts_max=3)

    assert exports == _bill_the_cycles(
        at_once, at_once_store, world, inputs, batch_accounts_max=500
    )
    with batched.transaction() as session:
        bills = {
            month: list(BillRepository(session).stream(BillQuery(run_id=f"run-{month}")))
            for month in MONTHS
        }
    numbers_before = {
        month: {bill.bill_no for earlier in MONTHS if earlier < month for bill in bills[earlier]}
        for month in MONTHS
    }
    for month in MONTHS:
        adjustments = [
            line
            for bill in bills[month]
            for line in bill.lines
            if line.charge_type is ChargeType.ADJUSTMENT
        ]
        # The first run has no earlier bill to correct; the later ones bill the late records.
        assert (len(adjustments) > 0) == (month > MONTHS[0])
        assert {line.related_bill_no for line in adjustments} <= numbers_before[month]
    # Everything the stored usage says is billed: the next cycle has nothing left to adjust.
    assert preview_rerate(batched, batched_store, **_window(4)).adjustments == {}
    batched.dispose()
    at_once.dispose()


def test_the_duckdb_rater_re_rates_the_same(
    tmp_path: Path, generated: tuple[GeneratedWorld, BillingInputs]
) -> None:
    world, inputs = generated
    databases = [Database(f"sqlite:///{tmp_path / name}.db") for name in ("reference", "duckdb")]
    reference = _bill_the_cycles(
        databases[0], UsageStore(tmp_path / "reference"), world, inputs, batch_accounts_max=500
    )

    vectorized = _bill_the_cycles(
        databases[1],
        UsageStore(tmp_path / "duckdb"),
        world,
        inputs,
        batch_accounts_max=500,
        rate=rate_with_duckdb_engine,
    )

    assert vectorized == reference
    assert '"charge_type": "adjustment"' in reference[1]
    for database in databases:
        database.dispose()
