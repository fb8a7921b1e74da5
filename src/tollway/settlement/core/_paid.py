"""What earlier periods paid on each revenue line, and what the period being settled takes back.

Clawbacks are taken at the start of a period, before its own revenue: a credit note for a line
settled earlier, a write-off dated after the line was settled, an item end that became known
after the periods it ends were settled. Each lowers the item's running basis by the basis it takes
back (see `_clawback` for the amounts).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from tollway.periods import BillingPeriod
from tollway.settlement.core._carve import ItemWindow
from tollway.settlement.core._clawback import (
    reversal_clawbacks,
    reversed_slice_basis,
    termination_clawbacks,
)
from tollway.settlement.core._history import SettledShare, SettlementHistory
from tollway.settlement.core._inputs import local_dates, recognised_on, written_off
from tollway.settlement.core._model import AccountingBasis, Deduction, RevenueShareModel
from tollway.settlement.core._records import LineKey, RevenueLine
from tollway.settlement.core._statement import AdjustmentKind, AdjustmentLine

SettledKey = tuple[str, LineKey, datetime]


@dataclass(slots=True)
class PaidLines:
    """The shares of earlier periods, updated as the period takes clawbacks of them."""

    model: RevenueShareModel
    settled: dict[SettledKey, SettledShare]
    clawbacks: dict[str, list[AdjustmentLine]] = field(default_factory=dict)
    """The period's clawbacks, by item (items of earlier models too)."""
    basis_clawed: dict[str, Decimal] = field(default_factory=dict)
    """The basis they took back, by item (positive)."""

    @classmethod
    def of(cls, history: SettlementHistory, model: RevenueShareModel) -> "PaidLines":
        shares = history.settled_shares()
        return cls(model, {(each.item_id, each.key, each.period_start): each for each in shares})

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
        self.record(lines)
        return bool(lines)

    def record(self, lines: Sequence[AdjustmentLine]) -> None:
        for line in lines:
            assert line.bill_no and line.line_id and line.settled_period_start
            group = (line.item_id, (line.bill_no, line.line_id), line.settled_period_start)
            share = self.settled[group]
            updated = replace(
                share,
                clawed_back=share.clawed_back - line.amount,
                kinds_clawed=share.kinds_clawed | {line.kind},
            )
            basis_taken = -line.basis
            if line.kind.is_reversal:
                updated = replace(
                    updated,
                    reversed_basis=share.reversed_basis - line.basis,
                    reversal_clawed=share.reversal_clawed - line.amount,
                )
                basis_taken = self.slice_reversed(updated) - self.slice_reversed(share)
            # Invariant: what is taken back on a line never exceeds what was paid on it.
            assert updated.clawed_back <= max(updated.paid, Decimal(0)), f"{group}: clawed back"
            self.settled[group] = updated
            self.clawbacks.setdefault(line.item_id, []).append(line)
            before = self.basis_clawed.get(line.item_id, Decimal(0))
            self.basis_clawed[line.item_id] = before + basis_taken

    def slice_reversed(self, share: SettledShare) -> Decimal:
        return reversed_slice_basis(share, share.reversed_basis, self.model.currency)

    def take_credits(
        self, recognised: Sequence[RevenueLine], basis: Callable[[RevenueLine], Decimal]
    ) -> dict[LineKey, bool]:
        """Claw back the shares of lines settled earlier that the period's credit notes credit:
        for each such credit note, whether anything was left to take back."""
        found: dict[LineKey, bool] = {}
        if not self.model.basis.deducts(Deduction.CREDITS):
            return found
        for line in recognised:
            credited = line.credited_key
            if credited is None or line.currency != self.model.currency:
                continue
            if self.shares_of(credited):
                kind = AdjustmentKind.CREDIT_CLAWBACK
                found[line.key] = self.claw_back(credited, kind, -basis(line), line)
        return found

    def take_write_offs(
        self,
        lines: Sequence[RevenueLine],
        *,
        period: BillingPeriod,
        accounting_basis: AccountingBasis,
    ) -> None:
        """Claw back the written-off part of lines settled before the period of the write-off."""
        if not self.model.basis.deducts(Deduction.BAD_DEBT):
            return
        first, end = local_dates(period)
        with_tax = not self.model.basis.deducts(Deduction.TAX)
        for line in lines:
            day = line.written_off_on
            recognised = recognised_on(line, accounting_basis)
            if day is None or not first <= day < end or line.currency != self.model.currency:
                continue
            if recognised is not None and recognised < first:
                reversed_basis = written_off(line, with_tax=with_tax)
                self.claw_back(line.key, AdjustmentKind.BAD_DEBT_CLAWBACK, reversed_basis, line)

    def take_late_ends(self, windows: Mapping[str, ItemWindow]) -> None:
        """Claw back the share paid on revenue served after an item's end, once it is known."""
        ended = {key: window for key, window in windows.items() if window.end is not None}
        lines = termination_clawbacks(
            list(self.settled.values()),
            ended,
            currency=self.model.currency,
            mode=self.model.rounding_mode,
        )
        self.record(lines)
