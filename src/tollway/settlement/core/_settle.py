"""`settle`: one partner's revenue-share statement for one period.

Which revenue lines a period takes (recognition): under accrual, the lines whose bill date falls in
the period (as invoiced); under cash, those whose payment date does (unpaid lines wait). Dates are
local dates of the period's time zone. When revenue was served decides which item shares it: the
line's service period is cut at item starts and ends, by time (see `_carve`). Lines are taken in
order of recognition date, service start, bill number and line id; cumulative thresholds and
running totals follow that order.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from tollway.periods import BillingPeriod
from tollway.settlement.core._agreement import PartnerAgreement
from tollway.settlement.core._carve import ItemWindow, Piece, carve
from tollway.settlement.core._clawback import reversal_clawbacks, termination_clawbacks
from tollway.settlement.core._errors import (
    ModelMismatchError,
    PeriodAlreadySettledError,
    SettlementOrderError,
)
from tollway.settlement.core._history import SettledShare, SettlementHistory
from tollway.settlement.core._inputs import (
    check_unique,
    item_window,
    line_basis,
    local_dates,
    milestones_of,
    recognised_on,
    written_off,
)
from tollway.settlement.core._limits import apply_limits
from tollway.settlement.core._model import (
    AccountingBasis,
    BandMeasure,
    Deduction,
    FlatShare,
    RevenueShareModel,
    ShareItem,
)
from tollway.settlement.core._rates import Slice, share_lines
from tollway.settlement.core._records import LineKey, MilestoneEvent, RevenueLine
from tollway.settlement.core._statement import (
    AdjustmentKind,
    AdjustmentLine,
    ExcludedLine,
    ExclusionReason,
    ItemEnd,
    ItemSettlement,
    SettlementStatement,
)

SettledKey = tuple[str, LineKey, datetime]


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
    are ignored. Re-running a period already in the history returns the same statement, or raises
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
    if history.agreement_id != agreement.id:
        raise SettlementOrderError(
            f"the history is of agreement {history.agreement_id}, not {agreement.id}"
        )
    existing = history.settled(start=period.start, end=period.end)
    prior = history.before(period.start)
    if prior.last_end is not None and prior.last_end != period.start:
        raise SettlementOrderError(
            f"agreement {agreement.id}: settle the period from {prior.last_end.isoformat()} "
            f"before the one from {period.start.isoformat()}"
        )
    run = _Run.start(agreement, model, revenue_lines, period, accounting_basis, prior, milestones)
    statement = run.statement(version.version)
    if existing is not None and existing.digest != statement.digest:
        raise PeriodAlreadySettledError(
            f"agreement {agreement.id}: the period from {period.start.isoformat()} was settled "
            f"as {existing.digest}; its inputs now give {statement.digest}. Correct a settled "
            "period with credit notes in a later one"
        )
    return statement


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
    settled: dict[SettledKey, SettledShare]
    slices: dict[str, list[Slice]] = field(default_factory=dict)
    clawbacks: dict[str, list[AdjustmentLine]] = field(default_factory=dict)
    excluded: list[ExcludedLine] = field(default_factory=list)

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
            cumulative_ends={
                key: value.ended
                for key, value in last.items()
                if value is not None and value.ended is not None and value.ended.at is None
            },
            settled={
                (share.item_id, share.key, share.period_start): share
                for share in prior.settled_shares()
            },
            slices={item.id: [] for item in model.items},
            clawbacks={item.id: [] for item in model.items},
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

    def take_lines(self) -> None:
        recognised = self.recognised()
        current = {line.key for line in recognised}
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
                self.take_credit(line, current)
            else:
                self.allocate(line, line.service_start, line.service_end, self.basis_of(line))

    def take_credit(self, line: RevenueLine, current: set[LineKey]) -> None:
        basis = self.basis_of(line)
        credited = line.credited_key
        assert credited is not None
        if not self.model.basis.deducts(Deduction.CREDITS):
            reason, detail = ExclusionReason.CREDIT_NOT_DEDUCTED, "the basis is not net of credits"
        elif self.shares_of(credited):
            if self.claw_back(credited, AdjustmentKind.CREDIT_CLAWBACK, -basis, line):
                return
            reason = ExclusionReason.NOTHING_TO_CLAW_BACK
            detail = f"nothing paid on {credited[0]}/{credited[1]} is left to take back"
        elif credited in current:
            self.allocate(line, line.service_start, line.service_end, basis)
            return
        else:
            reason = ExclusionReason.CREDITED_LINE_NOT_SHARED
            detail = f"credits {credited[0]}/{credited[1]}, which was never shared"
        self.exclude_whole(line, basis, reason, detail)

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
                    line.bill_no,
                    line.line_id,
                    piece.start,
                    piece.end,
                    piece.amount,
                    line.currency,
                    piece.reason,
                    piece.detail,
                )
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
                    item.id,
                    line.bill_no,
                    line.line_id,
                    piece.start,
                    piece.end,
                    self.basis_of(line),
                    taken,
                    line.credited_key,
                )
            )
            self.cumulative_basis[item.id] += taken
        if taken != piece.amount:
            self.allocate(line, piece.start, piece.end, piece.amount - taken)

    def exclude_whole(
        self, line: RevenueLine, amount: Decimal, reason: ExclusionReason, detail: str
    ) -> None:
        self.excluded.append(
            ExcludedLine(
                line.bill_no,
                line.line_id,
                line.service_start,
                line.service_end,
                amount,
                line.currency,
                reason,
                detail,
            )
        )

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

    # Clawbacks of earlier periods' shares.

    def shares_of(self, key: LineKey) -> list[SettledShare]:
        return [share for share in self.settled.values() if share.key == key]

    def claw_back(
        self, key: LineKey, kind: AdjustmentKind, reversed_basis: Decimal, source: RevenueLine
    ) -> bool:
        """Take back the share paid on `key` for `reversed_basis`; False if nothing was left."""
        lines = reversal_clawbacks(
            self.shares_of(key),
            kind=kind,
            reversed_basis=reversed_basis,
            source=f"{source.bill_no}/{source.line_id}",
            currency=self.model.currency,
            mode=self.model.rounding_mode,
        )
        self.record_clawbacks(lines)
        return bool(lines)

    def record_clawbacks(self, lines: Sequence[AdjustmentLine]) -> None:
        for line in lines:
            assert line.bill_no and line.line_id and line.settled_period_start
            group = (line.item_id, (line.bill_no, line.line_id), line.settled_period_start)
            share = self.settled[group]
            self.settled[group] = replace(
                share,
                clawed_back=share.clawed_back - line.amount,
                kinds_clawed=share.kinds_clawed | {line.kind},
            )
            self.clawbacks[line.item_id].append(line)

    def take_write_offs(self) -> None:
        if not self.model.basis.deducts(Deduction.BAD_DEBT):
            return
        first, end = local_dates(self.period)
        with_tax = not self.model.basis.deducts(Deduction.TAX)
        for line in self.lines:
            day = line.written_off_on
            recognised = recognised_on(line, self.accounting_basis)
            if day is None or not first <= day < end or line.currency != self.model.currency:
                continue
            if recognised is not None and recognised < first:
                reversed_basis = written_off(line, with_tax=with_tax)
                self.claw_back(line.key, AdjustmentKind.BAD_DEBT_CLAWBACK, reversed_basis, line)

    def take_late_ends(self) -> None:
        ended = {key: window for key, window in self.windows.items() if window.end is not None}
        lines = termination_clawbacks(
            list(self.settled.values()),
            ended,
            currency=self.model.currency,
            mode=self.model.rounding_mode,
        )
        self.record_clawbacks(lines)

    # The statement.

    def item_result(self, item: ShareItem) -> ItemSettlement:
        last = self.prior.last_item(item.id)
        basis_before = (
            last.cumulative_basis if last else Decimal(0).quantize(self.model.currency.minor_unit)
        )
        rate = item.rate
        measure = BandMeasure.PERIOD if isinstance(rate, FlatShare) else rate.measure
        shares = share_lines(
            rate,
            self.slices[item.id],
            start_total=basis_before if measure is BandMeasure.CUMULATIVE else Decimal(0),
            currency=self.model.currency,
            mode=self.model.rounding_mode,
        )
        clawbacks = tuple(self.clawbacks[item.id])
        zero = Decimal(0).quantize(self.model.currency.minor_unit)
        earned = sum((line.share for line in shares), zero) + sum(
            (line.amount for line in clawbacks), zero
        )
        ended = self.item_end(item, last.ended if last else None)
        in_effect = self.windows[item.id].contains(self.period.start) and not (
            last is not None and last.ended is not None and last.ended.at is None
        )
        limits = apply_limits(
            item,
            earned=earned,
            paid_before=last.cumulative_paid if last else zero,
            outstanding_before=last.guarantee_outstanding if last else zero,
            in_effect=in_effect,
            ended_now=ended is not None and (last is None or last.ended is None),
        )
        basis = sum((line.basis for line in shares), zero)
        return ItemSettlement(
            item_id=item.id,
            name=item.name,
            in_effect=in_effect,
            share_lines=shares,
            adjustments=clawbacks + limits.adjustments,
            basis=basis,
            earned=earned,
            payable=limits.payable,
            cumulative_basis=basis_before + basis,
            cumulative_paid=limits.cumulative_paid,
            guarantee_outstanding=limits.guarantee_outstanding,
            ended=ended,
        )

    def item_end(self, item: ShareItem, previous: ItemEnd | None) -> ItemEnd | None:
        if previous is not None:
            return previous
        if item.id in self.cumulative_ends:
            return self.cumulative_ends[item.id]
        window = self.windows[item.id]
        if window.end is not None and window.end <= self.period.end:
            return ItemEnd(window.end, window.end_reason or "ended")
        return None

    def statement(self, version: int) -> SettlementStatement:
        self.take_lines()
        self.take_write_offs()
        self.take_late_ends()
        items = tuple(self.item_result(item) for item in self.model.items)
        return SettlementStatement(
            agreement_id=self.agreement.id,
            agreement_version=version,
            model_id=self.model.id,
            operator_id=self.agreement.operator.id,
            partner_id=self.agreement.partner.id,
            currency=self.model.currency,
            period_start=self.period.start,
            period_end=self.period.end,
            accounting_basis=self.accounting_basis,
            basis_label=self.model.basis.label,
            rounding_mode=self.model.rounding_mode,
            items=items,
            excluded=tuple(self.excluded),
            milestones=tuple(
                sorted(self.milestones.values(), key=lambda each: (each.occurred_at, each.name))
            ),
            total_payable=sum(
                (item.payable for item in items),
                Decimal(0).quantize(self.model.currency.minor_unit),
            ),
        )
