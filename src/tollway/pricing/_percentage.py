"""Percentage pricing of transactions (Lago's `percentage` and `graduated_percentage` charge models).

Each usage event is one transaction whose base is `event.amount`. A rate is a percentage number:
`Decimal("2.5")` means 2.5 % of the base, never 0.025.

Negative transaction amounts are refused (UsageError): a percentage fee is taken on a payment, and
a refund is billed back as a credit, not as a negative fee hidden inside a fee line.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Final

from tollway.conventions import Conventions
from tollway.money import Currency
from tollway.pricing._errors import PriceDefinitionError, UsageError
from tollway.pricing._exact import (
    exact_add,
    exact_divide,
    exact_multiply,
    exact_subtract,
    exact_sum,
)
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._tiers import check_bounds, first_fee_due, require_non_negative, select_tier
from tollway.pricing._usage import UsageEvent, describe_record

percent_base: Final = Decimal(100)


def transaction_amounts(events: Sequence[UsageEvent]) -> list[Decimal]:
    """The transaction amount of every event, refusing a missing or negative one by record."""
    amounts: list[Decimal] = []
    for index, event in enumerate(events):
        if event.amount is None:
            raise UsageError(
                f"{describe_record(event, index)} has no transaction amount: a percentage price "
                "applies to each record's `amount`"
            )
        if event.amount < 0:
            raise UsageError(
                f"{describe_record(event, index)} has a negative transaction amount "
                f"{event.amount}: bill a refund as a credit, not as a negative percentage fee"
            )
        amounts.append(event.amount)
    return amounts


def percent_of(base: Decimal, rate: Decimal) -> Decimal:
    """`rate` percent of `base`, exact.

    >>> percent_of(Decimal("200"), Decimal("1.2"))
    Decimal('2.4')
    """
    return exact_divide(exact_multiply(base, rate), percent_base)


@dataclass(slots=True)
class _FreeAllowance:
    """What is left of the free units while transactions are consumed in event order.

    None means "no limit of that kind". Free units end as soon as either limit is used up.
    """

    transactions_left: int | None
    amount_left: Decimal | None

    @property
    def active(self) -> bool:
        if self.transactions_left is None and self.amount_left is None:
            return False
        count_left = self.transactions_left is None or self.transactions_left > 0
        amount_left = self.amount_left is None or self.amount_left > 0
        return count_left and amount_left

    def paid_part(self, amount: Decimal) -> Decimal | None:
        """The part of a transaction that pays, or None when the whole transaction is free."""
        if not self.active:
            return amount
        if self.amount_left is not None and amount > self.amount_left:
            # The transaction straddles the free amount: only the part above it pays, and the
            # free units are over.
            paid = exact_subtract(amount, self.amount_left)
            self.amount_left = Decimal(0)
            return paid
        if self.transactions_left is not None:
            self.transactions_left -= 1
        if self.amount_left is not None:
            self.amount_left = exact_subtract(self.amount_left, amount)
        return None


@dataclass(slots=True)
class _Tally:
    """Running totals of the transactions priced so far, one per breakdown line."""

    free_transactions: int = 0
    exempt_amount: Decimal = Decimal(0)
    paid_transactions: int = 0
    paid_base: Decimal = Decimal(0)
    raised_transactions: int = 0
    raised_amount: Decimal = Decimal(0)
    capped_transactions: int = 0
    capped_amount: Decimal = Decimal(0)

    def add_adjustment(self, adjustment: Decimal) -> None:
        if adjustment > 0:
            self.raised_transactions += 1
            self.raised_amount = exact_add(self.raised_amount, adjustment)
        elif adjustment < 0:
            self.capped_transactions += 1
            self.capped_amount = exact_add(self.capped_amount, adjustment)


@dataclass(frozen=True, slots=True)
class Percentage:
    """A percent of each transaction plus a fixed fee per paid transaction (Lago's `percentage`).

    Fee of a paid transaction = `rate` % × amount + `fixed_fee_per_transaction`, then clamped to
    [`per_transaction_min`, `per_transaction_max`] (the clamp applies after the fixed fee, as Lago).

    Free units are "the first `free_transactions` transactions or the first `free_amount` of
    transaction amount, whichever comes first" (0 turns either off). Transactions are consumed in
    event order; a transaction within what is left of the free amount is entirely free; one that
    straddles the free amount pays the rate on the part above it, plus the fixed fee, and is clamped
    like any paid transaction. Free transactions pay nothing, not even the per-transaction minimum.
    Sources: https://getlago.com/docs/guide/plans/charges/charge-models/percentage (the first 3
    events or $500: the fourth, $50, pays $0.10 + 1.2 % of $50 = $0.70) and lago-api's
    `Charges::ChargeModels::PercentageService` (the straddling transaction pays the fixed fee).
    One deliberate difference: a transaction that lands exactly on the free amount is free here
    (its whole amount is inside the allowance); lago-api charges it the fixed fee.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> card = Percentage(rate=Decimal("1.2"), fixed_fee_per_transaction=Decimal("0.10"),
    ...                   free_transactions=3, free_amount=Decimal("500"))
    >>> events = [UsageEvent.of(1, amount=value) for value in ("200", "100", "100", "50")]
    >>> card.price(events, currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('0.70'), currency=USD)
    """

    model: ClassVar[str] = "percentage"

    rate: Decimal
    """Percent of the transaction amount: 2.5 means 2.5 %."""
    fixed_fee_per_transaction: Decimal = Decimal(0)
    free_transactions: int = 0
    free_amount: Decimal = Decimal(0)
    per_transaction_min: Decimal | None = None
    per_transaction_max: Decimal | None = None

    def __post_init__(self) -> None:
        for name in (
            "rate",
            "fixed_fee_per_transaction",
            "free_amount",
            "per_transaction_min",
            "per_transaction_max",
        ):
            require_non_negative(getattr(self, name), field=name)
        count = self.free_transactions
        assert isinstance(count, int) and not isinstance(count, bool), "free_transactions: int"
        if count < 0:
            raise PriceDefinitionError("free_transactions", f"must not be negative, got {count}")
        minimum, maximum = self.per_transaction_min, self.per_transaction_max
        if minimum is not None and maximum is not None and minimum > maximum:
            raise PriceDefinitionError(
                "per_transaction_max", f"must be at least per_transaction_min {minimum}"
            )

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        amounts = transaction_amounts(events)
        allowance = _FreeAllowance(
            transactions_left=self.free_transactions or None,
            amount_left=self.free_amount or None,
        )
        tally = _Tally()
        for amount in amounts:
            paid = allowance.paid_part(amount)
            if paid is None:
                tally.free_transactions += 1
                tally.exempt_amount = exact_add(tally.exempt_amount, amount)
                continue
            tally.exempt_amount = exact_add(tally.exempt_amount, exact_subtract(amount, paid))
            tally.paid_transactions += 1
            tally.paid_base = exact_add(tally.paid_base, paid)
            tally.add_adjustment(self._clamp_adjustment(paid))
        return finalize(
            self._lines(tally),
            quantity=exact_sum(amounts),
            currency=currency,
            conventions=conventions,
        )

    def _clamp_adjustment(self, paid_base: Decimal) -> Decimal:
        """What the per-transaction minimum or maximum adds to (or takes off) one fee."""
        fee = exact_add(percent_of(paid_base, self.rate), self.fixed_fee_per_transaction)
        if self.per_transaction_min is not None and fee < self.per_transaction_min:
            return exact_subtract(self.per_transaction_min, fee)
        if self.per_transaction_max is not None and fee > self.per_transaction_max:
            return exact_subtract(self.per_transaction_max, fee)
        return Decimal(0)

    def _lines(self, tally: _Tally) -> list[BreakdownLine]:
        lines: list[BreakdownLine] = []
        if tally.free_transactions or tally.exempt_amount:
            lines.append(
                BreakdownLine(
                    "free_units",
                    f"free units: {tally.free_transactions} free transactions, "
                    f"{tally.exempt_amount} of transaction amount exempt",
                    tally.exempt_amount,
                    None,
                    Decimal(0),
                )
            )
        rate_fraction = exact_divide(self.rate, percent_base)
        lines.append(
            BreakdownLine(
                "percentage",
                f"{self.rate} % of {tally.paid_base} ({tally.paid_transactions} transactions)",
                tally.paid_base,
                rate_fraction,
                percent_of(tally.paid_base, self.rate),
            )
        )
        if self.fixed_fee_per_transaction and tally.paid_transactions:
            count = Decimal(tally.paid_transactions)
            fee = self.fixed_fee_per_transaction
            lines.append(
                BreakdownLine(
                    "fixed_fee",
                    f"fixed fee {fee} × {count} paid transactions",
                    count,
                    fee,
                    exact_multiply(count, fee),
                )
            )
        lines.extend(self._clamp_lines(tally))
        return lines

    def _clamp_lines(self, tally: _Tally) -> list[BreakdownLine]:
        lines: list[BreakdownLine] = []
        if tally.raised_transactions:
            lines.append(
                BreakdownLine(
                    "per_transaction_minimum",
                    f"{tally.raised_transactions} transactions raised to the minimum fee "
                    f"{self.per_transaction_min}",
                    Decimal(tally.raised_transactions),
                    None,
                    tally.raised_amount,
                )
            )
        if tally.capped_transactions:
            lines.append(
                BreakdownLine(
                    "per_transaction_maximum",
                    f"{tally.capped_transactions} transactions capped at the maximum fee "
                    f"{self.per_transaction_max}",
                    Decimal(tally.capped_transactions),
                    None,
                    tally.capped_amount,
                )
            )
        return lines


@dataclass(frozen=True, slots=True)
class PercentageTier:
    """One tier of a graduated percentage: the summed amount up to `up_to` (None: no upper bound)
    pays `rate` percent, and `flat_fee` once when the tier is entered."""

    up_to: Decimal | None
    rate: Decimal
    flat_fee: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class GraduatedPercentage:
    """A percent per tier of the summed transaction amount, plus a flat fee per tier entered
    (Lago's `graduated_percentage`).

    Every tier the total reaches is priced on its own part of the total. Which tier a total exactly
    on a bound belongs to follows `conventions.tier_bounds` (up_to_inclusive and inclusive_integer:
    1000 is in the tier up to 1000; adjacent: 1000 enters the next tier, paying its flat fee). At a
    zero total the first tier's flat fee is charged only when `conventions.flat_fee_at_zero`.
    Note: lago-api's `GraduatedPercentageService` charges no flat fee at zero units although the
    `lago` profile sets `flat_fee_at_zero` (right for Lago's graduated unit prices); a migrated
    Lago graduated percentage that must tie out at zero usage overrides it to false.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> fees = GraduatedPercentage(tiers=(
    ...     PercentageTier(up_to=Decimal("1000"), rate=Decimal("2")),
    ...     PercentageTier(up_to=None, rate=Decimal("1"), flat_fee=Decimal("10"))))
    >>> events = [UsageEvent.of(1, amount="1500")]
    >>> fees.price(events, currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('35.00'), currency=USD)
    """

    model: ClassVar[str] = "graduated_percentage"

    tiers: tuple[PercentageTier, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(self.tiers))
        assert all(isinstance(tier, PercentageTier) for tier in self.tiers), "PercentageTier values"
        check_bounds([tier.up_to for tier in self.tiers], collection="tiers", noun="tier")
        for index, tier in enumerate(self.tiers):
            require_non_negative(tier.rate, field=f"tiers[{index}].rate")
            require_non_negative(tier.flat_fee, field=f"tiers[{index}].flat_fee")

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        total = exact_sum(transaction_amounts(events))
        bounds = [tier.up_to for tier in self.tiers]
        reached = select_tier(bounds, total, rule=conventions.tier_bounds)
        lines: list[BreakdownLine] = []
        lower_bound = Decimal(0)
        for index, tier in enumerate(self.tiers[: reached + 1]):
            top = total if tier.up_to is None else min(total, tier.up_to)
            # Every tier after the first is entered only when reached; the first one at a zero
            # total only under flat_fee_at_zero.
            flat_fee_due = index > 0 or first_fee_due(total, conventions)
            amount_in_tier = max(exact_subtract(top, lower_bound), Decimal(0))
            lines.extend(_tier_lines(index, tier, amount_in_tier, flat_fee_due=flat_fee_due))
            lower_bound = tier.up_to if tier.up_to is not None else lower_bound
        return finalize(lines, quantity=total, currency=currency, conventions=conventions)


def _tier_lines(
    index: int, tier: PercentageTier, amount_in_tier: Decimal, *, flat_fee_due: bool
) -> list[BreakdownLine]:
    number = index + 1
    lines = [
        BreakdownLine(
            "tier",
            f"tier {number}: {tier.rate} % of {amount_in_tier}",
            amount_in_tier,
            exact_divide(tier.rate, percent_base),
            percent_of(amount_in_tier, tier.rate),
            tier=number,
        )
    ]
    if tier.flat_fee and flat_fee_due:
        lines.append(
            BreakdownLine(
                "tier_flat_fee",
                f"tier {number}: flat fee",
                Decimal(1),
                tier.flat_fee,
                tier.flat_fee,
                tier=number,
            )
        )
    return lines
