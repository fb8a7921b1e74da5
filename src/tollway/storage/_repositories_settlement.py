"""`SettlementRepository`: partner agreements, models, milestones, partner charges, disputes,
statements and settlement accounts; all settlement SQL lives here.

- Agreements and models are stored as their documents (`tollway.settlement`'s file format) and
  parsed back through the same checks as a file: a load gives back equal records.
- History is never rewritten: an agreement version, a model, a milestone, a charge or a statement,
  once stored, is only ever stored again unchanged (a no-op); different content is a
  `SettlementConflictError` (a statement: the core's `PeriodAlreadySettledError`).
- Money is integer minor units beside a currency code. A statement posts one entry to its
  partner's settlement account in the same transaction; the running balance is checked on writing
  and on reading (balance = previous balance + amount).
"""

from dataclasses import replace
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Row, Table, insert, select, update
from sqlalchemy.orm import Session

from tollway.billing import BillState, CustomerBill
from tollway.money import Currency, currency
from tollway.settlement import (
    MilestoneEvent,
    NettingStatement,
    PartnerAgreement,
    PartnerCharge,
    PeriodAlreadySettledError,
    RevenueShareModel,
    SettlementStatement,
    Side,
    read_netting_json,
    read_statement_json,
    to_document,
)
from tollway.settlement._documents import agreement_document, parse_agreement, version_document
from tollway.settlement._documents_model import model_document, parse_model
from tollway.settlement._ledger import (
    AccountEntry,
    DisputeRecord,
    Posting,
    StatementKind,
    from_minor,
    settlement_account_id,
    to_minor,
)
from tollway.settlement.core import Dispute, DisputeResolution
from tollway.storage import _tables as tables
from tollway.storage._errors import StorageError
from tollway.storage._repositories_bills import BillRepository
from tollway.storage._types import json_dumps

STORED_SOURCE: Final = "the workspace database"
"""How errors name a document read back from storage."""


class SettlementConflictError(StorageError):
    """Settlement history would be rewritten: a stored version, model, milestone or charge given
    again with other content."""

    code = "settlement_conflict"


class SettlementRepository:
    """Settlement records inside the caller's transaction (it never commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- revenue-share models -------------------------------------------------------------------

    def save_model(self, model: RevenueShareModel) -> bool:
        """Store a model; False when the same model is stored already. A model never changes: new
        terms are a new model named by a new agreement version."""
        document = model_document(model)
        stored = self._document(tables.revenue_share_models, model.id)
        if stored is not None:
            if _canonical(stored) != _canonical(document):
                raise SettlementConflictError(
                    f"revenue-share model {model.id} is stored with other terms; a model never "
                    "changes: give the new terms a new model id and name it in a new agreement "
                    "version"
                )
            return False
        self.session.execute(
            insert(tables.revenue_share_models).values(
                id=model.id, currency=model.currency.code, document=document
            )
        )
        return True

    def model(self, model_id: str) -> RevenueShareModel | None:
        document = self._document(tables.revenue_share_models, model_id)
        return None if document is None else parse_model(document, source=STORED_SOURCE)

    def _document(self, table: Table, key: str) -> Any:
        return self.session.execute(
            select(table.c.document).where(table.c.id == key)
        ).scalar_one_or_none()

    # --- partner agreements ---------------------------------------------------------------------

    def save_agreement(self, agreement: PartnerAgreement) -> int:
        """Store an agreement: its header (replaced) and the versions not stored yet. Returns how
        many versions were added. Stored versions must come again unchanged: versions are history,
        an amendment is a new version."""
        header = agreement_document(agreement)
        del header["versions"]
        column = tables.partner_agreements.c
        stored = self.session.execute(
            select(column.partner_id).where(column.id == agreement.id)
        ).one_or_none()
        if stored is None:
            self.session.execute(
                insert(tables.partner_agreements).values(
                    id=agreement.id, partner_id=agreement.partner.id, document=header
                )
            )
        elif stored.partner_id != agreement.partner.id:
            raise SettlementConflictError(
                f"agreement {agreement.id} is stored with partner {stored.partner_id}, not "
                f"{agreement.partner.id}: the parties of an agreement never change"
            )
        else:
            self.session.execute(
                update(tables.partner_agreements)
                .where(column.id == agreement.id)
                .values(document=header)
            )
        return self._add_versions(agreement)

    def _add_versions(self, agreement: PartnerAgreement) -> int:
        column = tables.partner_agreement_versions.c
        stored = {
            row.version: row.document
            for row in self.session.execute(
                select(column.version, column.document).where(column.agreement_id == agreement.id)
            )
        }
        given = {version.version: version for version in agreement.versions}
        for number, document in sorted(stored.items()):
            if number not in given:
                raise SettlementConflictError(
                    f"agreement {agreement.id} version {number} is stored but not given: versions "
                    "are history, list every version"
                )
            if _canonical(document) != _canonical(version_document(given[number])):
                raise SettlementConflictError(
                    f"agreement {agreement.id} version {number} differs from the stored version: "
                    "versions are history; amend the agreement with a new version"
                )
        added = [version for number, version in sorted(given.items()) if number not in stored]
        for version in added:
            self.session.execute(
                insert(tables.partner_agreement_versions).values(
                    agreement_id=agreement.id,
                    version=version.version,
                    valid_from=version.valid_from,
                    document=version_document(version),
                )
            )
        return len(added)

    def agreement(self, agreement_id: str) -> PartnerAgreement | None:
        header = self._document(tables.partner_agreements, agreement_id)
        if header is None:
            return None
        column = tables.partner_agreement_versions.c
        versions = self.session.execute(
            select(column.document)
            .where(column.agreement_id == agreement_id)
            .order_by(column.version)
        ).scalars()
        return parse_agreement({**header, "versions": list(versions)}, source=STORED_SOURCE)

    def agreement_ids(self, *, partner_id: str | None = None) -> tuple[str, ...]:
        """Every stored agreement's id (or only those with `partner_id`), sorted."""
        column = tables.partner_agreements.c
        statement = select(column.id)
        if partner_id is not None:
            statement = statement.where(column.partner_id == partner_id)
        return tuple(sorted(self.session.execute(statement).scalars()))

    # --- milestones -----------------------------------------------------------------------------

    def record_milestone(self, event: MilestoneEvent) -> bool:
        """Record a milestone; False when recorded already, the same. A milestone is a fact: a
        different time for the same name is a conflict."""
        column = tables.settlement_milestones.c
        stored = self.session.execute(
            select(column.occurred_at, column.recorded_at)
            .where(column.agreement_id == event.agreement_id)
            .where(column.name == event.name)
        ).one_or_none()
        if stored is not None:
            if (stored.occurred_at, stored.recorded_at) != (event.occurred_at, event.recorded_at):
                raise SettlementConflictError(
                    f"milestone {event.name!r} of agreement {event.agreement_id} is recorded as "
                    f"occurred {stored.occurred_at.isoformat()}, recorded "
                    f"{stored.recorded_at.isoformat()}; a recorded milestone never changes"
                )
            return False
        self.session.execute(
            insert(tables.settlement_milestones).values(
                agreement_id=event.agreement_id,
                name=event.name,
                occurred_at=event.occurred_at,
                recorded_at=event.recorded_at,
            )
        )
        return True

    def milestones(self, agreement_id: str) -> tuple[MilestoneEvent, ...]:
        column = tables.settlement_milestones.c
        rows = self.session.execute(
            select(tables.settlement_milestones).where(column.agreement_id == agreement_id)
        ).all()
        events = [
            MilestoneEvent(row.agreement_id, row.name, row.occurred_at, row.recorded_at)
            for row in rows
        ]
        return tuple(sorted(events, key=lambda event: (event.occurred_at, event.name)))

    # --- partner charges and disputes -----------------------------------------------------------

    def charge(self, partner_id: str, invoice_id: str, line_id: str) -> PartnerCharge | None:
        """A stored charge as imported (without its dispute)."""
        column = tables.partner_charges.c
        row = self.session.execute(
            select(tables.partner_charges)
            .where(column.partner_id == partner_id)
            .where(column.partner_invoice_id == invoice_id)
            .where(column.line_id == line_id)
        ).one_or_none()
        return None if row is None else _charge(row)

    def add_charge(self, partner_id: str, charge: PartnerCharge, *, import_id: str) -> None:
        """Store a new charge (the importer has checked it is not stored yet)."""
        assert charge.dispute is None, "disputes are stored on their own (save_dispute)"
        self.session.execute(
            insert(tables.partner_charges).values(
                partner_id=partner_id,
                partner_invoice_id=charge.partner_invoice_id,
                line_id=charge.line_id,
                description=charge.description,
                category=charge.category,
                amount_minor=to_minor(charge.amount, charge.currency),
                currency=charge.currency.code,
                charge_date=charge.charge_date,
                import_id=import_id,
            )
        )

    def charges(self, partner_id: str) -> tuple[PartnerCharge, ...]:
        """The partner's charges, each with its dispute (if any), by date, invoice and line."""
        column = tables.partner_charges.c
        rows = self.session.execute(
            select(tables.partner_charges).where(column.partner_id == partner_id)
        ).all()
        disputes = {
            record.entry_key: record.dispute
            for record in self.disputes(partner_id)
            if record.side is Side.PAYABLE
        }
        found = []
        for row in rows:
            charge = _charge(row, disputes.get((Side.PAYABLE, row.partner_invoice_id, row.line_id)))
            found.append(charge)
        return tuple(sorted(found, key=lambda each: (each.charge_date, *_charge_key(each))))

    def save_dispute(self, record: DisputeRecord) -> None:
        """Store a new dispute, or the resolution of a stored open one; nothing else changes."""
        stored = self.dispute(record.id)
        if stored is None:
            self.session.execute(
                insert(tables.settlement_disputes).values(
                    id=record.id,
                    partner_id=record.partner_id,
                    side=record.side.value,
                    document_id=record.document_id,
                    line_id=record.line_id,
                    amount_minor=to_minor(record.amount, record.currency),
                    currency=record.currency.code,
                    raised_on=record.raised_on,
                    **_resolution_row(record),
                )
            )
            return
        if replace(stored, resolution=None) != replace(record, resolution=None):
            raise SettlementConflictError(
                f"dispute {record.id} is stored for {stored.side.value} "
                f"{stored.document_id}/{stored.line_id}, {stored.amount} {stored.currency.code} "
                f"raised {stored.raised_on}; a dispute's line and amount never change"
            )
        if stored.resolution is not None:
            if stored.resolution != record.resolution:
                raise SettlementConflictError(
                    f"dispute {record.id} was resolved on {stored.resolution.resolved_on} "
                    f"with {stored.resolution.accepted_amount} accepted; a resolution is final"
                )
            return
        self.session.execute(
            update(tables.settlement_disputes)
            .where(tables.settlement_disputes.c.id == record.id)
            .values(**_resolution_row(record))
        )

    def dispute(self, dispute_id: str) -> DisputeRecord | None:
        row = self.session.execute(
            select(tables.settlement_disputes).where(tables.settlement_disputes.c.id == dispute_id)
        ).one_or_none()
        return None if row is None else _dispute(row)

    def disputes(self, partner_id: str) -> tuple[DisputeRecord, ...]:
        """The partner's disputes, both sides, by id."""
        column = tables.settlement_disputes.c
        rows = self.session.execute(
            select(tables.settlement_disputes).where(column.partner_id == partner_id)
        ).all()
        return tuple(sorted((_dispute(row) for row in rows), key=lambda record: record.id))

    # --- statements and settlement accounts -----------------------------------------------------

    def save_statement(self, statement: SettlementStatement) -> bool:
        """Store a revenue-share statement and post it; False when it is stored already (the same
        digest). Another statement for a settled period is `PeriodAlreadySettledError`."""
        return self._save(StatementKind.REVENUE_SHARE, statement, Posting.of_statement(statement))

    def save_netting(self, statement: NettingStatement) -> bool:
        """Store a netting statement and post it; False when it is stored already."""
        return self._save(StatementKind.NETTING, statement, Posting.of_netting(statement))

    def _save(
        self,
        kind: StatementKind,
        statement: SettlementStatement | NettingStatement,
        posting: Posting,
    ) -> bool:
        column = tables.settlement_statements.c
        stored = self.session.execute(
            select(column.digest)
            .where(column.agreement_id == statement.agreement_id)
            .where(column.kind == kind.value)
            .where(column.period_start == statement.period_start)
        ).scalar_one_or_none()
        if stored is not None:
            if stored != statement.digest:
                raise PeriodAlreadySettledError(
                    f"agreement {statement.agreement_id}: the {kind.value.replace('_', '-')} "
                    f"period from {statement.period_start.isoformat()} is stored as {stored}; it "
                    f"now gives {statement.digest}. Correct a settled period in a later one"
                )
            return False
        self.session.execute(
            insert(tables.settlement_statements).values(
                agreement_id=statement.agreement_id,
                kind=kind.value,
                period_start=statement.period_start,
                period_end=statement.period_end,
                number=posting.statement_number,
                partner_id=statement.partner_id,
                currency=statement.currency.code,
                total_minor=to_minor(posting.amount, statement.currency),
                digest=statement.digest,
                document=to_document(statement),
            )
        )
        self._post(posting)
        return True

    def statements(self, agreement_id: str) -> tuple[SettlementStatement, ...]:
        """The agreement's revenue-share statements in period order: its settlement history. Each
        digest is checked on reading (`HistoryIntegrityError` if a stored one was altered)."""
        return tuple(
            read_statement_json(json_dumps(document))
            for document in self._documents(agreement_id, StatementKind.REVENUE_SHARE)
        )

    def netting_statements(self, agreement_id: str) -> tuple[NettingStatement, ...]:
        return tuple(
            read_netting_json(json_dumps(document))
            for document in self._documents(agreement_id, StatementKind.NETTING)
        )

    def netted_periods(self, partner_id: str) -> tuple[tuple[datetime, datetime], ...]:
        """[start, end) of every period netted with the partner, under any agreement."""
        column = tables.settlement_statements.c
        rows = self.session.execute(
            select(column.period_start, column.period_end)
            .where(column.partner_id == partner_id)
            .where(column.kind == StatementKind.NETTING.value)
            .order_by(column.period_start)
        ).all()
        return tuple((row.period_start, row.period_end) for row in rows)

    def issued_bills(self, *, first: date, end: date) -> tuple[CustomerBill, ...]:
        """Issued bills and credit notes dated in [first, end), by bill number."""
        column = tables.customer_bills.c
        bill_ids = list(
            self.session.execute(
                select(column.id)
                .where(column.state == BillState.ISSUED.value)
                .where(column.bill_date >= first)
                .where(column.bill_date < end)
            ).scalars()
        )
        bills = BillRepository(self.session)
        found = [bills.get(bill_id) for bill_id in bill_ids]
        issued = [bill for bill in found if bill is not None]
        return tuple(sorted(issued, key=lambda bill: (bill.bill_no or "", bill.id)))

    def _documents(self, agreement_id: str, kind: StatementKind) -> list[Any]:
        column = tables.settlement_statements.c
        return list(
            self.session.execute(
                select(column.document)
                .where(column.agreement_id == agreement_id)
                .where(column.kind == kind.value)
                .order_by(column.period_start)
            ).scalars()
        )

    def _post(self, posting: Posting) -> None:
        account_id = self._account(posting.partner_id, posting.currency)
        column = tables.settlement_entries.c
        last = self.session.execute(
            select(column.position, column.balance_minor)
            .where(column.account_id == account_id)
            .order_by(column.position.desc())
            .limit(1)
        ).one_or_none()
        amount_minor = to_minor(posting.amount, posting.currency)
        position = 1 if last is None else last.position + 1
        balance_minor = amount_minor + (0 if last is None else last.balance_minor)
        self.session.execute(
            insert(tables.settlement_entries).values(
                account_id=account_id,
                position=position,
                agreement_id=posting.agreement_id,
                kind=posting.kind.value,
                period_start=posting.period_start,
                statement_number=posting.statement_number,
                statement_digest=posting.statement_digest,
                amount_minor=amount_minor,
                balance_minor=balance_minor,
            )
        )

    def _account(self, partner_id: str, unit: Currency) -> str:
        account_id = settlement_account_id(partner_id, unit)
        column = tables.settlement_accounts.c
        found = self.session.execute(
            select(column.id).where(column.id == account_id)
        ).scalar_one_or_none()
        if found is None:
            self.session.execute(
                insert(tables.settlement_accounts).values(
                    id=account_id, partner_id=partner_id, currency=unit.code
                )
            )
        return account_id

    def account_entries(self, partner_id: str) -> tuple[AccountEntry, ...]:
        """The balance history of the partner's settlement accounts (by currency, then position);
        each running balance is checked against the entries before it."""
        accounts = tables.settlement_accounts
        entries = tables.settlement_entries
        rows = self.session.execute(
            select(entries, accounts.c.partner_id, accounts.c.currency)
            .join(accounts, accounts.c.id == entries.c.account_id)
            .where(accounts.c.partner_id == partner_id)
            .order_by(accounts.c.currency, entries.c.position)
        ).all()
        found: list[AccountEntry] = []
        balances: dict[str, int] = {}
        for row in rows:
            balance = balances.get(row.account_id, 0) + row.amount_minor
            # Invariant, checked on reading too: the running balance is the sum of the entries.
            assert balance == row.balance_minor, f"{row.account_id} entry {row.position}: balance"
            balances[row.account_id] = balance
            found.append(_entry(row))
        return tuple(found)


def _canonical(document: Any) -> str:
    return json_dumps(document)


def _resolution_row(record: DisputeRecord) -> dict[str, Any]:
    resolution = record.resolution
    if resolution is None:
        return {"resolved_on": None, "accepted_amount_minor": None, "resolution_note": None}
    return {
        "resolved_on": resolution.resolved_on,
        "accepted_amount_minor": to_minor(resolution.accepted_amount, record.currency),
        "resolution_note": resolution.note,
    }


def _charge_key(charge: PartnerCharge) -> tuple[str, str]:
    return (charge.partner_invoice_id, charge.line_id)


def _charge(row: Row[Any], dispute: Dispute | None = None) -> PartnerCharge:
    unit = currency(row.currency)
    return PartnerCharge(
        partner_invoice_id=row.partner_invoice_id,
        line_id=row.line_id,
        description=row.description,
        category=row.category,
        amount=from_minor(row.amount_minor, unit),
        currency=unit,
        charge_date=row.charge_date,
        dispute=dispute,
    )


def _dispute(row: Row[Any]) -> DisputeRecord:
    unit = currency(row.currency)
    resolution = None
    if row.resolved_on is not None:
        resolution = DisputeResolution(
            row.resolved_on,
            from_minor(row.accepted_amount_minor, unit),
            row.resolution_note or "",
        )
    return DisputeRecord(
        id=row.id,
        partner_id=row.partner_id,
        side=Side(row.side),
        document_id=row.document_id,
        line_id=row.line_id,
        amount=from_minor(row.amount_minor, unit),
        currency=unit,
        raised_on=row.raised_on,
        resolution=resolution,
    )


def _entry(row: Row[Any]) -> AccountEntry:
    unit = currency(row.currency)
    posting = Posting(
        partner_id=row.partner_id,
        currency=unit,
        agreement_id=row.agreement_id,
        kind=StatementKind(row.kind),
        period_start=row.period_start,
        statement_number=row.statement_number,
        statement_digest=row.statement_digest,
        amount=from_minor(row.amount_minor, unit),
    )
    return AccountEntry(row.account_id, row.position, posting, from_minor(row.balance_minor, unit))
