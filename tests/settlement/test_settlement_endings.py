"""Items ending: by milestone (declared mid-period, or recorded after its period was settled), by
cumulative basis (the next item takes over), by date and effective dates; cash vs accrual.

Every expected amount is worked out by hand in the comment above it.
"""

from datetime import date
from decimal import Decimal

import pytest

from tollway.settlement import (
    AccountingBasis,
    EndsOnCumulativeBasis,
    EndsOnMilestone,
    FlatShare,
    ItemEnd,
    MilestoneEvent,
    SettlementHistory,
    SettlementInputError,
    ShareItem,
    settle,
)

from .settlement_world import agreement, at, line, model, month, settle_months, shares

TWENTY = FlatShare(Decimal(20))
FIVE = FlatShare(Decimal(5))
LAUNCH = MilestoneEvent("AG-1", "launch", occurred_at=at(3, 11), recorded_at=at(3, 12, 9))


def until_launch() -> ShareItem:
    return ShareItem("A", "20 % until launch", TWENTY, ends=(EndsOnMilestone("launch"),))


class TestMilestone:
    def test_a_milestone_mid_period_shares_only_revenue_served_before_it(self) -> None:
        after = ShareItem("B", "5 % afterwards", FIVE)
        march_line = line("INV-3", "31000.00", billed=date(2025, 3, 1))
        [march] = settle_months(
            agreement(), model(until_launch(), after), [march_line], [3], milestones=[LAUNCH]
        )
        # Service March 1 to April 1 (31 days), launch on March 11 00:00: 10 days before it.
        # A: 31,000.00 x 10/31 = 10,000.00 at 20 % = 2,000.00
        # B: the other 21,000.00 at 5 % = 1,050.00
        assert shares(march, "A") == [("INV-3", "10000.00", None, "2000.00")]
        assert shares(march, "B") == [("INV-3", "21000.00", None, "1050.00")]
        assert march.item("A").share_lines[0].service_end == at(3, 11)
        assert march.item("A").ended == ItemEnd(
            at(3, 11),
            "milestone 'launch' occurred 2025-03-11T00:00:00+00:00, "
            "recorded 2025-03-12T09:00:00+00:00",
        )
        assert march.total_payable == Decimal("3050.00")

    def test_nothing_is_shared_after_the_milestone_when_no_item_follows(self) -> None:
        lines = [
            line("INV-3", "31000.00", billed=date(2025, 3, 1)),
            line("INV-4", "30000.00", billed=date(2025, 4, 1)),
        ]
        march, april = settle_months(
            agreement(), model(until_launch()), lines, [3, 4], milestones=[LAUNCH]
        )
        # March: 10/31 of 31,000.00 = 10,000.00 at 20 % = 2,000.00; the rest is not shared.
        assert march.total_payable == Decimal("2000.00")
        assert [(each.amount, each.reason.value) for each in march.excluded] == [
            (Decimal("21000.00"), "no_item_in_effect")
        ]
        # April: the item has ended, the whole line is not shared.
        assert april.total_payable == Decimal("0.00")
        assert april.item("A").share_lines == ()
        assert [(each.amount, each.reason.value) for each in april.excluded] == [
            (Decimal("30000.00"), "no_item_in_effect")
        ]

    def test_a_milestone_recorded_after_its_period_was_settled_claws_back_the_excess(self) -> None:
        lines = [
            line("INV-3", "31000.00", billed=date(2025, 3, 1)),
            line("INV-4", "30000.00", billed=date(2025, 4, 1)),
        ]
        # March is settled before anyone knows of the launch: 20 % of 31,000.00 = 6,200.00
        [march] = settle_months(agreement(), model(until_launch()), lines, [3])
        assert march.total_payable == Decimal("6200.00")
        late = MilestoneEvent("AG-1", "launch", occurred_at=at(3, 11), recorded_at=at(4, 3))
        april = settle(
            agreement(),
            model(until_launch()),
            lines,
            period=month(4),
            accounting_basis=AccountingBasis.ACCRUAL,
            history=SettlementHistory("AG-1", (march,)),
            milestones=[late],
        )
        # April takes back the share paid on the 21 of 31 March days after the launch:
        # 6,200.00 x 21/31 = 4,200.00, on a basis of 31,000.00 x 21/31 = 21,000.00.
        # April's own line is served after the launch: not shared. The partner owes 4,200.00.
        [clawback] = april.item("A").adjustments
        assert (clawback.kind.value, clawback.amount, clawback.basis) == (
            "termination_clawback",
            Decimal("-4200.00"),
            Decimal("-21000.00"),
        )
        assert (clawback.bill_no, clawback.line_id, clawback.settled_period_start) == (
            "INV-3",
            "L1",
            at(3),
        )
        assert april.total_payable == Decimal("-4200.00")
        assert april.payer_id == "PT"
        assert april.item("A").ended is not None
        # Settled again with that history, May takes nothing back twice.
        may = settle(
            agreement(),
            model(until_launch()),
            lines,
            period=month(5),
            accounting_basis=AccountingBasis.ACCRUAL,
            history=SettlementHistory("AG-1", (march, april)),
            milestones=[late],
        )
        assert may.total_payable == Decimal("0.00")

    def test_two_events_for_one_milestone_are_refused(self) -> None:
        twice = [LAUNCH, MilestoneEvent("AG-1", "launch", at(3, 20), at(3, 21))]
        with pytest.raises(SettlementInputError, match="recorded twice"):
            settle_months(agreement(), model(until_launch()), [], [3], milestones=twice)

    def test_other_agreements_milestones_are_ignored(self) -> None:
        elsewhere = MilestoneEvent("AG-9", "launch", at(3, 11), at(3, 12))
        march_line = line("INV-3", "31000.00", billed=date(2025, 3, 1))
        [march] = settle_months(
            agreement(), model(until_launch()), [march_line], [3], milestones=[elsewhere]
        )
        assert march.total_payable == Decimal("6200.00")


class TestCumulativeEnd:
    def test_the_line_crossing_the_threshold_is_split_and_the_next_item_takes_the_rest(
        self,
    ) -> None:
        first = ShareItem(
            "A", "10 % of the first 10,000", FlatShare(Decimal(10)),
            ends=(EndsOnCumulativeBasis(Decimal("10000.00")),),
        )  # fmt: skip
        then = ShareItem("B", "4 % afterwards", FlatShare(Decimal(4)))
        lines = [
            line("INV-1", "6000.00", billed=date(2025, 1, 10)),
            line("INV-2", "7000.00", billed=date(2025, 2, 10)),
            line("INV-3", "5000.00", billed=date(2025, 3, 10)),
        ]
        january, february, march = settle_months(agreement(), model(first, then), lines, [1, 2, 3])
        # Jan: A shares 6,000.00 at 10 % = 600.00 (4,000.00 left before its threshold)
        assert shares(january, "A") == [("INV-1", "6000.00", None, "600.00")]
        # Feb: A takes 4,000.00 of INV-2 (400.00) and ends; B takes the other 3,000.00 at 4 %
        assert shares(february, "A") == [("INV-2", "4000.00", None, "400.00")]
        assert shares(february, "B") == [("INV-2", "3000.00", None, "120.00")]
        assert february.item("A").ended == ItemEnd(
            None, "cumulative basis reached 10000.00 on INV-2/L1"
        )
        # Mar: only B: 5,000.00 at 4 % = 200.00
        assert shares(march, "A") == []
        assert shares(march, "B") == [("INV-3", "5000.00", None, "200.00")]
        assert march.item("A").cumulative_basis == Decimal("10000.00")

    def test_reaching_the_threshold_exactly_ends_the_item(self) -> None:
        first = ShareItem(
            "A",
            "first 6,000",
            FlatShare(Decimal(10)),
            ends=(EndsOnCumulativeBasis(Decimal("6000.00")),),
        )
        lines = [line("INV-1", "6000.00", billed=date(2025, 1, 10))]
        [january] = settle_months(agreement(), model(first), lines, [1])
        assert shares(january, "A") == [("INV-1", "6000.00", None, "600.00")]
        assert january.item("A").ended is not None


class TestDates:
    def test_effective_dates_split_a_line_by_time(self) -> None:
        item = ShareItem(
            "A",
            "from the 11th",
            FlatShare(Decimal(10)),
            effective_from=at(3, 11),
            effective_until=at(3, 21),
        )
        [march] = settle_months(
            agreement(), model(item), [line("INV-3", "3100.00", billed=date(2025, 3, 1))], [3]
        )
        # 10 of March's 31 days are in effect: 3,100.00 x 10/31 = 1,000.00 at 10 % = 100.00
        assert shares(march, "A") == [("INV-3", "1000.00", None, "100.00")]
        assert [(each.service_start, each.amount) for each in march.excluded] == [
            (at(3), Decimal("1000.00")),
            (at(3, 21), Decimal("1100.00")),
        ]
        assert march.item("A").in_effect is False  # not in effect on March 1

    def test_revenue_served_before_the_agreement_starts_is_not_shared(self) -> None:
        item = ShareItem("A", "flat", FlatShare(Decimal(10)))
        deal = agreement(start=at(1, 16))
        january_line = line("INV-1", "3100.00", billed=date(2025, 1, 20))
        [january] = settle_months(deal, model(item), [january_line], [1])
        # 16 of January's 31 days fall in the agreement: 3,100.00 x 16/31 = 1,600.00 at 10 %
        assert shares(january, "A") == [("INV-1", "1600.00", None, "160.00")]
        assert [each.reason.value for each in january.excluded] == ["outside_agreement"]

    def test_a_one_time_charge_is_an_instant(self) -> None:
        item = ShareItem("A", "until launch", TWENTY, ends=(EndsOnMilestone("launch"),))
        before = line("INV-1", "500.00", billed=date(2025, 3, 20), service=(at(3, 10), at(3, 10)))
        after = line("INV-2", "500.00", billed=date(2025, 3, 20), service=(at(3, 11), at(3, 11)))
        [march] = settle_months(agreement(), model(item), [before, after], [3], milestones=[LAUNCH])
        # The instant before the launch is shared (100.00), the one at the launch is not.
        assert shares(march, "A") == [("INV-1", "500.00", None, "100.00")]


class TestAccountingBasis:
    def test_cash_basis_shares_a_line_in_the_period_it_is_paid(self) -> None:
        item = ShareItem("A", "flat", FlatShare(Decimal(10)))
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 5), paid_on=date(2025, 2, 3)),
            line("INV-2", "2000.00", billed=date(2025, 1, 6)),  # never paid
        ]
        january, february = settle_months(
            agreement(), model(item), lines, [1, 2], basis=AccountingBasis.CASH
        )
        assert january.total_payable == Decimal("0.00")
        assert shares(february, "A") == [("INV-1", "1000.00", None, "100.00")]
        assert february.accounting_basis is AccountingBasis.CASH

    def test_accrual_basis_shares_a_line_in_the_period_it_is_billed(self) -> None:
        item = ShareItem("A", "flat", FlatShare(Decimal(10)))
        lines = [line("INV-1", "1000.00", billed=date(2025, 1, 5), paid_on=date(2025, 2, 3))]
        january, february = settle_months(agreement(), model(item), lines, [1, 2])
        assert (january.total_payable, february.total_payable) == (
            Decimal("100.00"),
            Decimal("0.00"),
        )
