"""Corrections after settlement, where they meet caps, thresholds, amendments and late milestones.

- a clawback takes back what was paid on the line (after caps), never the uncapped share;
- partial credits of one line, however split, take back exactly what was paid on it;
- a credit note in the same period nets against the slices of the line it credits, item by item,
  even after the item reached its cumulative threshold;
- a credit for a line shared under an earlier agreement version is clawed back under that item;
- clawed-back basis lowers the item's running basis (cumulative bands and thresholds);
- a milestone recorded late restates the guarantee of the periods it ends, not only the share.

Every expected amount is worked out by hand in the comment above it.
"""

from datetime import date
from decimal import Decimal

from tollway.settlement import (
    AccountingBasis,
    AgreementVersion,
    Band,
    BandMeasure,
    EndsOnCumulativeBasis,
    EndsOnMilestone,
    FlatShare,
    Limits,
    MilestoneEvent,
    MinimumGuarantee,
    SettlementHistory,
    ShareItem,
    TieredShare,
    read_statement_json,
    render_statement_json,
    settle,
)

from .settlement_world import adjustments, agreement, at, line, model, month, settle_months, shares

TEN = FlatShare(Decimal(10))


def credit(bill_no: str, amount: str, *, billed: date, credits: str = "INV-1") -> object:
    """A credit-note line for (part of) `credits`/L1, for January's service."""
    return line(
        bill_no, amount, line_id="L1-cn", billed=billed, service=(at(1), at(2)),
        credits=(credits, "L1"),
    )  # fmt: skip


class TestClawbackAfterCaps:
    def test_a_credit_takes_back_what_was_paid_after_the_period_cap(self) -> None:
        item = ShareItem("C", "capped", TEN, limits=Limits(period_cap=Decimal("5000.00")))
        lines = [
            line("INV-1", "100000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-100000.00", billed=date(2025, 2, 3)),
        ]
        january, february = settle_months(agreement(), model(item), lines, [1, 2])
        # Jan: 10 % of 100,000.00 = 10,000.00, cut by the period cap to 5,000.00 paid.
        assert january.total_payable == Decimal("5000.00")
        # Feb: the line is credited in full: all of the 5,000.00 paid on it comes back, not the
        # 10,000.00 share before the cap. Nothing is left paid.
        assert adjustments(february, "C") == [("credit_clawback", "-5000.00")]
        assert february.total_payable == Decimal("-5000.00")
        assert february.item("C").cumulative_paid == Decimal("0.00")

    def test_a_cap_cut_is_spread_over_the_period_lines_by_their_shares(self) -> None:
        item = ShareItem("C", "capped", TEN, limits=Limits(period_cap=Decimal("5000.00")))
        lines = [
            line("INV-1", "60000.00", billed=date(2025, 1, 5)),
            line("INV-2", "40000.00", billed=date(2025, 1, 6)),
            credit("CN-1", "-30000.00", billed=date(2025, 2, 3)),
        ]
        _, february = settle_months(agreement(), model(item), lines, [1, 2])
        # Jan: shares 6,000.00 + 4,000.00 = 10,000.00, capped to 5,000.00: half of each share is
        # paid: 3,000.00 on INV-1, 2,000.00 on INV-2.
        # Feb: half of INV-1 is credited: half of the 3,000.00 paid on it = 1,500.00.
        assert adjustments(february, "C") == [("credit_clawback", "-1500.00")]

    def test_a_cumulative_cap_counts_as_a_cut_too(self) -> None:
        item = ShareItem("C", "capped", TEN, limits=Limits(cumulative_cap=Decimal("700.00")))
        lines = [
            line("INV-1", "5000.00", billed=date(2025, 1, 5)),
            line("INV-2", "5000.00", billed=date(2025, 2, 5)),
            credit("CN-2", "-5000.00", billed=date(2025, 3, 3), credits="INV-2"),
        ]
        statements = settle_months(agreement(), model(item), lines, [1, 2, 3])
        # Jan 500.00; Feb 500.00 earned, 200.00 left under the cap of 700.00: 200.00 paid on
        # INV-2. Mar: INV-2 credited in full: 200.00 back (not 500.00); 500.00 paid in all.
        assert [each.total_payable for each in statements] == [
            Decimal("500.00"),
            Decimal("200.00"),
            Decimal("-200.00"),
        ]
        assert statements[2].item("C").cumulative_paid == Decimal("500.00")


class TestPartialCredits:
    def test_three_partial_credits_take_back_exactly_what_was_paid(self) -> None:
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-333.33", billed=date(2025, 2, 3)),
            credit("CN-2", "-333.33", billed=date(2025, 2, 4)),
            credit("CN-3", "-333.34", billed=date(2025, 2, 5)),
        ]
        _, february = settle_months(agreement(), model(ShareItem("A", "10 %", TEN)), lines, [1, 2])
        # 100.00 paid on INV-1. The fraction credited so far, times 100.00, rounded once, less
        # what was taken back already:
        #   333.33/1000 -> 33.333 -> 33.33
        #   666.66/1000 -> 66.666 -> 66.67, less 33.33 = 33.34
        #   1000/1000   -> 100.00,          less 66.67 = 33.33
        assert adjustments(february, "A") == [
            ("credit_clawback", "-33.33"),
            ("credit_clawback", "-33.34"),
            ("credit_clawback", "-33.33"),
        ]
        assert february.total_payable == Decimal("-100.00")

    def test_partial_credits_over_two_periods_add_up_too(self) -> None:
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-333.33", billed=date(2025, 2, 3)),
            credit("CN-2", "-666.67", billed=date(2025, 3, 3)),
        ]
        _, february, march = settle_months(
            agreement(), model(ShareItem("A", "10 %", TEN)), lines, [1, 2, 3]
        )
        # Feb: 33.333 -> 33.33. Mar: all credited -> 100.00 less 33.33 = 66.67.
        assert adjustments(february, "A") == [("credit_clawback", "-33.33")]
        assert adjustments(march, "A") == [("credit_clawback", "-66.67")]

    def test_partial_credits_in_the_same_period_leave_nothing_behind(self) -> None:
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-333.33", billed=date(2025, 1, 10)),
            credit("CN-2", "-333.33", billed=date(2025, 1, 11)),
            credit("CN-3", "-333.34", billed=date(2025, 1, 12)),
        ]
        [january] = settle_months(agreement(), model(ShareItem("A", "10 %", TEN)), lines, [1])
        # Each credit's share is the share of what is left of the line, rounded, less the share
        # before it: 100.00; 666.67 left -> 66.667 -> 66.67: -33.33; 333.34 left -> 33.334 ->
        # 33.33: -33.34; nothing left -> 0.00: -33.33. Nothing is paid on a line credited in full.
        assert shares(january, "A") == [
            ("INV-1", "1000.00", None, "100.00"),
            ("CN-1", "-333.33", None, "-33.33"),
            ("CN-2", "-333.33", None, "-33.34"),
            ("CN-3", "-333.34", None, "-33.33"),
        ]
        assert january.total_payable == Decimal("0.00")


class TestSamePeriodCreditAfterCumulativeEnd:
    FIRST = ShareItem(
        "first", "10 % of the first 1,000", TEN, ends=(EndsOnCumulativeBasis(Decimal("1000.00")),)
    )
    SECOND = ShareItem("second", "5 % afterwards", FlatShare(Decimal(5)))

    def test_the_credit_nets_against_the_item_that_shared_the_line(self) -> None:
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 1)),
            credit("CN-1", "-1000.00", billed=date(2025, 1, 10)),
        ]
        [january] = settle_months(agreement(), model(self.FIRST), lines, [1])
        # INV-1 takes the item to its threshold of 1,000.00 (100.00); CN-1 credits it in full in
        # the same period: -100.00 against the same item. The line is worth nothing: 0.00.
        assert shares(january, "first") == [
            ("INV-1", "1000.00", None, "100.00"),
            ("CN-1", "-1000.00", None, "-100.00"),
        ]
        assert january.excluded == ()
        assert january.total_payable == Decimal("0.00")
        # Back to 0.00 of basis within the period: the item has not reached its threshold.
        assert january.item("first").ended is None
        assert january.item("first").cumulative_basis == Decimal("0.00")

    def test_the_next_item_never_gets_a_credit_for_a_line_it_did_not_share(self) -> None:
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 1)),
            credit("CN-1", "-1000.00", billed=date(2025, 1, 10)),
            line("INV-2", "500.00", billed=date(2025, 1, 20)),
        ]
        [january] = settle_months(agreement(), model(self.FIRST, self.SECOND), lines, [1])
        # INV-1 ends "first" (100.00); CN-1 nets -100.00 against "first", taking its basis back
        # to 0.00, so "first" is in effect again and shares INV-2: 10 % of 500.00 = 50.00.
        # "second" shares nothing. Total 50.00.
        assert shares(january, "first") == [
            ("INV-1", "1000.00", None, "100.00"),
            ("CN-1", "-1000.00", None, "-100.00"),
            ("INV-2", "500.00", None, "50.00"),
        ]
        assert shares(january, "second") == []
        assert january.total_payable == Decimal("50.00")

    def test_a_credit_of_a_line_split_at_the_threshold_follows_the_split(self) -> None:
        first = ShareItem(
            "first", "first 800", TEN, ends=(EndsOnCumulativeBasis(Decimal("800.00")),)
        )
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 1)),
            credit("CN-1", "-500.00", billed=date(2025, 1, 10)),
        ]
        [january] = settle_months(agreement(), model(first, self.SECOND), lines, [1])
        # INV-1: 800.00 to "first" (80.00), 200.00 to "second" (10.00). CN-1 credits half the
        # line, in proportion: -400.00 against "first" (-40.00), -100.00 against "second"
        # (-5.00). "first" is back to 400.00 of basis: below its threshold, not ended.
        assert shares(january, "first") == [
            ("INV-1", "800.00", None, "80.00"),
            ("CN-1", "-400.00", None, "-40.00"),
        ]
        assert shares(january, "second") == [
            ("INV-1", "200.00", None, "10.00"),
            ("CN-1", "-100.00", None, "-5.00"),
        ]
        assert january.total_payable == Decimal("45.00")
        assert january.item("first").ended is None

    def test_a_credit_billed_before_its_line_in_the_period_waits_for_it(self) -> None:
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-250.00", billed=date(2025, 1, 5)),  # sorts before INV-1
        ]
        [january] = settle_months(agreement(), model(ShareItem("A", "10 %", TEN)), lines, [1])
        # 100.00 on INV-1, then -25.00 for the quarter credited: 75.00.
        assert shares(january, "A") == [
            ("INV-1", "1000.00", None, "100.00"),
            ("CN-1", "-250.00", None, "-25.00"),
        ]

    def test_same_period_credits_beyond_the_line_are_not_shared(self) -> None:
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-700.00", billed=date(2025, 1, 10)),
            credit("CN-2", "-700.00", billed=date(2025, 1, 11)),
        ]
        [january] = settle_months(agreement(), model(ShareItem("A", "10 %", TEN)), lines, [1])
        # 1,000.00 billed, 1,400.00 credited: CN-2 nets only the 300.00 left of the line; its
        # other 400.00 credits nothing and is listed as not shared. 100.00 - 70.00 - 30.00 = 0.
        assert shares(january, "A") == [
            ("INV-1", "1000.00", None, "100.00"),
            ("CN-1", "-700.00", None, "-70.00"),
            ("CN-2", "-300.00", None, "-30.00"),
        ]
        assert [
            (each.bill_no, str(each.amount), each.reason.value) for each in january.excluded
        ] == [("CN-2", "-400.00", "nothing_to_claw_back")]
        assert january.total_payable == Decimal("0.00")


class TestCreditAfterAmendment:
    def test_a_credit_for_a_line_of_an_earlier_version_is_clawed_back_under_its_item(self) -> None:
        deal = agreement(
            AgreementVersion(1, at(1), revenue_share_model_id="RS-1"),
            AgreementVersion(2, at(2), revenue_share_model_id="RS-2"),
        )
        before = model(ShareItem("a", "10 %", TEN))
        after = model(ShareItem("b", "15 %", FlatShare(Decimal(15))), model_id="RS-2")
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-1000.00", billed=date(2025, 2, 3)),
        ]
        january = settle(
            deal, before, lines, period=month(1), accounting_basis=AccountingBasis.ACCRUAL,
            history=SettlementHistory("AG-1"),
        )  # fmt: skip
        february = settle(
            deal, after, lines, period=month(2), accounting_basis=AccountingBasis.ACCRUAL,
            history=SettlementHistory("AG-1", (january,)),
        )  # fmt: skip
        # Jan (version 1, item a): 10 % of 1,000.00 = 100.00.
        # Feb (version 2, item b): INV-1 is credited in full: item a gives back its 100.00.
        assert [each.item_id for each in february.items] == ["b", "a"]
        assert adjustments(february, "a") == [("credit_clawback", "-100.00")]
        former = february.item("a")
        assert (former.in_effect, former.payable, former.cumulative_paid) == (
            False,
            Decimal("-100.00"),
            Decimal("0.00"),
        )
        assert former.cumulative_basis == Decimal("0.00")
        assert february.total_payable == Decimal("-100.00")
        assert read_statement_json(render_statement_json(february)) == february


class TestClawedBasisLowersTheRunningBasis:
    def test_a_cumulative_band_reads_the_basis_net_of_credits_clawed_back(self) -> None:
        tiers = TieredShare(
            (Band(Decimal("10000.00"), Decimal(10)), Band(None, Decimal(20))),
            measure=BandMeasure.CUMULATIVE,
        )
        lines = [
            line("INV-1", "10000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-10000.00", billed=date(2025, 2, 1)),
            line("INV-2", "5000.00", billed=date(2025, 2, 2)),
        ]
        _, february = settle_months(
            agreement(), model(ShareItem("T", "tiers", tiers)), lines, [1, 2]
        )
        # Jan: 10,000.00 in band 1: 1,000.00. Feb: INV-1 credited in full (-1,000.00), so the
        # item's basis since it began is 0.00 again: INV-2's 5,000.00 falls in band 1 (500.00),
        # not band 2. Total -500.00; basis since the start 10,000 - 10,000 + 5,000 = 5,000.00.
        assert shares(february, "T") == [("INV-2", "5000.00", 1, "500.00")]
        assert february.total_payable == Decimal("-500.00")
        assert february.item("T").cumulative_basis == Decimal("5000.00")

    def test_a_threshold_not_yet_reached_gets_the_credited_basis_back(self) -> None:
        item = ShareItem("A", "first 10,000", TEN, ends=(EndsOnCumulativeBasis(Decimal("10000")),))
        lines = [
            line("INV-1", "8000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-8000.00", billed=date(2025, 2, 1)),
            line("INV-2", "5000.00", billed=date(2025, 2, 2)),
        ]
        _, february = settle_months(agreement(), model(item), lines, [1, 2])
        # Jan: 8,000.00 shared (800.00). Feb: credited in full (-800.00); 0.00 shared net, so
        # INV-2's 5,000.00 is all below the threshold: 500.00. Total -300.00.
        assert shares(february, "A") == [("INV-2", "5000.00", None, "500.00")]
        assert february.total_payable == Decimal("-300.00")
        assert february.item("A").ended is None

    def test_an_item_ended_on_its_threshold_stays_ended_after_a_later_credit(self) -> None:
        item = ShareItem("A", "first 10,000", TEN, ends=(EndsOnCumulativeBasis(Decimal("10000")),))
        lines = [
            line("INV-1", "10000.00", billed=date(2025, 1, 5)),
            credit("CN-1", "-10000.00", billed=date(2025, 2, 1)),
            line("INV-2", "5000.00", billed=date(2025, 2, 2)),
        ]
        _, february = settle_months(agreement(), model(item), lines, [1, 2])
        # Jan: the threshold is reached and January is settled: the end is final. Feb: the
        # credit takes back 1,000.00; INV-2 is not shared (no item in effect). Its basis since
        # it began is 0.00.
        assert february.total_payable == Decimal("-1000.00")
        assert [(each.bill_no, each.reason.value) for each in february.excluded] == [
            ("INV-2", "no_item_in_effect")
        ]
        assert february.item("A").cumulative_basis == Decimal("0.00")


class TestLateMilestoneRestatesTheGuarantee:
    def test_periods_the_item_did_not_cover_give_back_their_guarantee(self) -> None:
        item = ShareItem(
            "G", "10 % until M, 1,000.00 guaranteed", TEN, ends=(EndsOnMilestone("M"),),
            guarantee=MinimumGuarantee(Decimal("1000.00")),
        )  # fmt: skip
        lines = [
            line(f"INV-{number}", "5000.00", billed=date(2025, number, 1)) for number in (6, 7, 8)
        ]
        june, july = settle_months(agreement(), model(item), lines, [6, 7])
        # June and July, the milestone unknown: 500.00 share + 500.00 top-up = 1,000.00 each.
        assert (june.total_payable, july.total_payable) == (Decimal("1000.00"), Decimal("1000.00"))
        late = MilestoneEvent("AG-1", "M", occurred_at=at(6, 15), recorded_at=at(8, 5))
        august = settle(
            agreement(), model(item), lines, period=month(8),
            accounting_basis=AccountingBasis.ACCRUAL, history=SettlementHistory("AG-1", (june, july)),
            milestones=[late],
        )  # fmt: skip
        # The item ended on June 15. Restated:
        # June (in effect on June 1): share 500.00 x 14/30 = 233.33, so 266.67 is clawed back;
        #   the guarantee tops 233.33 up to 1,000.00: 766.67 instead of 500.00, +266.67.
        # July (not in effect on July 1): the 500.00 share is clawed back and no guarantee is
        #   due: the 500.00 top-up comes back, -500.00.
        # August: nothing shared, no guarantee. Total -266.67 - 500.00 + 266.67 - 500.00
        #   = -1,000.00: 2,000.00 was paid, 1,000.00 (June's guarantee) was due.
        assert adjustments(august, "G") == [
            ("termination_clawback", "-266.67"),
            ("termination_clawback", "-500.00"),
            ("limits_restated", "266.67"),
            ("limits_restated", "-500.00"),
        ]
        restated = [each.settled_period_start for each in august.item("G").adjustments[2:]]
        assert restated == [at(6), at(7)]
        assert august.total_payable == Decimal("-1000.00")
        assert august.item("G").cumulative_paid == Decimal("1000.00")
        # June's restated top-up of 766.67 is the guarantee not recouped.
        assert august.item("G").guarantee_outstanding == Decimal("766.67")
        assert read_statement_json(render_statement_json(august)) == august


class TestReRunAfterAMilestone:
    def test_a_settled_period_is_re_run_with_the_milestones_it_knew(self) -> None:
        item = ShareItem("A", "10 % until M", TEN, ends=(EndsOnMilestone("M"),))
        lines = [line("INV-3", "31000.00", billed=date(2025, 3, 1))]
        [march] = settle_months(agreement(), model(item), lines, [3])
        # Recorded after March was settled (it occurred inside March): March stays as settled
        # (3,100.00); the share served after March 11 is taken back in the next period.
        late = MilestoneEvent("AG-1", "M", occurred_at=at(3, 11), recorded_at=at(4, 3))

        again = settle(
            agreement(), model(item), lines, period=month(3),
            accounting_basis=AccountingBasis.ACCRUAL, history=SettlementHistory("AG-1", (march,)),
            milestones=[late],
        )  # fmt: skip

        assert again == march and again.digest == march.digest
        assert again.total_payable == Decimal("3100.00")
