"""Reciprocal netting: gross both ways, disputed amounts withheld then released, net and payer.

Sign convention (operator's side): withheld = withheld receivable - withheld payable and
net = receivables - payables - withheld; a positive net is paid by the partner.
"""

from datetime import date
from decimal import Decimal

import pytest

from tollway.settlement import (
    AgreementVersion,
    Dispute,
    DisputeResolution,
    NettingLineKind,
    PartnerCharge,
    Receivable,
    SettlementInputError,
    net,
)

from .settlement_world import EUR, USD, agreement, at, line, month


def receivable(
    bill_no: str, amount: str, *, day: date, dispute: Dispute | None = None
) -> Receivable:
    return Receivable(bill_no, "L1", "Wavelengths", "capacity", Decimal(amount), USD, day, dispute)


def charge(
    invoice: str,
    amount: str,
    *,
    day: date,
    dispute: Dispute | None = None,
    category: str = "cloud",
    in_currency=USD,  # type: ignore[no-untyped-def]
) -> PartnerCharge:
    return PartnerCharge(
        invoice, "C1", "Compute", category, Decimal(amount), in_currency, day, dispute
    )


class TestNetting:
    def test_one_disputed_partner_invoice_is_withheld_then_released(self) -> None:
        dispute = Dispute(
            "D-1", Decimal("3000.00"), date(2025, 3, 9),
            DisputeResolution(date(2025, 4, 15), Decimal("1000.00"), "partly upheld"),
        )  # fmt: skip
        receivables = [
            receivable("OUR-3", "10000.00", day=date(2025, 3, 1)),
            receivable("OUR-4", "10000.00", day=date(2025, 4, 1)),
        ]
        payables = [
            charge("THEIRS-3", "7000.00", day=date(2025, 3, 1)),
            charge("THEIRS-3X", "3000.00", day=date(2025, 3, 5), dispute=dispute),
            charge("THEIRS-4", "7000.00", day=date(2025, 4, 1)),
        ]
        march = net(receivables, payables, agreement=agreement(), period=month(3))
        # March: receivables 10,000.00; payables 7,000.00 + 3,000.00 = 10,000.00 gross, of which
        # 3,000.00 disputed and withheld: withheld = 0 - 3,000.00 = -3,000.00;
        # net = 10,000.00 - 10,000.00 - (-3,000.00) = 3,000.00, paid by the partner.
        assert (march.receivables, march.payables) == (Decimal("10000.00"), Decimal("10000.00"))
        assert (march.withheld_receivable, march.withheld_payable, march.withheld) == (
            Decimal("0.00"),
            Decimal("3000.00"),
            Decimal("-3000.00"),
        )
        assert (march.net, march.payer_id, march.payee_id) == (Decimal("3000.00"), "PT", "OP")
        april = net(receivables, payables, agreement=agreement(), period=month(4))
        # April: the dispute is resolved on the 15th, 1,000.00 of the 3,000.00 accepted: released.
        # Payables 7,000.00 + 1,000.00 = 8,000.00; net = 10,000.00 - 8,000.00 = 2,000.00
        released = [each for each in april.lines if each.kind is NettingLineKind.RELEASED]
        assert [(each.document_id, each.invoiced, each.amount) for each in released] == [
            ("THEIRS-3X", Decimal("3000.00"), Decimal("1000.00"))
        ]
        assert (april.payables, april.withheld, april.net) == (
            Decimal("8000.00"),
            Decimal("0.00"),
            Decimal("2000.00"),
        )

    def test_disputes_both_ways_and_the_operator_paying(self) -> None:
        theirs = Dispute("D-2", Decimal("500.00"), date(2025, 3, 20))
        ours = Dispute("D-3", Decimal("1200.00"), date(2025, 3, 21))
        receivables = [receivable("OUR-3", "2500.00", day=date(2025, 3, 1), dispute=theirs)]
        payables = [
            charge("THEIRS-3", "7000.00", day=date(2025, 3, 1)),
            charge("THEIRS-3B", "1200.00", day=date(2025, 3, 2), dispute=ours),
        ]
        march = net(receivables, payables, agreement=agreement(), period=month(3))
        # R 2,500.00, P 8,200.00, withheld 500.00 - 1,200.00 = -700.00;
        # net = 2,500.00 - 8,200.00 + 700.00 = -5,000.00: the operator pays 5,000.00
        # (check: undisputed 2,000.00 receivable - 7,000.00 payable = -5,000.00)
        assert (march.withheld, march.net, march.net_amount) == (
            Decimal("-700.00"),
            Decimal("-5000.00"),
            Decimal("5000.00"),
        )
        assert (march.payer_id, march.payee_id) == ("OP", "PT")

    def test_a_dispute_resolved_within_the_period_counts_only_the_accepted_part(self) -> None:
        dispute = Dispute(
            "D-4",
            Decimal("400.00"),
            date(2025, 3, 3),
            DisputeResolution(date(2025, 3, 28), Decimal("0.00")),
        )
        payables = [charge("THEIRS-3", "1000.00", day=date(2025, 3, 1), dispute=dispute)]
        march = net([], payables, agreement=agreement(), period=month(3))
        # 1,000.00 invoiced, 400.00 disputed and waived: 600.00 counts, nothing withheld
        [netted] = march.lines
        assert (netted.invoiced, netted.amount, netted.withheld) == (
            Decimal("1000.00"),
            Decimal("600.00"),
            Decimal("0.00"),
        )
        assert march.net == Decimal("-600.00")

    def test_other_currencies_and_categories_are_not_netted(self) -> None:
        payables = [
            charge("THEIRS-EUR", "900.00", day=date(2025, 3, 1), in_currency=EUR),
            charge("THEIRS-PS", "85000.00", day=date(2025, 3, 1), category="consulting"),
        ]
        march = net([], payables, agreement=agreement(), period=month(3))
        assert march.lines == ()
        assert [each.reason for each in march.excluded] == [
            "in EUR; netting is agreed in USD",
            "category 'consulting' is outside the netting scope",
        ]
        assert (march.net, march.payer_id) == (Decimal("0.00"), None)

    def test_an_agreement_without_netting_terms_is_refused(self) -> None:
        plain = agreement(AgreementVersion(1, at(1), revenue_share_model_id="RS-1"))
        with pytest.raises(SettlementInputError, match=r"terms\.netting: no netting"):
            net([], [], agreement=plain, period=month(3))

    def test_a_receivable_is_built_from_a_revenue_line_with_its_tax(self) -> None:
        built = Receivable.of_revenue_line(
            line("OUR-1", "1000.00", tax="80.00"), category="capacity"
        )
        assert (built.bill_no, built.amount, built.bill_date) == (
            "OUR-1",
            Decimal("1080.00"),
            date(2025, 1, 1),
        )

    def test_a_dispute_larger_than_its_line_is_refused(self) -> None:
        with pytest.raises(SettlementInputError, match=r"dispute\.amount: 2000\.00 is not a part"):
            charge(
                "T",
                "1000.00",
                day=date(2025, 3, 1),
                dispute=Dispute("D", Decimal("2000.00"), date(2025, 3, 2)),
            )
