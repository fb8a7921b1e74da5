"""A cycle reconciled in parts gives exactly what it gives in one piece: every difference row
(categories, variances, evidence, order) and every summary, however small the parts are cut —
in memory (`reconcile_cycle(partition_rows_max=...)`) and from Parquet to Parquet
(`reconcile_stored_cycle`). Parts of one row force every account into its own range, so every
link between accounts (a roll-up, a circuit billed under two accounts, a re-keyed id) must merge
ranges for the rows to come out the same."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tollway.reconcile._cycle import CycleResult, reconcile_cycle, register_inputs
from tollway.reconcile._cycle_stored import reconcile_stored_cycle
from tollway.reconcile._engine_sql import connect
from tollway.reconcile._match import ReconcileInputError
from tollway.reconcile._parquet import write_parquet
from tollway.reconcile._partition import PartPlan, merge_ranges, plan_parts
from tollway.reconcile._simulate import InjectionPlan, simulate_legacy
from tollway.reconcile._tables import InvoiceTables
from tollway.reconcile.core import Tolerances

from .recon_engine_tables import MARCH, NO_CROSSWALK, Invoice, Line, Side, Tax, system_tables
from .recon_engine_tables import crosswalk as crosswalk_of
from .recon_sim_support import march_tables

WHOLE = 10**12
"""A part size no test cycle reaches: the cycle in one piece, as before parts existed."""
FEBRUARY = (date(2026, 2, 1), date(2026, 3, 1))


def reconciled(
    legacy: InvoiceTables, tollway: InvoiceTables, crosswalk: pa.Table, *, rows_max: int
) -> CycleResult:
    return reconcile_cycle(
        legacy,
        tollway,
        crosswalk=crosswalk,
        tolerances=Tolerances(),
        cycle="2026-03",
        partition_rows_max=rows_max,
    )


def planned(legacy: InvoiceTables, tollway: InvoiceTables, crosswalk: pa.Table) -> PartPlan:
    connection = connect()
    try:
        register_inputs(connection, legacy, tollway, crosswalk)
        return plan_parts(connection, rows_max=1)
    finally:
        connection.close()


def assert_same(whole: CycleResult, parts: CycleResult) -> None:
    assert parts.summaries == whole.summaries
    assert parts.differences.to_pylist() == whole.differences.to_pylist()
    assert parts.differences.equals(whole.differences)


@pytest.fixture(scope="module")
def simulated() -> tuple[InvoiceTables, InvoiceTables, pa.Table]:
    """The simulator's march cycle with every category, splits, stripped and re-keyed ids."""
    plan = InjectionPlan(difference_percent=Decimal(50), split_lines=2, rekeyed_percent=Decimal(50))
    tollway = march_tables()
    legacy = simulate_legacy(tollway, seed=11, cycle="2026-03", injection=plan)
    return legacy.legacy, tollway, legacy.crosswalk


@pytest.mark.parametrize("rows_max", [1, 2, 7, 20])
def test_the_simulated_cycle_in_parts_equals_the_cycle_whole(
    simulated: tuple[InvoiceTables, InvoiceTables, pa.Table], rows_max: int
) -> None:
    legacy, tollway, crosswalk = simulated

    whole = reconciled(legacy, tollway, crosswalk, rows_max=WHOLE)
    parts = reconciled(legacy, tollway, crosswalk, rows_max=rows_max)

    assert planned(legacy, tollway, crosswalk).parts == 3, "one part per account"

    assert_same(whole, parts)


def test_the_stored_cycle_in_parts_writes_the_rows_of_the_cycle_whole(
    simulated: tuple[InvoiceTables, InvoiceTables, pa.Table], tmp_path: Path
) -> None:
    legacy, tollway, crosswalk = simulated
    write_parquet(legacy, tmp_path / "legacy")
    write_parquet(tollway, tmp_path / "tollway")
    whole = reconciled(legacy, tollway, crosswalk, rows_max=WHOLE)

    summaries = reconcile_stored_cycle(
        tmp_path / "legacy",
        tmp_path / "tollway",
        crosswalk=crosswalk,
        tolerances=Tolerances(),
        cycle="2026-03",
        output=tmp_path / "out" / "differences.parquet",
        partition_rows_max=1,
    )

    assert summaries == whole.summaries
    assert pq.read_table(tmp_path / "out" / "differences.parquet").equals(whole.differences)


def test_a_roll_up_onto_another_account_keeps_both_accounts_in_one_part() -> None:
    # Legacy bills the branch's port on the branch's own invoice; tollway rolls it up onto the
    # parent's. Cut alone, ACC-B's range would see a legacy line with nothing to pair with.
    legacy = Side(
        [Invoice("L-A", "ACC-A"), Invoice("L-B", "ACC-B")],
        [Line("L-A", "1", "100.00", circuit_id="C-1"), Line("L-B", "1", "50.00", circuit_id="C-2")],
    )
    tollway = Side(
        [Invoice("T-A", "ACC-A"), Invoice("T-B", "ACC-B")],
        [
            Line("T-A", "1", "100.00", circuit_id="C-1"),
            Line("T-A", "2", "50.00", circuit_id="C-2", account_id="ACC-B"),
        ],
    )
    legacy_tables, tollway_tables = (
        system_tables("legacy", legacy),
        system_tables("tollway", tollway),
    )

    whole = reconciled(legacy_tables, tollway_tables, NO_CROSSWALK, rows_max=WHOLE)
    parts = reconciled(legacy_tables, tollway_tables, NO_CROSSWALK, rows_max=1)

    assert planned(legacy_tables, tollway_tables, NO_CROSSWALK).parts == 1
    assert [row["category"] for row in whole.differences.to_pylist() if row["level"] == "line"] == [
        "matched",
        "hierarchy",
    ]
    assert_same(whole, parts)


def test_an_invalid_cycle_is_refused_in_parts_as_it_is_whole() -> None:
    legacy = Side([Invoice("L-A", "ACC-A"), Invoice("L-A", "ACC-B")])
    tables = system_tables("legacy", legacy)
    tollway = system_tables("tollway", Side([Invoice("T-A", "ACC-A")]))

    with pytest.raises(ReconcileInputError) as whole:
        reconciled(tables, tollway, NO_CROSSWALK, rows_max=WHOLE)
    with pytest.raises(ReconcileInputError) as parts:
        reconciled(tables, tollway, NO_CROSSWALK, rows_max=1)

    assert str(parts.value) == str(whole.value)


def test_linked_ranges_merge_with_every_range_between_them() -> None:
    assert merge_ranges(0, []) == []
    assert merge_ranges(3, []) == [0, 1, 2]
    assert merge_ranges(5, [(0, 3)]) == [0, 0, 0, 0, 1]
    assert merge_ranges(5, [(3, 4), (1, 2)]) == [0, 1, 1, 2, 2]
    assert merge_ranges(5, [(1, 3), (2, 4)]) == [0, 1, 1, 1, 1]


ACCOUNTS = ("ACC-1", "ACC-2", "ACC-3", "ACC-4")
lines: st.SearchStrategy[dict[str, object]] = st.builds(
    dict,
    invoice=st.sampled_from(ACCOUNTS),
    # The line's own account: usually the invoice's, sometimes another (a roll-up).
    account=st.sampled_from([None, None, None, *ACCOUNTS]),
    circuit=st.sampled_from(["CKT-1", "CKT-2", "CKT-3", "CKT-4", "CKT-5", None]),
    charge_type=st.sampled_from(["recurring", "usage", "discount"]),
    period=st.sampled_from([FEBRUARY, MARCH, None]),
    amount=st.decimals(min_value=Decimal("-50"), max_value=Decimal("500"), places=2),
)
taxes: st.SearchStrategy[dict[str, object]] = st.builds(
    dict,
    invoice=st.sampled_from(ACCOUNTS),
    jurisdiction=st.sampled_from(["US-PA", "US-NJ"]),
    amount=st.decimals(min_value=Decimal("0"), max_value=Decimal("50"), places=2),
)


def side(
    prefix: str, line_specs: list[dict[str, object]], tax_specs: list[dict[str, object]]
) -> Side:
    prefixed = {account: f"{prefix}-{account}" for account in ACCOUNTS}
    return Side(
        [Invoice(invoice_id, account) for account, invoice_id in prefixed.items()],
        [
            Line(
                prefixed[str(spec["invoice"])],
                f"{prefix}{number}",
                str(spec["amount"]),
                account_id=spec["account"],  # type: ignore[arg-type]
                circuit_id=spec["circuit"],  # type: ignore[arg-type]
                charge_type=str(spec["charge_type"]),
                period=spec["period"],  # type: ignore[arg-type]
            )
            for number, spec in enumerate(line_specs)
        ],
        [
            Tax(
                prefixed[str(spec["invoice"])],
                str(spec["jurisdiction"]),
                "state_sales",
                str(spec["amount"]),
            )
            for spec in tax_specs
        ],
    )


@settings(max_examples=15, deadline=None)
@given(
    legacy_lines=st.lists(lines, max_size=10),
    tollway_lines=st.lists(lines, max_size=10),
    legacy_taxes=st.lists(taxes, max_size=3),
    tollway_taxes=st.lists(taxes, max_size=3),
    rekeyed=st.booleans(),
    rows_max=st.integers(min_value=1, max_value=12),
)
def test_any_cycle_in_parts_equals_the_cycle_whole(
    legacy_lines: list[dict[str, object]],
    tollway_lines: list[dict[str, object]],
    legacy_taxes: list[dict[str, object]],
    tollway_taxes: list[dict[str, object]],
    rekeyed: bool,
    rows_max: int,
) -> None:
    legacy = system_tables("legacy", side("L", legacy_lines, legacy_taxes))
    tollway = system_tables("tollway", side("T", tollway_lines, tollway_taxes))
    # Legacy's ACC-4 is tollway's ACC-1 (two ranges apart in account order); CKT-5 is CKT-1.
    crosswalk = (
        crosswalk_of(
            ("account", "ACC-4", "ACC-1", None, None), ("circuit", "CKT-5", "CKT-1", None, None)
        )
        if rekeyed
        else NO_CROSSWALK
    )

    whole = reconciled(legacy, tollway, crosswalk, rows_max=WHOLE)
    parts = reconciled(legacy, tollway, crosswalk, rows_max=rows_max)

    assert_same(whole, parts)
