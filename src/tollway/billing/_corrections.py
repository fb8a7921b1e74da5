"""Corrections of issued bills, which never change: re-rating adjustments and credit notes.

- `rerate_adjustments` compares the lines an issued bill carried with the lines as they should
  have been (re-rated usage, a corrected tariff) and returns ADJUSTMENT lines for the differences,
  to be billed on a later bill. Lines are matched by their key: account, product, charge type,
  period coverage and price; lines sharing a key (a bundle and a contract discount of one circuit)
  are compared by their sum. An adjustment records the charge type it corrects (its breakdown's
  kind, `adjusts_usage` and so on), so earlier adjustments passed among the issued lines count
  towards the line they corrected: a correction is never applied twice.
- `credit_note_for` issues a credit note (category CREDIT_NOTE) that negates some or all lines of
  an issued bill, taxes included.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Final

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
from tollway.billing._discounts import TAX_INCLUSIVE_DISCOUNT_KIND
from tollway.money import MONEY_CONTEXT, Currency, CurrencyMismatchError, Money
from tollway.pricing import BreakdownLine

LineKey = tuple[str, str, str, datetime, datetime, str]

ADJUSTS_KIND_PREFIX: Final = "adjusts_"
"""An adjustment's breakdown kind: this prefix and the charge type it corrects (`adjusts_usage`)."""
_CHARGE_TYPES: Final = frozenset(charge_type.value for charge_type in ChargeType)
_INCLUSIVE_DISCOUNT_MARK: Final = BreakdownLine(
    TAX_INCLUSIVE_DISCOUNT_KIND,
    "corrects a discount of tax-inclusive prices",
    Decimal(0),
    None,
    Decimal(0),
)


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


def corrected_charge_type(line: AppliedBillingRate) -> ChargeType:
    """The charge type a line counts as when lines are compared: its own, or for an adjustment
    made by `rerate_adjustments` the charge type it corrected.

    >>> from datetime import UTC
    >>> march = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    >>> step = BreakdownLine("adjusts_usage", "was 2.50, should be 3.75", Decimal(1), None,
    ...                      Decimal("1.25"))
    >>> adjustment = AppliedBillingRate("a1", "ACME", ChargeType.ADJUSTMENT, "Adjustment: Data",
    ...     *march, Decimal(5), Money.of("1.25", "USD"), Decimal("1.25"), breakdown=(step,))
    >>> corrected_charge_type(adjustment).value
    'usage'
    """
    if line.charge_type is not ChargeType.ADJUSTMENT:
        return line.charge_type
    for step in line.breakdown:
        if step.kind.startswith(ADJUSTS_KIND_PREFIX):
            found = step.kind.removeprefix(ADJUSTS_KIND_PREFIX)
            if found in _CHARGE_TYPES:
                return ChargeType(found)
    return ChargeType.ADJUSTMENT


def _compared_key(line: AppliedBillingRate) -> LineKey:
    """`line_key`, with an adjustment keyed as the line it corrected."""
    account, product, _, start, end, price_id = line_key(line)
    return (account, product, corrected_charge_type(line).value, start, end, price_id)


@dataclass(frozen=True, slots=True)
class _Total:
    """The lines of one key, summed. `model` names and describes the adjustment: the first line
    of the key that is not itself an adjustment, else the first line."""

    model: AppliedBillingRate
    amount: Decimal
    precise_amount: Decimal
    quantity: Decimal


def _is_adjustment(line: AppliedBillingRate) -> bool:
    return line.charge_type is ChargeType.ADJUSTMENT


def _totals(lines: Sequence[AppliedBillingRate], currency: Currency) -> dict[LineKey, _Total]:
    found: dict[LineKey, _Total] = {}
    for line in lines:
        if line.amount.currency != currency:
            raise CurrencyMismatchError(
                f"line {line.id} is in {line.amount.currency}, the other lines in {currency}"
            )
        key = _compared_key(line)
        known = found.get(key)
        priced = _priced_amount(line)
        if known is None:
            found[key] = _Total(line, priced, line.precise_amount, line.quantity)
        else:
            better = _is_adjustment(known.model) and not _is_adjustment(line)
            found[key] = _Total(
                line if better else known.model,
                known.amount + priced,
                MONEY_CONTEXT.add(known.precise_amount, line.precise_amount),
                known.quantity + line.quantity,
            )
    return found


def _priced_amount(line: AppliedBillingRate) -> Decimal:
    """What the line's price came to: its amount, or for a tax-inclusive line (whose amount the
    tax step reduced to the net) its amount plus its billed taxes. Re-rating compares prices, so
    an untaxed recomputed line is compared with the issued line's price, not its net."""
    if line.tax_inclusive:
        return (line.amount + line.tax_amount).amount
    return line.amount.amount


def _sums(total: _Total | None) -> tuple[Decimal, Decimal, Decimal]:
    if total is None:
        return Decimal(0), Decimal(0), Decimal(0)
    return total.amount, total.precise_amount, total.quantity


def _model_of(issued: _Total | None, corrected: _Total | None) -> AppliedBillingRate:
    """The line an adjustment is named after: the corrected line, else the issued one."""
    if corrected is not None and not _is_adjustment(corrected.model):
        return corrected.model
    known = issued if issued is not None else corrected
    assert known is not None, "a key comes from the issued or the corrected lines"
    return known.model


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
    model = _model_of(issued, corrected)
    before_amount, before_precise, before_quantity = _sums(issued)
    after_amount, after_precise, after_quantity = _sums(corrected)
    difference = after_amount - before_amount
    precise = MONEY_CONTEXT.subtract(after_precise, before_precise)
    if difference == 0 and precise == 0:
        return None
    how = f"was {before_amount}, should be {after_amount}"
    adjusted = f"{ADJUSTS_KIND_PREFIX}{key[2]}"
    # A correction of a discount of tax-inclusive prices carries its mark: the tax step splits
    # it like the discount (the mark's own amount is zero).
    marks = (
        (_INCLUSIVE_DISCOUNT_MARK,)
        if any(step.kind == TAX_INCLUSIVE_DISCOUNT_KIND for step in model.breakdown)
        else ()
    )
    return AppliedBillingRate(
        id=_derived_id("adj", related_bill_no, *map(str, key)),
        billing_account_id=model.billing_account_id,
        charge_type=ChargeType.ADJUSTMENT,
        name=model.name if _is_adjustment(model) else f"Adjustment: {model.name}",
        period_start=model.period_start,
        period_end=model.period_end,
        quantity=after_quantity - before_quantity,
        amount=Money(difference, currency),
        precise_amount=precise,
        product_id=model.product_id,
        circuit_id=model.circuit_id,
        price_id=model.price_id,
        unit=model.unit,
        breakdown=(BreakdownLine(adjusted, how, Decimal(1), None, precise), *marks),
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

    `issued_lines` may hold the adjustments already billed for the bill (lines made by this
    function): each counts towards the line it corrected, so only what is still missing is
    adjusted again. Each adjustment names `related_bill_no` and keeps the corrected line's period
    coverage; its breakdown's kind says which charge type it corrects (`adjusts_usage`).

    >>> from datetime import UTC
    >>> march = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    >>> def usage(amount: str) -> AppliedBillingRate:
    ...     return AppliedBillingRate("l1", "ACME", ChargeType.USAGE, "Data", *march,
    ...         Decimal(10), Money.of(amount, "USD"), Decimal(amount), "P1", "C1", "gb")
    >>> adjustments = rerate_adjustments([usage("2.50")], [usage("3.75")], related_bill_no="INV-7")
    >>> [(str(line.amount), line.breakdown[0].kind) for line in adjustments]
    [('1.25 USD', 'adjusts_usage')]
    >>> rerate_adjustments([usage("2.50"), *adjustments], [usage("3.75")], related_bill_no="INV-7")
    ()
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
    """Billed line taxes summed per (category, rate): compliance-only, carrier-absorbed and
    exempt taxes stay on their lines as evidence but are not the customer's to pay."""
    totals: dict[tuple[str, Decimal], Money] = {}
    for line in lines:
        for tax in line.taxes:
            if not tax.is_billed:
                continue
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
