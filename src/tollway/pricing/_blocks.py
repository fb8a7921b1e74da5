"""Block tiers (Kill Bill's consumable usage): usage counted in blocks, tiers holding blocks.

Usage is counted in blocks of each tier's `block_size`, a partial block rounded up. Each tier
holds at most `max_blocks` blocks (None: no limit, last tier only). `ALL_TIERS` fills the tiers
in order, each block at its own tier's price (graduated); `TOP_TIER` prices all the usage in blocks
of the tier reached (volume). Usage beyond the last tier's capacity is priced at the last tier's
price. Block tiers have no flat fees, so `flat_fee_at_zero` and `tier_bounds` do not apply: a usage
that exactly fills a tier stays in that tier, as in Kill Bill.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from tollway.conventions import Conventions
from tollway.money import Currency, DecimalLike, to_decimal
from tollway.pricing._errors import PriceDefinitionError
from tollway.pricing._exact import exact_multiply, exact_subtract, whole_divisions
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._tiers import billable_quantity, require_non_negative, require_positive
from tollway.pricing._usage import UsageEvent


class BlockTierMode(StrEnum):
    """How blocks across tiers are priced (Kill Bill's `TierBlockPolicy`)."""

    ALL_TIERS = "all_tiers"
    """Graduated: the blocks that fit in tier 1 at its price, the next ones at tier 2's, ..."""
    TOP_TIER = "top_tier"
    """Volume: all the usage, in blocks of the tier reached, at that tier's price."""


@dataclass(frozen=True, slots=True)
class BlockTier:
    """A tier of blocks: blocks of `block_size` units at `block_price`, at most `max_blocks`."""

    block_size: Decimal
    max_blocks: int | None
    block_price: Decimal

    def __post_init__(self) -> None:
        assert isinstance(self.block_size, Decimal), "BlockTier.block_size must be a Decimal"
        assert isinstance(self.block_price, Decimal), "BlockTier.block_price must be a Decimal"
        assert self.max_blocks is None or (
            isinstance(self.max_blocks, int) and not isinstance(self.max_blocks, bool)
        ), "BlockTier.max_blocks must be an int or None"

    @classmethod
    def of(
        cls, *, block_size: DecimalLike, max_blocks: int | None, block_price: DecimalLike
    ) -> "BlockTier":
        """Build a block tier from strings, ints or Decimals (never floats).

        >>> BlockTier.of(block_size="100", max_blocks=10, block_price="1.50")
        BlockTier(block_size=Decimal('100'), max_blocks=10, block_price=Decimal('1.50'))
        """
        return cls(
            block_size=to_decimal(block_size, field="block_size"),
            max_blocks=max_blocks,
            block_price=to_decimal(block_price, field="block_price"),
        )

    @property
    def capacity(self) -> Decimal | None:
        """The units this tier holds when full; None when it has no limit."""
        if self.max_blocks is None:
            return None
        return exact_multiply(Decimal(self.max_blocks), self.block_size)


def _check_block_tiers(tiers: tuple[BlockTier, ...]) -> None:
    assert isinstance(tiers, tuple), "tiers must be a tuple of BlockTier"
    assert all(isinstance(tier, BlockTier) for tier in tiers), "tiers must hold BlockTier values"
    if not tiers:
        raise PriceDefinitionError("tiers", "needs at least one block tier")
    last_index = len(tiers) - 1
    for index, tier in enumerate(tiers):
        require_positive(tier.block_size, field=f"tiers[{index}].block_size")
        require_non_negative(tier.block_price, field=f"tiers[{index}].block_price")
        field = f"tiers[{index}].max_blocks"
        if tier.max_blocks is None and index != last_index:
            raise PriceDefinitionError(
                field,
                "only the last tier may have no limit (max_blocks null): the tiers after it "
                "would never be reached",
            )
        if tier.max_blocks is not None and tier.max_blocks < 1:
            raise PriceDefinitionError(field, f"must be at least 1, got {tier.max_blocks}")


def _block_line(
    *, kind: str, number: int, tier: BlockTier, blocks: Decimal, units: Decimal, note: str = ""
) -> BreakdownLine:
    return BreakdownLine(
        kind=kind,
        description=(
            f"tier {number}{note}: {blocks} blocks of {tier.block_size} units at "
            f"{tier.block_price} ({units} units, a partial block counts)"
        ),
        quantity=blocks,
        unit_price=tier.block_price,
        amount=exact_multiply(blocks, tier.block_price),
        tier=number,
    )


@dataclass(frozen=True, slots=True)
class BlockTiers:
    """Usage priced in blocks across tiers (Kill Bill usage blocks).

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> calls = BlockTiers((BlockTier.of(block_size="60", max_blocks=10, block_price="1"),
    ...                     BlockTier.of(block_size="60", max_blocks=None, block_price="0.50")),
    ...                    BlockTierMode.ALL_TIERS)
    >>> # 750 s: tier 1 holds 10 blocks (600 s) = 10.00; 150 s left = 3 blocks x 0.50 = 1.50
    >>> calls.price([UsageEvent.of("750")], currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('11.50'), currency=USD)
    """

    model: ClassVar[str] = "block_tiers"
    tiers: tuple[BlockTier, ...]
    mode: BlockTierMode = BlockTierMode.ALL_TIERS

    def __post_init__(self) -> None:
        _check_block_tiers(self.tiers)
        assert isinstance(self.mode, BlockTierMode), "mode must be a BlockTierMode"

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        quantity = billable_quantity(events, model=self.model)
        if self.mode is BlockTierMode.ALL_TIERS:
            lines = self._all_tiers_lines(quantity)
        else:
            lines = [self._top_tier_line(quantity)]
        return finalize(lines, quantity=quantity, currency=currency, conventions=conventions)

    def _all_tiers_lines(self, quantity: Decimal) -> list[BreakdownLine]:
        lines: list[BreakdownLine] = []
        remaining = quantity
        for index, tier in enumerate(self.tiers):
            if index > 0 and remaining == 0:
                break
            blocks = whole_divisions(remaining, tier.block_size, round_up=True)
            units = remaining
            if tier.max_blocks is not None and blocks > tier.max_blocks:
                blocks = Decimal(tier.max_blocks)
                units = exact_multiply(blocks, tier.block_size)
            lines.append(
                _block_line(
                    kind="block_tier", number=index + 1, tier=tier, blocks=blocks, units=units
                )
            )
            remaining = exact_subtract(remaining, units)
        if remaining > 0:
            lines.append(self._overage_line(remaining))
        return lines

    def _overage_line(self, remaining: Decimal) -> BreakdownLine:
        """Usage past the last tier's capacity, priced at the last tier's price (Kill Bill)."""
        tier = self.tiers[-1]
        blocks = whole_divisions(remaining, tier.block_size, round_up=True)
        return _block_line(
            kind="block_overage",
            number=len(self.tiers),
            tier=tier,
            blocks=blocks,
            units=remaining,
            note=" beyond its capacity",
        )

    def _top_tier_line(self, quantity: Decimal) -> BreakdownLine:
        index = self._tier_reached(quantity)
        tier = self.tiers[index]
        blocks = whole_divisions(quantity, tier.block_size, round_up=True)
        return _block_line(
            kind="block_tier", number=index + 1, tier=tier, blocks=blocks, units=quantity
        )

    def _tier_reached(self, quantity: Decimal) -> int:
        """The first tier whose blocks hold what the tiers before it could not; else the last."""
        remaining = quantity
        for index, tier in enumerate(self.tiers):
            capacity = tier.capacity
            if capacity is None or remaining <= capacity:
                return index
            remaining = exact_subtract(remaining, capacity)
        return len(self.tiers) - 1
