"""Reciprocal netting: what we invoiced the partner against what the partner invoiced us.

For one period and the agreed scope and currency (from the agreement version in force):
- an entry (receivable or payable) counts in the period of its date; entries in other currencies
  or outside the scope are listed as excluded, never converted;
- a disputed part still open at the period's end is withheld; a dispute resolved within the
  period reduces the entry to its accepted part; a dispute resolved in a later period releases its
  accepted part in that period (a RELEASED line);
- sign convention, from the operator's side: withheld = withheld receivable - withheld payable,
  and net = receivables - payables - withheld. A positive net is paid by the partner to the
  operator, a negative one by the operator to the partner.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tollway.money import Currency
from tollway.periods import BillingPeriod
from tollway.settlement.core._agreement import NettingScope, PartnerAgreement
from tollway.settlement.core._digest import digest_of
from tollway.settlement.core._errors import HistoryIntegrityError, SettlementInputError
from tollway.settlement.core._records import PartnerCharge, Receivable


class Side(StrEnum):
    RECEIVABLE = "receivable"
    """Our invoice to the partner: the partner owes it."""
    PAYABLE = "payable"
    """The partner's invoice to us: we owe it."""


class NettingLineKind(StrEnum):
    INVOICED = "invoiced"
    RELEASED = "released"
    """The accepted part of a dispute resolved in this period, withheld in an earlier one."""


@dataclass(frozen=True, slots=True)
class NettingLine:
    """One entry as netted: `amount` counts toward its side's gross; `withheld` is held back."""

    side: Side
    kind: NettingLineKind
    document_id: str
    line_id: str
    description: str
    category: str
    entry_date: date
    invoiced: Decimal
    amount: Decimal
    withheld: Decimal
    dispute_id: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class NettingExclusion:
    side: Side
    document_id: str
    line_id: str
    amount: Decimal
    currency: Currency
    reason: str


@dataclass(frozen=True, slots=True)
class NettingStatement:
    """Gross both ways, withheld disputes, the net amount and who pays whom, for one period."""

    agreement_id: str
    agreement_version: int
    operator_id: str
    partner_id: str
    currency: Currency
    scope: NettingScope
    period_start: datetime
    period_end: datetime
    lines: tuple[NettingLine, ...]
    excluded: tuple[NettingExclusion, ...]
    receivables: Decimal
    payables: Decimal
    withheld_receivable: Decimal
    withheld_payable: Decimal
    withheld: Decimal
    net: Decimal
    digest: str = ""

    def __post_init__(self) -> None:
        def total(side: Side, field: str) -> Decimal:
            values = (getattr(line, field) for line in self.lines if line.side is side)
            return sum(values, Decimal(0))

        assert self.receivables == total(Side.RECEIVABLE, "amount")
        assert self.payables == total(Side.PAYABLE, "amount")
        assert self.withheld_receivable == total(Side.RECEIVABLE, "withheld")
        assert self.withheld_payable == total(Side.PAYABLE, "withheld")
        assert self.withheld == self.withheld_receivable - self.withheld_payable
        # Invariant: net = receivables - payables - withheld (operator's side).
        assert self.net == self.receivables - self.payables - self.withheld
        computed = digest_of(self)
        if not self.digest:
            object.__setattr__(self, "digest", computed)
        elif self.digest != computed:
            raise HistoryIntegrityError(
                f"netting statement of {self.agreement_id} from {self.period_start.isoformat()} "
                f"has digest {self.digest} but its content gives {computed}"
            )

    @property
    def net_amount(self) -> Decimal:
        """What changes hands, whoever pays it."""
        return abs(self.net)

    @property
    def payer_id(self) -> str | None:
        if self.net == 0:
            return None
        return self.partner_id if self.net > 0 else self.operator_id

    @property
    def payee_id(self) -> str | None:
        if self.net == 0:
            return None
        return self.operator_id if self.net > 0 else self.partner_id


Entry = Receivable | PartnerCharge


def net(
    receivables: Sequence[Receivable],
    payables: Sequence[PartnerCharge],
    *,
    agreement: PartnerAgreement,
    period: BillingPeriod,
) -> NettingStatement:
    """Net one period's receivables and payables under the agreement's netting terms.

    Entries of any date may be passed: the period takes those dated in it, and releases disputes
    of earlier entries resolved in it. docs/settlement.md has a twelve-month example.

    >>> from datetime import UTC
    >>> from tollway.money import currency
    >>> from tollway.periods import Cadence, period_containing
    >>> from tollway.settlement.core import (AgreementStatus, AgreementVersion, Dispute,
    ...     EngagedParty, NettingTerms, PartnerTerms, PartyRole)
    >>> usd, start = currency("USD"), datetime(2025, 1, 1, tzinfo=UTC)
    >>> terms = PartnerTerms(netting=NettingTerms(NettingScope(), usd))
    >>> deal = PartnerAgreement("AG-2", "Swap", "reciprocal",
    ...     EngagedParty("OP", "Operator", PartyRole.OPERATOR),
    ...     EngagedParty("PT", "Partner", PartyRole.PARTNER), start, None,
    ...     AgreementStatus.IN_FORCE, (AgreementVersion(1, start, terms=terms),))
    >>> ours = Receivable("OUR-1", "L1", "Capacity", "capacity", Decimal("1000.00"), usd,
    ...     date(2025, 1, 1))
    >>> theirs = PartnerCharge("TH-1", "L1", "Cloud", "cloud", Decimal("700.00"), usd,
    ...     date(2025, 1, 2), Dispute("D-1", Decimal("200.00"), date(2025, 1, 5)))
    >>> january = period_containing(start, cadence=Cadence.MONTHLY, time_zone=UTC)
    >>> statement = net([ours], [theirs], agreement=deal, period=january)
    >>> statement.withheld, statement.net, statement.payer_id
    (Decimal('-200.00'), Decimal('500.00'), 'PT')
    """
    version = agreement.version_for_period(start=period.start, end=period.end)
    terms = version.terms.netting
    if terms is None:
        raise SettlementInputError(
            f"agreement {agreement.id} version {version.version}", "terms.netting", "no netting"
        )
    zone = period.time_zone
    first, end = period.start.astimezone(zone).date(), period.end.astimezone(zone).date()
    lines: list[NettingLine] = []
    excluded: list[NettingExclusion] = []
    sides: tuple[tuple[Side, Sequence[Entry]], ...] = (
        (Side.RECEIVABLE, receivables),
        (Side.PAYABLE, payables),
    )
    for side, entries in sides:
        for entry in sorted(entries, key=_entry_order):
            problem = _problem(entry, terms.scope, terms.currency)
            if not problem:
                lines.extend(_lines(side, entry, first=first, end=end))
            elif first <= entry.entry_date < end:
                excluded.append(
                    NettingExclusion(
                        side,
                        entry.document_id,
                        entry.line_id,
                        entry.amount,
                        entry.currency,
                        problem,
                    )
                )
    return _statement(
        agreement, version.version, terms.scope, terms.currency, period, lines, excluded
    )


def _entry_order(entry: Entry) -> tuple[date, str, str]:
    return (entry.entry_date, entry.document_id, entry.line_id)


def _problem(entry: Entry, scope: NettingScope, currency: Currency) -> str:
    if entry.currency != currency:
        return f"in {entry.currency.code}; netting is agreed in {currency.code}"
    if not scope.covers(entry.category):
        return f"category {entry.category!r} is outside the netting scope"
    return ""


def _line(
    side: Side,
    entry: Entry,
    kind: NettingLineKind,
    *,
    invoiced: Decimal,
    amount: Decimal,
    withheld: Decimal | None = None,
    note: str = "",
) -> NettingLine:
    if withheld is None:
        withheld = Decimal(0).quantize(entry.currency.minor_unit)
    return NettingLine(
        side=side,
        kind=kind,
        document_id=entry.document_id,
        line_id=entry.line_id,
        description=entry.description,
        category=entry.category,
        entry_date=entry.entry_date,
        invoiced=invoiced,
        amount=amount,
        withheld=withheld,
        dispute_id=entry.dispute.id if entry.dispute is not None else None,
        note=note,
    )


def _lines(side: Side, entry: Entry, *, first: date, end: date) -> list[NettingLine]:
    """The entry's line in this period: as invoiced (withheld if disputed), or its release."""
    dispute = entry.dispute
    invoiced = entry.amount
    if first <= entry.entry_date < end:
        if dispute is None:
            return [
                _line(side, entry, NettingLineKind.INVOICED, invoiced=invoiced, amount=invoiced)
            ]
        resolution = dispute.resolution
        if resolution is None or resolution.resolved_on >= end:
            note = f"{dispute.amount} disputed since {dispute.raised_on}: withheld until resolved"
            return [
                _line(
                    side,
                    entry,
                    NettingLineKind.INVOICED,
                    invoiced=invoiced,
                    amount=invoiced,
                    withheld=dispute.amount,
                    note=note,
                )
            ]
        counted = invoiced - dispute.amount + resolution.accepted_amount
        note = f"dispute resolved {resolution.resolved_on}: {_accepted(entry)}"
        return [
            _line(
                side, entry, NettingLineKind.INVOICED, invoiced=invoiced, amount=counted, note=note
            )
        ]
    resolution = dispute.resolution if dispute is not None else None
    if dispute is None or resolution is None or entry.entry_date >= first:
        return []
    if not first <= resolution.resolved_on < end:
        return []
    note = f"released: dispute resolved {resolution.resolved_on}, {_accepted(entry)}"
    return [
        _line(
            side,
            entry,
            NettingLineKind.RELEASED,
            invoiced=dispute.amount,
            amount=resolution.accepted_amount,
            note=note,
        )
    ]


def _accepted(entry: Entry) -> str:
    assert entry.dispute is not None and entry.dispute.resolution is not None
    return f"{entry.dispute.resolution.accepted_amount} of {entry.dispute.amount} accepted"


def _statement(
    agreement: PartnerAgreement,
    version: int,
    scope: NettingScope,
    currency: Currency,
    period: BillingPeriod,
    lines: list[NettingLine],
    excluded: list[NettingExclusion],
) -> NettingStatement:
    zero = Decimal(0).quantize(currency.minor_unit)

    def total(side: Side, field: str) -> Decimal:
        return sum((getattr(line, field) for line in lines if line.side is side), zero)

    receivables, payables = total(Side.RECEIVABLE, "amount"), total(Side.PAYABLE, "amount")
    withheld_receivable = total(Side.RECEIVABLE, "withheld")
    withheld_payable = total(Side.PAYABLE, "withheld")
    withheld = withheld_receivable - withheld_payable
    return NettingStatement(
        agreement_id=agreement.id,
        agreement_version=version,
        operator_id=agreement.operator.id,
        partner_id=agreement.partner.id,
        currency=currency,
        scope=scope,
        period_start=period.start,
        period_end=period.end,
        lines=tuple(lines),
        excluded=tuple(excluded),
        receivables=receivables,
        payables=payables,
        withheld_receivable=withheld_receivable,
        withheld_payable=withheld_payable,
        withheld=withheld,
        net=receivables - payables - withheld,
    )
