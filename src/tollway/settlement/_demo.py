"""The two deals of issue 7 run through a workspace database: stored, settled, netted, posted.

1. The reciprocal deal: Stratus's invoices are imported as partner charges, the April egress
   overage is disputed (withheld), twelve months are netted against Northwind's capacity invoices,
   the dispute is resolved in June (the accepted part released), and the savings are projected
   from the stored statements.
2. The revenue share: January to May are settled, then the milestone is declared (recorded
   2025-06-18, occurred 2025-06-15), then June to August; June shares only revenue served before
   the milestone. Re-running June changes nothing.
Both partners' settlement accounts show their balance history.
"""

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from tollway.settlement._charges_file import ChargeRow
from tollway.settlement._disputes import DisputedLine, raise_dispute, resolve_dispute
from tollway.settlement._ledger import render_account_text
from tollway.settlement._text import render_statement_text
from tollway.settlement._workspace import (
    account_history,
    net_period,
    record_milestone,
    settle_period,
    store_agreements,
    store_charges,
)
from tollway.settlement.core import (
    Dispute,
    NettingStatement,
    PartnerAgreement,
    PartnerCharge,
    Side,
)
from tollway.settlement.scenarios import (
    ORBITAL,
    STRATUS,
    ReciprocalScenario,
    milestone_revenue_share,
    project_reciprocal,
    reciprocal_deal,
)
from tollway.storage import Database

SOURCE = "tollway.settlement.scenarios"


def _amount(value: Decimal) -> str:
    return format(value, ",f")


def run_settlement_demo(database: Database) -> str:
    """Run both scenarios through `database` (migrated, holding no settlement data yet) and
    return what to print."""
    reciprocal = reciprocal_deal()
    share = milestone_revenue_share()
    store_agreements(
        database, (reciprocal.agreement, share.agreement), (share.model,), source=SOURCE
    )
    parts = [
        "Partner settlement demo (issue 7): both deals stored, settled and posted in the "
        "workspace database",
        "",
        *_reciprocal(database, reciprocal),
        "",
        *_revenue_share(database),
        "",
        render_account_text(STRATUS.id, account_history(database, STRATUS.id)).rstrip("\n"),
        "",
        render_account_text(ORBITAL.id, account_history(database, ORBITAL.id)).rstrip("\n"),
    ]
    return "\n".join(parts) + "\n"


def _disputed(charges: Sequence[PartnerCharge]) -> PartnerCharge:
    found = [charge for charge in charges if charge.dispute is not None]
    assert len(found) == 1, "the scenario disputes one charge"
    return found[0]


def _reciprocal(database: Database, scenario: ReciprocalScenario) -> list[str]:
    agreement = scenario.agreement
    rows = [
        ChargeRow(number, STRATUS.id, replace(charge, dispute=None))
        for number, charge in enumerate(scenario.payables, start=1)
    ]
    store_charges(database, rows, (), submitted=len(rows), source="stratus-invoices-2025")
    overage = _disputed(scenario.payables)
    dispute = overage.dispute
    assert dispute is not None and dispute.resolution is not None
    raise_dispute(
        database,
        dispute.id,
        DisputedLine(STRATUS.id, Side.PAYABLE, overage.partner_invoice_id, overage.line_id),
        amount=dispute.amount,
        raised_on=dispute.raised_on,
    )
    statements = _net_months(database, scenario, dispute)
    return [
        f"1. {agreement.name} ({agreement.id}), netted monthly in USD",
        *_netting_table(statements),
        "",
        f"  {overage.partner_invoice_id}/{overage.line_id} {overage.description}: "
        f"{_amount(dispute.amount)} disputed ({dispute.id}) and withheld in April; resolved "
        f"{dispute.resolution.resolved_on}, {_amount(dispute.resolution.accepted_amount)} "
        "accepted and released in June.",
        *_savings(scenario, statements),
    ]


def _net_months(
    database: Database, scenario: ReciprocalScenario, dispute: Dispute
) -> list[NettingStatement]:
    """Net the months in order, resolving the dispute before the month of its resolution."""
    resolution = dispute.resolution
    assert resolution is not None
    statements = []
    for period in scenario.periods:
        if period.start.date() <= resolution.resolved_on < period.end.date():
            resolve_dispute(
                database,
                dispute.id,
                accepted=resolution.accepted_amount,
                resolved_on=resolution.resolved_on,
                note=resolution.note,
            )
        run = net_period(
            database,
            agreement_id=scenario.agreement.id,
            period=period,
            our_receivables=scenario.receivables,
        )
        statements.append(run.statement)
    return statements


def _netting_table(statements: Sequence[NettingStatement]) -> list[str]:
    header = ("Month", "Receivables", "Payables", "Withheld", "Net", "Payer")
    rows = [
        (
            f"{each.period_start:%Y-%m}",
            _amount(each.receivables),
            _amount(each.payables),
            _amount(each.withheld),
            _amount(each.net_amount),
            each.payer_id or "nobody",
        )
        for each in statements
    ]
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]
    return [
        "  "
        + "  ".join(
            cell.ljust(width) if index in (0, 5) else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [header, *rows]
    ]


def _savings(scenario: ReciprocalScenario, statements: Sequence[NettingStatement]) -> list[str]:
    cloud = sum((each.payables - each.withheld_payable for each in statements), Decimal(0))
    capacity = sum((each.receivables - each.withheld_receivable for each in statements), Decimal(0))
    baseline = scenario.baseline_cost_per_month * len(statements)
    moved = sum((each.net_amount for each in statements), Decimal(0))
    savings = baseline - cloud
    # The stored statements give the same projection as the pure scenario.
    assert savings == project_reciprocal(scenario).projected_savings
    return [
        f"  Projected savings over {len(statements)} months: own infrastructure "
        f"{_amount(baseline)} - cloud charges {_amount(cloud)} = {_amount(savings)} USD",
        f"  Settled net, {_amount(moved)} changed hands instead of {_amount(capacity + cloud)} "
        "paid gross both ways.",
    ]


def _terms_lines(agreement: PartnerAgreement) -> list[str]:
    terms = agreement.versions[0].terms
    assert terms.exclusivity is not None
    stake = terms.equity_stakes[0]
    return [
        f"  Licences {', '.join(terms.exclusivity.licences)} exclusive in "
        f"{terms.exclusivity.territory} until {terms.exclusivity.exclusive_until}; "
        f"{stake.holder_party_id} holds {stake.percent} % of {stake.issuer_party_id}."
    ]


def _revenue_share(database: Database) -> list[str]:
    scenario = milestone_revenue_share()
    agreement = scenario.agreement
    milestone = scenario.milestones[0]
    results = []
    for period in scenario.periods:
        if period.end > milestone.recorded_at:
            record_milestone(database, milestone)
        run = settle_period(
            database,
            agreement_id=agreement.id,
            period=period,
            accounting_basis=scenario.accounting_basis,
            lines=scenario.revenue_lines,
        )
        results.append(run.statement)
    june = results[5]
    again = settle_period(
        database,
        agreement_id=agreement.id,
        period=scenario.periods[5],
        accounting_basis=scenario.accounting_basis,
        lines=scenario.revenue_lines,
    )
    assert again.statement == june and not again.stored_now
    lines = [
        f"2. {agreement.name} ({agreement.id})",
        *_terms_lines(scenario.agreement),
        f"  Milestone {milestone.name} declared {milestone.recorded_at.isoformat()} (after May "
        f"was settled), occurred {milestone.occurred_at.isoformat()}.",
        *[
            f"  {each.period_start:%Y-%m}  payable {_amount(each.total_payable):>12} USD"
            for each in results
        ],
        "",
        *("  " + line if line else "" for line in render_statement_text(june).splitlines()),
        f"  Re-running {june.period_start:%Y-%m}: the same statement ({june.digest}), "
        "nothing stored again.",
    ]
    return lines
