"""Settlement statements: what each item shared, from which revenue lines, and what is payable.

Sign convention: a positive amount is payable by the operator to the partner; a negative one
(a clawback larger than the period's share) is owed by the partner to the operator.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tollway.money import Currency, RoundingMode
from tollway.settlement.core._digest import digest_of
from tollway.settlement.core._errors import HistoryIntegrityError
from tollway.settlement.core._model import AccountingBasis
from tollway.settlement.core._records import LineKey, MilestoneEvent


@dataclass(frozen=True, slots=True)
class ShareLine:
    """One revenue line's (slice's) share under one item: the citation finance audits.

    `line_basis` is the whole line's basis; `basis` the part shared here (a line crossing a band,
    an item's end or a cumulative threshold is split); `band` is 1-based (None for a flat share).
    `share_exact` is basis × percent / 100; `share` is it rounded at the model's rounding mode.
    A credit-note line netted in its own period names the line it credits (`credits_*`); under one
    percentage (flat, banded) its share is rounded cumulatively with that line's slice, so a slice
    credited in full, in any number of parts, earns exactly nothing.
    """

    item_id: str
    bill_no: str
    line_id: str
    service_start: datetime
    service_end: datetime
    line_basis: Decimal
    basis: Decimal
    band: int | None
    percent: Decimal
    share_exact: Decimal
    share: Decimal
    credits_bill_no: str | None = None
    credits_line_id: str | None = None

    def __post_init__(self) -> None:
        # Invariant: a share never exceeds its basis (in size, and it has the basis's sign).
        assert abs(self.share) <= abs(self.basis), f"{self.key}: share {self.share} > basis"
        assert self.share == 0 or (self.share > 0) == (self.basis > 0), f"{self.key}: sign"

    @property
    def key(self) -> LineKey:
        return (self.bill_no, self.line_id)


class AdjustmentKind(StrEnum):
    """Item-level lines on top of the share lines."""

    CREDIT_CLAWBACK = "credit_clawback"
    """A credit note after the credited line was settled takes back its share, at its rate."""
    BAD_DEBT_CLAWBACK = "bad_debt_clawback"
    """A write-off after the line was settled takes back the written-off part's share."""
    TERMINATION_CLAWBACK = "termination_clawback"
    """A milestone recorded after its period was settled takes back the share of revenue served
    after it."""
    GUARANTEE_TOP_UP = "guarantee_top_up"
    RECOUPMENT = "recoupment"
    PERIOD_FLOOR = "period_floor"
    CUMULATIVE_FLOOR = "cumulative_floor"
    PERIOD_CAP = "period_cap"
    CUMULATIVE_CAP = "cumulative_cap"
    LIMITS_RESTATED = "limits_restated"
    """An item's end became known after periods it ends were settled: the guarantee, floors and
    caps of each such period, restated with the end known, less what was stated then."""

    @property
    def is_clawback(self) -> bool:
        return self in _CLAWBACKS

    @property
    def is_reversal(self) -> bool:
        """A clawback for revenue reversed (credited or written off), not for an item's end."""
        return self in (AdjustmentKind.CREDIT_CLAWBACK, AdjustmentKind.BAD_DEBT_CLAWBACK)


_CLAWBACKS = frozenset(
    {
        AdjustmentKind.CREDIT_CLAWBACK,
        AdjustmentKind.BAD_DEBT_CLAWBACK,
        AdjustmentKind.TERMINATION_CLAWBACK,
    }
)


@dataclass(frozen=True, slots=True)
class AdjustmentLine:
    """A clawback, guarantee, recoupment, floor or cap line of an item.

    For a clawback: `bill_no`/`line_id` name the settled revenue line, `settled_period_start` the
    period its share was paid in, `source` what triggered it (the credit-note line, the
    write-off, the milestone) and `basis` the basis taken back: for a credit or a write-off the
    line's basis credited or written off, for an item's end the item's basis served after it.
    For a restatement (`LIMITS_RESTATED`): `settled_period_start` names the period restated.
    """

    item_id: str
    kind: AdjustmentKind
    amount: Decimal
    description: str
    bill_no: str | None = None
    line_id: str | None = None
    settled_period_start: datetime | None = None
    source: str | None = None
    basis: Decimal = Decimal(0)


class ExclusionReason(StrEnum):
    """Why (part of) a recognised revenue line is not shared."""

    CURRENCY = "currency"
    OUT_OF_SCOPE = "out_of_scope"
    OUTSIDE_AGREEMENT = "outside_agreement"
    NO_ITEM_IN_EFFECT = "no_item_in_effect"
    CREDIT_NOT_DEDUCTED = "credit_not_deducted"
    CREDITED_LINE_NOT_SHARED = "credited_line_not_shared"
    NOTHING_TO_CLAW_BACK = "nothing_to_claw_back"


@dataclass(frozen=True, slots=True)
class ExcludedLine:
    """A recognised revenue line, or the part of it served in `service_start..service_end`, that
    no item shares, with the reason. `amount` is its basis (in the line's own currency)."""

    bill_no: str
    line_id: str
    service_start: datetime
    service_end: datetime
    amount: Decimal
    currency: Currency
    reason: ExclusionReason
    detail: str


@dataclass(frozen=True, slots=True)
class ItemEnd:
    """When and why an item ended (`at` is None when a cumulative amount ended it)."""

    at: datetime | None
    reason: str


@dataclass(frozen=True, slots=True)
class ItemSettlement:
    """One item's result for the period, with its running totals after it.

    `earned` = share lines + clawbacks; `payable` = earned + guarantee, recoupment, floor, cap and
    restatement lines. `cumulative_basis` is the basis it has shared since it began, less the
    basis clawed back (credited, written off, served after its end); `cumulative_paid` the total
    paid; `guarantee_outstanding` the guarantee top-ups not yet recouped.
    """

    item_id: str
    name: str
    in_effect: bool
    share_lines: tuple[ShareLine, ...]
    adjustments: tuple[AdjustmentLine, ...]
    basis: Decimal
    earned: Decimal
    payable: Decimal
    cumulative_basis: Decimal
    cumulative_paid: Decimal
    guarantee_outstanding: Decimal
    ended: ItemEnd | None

    def __post_init__(self) -> None:
        shares = sum((line.share for line in self.share_lines), Decimal(0))
        clawbacks = sum(
            (line.amount for line in self.adjustments if line.kind.is_clawback), Decimal(0)
        )
        limits = sum(
            (line.amount for line in self.adjustments if not line.kind.is_clawback), Decimal(0)
        )
        assert self.basis == sum((line.basis for line in self.share_lines), Decimal(0))
        assert self.earned == shares + clawbacks, f"{self.item_id}: earned is not its lines"
        assert self.payable == self.earned + limits, f"{self.item_id}: payable is not its lines"
        assert self.guarantee_outstanding >= 0

    @property
    def shares(self) -> Decimal:
        return sum((line.share for line in self.share_lines), Decimal(0))


@dataclass(frozen=True, slots=True)
class SettlementStatement:
    """A partner's revenue-share statement for one period [period_start, period_end).

    The digest is computed on creation when left empty, and checked when given (a statement read
    back from storage): a mismatch raises `HistoryIntegrityError`.
    """

    agreement_id: str
    agreement_version: int
    model_id: str
    operator_id: str
    partner_id: str
    currency: Currency
    period_start: datetime
    period_end: datetime
    accounting_basis: AccountingBasis
    basis_label: str
    rounding_mode: RoundingMode
    items: tuple[ItemSettlement, ...]
    excluded: tuple[ExcludedLine, ...]
    milestones: tuple[MilestoneEvent, ...]
    total_payable: Decimal
    digest: str = ""

    def __post_init__(self) -> None:
        assert self.period_start < self.period_end
        total = sum((item.payable for item in self.items), Decimal(0))
        assert self.total_payable == total, "the statement total is the sum of its items"
        computed = digest_of(self)
        if not self.digest:
            object.__setattr__(self, "digest", computed)
        elif self.digest != computed:
            raise HistoryIntegrityError(
                f"statement of agreement {self.agreement_id} for the period from "
                f"{self.period_start.isoformat()} has digest {self.digest} but its content gives "
                f"{computed}: it was altered after it was issued"
            )

    @property
    def number(self) -> str:
        """A stable statement number: agreement and period start."""
        return f"RSS-{self.agreement_id}-{self.period_start:%Y%m%d}"

    @property
    def payer_id(self) -> str | None:
        """Who pays the total: the operator, the partner, or nobody at zero."""
        if self.total_payable == 0:
            return None
        return self.operator_id if self.total_payable > 0 else self.partner_id

    def item(self, item_id: str) -> ItemSettlement:
        found = [item for item in self.items if item.item_id == item_id]
        assert len(found) == 1, f"statement has no item {item_id}"
        return found[0]
