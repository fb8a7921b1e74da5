"""Hand-built tollway invoice tables for the simulator's tests, written out row by row.

`march_tables()` is a small cycle where every category has somewhere to land:

INV-ALPHA, A-ALPHA, USD, March 2026 (31 days)
  L-A1 recurring  SD-WAN edge        C-A1  1 × 320.00 = 320.00   state_sales US-PA 6 %: 19.20
  L-A2 recurring  Managed firewall   C-A2  [03-10, 04-01) 420.00 × 22/31 = 298.06
                                                                 state_sales US-PA 6 %: 17.88
  L-A3 usage      SD-WAN usage       C-A1  1000 GB (February) = 100.00
  L-A4 discount   Bundle discount    C-A1  -32.00
  L-A5 recurring  MPLS port (child A-ALPHA-BR, rolled up) C-B1 100 Mbps = 720.00
                                                                 state_sales US-NJ 6.625 %: 47.70
  L-A6 usage      Voice usage        C-A3  1 × 2.675 = 2.675 → 2.68 (half up; a float gives 2.67)
  L-A7 one_time   Site survey        C-A2  1 × 78.25 = 78.25
                                                   state_sales US-PA 6 %: 4.695 → 4.70
  totals: 1486.99 + tax 89.48 = 1576.47
INV-BRAVO, A-BRAVO, JPY, March 2026
  L-B1 recurring  Port               C-J1  1 × 15000 = 15000     consumption JP 10 %: 1500
                                                                 local JP-13 (exempt): 300
  L-B2 usage      Voice              C-J1  300 min × 3 = 900     consumption JP 10 %: 90
  L-B3 usage      Premium voice      C-J2  3 × 7.5 = 22.5 → 23 (half up; a float gives 22)
  totals: 15923 + tax 1590 = 17513
INV-CHARLIE, A-CHARLIE, USD, March 2026
  L-C1 recurring  Internet access    C-K1  500 Mbps = 2325.00    state_sales US-NY 4 %: 93.00
  L-C2 recurring  Internet access    C-K2  [03-19, 04-01) = 302.10
  totals: 2627.10 + tax 93.00 = 2720.10
"""

from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa

from tollway.reconcile._simulate import InjectionPlan
from tollway.reconcile._tables import (
    INVOICE_SCHEMA,
    LINE_SCHEMA,
    TAX_SCHEMA,
    Category,
    InvoiceTables,
)

MARCH = (date(2026, 3, 1), date(2026, 4, 1))
FEBRUARY = (date(2026, 2, 1), date(2026, 3, 1))


def invoice(
    invoice_id: str, account_id: str, currency: str, totals: tuple[str, str]
) -> dict[str, Any]:
    excluding, tax = (Decimal(value) for value in totals)
    return {
        "system": "tollway",
        "invoice_id": invoice_id,
        "account_id": account_id,
        "period_start": MARCH[0],
        "period_end": MARCH[1],
        "bill_date": MARCH[0],
        "currency": currency,
        "total_excluding_tax": excluding,
        "tax_total": tax,
        "total_including_tax": excluding + tax,
    }


def line(
    invoice_id: str,
    line_id: str,
    account_id: str,
    circuit_id: str,
    charge_type: str,
    description: str,
    period: tuple[date, date],
    quantity: str,
    unit_price: str | None,
    amount: str,
    currency: str = "USD",
) -> dict[str, Any]:
    return {
        "system": "tollway",
        "invoice_id": invoice_id,
        "line_id": line_id,
        "account_id": account_id,
        "circuit_id": circuit_id,
        "product_id": circuit_id.replace("C-", "P-"),
        "charge_type": charge_type,
        "description": description,
        "period_start": period[0],
        "period_end": period[1],
        "quantity": Decimal(quantity),
        "unit_price": None if unit_price is None else Decimal(unit_price),
        "amount": Decimal(amount),
        "currency": currency,
    }


def tax(
    invoice_id: str,
    line_id: str,
    jurisdiction_id: str,
    tax_type: str,
    rate: str,
    taxable: str,
    amount: str,
    *,
    currency: str = "USD",
    exempt: bool = False,
) -> dict[str, Any]:
    return {
        "system": "tollway",
        "invoice_id": invoice_id,
        "line_id": line_id,
        "jurisdiction_id": jurisdiction_id,
        "tax_type": tax_type,
        "tax_rate": Decimal(rate),
        "taxable_amount": Decimal(taxable),
        "tax_amount": Decimal(amount),
        "exempt": exempt,
        "currency": currency,
    }


def tables(
    invoices: list[dict[str, Any]], lines: list[dict[str, Any]], taxes: list[dict[str, Any]]
) -> InvoiceTables:
    return InvoiceTables(
        pa.Table.from_pylist(invoices, schema=INVOICE_SCHEMA),
        pa.Table.from_pylist(lines, schema=LINE_SCHEMA),
        pa.Table.from_pylist(taxes, schema=TAX_SCHEMA),
    )


def march_lines() -> list[dict[str, Any]]:
    partial = (date(2026, 3, 10), MARCH[1])
    return [
        line("INV-ALPHA", "L-A1", "A-ALPHA", "C-A1", "recurring", "SD-WAN edge", MARCH, "1", "320.00", "320.00"),
        line("INV-ALPHA", "L-A2", "A-ALPHA", "C-A2", "recurring", "Managed firewall", partial, "1", "420.00", "298.06"),
        line("INV-ALPHA", "L-A3", "A-ALPHA", "C-A1", "usage", "SD-WAN usage", FEBRUARY, "1000", None, "100.00"),
        line("INV-ALPHA", "L-A4", "A-ALPHA", "C-A1", "discount", "Bundle discount", MARCH, "1", None, "-32.00"),
        line("INV-ALPHA", "L-A5", "A-ALPHA-BR", "C-B1", "recurring", "MPLS port", MARCH, "100", None, "720.00"),
        line("INV-ALPHA", "L-A6", "A-ALPHA", "C-A3", "usage", "Voice usage", FEBRUARY, "1", "2.675", "2.68"),
        line("INV-ALPHA", "L-A7", "A-ALPHA", "C-A2", "one_time", "Site survey", MARCH, "1", "78.25", "78.25"),
        line("INV-BRAVO", "L-B1", "A-BRAVO", "C-J1", "recurring", "Port", MARCH, "1", "15000", "15000", "JPY"),
        line("INV-BRAVO", "L-B2", "A-BRAVO", "C-J1", "usage", "Voice", FEBRUARY, "300", "3", "900", "JPY"),
        line("INV-BRAVO", "L-B3", "A-BRAVO", "C-J2", "usage", "Premium voice", FEBRUARY, "3", "7.5", "23", "JPY"),
        line("INV-CHARLIE", "L-C1", "A-CHARLIE", "C-K1", "recurring", "Internet access", MARCH, "500", None, "2325.00"),
        line("INV-CHARLIE", "L-C2", "A-CHARLIE", "C-K2", "recurring", "Internet access", (date(2026, 3, 19), MARCH[1]), "100", None, "302.10"),
    ]  # fmt: skip


def march_taxes() -> list[dict[str, Any]]:
    return [
        tax("INV-ALPHA", "L-A1", "US-PA", "state_sales", "0.06", "320.00", "19.20"),
        tax("INV-ALPHA", "L-A2", "US-PA", "state_sales", "0.06", "298.06", "17.88"),
        tax("INV-ALPHA", "L-A5", "US-NJ", "state_sales", "0.06625", "720.00", "47.70"),
        tax("INV-ALPHA", "L-A7", "US-PA", "state_sales", "0.06", "78.25", "4.70"),
        tax("INV-BRAVO", "L-B1", "JP", "consumption", "0.10", "15000", "1500", currency="JPY"),
        tax("INV-BRAVO", "L-B1", "JP-13", "local", "0.02", "15000", "300", currency="JPY", exempt=True),
        tax("INV-BRAVO", "L-B2", "JP", "consumption", "0.10", "900", "90", currency="JPY"),
        tax("INV-CHARLIE", "L-C1", "US-NY", "state_sales", "0.04", "2325.00", "93.00"),
    ]  # fmt: skip


def march_invoices() -> list[dict[str, Any]]:
    return [
        invoice("INV-ALPHA", "A-ALPHA", "USD", ("1486.99", "89.48")),
        invoice("INV-BRAVO", "A-BRAVO", "JPY", ("15923", "1590")),
        invoice("INV-CHARLIE", "A-CHARLIE", "USD", ("2627.10", "93.00")),
    ]


def march_tables() -> InvoiceTables:
    return tables(march_invoices(), march_lines(), march_taxes())


def only(category: Category, **changes: Any) -> InjectionPlan:
    """A plan injecting one difference of one category, and nothing else legacy-shaped."""
    settings: dict[str, Any] = {
        "difference_percent": Decimal("0.01"),
        "per_category_min": 1,
        "categories": (category,),
        "split_lines": 0,
        "lines_without_circuit_percent": Decimal(0),
        "rekeyed_percent": Decimal(0),
    }
    return InjectionPlan(**(settings | changes))


def rows(table: pa.Table, **where: Any) -> list[dict[str, Any]]:
    return [
        row for row in table.to_pylist() if all(row[key] == value for key, value in where.items())
    ]
