"""The settlement history of one agreement: its issued statements, in period order.

Everything later periods need is read from earlier statements: running totals (cumulative basis,
paid, guarantee outstanding), which items ended, and what was shared on each revenue line (for
clawbacks). The history holds no other state, so persisting statements is persisting the history.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

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
    """What one item paid on one revenue line in one settled period, and what was clawed back."""

    item_id: str
    key: LineKey
    period_start: datetime
    share_lines: tuple[ShareLine, ...]
    clawed_back: Decimal
    """The total already taken back (a positive number)."""
    kinds_clawed: frozenset[AdjustmentKind]
    credited_in_period: Decimal = Decimal(0)
    """The share of credit notes netted against the line in its own period (zero or negative)."""

    @property
    def paid(self) -> Decimal:
        return sum((line.share for line in self.share_lines), Decimal(0))

    @property
    def remaining(self) -> Decimal:
        """What was paid on the line and not yet taken back, by a credit or a clawback."""
        return self.paid + self.credited_in_period - self.clawed_back

    @property
    def line_basis(self) -> Decimal:
        return self.share_lines[0].line_basis


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
        clawed: dict[tuple[str, LineKey, datetime], list[tuple[AdjustmentKind, Decimal]]] = {}
        for _, item, line in self._adjustments():
            if line.kind.is_clawback and line.bill_no is not None and line.line_id is not None:
                assert line.settled_period_start is not None
                group = (item.item_id, (line.bill_no, line.line_id), line.settled_period_start)
                clawed.setdefault(group, []).append((line.kind, line.amount))
        found: list[SettledShare] = []
        for statement in self.statements:
            for item in statement.items:
                grouped, credited = _grouped(item.share_lines)
                for key, lines in grouped.items():
                    taken = clawed.get((item.item_id, key, statement.period_start), [])
                    found.append(
                        SettledShare(
                            item_id=item.item_id,
                            key=key,
                            period_start=statement.period_start,
                            share_lines=tuple(lines),
                            clawed_back=-sum((amount for _, amount in taken), Decimal(0)),
                            kinds_clawed=frozenset(kind for kind, _ in taken),
                            credited_in_period=credited.get(key, Decimal(0)),
                        )
                    )
        return tuple(found)

    def _adjustments(self) -> Iterator[tuple[SettlementStatement, ItemSettlement, AdjustmentLine]]:
        for statement in self.statements:
            for item in statement.items:
                for line in item.adjustments:
                    yield statement, item, line


def _grouped(
    share_lines: tuple[ShareLine, ...],
) -> tuple[dict[LineKey, list[ShareLine]], dict[LineKey, Decimal]]:
    """Share lines by revenue line, and the credit-note shares netted against each line."""
    grouped: dict[LineKey, list[ShareLine]] = {}
    credited: dict[LineKey, Decimal] = {}
    for share in share_lines:
        if share.credits_bill_no is not None and share.credits_line_id is not None:
            target = (share.credits_bill_no, share.credits_line_id)
            credited[target] = credited.get(target, Decimal(0)) + share.share
        else:
            grouped.setdefault(share.key, []).append(share)
    return grouped, credited
