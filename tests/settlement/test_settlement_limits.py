"""Caps, floors and minimum guarantees with recoupment, over several periods.

Every expected amount is worked out by hand in the comment above it.
"""

from datetime import date
from decimal import Decimal

import pytest

from tollway.settlement import (
    EndsOnDate,
    FlatShare,
    Limits,
    MinimumGuarantee,
    SettlementInputError,
    ShareItem,
)

from .settlement_world import adjustments, agreement, at, line, model, settle_months

TEN_PERCENT = FlatShare(Decimal(10))


def monthly(*amounts: str) -> list:
    """One line per month, billed on the 10th, January first."""
    return [
        line(f"INV-{index}", amount, billed=date(2025, index, 10))
        for index, amount in enumerate(amounts, start=1)
    ]


class TestCaps:
    def test_period_and_cumulative_caps_cut_the_payable(self) -> None:
        limits = Limits(period_cap=Decimal("500.00"), cumulative_cap=Decimal("1200.00"))
        item = ShareItem("C", "capped", TEN_PERCENT, limits=limits)
        lines = monthly("4000.00", "7000.00", "6000.00", "1000.00")
        statements = settle_months(agreement(), model(item), lines, [1, 2, 3, 4])
        # Jan: 10 % of 4,000 = 400.00, under both caps.
        # Feb: 700.00 earned, period cap 500.00: -200.00. Paid so far 900.00.
        # Mar: 600.00 earned, period cap: -100.00 -> 500.00; only 300.00 left under the cumulative
        #      cap of 1,200.00: -200.00 -> 300.00. Paid so far 1,200.00: the cap is reached.
        # Apr: 100.00 earned, cumulative cap: -100.00 -> 0.00.
        assert [adjustments(each, "C") for each in statements] == [
            [],
            [("period_cap", "-200.00")],
            [("period_cap", "-100.00"), ("cumulative_cap", "-200.00")],
            [("cumulative_cap", "-100.00")],
        ]
        assert [each.total_payable for each in statements] == [
            Decimal("400.00"),
            Decimal("500.00"),
            Decimal("300.00"),
            Decimal("0.00"),
        ]
        assert [each.item("C").cumulative_paid for each in statements] == [
            Decimal("400.00"),
            Decimal("900.00"),
            Decimal("1200.00"),
            Decimal("1200.00"),
        ]

    def test_a_share_exactly_at_the_cap_is_not_cut(self) -> None:
        item = ShareItem("C", "capped", TEN_PERCENT, limits=Limits(period_cap=Decimal("500.00")))
        [january] = settle_months(agreement(), model(item), monthly("5000.00"), [1])
        # 10 % of 5,000.00 = 500.00, exactly the cap: no cap line
        assert adjustments(january, "C") == []
        assert january.total_payable == Decimal("500.00")


class TestMinimumGuarantee:
    def test_top_ups_are_recouped_from_later_periods_excess(self) -> None:
        guarantee = MinimumGuarantee(Decimal("1000.00"))
        item = ShareItem("G", "guaranteed", TEN_PERCENT, guarantee=guarantee)
        lines = monthly("4000.00", "5000.00", "18000.00", "25000.00", "15000.00")
        statements = settle_months(agreement(), model(item), lines, [1, 2, 3, 4, 5])
        # Jan: 400.00 earned, topped up 600.00 to 1,000.00; outstanding 600.00
        # Feb: 500.00 earned, topped up 500.00; outstanding 1,100.00
        # Mar: 1,800.00 earned, 800.00 above the guarantee recoups 800.00 -> 1,000.00;
        #      outstanding 300.00
        # Apr: 2,500.00 earned, 1,500.00 above; recoups the last 300.00 -> 2,200.00; outstanding 0
        # May: 1,500.00 earned, nothing left to recoup -> 1,500.00
        assert [adjustments(each, "G") for each in statements] == [
            [("guarantee_top_up", "600.00")],
            [("guarantee_top_up", "500.00")],
            [("recoupment", "-800.00")],
            [("recoupment", "-300.00")],
            [],
        ]
        assert [each.total_payable for each in statements] == [
            Decimal("1000.00"),
            Decimal("1000.00"),
            Decimal("1000.00"),
            Decimal("2200.00"),
            Decimal("1500.00"),
        ]
        assert [each.item("G").guarantee_outstanding for each in statements] == [
            Decimal("600.00"),
            Decimal("1100.00"),
            Decimal("300.00"),
            Decimal("0.00"),
            Decimal("0.00"),
        ]

    def test_a_non_recoupable_guarantee_is_never_recouped(self) -> None:
        guarantee = MinimumGuarantee(Decimal("1000.00"), recoupable=False)
        item = ShareItem("G", "guaranteed", TEN_PERCENT, guarantee=guarantee)
        statements = settle_months(agreement(), model(item), monthly("0.00", "30000.00"), [1, 2])
        # Jan: nothing earned, topped up 1,000.00. Feb: 3,000.00 earned, paid in full.
        assert [each.total_payable for each in statements] == [
            Decimal("1000.00"),
            Decimal("3000.00"),
        ]
        assert statements[0].item("G").guarantee_outstanding == Decimal("0.00")

    def test_no_guarantee_once_the_item_has_ended(self) -> None:
        guarantee = MinimumGuarantee(Decimal("1000.00"))
        item = ShareItem(
            "G", "until March", TEN_PERCENT, ends=(EndsOnDate(at(3)),), guarantee=guarantee
        )
        statements = settle_months(
            agreement(), model(item), monthly("0.00", "0.00", "0.00"), [1, 2, 3]
        )
        # In effect on Jan 1 and Feb 1 (topped up 1,000.00 each), ended on Mar 1: nothing in March
        assert [each.total_payable for each in statements] == [
            Decimal("1000.00"),
            Decimal("1000.00"),
            Decimal("0.00"),
        ]
        # The top-ups never recouped stay outstanding (the partner keeps them).
        assert statements[2].item("G").guarantee_outstanding == Decimal("2000.00")


class TestFloors:
    def test_a_period_floor_tops_up_and_is_never_recouped(self) -> None:
        item = ShareItem("F", "floored", TEN_PERCENT, limits=Limits(period_floor=Decimal("250.00")))
        statements = settle_months(agreement(), model(item), monthly("1000.00", "9000.00"), [1, 2])
        # Jan: 100.00 earned, floor tops up 150.00. Feb: 900.00 earned, paid in full.
        assert [adjustments(each, "F") for each in statements] == [[("period_floor", "150.00")], []]
        assert statements[1].total_payable == Decimal("900.00")

    def test_the_lifetime_floor_is_trued_up_in_the_period_the_item_ends(self) -> None:
        limits = Limits(cumulative_floor=Decimal("5000.00"))
        item = ShareItem("F", "until March", TEN_PERCENT, ends=(EndsOnDate(at(3)),), limits=limits)
        statements = settle_months(agreement(), model(item), monthly("10000.00", "8000.00"), [1, 2])
        # Jan 1,000.00, Feb 800.00 earned: 1,800.00 paid. The item ends on Mar 1, the end of the
        # February period: the lifetime floor of 5,000.00 tops up 3,200.00 in February.
        assert adjustments(statements[1], "F") == [("cumulative_floor", "3200.00")]
        assert statements[1].item("F").cumulative_paid == Decimal("5000.00")


class TestLimitValidation:
    def test_a_guarantee_above_the_period_cap_is_refused(self) -> None:
        item = ShareItem(
            "G",
            "contradictory",
            TEN_PERCENT,
            limits=Limits(period_cap=Decimal("100.00")),
            guarantee=MinimumGuarantee(Decimal("200.00")),
        )
        with pytest.raises(
            SettlementInputError, match=r"limits.period_cap: 100.00 is below a minimum 200.00"
        ):
            model(item)

    def test_a_cap_in_fractions_of_a_cent_is_refused(self) -> None:
        item = ShareItem("C", "odd", TEN_PERCENT, limits=Limits(period_cap=Decimal("100.005")))
        with pytest.raises(SettlementInputError, match="not a whole number of USD minor units"):
            model(item)
