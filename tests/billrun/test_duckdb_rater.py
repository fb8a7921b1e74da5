"""The bill run's DuckDB rater selects, keys and prices usage exactly as the reference rater does."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tollway.billrun import rate_with_reference, run_cycle
from tollway.billrun._rating_duckdb import rate_with_duckdb_engine
from tollway.generator import generate
from tollway.io import load_world
from tollway.storage import BillQuery, BillRepository, Database, WorldRepository, bills_json
from tollway.usage import UsageStore, load_usage

FEBRUARY = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, UsageStore]:
    root = tmp_path_factory.mktemp("generated")
    world = generate(root / "world", size="tiny", seed=5, cycles=1, first_period="2026-01")
    store = UsageStore(root / "usage")
    files = [world.directory / world.cycles[0].file, world.directory / world.csv_file]
    load_usage(files, store=store, load_id="jan")
    return world.directory, store


def test_same_outcome_as_the_reference_on_a_generated_operator(
    generated: tuple[Path, UsageStore],
) -> None:
    directory, store = generated
    inputs = load_world(directory)
    start, end = FEBRUARY
    reference = rate_with_reference(store, inputs, period_start=start, period_end=end)
    vectorized = rate_with_duckdb_engine(store, inputs, period_start=start, period_end=end)
    assert len(reference.charges) > 20, "the generated operator rates many charges"
    assert vectorized == reference


def test_bill_runs_with_either_rater_issue_byte_identical_bills(
    generated: tuple[Path, UsageStore], tmp_path: Path
) -> None:
    directory, store = generated
    exports = []
    for name, rater in (("reference", rate_with_reference), ("duckdb", rate_with_duckdb_engine)):
        database = Database(f"sqlite:///{tmp_path / name}.sqlite")
        database.migrate()
        with database.transaction() as session:
            WorldRepository(session).save(load_world(directory))
        start, end = FEBRUARY
        run_cycle(database, store, period_start=start, period_end=end, run_id="feb", rate=rater)
        with database.transaction() as session:
            exports.append(bills_json(BillRepository(session).stream(BillQuery(run_id="feb"))))
    assert exports[0] == exports[1]
    assert exports[0].count('"bill_no"') > 3
