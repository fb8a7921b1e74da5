"""Saving a bill run's drafts fast without changing a byte: breakdowns and taxes are rendered to
JSON once (for the draft's digest and its rows) exactly as the JSON columns would write them, and
the digest, now taken from a compact form of the stored content, still tells a re-save of the same
bill from a different one, including drafts saved with the earlier, whole-document digest."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillingInputs,
    BillState,
    ChargeType,
    CustomerBill,
    TaxItem,
    TaxTreatment,
)
from tollway.money import Money, currency
from tollway.pricing import BreakdownLine
from tollway.storage import BillConflictError, BillRepository, Database, WorldRepository
from tollway.storage import _tables as tables
from tollway.storage._bill_rows import line_row
from tollway.storage._documents import (
    RenderedDraft,
    breakdown_document,
    breakdown_json,
    draft_digest,
    draft_document_digest,
    taxes_document,
    taxes_json,
)
from tollway.storage._draft_rows import rendered_line_row
from tollway.storage._types import json_dumps

from .rerate_world import make_world

USD: Final = currency("USD")
MARCH: Final = datetime(2026, 3, 1, tzinfo=UTC)
APRIL: Final = datetime(2026, 4, 1, tzinfo=UTC)

numbers = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda value: abs(value) < Decimal(10) ** 30
)
breakdown_lines = st.builds(
    BreakdownLine,
    kind=st.sampled_from(["increment", "connect_fee", "tier", 'odd "kind"\\']),
    description=st.text(),
    quantity=numbers,
    unit_price=st.none() | numbers,
    amount=numbers,
    tier=st.none() | st.integers(0, 99),
)


@given(st.lists(breakdown_lines, max_size=6))
def test_a_breakdown_is_written_as_the_json_column_writes_it(lines: list[BreakdownLine]) -> None:
    # Every call of a pattern shares its numbers: the shared form must write the same text too.
    shared = [*lines, *(replace(line, description=f"{line.description}!") for line in lines)]
    assert breakdown_json(shared) == json_dumps(breakdown_document(tuple(shared)))


def test_a_breakdown_with_negative_zero_and_exponents_is_written_plainly() -> None:
    line = BreakdownLine(
        "tier", 'café\t"1"\u2028', Decimal("-0"), Decimal("1E-9"), Decimal("12E+2"), 3
    )
    assert breakdown_json([line]) == (
        '[{"amount":"1200","description":"café\\t\\"1\\"\u2028","kind":"tier",'
        '"quantity":"0","tier":3,"unit_price":"0.000000001"}]'
    )
    assert breakdown_json([line]) == json_dumps(breakdown_document((line,)))


def _tax(amount: str, treatment: TaxTreatment = TaxTreatment.BILLED) -> AppliedTax:
    return AppliedTax(
        tax_category="state_sales",
        jurisdiction_id="US-PA",
        tax_rate=Decimal("0.06"),
        taxable_amount=Money.of("100.00", "USD"),
        tax_amount=Money.of(amount, "USD"),
        jurisdiction_level="state",
        name="Sales tax",
        rule_id="PA-1",
        treatment=treatment,
        units=None,
    )


def _line(
    line_id: str, *, name: str = "Port monthly charge", **changes: object
) -> AppliedBillingRate:
    line = AppliedBillingRate(
        id=line_id,
        billing_account_id="ACME",
        charge_type=ChargeType.RECURRING,
        name=name,
        period_start=MARCH,
        period_end=APRIL,
        quantity=Decimal("1"),
        amount=Money.of("100.00", "USD"),
        precise_amount=Decimal("100.00"),
        product_id="P-ACME",
        circuit_id="CKT-ACME",
        price_id="port-mrc",
        unit="month",
        unit_price=Decimal("100.00"),
        breakdown=(
            BreakdownLine(
                "period_price", "price of the whole period", Decimal(1), None, Decimal("100.00")
            ),
        ),
        taxes=(_tax("6.00"), _tax("1.00", TaxTreatment.COMPLIANCE_ONLY)),
    )
    return replace(line, **changes)  # type: ignore[arg-type]


def _bill(*lines: AppliedBillingRate, **changes: object) -> CustomerBill:
    bill = CustomerBill(
        id="draft:ACME:2026-04-01",
        billing_account_id="ACME",
        currency=USD,
        billing_period_start=APRIL,
        billing_period_end=datetime(2026, 5, 1, tzinfo=UTC),
        bill_date=date(2026, 4, 1),
        lines=lines,
        # The billed taxes of the lines, 6.00 each.
        tax_items=(
            TaxItem("state_sales", Decimal("0.06"), Money.of(f"{6 * len(lines)}.00", "USD")),
        ),
        run_id="RUN-2026-04",
        extra={"closed_period_start": MARCH.isoformat()},
    )
    return replace(bill, **changes)  # type: ignore[arg-type]


def test_a_rendered_line_row_is_the_line_row_with_its_documents_as_json() -> None:
    line = _line("acbr-1")
    row = line_row("B1", 0, line)
    expected = {name: value for name, value in row.items() if name not in ("breakdown", "taxes")}
    expected["breakdown_json"] = json_dumps(row["breakdown"])
    expected["taxes_json"] = json_dumps(row["taxes"])

    bill = _bill(line)
    assert rendered_line_row("B1", 0, line, RenderedDraft.of(bill)) == expected
    assert taxes_json(line.taxes) == json_dumps(taxes_document(line.taxes))
    assert taxes_json(()) == "[]"


def _database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'drafts.sqlite'}")
    database.migrate()
    world: BillingInputs = make_world()
    with database.transaction() as session:
        WorldRepository(session).save(world)
    return database


def test_a_saved_draft_stores_its_documents_byte_for_byte_and_reads_back_equal(
    tmp_path: Path,
) -> None:
    database = _database(tmp_path)
    bill = _bill(_line("acbr-1"), _line("acbr-2", name='Port "B" monthly\u00e9'))
    with database.transaction() as session:
        assert BillRepository(session).save_draft(bill, invoice_series="INV")
    with database.transaction() as session:
        stored = session.execute(
            select(tables.applied_billing_rates.c.breakdown, tables.applied_billing_rates.c.taxes)
        ).all()
        raw = (
            session.connection()
            .exec_driver_sql("SELECT breakdown, taxes FROM applied_billing_rates ORDER BY position")
            .all()
        )
        read = BillRepository(session).get(bill.id)
    assert [tuple(row) for row in raw] == [
        (json_dumps(breakdown_document(line.breakdown)), json_dumps(taxes_document(line.taxes)))
        for line in bill.lines
    ]
    assert [row.breakdown for row in stored] == [
        breakdown_document(line.breakdown) for line in bill.lines
    ]
    assert read == bill
    database.dispose()


def test_equal_bills_have_equal_digests_whatever_their_state_or_number() -> None:
    bill = _bill(_line("acbr-1"))
    issued = replace(bill, state=BillState.ISSUED, bill_no="INV-00000001")
    assert draft_digest(bill) == draft_digest(_bill(_line("acbr-1"))) == draft_digest(issued)


def test_a_bill_that_differs_in_anything_stored_has_another_digest() -> None:
    bill = _bill(_line("acbr-1"), _line("acbr-2"))
    changed = [
        _bill(_line("acbr-1"), _line("acbr-2", name="Port monthly charge ")),
        _bill(_line("acbr-1"), _line("acbr-2", precise_amount=Decimal("100.0"))),
        _bill(_line("acbr-1"), _line("acbr-2", amount=Money.of("100.01", "USD"))),
        _bill(_line("acbr-1"), _line("acbr-2", period_end=datetime(2026, 4, 1, 1, tzinfo=UTC))),
        _bill(_line("acbr-1"), _line("acbr-2", tax_inclusive=True)),
        _bill(_line("acbr-1"), _line("acbr-2", taxes=(_tax("6.00"),))),
        _bill(
            _line("acbr-1"),
            _line(
                "acbr-2",
                breakdown=(
                    BreakdownLine(
                        "period_price",
                        "price of the whole period.",
                        Decimal(1),
                        None,
                        Decimal("100.00"),
                    ),
                ),
            ),
        ),
        _bill(_line("acbr-2"), _line("acbr-1")),
        _bill(_line("acbr-1")),
        _bill(_line("acbr-1"), _line("acbr-2"), bill_date=date(2026, 4, 2)),
        _bill(_line("acbr-1"), _line("acbr-2"), extra={}),
        _bill(_line("acbr-1"), _line("acbr-2"), consolidated_account_ids=("ACME-BR",)),
        _bill(_line("acbr-1"), _line("acbr-2"), tax_items=()),
    ]
    digests = {draft_digest(bill), *(draft_digest(other) for other in changed)}
    assert len(digests) == len(changed) + 1


def test_fields_cannot_run_into_each_other() -> None:
    # A name holding what would separate the parts, and the same text split between two fields.
    first = _bill(_line("acbr-1", name='a","b', unit="c"))
    second = _bill(_line("acbr-1", name="a", unit='b","c'))
    separated = _bill(_line("acbr-1", name="a\x1e[]\x1e[]"))
    assert len({draft_digest(first), draft_digest(second), draft_digest(separated)}) == 3
    assert json.loads(breakdown_json(separated.lines[0].breakdown)) is not None


def test_a_draft_saved_with_the_earlier_digest_is_recognised(tmp_path: Path) -> None:
    database = _database(tmp_path)
    bill = _bill(_line("acbr-1"))
    with database.transaction() as session:
        BillRepository(session).save_draft(bill, invoice_series="INV")
        # As an earlier version saved it: the digest of its whole document.
        session.execute(
            update(tables.customer_bills)
            .where(tables.customer_bills.c.id == bill.id)
            .values(draft_digest=draft_document_digest(bill))
        )
    with database.transaction() as session:
        assert BillRepository(session).save_draft(bill, invoice_series="INV") is False
    changed = _bill(_line("acbr-1", amount=Money.of("99.00", "USD")))
    with (
        pytest.raises(BillConflictError, match="different content"),
        database.transaction() as session,
    ):
        BillRepository(session).save_draft(changed, invoice_series="INV")
    database.dispose()
