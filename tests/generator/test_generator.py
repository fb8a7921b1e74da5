"""The seeded synthetic operator: a world tollway can read, the same bytes for the same seed,
usage only where circuits are active, and the anomalies the manifest says are there."""

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollway.accounts import paying_account_of
from tollway.billing import BillingInputs
from tollway.generator import (
    SIZES,
    GeneratedWorld,
    GeneratorError,
    GeneratorSizeError,
    generate,
    size_profile,
)
from tollway.generator._usage import decimal_array
from tollway.inventory import LifecycleAction, Product
from tollway.io._world import load_world
from tollway.usage import UsageStore, load_usage

SEED = 20260101
USAGE_COLUMNS = [
    ("record_id", "VARCHAR"),
    ("source", "VARCHAR"),
    ("circuit_id", "VARCHAR"),
    ("usage_type", "VARCHAR"),
    ("start_time", "TIMESTAMP WITH TIME ZONE"),
    ("end_time", "TIMESTAMP WITH TIME ZONE"),
    ("quantity", "DECIMAL(38,9)"),
    ("unit", "VARCHAR"),
    ("origin", "VARCHAR"),
    ("destination", "VARCHAR"),
]
"""The columns docs/usage-records.md documents, with their documented types."""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> GeneratedWorld:
    return generate(tmp_path_factory.mktemp("tiny") / "world", size="tiny", seed=SEED)


@pytest.fixture(scope="module")
def inputs(tiny: GeneratedWorld) -> BillingInputs:
    return load_world(tiny.directory)


def usage_sql(world: GeneratedWorld, query: str) -> list[tuple[object, ...]]:
    """Run `query` over every Parquet usage file of the world, exposed as the view `usage`."""
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        files = [str(world.directory / cycle.file) for cycle in world.cycles]
        connection.read_parquet(files, filename=True).create_view("usage")
        return connection.execute(query).fetchall()


def file_hashes(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


# --- the world ------------------------------------------------------------------------------------


def test_the_generated_world_reads_back_with_the_counts_it_reports(
    tiny: GeneratedWorld, inputs: BillingInputs
) -> None:
    assert tiny.billing_accounts == len(inputs.accounts) == 20
    assert tiny.parties == len(inputs.parties)
    assert tiny.sites == len(inputs.sites)
    assert tiny.agreements == len(inputs.agreements)
    assert tiny.credits == len(inputs.credits)
    assert tiny.products == len(inputs.products)
    manifest = json.loads((tiny.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["products"] == tiny.products
    assert [cycle["records"] for cycle in manifest["cycles"]] == [c.records for c in tiny.cycles]


def test_every_branch_rolls_up_onto_a_paying_account(inputs: BillingInputs) -> None:
    payers = {paying_account_of(account, inputs.accounts).id for account in inputs.accounts}
    assert all(inputs.accounts[payer].pays_own_bill for payer in payers)
    assert any(not account.pays_own_bill for account in inputs.accounts.values())


def test_every_world_shows_each_scenario_at_least_once(
    tiny: GeneratedWorld, inputs: BillingInputs
) -> None:
    actions = Counter(event.action for p in inputs.products.values() for event in p.events)
    for action in LifecycleAction:
        assert actions[action] > 0, action
    assert any(p.bundle_id for p in inputs.products.values())
    assert any(agreement.price_overrides for agreement in inputs.agreements.values())
    assert any(agreement.commitments for agreement in inputs.agreements.values())
    assert inputs.credits
    usage_types = dict(usage_sql(tiny, "SELECT usage_type, count(*) FROM usage GROUP BY ALL"))
    assert {"data", "voice", "security_events", "bandwidth_sample"} <= set(usage_types)
    for cycle in tiny.cycles:
        assert all(count > 0 for count in cycle.bad_records.values()), cycle
        assert cycle.duplicates_in_file > 0
    assert all(cycle.late_records > 0 and cycle.resent_records > 0 for cycle in tiny.cycles[1:])
    assert tiny.csv_records > 0


def test_prices_rise_at_the_start_of_the_second_cycle(inputs: BillingInputs) -> None:
    def monthly(instant: datetime) -> list[str]:
        prices = inputs.catalog.prices_at("dia", instant)
        return [price.id for price in prices if price.kind == "recurring_advance"]

    assert monthly(datetime(2026, 1, 31, tzinfo=UTC)) == ["dia-mrc-v1"]
    assert monthly(datetime(2026, 2, 1, tzinfo=UTC)) == ["dia-mrc-v2"]


# --- determinism and size --------------------------------------------------------------------------


def test_the_same_seed_gives_byte_identical_files(tmp_path: Path, tiny: GeneratedWorld) -> None:
    again = generate(tmp_path / "again", size="tiny", seed=SEED)
    assert file_hashes(again.directory) == file_hashes(tiny.directory)


def test_another_seed_gives_another_world(tmp_path: Path, tiny: GeneratedWorld) -> None:
    other = generate(tmp_path / "other", size="tiny", seed=SEED + 1)
    ours, theirs = file_hashes(tiny.directory), file_hashes(other.directory)
    assert ours.keys() == theirs.keys()
    changed = {name for name in ours if ours[name] != theirs[name]}
    assert {"customers.yaml", "products.jsonl", "usage/cycle-01.parquet"} <= changed


def test_counts_scale_with_the_number_of_accounts(tmp_path: Path) -> None:
    few = generate(tmp_path / "few", size=3, seed=SEED, cycles=1)
    many = generate(tmp_path / "many", size=24, seed=SEED, cycles=1)
    assert (few.billing_accounts, many.billing_accounts) == (3, 24)
    # About 20 circuits an account; 24 accounts give ~480 (Poisson, so a generous band).
    assert 380 <= many.products <= 580

    def records(world: GeneratedWorld) -> int:
        query = "SELECT count(*) FROM usage WHERE usage_type <> 'bandwidth_sample'"
        [(count,)] = usage_sql(world, query)
        assert isinstance(count, int)
        return count

    # Eight times the accounts: several times the records (not exactly 8: few circuits vary a lot).
    assert records(many) > 4 * records(few)
    # ~40 records a circuit and cycle besides bandwidth samples, usage-free MPLS and internet
    # ports included (the samples bring the small size to ~50 and 1M records a cycle).
    assert 25 <= records(many) / many.products <= 65


def test_named_sizes_and_counts() -> None:
    assert {name: profile.accounts for name, profile in SIZES.items()} == {
        "tiny": 20,
        "small": 1_000,
        "medium": 10_000,
        "large": 100_000,
    }
    assert size_profile(250).accounts == 250
    assert size_profile("small").circuits_per_account == size_profile(250).circuits_per_account


@pytest.mark.parametrize("size", ["huge", 0, -5, True, 2.5])
def test_an_unknown_size_is_refused(tmp_path: Path, size: object) -> None:
    with pytest.raises(GeneratorSizeError):
        generate(tmp_path / "world", size=size, seed=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"first_period": "2026-13"}, "write a month as YYYY-MM"),
        ({"first_period": "January"}, "write a month as YYYY-MM"),
        ({"cycles": 0}, "generate 1 to 36 cycles"),
        ({"seed": -1}, "a whole number, 0 or more"),
    ],
)
def test_unusable_arguments_are_refused(
    tmp_path: Path, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(GeneratorError, match=message):
        generate(tmp_path / "world", **{"size": 2, "seed": 1, **arguments})  # type: ignore[arg-type]


def test_a_directory_with_files_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(GeneratorError, match="not an empty directory"):
        generate(tmp_path, size=2, seed=1)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"


# --- usage files ------------------------------------------------------------------------------------


def test_usage_files_have_the_documented_columns_and_types(tiny: GeneratedWorld) -> None:
    for cycle in tiny.cycles:
        with duckdb.connect() as connection:
            described = connection.execute(
                "DESCRIBE SELECT * FROM read_parquet(?)", [str(tiny.directory / cycle.file)]
            ).fetchall()
        assert [(row[0], row[1]) for row in described] == USAGE_COLUMNS


def test_the_csv_file_holds_exact_text_in_the_same_columns(tiny: GeneratedWorld) -> None:
    lines = (tiny.directory / tiny.csv_file).read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(f'"{name}"' for name, _ in USAGE_COLUMNS)
    assert len(lines) == tiny.csv_records + 1
    first = lines[1].split(",")
    assert first[1] == '"sbc-edge-2"' and first[3] == '"voice"'
    assert first[4].endswith('Z"') and first[6].strip('"').isdigit()  # whole seconds, exact


def test_quantities_are_exact_decimals_in_each_unit(tiny: GeneratedWorld) -> None:
    rows = usage_sql(
        tiny,
        "SELECT usage_type, unit, bool_and(quantity = round(quantity, 6)), "
        "bool_and(quantity = round(quantity, 0)) FROM usage WHERE usage_type IS NOT NULL "
        "GROUP BY ALL ORDER BY ALL",
    )
    assert rows == [
        ("bandwidth_sample", "Mbit/s", True, False),  # kbit/s: three decimals of Mbit/s
        ("data", "GB", True, False),  # kB: six decimals of GB
        ("security_events", "events", True, True),
        ("voice", "s", True, True),
    ]


def test_bandwidth_samples_are_five_minutes_apart_on_the_clock(tiny: GeneratedWorld) -> None:
    [(misaligned, wrong_length)] = usage_sql(
        tiny,
        "SELECT count(*) FILTER (WHERE epoch(start_time)::BIGINT % 300 <> 0), "
        "count(*) FILTER (WHERE end_time - start_time <> INTERVAL 5 MINUTE "
        "AND record_id NOT LIKE '%-bad-%') FROM usage WHERE usage_type = 'bandwidth_sample'",
    )
    assert (misaligned, wrong_length) == (0, 0)


def test_calls_carry_numbers_and_other_usage_does_not(tiny: GeneratedWorld) -> None:
    rows = usage_sql(
        tiny,
        "SELECT source = 'sbc-core-1', bool_and(origin LIKE '+1%' AND destination LIKE '+%'), "
        "bool_and(origin IS NULL AND destination IS NULL) FROM usage GROUP BY ALL ORDER BY ALL",
    )
    assert rows == [(False, None, True), (True, True, False)]


def _active_windows(product: Product) -> list[tuple[str, datetime, datetime]]:
    windows: list[tuple[str, datetime, datetime]] = []
    since: datetime | None = None
    for event in product.events:
        if event.action in (LifecycleAction.ACTIVATE, LifecycleAction.RESUME):
            since = event.at
        elif event.action in (LifecycleAction.SUSPEND, LifecycleAction.DISCONNECT) and since:
            windows.append((product.circuit_id, since, event.at))
            since = None
    if since is not None:
        windows.append((product.circuit_id, since, datetime(2100, 1, 1, tzinfo=UTC)))
    return windows


def test_usage_falls_only_where_its_circuit_is_active(
    tiny: GeneratedWorld, inputs: BillingInputs
) -> None:
    windows = [w for product in inputs.products.values() for w in _active_windows(product)]
    with duckdb.connect() as connection:
        connection.execute(
            "CREATE TABLE active (circuit_id VARCHAR, since TIMESTAMPTZ, until TIMESTAMPTZ)"
        )
        connection.executemany("INSERT INTO active VALUES (?, ?, ?)", windows)
        files = [str(tiny.directory / cycle.file) for cycle in tiny.cycles]
        [(outside, checked)] = connection.execute(
            "SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM active a WHERE "
            "a.circuit_id = u.circuit_id AND u.start_time >= a.since AND u.start_time < a.until)), "
            "count(*) FROM read_parquet($files) u WHERE record_id NOT LIKE '%-bad-%'",
            {"files": files},
        ).fetchall()
    assert checked > 1000
    assert outside == 0


def test_the_manifest_counts_what_each_file_holds(tiny: GeneratedWorld) -> None:
    for cycle in tiny.cycles:
        period_start = datetime.strptime(cycle.period, "%Y-%m").replace(tzinfo=UTC)
        [(rows, keys, bad, earlier)] = usage_sql(
            tiny,
            "SELECT count(*), count(DISTINCT (source, record_id)), "
            "count(*) FILTER (WHERE record_id LIKE '%-bad-%'), "
            "count(DISTINCT (source, record_id)) FILTER (WHERE record_id NOT LIKE '%-bad-%' "
            f"AND start_time < TIMESTAMPTZ '{period_start.isoformat()}') "
            f"FROM usage WHERE filename LIKE '%{cycle.file.split('/')[-1]}'",
        )
        assert rows == cycle.records
        assert rows - keys == cycle.duplicates_in_file
        assert bad == sum(cycle.bad_records.values())
        assert earlier == cycle.late_records + cycle.resent_records


def test_ingestion_rejects_exactly_what_the_manifest_announces(
    tmp_path: Path, tiny: GeneratedWorld, inputs: BillingInputs
) -> None:
    store = UsageStore(tmp_path / "store")
    circuits = {product.circuit_id for product in inputs.products.values()}
    for index, cycle in enumerate(tiny.cycles):
        files = [tiny.directory / cycle.file]
        if index == 0:
            files.append(tiny.directory / tiny.csv_file)
        report = load_usage(
            files, store=store, load_id=f"cycle-{index + 1}", known_circuits=circuits
        )
        expected = {"duplicate_in_load": cycle.duplicates_in_file, **cycle.bad_records}
        if cycle.resent_records:
            expected["duplicate_record"] = cycle.resent_records
        assert report.rejected_by_reason == expected
        assert report.submitted == cycle.records + (tiny.csv_records if index == 0 else 0)


@given(st.lists(st.integers(min_value=-(2**62), max_value=2**62), max_size=50))
def test_quantities_are_stored_as_exact_nine_decimal_values(unscaled: list[int]) -> None:
    stored = decimal_array(np.array(unscaled, dtype=np.int64)).to_pylist()
    assert stored == [Decimal(value).scaleb(-9) for value in unscaled]
