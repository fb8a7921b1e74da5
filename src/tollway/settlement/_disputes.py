"""Disputes in a workspace: raised on one line of an invoice between the parties, resolved once.

A disputed amount is withheld from netting until resolved; the resolution's accepted part is
released in the period of the resolution date. So that a netted period never changes, a dispute
is refused on a line dated in a period already netted (it was netted in full), and a resolution
dated in a netted period is refused (its release would be lost): date it in an open period.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from tollway.billing import BillCategory, BillState
from tollway.settlement._ledger import DisputeRecord
from tollway.settlement._workspace import SettlementWorkspaceError
from tollway.settlement.core import DisputeResolution, PartnerCharge, Receivable, Side
from tollway.storage import (
    BillRepository,
    Database,
    SettlementConflictError,
    SettlementRepository,
    WorldRepository,
)


@dataclass(frozen=True, slots=True)
class DisputedLine:
    """What a dispute is raised on: a line of the partner's invoice (PAYABLE, `document_id` its
    invoice id) or of ours to the partner (RECEIVABLE, `document_id` our bill number)."""

    partner_id: str
    side: Side
    document_id: str
    line_id: str


def raise_dispute(
    database: Database, dispute_id: str, line: DisputedLine, *, amount: Decimal, raised_on: date
) -> bool:
    """Record a dispute over `amount` (tax included) of a line; False when the same dispute is
    recorded already."""
    with database.transaction() as session:
        repository = SettlementRepository(session)
        if not repository.agreement_ids(partner_id=line.partner_id):
            raise SettlementWorkspaceError(f"no agreement with partner {line.partner_id!r}")
        entry = _entry(session, repository, line)
        record = DisputeRecord(
            dispute_id, line.partner_id, line.side, line.document_id, line.line_id, amount,
            entry.currency, raised_on,
        )  # fmt: skip
        replace(entry, dispute=record.dispute)  # the core checks the part disputed fits the line
        _refuse_netted(repository, record.partner_id, entry.entry_date, what="the disputed line")
        for other in repository.disputes(record.partner_id):
            if other.entry_key == record.entry_key and other.id != record.id:
                raise SettlementWorkspaceError(
                    f"{record.document_id}/{record.line_id} is disputed already ({other.id})"
                )
        stored = repository.dispute(record.id)
        if stored is not None and replace(stored, resolution=None) == record:
            return False
        try:
            repository.save_dispute(record)
        except SettlementConflictError as error:
            raise SettlementWorkspaceError(error.message) from None
        return True


def resolve_dispute(
    database: Database, dispute_id: str, *, accepted: Decimal, resolved_on: date, note: str = ""
) -> DisputeRecord:
    """Resolve a dispute: of the disputed amount, `accepted` stands and is due."""
    with database.transaction() as session:
        repository = SettlementRepository(session)
        stored = repository.dispute(dispute_id)
        if stored is None:
            raise SettlementWorkspaceError(f"no dispute {dispute_id!r}; raise it first")
        resolved = replace(stored, resolution=DisputeResolution(resolved_on, accepted, note))
        replace(_disputed_part(stored), dispute=resolved.dispute)  # the core checks it
        _refuse_netted(repository, stored.partner_id, resolved_on, what="the resolution date")
        try:
            repository.save_dispute(resolved)
        except SettlementConflictError as error:
            raise SettlementWorkspaceError(error.message) from None
        return resolved


def _entry(
    session: Session, repository: SettlementRepository, line: DisputedLine
) -> PartnerCharge | Receivable:
    if line.side is Side.RECEIVABLE:
        return _receivable(BillRepository(session), WorldRepository(session), line)
    charge = repository.charge(line.partner_id, line.document_id, line.line_id)
    if charge is None:
        raise SettlementWorkspaceError(
            f"partner {line.partner_id} has no imported charge {line.document_id}/"
            f"{line.line_id}; import it with `tollway settlement import-charges`"
        )
    return charge


def _receivable(bills: BillRepository, world: WorldRepository, record: DisputedLine) -> Receivable:
    bill = bills.by_number(record.document_id)
    if bill is None or bill.state is not BillState.ISSUED:
        raise SettlementWorkspaceError(f"no issued invoice numbered {record.document_id!r}")
    account = world.load().accounts.get(bill.billing_account_id)
    if account is None or account.party_id != record.partner_id:
        raise SettlementWorkspaceError(
            f"invoice {record.document_id} is addressed to {bill.billing_account_id}, not to a "
            f"billing account of partner {record.partner_id}"
        )
    lines = [line for line in bill.lines if line.id == record.line_id]
    if not lines or bill.category is not BillCategory.NORMAL:
        raise SettlementWorkspaceError(
            f"invoice {record.document_id} has no line {record.line_id!r} to dispute"
        )
    line = lines[0]
    return Receivable(
        bill_no=record.document_id,
        line_id=record.line_id,
        description=line.name,
        category="",
        amount=(line.amount + line.tax_amount).amount,
        currency=bill.currency,
        bill_date=bill.bill_date,
    )


def _disputed_part(record: DisputeRecord) -> Receivable:
    """A stand-in line of exactly the disputed amount, to check a resolution against."""
    return Receivable(
        record.document_id, record.line_id, "", "", record.amount, record.currency, record.raised_on
    )


def _refuse_netted(
    repository: SettlementRepository, partner_id: str, day: date, *, what: str
) -> None:
    for start, end in repository.netted_periods(partner_id):
        if start.date() <= day < end.date():
            raise SettlementWorkspaceError(
                f"{what} ({day}) falls in the period netted from {start.date()}: a netted period "
                "never changes; date it in an open period"
            )
