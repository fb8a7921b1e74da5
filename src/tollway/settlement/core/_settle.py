"""`settle`: one partner's revenue-share statement for one period.

Which revenue lines a period takes (recognition): under accrual, the lines whose bill date falls in
the period (as invoiced); under cash, those whose payment date does (unpaid lines wait). Dates are
local dates of the period's time zone. When revenue was served decides which item shares it: the
line's service period is cut at item starts and ends, by time (see `_carve`). Clawbacks of earlier
periods' shares come first (they lower the items' running basis); then lines are taken in order of
recognition date, service start, bill number and line id; cumulative thresholds and running totals
follow that order. A credit note for a line of the same period nets against that line's slices,
item by item, in proportion (see `_Run.net_credit`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from tollway.periods import BillingPeriod
from tollway.settlement.core._agreement import PartnerAgreement
from tollway.settlement.core._carve import ItemWindow, Piece, allocate, carve
from tollway.settlement.core._errors import (
    ModelMismatchError,
    PeriodAlreadySettledError,
    SettlementOrderError,
)
from tollway.settlement.core._history import SettlementHistory
from tollway.settlement.core._inputs import (
    check_unique,
    item_window,
    line_basis,
    local_dates,
    milestones_of,
    recognised_on,
)
from tollway.settlement.core._items import ItemPeriod, former_item_settlement, item_settlement
from tollway.settlement.core._model import AccountingBasis, Deduction, RevenueShareModel, ShareItem
from tollway.settlement.core._paid import PaidLines
from tollway.settlement.core._rates import Slice
from tollway.settlement.core._records import LineKey, MilestoneEvent, RevenueLine
from tollway.settlement.core._statement import (
    ExcludedLine,
    ExclusionReason,
    ItemEnd,
    SettlementStatement,
)


def settle(
    agreement: PartnerAgreement,
    model: RevenueShareModel,
    revenue_lines: Sequence[RevenueLine],
    *,
    period: BillingPeriod,
    accounting_basis: AccountingBasis,
    history: SettlementHistory,
    milestones: Sequence[MilestoneEvent] = (),
) -> SettlementStatement:
    """Settle `period` for `agreement` under `model`, reading earlier periods from `history`.

    `revenue_lines` may hold every line known (earlier and later ones too): the period takes those
    it recognises, and earlier lines only for their write-offs. `milestones` of other agreements
    are ignored. Periods are settled in order, each starting where the last one ended. Re-running
    a period already in the history works from the milestones its statement knew (one recorded
    since is for later periods) and returns the same statement, or raises
    `PeriodAlreadySettledError` if the inputs changed since. docs/settlement.md has more.

    >>> from datetime import UTC, date, datetime
    >>> from decimal import Decimal
    >>> from tollway.billing import ChargeType
    >>> from tollway.money import currency
    >>> from tollway.periods import Cadence, period_containing
    >>> from tollway.settlement.core import (AgreementStatus, AgreementVersion, Basis,
    ...     EngagedParty, FlatShare, PartnerAgreement, PartyRole, RevenueShareModel, ShareItem)
    >>> usd, start = currency("USD"), datetime(2025, 1, 1, tzinfo=UTC)
    >>> deal = PartnerAgreement("AG-1", "Deal", "revenueShare",
    ...     EngagedParty("OP", "Operator", PartyRole.OPERATOR),
    ...     EngagedParty("PT", "Partner", PartyRole.PARTNER), start, None,
    ...     AgreementStatus.IN_FORCE, (AgreementVersion(1, start, revenue_share_model_id="RS"),))
    >>> model = RevenueShareModel("RS", "20 %", usd, Basis.gross(),
    ...     (ShareItem("share", "20 %", FlatShare(Decimal(20))),))
    >>> january = period_containing(start, cadence=Cadence.MONTHLY, time_zone=UTC)
    >>> line = RevenueLine("b1", "INV-1", "L1", "BA-1", ChargeType.RECURRING, january.start,
    ...     january.end, date(2025, 1, 1), Decimal("1000.00"), Decimal("80.00"), usd)
    >>> statement = settle(deal, model, [line], period=january,
    ...     accounting_basis=AccountingBasis.ACCRUAL, history=SettlementHistory("AG-1"))
    >>> statement.total_payable, statement.payer_id
    (Decimal('216.00'), 'OP')
    """
    version = agreement.version_for_period(start=period.start, end=period.end)
    if version.revenue_share_model_id != model.id:
        raise ModelMismatchError(
            f"agreement {agreement.id} version {version.version} names revenue-share model "
            f"{version.revenue_share_model_id!r}, not {model.id!r}"
        )
    existing = _check_order(agreement, history, period)
    prior = history.before(period.start)
    known = milestones if existing is None else existing.milestones
    run = _Run.start(agreement, model, revenue_lines, period, accounting_basis, prior, known)
    statement = run.statement(version.version)
    if existing is not None and existing.digest != statement.digest:
        raise PeriodAlreadySettledError(
            f"agreement {agreement.id}: the period from {period.start.isoformat()} was settled "
            f"as {existing.digest}; its inputs now give {statement.digest}. Correct a settled "
            "period with credit notes in a later one"
        )
    return statement


def _check_order(
    agreement: PartnerAgreement, history: SettlementHistory, period: BillingPeriod
) -> SettlementStatement | None:
    """The period's statement if settled already; else refuse a period that is not the next."""
    if history.agreement_id != agreement.id:
        raise SettlementOrderError(
            f"the history is of agreement {history.agreement_id}, not {agreement.id}"
        )
    existing = history.settled(start=period.start, end=period.end)
    last_end = history.last_end
    if existing is None and last_end is not None and period.start < last_end:
        raise SettlementOrderError(
            f"agreement {agreement.id}: the period from {period.start.isoformat()} comes before "
            f"the last settled one (to {last_end.isoformat()}): periods are settled in order"
        )
    prior = history.before(period.start)
    if prior.last_end is not None and prior.last_end != period.start:
        raise SettlementOrderError(
            f"agreement {agreement.id}: settle the period from {prior.last_end.isoformat()} "
            f"before the one from {period.start.isoformat()}"
        )
    return existing


@dataclass(slots=True)
class _Target:
    """A part of a line of this period, as shared (`owner`) or not, that credits can net against."""

    owner: str | None
    start: datetime
    end: datetime
    remaining: Decimal
    reason: ExclusionReason | None
    detail: str


@dataclass(slots=True)
class _Run:
    """The working state of one settlement run (internal; discarded once the statement is made)."""

    agreement: PartnerAgreement
    model: RevenueShareModel
    lines: Sequence[RevenueLine]
    period: BillingPeriod
    accounting_basis: AccountingBasis
    prior: SettlementHistory
    milestones: dict[str, MilestoneEvent]
    windows: dict[str, ItemWindow]
    cumulative_basis: dict[str, Decimal]
    cumulative_ends: dict[str, ItemEnd]
    final_ends: frozenset[str]
    """Items ended on their cumulative basis in a settled period: they stay ended."""
    paid: PaidLines
    slices: dict[str, list[Slice]] = field(default_factory=dict)
    excluded: list[ExcludedLine] = field(default_factory=list)
    targets: dict[LineKey, list[_Target]] = field(default_factory=dict)
    waiting: dict[LineKey, list[RevenueLine]] = field(default_factory=dict)
    clawed_credits: dict[LineKey, bool] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        agreement: PartnerAgreement,
        model: RevenueShareModel,
        lines: Sequence[RevenueLine],
        period: BillingPeriod,
        accounting_basis: AccountingBasis,
        prior: SettlementHistory,
        milestones: Sequence[MilestoneEvent],
    ) -> "_Run":
        known = milestones_of(agreement, milestones)
        check_unique(lines)
        last = {item.id: prior.last_item(item.id) for item in model.items}
        ends = {
            key: value.ended
            for key, value in last.items()
            if value is not None and value.ended is not None and value.ended.at is None
        }
        return cls(
            agreement=agreement,
            model=model,
            lines=lines,
            period=period,
            accounting_basis=accounting_basis,
            prior=prior,
            milestones=known,
            windows={item.id: item_window(item, agreement, known) for item in model.items},
            cumulative_basis={
                key: (value.cumulative_basis if value else Decimal(0))
                for key, value in last.items()
            },
            cumulative_ends=ends,
            final_ends=frozenset(ends),
            paid=PaidLines.of(prior, model),
            slices={item.id: [] for item in model.items},
        )

    # Recognition and allocation of the period's lines.

    def recognised(self) -> list[RevenueLine]:
        first, end = local_dates(self.period)
        found = []
        for line in self.lines:
            day = recognised_on(line, self.accounting_basis)
            if day is not None and first <= day < end:
                found.append((day, line.service_start, line.bill_no, line.line_id, line))
        return [entry[-1] for entry in sorted(found, key=lambda entry: entry[:-1])]

    def basis_of(self, line: RevenueLine) -> Decimal:
        return line_basis(line, self.model, known_before=local_dates(self.period)[1])

    def take_lines(self, recognised: Sequence[RevenueLine]) -> None:
        current = {line.key for line in recognised}
        taken: set[LineKey] = set()
        for line in recognised:
            if line.currency != self.model.currency:
                self.exclude_whole(
                    line,
                    line.amount + line.tax_amount,
                    ExclusionReason.CURRENCY,
                    f"billed in {line.currency.code}; the model settles in "
                    f"{self.model.currency.code}",
                )
            elif line.is_credit:
                self.take_credit(line, current, taken)
            else:
                self.allocate(line, line.service_start, line.service_end, self.basis_of(line))
                taken.add(line.key)
                for credit in self.waiting.pop(line.key, []):
                    self.net_credit(credit)
        for key, credits in sorted(self.waiting.items()):
            for credit in credits:
                detail = f"credits {key[0]}/{key[1]}, which no item took in this period"
                reason = ExclusionReason.CREDITED_LINE_NOT_SHARED
                self.exclude_whole(credit, self.basis_of(credit), reason, detail)

    def take_credit(self, line: RevenueLine, current: set[LineKey], taken: set[LineKey]) -> None:
        credited = line.credited_key
        assert credited is not None
        where = f"{credited[0]}/{credited[1]}"
        if not self.model.basis.deducts(Deduction.CREDITS):
            reason, detail = ExclusionReason.CREDIT_NOT_DEDUCTED, "the basis is not net of credits"
        elif line.key in self.clawed_credits:
            if self.clawed_credits[line.key]:
                return
            reason = ExclusionReason.NOTHING_TO_CLAW_BACK
            detail = f"nothing paid on {where} is left to take back"
        elif credited in current:
            if credited in taken:
                self.net_credit(line)
            else:
                self.waiting.setdefault(credited, []).append(line)
            return
        else:
            reason = ExclusionReason.CREDITED_LINE_NOT_SHARED
            detail = f"credits {where}, which was never shared"
        self.exclude_whole(line, self.basis_of(line), reason, detail)

    def net_credit(self, line: RevenueLine) -> None:
        """Net a credit note against the parts of the line it credits, taken in this period: each
        part (shared by an item, or not shared) takes the credit in proportion to what is left of
        it, to whole minor units. A credit beyond what is left of the line is not shared."""
        credited = line.credited_key
        assert credited is not None
        basis = self.basis_of(line)
        targets = [each for each in self.targets.get(credited, []) if each.remaining > 0]
        available = sum((each.remaining for each in targets), Decimal(0))
        taken = min(-basis, available)
        if taken > 0:
            fractions = [Fraction(each.remaining) / Fraction(available) for each in targets]
            parts = allocate(-taken, fractions, self.model.currency)
            for target, part in zip(targets, parts, strict=True):
                self.credit_part(line, credited, target, part)
        rest = basis + taken
        if rest != 0 or taken == 0:
            where = f"{credited[0]}/{credited[1]}"
            detail = (
                f"credits more than is left of {where} in this period"
                if taken
                else f"nothing of {where} is left to credit in this period"
            )
            self.exclude_whole(line, rest, ExclusionReason.NOTHING_TO_CLAW_BACK, detail)

    def credit_part(
        self, line: RevenueLine, credited: LineKey, target: _Target, part: Decimal
    ) -> None:
        if part == 0:
            return
        target.remaining += part
        if target.owner is None:
            assert target.reason is not None
            self.excluded.append(
                ExcludedLine(
                    line.bill_no, line.line_id, target.start, target.end, part, line.currency,
                    target.reason, target.detail,
                )
            )  # fmt: skip
            return
        item_id = target.owner
        self.slices[item_id].append(
            Slice(
                item_id, line.bill_no, line.line_id, target.start, target.end,
                self.basis_of(line), part, credited,
            )
        )  # fmt: skip
        self.cumulative_basis[item_id] += part
        threshold = self.model.item(item_id).cumulative_end
        reopens = item_id in self.cumulative_ends and item_id not in self.final_ends
        if reopens and threshold is not None and self.cumulative_basis[item_id] < threshold:
            # Ended on its threshold in this period, and credited back below it before the period
            # closes: it is in effect again for the rest of the period.
            del self.cumulative_ends[item_id]

    def allocate(self, line: RevenueLine, start: datetime, end: datetime, amount: Decimal) -> None:
        matching = [item for item in self.model.items if item.scope.matches(line)]
        if not matching:
            self.exclude_whole(
                line, amount, ExclusionReason.OUT_OF_SCOPE, "no share item's scope covers it"
            )
            return
        candidates = [
            self.windows[item.id] for item in matching if item.id not in self.cumulative_ends
        ]
        pieces = carve(
            start=start,
            end=end,
            amount=amount,
            candidates=candidates,
            agreement=ItemWindow("agreement", self.agreement.start, self.agreement.end),
            currency=self.model.currency,
            idle_detail=self.idle_detail(matching),
        )
        for piece in pieces:
            self.take_piece(line, piece)

    def take_piece(self, line: RevenueLine, piece: Piece) -> None:
        if piece.owner is None:
            assert piece.reason is not None
            self.excluded.append(
                ExcludedLine(
                    line.bill_no, line.line_id, piece.start, piece.end, piece.amount,
                    line.currency, piece.reason, piece.detail,
                )
            )  # fmt: skip
            self.target(
                line,
                _Target(None, piece.start, piece.end, piece.amount, piece.reason, piece.detail),
            )
            return
        item = self.model.item(piece.owner)
        threshold = item.cumulative_end
        taken = piece.amount
        room = None if threshold is None else threshold - self.cumulative_basis[item.id]
        if room is not None and piece.amount > 0 and piece.amount >= room:
            # The threshold is reached on this piece: the item takes what is left below it, ends,
            # and the rest of the piece goes to the next item in effect (or nobody).
            taken = max(room, Decimal(0))
            self.cumulative_ends[item.id] = ItemEnd(
                None,
                f"cumulative basis reached {threshold} on {line.bill_no}/{line.line_id}",
            )
        if taken != 0 or piece.amount == 0:
            self.slices[item.id].append(
                Slice(
                    item.id, line.bill_no, line.line_id, piece.start, piece.end,
                    self.basis_of(line), taken, line.credited_key,
                )
            )  # fmt: skip
            self.cumulative_basis[item.id] += taken
            self.target(line, _Target(item.id, piece.start, piece.end, taken, None, ""))
        if taken != piece.amount:
            self.allocate(line, piece.start, piece.end, piece.amount - taken)

    def target(self, line: RevenueLine, part: _Target) -> None:
        self.targets.setdefault(line.key, []).append(part)

    def exclude_whole(
        self, line: RevenueLine, amount: Decimal, reason: ExclusionReason, detail: str
    ) -> None:
        self.excluded.append(
            ExcludedLine(
                line.bill_no, line.line_id, line.service_start, line.service_end, amount,
                line.currency, reason, detail,
            )
        )  # fmt: skip
        if not line.is_credit:
            start, end = line.service_start, line.service_end
            self.target(line, _Target(None, start, end, amount, reason, detail))

    def idle_detail(self, matching: Sequence[ShareItem]) -> str:
        parts = []
        for item in matching:
            if item.id in self.cumulative_ends:
                parts.append(f"{item.id} ended: {self.cumulative_ends[item.id].reason}")
                continue
            window = self.windows[item.id]
            since = window.start.isoformat() if window.start else "the start"
            until = f"{window.end.isoformat()} ({window.end_reason})" if window.end else "open end"
            parts.append(f"{item.id} is in effect from {since} to {until}")
        return "; ".join(parts)

    # The statement.

    def item_end(self, item: ShareItem, previous: ItemEnd | None) -> ItemEnd | None:
        if previous is not None:
            return previous
        if item.id in self.cumulative_ends:
            return self.cumulative_ends[item.id]
        window = self.windows[item.id]
        if window.end is not None and window.end <= self.period.end:
            return ItemEnd(window.end, window.end_reason or "ended")
        return None

    def gathered(self, item: ShareItem) -> ItemPeriod:
        last = self.prior.last_item(item.id)
        ended_before = last is not None and last.ended is not None and last.ended.at is None
        return ItemPeriod(
            item=item,
            slices=self.slices[item.id],
            clawbacks=self.paid.clawbacks.get(item.id, []),
            basis_clawed=self.paid.basis_clawed.get(item.id, Decimal(0)),
            window=self.windows[item.id],
            in_effect=self.windows[item.id].contains(self.period.start) and not ended_before,
            ended=self.item_end(item, last.ended if last else None),
        )

    def take_clawbacks(self, recognised: Sequence[RevenueLine]) -> None:
        """Clawbacks first: they lower the items' running basis before the period's revenue."""
        self.clawed_credits = self.paid.take_credits(recognised, self.basis_of)
        self.paid.take_write_offs(
            self.lines, period=self.period, accounting_basis=self.accounting_basis
        )
        self.paid.take_late_ends(self.windows)
        for item_id, basis in self.paid.basis_clawed.items():
            if item_id in self.cumulative_basis:
                self.cumulative_basis[item_id] -= basis

    def statement(self, version: int) -> SettlementStatement:
        recognised = self.recognised()
        self.take_clawbacks(recognised)
        self.take_lines(recognised)
        unit, mode = self.model.currency, self.model.rounding_mode
        items = [
            item_settlement(self.gathered(item), prior=self.prior, currency=unit, mode=mode)
            for item in self.model.items
        ]
        for item in items:
            assert item.cumulative_basis == self.cumulative_basis[item.item_id]
        current = {item.id for item in self.model.items}
        items += [
            former_item_settlement(
                item_id,
                self.paid.clawbacks[item_id],
                basis_clawed=self.paid.basis_clawed[item_id],
                prior=self.prior,
                currency=unit,
            )
            for item_id in sorted(set(self.paid.clawbacks) - current)
        ]
        return SettlementStatement(
            agreement_id=self.agreement.id,
            agreement_version=version,
            model_id=self.model.id,
            operator_id=self.agreement.operator.id,
            partner_id=self.agreement.partner.id,
            currency=unit,
            period_start=self.period.start,
            period_end=self.period.end,
            accounting_basis=self.accounting_basis,
            basis_label=self.model.basis.label,
            rounding_mode=mode,
            items=tuple(items),
            excluded=tuple(self.excluded),
            milestones=tuple(
                sorted(self.milestones.values(), key=lambda each: (each.occurred_at, each.name))
            ),
            total_payable=sum(
                (item.payable for item in items), Decimal(0).quantize(unit.minor_unit)
            ),
        )
