"""Restating an item's guarantee, floors and caps when its end becomes known late.

A milestone recorded after the periods it ends were settled takes back the share paid on revenue
served after it (termination clawbacks). The limits of those periods were worked out with the
item in effect, so they are restated too: each settled period from the first one the end touches
(the period containing it, or an earlier one whose lines were served after it) is worked out
again with the end known: its earned amount less its termination clawbacks, the guarantee and the
period floor only if the item was in effect at the period's start, the cumulative floor in the
period the item ends, then the caps, carrying the restated paid total and guarantee balance from
period to period. Each period's restated limit lines less those it stated is one `LIMITS_RESTATED`
line in the period being settled; nothing already issued is rewritten.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tollway.settlement.core._carve import ItemWindow
from tollway.settlement.core._history import SettlementHistory
from tollway.settlement.core._limits import apply_limits
from tollway.settlement.core._model import ShareItem
from tollway.settlement.core._statement import (
    AdjustmentKind,
    AdjustmentLine,
    ItemSettlement,
    SettlementStatement,
)


@dataclass(frozen=True, slots=True)
class Restatement:
    """The restated periods' differences, and the item's totals after them, restated."""

    lines: tuple[AdjustmentLine, ...]
    cumulative_paid: Decimal
    guarantee_outstanding: Decimal
    ended: bool
    """Whether a restated period is the one the item ends in (its cumulative floor is done)."""


def restate_limits(
    item: ShareItem,
    history: SettlementHistory,
    *,
    window: ItemWindow,
    clawbacks: Sequence[AdjustmentLine],
) -> Restatement | None:
    """The item's settled periods restated now that `window.end` is known; None if the end touches
    none of them. `clawbacks` are the item's clawbacks of the period being settled."""
    assert window.end is not None
    end = window.end
    clawed = _terminated_by_period(clawbacks)
    entries = [
        (statement, statement.item(item.id))
        for statement in history.statements
        if any(each.item_id == item.id for each in statement.items)
    ]
    touched = [
        index
        for index, (statement, _) in enumerate(entries)
        if statement.period_end > end or statement.period_start in clawed
    ]
    if not touched:
        return None
    first = touched[0]
    before = entries[first - 1][1] if first > 0 else None
    paid = before.cumulative_paid if before else Decimal(0)
    outstanding = before.guarantee_outstanding if before else Decimal(0)
    lines: list[AdjustmentLine] = []
    ended = False
    for statement, settled in entries[first:]:
        earned = settled.earned + clawed.get(statement.period_start, Decimal(0))
        ended_now = not ended and end <= statement.period_end
        ended = ended or ended_now
        result = apply_limits(
            item,
            earned=earned,
            paid_before=paid,
            outstanding_before=outstanding,
            in_effect=settled.in_effect and window.contains(statement.period_start),
            ended_now=ended_now,
        )
        difference = (result.payable - earned) - (settled.payable - settled.earned)
        if difference != 0:
            lines.append(_line(item.id, difference, statement, settled, window))
        paid, outstanding = result.cumulative_paid, result.guarantee_outstanding
    return Restatement(tuple(lines), paid, outstanding, ended)


def _terminated_by_period(clawbacks: Sequence[AdjustmentLine]) -> dict[datetime, Decimal]:
    """The termination clawbacks, summed by the settled period they take back from."""
    found: dict[datetime, Decimal] = {}
    for line in clawbacks:
        if line.kind is AdjustmentKind.TERMINATION_CLAWBACK:
            assert line.settled_period_start is not None
            start = line.settled_period_start
            found[start] = found.get(start, Decimal(0)) + line.amount
    return found


def _line(
    item_id: str,
    difference: Decimal,
    statement: SettlementStatement,
    settled: ItemSettlement,
    window: ItemWindow,
) -> AdjustmentLine:
    assert window.end is not None
    stated = settled.payable - settled.earned
    return AdjustmentLine(
        item_id=item_id,
        kind=AdjustmentKind.LIMITS_RESTATED,
        amount=difference,
        description=f"guarantee, floors and caps of the period from "
        f"{statement.period_start.date().isoformat()} restated ({stated} stated): the item "
        f"ended {window.end.isoformat()} ({window.end_reason or 'ended'})",
        settled_period_start=statement.period_start,
        source=window.end_reason,
    )
