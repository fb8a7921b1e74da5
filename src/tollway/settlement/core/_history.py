"""The settlement history of one agreement: its issued statements, in period order.

Everything later periods need is read from earlier statements: running totals (cumulative basis,
paid, guarantee outstanding), which items ended, and what was shared on each revenue line (for
clawbacks). The history holds no other state, so persisting statements is persisting the history.
"""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from tollway.money import Currency
from tollway.settlement.core._carve import allocate
from tollway.settlement.core._errors import SettlementOrderError
from tollway.settlement.core._records import LineKey
from tollway.settlement.core._statement import (
    AdjustmentKind,
    AdjustmentLine,
    ItemSettlement,
    SettlementStatement,
    ShareLine,
)


@dataclass(frozen=True, slots=True)
class SettledShare:
    """What one item paid on one revenue line in one settled period, and what was taken back.

    `paid` is what the partner was paid on the line: its share lines, net of credit notes netted
    against it in that period, after the period's caps and recoupment (a cut of the item's shares
    is spread over its lines in proportion, to whole minor units; guarantee and floor top-ups are
    not paid on any line). Clawbacks never take back more than `paid`.
    """

    item_id: str
    key: LineKey
    period_start: datetime
    share_lines: tuple[ShareLine, ...]
    paid: Decimal
    credited_basis: Decimal = Decimal(0)
    """The basis of credit notes netted against the line's slices in its own period (positive)."""
    clawed_back: Decimal = Decimal(0)
    """The total already taken back, by any clawback (positive)."""
    reversed_basis: Decimal = Decimal(0)
    """The line's basis credited or written off in later periods so far (positive)."""
    reversal_clawed: Decimal = Decimal(0)
    """Of `clawed_back`, what credits and write-offs took (positive)."""
    kinds_clawed: frozenset[AdjustmentKind] = frozenset()

    @property
    def shares(self) -> Decimal:
        """The line's share lines before caps and same-period credits."""
        return sum((line.share for line in self.share_lines), Decimal(0))

    @property
    def remaining(self) -> Decimal:
        """What was paid on the line and not yet taken back."""
        return self.paid - self.clawed_back

    @property
    def line_basis(self) -> Decimal:
        """The whole revenue line's basis."""
        return self.share_lines[0].line_basis

    @property
    def slice_basis(self) -> Decimal:
        """The part of the line's basis this item shared in that period."""
        return sum((line.basis for line in self.share_lines), Decimal(0))

    @property
    def uncredited_basis(self) -> Decimal:
        """The item's slice of the line left after same-period credits: what later credits and
        write-offs can still reverse."""
        return self.slice_basis - self.credited_basis


@dataclass(frozen=True, slots=True)
class SettlementHistory:
    """The statements of one agreement, each period starting where the previous one ended.

    >>> SettlementHistory("AG-1").statements
    ()
    """

    agreement_id: str
    statements: tuple[SettlementStatement, ...] = ()

    def __post_init__(self) -> None:
        for statement in self.statements:
            if statement.agreement_id != self.agreement_id:
                raise SettlementOrderError(
                    f"the history of agreement {self.agreement_id} holds a statement of "
                    f"agreement {statement.agreement_id}"
                )
        for previous, following in zip(self.statements, self.statements[1:], strict=False):
            if following.period_start != previous.period_end:
                raise SettlementOrderError(
                    f"agreement {self.agreement_id}: the statement from "
                    f"{following.period_start.isoformat()} does not start where the previous one "
                    f"ends ({previous.period_end.isoformat()})"
                )

    def then(self, statement: SettlementStatement) -> "SettlementHistory":
        """The history with `statement` appended (it must start where the last one ends)."""
        return SettlementHistory(self.agreement_id, (*self.statements, statement))

    def before(self, instant: datetime) -> "SettlementHistory":
        """Only the statements of periods ending on or before `instant`."""
        kept = tuple(each for each in self.statements if each.period_end <= instant)
        return SettlementHistory(self.agreement_id, kept)

    def settled(self, *, start: datetime, end: datetime) -> SettlementStatement | None:
        """The statement of exactly [start, end), if settled; an overlapping one is an error."""
        for statement in self.statements:
            if statement.period_start == start and statement.period_end == end:
                return statement
            if statement.period_start < end and start < statement.period_end:
                raise SettlementOrderError(
                    f"agreement {self.agreement_id}: the period {start.isoformat()} to "
                    f"{end.isoformat()} overlaps the settled period "
                    f"{statement.period_start.isoformat()} to {statement.period_end.isoformat()}"
                )
        return None

    @property
    def last_end(self) -> datetime | None:
        return self.statements[-1].period_end if self.statements else None

    def last_item(self, item_id: str) -> ItemSettlement | None:
        """The item's most recent result: its running totals after the last settled period."""
        for statement in reversed(self.statements):
            for item in statement.items:
                if item.item_id == item_id:
                    return item
        return None

    def settled_shares(self) -> tuple[SettledShare, ...]:
        """Every (item, revenue line, period) that was paid a share, with its clawbacks so far."""
        clawed: dict[tuple[str, LineKey, datetime], list[AdjustmentLine]] = {}
        for _, item, line in self._adjustments():
            if line.kind.is_clawback and line.bill_no is not None and line.line_id is not None:
                assert line.settled_period_start is not None
                group = (item.item_id, (line.bill_no, line.line_id), line.settled_period_start)
                clawed.setdefault(group, []).append(line)
        found: list[SettledShare] = []
        for statement in self.statements:
            for item in statement.items:
                for share in _paid_shares(item, statement):
                    taken = clawed.get((item.item_id, share.key, statement.period_start), [])
                    found.append(_with_clawbacks(share, taken))
        return tuple(found)

    def _adjustments(self) -> Iterator[tuple[SettlementStatement, ItemSettlement, AdjustmentLine]]:
        for statement in self.statements:
            for item in statement.items:
                for line in item.adjustments:
                    yield statement, item, line


def _with_clawbacks(share: SettledShare, taken: list[AdjustmentLine]) -> SettledShare:
    reversals = [line for line in taken if line.kind.is_reversal]
    return replace(
        share,
        clawed_back=-sum((line.amount for line in taken), Decimal(0)),
        reversed_basis=-sum((line.basis for line in reversals), Decimal(0)),
        reversal_clawed=-sum((line.amount for line in reversals), Decimal(0)),
        kinds_clawed=frozenset(line.kind for line in taken),
    )


def _paid_shares(item: ItemSettlement, statement: SettlementStatement) -> list[SettledShare]:
    """The item's shares in one statement, per revenue line, with what was paid on each."""
    grouped: dict[LineKey, list[ShareLine]] = {}
    credited: dict[LineKey, list[ShareLine]] = {}
    for share in item.share_lines:
        if share.credits_bill_no is not None and share.credits_line_id is not None:
            target = (share.credits_bill_no, share.credits_line_id)
            credited.setdefault(target, []).append(share)
        else:
            grouped.setdefault(share.key, []).append(share)
    net = {
        key: sum((each.share for each in lines + credited.get(key, [])), Decimal(0))
        for key, lines in grouped.items()
    }
    paid = _after_cuts(net, _cut(item), statement.currency)
    return [
        SettledShare(
            item_id=item.item_id,
            key=key,
            period_start=statement.period_start,
            share_lines=tuple(lines),
            paid=paid[key],
            credited_basis=-sum((each.basis for each in credited.get(key, [])), Decimal(0)),
        )
        for key, lines in grouped.items()
    ]


def _cut(item: ItemSettlement) -> Decimal:
    """How much the period's caps and recoupment took off the item's shares (zero or negative).

    Guarantee and floor top-ups come first and caps cut them before any share, so only a net
    reduction of the limit lines cuts the shares. Restatements are of other periods."""
    limits = sum(
        (
            line.amount
            for line in item.adjustments
            if not line.kind.is_clawback and line.kind is not AdjustmentKind.LIMITS_RESTATED
        ),
        Decimal(0),
    )
    return min(limits, Decimal(0))


def _after_cuts(
    net: dict[LineKey, Decimal], cut: Decimal, unit: Currency
) -> dict[LineKey, Decimal]:
    """Spread a cut of the item's shares over its lines with a positive net share, in proportion
    to it, to whole minor units that add up (largest remainder); other lines keep their share."""
    positive = {key: value for key, value in net.items() if value > 0}
    total = sum(positive.values(), Decimal(0))
    if cut == 0 or total == 0:
        return dict(net)
    # The cut is at most what was earned, which is at most the positive shares.
    assert -cut <= total, f"a cut of {cut} is more than the shares {total}"
    keys = list(positive)
    fractions = [Fraction(positive[key]) / Fraction(total) for key in keys]
    parts = allocate(total + cut, fractions, unit)
    found = dict(net)
    found.update(zip(keys, parts, strict=True))
    return found
