"""Corrections of issued bills, which never change: re-rating adjustments and credit notes.

- `rerate_adjustments` compares the lines an issued bill carried with the lines as they should
  have been (re-rated usage, a corrected tariff) and returns ADJUSTMENT lines for the differences,
  to be billed on a later bill. Lines are matched by their key: account, product, charge type,
  period coverage and price; lines sharing a key (a bundle and a contract discount of one circuit)
  are compared by their sum.
- `credit_note_for` issues a credit note (category CREDIT_NOTE) that negates some or all lines of
  an issued bill, taxes included.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from tollway.billing._bill import (
    AppliedBillingRate,
    AppliedTax,
    BillCategory,
    BillState,
    ChargeType,
    CustomerBill,
    TaxItem,
)
from tollway.billing._charges import BillingError, line_id_hex_digits
from tollway.money import MONEY_CONTEXT, Currency, CurrencyMismatchError, Money
from tollway.pricing import BreakdownLine

LineKey = tuple[str, str, str, datetime, datetime, str]


def line_key(line: AppliedBillingRate) -> LineKey:
    """What identifies a line across recomputations: account, product, charge type, coverage,
    price."""
    return (
        line.billing_account_id,
        line.product_id or "",
        line.charge_type.value,
        line.period_start,
        line.period_end,
        line.price_id or "",
    )


@dataclass(frozen=True, slots=True)
class _Total:
    """The lines of one key, summed."""

    first: AppliedBillingRate
    amount: Decimal
    precise_amount: Decimal
    quantity: Decimal


def _totals(lines: Sequence[AppliedBillingRate], currency: Currency) -> dict[LineKey, _Total]:
    found: dict[LineKey, _Total] = {}
    for line in lines:
        if line.amount.currency != currency:
            raise CurrencyMismatchError(
                f"line {line.id} is in {line.amount.currency}, the other lines in {currency}"
            )
        key = line_key(line)
        known = found.get(key)
        if known is None:
            found[key] = _Total(line, line.amount.amount, line.precise_amount, line.quantity)
        else:
            found[key] = _Total(
                known.first,
                known.amount + line.amount.amount,
                MONEY_CONTEXT.add(known.precise_amount, line.precise_amount),
                known.quantity + line.quantity,
            )
    return found


def _sums(total: _Total | None) -> tuple[Decimal, Decimal, Decimal]:
    if total is None:
        return Decimal(0), Decimal(0), Decimal(0)
    return total.amount, total.precise_amount, total.quantity


def _derived_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("#".join(parts).encode()).hexdigest()
    return f"{prefix}-{digest[:line_id_hex_digits]}"


def _adjustment(
    key: LineKey,
    issued: _Total | None,
    corrected: _Total | None,
    *,
    currency: Currency,
    related_bill_no: str,
) -> AppliedBillingRate | None:
    known = corrected if corrected is not None else issued
    assert known is not None, "a key comes from the issued or the corrected lines"
    model = known.first
    before_amount, before_precise, before_quantity = _sums(issued)
    after_amount, after_precise, after_quantity = _sums(corrected)
    difference = after_amount - before_amount
    precise = MONEY_CONTEXT.subtract(after_precise, before_precise)
    if difference == 0 and precise == 0:
        return None
    how = f"was {before_amount}, should be {after_amount}"
    return AppliedBillingRate(
        id=_derived_id("adj", related_bill_no, *map(str, key)),
        billing_account_id=model.billing_account_id,
        charge_type=ChargeType.ADJUSTMENT,
        name=f"Adjustment: {model.name}",
        period_start=model.period_start,
        period_end=model.period_end,
        quantity=after_quantity - before_quantity,
        amount=Money(difference, currency),
        precise_amount=precise,
        product_id=model.product_id,
        circuit_id=model.circuit_id,
        price_id=model.price_id,
        unit=model.unit,
        breakdown=(BreakdownLine("adjustment", how, Decimal(1), None, precise),),
        related_bill_no=related_bill_no,
    )


def rerate_adjustments(
    issued_lines: Sequence[AppliedBillingRate],
    corrected_lines: Sequence[AppliedBillingRate],
    *,
    related_bill_no: str,
) -> tuple[AppliedBillingRate, ...]:
    """ADJUSTMENT lines bringing an issued bill's lines to their corrected values (corrected minus
    issued, per line key), for a later bill; keys whose amounts agree give no line.

    >>> from datetime import UTC
    >>> march = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    >>> def usage(amount: str) -> AppliedBillingRate:
    ...     return AppliedBillingRate("l1", "ACME", ChargeType.USAGE, "Data", *march,
    ...         Decimal(10), Money.of(amount, "USD"), Decimal(amount), "P1", "C1", "gb")
    >>> [str(line.amount) for line in rerate_adjustments([usage("2.50")], [usage("3.75")],
    ...                                                 related_bill_no="INV-7")]
    ['1.25 USD']
    """
    every = [*issued_lines, *corrected_lines]
    if not every:
        return ()
    currency = every[0].amount.currency
    issued = _totals(issued_lines, currency)
    corrected = _totals(corrected_lines, currency)
    found = (
        _adjustment(
            key,
            issued.get(key),
            corrected.get(key),
            currency=currency,
            related_bill_no=related_bill_no,
        )
        for key in sorted(set(issued) | set(corrected))
    )
    return tuple(line for line in found if line is not None)


def _negated_tax(tax: AppliedTax) -> AppliedTax:
    return replace(tax, taxable_amount=-tax.taxable_amount, tax_amount=-tax.tax_amount)


def _negated_line(line: AppliedBillingRate, *, bill_no: str) -> AppliedBillingRate:
    return replace(
        line,
        id=f"{line.id}-cn",
        amount=-line.amount,
        precise_amount=MONEY_CONTEXT.minus(line.precise_amount),
        breakdown=tuple(
            replace(step, amount=MONEY_CONTEXT.minus(step.amount)) for step in line.breakdown
        ),
        taxes=tuple(_negated_tax(tax) for tax in line.taxes),
        related_bill_no=bill_no,
    )


def _tax_items(lines: Sequence[AppliedBillingRate], currency: Currency) -> tuple[TaxItem, ...]:
    """Line taxes summed per (category, rate)."""
    totals: dict[tuple[str, Decimal], Money] = {}
    for line in lines:
        for tax in line.taxes:
            key = (tax.tax_category, tax.tax_rate)
            totals[key] = totals.get(key, Money.zero(currency)) + tax.tax_amount
    return tuple(
        TaxItem(category, rate, totals[(category, rate)]) for category, rate in sorted(totals)
    )


def credit_note_for(
    bill: CustomerBill,
    *,
    lines: Sequence[str] | None = None,
    reason: str,
    bill_date: date | None = None,
) -> CustomerBill:
    """A draft credit note negating the lines (ids) given, or every line, of an issued bill.

    The note is dated `bill_date` (default: the bill's own date) and refers to the bill's number;
    its lines are the bill's lines negated, taxes included, each naming the bill.

    >>> from datetime import UTC
    >>> march = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    >>> mrc = AppliedBillingRate("l1", "ACME", ChargeType.RECURRING, "Port", *march,
    ...                          Decimal(1), Money.of("100.00", "USD"), Decimal("100.00"))
    >>> bill = CustomerBill("b1", "ACME", mrc.amount.currency, *march, date(2026, 3, 1), (mrc,),
    ...                     state=BillState.ISSUED, bill_no="INV-7")
    >>> note = credit_note_for(bill, reason="billed twice")
    >>> note.category, str(note.amount_due), note.related_bill_no
    (<BillCategory.CREDIT_NOTE: 'creditNote'>, '-100.00 USD', 'INV-7')
    """
    if bill.state is not BillState.ISSUED or bill.bill_no is None:
        raise BillingError(f"bill {bill.id}: only an issued bill gets a credit note; edit a draft")
    wanted = tuple(line.id for line in bill.lines) if lines is None else tuple(lines)
    by_id = {line.id: line for line in bill.lines}
    unknown = [line_id for line_id in wanted if line_id not in by_id]
    if unknown or not wanted or len(set(wanted)) != len(wanted):
        raise BillingError(
            f"bill {bill.bill_no}: a credit note needs distinct lines of the bill; "
            f"unknown: {', '.join(unknown) or 'none'}"
        )
    negated = tuple(_negated_line(by_id[line_id], bill_no=bill.bill_no) for line_id in wanted)
    return CustomerBill(
        id=_derived_id("cn", bill.id, reason, *wanted),
        billing_account_id=bill.billing_account_id,
        currency=bill.currency,
        billing_period_start=bill.billing_period_start,
        billing_period_end=bill.billing_period_end,
        bill_date=bill.bill_date if bill_date is None else bill_date,
        lines=negated,
        tax_items=_tax_items(negated, bill.currency),
        category=BillCategory.CREDIT_NOTE,
        consolidated_account_ids=bill.consolidated_account_ids,
        related_bill_no=bill.bill_no,
        run_id=bill.run_id,
        extra={"reason": reason},
    )
