"""Revenue-share models shaped like TMF738 `partyRevSharingModel` with ordered items.

A revenue line is shared by the FIRST item, in model order, whose scope matches it and which is in
effect over (that part of) the line's service period; an item that has ended no longer matches, so
the next matching item (or nothing) takes the revenue after it.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from tollway.billing import ChargeType
from tollway.money import Currency, RoundingMode
from tollway.settlement.core._checks import (
    require_aware,
    require_not_negative,
    require_ordered,
    require_percent,
    require_whole_minor,
)
from tollway.settlement.core._errors import SettlementInputError
from tollway.settlement.core._records import RevenueLine


class Deduction(StrEnum):
    """What a net basis takes off the billed amount."""

    TAX = "tax"
    CREDITS = "credits"
    BAD_DEBT = "bad_debt"


_DEDUCTION_ORDER = (Deduction.TAX, Deduction.CREDITS, Deduction.BAD_DEBT)


@dataclass(frozen=True, slots=True)
class Basis:
    """The amount a share is a share of: gross (billed, tax included) or net of deductions.

    >>> Basis.gross().label, Basis.net_of(Deduction.CREDITS, Deduction.TAX).label
    ('gross', 'net of tax, credits')
    """

    deductions: frozenset[Deduction] = frozenset()

    @classmethod
    def gross(cls) -> "Basis":
        return cls()

    @classmethod
    def net_of(cls, *deductions: Deduction) -> "Basis":
        return cls(frozenset(deductions))

    def deducts(self, deduction: Deduction) -> bool:
        return deduction in self.deductions

    @property
    def label(self) -> str:
        if not self.deductions:
            return "gross"
        names = [each.value.replace("_", " ") for each in _DEDUCTION_ORDER if self.deducts(each)]
        return "net of " + ", ".join(names)


class AccountingBasis(StrEnum):
    """When revenue counts: when billed (bill date) or when paid (payment date)."""

    ACCRUAL = "accrual"
    CASH = "cash"


class BandMeasure(StrEnum):
    """The running total bands are read against."""

    PERIOD = "period"
    """The item's basis in the period being settled (starts at zero each period)."""
    CUMULATIVE = "cumulative"
    """The item's basis since it began, across periods (read from the settlement history)."""


@dataclass(frozen=True, slots=True)
class Band:
    """A band of the running total up to and including `up_to` (None: no upper bound)."""

    up_to: Decimal | None
    percent: Decimal


@dataclass(frozen=True, slots=True)
class FlatShare:
    """The same percentage of every amount."""

    percent: Decimal


@dataclass(frozen=True, slots=True)
class TieredShare:
    """Marginal bands: each slice of the running total earns its own band's percentage."""

    bands: tuple[Band, ...]
    measure: BandMeasure = BandMeasure.PERIOD


@dataclass(frozen=True, slots=True)
class BandedShare:
    """Whole-amount bands: the band the running total reaches at period end sets one percentage
    for the whole period's basis. A total exactly on a bound stays in the lower band."""

    bands: tuple[Band, ...]
    measure: BandMeasure = BandMeasure.PERIOD


ShareRate: TypeAlias = FlatShare | TieredShare | BandedShare


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps and floors on the amount paid for an item, all in whole minor units.

    A period cap/floor bounds one period's payment; the cumulative cap bounds the total ever paid;
    the cumulative floor is a lifetime minimum, trued up in the period the item ends.
    """

    period_cap: Decimal | None = None
    period_floor: Decimal | None = None
    cumulative_cap: Decimal | None = None
    cumulative_floor: Decimal | None = None


@dataclass(frozen=True, slots=True)
class MinimumGuarantee:
    """A minimum paid each period the item is in effect at the period's start. A recoupable
    guarantee's top-ups are recouped from later periods' share above the guarantee."""

    amount_per_period: Decimal
    recoupable: bool = True


@dataclass(frozen=True, slots=True)
class EndsOnDate:
    """The item ends at an instant: revenue served from then on is not shared by it."""

    at: datetime


@dataclass(frozen=True, slots=True)
class EndsOnCumulativeBasis:
    """The item ends once it has shared `amount` of basis in total; the line crossing it is split."""

    amount: Decimal


@dataclass(frozen=True, slots=True)
class EndsOnMilestone:
    """The item ends when the named milestone occurs (known once a `MilestoneEvent` is recorded)."""

    name: str


Termination: TypeAlias = EndsOnDate | EndsOnCumulativeBasis | EndsOnMilestone


@dataclass(frozen=True, slots=True)
class Scope:
    """Which revenue lines an item shares; an empty dimension matches everything."""

    product_ids: frozenset[str] = frozenset()
    offering_ids: frozenset[str] = frozenset()
    product_types: frozenset[str] = frozenset()
    billing_account_ids: frozenset[str] = frozenset()
    usage_types: frozenset[str] = frozenset()
    charge_types: frozenset[ChargeType] = frozenset()

    def matches(self, line: RevenueLine) -> bool:
        pairs: tuple[tuple[frozenset[str], str | None], ...] = (
            (self.product_ids, line.product_id),
            (self.offering_ids, line.offering_id),
            (self.product_types, line.product_type),
            (self.billing_account_ids, line.billing_account_id),
            (self.usage_types, line.usage_type),
        )
        if self.charge_types and line.charge_type not in self.charge_types:
            return False
        return all(not wanted or value in wanted for wanted, value in pairs)


@dataclass(frozen=True, slots=True)
class ShareItem:
    """A TMF738 model item: a scope, a rate, effective dates, endings, limits, a guarantee."""

    id: str
    name: str
    rate: ShareRate
    scope: Scope = Scope()
    effective_from: datetime | None = None
    effective_until: datetime | None = None
    ends: tuple[Termination, ...] = ()
    limits: Limits = Limits()
    guarantee: MinimumGuarantee | None = None

    @property
    def cumulative_end(self) -> Decimal | None:
        amounts = [end.amount for end in self.ends if isinstance(end, EndsOnCumulativeBasis)]
        return min(amounts) if amounts else None

    @property
    def milestone_names(self) -> tuple[str, ...]:
        return tuple(end.name for end in self.ends if isinstance(end, EndsOnMilestone))


@dataclass(frozen=True, slots=True)
class RevenueShareModel:
    """A TMF738 revenue-sharing model: one currency, one basis, items in order of precedence.

    `rounding_mode` rounds each share line and each clawback to the currency's minor unit.
    """

    id: str
    name: str
    currency: Currency
    basis: Basis
    items: tuple[ShareItem, ...]
    rounding_mode: RoundingMode = RoundingMode.HALF_UP

    def __post_init__(self) -> None:
        record = f"revenue-share model {self.id}"
        if not self.items:
            raise SettlementInputError(record, "items", "a model needs at least one item")
        ids = tuple(item.id for item in self.items)
        if len(set(ids)) != len(ids):
            raise SettlementInputError(record, "items", f"item ids repeat: {list(ids)}")
        for index, item in enumerate(self.items):
            _check_item(item, self.currency, record=f"{record} items[{index}] ({item.id})")

    def item(self, item_id: str) -> ShareItem:
        found = [item for item in self.items if item.id == item_id]
        assert len(found) == 1, f"model {self.id} has no item {item_id}"
        return found[0]


def _check_item(item: ShareItem, currency: Currency, *, record: str) -> None:
    _check_rate(item.rate, currency, record=record)
    for name in ("effective_from", "effective_until"):
        value = getattr(item, name)
        if value is not None:
            require_aware(value, record=record, field=name)
    if item.effective_from is not None:
        require_ordered(
            item.effective_from, item.effective_until, record=record, field="effective_until"
        )
    for end in item.ends:
        if isinstance(end, EndsOnDate):
            require_aware(end.at, record=record, field="ends.at")
        elif isinstance(end, EndsOnCumulativeBasis):
            _check_amount(end.amount, currency, record=record, field="ends.amount")
    _check_limits(item, currency, record=record)


def _check_amount(value: Decimal, currency: Currency, *, record: str, field: str) -> None:
    require_not_negative(value, record=record, field=field)
    require_whole_minor(value, currency, record=record, field=field)


def _check_rate(rate: ShareRate, currency: Currency, *, record: str) -> None:
    if isinstance(rate, FlatShare):
        require_percent(rate.percent, record=record, field="rate.percent")
        return
    if not rate.bands or rate.bands[-1].up_to is not None:
        raise SettlementInputError(record, "rate.bands", "the last band must have no upper bound")
    previous = Decimal(0)
    for index, band in enumerate(rate.bands):
        field = f"rate.bands[{index}]"
        require_percent(band.percent, record=record, field=f"{field}.percent")
        if band.up_to is None:
            if index != len(rate.bands) - 1:
                raise SettlementInputError(record, field, "only the last band is unbounded")
            continue
        require_whole_minor(band.up_to, currency, record=record, field=f"{field}.up_to")
        if band.up_to <= previous:
            raise SettlementInputError(
                record, f"{field}.up_to", f"{band.up_to} must be above the previous bound"
            )
        previous = band.up_to


def _check_limits(item: ShareItem, currency: Currency, *, record: str) -> None:
    limits = item.limits
    for name in ("period_cap", "period_floor", "cumulative_cap", "cumulative_floor"):
        value = getattr(limits, name)
        if value is not None:
            _check_amount(value, currency, record=record, field=f"limits.{name}")
    minimums = [limits.period_floor]
    if item.guarantee is not None:
        _check_amount(item.guarantee.amount_per_period, currency, record=record, field="guarantee")
        minimums.append(item.guarantee.amount_per_period)
    for minimum in minimums:
        if minimum is not None and limits.period_cap is not None and minimum > limits.period_cap:
            raise SettlementInputError(
                record, "limits.period_cap", f"{limits.period_cap} is below a minimum {minimum}"
            )
    low, high = limits.cumulative_floor, limits.cumulative_cap
    if low is not None and high is not None and low > high:
        raise SettlementInputError(
            record, "limits.cumulative_cap", f"{high} is below the cumulative floor {low}"
        )
