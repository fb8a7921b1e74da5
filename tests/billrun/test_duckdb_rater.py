"""The bill run's DuckDB rater selects, keys and prices usage exactly as the reference rater does."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tollway.billing import BillingInputs
from tollway.billrun import rate_with_duckdb_engine_columnar, rate_with_reference, run_cycle
from tollway.billrun._rating_duckdb import rate_with_duckdb_engine
from tollway.generator import generate
from tollway.io import load_world
from tollway.rating.duckdb import CHARGE_SCHEMA, ColumnarRating
from tollway.rating.reference import RatingOutcome
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


def _charge_figures(outcome: RatingOutcome) -> list[tuple[object, ...]]:
    return [
        (c.charge_key, c.price_id, c.record_count, c.result.quantity, c.result.amount.amount)
        for c in outcome.charges
    ]


def _columnar_figures(rating: ColumnarRating) -> list[tuple[object, ...]]:
    columns = ("charge_key", "price_id", "record_count", "quantity", "amount")
    return list(zip(*(rating.charges.column(name).to_pylist() for name in columns), strict=True))


def _reject_rows(outcome: RatingOutcome) -> list[tuple[object, ...]]:
    return [(r.charge_key, r.price_id, r.record_id, r.code, r.message) for r in outcome.rejects]


def assert_columnar_equals_objects(
    store: UsageStore, inputs: BillingInputs, *, period_start: datetime, period_end: datetime
) -> RatingOutcome:
    """The columnar rater's charges (key, price, record count, quantity, amount) and rejects are
    the object rater's, in the same order."""
    objects = rate_with_duckdb_engine(
        store, inputs, period_start=period_start, period_end=period_end
    )
    columnar = rate_with_duckdb_engine_columnar(
        store, inputs, period_start=period_start, period_end=period_end
    )
    assert _columnar_figures(columnar) == _charge_figures(objects)
    rejects = columnar.rejects
    columns = (rejects.column(name).to_pylist() for name in rejects.schema.names)
    found = list(zip(*columns, strict=True))
    assert found == _reject_rows(objects)
    return objects


def test_columnar_charges_are_the_object_raters_on_a_generated_operator(
    generated: tuple[Path, UsageStore],
) -> None:
    directory, store = generated
    start, end = FEBRUARY
    outcome = assert_columnar_equals_objects(
        store, load_world(directory), period_start=start, period_end=end
    )
    assert len(outcome.charges) > 20
    kinds = {line.kind for charge in outcome.charges for line in charge.result.lines}
    assert kinds >= {"increment", "percentile_sample", "tier"}, "calls, samples and tiers"


def test_columnar_charges_are_the_object_raters_on_the_bill_run_world(
    world: BillingInputs, usage_store: UsageStore, april_run: dict[str, Any]
) -> None:
    # March usage of the conftest world: graduated data in USD, voice in JPY, and BRAVO's sms
    # record that no price rates (a reject).
    outcome = assert_columnar_equals_objects(
        usage_store,
        world,
        period_start=april_run["period_start"],
        period_end=april_run["period_end"],
    )
    assert outcome.rejects and outcome.charges


def test_columnar_rating_of_nothing_is_two_empty_tables(
    world: BillingInputs, usage_store: UsageStore
) -> None:
    # A run window no account's cycle closes in rates nothing.
    start = datetime(2026, 4, 2, tzinfo=UTC)
    found = rate_with_duckdb_engine_columnar(
        usage_store, world, period_start=start, period_end=datetime(2026, 4, 3, tzinfo=UTC)
    )
    assert (found.charges.num_rows, found.rejects.num_rows) == (0, 0)
    assert found.charges.schema == CHARGE_SCHEMA
