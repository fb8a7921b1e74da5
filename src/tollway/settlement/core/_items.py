"""One item's result for a period: its share lines rated, its clawbacks, and its limits applied.

The running basis an item's bands and thresholds read is the basis it has shared since it began,
less the basis clawed back: a credit, a write-off or an end recorded late lowers it. Clawbacks are
taken at the start of the period, before the period's own revenue.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tollway.money import Currency, RoundingMode
from tollway.settlement.core._carve import ItemWindow
from tollway.settlement.core._history import SettlementHistory
from tollway.settlement.core._limits import LimitResult, apply_limits
from tollway.settlement.core._model import BandMeasure, FlatShare, ShareItem
from tollway.settlement.core._rates import Slice, share_lines
from tollway.settlement.core._restate import restate_limits
from tollway.settlement.core._statement import (
    AdjustmentKind,
    AdjustmentLine,
    ItemEnd,
    ItemSettlement,
)


@dataclass(frozen=True, slots=True)
class ItemPeriod:
    """What a period gathered for one item of the model in force."""

    item: ShareItem
    slices: Sequence[Slice]
    clawbacks: Sequence[AdjustmentLine]
    basis_clawed: Decimal
    """The item's basis the clawbacks took back (positive)."""
    window: ItemWindow
    in_effect: bool
    ended: ItemEnd | None


def item_settlement(
    gathered: ItemPeriod,
    *,
    prior: SettlementHistory,
    currency: Currency,
    mode: RoundingMode,
) -> ItemSettlement:
    """Rate the item's slices, add its clawbacks and apply its limits (restating them for the
    periods its end touches when the end became known late)."""
    item = gathered.item
    last = prior.last_item(item.id)
    zero = Decimal(0).quantize(currency.minor_unit)
    running = (last.cumulative_basis if last else zero) - gathered.basis_clawed
    measure = BandMeasure.PERIOD if isinstance(item.rate, FlatShare) else item.rate.measure
    shares = share_lines(
        item.rate,
        gathered.slices,
        start_total=running if measure is BandMeasure.CUMULATIVE else Decimal(0),
        currency=currency,
        mode=mode,
    )
    clawbacks = tuple(gathered.clawbacks)
    earned = sum((line.share for line in shares), zero) + sum(
        (line.amount for line in clawbacks), zero
    )
    limits, restated = _limits(gathered, prior, earned=earned, zero=zero)
    payable = earned + sum((line.amount for line in restated + limits.adjustments), zero)
    assert limits.cumulative_paid == (last.cumulative_paid if last else zero) + payable
    basis = sum((line.basis for line in shares), zero)
    return ItemSettlement(
        item_id=item.id,
        name=item.name,
        in_effect=gathered.in_effect,
        share_lines=shares,
        adjustments=clawbacks + restated + limits.adjustments,
        basis=basis,
        earned=earned,
        payable=payable,
        cumulative_basis=running + basis,
        cumulative_paid=limits.cumulative_paid,
        guarantee_outstanding=limits.guarantee_outstanding,
        ended=gathered.ended,
    )


def _limits(
    gathered: ItemPeriod, prior: SettlementHistory, *, earned: Decimal, zero: Decimal
) -> tuple[LimitResult, tuple[AdjustmentLine, ...]]:
    item, window = gathered.item, gathered.window
    last = prior.last_item(item.id)
    ended_now = gathered.ended is not None and (last is None or last.ended is None)
    late = (
        last is not None
        and last.ended is None
        and window.end is not None
        and window.end <= prior.statements[-1].period_end
    )
    restatement = (
        restate_limits(item, prior, window=window, clawbacks=gathered.clawbacks) if late else None
    )
    if restatement is None:
        limits = apply_limits(
            item,
            earned=earned,
            paid_before=last.cumulative_paid if last else zero,
            outstanding_before=last.guarantee_outstanding if last else zero,
            in_effect=gathered.in_effect,
            ended_now=ended_now,
        )
        return limits, ()
    # The termination clawbacks belong to the restated periods: the period's own limits apply to
    # the rest, after the restated totals. The restated periods are added to what it pays.
    terminated = sum(
        (
            line.amount
            for line in gathered.clawbacks
            if line.kind is AdjustmentKind.TERMINATION_CLAWBACK
        ),
        zero,
    )
    limits = apply_limits(
        item,
        earned=earned - terminated,
        paid_before=restatement.cumulative_paid,
        outstanding_before=restatement.guarantee_outstanding,
        in_effect=gathered.in_effect,
        ended_now=ended_now and not restatement.ended,
    )
    return limits, restatement.lines


def former_item_settlement(
    item_id: str,
    clawbacks: Sequence[AdjustmentLine],
    *,
    basis_clawed: Decimal,
    prior: SettlementHistory,
    currency: Currency,
) -> ItemSettlement:
    """An item of a model no longer in force (an earlier agreement version): its clawbacks only.
    It shares nothing and has no limits any more; its totals carry on from its last period."""
    last = prior.last_item(item_id)
    assert last is not None, f"item {item_id} was settled before"
    zero = Decimal(0).quantize(currency.minor_unit)
    earned = sum((line.amount for line in clawbacks), zero)
    return ItemSettlement(
        item_id=item_id,
        name=last.name,
        in_effect=False,
        share_lines=(),
        adjustments=tuple(clawbacks),
        basis=zero,
        earned=earned,
        payable=earned,
        cumulative_basis=last.cumulative_basis - basis_clawed,
        cumulative_paid=last.cumulative_paid + earned,
        guarantee_outstanding=last.guarantee_outstanding,
        ended=last.ended,
    )
