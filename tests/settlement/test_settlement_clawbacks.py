"""Credit notes and bad debt: netted within a period, clawed back after the period was settled.

Every expected amount is worked out by hand in the comment above it.
"""

from datetime import date
from decimal import Decimal

from tollway.settlement import Basis, Deduction, FlatShare, ShareItem

from .settlement_world import adjustments, agreement, line, model, settle_months, shares

TWENTY = ShareItem("A", "20 %", FlatShare(Decimal(20)))


class TestCreditNotes:
    def test_a_credit_note_after_settlement_is_clawed_back_in_the_next_period(self) -> None:
        lines = [
            line("INV-1", "1000.00", tax="80.00", billed=date(2025, 1, 5)),
            line("INV-2", "1500.00", tax="120.00", billed=date(2025, 2, 5)),
            line(
                "CN-1", "-250.00", line_id="L1-cn", tax="-20.00", billed=date(2025, 2, 10),
                credits=("INV-1", "L1"),
            ),
        ]  # fmt: skip
        january, february = settle_months(agreement(), model(TWENTY), lines, [1, 2])
        # Jan: 20 % of 1,000.00 (net of tax) = 200.00
        assert january.total_payable == Decimal("200.00")
        # Feb: 20 % of 1,500.00 = 300.00; the credit note takes back 250/1000 of the 200.00 paid
        # on INV-1: -50.00. Payable 250.00.
        assert shares(february, "A") == [("INV-2", "1500.00", None, "300.00")]
        [clawback] = february.item("A").adjustments
        assert (clawback.kind.value, clawback.amount, clawback.basis, clawback.source) == (
            "credit_clawback",
            Decimal("-50.00"),
            Decimal("-250.00"),
            "CN-1/L1-cn",
        )
        assert (clawback.bill_no, clawback.line_id, clawback.settled_period_start) == (
            "INV-1",
            "L1",
            january.period_start,
        )
        assert february.item("A").earned == Decimal("250.00")
        assert february.total_payable == Decimal("250.00")

    def test_credits_never_take_back_more_than_was_paid(self) -> None:
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 5)),
            line("CN-1", "-700.00", line_id="a", billed=date(2025, 2, 3), credits=("INV-1", "L1")),
            line("CN-2", "-700.00", line_id="b", billed=date(2025, 2, 4), credits=("INV-1", "L1")),
        ]
        _, february = settle_months(agreement(), model(TWENTY), lines, [1, 2])
        # 200.00 paid; the first credit takes back 700/1000 = 140.00, the second would take
        # 140.00 more but only 60.00 is left.
        assert adjustments(february, "A") == [
            ("credit_clawback", "-140.00"),
            ("credit_clawback", "-60.00"),
        ]
        assert february.total_payable == Decimal("-200.00")
        assert february.payer_id == "PT"

    def test_a_credit_note_in_the_same_period_nets_against_the_line(self) -> None:
        lines = [
            line("INV-1", "800.00", billed=date(2025, 1, 5)),
            line(
                "CN-1",
                "-300.00",
                line_id="L1-cn",
                billed=date(2025, 1, 20),
                credits=("INV-1", "L1"),
            ),
        ]
        [january] = settle_months(agreement(), model(TWENTY), lines, [1])
        # 20 % of 800.00 = 160.00 and 20 % of -300.00 = -60.00: 100.00, no clawback
        assert shares(january, "A") == [
            ("INV-1", "800.00", None, "160.00"),
            ("CN-1", "-300.00", None, "-60.00"),
        ]
        assert january.total_payable == Decimal("100.00")

    def test_a_credit_netted_in_its_own_period_counts_against_later_clawbacks(self) -> None:
        lines = [
            line("INV-1", "1000.00", billed=date(2025, 1, 5)),
            line("CN-1", "-300.00", line_id="a", billed=date(2025, 1, 20), credits=("INV-1", "L1")),
            line("CN-2", "-700.00", line_id="b", billed=date(2025, 2, 3), credits=("INV-1", "L1")),
            line("CN-3", "-100.00", line_id="c", billed=date(2025, 3, 3), credits=("INV-1", "L1")),
        ]
        january, february, march = settle_months(agreement(), model(TWENTY), lines, [1, 2, 3])
        # Jan: 200.00 on INV-1 and -60.00 on CN-1 (credit netted in the same period): 140.00 left.
        assert shares(january, "A") == [
            ("INV-1", "1000.00", None, "200.00"),
            ("CN-1", "-300.00", None, "-60.00"),
        ]
        assert january.item("A").share_lines[1].credits_line_id == "L1"
        # Feb: 700/1000 of 200.00 = 140.00, exactly what is left.
        assert adjustments(february, "A") == [("credit_clawback", "-140.00")]
        # Mar: nothing is left on INV-1 to take back; the credit note is listed, not shared.
        assert adjustments(march, "A") == []
        assert [(each.bill_no, each.reason.value) for each in march.excluded] == [
            ("CN-3", "nothing_to_claw_back")
        ]

    def test_a_gross_basis_ignores_credit_notes(self) -> None:
        lines = [
            line("INV-1", "1000.00", tax="80.00", billed=date(2025, 1, 5)),
            line(
                "CN-1",
                "-250.00",
                line_id="c",
                tax="-20.00",
                billed=date(2025, 2, 3),
                credits=("INV-1", "L1"),
            ),
        ]
        january, february = settle_months(
            agreement(), model(TWENTY, basis=Basis.gross()), lines, [1, 2]
        )
        # Gross includes tax: 20 % of 1,080.00 = 216.00; the credit note changes nothing.
        assert january.total_payable == Decimal("216.00")
        assert february.total_payable == Decimal("0.00")
        assert [(each.reason.value, each.amount) for each in february.excluded] == [
            ("credit_not_deducted", Decimal("-270.00"))
        ]

    def test_a_credit_for_a_line_never_shared_is_listed_not_shared(self) -> None:
        lines = [
            line("CN-9", "-100.00", line_id="c", billed=date(2025, 1, 9), credits=("OLD-1", "L4"))
        ]
        [january] = settle_months(agreement(), model(TWENTY), lines, [1])
        [excluded] = january.excluded
        assert (excluded.reason.value, excluded.detail) == (
            "credited_line_not_shared",
            "credits OLD-1/L4, which was never shared",
        )


class TestBadDebt:
    NET_OF_BAD_DEBT = Basis.net_of(Deduction.TAX, Deduction.CREDITS, Deduction.BAD_DEBT)

    def test_a_write_off_after_settlement_is_clawed_back(self) -> None:
        written_off = line(
            "INV-1", "2000.00", billed=date(2025, 1, 5), written_off="500.00",
            written_off_on=date(2025, 2, 20),
        )  # fmt: skip
        january, february = settle_months(
            agreement(), model(TWENTY, basis=self.NET_OF_BAD_DEBT), [written_off], [1, 2]
        )
        # Jan: the write-off is not known yet: 20 % of 2,000.00 = 400.00
        assert january.total_payable == Decimal("400.00")
        # Feb: 500/2000 of the 400.00 paid = 100.00 taken back
        assert adjustments(february, "A") == [("bad_debt_clawback", "-100.00")]

    def test_a_write_off_in_the_same_period_reduces_the_basis(self) -> None:
        written_off = line(
            "INV-1", "1000.00", billed=date(2025, 1, 5), written_off="300.00",
            written_off_on=date(2025, 1, 25),
        )  # fmt: skip
        [january] = settle_months(
            agreement(), model(TWENTY, basis=self.NET_OF_BAD_DEBT), [written_off], [1]
        )
        # Basis 1,000.00 - 300.00 = 700.00 at 20 % = 140.00
        assert shares(january, "A") == [("INV-1", "700.00", None, "140.00")]

    def test_bad_debt_is_ignored_unless_the_basis_is_net_of_it(self) -> None:
        written_off = line(
            "INV-1", "1000.00", billed=date(2025, 1, 5), written_off="300.00",
            written_off_on=date(2025, 1, 25),
        )  # fmt: skip
        [january] = settle_months(agreement(), model(TWENTY), [written_off], [1])
        assert january.total_payable == Decimal("200.00")
