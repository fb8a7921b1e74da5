"""Checks of an ordered instance against its first issued invoice: the recurring and one-time
lines of the ordered product (amount, quantity, proration), their taxes, and its discount lines.

An instance's first invoice is the first issued invoice of its paying account dated on or after
both the order date and the day its service started (a product activated after a bill date shows
first on the next bill). Each bill line is taken by one check at most (`InvoiceLedger`); lines of a
first invoice no check took are reported by `unordered_findings` as billed but not ordered.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tollway.billing import (
    TAX_INCLUSIVE_DISCOUNT_KIND,
    AppliedBillingRate,
    ChargeType,
    CustomerBill,
)
from tollway.reconcile._quotes_contract import CHARGE_TYPES, Instance, ResolvedPrice
from tollway.reconcile._quotes_discounts import DiscountTerms, quoted_discount
from tollway.reconcile._quotes_lines import LineCheck, coverage_text
from tollway.reconcile._quotes_model import QuotePriceType
from tollway.reconcile._quotes_rows import (
    QuoteCheckKind,
    QuoteDifference,
    judged,
    money_text,
)
from tollway.reconcile._quotes_tax import tax_finding
from tollway.reconcile._quotes_world import BillingView
from tollway.reconcile._tables import Category, DifferenceLevel
from tollway.reconcile.core import Tolerances

BILLED_CHARGE_TYPES = (ChargeType.RECURRING, ChargeType.ONE_TIME, ChargeType.DISCOUNT)
"""The lines of an ordered product a quote accounts for (usage, penalties, credits and
adjustments are not ordered)."""

_RATE_SHOWN_PLACES = 4


@dataclass(slots=True)
class InvoiceLedger:
    """Which lines of which first invoices the checks took, across all orders of a check."""

    bills: dict[str, CustomerBill] = field(default_factory=dict)
    """Every bill some instance was compared with, by id."""
    taken: dict[str, set[str]] = field(default_factory=dict)
    """Per bill id, the line ids a check took."""
    first_invoice_of_product: dict[str, str] = field(default_factory=dict)
    owner_of_product: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Per ordered product id, the (order id, item key) it was ordered by."""

    def use(self, bill: CustomerBill, instance: Instance | None = None) -> None:
        """Record `bill` as a first invoice (of `instance`'s product, when given)."""
        self.bills.setdefault(bill.id, bill)
        self.taken.setdefault(bill.id, set())
        if instance is not None:
            self.first_invoice_of_product.setdefault(instance.product.id, bill.id)

    def take(
        self,
        bill: CustomerBill,
        *,
        product_id: str,
        charge_type: ChargeType,
        price_id: str | None,
    ) -> list[AppliedBillingRate]:
        """The product's lines of a charge type (and catalog price, when the line names one)
        on the bill that no check took yet, now taken, in period order."""
        taken = self.taken[bill.id]
        found = [
            line
            for line in bill.lines
            if line.product_id == product_id
            and line.charge_type is charge_type
            and line.id not in taken
            and (price_id is None or line.price_id in (None, price_id))
        ]
        found.sort(key=lambda line: (line.period_start, line.id))
        taken.update(line.id for line in found)
        return found


def instance_invoice(view: BillingView, instance: Instance) -> CustomerBill | None:
    """The instance's first invoice (see the module docstring)."""
    day = instance.order.order_date
    if instance.state.start is not None:
        zone = ZoneInfo(instance.account.time_zone)
        day = max(day, instance.state.start.astimezone(zone).date())
    return view.first_invoice(instance.product.billing_account_id, on_or_after=day)


def invoice_findings(
    view: BillingView,
    instance: Instance,
    resolved: Sequence[ResolvedPrice],
    *,
    ledger: InvoiceLedger,
    tolerances: Tolerances,
) -> list[QuoteDifference]:
    """Line, tax and discount findings of the instance on its first invoice."""
    charged = [
        price
        for price in resolved
        if price.quoted.price_type in (QuotePriceType.RECURRING, QuotePriceType.ONE_TIME)
        and price.in_force is not None
    ]
    invoice = instance_invoice(view, instance)
    if invoice is None:
        return [_not_invoiced(view, instance, price) for price in charged]
    ledger.use(invoice, instance)
    findings: list[QuoteDifference] = []
    billed_by_price: dict[str, list[AppliedBillingRate]] = {}
    first_start = _first_recurring_start(invoice, instance)
    for price in charged:
        assert price.offering_price is not None
        charge_type = ChargeType(CHARGE_TYPES[price.quoted.price_type].value)
        lines = ledger.take(
            invoice,
            product_id=instance.product.id,
            charge_type=charge_type,
            price_id=price.offering_price.id,
        )
        billed_by_price[price.offering_price.id] = lines
        if not lines:
            findings.append(_not_on_invoice(instance, price, invoice))
        for line in lines:
            check = LineCheck(view, instance, price, line, invoice, tolerances)
            line_finding, quoted_line = check.line_finding(first=line.period_start == first_start)
            findings.append(line_finding)
            findings.append(tax_finding(check, quoted_line))
    discount = _discount_finding(
        view, instance, resolved, billed_by_price, invoice, ledger, tolerances
    )
    if discount is not None:
        findings.append(discount)
    return findings


def _first_recurring_start(invoice: CustomerBill, instance: Instance) -> datetime | None:
    starts = [
        line.period_start
        for line in invoice.lines
        if line.product_id == instance.product.id and line.charge_type is ChargeType.RECURRING
    ]
    return min(starts) if starts else None


def _not_invoiced(view: BillingView, instance: Instance, price: ResolvedPrice) -> QuoteDifference:
    payer = view.payer(instance.product.billing_account_id)
    return instance.finding(
        QuoteCheckKind.LINE,
        Category.MISSING_IN_NEW.value,
        quoted=price.quoted_amount,
        billed=None,
        evidence=f"quoted {price.quoted.price_type.value} "
        f"{money_text(price.quoted_amount, instance.code)}, but paying account {payer.id} has "
        f"no issued invoice on or after {instance.order.order_date}",
        charge_type=CHARGE_TYPES[price.quoted.price_type].value,
    )


def _not_on_invoice(
    instance: Instance, price: ResolvedPrice, invoice: CustomerBill
) -> QuoteDifference:
    assert price.offering_price is not None
    return instance.finding(
        QuoteCheckKind.LINE,
        Category.MISSING_IN_NEW.value,
        quoted=price.quoted_amount,
        billed=None,
        evidence=f"quoted {price.quoted.price_type.value} {price.offering_price.id} at "
        f"{money_text(price.quoted_amount, instance.code)}, but invoice {invoice.bill_no} has no "
        f"such line for product {instance.product.id}",
        invoice_no=invoice.bill_no,
        charge_type=CHARGE_TYPES[price.quoted.price_type].value,
    )


def _is_tax_inclusive_discount(line: AppliedBillingRate) -> bool:
    """Whether a discount line is billing's discount of tax-inclusive prices: taken off the
    prices with their taxes in them (`TAX_INCLUSIVE_DISCOUNT_KIND`), then split by the tax step
    like them into the line's amount before tax and its (negative) taxes."""
    return line.tax_inclusive or any(
        step.kind == TAX_INCLUSIVE_DISCOUNT_KIND for step in line.breakdown
    )


def _terms_of(discount_lines: Sequence[AppliedBillingRate]) -> DiscountTerms:
    """The terms of a product's discount lines: with tax unless all are presented before tax."""
    return DiscountTerms(
        not discount_lines or any(_is_tax_inclusive_discount(line) for line in discount_lines)
    )


def _discount_finding(
    view: BillingView,
    instance: Instance,
    resolved: Sequence[ResolvedPrice],
    billed_by_price: dict[str, list[AppliedBillingRate]],
    invoice: CustomerBill,
    ledger: InvoiceLedger,
    tolerances: Tolerances,
) -> QuoteDifference | None:
    """`discount` when the product's discount lines on the invoice are not the quoted discount
    of its billed recurring lines, else matched; no finding when neither side discounts. Both
    sides are in the terms of the discount lines (`DiscountTerms`)."""
    lines = ledger.take(
        invoice, product_id=instance.product.id, charge_type=ChargeType.DISCOUNT, price_id=None
    )
    terms = _terms_of(lines)
    expected, said = quoted_discount(view, instance, resolved, billed_by_price, terms)
    if not lines and expected == 0:
        # Neither side discounts (a quoted percentage of nothing billed is nothing).
        return None
    code = instance.code
    billed = sum((terms.billed(line) for line in lines), Decimal(0))
    category = judged(
        Category.DISCOUNT.value,
        facts_differ=False,
        quoted=expected,
        billed=billed,
        tolerances=tolerances,
        code=code,
    )
    counted = [*lines, *(line for covered in billed_by_price.values() for line in covered)]
    # Said only where it changes a number: a tax-inclusive line counted with its taxes.
    with_tax = any(terms.billed(line) != line.amount.amount for line in counted)
    shown_with_tax = " with tax" if with_tax else ""
    named = "; ".join(_discount_line_text(line, code, terms) for line in lines)
    return instance.finding(
        QuoteCheckKind.INVOICE_DISCOUNT,
        category,
        quoted=expected,
        billed=billed,
        evidence=f"invoice {invoice.bill_no} discounts product {instance.product.id} by "
        f"{money_text(billed, code)}{shown_with_tax} ({named or 'no discount line'}); the quote "
        f"expects {money_text(expected, code)} ({', '.join(said) or 'no discount'}"
        f"{', with tax' if with_tax else ''})",
        invoice_no=invoice.bill_no,
        line_id=lines[0].id if lines else None,
        charge_type=ChargeType.DISCOUNT.value,
    )


def _discount_line_text(line: AppliedBillingRate, code: str, terms: DiscountTerms) -> str:
    text = f"{line.id} {line.name} {money_text(line.amount.amount, code)}"
    if terms.billed(line) == line.amount.amount:
        return text
    return f"{text} + {money_text(line.tax_amount.amount, code)} tax"


def unordered_findings(view: BillingView, ledger: InvoiceLedger) -> list[QuoteDifference]:
    """`extra_in_new` for each recurring, one-time or discount line of a first invoice that no
    check took: of an ordered product (a charge the quote does not have), or, on the paying
    account's first invoice ever, of a product no order has."""
    found: list[QuoteDifference] = []
    for bill_id in sorted(ledger.bills):
        bill = ledger.bills[bill_id]
        first_ever = view.is_first_ever(bill)
        for line in sorted(bill.lines, key=lambda line: line.id):
            if line.charge_type not in BILLED_CHARGE_TYPES or line.product_id is None:
                continue
            if line.id in ledger.taken[bill_id]:
                continue
            owner = ledger.owner_of_product.get(line.product_id)
            ours = ledger.first_invoice_of_product.get(line.product_id) == bill_id
            if owner is not None and ours:
                why = f"product {line.product_id} was ordered on {owner[0]}, but not this charge"
            elif owner is None and first_ever:
                why = f"no order has product {line.product_id}"
            else:
                continue
            found.append(_unordered(bill, line, why, owner))
    return found


def _unordered(
    bill: CustomerBill, line: AppliedBillingRate, why: str, owner: tuple[str, str] | None
) -> QuoteDifference:
    code = bill.currency.code
    return QuoteDifference(
        kind=QuoteCheckKind.UNORDERED,
        level=DifferenceLevel.LINE,
        account_id=line.billing_account_id,
        category=Category.EXTRA_IN_NEW.value,
        quoted_amount=None,
        billed_amount=line.amount.amount,
        evidence=f"line {line.id} on invoice {bill.bill_no} bills {line.name} "
        f"{money_text(line.amount.amount, code)} ({line.charge_type.value}, {coverage_text(line)}); "
        f"{why}",
        currency=code,
        order_id=None if owner is None else owner[0],
        item_key=None if owner is None else owner[1],
        invoice_no=bill.bill_no,
        line_id=line.id,
        circuit_id=line.circuit_id,
        charge_type=line.charge_type.value,
    )
