"""The tax of one first-invoice line against the quote's tax treatment, rate and jurisdiction.

Precedence: `tax_base` when the quote and the line differ in tax treatment and the customer pays
another amount with tax (a tax-inclusive quote billed tax-exclusive: the tax comes on top of the
quoted price; amounts are what the customer pays, tax included; when the customer pays the same
either way only the presentation differs, a match); `tax_jurisdiction` when the quote names a
jurisdiction none of the line's taxes is in (not for a line of zero amount, which billing's tax
step leaves untaxed: it says nothing of where it would be taxed); then, when the quote gives a
rate (or both amounts), the tax billed against that rate applied to the billed amount, so a price
difference is not counted twice: `tax_exemption` when billing exempts what the quote taxes, or
taxes what the quote exempts (a 0 % rate), else `tax_base`; else matched.
"""

from decimal import Decimal
from typing import Final

from tollway.billing import AppliedTax, TaxTreatment
from tollway.money import MONEY_CONTEXT
from tollway.reconcile._quotes_lines import LineCheck
from tollway.reconcile._quotes_model import PERCENT
from tollway.reconcile._quotes_rows import QuoteCheckKind, QuoteDifference, judged, money_text
from tollway.reconcile._quotes_rows import number_text as plain
from tollway.reconcile._tables import Category

CUSTOMER_TAXES: Final = (TaxTreatment.BILLED, TaxTreatment.EXEMPT)
"""The taxes on the customer's invoice (compliance-only and carrier-absorbed ones are not)."""
RATE_SHOWN_PLACES: Final = 4
"""Decimals of a billed effective tax rate shown in evidence."""


def treatment_text(inclusive: bool) -> str:
    return "tax-inclusive" if inclusive else "tax-exclusive"


def _rate_text(tax: Decimal, base: Decimal) -> str:
    if base == 0:
        return ""
    rate = MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(tax, PERCENT), base)
    shown = rate.quantize(Decimal(1).scaleb(-RATE_SHOWN_PLACES), context=MONEY_CONTEXT)
    return f", {plain(shown)} %"


def _tax_on(check: LineCheck, amount: Decimal, rate: Decimal) -> Decimal:
    exact = MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(amount, rate), PERCENT)
    return check.view.rounded(exact, check.account_id)


def _expected_tax(check: LineCheck, rate: Decimal) -> Decimal:
    """The tax the quoted rate gives on the billed line: on its amount for a tax-exclusive line,
    the tax inside its tax-included price for a tax-inclusive one."""
    line = check.line
    if not line.tax_inclusive:
        return _tax_on(check, line.amount.amount, rate)
    gross = line.amount.amount + line.tax_amount.amount
    inside = MONEY_CONTEXT.divide(
        MONEY_CONTEXT.multiply(gross, rate), MONEY_CONTEXT.add(PERCENT, rate)
    )
    return check.view.rounded(inside, check.account_id)


def _customer_taxes(check: LineCheck) -> list[AppliedTax]:
    return [tax for tax in check.line.taxes if tax.treatment in CUSTOMER_TAXES]


def _nothing_to_tax(check: LineCheck) -> bool:
    """Whether the line is one billing's tax step leaves untaxed for having nothing to tax: an
    amount of zero carries no taxes in any jurisdiction, so it cannot show the quoted one (a port
    activated and disconnected within a day billed 0.00 under calendar-date proration)."""
    line = check.line
    return line.amount.amount == 0 and line.tax_amount.amount == 0 and not line.taxes


def _billed_text(check: LineCheck) -> str:
    line, code = check.line, check.instance.code
    billed_tax = line.tax_amount.amount
    jurisdictions = sorted({tax.jurisdiction_id for tax in _customer_taxes(check)})
    exempt = [tax for tax in line.taxes if tax.treatment is TaxTreatment.EXEMPT]
    exempted = (
        f", {money_text(sum((tax.tax_amount.amount for tax in exempt), Decimal(0)), code)} exempted"
        if exempt
        else ""
    )
    return (
        f"line {line.id} bills {money_text(billed_tax, code)} tax "
        f"({treatment_text(line.tax_inclusive)}{_rate_text(billed_tax, line.amount.amount)}"
        f"{exempted}) on {money_text(line.amount.amount, code)} in "
        f"{', '.join(jurisdictions) or 'no jurisdiction'}"
    )


def tax_finding(check: LineCheck, quoted_line: Decimal) -> QuoteDifference:
    """The tax finding of the line (see the module docstring); `quoted_line` is the quoted price
    for the line's coverage, in the quote's tax treatment."""
    line, quote, code = check.line, check.price.quoted, check.instance.code
    billed_tax = line.tax_amount.amount
    jurisdictions = sorted({tax.jurisdiction_id for tax in _customer_taxes(check)})
    jurisdiction = quote.tax_jurisdiction_id or (
        jurisdictions[0] if len(jurisdictions) == 1 else None
    )
    rate = quote.expected_tax_percent
    billed_text = _billed_text(check)
    if quote.tax_inclusive != line.tax_inclusive:
        return _treatment_finding(check, quoted_line, rate, jurisdiction)
    expected = None if rate is None else _expected_tax(check, rate)
    if (
        quote.tax_jurisdiction_id is not None
        and quote.tax_jurisdiction_id not in jurisdictions
        and not _nothing_to_tax(check)
    ):
        return check.finding(
            QuoteCheckKind.TAX,
            Category.TAX_JURISDICTION.value,
            expected,
            billed_tax,
            f"the quote taxes in {quote.tax_jurisdiction_id}; {billed_text}",
            jurisdiction,
        )
    if rate is None or expected is None:
        return check.finding(
            QuoteCheckKind.TAX,
            Category.MATCHED.value,
            None,
            billed_tax,
            f"the quote gives no tax rate; {billed_text}",
            jurisdiction,
        )
    exempted = any(
        tax.treatment is TaxTreatment.EXEMPT for tax in line.taxes
    ) or not _customer_taxes(check)
    exemption = (rate == 0 and billed_tax > 0) or (billed_tax < expected and exempted)
    category = judged(
        Category.TAX_EXEMPTION.value if exemption else Category.TAX_BASE.value,
        facts_differ=False,
        quoted=expected,
        billed=billed_tax,
        tolerances=check.tolerances,
        code=code,
    )
    return check.finding(
        QuoteCheckKind.TAX,
        category,
        expected,
        billed_tax,
        f"the quote expects {plain(rate)} %: {money_text(expected, code)}; {billed_text}",
        jurisdiction,
    )


def _treatment_finding(
    check: LineCheck, quoted_line: Decimal, rate: Decimal | None, jurisdiction: str | None
) -> QuoteDifference:
    """Quote and line differ in tax treatment: `tax_base` unless the customer pays the same with
    tax either way (then only the presentation differs: matched). A tax-exclusive quote without
    a rate is taken to expect the tax billing computed."""
    line, quote, code = check.line, check.price.quoted, check.instance.code
    billed_tax = line.tax_amount.amount
    billed_gross = line.amount.amount + billed_tax
    quoted_tax = billed_tax if rate is None else _tax_on(check, quoted_line, rate)
    quoted_gross = quoted_line if quote.tax_inclusive else quoted_line + quoted_tax
    category = judged(
        Category.TAX_BASE.value,
        facts_differ=False,
        quoted=quoted_gross,
        billed=billed_gross,
        tolerances=check.tolerances,
        code=code,
    )
    return check.finding(
        QuoteCheckKind.TAX,
        category,
        quoted_gross,
        billed_gross,
        f"the quote is {treatment_text(quote.tax_inclusive)}: the customer pays "
        f"{money_text(quoted_gross, code)} with tax; {_billed_text(check)}: the customer pays "
        f"{money_text(billed_gross, code)}",
        jurisdiction,
    )
