"""A bill run with many batches copies the month's usage into one partition per batch once, and
each batch rates from its own: the same records as the store's, so the same bills."""

from collections import Counter
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, Final

import pytest

from tollway.billing import BillingInputs
from tollway.billrun import run_cycle
from tollway.billrun._run_usage import BatchUsage, partitioned_usage
from tollway.generator import generate
from tollway.io import load_world
from tollway.storage import BillQuery, BillRepository, Database, WorldRepository, bills_json
from tollway.usage import UsageStore, connect_duckdb, load_usage

from .rerate_world import load, usage_csv

USAGE: Final = usage_csv(
    "a1,edge,CKT-ACME,data,2026-01-05T10:00:00+00:00,60,GB",
    "a2,edge,CKT-ACME,data,2026-01-20T10:00:00+00:00,35,GB",
    "k1,switch,CKT-KAISHA,voice,2026-01-06T09:00:00+00:00,60,min",
    "m1,edge,CKT-MANAMA,data,2026-01-08T12:00:00+00:00,99.9,GB",
    "a3,edge,CKT-ACME,data,2026-02-02T10:00:00+00:00,1,GB",
)


def _rows(sql: str) -> Counter[tuple[Any, ...]]:
    connection = connect_duckdb()
    try:
        return Counter(connection.execute(sql).fetchall())
    finally:
        connection.close()


def test_a_batch_reads_the_stores_records_of_its_circuits_in_the_partitioned_months(
    tmp_path: Path,
) -> None:
    store = UsageStore(tmp_path / "usage-store")
    assert load(store, tmp_path, USAGE, load_id="usage").accepted == 5
    # CKT-ACME is in both batches (a circuit that moved); batch 2's circuit sent nothing.
    circuits = {0: ["CKT-ACME"], 1: ["CKT-ACME", "CKT-KAISHA"], 2: ["CKT-ZULU"]}

    with partitioned_usage(store, circuits, ["2026-01"], batches_min=2) as usage:
        folders = {index: found.root for index, found in usage.items()}
        assert all(isinstance(found, BatchUsage) for found in usage.values())
        january = store.scan_sql("2026-01")
        for index, wanted in circuits.items():
            listed = ", ".join(f"'{circuit}'" for circuit in wanted)
            expected = _rows(f"SELECT * FROM ({january}) WHERE circuit_id IN ({listed})")
            assert _rows(usage[index].scan_sql("2026-01")) == expected
        assert sum(_rows(usage[0].scan_sql("2026-01")).values()) == 2  # a1, a2
        assert sum(_rows(usage[2].scan_sql("2026-01")).values()) == 0
        # A month not partitioned is the store's own: all of it.
        assert _rows(usage[0].scan_sql("2026-02")) == _rows(store.scan_sql("2026-02"))
        assert usage[0].periods() == store.periods() == ("2026-01", "2026-02")
        relation = connect_duckdb().sql(f"SELECT * FROM ({usage[2].scan_sql('2026-01')}) LIMIT 0")
        assert (
            relation.columns == connect_duckdb().sql(f"SELECT * FROM ({january}) LIMIT 0").columns
        )
    assert not any(folder.parent.exists() for folder in folders.values()), "the copy is removed"


def test_with_few_batches_every_batch_reads_the_store(tmp_path: Path) -> None:
    store = UsageStore(tmp_path / "usage-store")
    with partitioned_usage(store, {0: ["CKT-ACME"], 1: ["CKT-KAISHA"]}, ["2026-01"]) as usage:
        assert usage == {0: store, 1: store}


FEBRUARY_RUN: Final[dict[str, Any]] = {
    "period_start": datetime(2026, 2, 1, tzinfo=UTC),
    "period_end": datetime(2026, 3, 1, tzinfo=UTC),
    "bill_date": date(2026, 2, 1),
}
MARCH_RUN: Final[dict[str, Any]] = {
    "period_start": datetime(2026, 3, 1, tzinfo=UTC),
    "period_end": datetime(2026, 4, 1, tzinfo=UTC),
    "bill_date": date(2026, 3, 1),
}


def _saved(path: Path, inputs: BillingInputs) -> Database:
    database = Database(f"sqlite:///{path}")
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(inputs)
    return database


def _bills(database: Database, run_id: str) -> str:
    with database.transaction() as session:
        return bills_json(BillRepository(session).stream(BillQuery(run_id=run_id)))


def test_a_run_rating_from_batch_partitions_issues_the_same_bills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = generate(tmp_path / "world", size=12, seed=2026, cycles=2)
    inputs = load_world(world.directory)
    store = UsageStore(tmp_path / "usage-store")
    load_usage([world.directory / world.cycles[0].file], store=store, load_id="cycle-1")
    partitioned, direct = _saved(tmp_path / "a.db", inputs), _saved(tmp_path / "b.db", inputs)

    run_cycle(direct, store, **FEBRUARY_RUN, run_id="FEB", batch_accounts_max=500)
    load_usage([world.directory / world.cycles[1].file], store=store, load_id="cycle-2")
    run_cycle(direct, store, **MARCH_RUN, run_id="MAR", batch_accounts_max=500)
    # The same, every batch of two accounts rating from its own partition (late February usage
    # in the second file is re-rated from the store: February is not March's partitioned month).
    forced = partial(partitioned_usage, batches_min=2)
    monkeypatch.setattr("tollway.billrun._run.partitioned_usage", forced)
    store_first = UsageStore(tmp_path / "usage-store-first")
    load_usage([world.directory / world.cycles[0].file], store=store_first, load_id="cycle-1")
    run_cycle(partitioned, store_first, **FEBRUARY_RUN, run_id="FEB", batch_accounts_max=2)
    load_usage([world.directory / world.cycles[1].file], store=store_first, load_id="cycle-2")
    run_cycle(partitioned, store_first, **MARCH_RUN, run_id="MAR", batch_accounts_max=2)

    for run_id in ("FEB", "MAR"):
        assert _bills(partitioned, run_id) == _bills(direct, run_id)
    assert _bills(direct, "MAR").count('"bill_no"') > 3
    partitioned.dispose()
    direct.dispose()
