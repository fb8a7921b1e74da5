"""Small builders for settlement tests: an agreement, a model, revenue lines, months of 2025.

Everything is in UTC and in 2025 unless a test says otherwise; amounts are strings written out in
the tests.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from tollway.billing import ChargeType
from tollway.money import Currency, RoundingMode, currency
from tollway.periods import BillingPeriod, Cadence, period_containing
from tollway.settlement import (
    AccountingBasis,
    AgreementStatus,
    AgreementVersion,
    Basis,
    Deduction,
    EngagedParty,
    MilestoneEvent,
    NettingScope,
    NettingTerms,
    PartnerAgreement,
    PartnerTerms,
    PartyRole,
    RevenueLine,
    RevenueShareModel,
    SettlementHistory,
    SettlementStatement,
    ShareItem,
    settle,
)

USD = currency("USD")
JPY = currency("JPY")
EUR = currency("EUR")
OPERATOR = EngagedParty("OP", "Operator", PartyRole.OPERATOR)
PARTNER = EngagedParty("PT", "Partner", PartyRole.PARTNER)
NET_OF_TAX_AND_CREDITS = Basis.net_of(Deduction.TAX, Deduction.CREDITS)


def at(month: int, day: int = 1, hour: int = 0, *, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def month(number: int, *, year: int = 2025) -> BillingPeriod:
    return period_containing(at(number, year=year), cadence=Cadence.MONTHLY, time_zone=UTC)


def agreement(
    *versions: AgreementVersion,
    status: AgreementStatus = AgreementStatus.IN_FORCE,
    end: datetime | None = None,
    netting_currency: Currency = USD,
    start: datetime | None = None,
) -> PartnerAgreement:
    netting = NettingTerms(NettingScope(frozenset({"capacity", "cloud"})), netting_currency)
    chosen = versions or (
        AgreementVersion(
            1, at(1), terms=PartnerTerms(netting=netting), revenue_share_model_id="RS-1"
        ),
    )
    return PartnerAgreement(
        id="AG-1",
        name="Test deal",
        agreement_type="revenueShare",
        operator=OPERATOR,
        partner=PARTNER,
        start=start or at(1),
        end=end,
        status=status,
        versions=chosen,
    )


def model(
    *items: ShareItem,
    basis: Basis = NET_OF_TAX_AND_CREDITS,
    in_currency: Currency = USD,
    rounding_mode: RoundingMode = RoundingMode.HALF_UP,
    model_id: str = "RS-1",
) -> RevenueShareModel:
    return RevenueShareModel(model_id, "Test model", in_currency, basis, items, rounding_mode)


def line(
    bill_no: str,
    amount: str,
    *,
    line_id: str = "L1",
    tax: str = "0",
    billed: date | None = None,
    service: tuple[datetime, datetime] | None = None,
    offering: str | None = "OFF-A",
    in_currency: Currency = USD,
    credits: tuple[str, str] | None = None,
    paid_on: date | None = None,
    written_off: str = "0",
    written_off_on: date | None = None,
    charge_type: ChargeType = ChargeType.RECURRING,
) -> RevenueLine:
    """A revenue line billed on `billed` (default: Jan 1) for `service` (default: January)."""
    bill_date = billed or date(2025, 1, 1)
    start, end = service or (at(bill_date.month), month(bill_date.month).end)
    return RevenueLine(
        bill_id=f"id-{bill_no}",
        bill_no=bill_no,
        line_id=line_id,
        billing_account_id="BA-1",
        charge_type=charge_type,
        service_start=start,
        service_end=end,
        bill_date=bill_date,
        amount=Decimal(amount),
        tax_amount=Decimal(tax),
        currency=in_currency,
        offering_id=offering,
        credited_from_bill_no=credits[0] if credits else None,
        credited_line_id=credits[1] if credits else None,
        paid_on=paid_on,
        written_off_amount=Decimal(written_off),
        written_off_on=written_off_on,
    )


def settle_months(
    deal: PartnerAgreement,
    share_model: RevenueShareModel,
    lines: Sequence[RevenueLine],
    months: Sequence[int],
    *,
    milestones: Sequence[MilestoneEvent] = (),
    basis: AccountingBasis = AccountingBasis.ACCRUAL,
) -> list[SettlementStatement]:
    """Settle the given months of 2025 in order, each reading the ones before."""
    history = SettlementHistory(deal.id)
    for number in months:
        statement = settle(
            deal,
            share_model,
            lines,
            period=month(number),
            accounting_basis=basis,
            history=history,
            milestones=milestones,
        )
        history = history.then(statement)
    return list(history.statements)


def shares(statement: SettlementStatement, item_id: str) -> list[tuple[str, str, int | None, str]]:
    """(bill, basis, band, share) of an item's share lines, amounts as strings."""
    return [
        (each.bill_no, str(each.basis), each.band, str(each.share))
        for each in statement.item(item_id).share_lines
    ]


def adjustments(statement: SettlementStatement, item_id: str) -> list[tuple[str, str]]:
    return [(each.kind.value, str(each.amount)) for each in statement.item(item_id).adjustments]
