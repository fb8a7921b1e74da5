"""Block tiers (Kill Bill usage blocks) in both modes, and their schema.

Every expected amount is worked out by hand in the comment above it.
"""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from tollway.conventions import Conventions, profile
from tollway.money import Currency, Money, RoundingMode, currency
from tollway.pricing import PriceResult, UsageError, UsageEvent
from tollway.pricing._blocks import BlockTier, BlockTierMode, BlockTiers
from tollway.pricing._errors import PriceDefinitionError
from tollway.pricing.schema._tiers import BlockTiersSpec

USD = currency("USD")
JPY = currency("JPY")
BHD = currency("BHD")
KILLBILL = profile("killbill")

# API calls, USD. Tier 1: blocks of 100 calls at 1.50, at most 10 blocks (1000 calls).
# Tier 2: blocks of 100 at 1.00, at most 20 blocks (2000 calls).
# Tier 3: blocks of 500 at 4.00, at most 5 blocks (2500 calls); beyond 5500 calls, tier 3's price.
API_TIERS = (
    BlockTier.of(block_size="100", max_blocks=10, block_price="1.50"),
    BlockTier.of(block_size="100", max_blocks=20, block_price="1.00"),
    BlockTier.of(block_size="500", max_blocks=5, block_price="4.00"),
)
ALL_TIERS = BlockTiers(API_TIERS, BlockTierMode.ALL_TIERS)
TOP_TIER = BlockTiers(API_TIERS, BlockTierMode.TOP_TIER)


def charge(
    model: BlockTiers,
    *quantities: str,
    in_currency: Currency = USD,
    conventions: Conventions = KILLBILL,
) -> PriceResult:
    events = [UsageEvent.of(quantity) for quantity in quantities]
    return model.price(events, currency=in_currency, conventions=conventions)


def lines_of(result: PriceResult) -> list[tuple[str, int | None, Decimal, Decimal]]:
    return [(line.kind, line.tier, line.quantity, line.amount) for line in result.lines]


class TestAllTiers:
    def test_zero_usage(self) -> None:
        result = charge(ALL_TIERS, "0")
        assert result.amount == Money.of("0.00", "USD")
        assert lines_of(result) == [("block_tier", 1, Decimal("0"), Decimal("0"))]

    def test_a_partial_block_is_rounded_up(self) -> None:
        # 250 calls = 2.5 blocks → 3 blocks x 1.50 = 4.50; fractional 250.5 calls: still 3 blocks
        assert charge(ALL_TIERS, "250").amount == Money.of("4.50", "USD")
        assert charge(ALL_TIERS, "250.5").amount == Money.of("4.50", "USD")

    def test_usage_that_exactly_fills_a_tier_stays_in_it(self) -> None:
        result = charge(ALL_TIERS, "600", "400")
        # 1000 calls = 10 blocks x 1.50 = 15.00; tier 2 not reached
        assert result.amount == Money.of("15.00", "USD")
        assert lines_of(result) == [("block_tier", 1, Decimal("10"), Decimal("15.00"))]
        # 1001 calls: tier 1 full (15.00), 1 call left = 1 block in tier 2 at 1.00
        assert charge(ALL_TIERS, "1001").amount == Money.of("16.00", "USD")

    def test_blocks_fill_the_tiers_in_order(self) -> None:
        result = charge(ALL_TIERS, "3700")
        # tier 1: 10 blocks (1000 calls) x 1.50 = 15.00; 2700 left
        # tier 2: 27 blocks needed, 20 held (2000 calls) x 1.00 = 20.00; 700 left
        # tier 3: 700 / 500 = 1.4 → 2 blocks x 4.00 = 8.00
        assert result.amount == Money.of("43.00", "USD")
        assert lines_of(result) == [
            ("block_tier", 1, Decimal("10"), Decimal("15.00")),
            ("block_tier", 2, Decimal("20"), Decimal("20.00")),
            ("block_tier", 3, Decimal("2"), Decimal("8.00")),
        ]

    def test_usage_beyond_the_last_tier_is_priced_at_the_last_tier(self) -> None:
        result = charge(ALL_TIERS, "6100")
        # 15.00 + 20.00; tier 3: 5 blocks (2500) x 4.00 = 20.00; 600 left → 2 blocks x 4.00 = 8.00
        assert result.amount == Money.of("63.00", "USD")
        assert lines_of(result)[-2:] == [
            ("block_tier", 3, Decimal("5"), Decimal("20.00")),
            ("block_overage", 3, Decimal("2"), Decimal("8.00")),
        ]
        assert "beyond its capacity" in result.lines[-1].description

    def test_an_unlimited_last_tier_holds_everything_left(self) -> None:
        calls = BlockTiers(
            (
                BlockTier.of(block_size="60", max_blocks=10, block_price="1"),
                BlockTier.of(block_size="60", max_blocks=None, block_price="0.50"),
            )
        )
        # 7200 s: 10 blocks (600 s) x 1 = 10.00; 6600 s = 110 blocks x 0.50 = 55.00
        assert charge(calls, "7200").amount == Money.of("65.00", "USD")

    def test_yen(self) -> None:
        seconds = BlockTiers(
            (
                BlockTier.of(block_size="60", max_blocks=10, block_price="10"),
                BlockTier.of(block_size="60", max_blocks=None, block_price="7.5"),
            )
        )
        # 750 s: 10 blocks x 10 = 100; 150 s = 3 blocks x 7.5 = 22.5 → 122.5 JPY
        assert charge(seconds, "750", in_currency=JPY).amount == Money.of("123", "JPY")
        half_even = KILLBILL.replace(rounding_mode=RoundingMode.HALF_EVEN)
        result = charge(seconds, "750", in_currency=JPY, conventions=half_even)
        assert result.amount == Money.of("122", "JPY")

    def test_dinar(self) -> None:
        data = BlockTiers(
            (
                BlockTier.of(block_size="1", max_blocks=10, block_price="0.125"),
                BlockTier.of(block_size="1", max_blocks=None, block_price="0.0625"),
            )
        )
        # 12.2 GB: 10 x 0.125 = 1.250; 2.2 GB → 3 blocks x 0.0625 = 0.1875 → 1.4375 → 1.438 BHD
        assert charge(data, "12.2", in_currency=BHD).amount == Money.of("1.438", "BHD")


class TestTopTier:
    def test_zero_usage(self) -> None:
        assert lines_of(charge(TOP_TIER, "0")) == [("block_tier", 1, Decimal("0"), Decimal("0"))]

    def test_usage_within_the_first_tier(self) -> None:
        # 250 calls ≤ 1000: 3 blocks x 1.50 = 4.50; exactly 1000: 10 blocks x 1.50 = 15.00
        assert charge(TOP_TIER, "250").amount == Money.of("4.50", "USD")
        assert charge(TOP_TIER, "1000").amount == Money.of("15.00", "USD")

    def test_every_block_at_the_price_of_the_tier_reached(self) -> None:
        result = charge(TOP_TIER, "1001")
        # 1001 > tier 1's 1000: tier 2 reached; all 1001 calls = 11 blocks x 1.00 = 11.00
        assert result.amount == Money.of("11.00", "USD")
        assert lines_of(result) == [("block_tier", 2, Decimal("11"), Decimal("11.00"))]
        # 3700: 2700 left after tier 1 > 2000 → tier 3; 3700 / 500 = 7.4 → 8 blocks x 4.00
        assert charge(TOP_TIER, "3700").amount == Money.of("32.00", "USD")

    def test_usage_beyond_the_last_tier_is_priced_at_the_last_tier(self) -> None:
        # 6100 calls = 12.2 → 13 blocks of 500 x 4.00 = 52.00
        assert charge(TOP_TIER, "6100").amount == Money.of("52.00", "USD")

    def test_the_mode_changes_the_amount(self) -> None:
        # Same 1001 calls: ALL_TIERS 16.00, TOP_TIER 11.00
        assert charge(ALL_TIERS, "1001").amount != charge(TOP_TIER, "1001").amount


class TestInvalid:
    def test_negative_usage_is_refused(self) -> None:
        with pytest.raises(UsageError, match="block_tiers: the total quantity -3 is negative"):
            charge(ALL_TIERS, "-3")

    @pytest.mark.parametrize(
        ("tiers", "field", "problem"),
        [
            ((), "tiers", "at least one block tier"),
            (
                (BlockTier.of(block_size="0", max_blocks=None, block_price="1"),),
                "tiers[0].block_size",
                "greater than 0",
            ),
            (
                (BlockTier.of(block_size="10", max_blocks=None, block_price="-1"),),
                "tiers[0].block_price",
                "zero or more",
            ),
            (
                (BlockTier.of(block_size="10", max_blocks=0, block_price="1"),),
                "tiers[0].max_blocks",
                "at least 1, got 0",
            ),
            (
                (
                    BlockTier.of(block_size="10", max_blocks=None, block_price="1"),
                    BlockTier.of(block_size="10", max_blocks=None, block_price="1"),
                ),
                "tiers[0].max_blocks",
                "only the last tier may have no limit",
            ),
        ],
    )
    def test_problems_name_the_field(
        self, tiers: tuple[BlockTier, ...], field: str, problem: str
    ) -> None:
        with pytest.raises(PriceDefinitionError, match=problem) as raised:
            BlockTiers(tiers)
        assert raised.value.field == field


class TestSchema:
    def test_spec_builds_the_model_and_reads_kill_bill_mode_names(self) -> None:
        spec = BlockTiersSpec.model_validate(
            {
                "model": "block_tiers",
                "mode": "TOP_TIER",
                "tiers": [
                    {"block_size": "100", "max_blocks": 10, "block_price": "1.50"},
                    {"block_size": 100, "max_blocks": 20, "block_price": "1.00"},
                    {"block_size": "500", "max_blocks": 5, "block_price": "4"},
                ],
            }
        )
        assert spec.build() == TOP_TIER

    def test_mode_defaults_to_all_tiers_and_max_blocks_to_no_limit(self) -> None:
        spec = BlockTiersSpec.model_validate(
            {"model": "block_tiers", "tiers": [{"block_size": "60", "block_price": "1"}]}
        )
        assert spec.build() == BlockTiers(
            (BlockTier.of(block_size="60", max_blocks=None, block_price="1"),),
            BlockTierMode.ALL_TIERS,
        )

    def test_max_blocks_must_be_a_whole_number(self) -> None:
        for written in ("10", 10.0, True):
            with pytest.raises(ValidationError) as raised:
                BlockTiersSpec.model_validate(
                    {
                        "model": "block_tiers",
                        "tiers": [{"block_size": "1", "max_blocks": written, "block_price": "1"}],
                    }
                )
            assert raised.value.errors()[0]["loc"] == ("tiers", 0, "max_blocks")

    def test_an_unknown_mode_is_refused(self) -> None:
        with pytest.raises(ValidationError) as raised:
            BlockTiersSpec.model_validate(
                {
                    "model": "block_tiers",
                    "mode": "middle",
                    "tiers": [{"block_size": "1", "block_price": "1"}],
                }
            )
        assert raised.value.errors()[0]["loc"] == ("mode",)
