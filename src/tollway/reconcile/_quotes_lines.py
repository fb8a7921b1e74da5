"""One bill line of an ordered product against the quoted price it stands for.

The quoted price is for a whole month (or once); a recurring line may cover part of a month, so
the quote is prorated over the line's own coverage exactly as the bill run prorates it (the paying
account's billing period, the line's account's conventions) and rounded the way a line is.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tollway.billing import AppliedBillingRate, ChargeType, CustomerBill
from tollway.reconcile._quotes_contract import Instance, ResolvedPrice
from tollway.reconcile._quotes_model import OrderAction
from tollway.reconcile._quotes_rows import (
    QuoteCheckKind,
    QuoteDifference,
    judged,
    money_text,
    number_text,
    within_limit,
)
from tollway.reconcile._quotes_world import BillingView
from tollway.reconcile._tables import Category
from tollway.reconcile.core import Tolerances


@dataclass(frozen=True, slots=True)
class LineCheck:
    """One bill line of an ordered product against the quoted price it stands for."""

    view: BillingView
    instance: Instance
    price: ResolvedPrice
    line: AppliedBillingRate
    invoice: CustomerBill
    tolerances: Tolerances

    @property
    def account_id(self) -> str:
        return self.instance.product.billing_account_id

    @property
    def recurring(self) -> bool:
        return self.line.charge_type is ChargeType.RECURRING

    @property
    def billed_headline(self) -> Decimal:
        """The line as priced: with its taxes when its price included them."""
        line = self.line
        return line.amount.amount + (line.tax_amount.amount if line.tax_inclusive else 0)

    def _billed_for(self, quoted_line: Decimal) -> Decimal:
        """The line's amount to compare with the quoted one: as priced (the same number), or,
        when that differs, in the quote's tax treatment (the same money: a tax-inclusive line
        against a price quoted before tax)."""
        line = self.line
        in_quote_terms = line.amount.amount + (
            line.tax_amount.amount if self.price.quoted.tax_inclusive else 0
        )
        same_number = within_limit(
            Category.RATE.value,
            quoted=quoted_line,
            billed=self.billed_headline,
            tolerances=self.tolerances,
            code=self.instance.code,
        )
        return self.billed_headline if same_number else in_quote_terms

    def _share(self, amount: Decimal, *, start: datetime) -> Decimal:
        """`amount` (a month's price) prorated over [start, line end), rounded like a line."""
        if not self.recurring:
            return self.view.rounded(amount, self.account_id)
        share = self.view.prorated(
            amount, start=start, end=self.line.period_end, account_id=self.account_id
        )
        return self.view.rounded(amount if share is None else share, self.account_id)

    def _ordered_start(self) -> datetime | None:
        """The term start the quote gives an added product, as an instant in this line's
        billing period (clipped to its start); None when the quote gives none."""
        term = self.instance.item.term
        if term is None or term.start is None or self.instance.item.action is not OrderAction.ADD:
            return None
        ordered = self.view.midnight(term.start, self.account_id)
        period = self.view.billing_period(self.line.period_start, self.account_id)
        return max(ordered, period.start)

    def line_finding(self, *, first: bool) -> tuple[QuoteDifference, Decimal]:
        """`quantity` when the line's quantity is not the ordered one, `rate` when its amount is
        not the quoted price prorated over the line's own coverage, `proration` (the product's
        first recurring line only) when it is but billing started on another day than the
        quote's term start, else matched. Returns the finding and the quoted amount for the
        line's coverage."""
        line, code = self.line, self.instance.code
        whole = self.price.quoted_amount
        assert whole is not None and self.price.in_force is not None
        quoted_line = self._share(whole, start=line.period_start)
        billed = self._billed_for(quoted_line)
        expected_quantity = self.price.in_force.quantity
        category = judged(
            Category.QUANTITY.value if line.quantity != expected_quantity else Category.RATE.value,
            facts_differ=line.quantity != expected_quantity,
            quoted=quoted_line,
            billed=billed,
            tolerances=self.tolerances,
            code=code,
        )
        quoted = quoted_line
        evidence = (
            f"line {line.id} on invoice {self.invoice.bill_no} bills {money_text(billed, code)} "
            f"for {coverage_text(line)} at quantity {number_text(line.quantity)}; the quote's "
            f"{money_text(whole, code)}{' a month' if self.recurring else ''} for quantity "
            f"{number_text(expected_quantity)} comes to {money_text(quoted_line, code)}"
        )
        ordered_start = self._ordered_start() if self.recurring and first else None
        if category == Category.MATCHED.value and ordered_start not in (None, line.period_start):
            assert ordered_start is not None
            ordered_line = (
                self._share(whole, start=ordered_start)
                if ordered_start < line.period_end
                else Decimal(0)
            )
            category = judged(
                Category.PRORATION.value,
                facts_differ=False,
                quoted=ordered_line,
                billed=billed,
                tolerances=self.tolerances,
                code=code,
            )
            quoted = ordered_line
            evidence += (
                f"; billing starts on {line.period_start.date()}, the quote's term on "
                f"{ordered_start.date()}: {money_text(ordered_line, code)} from the term start"
            )
        return self.finding(QuoteCheckKind.LINE, category, quoted, billed, evidence), quoted_line

    def finding(
        self,
        kind: QuoteCheckKind,
        category: str,
        quoted: Decimal | None,
        billed: Decimal | None,
        evidence: str,
        jurisdiction_id: str | None = None,
    ) -> QuoteDifference:
        return self.instance.finding(
            kind,
            category,
            quoted=quoted,
            billed=billed,
            evidence=evidence,
            invoice_no=self.invoice.bill_no,
            line_id=self.line.id,
            charge_type=self.line.charge_type.value,
            jurisdiction_id=jurisdiction_id,
        )


def coverage_text(line: AppliedBillingRate) -> str:
    """A line's period coverage for evidence: a day for a one-off charge, else [start, end)."""
    if line.period_start == line.period_end:
        return f"{line.period_start.date()}"
    return f"[{line.period_start.date()}, {line.period_end.date()})"
