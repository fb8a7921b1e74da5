"""The result of pricing: an amount plus the breakdown a finance reader can follow line by line."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tollway.conventions import Conventions
from tollway.money import Currency, Money, RoundingStage, round_decimal
from tollway.pricing._exact import exact_sum
from tollway.pricing._limits import check_amount


@dataclass(frozen=True, slots=True)
class BreakdownLine:
    """One step of a price: a tier, a block, a package, a rating increment, a fee, a minimum.

    `amount` is exact (unrounded, except where the model's own convention rounds it, such as
    CGRateS' per-increment decimals). `kind` is a stable machine word; `description` is for people.
    """

    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal | None
    amount: Decimal
    tier: int | None = None

    def __post_init__(self) -> None:
        assert isinstance(self.quantity, Decimal) and isinstance(self.amount, Decimal)
        assert self.unit_price is None or isinstance(self.unit_price, Decimal)
        assert self.kind, "a breakdown line needs a kind"


@dataclass(frozen=True, slots=True)
class PriceResult:
    """What a price definition charges for some usage.

    `precise_amount` is the exact sum of the breakdown. `amount` is rounded according to the
    conventions' rounding stage: per increment (every line rounded, then summed), per line (the sum
    rounded once) or per invoice (left exact; the invoice rounds its total).
    """

    currency: Currency
    quantity: Decimal
    precise_amount: Decimal
    amount: Money
    lines: tuple[BreakdownLine, ...]
    rounding_points: int

    def __post_init__(self) -> None:
        assert self.amount.currency == self.currency
        assert exact_sum(line.amount for line in self.lines) == self.precise_amount


def finalize(
    lines: Sequence[BreakdownLine],
    *,
    quantity: Decimal,
    currency: Currency,
    conventions: Conventions,
) -> PriceResult:
    """Sum breakdown lines and round them at the conventions' rounding stage.

    Sums keep every digit (38 significant digits, refused rather than rounded beyond); an amount
    beyond 10^24 is a `UsageError` (see `_limits`), so rounding it can never fail.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency as iso
    >>> lines = [BreakdownLine("tier", "a", Decimal(1), None, Decimal("0.333")),
    ...          BreakdownLine("tier", "b", Decimal(1), None, Decimal("0.333"))]
    >>> finalize(lines, quantity=Decimal(2), currency=iso("USD"), conventions=profile()).amount
    Money(amount=Decimal('0.67'), currency=USD)
    >>> stage = profile().replace(rounding_stage=RoundingStage.PER_INCREMENT)
    >>> finalize(lines, quantity=Decimal(2), currency=iso("USD"), conventions=stage).amount
    Money(amount=Decimal('0.66'), currency=USD)
    """
    for line in lines:
        check_amount(line.amount)
    precise = exact_sum(line.amount for line in lines)
    check_amount(precise)
    mode = conventions.rounding_mode
    places = currency.minor_units
    if conventions.rounding_stage is RoundingStage.PER_INCREMENT:
        rounded = [round_decimal(line.amount, decimals=places, mode=mode) for line in lines]
        amount = exact_sum(rounded)
        points = len(lines)
    elif conventions.rounding_stage is RoundingStage.PER_LINE:
        amount = round_decimal(precise, decimals=places, mode=mode)
        points = 1
    else:
        amount = precise
        points = 0
    return PriceResult(
        currency=currency,
        quantity=quantity,
        precise_amount=precise,
        amount=Money(amount, currency),
        lines=tuple(lines),
        rounding_points=points,
    )
