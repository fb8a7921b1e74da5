"""Settlement in a workspace: each function is one unit of work over the workspace database.

Agreements and models are loaded from a file, milestones recorded, partner charges imported and
disputes raised and resolved; a period is settled (revenue share) or netted (reciprocal) from what
the workspace holds (`_sources`), and the statement is stored with a posting to the partner's
settlement account, in one transaction. Periods are settled (and netted) in order, each starting
where the last one ended (`SettlementOrderError`). Re-running a stored period gives the same
statement and changes nothing; a different result is `PeriodAlreadySettledError`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from tollway.billing import BillState
from tollway.io import read_document
from tollway.money import TollwayError
from tollway.periods import BillingPeriod
from tollway.settlement._charges_file import (
    ChargeReject,
    ChargeRow,
    RejectReason,
    read_charges,
    size_problem,
)
from tollway.settlement._documents import parse_agreements_file
from tollway.settlement._ledger import AccountEntry
from tollway.settlement._sources import (
    CatalogIndex,
    Recognition,
    cited_by_netting,
    cited_by_statement,
    payables_in_period,
    receivables,
    receivables_in_period,
    revenue_in_period,
    revenue_lines,
)
from tollway.settlement.core import (
    AccountingBasis,
    MilestoneEvent,
    NettingStatement,
    PartnerAgreement,
    Receivable,
    RevenueLine,
    RevenueShareModel,
    SettlementHistory,
    SettlementOrderError,
    SettlementStatement,
    Side,
    net,
    settle,
)
from tollway.storage import (
    BillQuery,
    BillRepository,
    Database,
    SettlementRepository,
    WorldRepository,
)


class SettlementWorkspaceError(TollwayError):
    """A settlement command cannot run on what the workspace holds; the message says what to do."""

    code = "settlement_workspace"


@dataclass(frozen=True, slots=True)
class LoadedAgreements:
    agreements: int
    versions_added: int
    models: int
    models_added: int


@dataclass(frozen=True, slots=True)
class ChargeImport:
    """An import of partner charges: every submitted row is accepted or rejected, once."""

    source: str
    submitted: int
    accepted: tuple[ChargeRow, ...]
    rejected: tuple[ChargeReject, ...]

    def __post_init__(self) -> None:
        assert self.submitted == len(self.accepted) + len(self.rejected)


@dataclass(frozen=True, slots=True)
class SettlementRun:
    statement: SettlementStatement
    stored_now: bool
    """False when the period was stored already with this statement (a re-run: nothing changed)."""


@dataclass(frozen=True, slots=True)
class NettingRun:
    statement: NettingStatement
    stored_now: bool


# --- agreements, milestones ---------------------------------------------------------------------


def load_agreements(database: Database, path: Path) -> LoadedAgreements:
    """Load (or amend) the agreements and models of a YAML or JSON file."""
    agreements, models = parse_agreements_file(read_document(path), source=path.name)
    return store_agreements(database, agreements, models, source=path.name)


def store_agreements(
    database: Database,
    agreements: Sequence[PartnerAgreement],
    models: Sequence[RevenueShareModel],
    *,
    source: str,
) -> LoadedAgreements:
    """Store models, then agreements, checking each version names a model that exists."""
    _refuse_repeats(source, "agreement", [agreement.id for agreement in agreements])
    _refuse_repeats(source, "revenue-share model", [model.id for model in models])
    with database.transaction() as session:
        repository = SettlementRepository(session)
        models_added = sum(repository.save_model(model) for model in models)
        for agreement in agreements:
            for version in agreement.versions:
                named = version.revenue_share_model_id
                if named is not None and repository.model(named) is None:
                    raise SettlementWorkspaceError(
                        f"{source}: agreement {agreement.id} version {version.version} names "
                        f"revenue-share model {named!r}, which is neither in the file nor stored"
                    )
        versions_added = sum(repository.save_agreement(agreement) for agreement in agreements)
    return LoadedAgreements(len(agreements), versions_added, len(models), models_added)


def _refuse_repeats(source: str, what: str, ids: Sequence[str]) -> None:
    repeated = sorted({each for each in ids if ids.count(each) > 1})
    if repeated:
        raise SettlementWorkspaceError(f"{source}: {what} {repeated[0]} appears twice")


def _agreement(repository: SettlementRepository, agreement_id: str) -> PartnerAgreement:
    agreement = repository.agreement(agreement_id)
    if agreement is None:
        known = ", ".join(repository.agreement_ids()) or "none yet"
        raise SettlementWorkspaceError(
            f"no partner agreement {agreement_id!r} (stored: {known}); load it with "
            "`tollway settlement load-agreements FILE`"
        )
    return agreement


def record_milestone(database: Database, event: MilestoneEvent) -> bool:
    """Record a milestone of a stored agreement; False when recorded already, the same."""
    with database.transaction() as session:
        repository = SettlementRepository(session)
        _agreement(repository, event.agreement_id)
        return repository.record_milestone(event)


# --- partner charges ----------------------------------------------------------------------------


def import_charges(database: Database, path: Path, *, import_id: str | None = None) -> ChargeImport:
    """Import a partner charges file (CSV or JSON Lines); see `_charges_file` for the columns."""
    accepted, rejected, submitted = read_charges(path)
    return store_charges(
        database, accepted, rejected, submitted=submitted, source=import_id or path.name
    )


def store_charges(
    database: Database,
    rows: Sequence[ChargeRow],
    rejected: Sequence[ChargeReject],
    *,
    submitted: int,
    source: str,
) -> ChargeImport:
    """Store the rows the workspace accepts; reject the others with their reason."""
    kept: list[ChargeRow] = []
    refused = list(rejected)
    with database.transaction() as session:
        repository = SettlementRepository(session)
        for row in rows:
            problem = _charge_problem(repository, row)
            if problem is None:
                repository.add_charge(row.partner_id, row.charge, import_id=source)
                kept.append(row)
            else:
                reason, detail = problem
                message = f"{source}: row {row.row}: {detail}"
                refused.append(ChargeReject(row.row, reason, message))
    refused.sort(key=lambda reject: reject.row)
    return ChargeImport(source, submitted, tuple(kept), tuple(refused))


def _charge_problem(
    repository: SettlementRepository, row: ChargeRow
) -> tuple[RejectReason, str] | None:
    charge = row.charge
    too_large = size_problem(charge)
    if too_large is not None:
        return RejectReason.INVALID_AMOUNT, f"amount: {too_large}"
    if not repository.agreement_ids(partner_id=row.partner_id):
        return RejectReason.UNKNOWN_PARTNER, (
            f"partner_id: no agreement with partner {row.partner_id!r}"
        )
    stored = repository.charge(row.partner_id, charge.partner_invoice_id, charge.line_id)
    where = f"{charge.partner_invoice_id}/{charge.line_id}"
    if stored == charge:
        return RejectReason.ALREADY_IMPORTED, f"line_id: {where} is imported already"
    if stored is not None:
        return RejectReason.CONFLICTS_WITH_STORED, (
            f"line_id: {where} is imported already with other content; an imported charge "
            "never changes (the partner corrects it with a credit line)"
        )
    netted = _netted_on(repository, row.partner_id, charge.charge_date)
    if netted is not None:
        return RejectReason.PERIOD_NETTED, (
            f"charge_date: {charge.charge_date} falls in the period netted from {netted}; "
            "date it in an open period"
        )
    return None


def _netted_on(repository: SettlementRepository, partner_id: str, day: date) -> date | None:
    """The first day of the netted period containing `day`, if any."""
    for start, end in repository.netted_periods(partner_id):
        if start.date() <= day < end.date():
            return start.date()
    return None


# --- settling and netting -----------------------------------------------------------------------


def _local_dates(period: BillingPeriod) -> tuple[date, date]:
    zone = period.time_zone
    return period.start.astimezone(zone).date(), period.end.astimezone(zone).date()


def settle_period(
    database: Database,
    *,
    agreement_id: str,
    period: BillingPeriod,
    accounting_basis: AccountingBasis,
    lines: Sequence[RevenueLine] | None = None,
) -> SettlementRun:
    """Settle one period of a revenue-share agreement and store the statement (a no-op when it
    is stored already). `lines` replaces the workspace's issued bills as the source (the demo)."""
    with database.transaction() as session:
        repository = SettlementRepository(session)
        agreement = _agreement(repository, agreement_id)
        version = agreement.version_for_period(start=period.start, end=period.end)
        if version.revenue_share_model_id is None:
            raise SettlementWorkspaceError(
                f"agreement {agreement_id} version {version.version} has no revenue-share model: "
                "it is netted, not settled (`tollway settlement net`)"
            )
        model = repository.model(version.revenue_share_model_id)
        assert model is not None, "a stored version's model was stored with it"
        history = SettlementHistory(agreement_id, repository.statements(agreement_id))
        recognition = _revenue_recognition(history, period)
        source = (
            _workspace_lines(session, repository, model, recognition) if lines is None else lines
        )
        statement = settle(
            agreement,
            model,
            revenue_in_period(list(source), recognition),
            period=period,
            accounting_basis=accounting_basis,
            history=history,
            milestones=repository.milestones(agreement_id),
        )
        return SettlementRun(statement, repository.save_statement(statement))


def _revenue_recognition(history: SettlementHistory, period: BillingPeriod) -> Recognition:
    first, end = _local_dates(period)
    prior = history.before(period.start).statements
    existing = history.settled(start=period.start, end=period.end)
    cited: set[str] = set()
    for statement in prior:
        cited |= cited_by_statement(statement)
    return Recognition(
        first=first,
        end=end,
        settled_from=prior[0].period_start.astimezone(period.time_zone).date() if prior else None,
        cited_before=frozenset(cited),
        cited_now=None if existing is None else cited_by_statement(existing),
    )


def _workspace_lines(
    session: Session,
    repository: SettlementRepository,
    model: RevenueShareModel,
    recognition: Recognition,
) -> tuple[RevenueLine, ...]:
    first = recognition.settled_from or recognition.first
    bills = repository.issued_bills(first=first, end=recognition.end)
    index = CatalogIndex.of(WorldRepository(session).load())
    return revenue_lines(bills, index, model)


def net_period(
    database: Database,
    *,
    agreement_id: str,
    period: BillingPeriod,
    our_receivables: Sequence[Receivable] | None = None,
) -> NettingRun:
    """Net one period of a reciprocal agreement and store the statement (a no-op when stored
    already). `our_receivables` replaces our issued bills to the partner (the demo)."""
    with database.transaction() as session:
        repository = SettlementRepository(session)
        agreement = _agreement(repository, agreement_id)
        netted = repository.netting_statements(agreement_id)
        _check_netting_order(agreement_id, netted, period)
        recognition = _netting_recognition(netted, period)
        entries = (
            _partner_receivables(session, repository, agreement)
            if our_receivables is None
            else our_receivables
        )
        statement = net(
            receivables_in_period(list(entries), recognition),
            payables_in_period(repository.charges(agreement.partner.id), recognition),
            agreement=agreement,
            period=period,
        )
        return NettingRun(statement, repository.save_netting(statement))


def _check_netting_order(
    agreement_id: str, netted: Sequence[NettingStatement], period: BillingPeriod
) -> None:
    """Periods are netted in order, each starting where the last one ended (like `settle`): a
    later period takes the earlier periods' entries nobody netted as late, so netting one before
    the period ahead of it would net that period's entries twice. Re-running is allowed."""
    if any(each.period_start == period.start for each in netted) or not netted:
        return
    last_end = max(each.period_end for each in netted)
    if period.start < last_end:
        raise SettlementOrderError(
            f"agreement {agreement_id}: the period from {period.start.isoformat()} comes before "
            f"the last netted one (to {last_end.isoformat()}): periods are netted in order"
        )
    if period.start != last_end:
        raise SettlementOrderError(
            f"agreement {agreement_id}: net the period from {last_end.isoformat()} before the "
            f"one from {period.start.isoformat()}"
        )


def _netting_recognition(netted: Sequence[NettingStatement], period: BillingPeriod) -> Recognition:
    first, end = _local_dates(period)
    prior = [each for each in netted if each.period_end <= period.start]
    existing = [each for each in netted if each.period_start == period.start]
    overlapping = [
        each
        for each in netted
        if each.period_start < period.end
        and period.start < each.period_end
        and each.period_end != period.end
    ]
    if overlapping:
        raise SettlementWorkspaceError(
            f"the period {period.start.isoformat()} to {period.end.isoformat()} overlaps the "
            f"netted period from {overlapping[0].period_start.isoformat()}"
        )
    cited: set[str] = set()
    for statement in prior:
        cited |= cited_by_netting(statement)
    return Recognition(
        first=first,
        end=end,
        settled_from=prior[0].period_start.astimezone(period.time_zone).date() if prior else None,
        cited_before=frozenset(cited),
        cited_now=cited_by_netting(existing[0]) if existing else None,
    )


def _partner_receivables(
    session: Session, repository: SettlementRepository, agreement: PartnerAgreement
) -> tuple[Receivable, ...]:
    """Our issued bills to the partner's billing accounts (those of the partner's party)."""
    world = WorldRepository(session).load()
    accounts = sorted(
        account.id
        for account in world.accounts.values()
        if account.party_id == agreement.partner.id
    )
    bills = BillRepository(session)
    issued = [
        bill
        for account in accounts
        for bill in bills.stream(BillQuery(billing_account_id=account, state=BillState.ISSUED))
    ]
    disputes = {
        (record.document_id, record.line_id): record.dispute
        for record in repository.disputes(agreement.partner.id)
        if record.side is Side.RECEIVABLE
    }
    return receivables(issued, CatalogIndex.of(world), disputes)


# --- reading back -------------------------------------------------------------------------------


def stored_statements(
    database: Database, *, agreement_id: str, period_start: datetime
) -> tuple[SettlementStatement | None, NettingStatement | None]:
    """The stored revenue-share and netting statements of the period starting `period_start`."""
    with database.transaction() as session:
        repository = SettlementRepository(session)
        _agreement(repository, agreement_id)
        shares = [
            each
            for each in repository.statements(agreement_id)
            if each.period_start == period_start
        ]
        netted = [
            each
            for each in repository.netting_statements(agreement_id)
            if each.period_start == period_start
        ]
    return (shares[0] if shares else None, netted[0] if netted else None)


def account_history(database: Database, partner_id: str) -> tuple[AccountEntry, ...]:
    with database.transaction() as session:
        return SettlementRepository(session).account_entries(partner_id)
