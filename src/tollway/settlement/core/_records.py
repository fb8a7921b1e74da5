"""The records settlement reads: revenue lines from issued bills, milestones, and the two sides
of a reciprocal deal (our receivables, the partner's charges) with their disputes.

The app layer builds these from issued bills and imported partner invoices; amounts are exact
Decimals in whole minor units of their currency.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from tollway.billing import ChargeType
from tollway.money import Currency
from tollway.settlement.core._checks import (
    require_aware,
    require_not_negative,
    require_whole_minor,
)
from tollway.settlement.core._errors import SettlementInputError

LineKey = tuple[str, str]
"""A revenue line's identity: (bill number, line id)."""


@dataclass(frozen=True, slots=True)
class RevenueLine:
    """One line of an issued bill (or credit note), as settlement sees it.

    `amount` excludes tax; `tax_amount` is the billed tax on it. A credit-note line has a negative
    amount and names the line it credits (`credited_from_bill_no`, `credited_line_id`). `paid_on`
    is when the customer paid it (cash basis). `written_off_amount` / `written_off_tax_amount` are
    the parts written off as bad debt on `written_off_on`. The service period [service_start,
    service_end) places the revenue in time; an empty period is an instant (a one-time charge).
    """

    bill_id: str
    bill_no: str
    line_id: str
    billing_account_id: str
    charge_type: ChargeType
    service_start: datetime
    service_end: datetime
    bill_date: date
    amount: Decimal
    tax_amount: Decimal
    currency: Currency
    product_id: str | None = None
    offering_id: str | None = None
    product_type: str | None = None
    usage_type: str | None = None
    credited_from_bill_no: str | None = None
    credited_line_id: str | None = None
    paid_on: date | None = None
    written_off_amount: Decimal = Decimal(0)
    written_off_tax_amount: Decimal = Decimal(0)
    written_off_on: date | None = None
    description: str = ""

    def __post_init__(self) -> None:
        record = self.label
        require_aware(self.service_start, record=record, field="service_start")
        require_aware(self.service_end, record=record, field="service_end")
        if self.service_end < self.service_start:
            raise SettlementInputError(record, "service_end", "is before service_start")
        for name in ("amount", "tax_amount", "written_off_amount", "written_off_tax_amount"):
            require_whole_minor(getattr(self, name), self.currency, record=record, field=name)
        self._check_credit(record)
        self._check_write_off(record)

    def _check_credit(self, record: str) -> None:
        if (self.credited_from_bill_no is None) != (self.credited_line_id is None):
            raise SettlementInputError(
                record, "credited_line_id", "a credit-note line names both the bill and the line"
            )
        if self.is_credit and (self.amount > 0 or self.tax_amount > 0):
            raise SettlementInputError(record, "amount", "a credit-note line is not positive")

    def _check_write_off(self, record: str) -> None:
        written_off = self.written_off_amount or self.written_off_tax_amount
        if written_off and self.written_off_on is None:
            raise SettlementInputError(record, "written_off_on", "a write-off needs its date")
        for part, whole in (
            ("written_off_amount", self.amount),
            ("written_off_tax_amount", self.tax_amount),
        ):
            value = getattr(self, part)
            require_not_negative(value, record=record, field=part)
            if value > max(whole, Decimal(0)):
                raise SettlementInputError(record, part, f"{value} is more than billed {whole}")

    @property
    def key(self) -> LineKey:
        return (self.bill_no, self.line_id)

    @property
    def label(self) -> str:
        return f"revenue line {self.bill_no}/{self.line_id}"

    @property
    def is_credit(self) -> bool:
        return self.credited_from_bill_no is not None

    @property
    def credited_key(self) -> LineKey | None:
        if self.credited_from_bill_no is None or self.credited_line_id is None:
            return None
        return (self.credited_from_bill_no, self.credited_line_id)


@dataclass(frozen=True, slots=True)
class MilestoneEvent:
    """A milestone of an agreement: when it occurred and when it was recorded (possibly later)."""

    agreement_id: str
    name: str
    occurred_at: datetime
    recorded_at: datetime

    def __post_init__(self) -> None:
        record = f"milestone {self.name!r} of agreement {self.agreement_id}"
        require_aware(self.occurred_at, record=record, field="occurred_at")
        require_aware(self.recorded_at, record=record, field="recorded_at")
        if self.recorded_at < self.occurred_at:
            raise SettlementInputError(record, "recorded_at", "is before the milestone occurred")


@dataclass(frozen=True, slots=True)
class DisputeResolution:
    """How a dispute ended: of the disputed amount, `accepted_amount` stands and is due."""

    resolved_on: date
    accepted_amount: Decimal
    note: str = ""


@dataclass(frozen=True, slots=True)
class Dispute:
    """A dispute over part of an invoice line; withheld from netting until resolved."""

    id: str
    amount: Decimal
    raised_on: date
    resolution: DisputeResolution | None = None

    def resolved_before(self, day: date) -> bool:
        """Whether the dispute was resolved on a day before `day`."""
        return self.resolution is not None and self.resolution.resolved_on < day


def _check_dispute(
    dispute: Dispute | None, amount: Decimal, currency: Currency, record: str
) -> None:
    if dispute is None:
        return
    require_whole_minor(dispute.amount, currency, record=record, field="dispute.amount")
    if not Decimal(0) < dispute.amount <= amount:
        raise SettlementInputError(
            record, "dispute.amount", f"{dispute.amount} is not a part of the line's {amount}"
        )
    resolution = dispute.resolution
    if resolution is None:
        return
    accepted = resolution.accepted_amount
    require_whole_minor(accepted, currency, record=record, field="dispute.accepted_amount")
    if not Decimal(0) <= accepted <= dispute.amount:
        raise SettlementInputError(
            record, "dispute.accepted_amount", f"{accepted} is not within the disputed amount"
        )
    if resolution.resolved_on < dispute.raised_on:
        raise SettlementInputError(record, "dispute.resolved_on", "is before it was raised")


@dataclass(frozen=True, slots=True)
class PartnerCharge:
    """A line of the partner's invoice to us (a payable), imported; tax included."""

    partner_invoice_id: str
    line_id: str
    description: str
    category: str
    amount: Decimal
    currency: Currency
    charge_date: date
    dispute: Dispute | None = None

    def __post_init__(self) -> None:
        record = f"partner charge {self.partner_invoice_id}/{self.line_id}"
        require_whole_minor(self.amount, self.currency, record=record, field="amount")
        _check_dispute(self.dispute, self.amount, self.currency, record)

    @property
    def document_id(self) -> str:
        return self.partner_invoice_id

    @property
    def entry_date(self) -> date:
        return self.charge_date


@dataclass(frozen=True, slots=True)
class Receivable:
    """A line of our invoice to the partner (a receivable); tax included."""

    bill_no: str
    line_id: str
    description: str
    category: str
    amount: Decimal
    currency: Currency
    bill_date: date
    dispute: Dispute | None = None

    def __post_init__(self) -> None:
        record = f"receivable {self.bill_no}/{self.line_id}"
        require_whole_minor(self.amount, self.currency, record=record, field="amount")
        _check_dispute(self.dispute, self.amount, self.currency, record)

    @classmethod
    def of_revenue_line(
        cls, line: RevenueLine, *, category: str, dispute: Dispute | None = None
    ) -> "Receivable":
        """The amount due on one of our bill lines to the partner (amount plus tax)."""
        return cls(
            bill_no=line.bill_no,
            line_id=line.line_id,
            description=line.description,
            category=category,
            amount=line.amount + line.tax_amount,
            currency=line.currency,
            bill_date=line.bill_date,
            dispute=dispute,
        )

    @property
    def document_id(self) -> str:
        return self.bill_no

    @property
    def entry_date(self) -> date:
        return self.bill_date
