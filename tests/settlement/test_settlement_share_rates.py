"""Flat, tiered (marginal) and banded (whole-amount) shares, per period and cumulative; JPY.

Every expected share is worked out by hand in the comment above it.
"""

from datetime import date
from decimal import Decimal

from tollway.money import RoundingMode
from tollway.settlement import (
    Band,
    BandedShare,
    BandMeasure,
    FlatShare,
    Scope,
    ShareItem,
    TieredShare,
)

from .settlement_world import JPY, agreement, at, line, model, settle_months, shares

TIERS = TieredShare(
    (
        Band(Decimal("10000.00"), Decimal(10)),
        Band(Decimal("50000.00"), Decimal(15)),
        Band(None, Decimal(20)),
    )
)


class TestTiered:
    def test_a_line_crossing_a_band_mid_period_is_split_at_the_bound(self) -> None:
        lines = [
            line("INV-1", "6000.00", billed=date(2025, 3, 5)),
            line("INV-2", "7000.00", billed=date(2025, 3, 12)),
            line("INV-3", "40000.00", billed=date(2025, 3, 20)),
        ]
        share_model = model(ShareItem("T", "tiered", TIERS))
        [march] = settle_months(agreement(), share_model, lines, [3])
        # Running total 0 -> 6,000: band 1, 6,000 x 10 % = 600.00
        # 6,000 -> 13,000 crosses 10,000: 4,000 x 10 % = 400.00, then 3,000 x 15 % = 450.00
        # 13,000 -> 53,000 crosses 50,000: 37,000 x 15 % = 5,550.00, then 3,000 x 20 % = 600.00
        assert shares(march, "T") == [
            ("INV-1", "6000.00", 1, "600.00"),
            ("INV-2", "4000.00", 1, "400.00"),
            ("INV-2", "3000.00", 2, "450.00"),
            ("INV-3", "37000.00", 2, "5550.00"),
            ("INV-3", "3000.00", 3, "600.00"),
        ]
        # 10,000 x 10 % + 40,000 x 15 % + 3,000 x 20 % = 1,000 + 6,000 + 600 = 7,600.00
        assert march.total_payable == Decimal("7600.00")
        assert march.item("T").basis == Decimal("53000.00")

    def test_the_running_total_restarts_each_period_under_the_period_measure(self) -> None:
        lines = [
            line("INV-1", "8000.00", billed=date(2025, 1, 10)),
            line("INV-2", "5000.00", billed=date(2025, 2, 10)),
        ]
        share_model = model(ShareItem("T", "tiered", TIERS))
        january, february = settle_months(agreement(), share_model, lines, [1, 2])
        # Each month stays under 10,000: 10 % of 8,000 = 800.00; 10 % of 5,000 = 500.00
        assert (january.total_payable, february.total_payable) == (
            Decimal("800.00"),
            Decimal("500.00"),
        )

    def test_the_cumulative_measure_carries_the_running_total_across_periods(self) -> None:
        cumulative = TieredShare(
            (Band(Decimal("10000.00"), Decimal(10)), Band(None, Decimal(20))),
            BandMeasure.CUMULATIVE,
        )
        lines = [
            line("INV-1", "8000.00", billed=date(2025, 1, 10)),
            line("INV-2", "5000.00", billed=date(2025, 2, 10)),
        ]
        share_model = model(ShareItem("T", "tiered", cumulative))
        january, february = settle_months(agreement(), share_model, lines, [1, 2])
        # January 0 -> 8,000 at 10 % = 800.00
        # February 8,000 -> 13,000: 2,000 x 10 % = 200.00 and 3,000 x 20 % = 600.00
        assert shares(february, "T") == [
            ("INV-2", "2000.00", 1, "200.00"),
            ("INV-2", "3000.00", 2, "600.00"),
        ]
        assert february.item("T").cumulative_basis == Decimal("13000.00")
        assert january.total_payable + february.total_payable == Decimal("1600.00")


class TestBanded:
    BANDS = BandedShare((Band(Decimal("10000.00"), Decimal(10)), Band(None, Decimal(15))))

    def test_a_total_exactly_on_the_bound_stays_in_the_lower_band(self) -> None:
        lines = [
            line("INV-1", "4000.00", billed=date(2025, 1, 3)),
            line("INV-2", "6000.00", billed=date(2025, 1, 4)),
        ]
        [january] = settle_months(
            agreement(), model(ShareItem("B", "banded", self.BANDS)), lines, [1]
        )
        # Total 10,000.00 is on the bound: band 1 for the whole amount, 10 %
        assert shares(january, "B") == [
            ("INV-1", "4000.00", 1, "400.00"),
            ("INV-2", "6000.00", 1, "600.00"),
        ]
        assert january.total_payable == Decimal("1000.00")

    def test_one_cent_over_the_bound_moves_the_whole_amount_to_the_next_band(self) -> None:
        lines = [
            line("INV-1", "4000.00", billed=date(2025, 1, 3)),
            line("INV-2", "6000.01", billed=date(2025, 1, 4)),
        ]
        [january] = settle_months(
            agreement(), model(ShareItem("B", "banded", self.BANDS)), lines, [1]
        )
        # Total 10,000.01: 15 % of everything. 4,000.00 x 15 % = 600.00;
        # 6,000.01 x 15 % = 900.0015 -> 900.00 (half up)
        assert shares(january, "B") == [
            ("INV-1", "4000.00", 2, "600.00"),
            ("INV-2", "6000.01", 2, "900.00"),
        ]
        assert january.item("B").share_lines[1].share_exact == Decimal("900.0015")
        assert january.total_payable == Decimal("1500.00")


class TestFlat:
    def test_a_zero_percent_share_cites_the_line_and_pays_nothing(self) -> None:
        share_model = model(ShareItem("Z", "nothing", FlatShare(Decimal(0))))
        [january] = settle_months(agreement(), share_model, [line("INV-1", "500.00")], [1])
        assert shares(january, "Z") == [("INV-1", "500.00", None, "0.00")]
        assert january.total_payable == Decimal("0.00")

    def test_the_first_matching_item_in_model_order_takes_the_line(self) -> None:
        special = ShareItem(
            "S", "offering B", FlatShare(Decimal(30)), Scope(offering_ids=frozenset({"OFF-B"}))
        )
        general = ShareItem("G", "everything else", FlatShare(Decimal(10)))
        lines = [
            line("INV-1", "100.00", offering="OFF-B"),
            line("INV-2", "100.00", offering="OFF-A"),
        ]
        [january] = settle_months(agreement(), model(special, general), lines, [1])
        # OFF-B matches S first: 30.00; OFF-A only matches G: 10.00
        assert shares(january, "S") == [("INV-1", "100.00", None, "30.00")]
        assert shares(january, "G") == [("INV-2", "100.00", None, "10.00")]

    def test_the_rounding_mode_is_the_models(self) -> None:
        lines = [line("INV-1", "0.05")]
        half_up = model(ShareItem("F", "flat", FlatShare(Decimal(50))))
        down = model(
            ShareItem("F", "flat", FlatShare(Decimal(50))), rounding_mode=RoundingMode.DOWN
        )
        # 0.05 x 50 % = 0.025: half up 0.03, down 0.02
        assert settle_months(agreement(), half_up, lines, [1])[0].total_payable == Decimal("0.03")
        assert settle_months(agreement(), down, lines, [1])[0].total_payable == Decimal("0.02")


class TestJapaneseYen:
    def test_shares_round_to_whole_yen(self) -> None:
        share_model = model(ShareItem("F", "flat", FlatShare(Decimal(15))), in_currency=JPY)
        lines = [
            line("INV-1", "1001", in_currency=JPY, billed=date(2025, 1, 2)),
            line("INV-2", "12345", in_currency=JPY, billed=date(2025, 1, 3)),
        ]
        [january] = settle_months(agreement(), share_model, lines, [1])
        # 1,001 x 15 % = 150.15 -> 150; 12,345 x 15 % = 1,851.75 -> 1,852 (half up)
        assert shares(january, "F") == [
            ("INV-1", "1001", None, "150"),
            ("INV-2", "12345", None, "1852"),
        ]
        assert january.total_payable == Decimal("2002")

    def test_a_line_split_by_time_is_split_into_whole_yen(self) -> None:
        item = ShareItem("F", "until March 11", FlatShare(Decimal(20)), effective_until=at(3, 11))
        share_model = model(item, in_currency=JPY)
        lines = [line("INV-1", "10000", in_currency=JPY, billed=date(2025, 3, 1))]
        [march] = settle_months(agreement(), share_model, lines, [3])
        # March has 31 days, 10 before the 11th: 10,000 x 10/31 = 3,225.81 -> 3,226 yen (largest
        # remainder: 3,225 + 6,774 leave 1 yen, to the larger remainder 0.81); 20 % = 645.2 -> 645
        assert shares(march, "F") == [("INV-1", "3226", None, "645")]
        assert [(each.amount, each.reason.value) for each in march.excluded] == [
            (Decimal("6774"), "no_item_in_effect")
        ]
