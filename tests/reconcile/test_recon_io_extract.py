"""tollway's issued bills as interchange tables: one bill built by hand, its rows written out."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from tollway.accounts import BillingAccount
from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillCategory,
    BillState,
    ChargeType,
    CustomerBill,
    TaxTreatment,
)
from tollway.money import Money, currency
from tollway.reconcile._extract import tollway_tables
from tollway.reconcile._legacy_write import write_legacy
from tollway.reconcile._tables import CROSSWALK_SCHEMA

USD = currency("USD")
NEW_YORK = "America/New_York"
ACCOUNTS = {"ACME": BillingAccount("ACME", "acme", "Acme Corp", USD, 1, NEW_YORK)}

# March 2026 in New York, as storage gives it back (UTC): local midnight on 1 March is 05:00 UTC
# (EST), on 1 April 04:00 UTC (EDT since 8 March).
MARCH_START = datetime(2026, 3, 1, 5, tzinfo=UTC)
APRIL_START = datetime(2026, 4, 1, 4, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money.of(amount, USD)


def tax(
    kind: str, where: str, rate: str, base: str, amount: str, treatment: TaxTreatment
) -> AppliedTax:
    return AppliedTax(kind, where, Decimal(rate), usd(base), usd(amount), treatment=treatment)


PORT = AppliedBillingRate(
    id="line-1",
    billing_account_id="ACME",
    charge_type=ChargeType.RECURRING,
    name="Port 100M",
    period_start=MARCH_START,
    period_end=APRIL_START,
    quantity=Decimal(1),
    amount=usd("100.00"),
    precise_amount=Decimal("100.00"),
    product_id="P1",
    circuit_id="C1",
    unit_price=Decimal("100.00"),
    taxes=(
        tax("state_sales", "US-PA", "0.06", "100.00", "6.00", TaxTreatment.BILLED),
        # Exempted by a certificate: on the invoice as exempt, not in the tax total.
        tax("federal_usf", "US", "0.3", "100.00", "30.00", TaxTreatment.EXEMPT),
        # Not on the customer's invoice at all.
        tax("e911", "US-PA-PHL", "0.75", "100.00", "0.75", TaxTreatment.COMPLIANCE_ONLY),
        tax("gross_receipts", "US-PA", "0.05", "100.00", "5.00", TaxTreatment.CARRIER_ABSORBED),
    ),
)
# Usage of a branch account rolled up onto ACME's bill, from 16 March (local midnight, EDT).
# The quantity has 10 decimals: half-even to 9 gives 1234.567890123.
DATA = AppliedBillingRate(
    id="line-2",
    billing_account_id="ACME-BR",
    charge_type=ChargeType.USAGE,
    name="Data",
    period_start=datetime(2026, 3, 16, 4, tzinfo=UTC),
    period_end=APRIL_START,
    quantity=Decimal("1234.5678901234"),
    amount=usd("12.35"),
    precise_amount=Decimal("12.345678901234"),
    product_id="P2",
    circuit_id="C2",
    unit_price=Decimal("0.01"),
    taxes=(tax("state_sales", "US-PA", "0.06", "12.35", "0.74", TaxTreatment.BILLED),),
)
# A one-time charge at 15:30 New York time on 10 March: an instant, covering 10 March.
INSTALL = AppliedBillingRate(
    id="line-3",
    billing_account_id="ACME",
    charge_type=ChargeType.ONE_TIME,
    name="Install",
    period_start=datetime(2026, 3, 10, 19, 30, tzinfo=UTC),
    period_end=datetime(2026, 3, 10, 19, 30, tzinfo=UTC),
    quantity=Decimal(1),
    amount=usd("50.00"),
    precise_amount=Decimal("50.00"),
    unit_price=Decimal("50.00"),
)

# 100.00 + 12.35 + 50.00 = 162.35; billed tax 6.00 + 0.74 = 6.74; due 169.09.
BILL = CustomerBill(
    id="bill-acme-2026-03",
    billing_account_id="ACME",
    currency=USD,
    billing_period_start=MARCH_START,
    billing_period_end=APRIL_START,
    bill_date=date(2026, 4, 1),
    lines=(PORT, DATA, INSTALL),
    state=BillState.ISSUED,
    bill_no="INV-000042",
    consolidated_account_ids=("ACME-BR",),
)

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)

EXPECTED_INVOICES = [
    {
        "system": "tollway",
        "invoice_id": "INV-000042",
        "account_id": "ACME",
        "period_start": MARCH,
        "period_end": APRIL,
        "bill_date": APRIL,
        "currency": "USD",
        "total_excluding_tax": Decimal("162.35"),
        "tax_total": Decimal("6.74"),
        "total_including_tax": Decimal("169.09"),
    }
]


def _line(
    line_id: str, account: str, kind: str, name: str, start: date, end: date
) -> dict[str, object]:
    return {
        "system": "tollway",
        "invoice_id": "INV-000042",
        "line_id": line_id,
        "account_id": account,
        "charge_type": kind,
        "description": name,
        "period_start": start,
        "period_end": end,
        "currency": "USD",
    }


EXPECTED_LINES = [
    {
        **_line("line-1", "ACME", "recurring", "Port 100M", MARCH, APRIL),
        "circuit_id": "C1",
        "product_id": "P1",
        "quantity": Decimal(1),
        "unit_price": Decimal("100.00"),
        "amount": Decimal("100.00"),
    },
    {
        **_line("line-2", "ACME-BR", "usage", "Data", date(2026, 3, 16), APRIL),
        "circuit_id": "C2",
        "product_id": "P2",
        "quantity": Decimal("1234.567890123"),
        "unit_price": Decimal("0.01"),
        "amount": Decimal("12.35"),
    },
    {
        **_line("line-3", "ACME", "one_time", "Install", date(2026, 3, 10), date(2026, 3, 11)),
        "circuit_id": None,
        "product_id": None,
        "quantity": Decimal(1),
        "unit_price": Decimal("50.00"),
        "amount": Decimal("50.00"),
    },
]

EXPECTED_TAXES = [
    {
        "system": "tollway",
        "invoice_id": "INV-000042",
        "line_id": line_id,
        "jurisdiction_id": where,
        "tax_type": kind,
        "tax_rate": Decimal(rate),
        "taxable_amount": Decimal(base),
        "tax_amount": Decimal(amount),
        "exempt": exempt,
        "currency": "USD",
    }
    for line_id, where, kind, rate, base, amount, exempt in [
        ("line-1", "US-PA", "state_sales", "0.06", "100.00", "6.00", False),
        ("line-1", "US", "federal_usf", "0.3", "100.00", "30.00", True),
        ("line-2", "US-PA", "state_sales", "0.06", "12.35", "0.74", False),
    ]
]


def _ordered(rows: list[dict[str, object]], names: list[str]) -> list[dict[str, object]]:
    return [{name: row[name] for name in names} for row in rows]


def test_an_issued_bill_becomes_header_lines_and_customer_taxes() -> None:
    tables = tollway_tables([BILL], accounts=ACCOUNTS)

    assert tables.invoices.to_pylist() == EXPECTED_INVOICES
    assert tables.lines.to_pylist() == _ordered(EXPECTED_LINES, tables.lines.column_names)
    assert tables.taxes.to_pylist() == EXPECTED_TAXES


def test_drafts_void_bills_and_credit_notes_are_left_out() -> None:
    draft = replace(BILL, id="draft", state=BillState.DRAFT, bill_no=None)
    void = replace(BILL, id="void", state=BillState.VOID, bill_no="INV-000041")
    credit_note = replace(
        BILL,
        id="note",
        category=BillCategory.CREDIT_NOTE,
        bill_no="CN-000001",
        related_bill_no="INV-000042",
    )

    tables = tollway_tables([draft, void, BILL, credit_note], accounts=ACCOUNTS)

    assert tables.invoices.column("invoice_id").to_pylist() == ["INV-000042"]
    assert tables.lines.num_rows == 3


def test_without_the_account_dates_are_taken_in_utc() -> None:
    # 1 April 04:00 UTC is not a midnight in UTC: the period covers part of 1 April and ends on
    # the 2nd. This is why the paying accounts should be given.
    tables = tollway_tables([BILL])

    invoice = tables.invoices.to_pylist()[0]
    assert (invoice["period_start"], invoice["period_end"]) == (MARCH, date(2026, 4, 2))


def test_no_bills_give_empty_tables() -> None:
    tables = tollway_tables([])
    assert (tables.invoices.num_rows, tables.lines.num_rows, tables.taxes.num_rows) == (0, 0, 0)


def test_the_extracted_bill_written_out_in_the_legacy_format(tmp_path: Path) -> None:
    write_legacy(
        tollway_tables([BILL], accounts=ACCOUNTS),
        CROSSWALK_SCHEMA.empty_table(),
        tmp_path,
        format="csv",
    )

    assert (tmp_path / "invoices.csv").read_text() == (
        "invoice_id,account_id,period_start,period_end,bill_date,currency,total_excluding_tax,"
        "tax_total,total_including_tax\n"
        "INV-000042,ACME,2026-03-01,2026-04-01,2026-04-01,USD,162.35,6.74,169.09\n"
    )
    assert (tmp_path / "lines.csv").read_text() == (
        "invoice_id,line_id,account_id,circuit_id,product_id,charge_type,description,"
        "period_start,period_end,quantity,unit_price,amount,currency\n"
        "INV-000042,line-1,ACME,C1,P1,recurring,Port 100M,2026-03-01,2026-04-01,1,100,100.00,USD\n"
        "INV-000042,line-2,ACME-BR,C2,P2,usage,Data,2026-03-16,2026-04-01,1234.567890123,0.01,"
        "12.35,USD\n"
        "INV-000042,line-3,ACME,,,one_time,Install,2026-03-10,2026-03-11,1,50,50.00,USD\n"
    )
    assert (tmp_path / "taxes.csv").read_text() == (
        "invoice_id,line_id,jurisdiction_id,tax_type,tax_rate,taxable_amount,tax_amount,exempt,"
        "currency\n"
        "INV-000042,line-1,US-PA,state_sales,0.06,100.00,6.00,false,USD\n"
        "INV-000042,line-1,US,federal_usf,0.3,100.00,30.00,true,USD\n"
        "INV-000042,line-2,US-PA,state_sales,0.06,12.35,0.74,false,USD\n"
    )
