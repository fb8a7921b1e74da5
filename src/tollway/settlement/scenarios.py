"""The two partner deals of issue 7, as pure builders for the demo, the docs and the tests.

1. `reciprocal_deal`: Northwind Fiber (an operator) sells network capacity to Stratus Cloud while
   buying Stratus's cloud services to replace its own data centres; twelve monthly periods of 2025
   settled net. Stratus's April invoice carries a disputed egress overage, withheld in April and
   released (in part) when the dispute is resolved in June. `project_reciprocal` nets the twelve
   months and states the projected savings.
2. `milestone_revenue_share`: Northwind pays Orbital Direct (a satellite direct-to-cell partner)
   20 % of its direct-to-cell revenue (net of tax and credits) until the milestone "one million
   direct-to-cell subscribers"; the licences are exclusive until 2032-12-31 and Northwind's equity
   stake in Orbital is recorded on the agreement. The milestone occurs on 2025-06-15: only revenue
   served before it is shared, nothing after. `settle_revenue_share` settles the months in order.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from tollway.billing import ChargeType
from tollway.money import currency
from tollway.periods import BillingPeriod, Cadence, periods_between
from tollway.settlement.core import (
    AccountingBasis,
    AgreementItem,
    AgreementStatus,
    AgreementVersion,
    Basis,
    Deduction,
    Dispute,
    DisputeResolution,
    EndsOnMilestone,
    EngagedParty,
    EquityStake,
    FlatShare,
    LicenceExclusivity,
    MilestoneEvent,
    NettingScope,
    NettingStatement,
    NettingTerms,
    PartnerAgreement,
    PartnerCharge,
    PartnerTerms,
    PartyRole,
    Receivable,
    RevenueLine,
    RevenueShareModel,
    Scope,
    SettlementHistory,
    SettlementStatement,
    ShareItem,
    TermOrCondition,
    net,
    settle,
)

USD = currency("USD")
NORTHWIND = EngagedParty("OP-NORTHWIND", "Northwind Fiber", PartyRole.OPERATOR)
STRATUS = EngagedParty("CP-STRATUS", "Stratus Cloud", PartyRole.PARTNER)
ORBITAL = EngagedParty("SAT-ORBITAL", "Orbital Direct", PartyRole.PARTNER)
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2026, 1, 1, tzinfo=UTC)
MONTHS_PER_YEAR = 12

CAPACITY_LINES = (
    ("L1", "400G wavelengths, 24 routes", Decimal("2450000.00")),
    ("L2", "Dark fibre IRU, 1,800 route-miles", Decimal("1300000.00")),
    ("L3", "Colocation and cross-connects", Decimal("250000.00")),
)
"""What Northwind bills Stratus every month (network capacity), tax included: 4,000,000.00."""
CLOUD_LINES = (
    ("C1", "Compute reserved instances", Decimal("1950000.00")),
    ("C2", "Object storage and egress", Decimal("650000.00")),
)
"""What Stratus bills Northwind every month (cloud services), tax included: 2,600,000.00."""
BASELINE_COST_PER_MONTH = Decimal("4400000.00")
"""Northwind's own cost of running the workloads the cloud services replace (data centres,
hardware refresh, power, staff): the cost avoided by the deal."""
EGRESS_OVERAGE = Decimal("180000.00")
EGRESS_ACCEPTED = Decimal("60000.00")


@dataclass(frozen=True, slots=True)
class ReciprocalScenario:
    agreement: PartnerAgreement
    periods: tuple[BillingPeriod, ...]
    receivables: tuple[Receivable, ...]
    payables: tuple[PartnerCharge, ...]
    baseline_cost_per_month: Decimal


@dataclass(frozen=True, slots=True)
class ReciprocalProjection:
    """Twelve months netted, and what the deal saves.

    `projected_savings` = what Northwind's own infrastructure would have cost over the months
    (`baseline_cost`) - the cloud charges it owes Stratus instead (`cloud_charges`: payables net of
    the parts still withheld or cancelled in disputes). `cash_movement_avoided` = the cash that
    would move if both sides paid gross - the cash that moves when settled net.
    """

    statements: tuple[NettingStatement, ...]
    capacity_revenue: Decimal
    cloud_charges: Decimal
    baseline_cost: Decimal
    projected_savings: Decimal
    gross_cash_flows: Decimal
    net_cash_flows: Decimal
    cash_movement_avoided: Decimal


def _months(start: datetime, end: datetime) -> tuple[BillingPeriod, ...]:
    return periods_between(start=start, end=end, cadence=Cadence.MONTHLY, time_zone=UTC)


def reciprocal_agreement() -> PartnerAgreement:
    """Northwind ↔ Stratus: capacity sold, cloud services bought, netted monthly in USD."""
    terms = PartnerTerms(
        netting=NettingTerms(
            scope=NettingScope(frozenset({"network_capacity", "cloud_services"})), currency=USD
        )
    )
    items = (
        AgreementItem("capacity", "Network capacity sold to Stratus", ("OFF-WAVE-400G", "OFF-IRU")),
        AgreementItem("cloud", "Cloud services bought from Stratus", ("STRATUS-COMPUTE",)),
    )
    version = AgreementVersion(1, YEAR_START, items, terms, None, "signed")
    return PartnerAgreement(
        id="AG-RECIPROCAL-2025",
        name="Capacity for cloud: Northwind and Stratus",
        agreement_type="reciprocal",
        operator=NORTHWIND,
        partner=STRATUS,
        start=YEAR_START,
        end=YEAR_END,
        status=AgreementStatus.IN_FORCE,
        versions=(version,),
    )


def reciprocal_deal() -> ReciprocalScenario:
    """Twelve months of invoices both ways, with April's disputed overage and one consulting
    invoice outside the netting scope (paid separately)."""
    receivables = []
    payables = []
    for month in range(1, MONTHS_PER_YEAR + 1):
        day = date(2025, month, 1)
        for line_id, description, amount in CAPACITY_LINES:
            receivables.append(
                Receivable(
                    f"NW-2025-{month:02d}",
                    line_id,
                    description,
                    "network_capacity",
                    amount,
                    USD,
                    day,
                )
            )
        for line_id, description, amount in CLOUD_LINES:
            payables.append(
                PartnerCharge(
                    f"ST-2025-{month:02d}", line_id, description, "cloud_services", amount, USD, day
                )
            )
    payables.append(_disputed_overage())
    payables.append(
        PartnerCharge(
            "ST-PS-0007", "P1", "Migration consulting", "consulting", Decimal("85000.00"), USD,
            date(2025, 2, 14),
        )
    )  # fmt: skip
    return ReciprocalScenario(
        agreement=reciprocal_agreement(),
        periods=_months(YEAR_START, YEAR_END),
        receivables=tuple(receivables),
        payables=tuple(payables),
        baseline_cost_per_month=BASELINE_COST_PER_MONTH,
    )


def _disputed_overage() -> PartnerCharge:
    resolution = DisputeResolution(date(2025, 6, 20), EGRESS_ACCEPTED, "metering fault proven")
    return PartnerCharge(
        partner_invoice_id="ST-2025-04",
        line_id="C3",
        description="Egress overage (disputed: metering fault)",
        category="cloud_services",
        amount=EGRESS_OVERAGE,
        currency=USD,
        charge_date=date(2025, 4, 1),
        dispute=Dispute("DSP-0042", EGRESS_OVERAGE, date(2025, 4, 9), resolution),
    )


def project_reciprocal(scenario: ReciprocalScenario) -> ReciprocalProjection:
    """Net every period of the scenario and project the savings over those months.

    >>> projection = project_reciprocal(reciprocal_deal())
    >>> projection.projected_savings, projection.projected_savings > Decimal("20000000")
    (Decimal('21540000.00'), True)
    """
    statements = tuple(
        net(scenario.receivables, scenario.payables, agreement=scenario.agreement, period=period)
        for period in scenario.periods
    )
    capacity = sum((each.receivables - each.withheld_receivable for each in statements), Decimal(0))
    cloud = sum((each.payables - each.withheld_payable for each in statements), Decimal(0))
    baseline = scenario.baseline_cost_per_month * len(scenario.periods)
    moved_net = sum((each.net_amount for each in statements), Decimal(0))
    return ReciprocalProjection(
        statements=statements,
        capacity_revenue=capacity,
        cloud_charges=cloud,
        baseline_cost=baseline,
        projected_savings=baseline - cloud,
        gross_cash_flows=capacity + cloud,
        net_cash_flows=moved_net,
        cash_movement_avoided=capacity + cloud - moved_net,
    )


D2C_MILESTONE = "one-million-d2c-subscribers"
D2C_OFFERINGS = frozenset({"OFF-D2C-MESSAGING", "OFF-D2C-DATA"})
D2C_MONTHLY_LINES = (
    ("BA-FLEET-1", "OFF-D2C-MESSAGING", "Direct-to-cell messaging, fleet plan", Decimal("310000.00")),
    ("BA-MARITIME-7", "OFF-D2C-DATA", "Direct-to-cell data, maritime plan", Decimal("620000.00")),
    ("BA-FLEET-1", "OFF-VOICE-PRI", "PRI voice trunks (not direct-to-cell)", Decimal("45000.00")),
)  # fmt: skip
"""Billed every month on the 1st for that month's service; 8 % tax on top."""
TAX_PERCENT = Decimal(8)


@dataclass(frozen=True, slots=True)
class RevenueShareScenario:
    agreement: PartnerAgreement
    model: RevenueShareModel
    periods: tuple[BillingPeriod, ...]
    revenue_lines: tuple[RevenueLine, ...]
    milestones: tuple[MilestoneEvent, ...]
    accounting_basis: AccountingBasis


def milestone_model() -> RevenueShareModel:
    """20 % of direct-to-cell revenue, net of tax and credits, until the subscriber milestone."""
    item = ShareItem(
        id="d2c-20",
        name="20 % of direct-to-cell revenue until one million subscribers",
        rate=FlatShare(Decimal(20)),
        scope=Scope(offering_ids=D2C_OFFERINGS),
        ends=(EndsOnMilestone(D2C_MILESTONE),),
    )
    return RevenueShareModel(
        id="RS-D2C-20",
        name="Orbital direct-to-cell revenue share",
        currency=USD,
        basis=Basis.net_of(Deduction.TAX, Deduction.CREDITS),
        items=(item,),
    )


def milestone_agreement() -> PartnerAgreement:
    """Northwind ↔ Orbital: the revenue share, the exclusive licences and the equity stake."""
    terms = PartnerTerms(
        equity_stakes=(
            EquityStake(NORTHWIND.id, ORBITAL.id, Decimal("6.5"), acquired_on=date(2024, 11, 4)),
        ),
        exclusivity=LicenceExclusivity(
            licences=("d2c-spectrum-lease-L-band", "orbital-d2c-brand"),
            territory="US",
            exclusive_until=date(2032, 12, 31),
        ),
    )
    item = AgreementItem(
        "d2c",
        "Direct-to-cell services sold by Northwind on Orbital's network",
        tuple(sorted(D2C_OFFERINGS)),
        (
            TermOrCondition(
                "payout-end",
                "No revenue-share payouts for revenue served after the milestone",
            ),
        ),
    )
    version = AgreementVersion(1, YEAR_START, (item,), terms, "RS-D2C-20", "signed")
    return PartnerAgreement(
        id="AG-D2C-2025",
        name="Direct-to-cell licence and revenue share: Northwind and Orbital",
        agreement_type="revenueShare",
        operator=NORTHWIND,
        partner=ORBITAL,
        start=YEAR_START,
        end=datetime(2033, 1, 1, tzinfo=UTC),
        status=AgreementStatus.IN_FORCE,
        versions=(version,),
    )


def milestone_revenue_share() -> RevenueShareScenario:
    """January to August 2025; the milestone occurs 2025-06-15 00:00 UTC, recorded three days
    later."""
    periods = _months(YEAR_START, datetime(2025, 9, 1, tzinfo=UTC))
    lines = [
        _monthly_line(period, index, entry)
        for period in periods
        for index, entry in enumerate(D2C_MONTHLY_LINES, start=1)
    ]
    milestone = MilestoneEvent(
        agreement_id="AG-D2C-2025",
        name=D2C_MILESTONE,
        occurred_at=datetime(2025, 6, 15, tzinfo=UTC),
        recorded_at=datetime(2025, 6, 18, 9, 30, tzinfo=UTC),
    )
    return RevenueShareScenario(
        agreement=milestone_agreement(),
        model=milestone_model(),
        periods=periods,
        revenue_lines=tuple(lines),
        milestones=(milestone,),
        accounting_basis=AccountingBasis.ACCRUAL,
    )


def _monthly_line(
    period: BillingPeriod, index: int, entry: tuple[str, str, str, Decimal]
) -> RevenueLine:
    account, offering, description, amount = entry
    month = period.start.month
    return RevenueLine(
        bill_id=f"bill-{account}-2025-{month:02d}",
        bill_no=f"NW-{account[3:]}-2025-{month:02d}",
        line_id=f"L{index}",
        billing_account_id=account,
        charge_type=ChargeType.RECURRING,
        service_start=period.start,
        service_end=period.end,
        bill_date=period.start.date(),
        amount=amount,
        tax_amount=(amount * TAX_PERCENT / 100).quantize(USD.minor_unit),
        currency=USD,
        offering_id=offering,
        description=description,
    )


def settle_revenue_share(scenario: RevenueShareScenario) -> tuple[SettlementStatement, ...]:
    """Settle the scenario's months in order, each reading the statements before it.

    >>> statements = settle_revenue_share(milestone_revenue_share())
    >>> [str(each.total_payable) for each in statements]
    ['186000.00', '186000.00', '186000.00', '186000.00', '186000.00', '86800.00', '0.00', '0.00']
    """
    history = SettlementHistory(scenario.agreement.id)
    for period in scenario.periods:
        statement = settle(
            scenario.agreement,
            scenario.model,
            scenario.revenue_lines,
            period=period,
            accounting_basis=scenario.accounting_basis,
            history=history,
            milestones=scenario.milestones,
        )
        history = history.then(statement)
    return history.statements
