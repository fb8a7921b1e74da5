"""Tiny hand-built invoice tables for the engine tests: a line or two per side, written out.

`Line` and `Tax` hold the fields a test cares about; `system_tables` makes the invoice headers
from them (totals = the lines plus the billed taxes), unless a test gives a header of its own.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pyarrow as pa

from tollway.money import plain_decimal
from tollway.reconcile._cycle import CycleResult, reconcile_cycle
from tollway.reconcile._tables import (
    CROSSWALK_SCHEMA,
    INVOICE_SCHEMA,
    LINE_SCHEMA,
    TAX_SCHEMA,
    InvoiceTables,
)
from tollway.reconcile.core import Tolerances

MARCH = (date(2026, 3, 1), date(2026, 4, 1))
APRIL = (date(2026, 4, 1), date(2026, 5, 1))
DEFAULT_TOLERANCES = Tolerances()


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    account_id: str
    period: tuple[date, date] = MARCH
    currency: str = "USD"
    total_including_tax: str | None = None
    """None: the lines plus the billed taxes."""


@dataclass(frozen=True)
class Line:
    invoice_id: str
    line_id: str
    amount: str
    account_id: str | None = None
    """None: the invoice's account."""
    circuit_id: str | None = None
    product_id: str | None = None
    charge_type: str = "recurring"
    description: str = "Ethernet port"
    period: tuple[date, date] | None = MARCH
    quantity: str | None = "1"
    unit_price: str | None = None
    currency: str = "USD"


@dataclass(frozen=True)
class Tax:
    invoice_id: str
    jurisdiction_id: str
    tax_type: str
    tax_amount: str
    taxable_amount: str | None = None
    tax_rate: str | None = None
    exempt: bool = False
    line_id: str | None = None
    currency: str = "USD"


@dataclass(frozen=True)
class Side:
    invoices: Sequence[Invoice]
    lines: Sequence[Line] = ()
    taxes: Sequence[Tax] = field(default_factory=tuple)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def system_tables(system: str, side: Side) -> InvoiceTables:
    """InvoiceTables of `system` from the side's invoices, lines and taxes."""
    accounts = {invoice.invoice_id: invoice.account_id for invoice in side.invoices}
    line_rows = [
        {
            "system": system,
            "invoice_id": line.invoice_id,
            "line_id": line.line_id,
            "account_id": line.account_id or accounts[line.invoice_id],
            "circuit_id": line.circuit_id,
            "product_id": line.product_id,
            "charge_type": line.charge_type,
            "description": line.description,
            "period_start": None if line.period is None else line.period[0],
            "period_end": None if line.period is None else line.period[1],
            "quantity": _decimal(line.quantity),
            "unit_price": _decimal(line.unit_price),
            "amount": Decimal(line.amount),
            "currency": line.currency,
        }
        for line in side.lines
    ]
    tax_rows = [
        {
            "system": system,
            "invoice_id": tax.invoice_id,
            "line_id": tax.line_id,
            "jurisdiction_id": tax.jurisdiction_id,
            "tax_type": tax.tax_type,
            "tax_rate": _decimal(tax.tax_rate),
            "taxable_amount": _decimal(tax.taxable_amount),
            "tax_amount": Decimal(tax.tax_amount),
            "exempt": tax.exempt,
            "currency": tax.currency,
        }
        for tax in side.taxes
    ]
    invoice_rows = [_header(system, invoice, side) for invoice in side.invoices]
    return InvoiceTables(
        pa.Table.from_pylist(invoice_rows, schema=INVOICE_SCHEMA),
        pa.Table.from_pylist(line_rows, schema=LINE_SCHEMA),
        pa.Table.from_pylist(tax_rows, schema=TAX_SCHEMA),
    )


def _header(system: str, invoice: Invoice, side: Side) -> dict[str, object]:
    lines = sum(
        (Decimal(line.amount) for line in side.lines if line.invoice_id == invoice.invoice_id),
        Decimal(0),
    )
    taxes = sum(
        (
            Decimal(tax.tax_amount)
            for tax in side.taxes
            if tax.invoice_id == invoice.invoice_id and not tax.exempt
        ),
        Decimal(0),
    )
    total = lines + taxes
    if invoice.total_including_tax is not None:
        total = Decimal(invoice.total_including_tax)
    return {
        "system": system,
        "invoice_id": invoice.invoice_id,
        "account_id": invoice.account_id,
        "period_start": invoice.period[0],
        "period_end": invoice.period[1],
        "bill_date": invoice.period[0],
        "currency": invoice.currency,
        "total_excluding_tax": lines,
        "tax_total": taxes,
        "total_including_tax": total,
    }


def crosswalk(*entries: tuple[str, str, str, date | None, date | None]) -> pa.Table:
    """A cross-walk from (entity, legacy id, tollway id, valid from, valid to) rows."""
    names = ("entity", "legacy_id", "tollway_id", "valid_from", "valid_to")
    return pa.Table.from_pylist(
        [dict(zip(names, entry, strict=True)) for entry in entries], schema=CROSSWALK_SCHEMA
    )


NO_CROSSWALK = crosswalk()


def reconcile(
    legacy: Side,
    tollway: Side,
    *,
    entries: pa.Table = NO_CROSSWALK,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
) -> CycleResult:
    return reconcile_cycle(
        system_tables("legacy", legacy),
        system_tables("tollway", tollway),
        crosswalk=entries,
        tolerances=tolerances,
        cycle="2026-03",
    )


def compared(result: CycleResult, level: str) -> list[tuple[object, ...]]:
    """(legacy id, tollway id, category, variance as text, within tolerance) per row of `level`:
    line ids for lines, invoice ids for invoices, jurisdiction and tax type for taxes."""
    found = []
    for row in result.differences.to_pylist():
        if row["level"] != level:
            continue
        if level == "line":
            keys = (row["legacy_line_id"], row["tollway_line_id"])
        elif level == "invoice":
            keys = (row["legacy_invoice_id"], row["tollway_invoice_id"])
        else:
            keys = (row["jurisdiction_id"], row["tax_type"])
        variance = plain_decimal(row["variance"])
        found.append((*keys, row["category"], f"{variance:f}", row["within_tolerance"]))
    return found


def evidence(result: CycleResult, level: str) -> list[str]:
    return [row["evidence"] for row in result.differences.to_pylist() if row["level"] == level]
