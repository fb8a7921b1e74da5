"""Spend commitments: a minimum spend made up by a true-up line, a maximum spend applied as a
discount (OpenMeter's minimum and maximum spend, Lago's minimum commitment)."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from tollway.conventions import Conventions
from tollway.money import Currency, Money, RoundingStage
from tollway.pricing._errors import PriceDefinitionError
from tollway.pricing._exact import decimals_of, exact_subtract
from tollway.pricing._model import CurrencyBound, PricingModel
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._tiers import require_non_negative
from tollway.pricing._usage import UsageEvent


@dataclass(frozen=True, slots=True)
class SpendCommitment:
    """Prices `inner`, then brings the total up to `minimum_amount` or down to `maximum_amount`.

    A shortfall against the minimum becomes a "minimum_spend" true-up line; an excess over the
    maximum becomes a negative "maximum_spend" discount line. Either bound may be left out (not
    both); the minimum must not exceed the maximum.

    The comparison uses the *rounded* inner amount, rounded under the same conventions (its
    `PriceResult.amount`), not the precise one. The customer sees the inner price as an invoice
    line at its rounded amount; a true-up computed from the precise amount would leave the line
    and the true-up summing to the minimum plus or minus a minor unit. With the rounded amount the
    line and the true-up add to exactly the minimum. Under the per-line rounding stage the precise
    breakdown also carries an "inner_rounding" line (rounded minus precise inner amount), so the
    breakdown's precise total is exactly the minimum and rounds to it in every rounding mode.
    The bounds must be whole minor units of the currency priced in: a `PriceDefinition` checks
    them when it is made (`check_currency`, nested commitments too), and pricing checks them again
    for a commitment priced on its own.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> from tollway.pricing._dynamic import Dynamic
    >>> committed = SpendCommitment(Dynamic(), minimum_amount=Decimal("100"))
    >>> result = committed.price([UsageEvent.of(1, amount="62.50")], currency=currency("USD"),
    ...                          conventions=profile())
    >>> result.amount, result.lines[-1].kind, result.lines[-1].amount
    (Money(amount=Decimal('100.00'), currency=USD), 'minimum_spend', Decimal('37.50'))
    """

    model: ClassVar[str] = "spend_commitment"

    inner: PricingModel
    minimum_amount: Decimal | None = None
    maximum_amount: Decimal | None = None

    def __post_init__(self) -> None:
        assert isinstance(self.inner, PricingModel), "inner must be a pricing model"
        if self.minimum_amount is None and self.maximum_amount is None:
            raise PriceDefinitionError(
                "minimum_amount", "set a minimum_amount, a maximum_amount or both"
            )
        require_non_negative(self.minimum_amount, field="minimum_amount")
        require_non_negative(self.maximum_amount, field="maximum_amount")
        minimum, maximum = self.minimum_amount, self.maximum_amount
        if minimum is not None and maximum is not None and minimum > maximum:
            raise PriceDefinitionError(
                "maximum_amount", f"must be at least the minimum_amount {minimum}"
            )

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        self.check_currency(currency)
        inner = self.inner.price(events, currency=currency, conventions=conventions)
        billed = inner.amount.amount
        lines = list(inner.lines)
        adjustment = self._adjustment_line(billed, currency)
        if adjustment is not None:
            lines.append(adjustment)
            rounding = exact_subtract(billed, inner.precise_amount)
            if conventions.rounding_stage is RoundingStage.PER_LINE and rounding:
                lines.append(
                    BreakdownLine(
                        "inner_rounding",
                        f"inner price {inner.precise_amount} rounded to the invoiced {billed}",
                        Decimal(1),
                        None,
                        rounding,
                    )
                )
        return finalize(lines, quantity=inner.quantity, currency=currency, conventions=conventions)

    def _adjustment_line(self, billed: Decimal, currency: Currency) -> BreakdownLine | None:
        """The true-up or discount that brings the billed inner amount within the bounds."""
        if self.minimum_amount is not None and billed < self.minimum_amount:
            return BreakdownLine(
                "minimum_spend",
                f"minimum spend {Money(self.minimum_amount, currency)}: true-up of the shortfall",
                Decimal(1),
                None,
                exact_subtract(self.minimum_amount, billed),
            )
        if self.maximum_amount is not None and billed > self.maximum_amount:
            return BreakdownLine(
                "maximum_spend",
                f"maximum spend {Money(self.maximum_amount, currency)}: discount of the excess",
                Decimal(1),
                None,
                exact_subtract(self.maximum_amount, billed),
            )
        return None

    def check_currency(self, currency: Currency) -> None:
        """Refuse a bound finer than `currency`'s minor unit, here or in a nested commitment.

        >>> from tollway.money import currency
        >>> from tollway.pricing._dynamic import Dynamic
        >>> SpendCommitment(Dynamic(), minimum_amount=Decimal("10.5")).check_currency(currency("JPY"))
        Traceback (most recent call last):
        ...
        tollway.pricing._errors.PriceDefinitionError: minimum_amount: 10.5 has more decimals than JPY's 0
        """
        for field, bound in (
            ("minimum_amount", self.minimum_amount),
            ("maximum_amount", self.maximum_amount),
        ):
            if bound is not None and decimals_of(bound) > currency.minor_units:
                raise PriceDefinitionError(
                    field,
                    f"{bound} has more decimals than {currency.code}'s {currency.minor_units}",
                )
        if isinstance(self.inner, CurrencyBound):
            try:
                self.inner.check_currency(currency)
            except PriceDefinitionError as error:
                raise error.under("inner") from None
