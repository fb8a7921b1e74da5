"""Bills and their lines, shaped like TMF678 `customerBill` and `appliedCustomerBillingRate`."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tollway.money import MONEY_CONTEXT, Currency, Money, sum_money
from tollway.pricing import BreakdownLine


class ChargeType(StrEnum):
    """What a line charges for; maps onto TMF678 appliedBillingRateType."""

    RECURRING = "recurring"
    ONE_TIME = "one_time"
    USAGE = "usage"
    DISCOUNT = "discount"
    """Bundle and contract discounts (negative)."""
    PENALTY = "penalty"
    """Commitment shortfalls and early-termination charges (appliedPenaltyCharge)."""
    CREDIT = "credit"
    """Manual credits and credits for unused prepaid time (appliedBillingCredit; negative)."""
    ADJUSTMENT = "adjustment"
    """Re-rating corrections of lines on earlier, issued bills (positive or negative)."""

    @property
    def tmf_rate_type(self) -> str:
        if self in (ChargeType.CREDIT, ChargeType.DISCOUNT):
            return "appliedBillingCredit"
        if self is ChargeType.PENALTY:
            return "appliedPenaltyCharge"
        return "appliedBillingCharge"


class BillState(StrEnum):
    """draft → issued → void. Only drafts change; an issued bill is corrected by a credit note."""

    DRAFT = "draft"
    ISSUED = "issued"
    VOID = "void"


class BillCategory(StrEnum):
    NORMAL = "normal"
    CREDIT_NOTE = "creditNote"


class TaxTreatment(StrEnum):
    """Who bears a computed tax, and whether it is on the customer's bill total."""

    BILLED = "billed"
    """Charged to the customer: counted in the line's and the bill's tax amount."""
    COMPLIANCE_ONLY = "compliance_only"
    """Computed and reported for filing, not charged on this bill."""
    CARRIER_ABSORBED = "carrier_absorbed"
    """Owed by the operator itself: filed and paid, never passed through to the customer."""
    EXEMPT = "exempt"
    """Would apply but an exemption certificate covers it; `tax_amount` is the amount exempted."""


@dataclass(frozen=True, slots=True)
class AppliedTax:
    """A tax on one line (TMF678 `appliedTax`).

    `tax_category` is the tax type (e.g. "federal_usf", "state_sales", "e911"). Only BILLED taxes
    count towards the customer's total; the others are kept on the line as evidence and for the
    compliance export. `tax_rate` is the rate applied to `taxable_amount` (for fixed or per-unit
    taxes, the amount per unit and `units` the count it was applied to).
    """

    tax_category: str
    jurisdiction_id: str
    tax_rate: Decimal
    taxable_amount: Money
    tax_amount: Money
    jurisdiction_level: str = ""
    """federal, state, county, city or unincorporated."""
    name: str = ""
    """The tax's printed name, e.g. "Federal Universal Service Fund"."""
    rule_id: str | None = None
    """The rate-table row that produced this tax (evidence for disputes and reconciliation)."""
    treatment: TaxTreatment = TaxTreatment.BILLED
    calculation: str = "rate"
    """rate, fixed_per_invoice, per_line, per_minute, bracket (how `tax_amount` was computed)."""
    units: Decimal | None = None
    """For per-line / per-minute taxes: the lines or minutes taxed (after multipliers)."""
    exemption_certificate_id: str | None = None
    """For EXEMPT taxes: the certificate that exempted it."""

    @property
    def is_billed(self) -> bool:
        return self.treatment is TaxTreatment.BILLED


@dataclass(frozen=True, slots=True)
class TaxItem:
    """A bill-level tax total per category and rate (TMF678 `taxItem`)."""

    tax_category: str
    tax_rate: Decimal
    tax_amount: Money


def _total(amounts: list[Money], currency: Currency) -> Money:
    """`sum_money(amounts, currency)`, the same additions in the same order, without a `Money`
    per partial sum (a bill's totals add up every line); another currency is refused by
    `sum_money` itself, with its error."""
    total = Decimal(0)
    for found in amounts:
        if type(found) is not Money or found.currency != currency:
            return sum_money(amounts, currency)
        total = MONEY_CONTEXT.add(total, found.amount)
    return Money(total, currency)


class _LineTotals:
    """The slot where a line keeps its billed tax total, derived once from its (immutable) taxes.

    Not a dataclass field: it takes no part in equality, `replace` or `fields`. A copy made by
    pickling lacks it until first asked for."""

    __slots__ = ("_tax_amount",)
    _tax_amount: Money


class _BillTotals:
    """The slot where a bill keeps its totals, derived once from its (immutable) lines; as for
    `_LineTotals`, no dataclass field."""

    __slots__ = ("_totals",)
    _totals: tuple[Money, Money]


@dataclass(frozen=True, slots=True)
class AppliedBillingRate(_LineTotals):
    """One bill line (TMF678 `appliedCustomerBillingRate`), keyed by circuit, charge type and
    period coverage. `amount` is tax-excluded and rounded at the line's named rounding point;
    `precise_amount` is the exact value before that rounding."""

    id: str
    billing_account_id: str
    charge_type: ChargeType
    name: str
    period_start: datetime
    period_end: datetime
    quantity: Decimal
    amount: Money
    precise_amount: Decimal
    product_id: str | None = None
    circuit_id: str | None = None
    price_id: str | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    breakdown: tuple[BreakdownLine, ...] = ()
    taxes: tuple[AppliedTax, ...] = ()
    related_bill_no: str | None = None
    """For adjustments and credit-note lines: the issued bill being corrected."""
    tax_inclusive: bool = False
    """True when the price included tax: the tax step split the priced amount into this line's
    (tax-excluded) `amount` and its billed taxes, which add up to the priced amount."""

    def __post_init__(self) -> None:
        assert self.period_start <= self.period_end, f"{self.id}: period coverage is reversed"
        assert self.amount.is_rounded, f"{self.id}: a bill line's amount is rounded"

    @property
    def tax_amount(self) -> Money:
        """The BILLED taxes only: what the customer pays on top of `amount`."""
        try:
            return self._tax_amount
        except AttributeError:
            found = _total(
                [tax.tax_amount for tax in self.taxes if tax.is_billed], self.amount.currency
            )
            object.__setattr__(self, "_tax_amount", found)
            return found


@dataclass(frozen=True, slots=True)
class CustomerBill(_BillTotals):
    """A TMF678 `customerBill`: the invoice (or credit note) of one paying billing account.

    `billing_account_id` is the paying account; lines may belong to child accounts rolled up onto
    it (`consolidated_account_ids`). `bill_no` is assigned only when the bill is issued, from a
    gapless per-series sequence. The totals are derived from the lines and checked on creation.
    """

    id: str
    billing_account_id: str
    currency: Currency
    billing_period_start: datetime
    billing_period_end: datetime
    bill_date: date
    lines: tuple[AppliedBillingRate, ...]
    tax_items: tuple[TaxItem, ...] = ()
    state: BillState = BillState.DRAFT
    category: BillCategory = BillCategory.NORMAL
    bill_no: str | None = None
    consolidated_account_ids: tuple[str, ...] = ()
    related_bill_no: str | None = None
    payment_due_date: date | None = None
    run_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert all(line.amount.currency == self.currency for line in self.lines)
        assert (self.bill_no is None) == (self.state is BillState.DRAFT), (
            f"{self.id}: a bill number is given exactly when the bill is issued"
        )
        line_tax = self.tax_amount
        item_tax = sum_money([item.tax_amount for item in self.tax_items], self.currency)
        assert not self.tax_items or line_tax == item_tax, (
            f"{self.id}: tax items differ from line taxes"
        )

    def _derived_totals(self) -> tuple[Money, Money]:
        """(tax-excluded amount, billed tax amount), summed once: the lines never change."""
        try:
            return self._totals
        except AttributeError:
            found = (
                _total([line.amount for line in self.lines], self.currency),
                _total([line.tax_amount for line in self.lines], self.currency),
            )
            object.__setattr__(self, "_totals", found)
            return found

    @property
    def tax_excluded_amount(self) -> Money:
        return self._derived_totals()[0]

    @property
    def tax_amount(self) -> Money:
        return self._derived_totals()[1]

    @property
    def tax_included_amount(self) -> Money:
        return self.tax_excluded_amount + self.tax_amount

    @property
    def amount_due(self) -> Money:
        return self.tax_included_amount
