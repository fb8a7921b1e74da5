"""A generated enterprise-telecom world (every product family, hierarchies, agreements, late and
duplicate usage) stored, loaded back equal, and billed: the same bills in batches of three on one
database as all at once on another, with gapless numbers."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tollway.billing import BillingInputs
from tollway.billrun import run_cycle
from tollway.generator import GeneratedWorld, generate
from tollway.io import load_world
from tollway.storage import BillQuery, BillRepository, Database, WorldRepository, bills_json
from tollway.storage import _tables as tables
from tollway.usage import UsageStore, load_usage

FEBRUARY_RUN: dict[str, Any] = {
    "period_start": datetime(2026, 2, 1, tzinfo=UTC),
    "period_end": datetime(2026, 3, 1, tzinfo=UTC),
    "bill_date": date(2026, 2, 1),
    "run_id": "RUN-2026-02",
}


@pytest.fixture
def generated(tmp_path: Path) -> tuple[GeneratedWorld, BillingInputs, UsageStore]:
    world = generate(tmp_path / "world", size=12, seed=2026, cycles=2)
    store = UsageStore(tmp_path / "usage-store")
    for cycle in world.cycles:
        load_usage([world.directory / cycle.file], store=store, load_id=f"cycle-{cycle.period}")
    return world, load_world(world.directory), store


def _save(database: Database, inputs: BillingInputs) -> None:
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(inputs)


def test_a_generated_world_loads_back_equal(
    database_url: str, generated: tuple[GeneratedWorld, BillingInputs, UsageStore]
) -> None:
    _, inputs, _ = generated
    database = Database(database_url)
    _save(database, inputs)

    with database.transaction() as session:
        assert WorldRepository(session).load() == inputs
    database.dispose()


def test_a_generated_world_bills_the_same_in_any_batches_on_any_database(
    database_url: str,
    tmp_path: Path,
    generated: tuple[GeneratedWorld, BillingInputs, UsageStore],
) -> None:
    _, inputs, store = generated
    batched, at_once = Database(database_url), Database(f"sqlite:///{tmp_path / 'at-once.db'}")
    _save(batched, inputs)
    _save(at_once, inputs)

    summary = run_cycle(batched, store, **FEBRUARY_RUN, batch_accounts_max=3)
    run_cycle(at_once, store, **FEBRUARY_RUN, batch_accounts_max=500)

    with batched.transaction() as session, at_once.transaction() as other:
        exported = bills_json(BillRepository(session).stream(BillQuery(run_id="RUN-2026-02")))
        assert exported == bills_json(BillRepository(other).stream(BillQuery(run_id="RUN-2026-02")))
        numbers = session.execute(
            select(tables.customer_bills.c.invoice_series, tables.customer_bills.c.bill_number)
        ).all()
    assert summary.bill_count > 1
    by_series: dict[str, list[int]] = {}
    for series, number in numbers:
        by_series.setdefault(series, []).append(number)
    assert {series: sorted(found) for series, found in by_series.items()} == {
        series: list(range(1, len(found) + 1)) for series, found in by_series.items()
    }
    assert sum(len(found) for found in by_series.values()) == summary.bill_count
    batched.dispose()
    at_once.dispose()
