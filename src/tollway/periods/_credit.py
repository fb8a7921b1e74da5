"""Credits for unused prepaid time, and the two lines of a mid-period plan change.

A period billed in advance and cancelled (or changed) at `change_at` leaves [change_at, period end)
unused. That part is credited at the price the conventions' `credit_basis` names: the price billed
for the period (Lago, Kill Bill, Stripe "flexible") or the price in force now (Stripe "classic").
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tollway.conventions import Conventions, CreditBasis
from tollway.money import MONEY_CONTEXT
from tollway.periods._period import BillingPeriod, PeriodError, require_aware
from tollway.periods._proration import Proration, prorate


@dataclass(frozen=True, slots=True)
class Credit:
    """A credit for the unused part of a prepaid period.

    `amount` is negative (the prorated `credited_price`, unrounded); `proration` shows how the
    unused share was counted.
    """

    amount: Decimal
    credited_price: Decimal
    credit_basis: CreditBasis
    proration: Proration
    description: str

    def __post_init__(self) -> None:
        assert self.amount == self.proration.amount.copy_negate(), (
            "a credit is its proration, negated"
        )

    @property
    def fraction(self) -> Decimal:
        """The unused share of the period that is credited."""
        return self.proration.fraction


@dataclass(frozen=True, slots=True)
class PlanChange:
    """A mid-period plan change: a credit for the old plan's unused time and a prorated charge
    for the new plan from the change to the end of the period."""

    credit: Credit
    charge: Proration

    @property
    def net_amount(self) -> Decimal:
        """What the change costs for the rest of the period (negative: owed to the customer)."""
        return MONEY_CONTEXT.add(self.charge.amount, self.credit.amount)


def _checked_change(change_at: datetime, period: BillingPeriod) -> datetime:
    require_aware(change_at, "change_at")
    if not (period.contains(change_at) or change_at == period.end):
        raise PeriodError(
            "change_at",
            f"{change_at.isoformat()} is outside the period "
            f"{period.start.isoformat()} to {period.end.isoformat()}",
        )
    return change_at


def unused_credit(
    *,
    billed_amount: Decimal,
    current_amount: Decimal,
    period: BillingPeriod,
    change_at: datetime,
    conventions: Conventions,
) -> Credit:
    """The credit for [change_at, period end) of a period billed in advance.

    `billed_amount` is a whole cycle's price as billed, `current_amount` the price in force now;
    `conventions.credit_basis` picks which one is credited. For a stub `period` give the full
    cycle's price, not the stub's prorated charge: the unused share is measured against the full
    cycle that holds the stub (see `prorate`).

    >>> from datetime import date
    >>> from tollway.conventions import profile
    >>> from tollway.periods import Cadence, local_midnight, period_containing
    >>> change = local_midnight(date(2024, 4, 21), time_zone="UTC")
    >>> april = period_containing(change, cadence=Cadence.MONTHLY, time_zone="UTC")
    >>> credit = unused_credit(billed_amount=Decimal("30.00"), current_amount=Decimal("45.00"),
    ...                        period=april, change_at=change, conventions=profile("tollway"))
    >>> credit.amount, credit.fraction
    (Decimal('-10'), Decimal('0.33333333333333333333333333333333333333'))
    >>> credit.description
    'unused time credited at the last billed price 30.00: 10/30 days: 2024-04-21 to 2024-05-01 (end excluded) of the period 2024-04-01 to 2024-05-01'
    """
    assert isinstance(billed_amount, Decimal) and isinstance(current_amount, Decimal)
    start = _checked_change(change_at, period)
    basis = conventions.credit_basis
    price = billed_amount if basis is CreditBasis.LAST_BILLED_PRICE else current_amount
    unused = prorate(
        price,
        interval_start=start,
        interval_end=period.end,
        period=period,
        conventions=conventions,
    )
    price_name = "last billed price" if basis is CreditBasis.LAST_BILLED_PRICE else "current price"
    return Credit(
        # copy_negate is exact; unary minus would round to the thread's context (28 digits).
        amount=unused.amount.copy_negate(),
        credited_price=price,
        credit_basis=basis,
        proration=unused,
        description=f"unused time credited at the {price_name} {price}: {unused.description}",
    )


def plan_change(
    *,
    old_billed_amount: Decimal,
    old_current_amount: Decimal,
    new_amount: Decimal,
    period: BillingPeriod,
    change_at: datetime,
    conventions: Conventions,
) -> PlanChange:
    """The credit for the old plan's unused time and the new plan's charge from `change_at`.

    >>> from datetime import date
    >>> from tollway.conventions import profile
    >>> from tollway.periods import Cadence, local_midnight, period_containing
    >>> change = local_midnight(date(2024, 4, 21), time_zone="UTC")
    >>> april = period_containing(change, cadence=Cadence.MONTHLY, time_zone="UTC")
    >>> upgrade = plan_change(old_billed_amount=Decimal("30.00"),
    ...     old_current_amount=Decimal("30.00"), new_amount=Decimal("60.00"), period=april,
    ...     change_at=change, conventions=profile("tollway"))
    >>> upgrade.credit.amount, upgrade.charge.amount, upgrade.net_amount
    (Decimal('-10'), Decimal('20'), Decimal('10'))
    """
    assert isinstance(new_amount, Decimal)
    credit = unused_credit(
        billed_amount=old_billed_amount,
        current_amount=old_current_amount,
        period=period,
        change_at=change_at,
        conventions=conventions,
    )
    charge = prorate(
        new_amount,
        interval_start=_checked_change(change_at, period),
        interval_end=period.end,
        period=period,
        conventions=conventions,
    )
    return PlanChange(credit=credit, charge=charge)
