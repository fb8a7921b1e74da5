"""What settlement reads from the workspace: revenue lines and receivables from ISSUED bills.

- A `RevenueLine` per line of an issued bill or credit note (void bills are not revenue). The
  offering is the one the line's price belongs to (else the product's), the product type that
  offering's family in the stored catalog, the usage type its price's. A credit-note line names
  the bill and line it credits (`credit_note_for` makes its id the credited line's id + "-cn"). A
  credit-note line that adds revenue back (it reverses a discount or a credit) is an ordinary
  line when the basis is net of credits, and is left out under a gross basis, like the credits it
  goes with. `paid_on` is None: tollway records no payments yet, so under the cash basis no line
  is recognised. Nothing is written off as bad debt.
- A `Receivable` per line of our issued bills to the partner's billing accounts (the accounts of
  the partner's party); its netting category is the line's product type, else its charge type.
- Recognition in the workspace: a period takes the lines dated in it, plus the lines dated in an
  earlier, already settled period that no statement took (issued late, e.g. a credit note dated
  back to its invoice's date), recognised on the period's first day. Re-running a settled period
  takes exactly the lines its statement took, so it gives the stored statement again.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Final, TypeVar

from tollway.billing import AppliedBillingRate, BillCategory, BillingInputs, CustomerBill
from tollway.settlement.core import (
    Deduction,
    Dispute,
    NettingStatement,
    PartnerCharge,
    Receivable,
    RevenueLine,
    RevenueShareModel,
    SettlementStatement,
    Side,
)

CREDIT_NOTE_LINE_SUFFIX: Final = "-cn"
"""What `tollway.billing.credit_note_for` appends to a credited line's id."""

_Entry = TypeVar("_Entry")


@dataclass(frozen=True, slots=True)
class CatalogIndex:
    """What the stored world says about a bill line: its offering, product type and usage type."""

    offering_of_price: Mapping[str, str]
    usage_type_of_price: Mapping[str, str]
    offering_of_product: Mapping[str, str]
    type_of_offering: Mapping[str, str]

    @classmethod
    def of(cls, world: BillingInputs) -> "CatalogIndex":
        offerings = world.catalog.offerings.values()
        prices = [price for offering in offerings for price in offering.prices]
        return cls(
            offering_of_price={price.id: price.offering_id for price in prices},
            usage_type_of_price={
                price.id: price.usage_type for price in prices if price.usage_type is not None
            },
            offering_of_product={
                product.id: product.offering_id for product in world.products.values()
            },
            type_of_offering={offering.id: offering.product_type for offering in offerings},
        )

    def offering_of(self, line: AppliedBillingRate) -> str | None:
        if line.price_id is not None and line.price_id in self.offering_of_price:
            return self.offering_of_price[line.price_id]
        if line.product_id is not None:
            return self.offering_of_product.get(line.product_id)
        return None


def revenue_line(bill: CustomerBill, line: AppliedBillingRate, index: CatalogIndex) -> RevenueLine:
    """The revenue line of one line of an issued bill. A credit-note line credits the line it
    reverses, unless it adds revenue back (see `revenue_lines`)."""
    assert bill.bill_no is not None, f"{bill.id} is not issued"
    credits = bill.category is BillCategory.CREDIT_NOTE and not adds_back(bill, line)
    offering = index.offering_of(line)
    return RevenueLine(
        bill_id=bill.id,
        bill_no=bill.bill_no,
        line_id=line.id,
        billing_account_id=line.billing_account_id,
        charge_type=line.charge_type,
        service_start=line.period_start,
        service_end=line.period_end,
        bill_date=bill.bill_date,
        amount=line.amount.amount,
        # Adding a zero of the currency's decimals shows them (0 → 0.00) and never rounds.
        tax_amount=line.tax_amount.amount + Decimal(0).quantize(bill.currency.minor_unit),
        currency=bill.currency,
        product_id=line.product_id,
        offering_id=offering,
        product_type=None if offering is None else index.type_of_offering.get(offering),
        usage_type=None if line.price_id is None else index.usage_type_of_price.get(line.price_id),
        credited_from_bill_no=line.related_bill_no if credits else None,
        credited_line_id=line.id.removesuffix(CREDIT_NOTE_LINE_SUFFIX) if credits else None,
        description=line.name,
    )


def adds_back(bill: CustomerBill, line: AppliedBillingRate) -> bool:
    """A credit-note line reversing a discount or credit: it adds revenue back."""
    positive = line.amount.amount > 0 or line.tax_amount.amount > 0
    return bill.category is BillCategory.CREDIT_NOTE and positive


def revenue_lines(
    bills: Iterable[CustomerBill], index: CatalogIndex, model: RevenueShareModel
) -> tuple[RevenueLine, ...]:
    """The revenue lines of issued bills that some item of `model` has in scope."""
    found = []
    deducts_credits = model.basis.deducts(Deduction.CREDITS)
    for bill in bills:
        for line in bill.lines:
            if adds_back(bill, line) and not deducts_credits:
                continue
            built = revenue_line(bill, line, index)
            if any(item.scope.matches(built) for item in model.items):
                found.append(built)
    return tuple(found)


def netting_category(line: RevenueLine) -> str:
    """The category a receivable is netted under: its product type, else its charge type."""
    return line.product_type or line.charge_type.value


def receivables(
    bills: Iterable[CustomerBill], index: CatalogIndex, disputes: Mapping[tuple[str, str], Dispute]
) -> tuple[Receivable, ...]:
    """Our issued bills' lines to the partner as receivables, each with its dispute (by bill
    number and line id)."""
    found = []
    for bill in bills:
        for line in bill.lines:
            built = revenue_line(bill, line, index)
            found.append(
                Receivable.of_revenue_line(
                    built, category=netting_category(built), dispute=disputes.get(built.key)
                )
            )
    return tuple(found)


def citation(document_id: str, line_id: str) -> str:
    """How statements cite a line: `document/line` (a clawback's source reads the same)."""
    return f"{document_id}/{line_id}"


def cited_by_statement(statement: SettlementStatement) -> frozenset[str]:
    """Every revenue line a statement took: shared, clawed back from or for, or not shared."""
    found = {citation(line.bill_no, line.line_id) for line in statement.excluded}
    for item in statement.items:
        found.update(citation(line.bill_no, line.line_id) for line in item.share_lines)
        found.update(line.source for line in item.adjustments if line.source)
    return frozenset(found)


def cited_by_netting(statement: NettingStatement) -> frozenset[str]:
    """Every entry a netting statement took, as `side:document/line`."""
    found = {
        f"{line.side.value}:{citation(line.document_id, line.line_id)}" for line in statement.lines
    }
    found.update(
        f"{entry.side.value}:{citation(entry.document_id, entry.line_id)}"
        for entry in statement.excluded
    )
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Recognition:
    """Which dated entries a period takes, in the workspace (see the module docstring).

    `first`, `end`: the period's local dates [first, end); `settled_from`: the first day of the
    first settled period (None: nothing settled yet); `cited_before`: what statements before the
    period took; `cited_now`: what the period's own statement took, when re-running it.
    """

    first: date
    end: date
    settled_from: date | None
    cited_before: frozenset[str]
    cited_now: frozenset[str] | None = None

    def select(
        self,
        entries: Sequence[_Entry],
        *,
        cited_as: Callable[[_Entry], str],
        dated: Callable[[_Entry], date],
        redated: Callable[[_Entry, date], _Entry],
        keep_others: bool,
    ) -> list[_Entry]:
        """The entries the period takes (late ones redated to its first day); with
        `keep_others` every other entry too, as it is (netting releases earlier disputes)."""
        found = []
        for entry in entries:
            day, cited = dated(entry), cited_as(entry)
            late = (
                self.settled_from is not None
                and self.settled_from <= day < self.first
                and cited not in self.cited_before
            )
            if not (late or self.first <= day < self.end):
                if keep_others:
                    found.append(entry)
                continue
            if self.cited_now is not None and cited not in self.cited_now:
                continue
            found.append(redated(entry, self.first) if late else entry)
        return found


def revenue_in_period(lines: Sequence[RevenueLine], recognition: Recognition) -> list[RevenueLine]:
    return recognition.select(
        lines,
        cited_as=lambda line: citation(line.bill_no, line.line_id),
        dated=lambda line: line.bill_date,
        redated=lambda line, day: replace(line, bill_date=day),
        keep_others=False,
    )


def receivables_in_period(
    entries: Sequence[Receivable], recognition: Recognition
) -> list[Receivable]:
    return recognition.select(
        entries,
        cited_as=lambda entry: f"{Side.RECEIVABLE.value}:{citation(entry.bill_no, entry.line_id)}",
        dated=lambda entry: entry.bill_date,
        redated=lambda entry, day: replace(entry, bill_date=day),
        keep_others=True,
    )


def payables_in_period(
    entries: Sequence[PartnerCharge], recognition: Recognition
) -> list[PartnerCharge]:
    return recognition.select(
        entries,
        cited_as=lambda entry: (
            f"{Side.PAYABLE.value}:{citation(entry.partner_invoice_id, entry.line_id)}"
        ),
        dated=lambda entry: entry.charge_date,
        redated=lambda entry, day: replace(entry, charge_date=day),
        keep_others=True,
    )
