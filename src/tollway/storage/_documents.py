"""Bills as plain, JSON-able documents: the shape of the JSON columns, the exports and the digest.

Every number is a string (`decimal_text`: plain notation, scale kept); money is written with its
currency's minor-unit decimals; instants are ISO 8601 in UTC. So two equal bills give the same
document byte for byte, whichever database they were read back from.
"""

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillState,
    CustomerBill,
    TaxItem,
    TaxTreatment,
)
from tollway.money import MONEY_CONTEXT, Currency, Money
from tollway.pricing import BreakdownLine
from tollway.storage._types import decimal_text, json_dumps


def instant_text(value: datetime) -> str:
    """An instant in ISO 8601, in UTC.

    >>> from datetime import timedelta, timezone
    >>> instant_text(datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=-5))))
    '2026-03-01T05:00:00+00:00'
    """
    assert value.tzinfo is not None, f"{value!r} has no time zone"
    return value.astimezone(UTC).isoformat()


def money_text(amount: Money) -> str:
    """A money amount with its currency's decimals (12.5 USD → "12.50"); an unrounded amount keeps
    all of its digits.

    >>> money_text(Money.of("12.5", "USD")), money_text(Money.of("7", "BHD"))
    ('12.50', '7.000')
    """
    if amount.is_rounded:
        return decimal_text(
            amount.amount.quantize(amount.currency.minor_unit, context=MONEY_CONTEXT)
        )
    return decimal_text(amount.amount)


def _optional_decimal(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _optional_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def breakdown_document(lines: tuple[BreakdownLine, ...]) -> list[dict[str, Any]]:
    return [
        {
            "kind": line.kind,
            "description": line.description,
            "quantity": decimal_text(line.quantity),
            "unit_price": _optional_decimal(line.unit_price),
            "amount": decimal_text(line.amount),
            "tier": line.tier,
        }
        for line in lines
    ]


def breakdown_from_document(document: list[dict[str, Any]]) -> tuple[BreakdownLine, ...]:
    return tuple(
        BreakdownLine(
            kind=item["kind"],
            description=item["description"],
            quantity=Decimal(item["quantity"]),
            unit_price=None if item["unit_price"] is None else Decimal(item["unit_price"]),
            amount=Decimal(item["amount"]),
            tier=item["tier"],
        )
        for item in document
    )


def taxes_document(taxes: tuple[AppliedTax, ...]) -> list[dict[str, Any]]:
    return [
        {
            "tax_category": tax.tax_category,
            "jurisdiction_id": tax.jurisdiction_id,
            "jurisdiction_level": tax.jurisdiction_level,
            "name": tax.name,
            "rule_id": tax.rule_id,
            "treatment": tax.treatment.value,
            "calculation": tax.calculation,
            "tax_rate": decimal_text(tax.tax_rate),
            "units": _optional_decimal(tax.units),
            "taxable_amount": money_text(tax.taxable_amount),
            "tax_amount": money_text(tax.tax_amount),
            "exemption_certificate_id": tax.exemption_certificate_id,
        }
        for tax in taxes
    ]


def taxes_from_document(
    document: list[dict[str, Any]], *, currency: Currency
) -> tuple[AppliedTax, ...]:
    return tuple(
        AppliedTax(
            tax_category=item["tax_category"],
            jurisdiction_id=item["jurisdiction_id"],
            tax_rate=Decimal(item["tax_rate"]),
            taxable_amount=Money(Decimal(item["taxable_amount"]), currency),
            tax_amount=Money(Decimal(item["tax_amount"]), currency),
            jurisdiction_level=item.get("jurisdiction_level", ""),
            name=item.get("name", ""),
            rule_id=item.get("rule_id"),
            treatment=TaxTreatment(item.get("treatment", TaxTreatment.BILLED.value)),
            calculation=item.get("calculation", "rate"),
            units=None if item.get("units") is None else Decimal(item["units"]),
            exemption_certificate_id=item.get("exemption_certificate_id"),
        )
        for item in document
    )


def line_document(line: AppliedBillingRate) -> dict[str, Any]:
    return {
        "id": line.id,
        "billing_account_id": line.billing_account_id,
        "charge_type": line.charge_type.value,
        "name": line.name,
        "period_start": instant_text(line.period_start),
        "period_end": instant_text(line.period_end),
        "quantity": decimal_text(line.quantity),
        "unit": line.unit,
        "unit_price": _optional_decimal(line.unit_price),
        "amount": money_text(line.amount),
        "precise_amount": decimal_text(line.precise_amount),
        "tax_amount": money_text(line.tax_amount),
        "tax_inclusive": line.tax_inclusive,
        "product_id": line.product_id,
        "circuit_id": line.circuit_id,
        "price_id": line.price_id,
        "related_bill_no": line.related_bill_no,
        "breakdown": breakdown_document(line.breakdown),
        "taxes": taxes_document(line.taxes),
    }


def tax_item_document(item: TaxItem) -> dict[str, Any]:
    return {
        "tax_category": item.tax_category,
        "tax_rate": decimal_text(item.tax_rate),
        "tax_amount": money_text(item.tax_amount),
    }


def bill_document(bill: CustomerBill) -> dict[str, Any]:
    """A bill as a plain document (TMF678 field meanings, snake_case names), totals included.

    >>> from tollway.money import currency
    >>> bill = CustomerBill("B1", "A1", currency("JPY"), datetime(2026, 3, 1, tzinfo=UTC),
    ...                     datetime(2026, 4, 1, tzinfo=UTC), date(2026, 4, 1), lines=())
    >>> document = bill_document(bill)
    >>> document["amount_due"], document["state"], document["billing_period_start"]
    ('0', 'draft', '2026-03-01T00:00:00+00:00')
    """
    return {
        "id": bill.id,
        "bill_no": bill.bill_no,
        "state": bill.state.value,
        "category": bill.category.value,
        "billing_account_id": bill.billing_account_id,
        "consolidated_account_ids": list(bill.consolidated_account_ids),
        "currency": bill.currency.code,
        "billing_period_start": instant_text(bill.billing_period_start),
        "billing_period_end": instant_text(bill.billing_period_end),
        "bill_date": bill.bill_date.isoformat(),
        "payment_due_date": _optional_date(bill.payment_due_date),
        "related_bill_no": bill.related_bill_no,
        "run_id": bill.run_id,
        "extra": dict(sorted(bill.extra.items())),
        "tax_excluded_amount": money_text(bill.tax_excluded_amount),
        "tax_amount": money_text(bill.tax_amount),
        "tax_included_amount": money_text(bill.tax_included_amount),
        "amount_due": money_text(bill.amount_due),
        "lines": [line_document(line) for line in bill.lines],
        "tax_items": [tax_item_document(item) for item in bill.tax_items],
    }


def draft_digest(bill: CustomerBill) -> str:
    """SHA-256 of the bill's content as a draft (state and number left out): two saves of one bill
    id must carry the same digest, whatever happened to the bill since."""
    as_draft = replace(bill, state=BillState.DRAFT, bill_no=None)
    return hashlib.sha256(json_dumps(bill_document(as_draft)).encode("utf-8")).hexdigest()
