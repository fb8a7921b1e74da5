"""Properties over generated cycles: no row is dropped or counted twice, the variances add up,
every row has a known category, and the result does not depend on the order of the input rows."""

from datetime import date
from decimal import Decimal

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from tollway.reconcile._cycle import CycleResult, reconcile_cycle
from tollway.reconcile._tables import InvoiceTables
from tollway.reconcile.core import CATEGORIES, Tolerances

from .recon_engine_tables import APRIL, MARCH, NO_CROSSWALK, Invoice, Line, Side, Tax, system_tables

FEBRUARY = (date(2026, 2, 1), date(2026, 3, 1))
ACCOUNTS = ("ACC-1", "ACC-2")

amounts = st.decimals(min_value=Decimal("-50"), max_value=Decimal("500"), places=2)
lines = st.builds(
    dict,
    account=st.sampled_from(ACCOUNTS),
    circuit=st.sampled_from(["CKT-1", "CKT-2", "CKT-3", None]),
    charge_type=st.sampled_from(["recurring", "usage", "discount", "one_time"]),
    period=st.sampled_from([FEBRUARY, MARCH, APRIL, None]),
    amount=amounts,
    quantity=st.sampled_from(["1", "2", "10", None]),
)
taxes = st.builds(
    dict,
    account=st.sampled_from(ACCOUNTS),
    jurisdiction=st.sampled_from(["US-PA", "US-NJ"]),
    amount=amounts,
    exempt=st.booleans(),
)


def side(
    prefix: str, line_specs: list[dict[str, object]], tax_specs: list[dict[str, object]]
) -> Side:
    invoices = [Invoice(f"{prefix}-{account}", account) for account in ACCOUNTS]
    side_lines = [
        Line(
            f"{prefix}-{spec['account']}",
            f"{prefix}{number}",
            str(spec["amount"]),
            circuit_id=spec["circuit"],
            charge_type=str(spec["charge_type"]),
            period=spec["period"],
            quantity=spec["quantity"],  # type: ignore[arg-type]
        )
        for number, spec in enumerate(line_specs)
    ]
    side_taxes = [
        Tax(
            f"{prefix}-{spec['account']}",
            str(spec["jurisdiction"]),
            "state_sales",
            str(spec["amount"]),
            exempt=bool(spec["exempt"]),
        )
        for spec in tax_specs
    ]
    return Side(invoices, side_lines, side_taxes)


def run(legacy: InvoiceTables, tollway: InvoiceTables) -> CycleResult:
    return reconcile_cycle(
        legacy, tollway, crosswalk=NO_CROSSWALK, tolerances=Tolerances(), cycle="2026-03"
    )


@settings(max_examples=12, deadline=None)
@given(
    legacy_lines=st.lists(lines, max_size=8),
    tollway_lines=st.lists(lines, max_size=8),
    legacy_taxes=st.lists(taxes, max_size=3),
    tollway_taxes=st.lists(taxes, max_size=3),
)
def test_every_line_appears_once_on_its_side_and_the_variances_add_up(
    legacy_lines: list[dict[str, object]],
    tollway_lines: list[dict[str, object]],
    legacy_taxes: list[dict[str, object]],
    tollway_taxes: list[dict[str, object]],
) -> None:
    legacy = system_tables("legacy", side("L", legacy_lines, legacy_taxes))
    tollway = system_tables("tollway", side("T", tollway_lines, tollway_taxes))
    result = run(legacy, tollway)
    rows = result.differences.to_pylist()
    line_rows = [row for row in rows if row["level"] == "line"]
    assert sorted(row["legacy_line_id"] for row in line_rows if row["legacy_line_id"]) == sorted(
        legacy.lines.column("line_id").to_pylist()
    )
    assert sorted(row["tollway_line_id"] for row in line_rows if row["tollway_line_id"]) == sorted(
        tollway.lines.column("line_id").to_pylist()
    )
    legacy_sum = sum(legacy.lines.column("amount").to_pylist(), Decimal(0))
    tollway_sum = sum(tollway.lines.column("amount").to_pylist(), Decimal(0))
    assert sum((row["variance"] for row in line_rows), Decimal(0)) == tollway_sum - legacy_sum
    for row in rows:
        assert row["category"] in CATEGORIES
        variance = (row["tollway_amount"] or Decimal(0)) - (row["legacy_amount"] or Decimal(0))
        assert row["variance"] == variance or row["evidence"].startswith("piece of a legacy split")
        if row["category"] == "matched":
            assert row["within_tolerance"]
    assert result.summary.lines_compared == len(line_rows)


def _reversed(tables: InvoiceTables) -> InvoiceTables:
    def backwards(table: pa.Table) -> pa.Table:
        return table.take(pa.array(range(table.num_rows - 1, -1, -1), pa.int64()))

    return InvoiceTables(
        backwards(tables.invoices), backwards(tables.lines), backwards(tables.taxes)
    )


def test_the_order_of_the_input_rows_does_not_matter() -> None:
    legacy_side = side(
        "L",
        [
            {"account": "ACC-1", "circuit": "CKT-1", "charge_type": "recurring", "period": MARCH, "amount": "100.00", "quantity": "1"},
            {"account": "ACC-1", "circuit": "CKT-1", "charge_type": "recurring", "period": MARCH, "amount": "100.00", "quantity": "1"},
            {"account": "ACC-2", "circuit": None, "charge_type": "discount", "period": MARCH, "amount": "-5.00", "quantity": "1"},
            {"account": "ACC-2", "circuit": "CKT-2", "charge_type": "usage", "period": FEBRUARY, "amount": "20.00", "quantity": "10"},
        ],
        [{"account": "ACC-1", "jurisdiction": "US-PA", "amount": "6.00", "exempt": False}],
    )  # fmt: skip
    tollway_side = side(
        "T",
        [
            {"account": "ACC-1", "circuit": "CKT-1", "charge_type": "recurring", "period": MARCH, "amount": "100.00", "quantity": "1"},
            {"account": "ACC-2", "circuit": None, "charge_type": "discount", "period": MARCH, "amount": "-6.00", "quantity": "1"},
            {"account": "ACC-2", "circuit": "CKT-2", "charge_type": "usage", "period": FEBRUARY, "amount": "18.00", "quantity": "9"},
        ],
        [{"account": "ACC-1", "jurisdiction": "US-NJ", "amount": "6.00", "exempt": False}],
    )  # fmt: skip
    legacy = system_tables("legacy", legacy_side)
    tollway = system_tables("tollway", tollway_side)
    first = run(legacy, tollway)
    again = run(_reversed(legacy), _reversed(tollway))
    assert first.differences.equals(again.differences)
    assert first.summary == again.summary


invoice_cases = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2),
        st.decimals(min_value=Decimal("-10"), max_value=Decimal("10"), places=2),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=10, deadline=None)
@given(
    cases=invoice_cases, percent=st.sampled_from([Decimal("0"), Decimal("0.1"), Decimal("0.25")])
)
def test_the_engine_judges_invoices_like_the_reference_rule(
    cases: list[tuple[Decimal, Decimal]], percent: Decimal
) -> None:
    # One invoice per case: legacy bills `total`, tollway `total + variance`.
    tolerances = Tolerances(invoice_absolute_minor=100, invoice_relative_percent=percent)
    legacy = Side(
        [Invoice(f"I{number}", f"ACC-{number}") for number in range(len(cases))],
        [Line(f"I{number}", "1", str(total), circuit_id=f"C{number}") for number, (total, _) in enumerate(cases)],
    )  # fmt: skip
    tollway = Side(
        legacy.invoices,
        [
            Line(f"I{number}", "1", str(total + variance), circuit_id=f"C{number}")
            for number, (total, variance) in enumerate(cases)
        ],
    )
    result = reconcile_cycle(
        system_tables("legacy", legacy),
        system_tables("tollway", tollway),
        crosswalk=NO_CROSSWALK,
        tolerances=tolerances,
        cycle="2026-03",
    )
    found = {
        row["legacy_invoice_id"]: row["within_tolerance"]
        for row in result.differences.to_pylist()
        if row["level"] == "invoice"
    }
    expected = {
        f"I{number}": tolerances.invoice_within(
            variance=variance, legacy_total=total, minor_unit=Decimal("0.01")
        )
        for number, (total, variance) in enumerate(cases)
    }
    assert found == expected
