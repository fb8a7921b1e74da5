"""Exports: stable key order, numbers as strings, nothing that varies between runs."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from tollway.billing import AppliedBillingRate, BillState, ChargeType, CustomerBill
from tollway.money import Money, currency
from tollway.pricing import BreakdownLine
from tollway.storage import (
    CSV_COLUMNS,
    BillQuery,
    BillRepository,
    Database,
    bills_csv,
    bills_json,
)


def yen_bill() -> CustomerBill:
    """Nippon's bill, issued: 125 voice minutes at ¥3 = ¥375 (JPY has no decimals)."""
    voice = AppliedBillingRate(
        id="L-VOICE",
        billing_account_id="NIPPON",
        charge_type=ChargeType.USAGE,
        name="Voice",
        period_start=datetime(2026, 3, 1, tzinfo=UTC),
        period_end=datetime(2026, 4, 1, tzinfo=UTC),
        quantity=Decimal("125"),
        amount=Money.of("375", "JPY"),
        precise_amount=Decimal("375"),
        price_id="voice",
        unit="min",
        unit_price=Decimal("3"),
        breakdown=(
            BreakdownLine("unit", "125 min at 3", Decimal("125"), Decimal("3"), Decimal("375")),
        ),
    )
    return CustomerBill(
        id="B-NIPPON",
        billing_account_id="NIPPON",
        currency=currency("JPY"),
        billing_period_start=datetime(2026, 4, 1, tzinfo=UTC),
        billing_period_end=datetime(2026, 5, 1, tzinfo=UTC),
        bill_date=date(2026, 4, 1),
        lines=(voice,),
        state=BillState.ISSUED,
        bill_no="JP-00000001",
        run_id="RUN-2026-04",
    )


EXPECTED_JSON = """[
{
  "amount_due": "375",
  "bill_date": "2026-04-01",
  "bill_no": "JP-00000001",
  "billing_account_id": "NIPPON",
  "billing_period_end": "2026-05-01T00:00:00+00:00",
  "billing_period_start": "2026-04-01T00:00:00+00:00",
  "category": "normal",
  "consolidated_account_ids": [],
  "currency": "JPY",
  "extra": {},
  "id": "B-NIPPON",
  "lines": [
    {
      "amount": "375",
      "billing_account_id": "NIPPON",
      "breakdown": [
        {
          "amount": "375",
          "description": "125 min at 3",
          "kind": "unit",
          "quantity": "125",
          "tier": null,
          "unit_price": "3"
        }
      ],
      "charge_type": "usage",
      "circuit_id": null,
      "id": "L-VOICE",
      "name": "Voice",
      "period_end": "2026-04-01T00:00:00+00:00",
      "period_start": "2026-03-01T00:00:00+00:00",
      "precise_amount": "375",
      "price_id": "voice",
      "product_id": null,
      "quantity": "125",
      "related_bill_no": null,
      "tax_amount": "0",
      "tax_inclusive": false,
      "taxes": [],
      "unit": "min",
      "unit_price": "3"
    }
  ],
  "payment_due_date": null,
  "related_bill_no": null,
  "run_id": "RUN-2026-04",
  "state": "issued",
  "tax_amount": "0",
  "tax_excluded_amount": "375",
  "tax_included_amount": "375",
  "tax_items": []
}
]
"""

EXPECTED_CSV = (
    "bill_id,bill_no,state,category,billing_account_id,currency,billing_period_start,"
    "billing_period_end,bill_date,amount_due,line_id,line_billing_account_id,charge_type,name,"
    "product_id,circuit_id,price_id,period_start,period_end,quantity,unit,unit_price,amount,"
    "precise_amount,tax_amount,related_bill_no\n"
    "B-NIPPON,JP-00000001,issued,normal,NIPPON,JPY,2026-04-01T00:00:00+00:00,"
    "2026-05-01T00:00:00+00:00,2026-04-01,375,L-VOICE,NIPPON,usage,Voice,,,voice,"
    "2026-03-01T00:00:00+00:00,2026-04-01T00:00:00+00:00,125,min,3,375,375,0,\n"
)


def test_the_json_export_written_out() -> None:
    assert bills_json([yen_bill()]) == EXPECTED_JSON
    assert json.loads(EXPECTED_JSON)[0]["amount_due"] == "375"


def test_the_csv_export_written_out() -> None:
    assert bills_csv([yen_bill()]) == EXPECTED_CSV
    assert EXPECTED_CSV.splitlines()[0].split(",") == list(CSV_COLUMNS)


def test_money_keeps_its_currencys_decimals() -> None:
    # 12.5 USD is written 12.50 (two decimals); the exact precise amount keeps its own digits.
    yen_line = yen_bill().lines[0]
    usd_line = replace(yen_line, amount=Money.of("12.5", "USD"), precise_amount=Decimal("12.5"))
    usd_bill = CustomerBill(
        "B-USD",
        "A",
        currency("USD"),
        usd_line.period_start,
        usd_line.period_end,
        date(2026, 4, 1),
        (usd_line,),
    )

    exported = json.loads(bills_json([usd_bill]))[0]

    assert (exported["amount_due"], exported["lines"][0]["amount"]) == ("12.50", "12.50")
    assert exported["lines"][0]["precise_amount"] == "12.5"


def test_a_bill_without_lines_still_has_a_csv_row() -> None:
    empty = CustomerBill(
        "B-EMPTY",
        "A",
        currency("BHD"),
        datetime(2026, 4, 1, tzinfo=UTC),
        datetime(2026, 5, 1, tzinfo=UTC),
        date(2026, 4, 1),
        (),
    )

    rows = bills_csv([empty]).splitlines()

    assert rows[1].startswith("B-EMPTY,,draft,normal,A,BHD,")
    assert ",0.000," in rows[1]


def test_no_bills_export_as_an_empty_list_and_a_header() -> None:
    assert bills_json([]) == "[]\n"
    assert bills_csv([]) == ",".join(CSV_COLUMNS) + "\n"


def test_a_stored_bill_exports_exactly_like_the_one_saved(database: Database) -> None:
    draft = replace(yen_bill(), state=BillState.DRAFT, bill_no=None)
    with database.transaction() as session:
        BillRepository(session).save_draft(draft, invoice_series="JP")
        BillRepository(session).issue([draft.id])
    with database.transaction() as session:
        stored = list(BillRepository(session).stream(BillQuery(run_id="RUN-2026-04")))

    assert bills_json(stored) == EXPECTED_JSON
    assert bills_csv(stored) == EXPECTED_CSV
