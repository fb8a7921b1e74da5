"""Tiered prices: graduated, volume and stairstep, and the tier-table rules they share.

A tier table is a tuple of tiers whose `up_to` bounds strictly increase from 0; the last tier is
unbounded (`up_to=None`). Three conventions decide the edge cases where billing systems differ:

- `tier_bounds`: which tier a usage exactly on a bound belongs to. `up_to_inclusive` and
  `inclusive_integer` put it in the lower tier (Stripe, OpenMeter, Lago's integer ranges);
  `adjacent` puts it in the upper one ([0, 10), [10, 20)). Graduated unit counts per tier are the
  same either way; what changes is which tier is entered (graduated: whose flat fee is due) or
  selected (volume, stairstep).
- `volume_tier_lookup`: volume and stairstep select their tier with the exact usage or with the
  usage rounded up to a whole unit (Lago); the units billed are always the exact usage.
- `flat_fee_at_zero`: at zero usage, charge the first tier's flat fee (Lago, Stripe, OpenMeter)
  or nothing (Kill Bill, tollway).

Breakdown lines number tiers from 1, as a reader counts them (`BreakdownLine.tier`); definition
errors name fields from 0, as the price file indexes them (`tiers[0].up_to`).

The helpers without a leading underscore are shared with the package, block-tier and graduated
percentage models.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import ClassVar

from tollway.conventions import Conventions, TierBounds, VolumeTierLookup
from tollway.money import Currency, DecimalLike, to_decimal
from tollway.pricing._errors import PriceDefinitionError, UsageError
from tollway.pricing._exact import exact_multiply, exact_subtract
from tollway.pricing._model import total_quantity
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._usage import UsageEvent

ZERO = Decimal(0)


# --- validation and arithmetic shared by the quantity models ----------------------------------


def require_non_negative(value: Decimal | None, *, field: str) -> None:
    """A price or count that may be zero but never negative; None (an optional field left out)
    passes.

    >>> require_non_negative(Decimal("-1"), field="tiers[0].unit_price")
    Traceback (most recent call last):
    ...
    tollway.pricing._errors.PriceDefinitionError: tiers[0].unit_price: must be zero or more, got -1
    """
    if value is None:
        return
    assert isinstance(value, Decimal), f"{field} must be a Decimal (use to_decimal)"
    if not value.is_finite():
        raise PriceDefinitionError(field, f"must be a finite number, got {value}")
    if value < 0:
        raise PriceDefinitionError(field, f"must be zero or more, got {value}")


def require_positive(value: Decimal, *, field: str) -> None:
    """A size that must be greater than zero (a package size, a block size)."""
    require_non_negative(value, field=field)
    if value == 0:
        raise PriceDefinitionError(field, "must be greater than 0")


def billable_quantity(events: Sequence[UsageEvent], *, model: str) -> Decimal:
    """The summed quantity of events, refused when negative: tiers and packages start at zero."""
    quantity = total_quantity(events)
    if quantity < 0:
        raise UsageError(
            f"{model}: the total quantity {quantity} is negative; a {model} price needs zero or "
            "more units (bill a correction as a separate credit)"
        )
    return quantity


def check_bounds(bounds: Sequence[Decimal | None], *, collection: str, noun: str) -> None:
    """Bounds of a tier table: at least one, strictly increasing above 0, only the last unbounded."""
    if not bounds:
        raise PriceDefinitionError(collection, f"needs at least one {noun}")
    last_index = len(bounds) - 1
    previous = ZERO
    for index, up_to in enumerate(bounds):
        field = f"{collection}[{index}].up_to"
        if up_to is None:
            if index != last_index:
                raise PriceDefinitionError(
                    field,
                    f"only the last {noun} may be unbounded (up_to null); give this {noun} an "
                    "upper bound",
                )
            continue
        assert isinstance(up_to, Decimal), f"{field} must be a Decimal or None"
        if not up_to.is_finite() or up_to <= previous:
            what = "0" if index == 0 else f"the previous {noun}'s bound {previous}"
            raise PriceDefinitionError(field, f"must be greater than {what}, got {up_to}")
        if index == last_index:
            raise PriceDefinitionError(
                field,
                f'the last {noun} must be unbounded: set up_to to null (or "inf"), not {up_to}',
            )
        previous = up_to


def select_tier(bounds: Sequence[Decimal | None], quantity: Decimal, *, rule: TierBounds) -> int:
    """The index of the tier `quantity` falls in; on a bound, `rule` picks the lower or upper tier.

    >>> select_tier([Decimal(10), None], Decimal(10), rule=TierBounds.UP_TO_INCLUSIVE)
    0
    >>> select_tier([Decimal(10), None], Decimal(10), rule=TierBounds.ADJACENT)
    1
    """
    bound_in_lower_tier = rule is not TierBounds.ADJACENT
    for index, up_to in enumerate(bounds):
        if up_to is None or quantity < up_to or (quantity == up_to and bound_in_lower_tier):
            return index
    raise AssertionError("a checked tier table ends with an unbounded tier")


def lookup_quantity(quantity: Decimal, conventions: Conventions) -> Decimal:
    """The quantity that selects a volume tier or a stairstep: exact, or rounded up (Lago)."""
    if conventions.volume_tier_lookup is VolumeTierLookup.CEIL:
        return quantity.to_integral_value(rounding=ROUND_CEILING)
    return quantity


def first_fee_due(quantity: Decimal, conventions: Conventions) -> bool:
    """Whether the first tier's flat fee (or the first step) is charged for this quantity."""
    return quantity > 0 or conventions.flat_fee_at_zero


def _span(lower: Decimal, up_to: Decimal | None) -> str:
    return f"{lower} to {up_to}" if up_to is not None else f"above {lower}"


# --- tiers --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tier:
    """One row of a tier table: units up to `up_to` (None: no limit) at `unit_price`, plus a
    `flat_price` charged once when the tier is entered."""

    up_to: Decimal | None
    unit_price: Decimal
    flat_price: Decimal = ZERO

    def __post_init__(self) -> None:
        assert self.up_to is None or isinstance(self.up_to, Decimal), "Tier.up_to: Decimal or None"
        assert isinstance(self.unit_price, Decimal), "Tier.unit_price must be a Decimal"
        assert isinstance(self.flat_price, Decimal), "Tier.flat_price must be a Decimal"

    @classmethod
    def of(
        cls,
        *,
        up_to: DecimalLike | None,
        unit_price: DecimalLike,
        flat_price: DecimalLike = 0,
    ) -> "Tier":
        """Build a tier from strings, ints or Decimals (never floats).

        >>> Tier.of(up_to="100", unit_price="0.10")
        Tier(up_to=Decimal('100'), unit_price=Decimal('0.10'), flat_price=Decimal('0'))
        """
        return cls(
            up_to=None if up_to is None else to_decimal(up_to, field="up_to"),
            unit_price=to_decimal(unit_price, field="unit_price"),
            flat_price=to_decimal(flat_price, field="flat_price"),
        )


def _check_tiers(tiers: tuple[Tier, ...]) -> None:
    assert isinstance(tiers, tuple), "tiers must be a tuple of Tier"
    assert all(isinstance(tier, Tier) for tier in tiers), "tiers must hold Tier values"
    check_bounds([tier.up_to for tier in tiers], collection="tiers", noun="tier")
    for index, tier in enumerate(tiers):
        require_non_negative(tier.unit_price, field=f"tiers[{index}].unit_price")
        require_non_negative(tier.flat_price, field=f"tiers[{index}].flat_price")


def _lower_bound(tiers: tuple[Tier, ...], index: int) -> Decimal:
    if index == 0:
        return ZERO
    bound = tiers[index - 1].up_to
    assert bound is not None, "only the last tier is unbounded"
    return bound


def _units_line(*, number: int, lower: Decimal, tier: Tier, units: Decimal) -> BreakdownLine:
    return BreakdownLine(
        kind="tier",
        description=(
            f"tier {number} ({_span(lower, tier.up_to)}): {units} units at {tier.unit_price}"
        ),
        quantity=units,
        unit_price=tier.unit_price,
        amount=exact_multiply(units, tier.unit_price),
        tier=number,
    )


def _flat_fee_line(*, number: int, tier: Tier) -> BreakdownLine:
    return BreakdownLine(
        kind="tier_flat_fee",
        description=f"tier {number} flat fee",
        quantity=Decimal(1),
        unit_price=tier.flat_price,
        amount=tier.flat_price,
        tier=number,
    )


@dataclass(frozen=True, slots=True)
class Graduated:
    """Graduated tiers: each tier's units at that tier's price, each entered tier's flat fee once.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> data = Graduated((Tier.of(up_to="100", unit_price="0.10"),
    ...                   Tier.of(up_to=None, unit_price="0.05", flat_price="2")))
    >>> # 100 GB x 0.10 = 10.00, 50 GB x 0.05 = 2.50, tier 2 entered: + 2.00 = 14.50
    >>> data.price([UsageEvent.of("150")], currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('14.50'), currency=USD)
    """

    model: ClassVar[str] = "graduated"
    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        _check_tiers(self.tiers)

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        quantity = billable_quantity(events, model=self.model)
        bounds = [tier.up_to for tier in self.tiers]
        reached = select_tier(bounds, quantity, rule=conventions.tier_bounds)
        lines: list[BreakdownLine] = []
        for index in range(reached + 1):
            lines.extend(self._tier_lines(index, quantity, conventions))
        return finalize(lines, quantity=quantity, currency=currency, conventions=conventions)

    def _tier_lines(
        self, index: int, quantity: Decimal, conventions: Conventions
    ) -> list[BreakdownLine]:
        tier = self.tiers[index]
        lower = _lower_bound(self.tiers, index)
        top = quantity if tier.up_to is None else min(quantity, tier.up_to)
        units = max(exact_subtract(top, lower), ZERO)
        lines = [_units_line(number=index + 1, lower=lower, tier=tier, units=units)]
        # Every tier after the first is entered only when reached; the first one at zero usage
        # only under flat_fee_at_zero.
        fee_due = index > 0 or first_fee_due(quantity, conventions)
        if tier.flat_price != 0 and fee_due:
            lines.append(_flat_fee_line(number=index + 1, tier=tier))
        return lines


@dataclass(frozen=True, slots=True)
class Volume:
    """Volume tiers: every unit at the price of the tier reached, plus that tier's flat fee.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> seats = Volume((Tier.of(up_to="10", unit_price="12"), Tier.of(up_to=None, unit_price="9")))
    >>> # 25 seats reach tier 2: 25 x 9 = 225
    >>> seats.price([UsageEvent.of("25")], currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('225.00'), currency=USD)
    """

    model: ClassVar[str] = "volume"
    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        _check_tiers(self.tiers)

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        quantity = billable_quantity(events, model=self.model)
        bounds = [tier.up_to for tier in self.tiers]
        looked_up = lookup_quantity(quantity, conventions)
        index = select_tier(bounds, looked_up, rule=conventions.tier_bounds)
        tier = self.tiers[index]
        lower = _lower_bound(self.tiers, index)
        lines = [_units_line(number=index + 1, lower=lower, tier=tier, units=quantity)]
        if tier.flat_price != 0 and first_fee_due(quantity, conventions):
            lines.append(_flat_fee_line(number=index + 1, tier=tier))
        return finalize(lines, quantity=quantity, currency=currency, conventions=conventions)


# --- stairstep ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a stairstep price: a quantity up to `up_to` (None: no limit) costs `amount`."""

    up_to: Decimal | None
    amount: Decimal

    def __post_init__(self) -> None:
        assert self.up_to is None or isinstance(self.up_to, Decimal), "Step.up_to: Decimal or None"
        assert isinstance(self.amount, Decimal), "Step.amount must be a Decimal"

    @classmethod
    def of(cls, *, up_to: DecimalLike | None, amount: DecimalLike) -> "Step":
        """Build a step from strings, ints or Decimals (never floats)."""
        return cls(
            up_to=None if up_to is None else to_decimal(up_to, field="up_to"),
            amount=to_decimal(amount, field="amount"),
        )


@dataclass(frozen=True, slots=True)
class Stairstep:
    """A flat amount for the step the total quantity falls in; no per-unit part.

    Steps follow the same bound conventions as volume tiers (`tier_bounds`, `volume_tier_lookup`),
    and zero usage pays the first step only under `flat_fee_at_zero`.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> users = Stairstep((Step.of(up_to="10", amount="100"), Step.of(up_to=None, amount="400")))
    >>> # 10 users are still in the first step (0 to 10): 100
    >>> users.price([UsageEvent.of("10")], currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('100.00'), currency=USD)
    """

    model: ClassVar[str] = "stairstep"
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        assert isinstance(self.steps, tuple), "steps must be a tuple of Step"
        assert all(isinstance(step, Step) for step in self.steps), "steps must hold Step values"
        check_bounds([step.up_to for step in self.steps], collection="steps", noun="step")
        for index, step in enumerate(self.steps):
            require_non_negative(step.amount, field=f"steps[{index}].amount")

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        quantity = billable_quantity(events, model=self.model)
        bounds = [step.up_to for step in self.steps]
        looked_up = lookup_quantity(quantity, conventions)
        index = select_tier(bounds, looked_up, rule=conventions.tier_bounds)
        step = self.steps[index]
        lower = ZERO if index == 0 else self.steps[index - 1].up_to
        assert lower is not None, "only the last step is unbounded"
        charged = first_fee_due(quantity, conventions)
        amount = step.amount if charged else ZERO
        note = "" if charged else " (no usage: not charged)"
        line = BreakdownLine(
            kind="step",
            description=f"step {index + 1} ({_span(lower, step.up_to)}): {quantity} units{note}",
            quantity=quantity,
            unit_price=None,
            amount=amount,
            tier=index + 1,
        )
        return finalize([line], quantity=quantity, currency=currency, conventions=conventions)
