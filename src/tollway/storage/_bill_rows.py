"""Bills as table rows and back: `customer_bills`, `applied_billing_rates`, `tax_items`.

Line amounts and bill totals are integer minor units; the breakdown and applied taxes are JSON
documents with every number as a string. Reading a bill back checks its totals against the totals
stored beside its lines.
"""

from typing import Any

from sqlalchemy import Row

from tollway.billing import (
    AppliedBillingRate,
    BillCategory,
    BillState,
    ChargeType,
    CustomerBill,
    TaxItem,
)
from tollway.money import Money, currency
from tollway.storage._documents import (
    breakdown_document,
    breakdown_from_document,
    taxes_document,
    taxes_from_document,
)


def bill_row(bill: CustomerBill, invoice_series: str, digest: str) -> dict[str, Any]:
    return {
        "id": bill.id,
        "run_id": bill.run_id,
        "billing_account_id": bill.billing_account_id,
        "currency": bill.currency.code,
        "billing_period_start": bill.billing_period_start,
        "billing_period_end": bill.billing_period_end,
        "bill_date": bill.bill_date,
        "payment_due_date": bill.payment_due_date,
        "state": bill.state.value,
        "category": bill.category.value,
        "invoice_series": invoice_series,
        "bill_number": None,
        "bill_no": None,
        "related_bill_no": bill.related_bill_no,
        "consolidated_account_ids": list(bill.consolidated_account_ids),
        "extra": dict(sorted(bill.extra.items())),
        "tax_excluded_amount_minor": bill.tax_excluded_amount.to_minor(),
        "tax_amount_minor": bill.tax_amount.to_minor(),
        "tax_included_amount_minor": bill.tax_included_amount.to_minor(),
        "draft_digest": digest,
    }


def line_columns(bill_id: str, position: int, line: AppliedBillingRate) -> dict[str, Any]:
    """A line's row without its two JSON documents (breakdown and taxes): one place for every
    scalar column, shared by `line_row` and the bulk writer that binds pre-rendered JSON."""
    return {
        "bill_id": bill_id,
        "position": position,
        "line_id": line.id,
        "billing_account_id": line.billing_account_id,
        "charge_type": line.charge_type.value,
        "name": line.name,
        "period_start": line.period_start,
        "period_end": line.period_end,
        "quantity": line.quantity,
        "amount_minor": line.amount.to_minor(),
        "precise_amount": line.precise_amount,
        "product_id": line.product_id,
        "circuit_id": line.circuit_id,
        "price_id": line.price_id,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "related_bill_no": line.related_bill_no,
        "tax_inclusive": line.tax_inclusive,
    }


def line_row(bill_id: str, position: int, line: AppliedBillingRate) -> dict[str, Any]:
    return {
        **line_columns(bill_id, position, line),
        "breakdown": breakdown_document(line.breakdown),
        "taxes": taxes_document(line.taxes),
    }


def tax_item_row(bill_id: str, position: int, item: TaxItem) -> dict[str, Any]:
    return {
        "bill_id": bill_id,
        "position": position,
        "tax_category": item.tax_category,
        "tax_rate": item.tax_rate,
        "tax_amount_minor": item.tax_amount.to_minor(),
    }


def line_from_row(row: Row[Any], bill_currency: str) -> AppliedBillingRate:
    """A line read back from its `applied_billing_rates` row, in its bill's currency."""
    found = currency(bill_currency)
    return AppliedBillingRate(
        id=row.line_id,
        billing_account_id=row.billing_account_id,
        charge_type=ChargeType(row.charge_type),
        name=row.name,
        period_start=row.period_start,
        period_end=row.period_end,
        quantity=row.quantity,
        amount=Money.from_minor(row.amount_minor, found),
        precise_amount=row.precise_amount,
        product_id=row.product_id,
        circuit_id=row.circuit_id,
        price_id=row.price_id,
        unit=row.unit,
        unit_price=row.unit_price,
        breakdown=breakdown_from_document(row.breakdown),
        taxes=taxes_from_document(row.taxes, currency=found),
        related_bill_no=row.related_bill_no,
        tax_inclusive=row.tax_inclusive,
    )


def bill_from_rows(row: Row[Any], lines: list[Row[Any]], items: list[Row[Any]]) -> CustomerBill:
    found = currency(row.currency)
    bill = CustomerBill(
        id=row.id,
        billing_account_id=row.billing_account_id,
        currency=found,
        billing_period_start=row.billing_period_start,
        billing_period_end=row.billing_period_end,
        bill_date=row.bill_date,
        lines=tuple(line_from_row(line, row.currency) for line in lines),
        tax_items=tuple(
            TaxItem(
                item.tax_category, item.tax_rate, Money.from_minor(item.tax_amount_minor, found)
            )
            for item in items
        ),
        state=BillState(row.state),
        category=BillCategory(row.category),
        bill_no=row.bill_no,
        consolidated_account_ids=tuple(row.consolidated_account_ids),
        related_bill_no=row.related_bill_no,
        payment_due_date=row.payment_due_date,
        run_id=row.run_id,
        extra=dict(row.extra),
    )
    # The totals were written beside the lines; reading them back must agree to the minor unit.
    assert bill.tax_excluded_amount.to_minor() == row.tax_excluded_amount_minor, f"{bill.id}: lines"
    assert bill.tax_amount.to_minor() == row.tax_amount_minor, f"{bill.id}: taxes"
    assert bill.tax_included_amount.to_minor() == row.tax_included_amount_minor, f"{bill.id}: total"
    return bill
