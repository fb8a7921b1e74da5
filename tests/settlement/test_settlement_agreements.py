"""Partner agreements and their versions, the settlement history, re-running, and bad inputs."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from tollway.settlement import (
    AccountingBasis,
    AgreementNotInForceError,
    AgreementStatus,
    AgreementVersion,
    AmendmentInsidePeriodError,
    EquityStake,
    FlatShare,
    HistoryIntegrityError,
    LicenceExclusivity,
    ModelMismatchError,
    PartnerTerms,
    PeriodAlreadySettledError,
    SettlementHistory,
    SettlementInputError,
    SettlementOrderError,
    ShareItem,
    settle,
)

from .settlement_world import USD, agreement, at, line, model, month, settle_months

TEN = ShareItem("A", "10 %", FlatShare(Decimal(10)))
LINES = [
    line("INV-1", "1000.00", billed=date(2025, 1, 5)),
    line("INV-2", "2000.00", billed=date(2025, 2, 5)),
    line("INV-3", "3000.00", billed=date(2025, 3, 5)),
]


def settle_one(deal, share_model, number, history=None):  # type: ignore[no-untyped-def]
    return settle(
        deal,
        share_model,
        LINES,
        period=month(number),
        accounting_basis=AccountingBasis.ACCRUAL,
        history=history or SettlementHistory(deal.id),
    )


class TestVersions:
    AMENDED = (
        AgreementVersion(1, at(1), revenue_share_model_id="RS-1"),
        AgreementVersion(2, at(3), revenue_share_model_id="RS-2", change_note="rate to 15 %"),
    )

    def test_each_period_uses_the_version_in_force(self) -> None:
        deal = agreement(*self.AMENDED)
        first = model(TEN)
        second = model(ShareItem("A", "15 %", FlatShare(Decimal(15))), model_id="RS-2")
        january, february = settle_months(deal, first, LINES, [1, 2])
        march = settle_one(deal, second, 3, SettlementHistory("AG-1", (january, february)))
        # Jan 10 % of 1,000.00; Feb 10 % of 2,000.00; Mar (version 2) 15 % of 3,000.00
        assert [each.total_payable for each in (january, february, march)] == [
            Decimal("100.00"),
            Decimal("200.00"),
            Decimal("450.00"),
        ]
        assert [each.agreement_version for each in (january, february, march)] == [1, 1, 2]

    def test_the_model_must_be_the_one_the_version_names(self) -> None:
        with pytest.raises(
            ModelMismatchError, match="names revenue-share model 'RS-2', not 'RS-1'"
        ):
            settle_one(agreement(*self.AMENDED), model(TEN), 3)

    def test_an_amendment_inside_the_period_is_refused(self) -> None:
        deal = agreement(
            AgreementVersion(1, at(1), revenue_share_model_id="RS-1"),
            AgreementVersion(2, at(3, 15), revenue_share_model_id="RS-1"),
        )
        with pytest.raises(AmendmentInsidePeriodError, match="takes effect on a period boundary"):
            settle_one(deal, model(TEN), 3)

    def test_a_draft_agreement_is_not_settled(self) -> None:
        with pytest.raises(AgreementNotInForceError, match="is a draft"):
            settle_one(agreement(status=AgreementStatus.DRAFT), model(TEN), 1)

    def test_a_period_before_the_first_version_is_refused(self) -> None:
        deal = agreement(AgreementVersion(1, at(2), revenue_share_model_id="RS-1"))
        with pytest.raises(AgreementNotInForceError, match="no version in force"):
            settle_one(deal, model(TEN), 1)

    def test_versions_must_move_forward(self) -> None:
        with pytest.raises(SettlementInputError, match="version 2 must come after version 1"):
            agreement(
                AgreementVersion(1, at(3), revenue_share_model_id="RS-1"),
                AgreementVersion(2, at(2), revenue_share_model_id="RS-1"),
            )

    def test_custom_terms_are_typed(self) -> None:
        terms = PartnerTerms(
            equity_stakes=(EquityStake("OP", "PT", Decimal("6.5")),),
            exclusivity=LicenceExclusivity(("L-band",), "US", date(2032, 12, 31)),
        )
        deal = agreement(AgreementVersion(1, at(1), terms=terms, revenue_share_model_id="RS-1"))
        version = deal.version_at(at(6))
        assert version is not None and version.terms.exclusivity is not None
        assert version.terms.exclusivity.is_exclusive_on(date(2032, 12, 31))
        assert not version.terms.exclusivity.is_exclusive_on(date(2033, 1, 1))
        with pytest.raises(SettlementInputError, match="percent: 101 is not a percentage"):
            EquityStake("OP", "PT", Decimal(101))


class TestHistory:
    def test_re_running_a_settled_period_gives_the_same_statement(self) -> None:
        january, february = settle_months(agreement(), model(TEN), LINES, [1, 2])
        history = SettlementHistory("AG-1", (january, february))
        again = settle_one(agreement(), model(TEN), 2, history)
        assert again == february
        assert again.digest == february.digest

    def test_re_running_with_changed_inputs_is_refused(self) -> None:
        january, february = settle_months(agreement(), model(TEN), LINES, [1, 2])
        history = SettlementHistory("AG-1", (january, february))
        higher = model(ShareItem("A", "12 %", FlatShare(Decimal(12))))
        with pytest.raises(PeriodAlreadySettledError, match="Correct a settled period"):
            settle_one(agreement(), higher, 2, history)

    def test_a_gap_in_the_history_is_refused(self) -> None:
        [january] = settle_months(agreement(), model(TEN), LINES, [1])
        with pytest.raises(SettlementOrderError, match="settle the period from 2025-02-01"):
            settle_one(agreement(), model(TEN), 3, SettlementHistory("AG-1", (january,)))

    def test_statements_must_follow_each_other(self) -> None:
        january, _, march = settle_months(agreement(), model(TEN), LINES, [1, 2, 3])
        with pytest.raises(SettlementOrderError, match="does not start where the previous one"):
            SettlementHistory("AG-1", (january, march))

    def test_another_agreements_statement_is_refused(self) -> None:
        [january] = settle_months(agreement(), model(TEN), LINES, [1])
        with pytest.raises(SettlementOrderError, match="holds a statement of agreement AG-1"):
            SettlementHistory("AG-2", (january,))

    def test_an_altered_statement_fails_its_digest(self) -> None:
        [january] = settle_months(agreement(), model(TEN), LINES, [1])
        with pytest.raises(HistoryIntegrityError, match="it was altered after it was issued"):
            replace(january, partner_id="SOMEONE-ELSE")


class TestInputs:
    def test_a_naive_service_start_is_refused(self) -> None:
        with pytest.raises(
            SettlementInputError, match="service_start: 2025-01-01T00:00:00 has no time zone"
        ):
            replace(LINES[0], service_start=datetime(2025, 1, 1))

    def test_fractions_of_a_cent_are_refused(self) -> None:
        with pytest.raises(
            SettlementInputError, match=r"amount: 10\.005 is not a whole number of USD"
        ):
            line("INV-9", "10.005")

    def test_a_positive_credit_note_line_is_refused(self) -> None:
        with pytest.raises(SettlementInputError, match="a credit-note line is not positive"):
            line("CN-1", "10.00", credits=("INV-1", "L1"))

    def test_a_write_off_needs_its_date(self) -> None:
        with pytest.raises(
            SettlementInputError, match="written_off_on: a write-off needs its date"
        ):
            line("INV-9", "10.00", written_off="5.00")

    def test_a_line_given_twice_is_refused(self) -> None:
        with pytest.raises(SettlementInputError, match="INV-1/L1: line_id: appears twice"):
            settle(
                agreement(),
                model(TEN),
                [LINES[0], LINES[0]],
                period=month(1),
                accounting_basis=AccountingBasis.ACCRUAL,
                history=SettlementHistory("AG-1"),
            )

    def test_a_line_in_another_currency_is_not_shared(self) -> None:
        from .settlement_world import EUR

        [january] = settle_months(
            agreement(), model(TEN), [line("INV-E", "100.00", in_currency=EUR)], [1]
        )
        [excluded] = january.excluded
        assert (excluded.reason.value, excluded.currency, excluded.detail) == (
            "currency",
            EUR,
            "billed in EUR; the model settles in USD",
        )
        assert january.currency == USD

    def test_a_model_with_repeated_item_ids_is_refused(self) -> None:
        with pytest.raises(SettlementInputError, match="item ids repeat"):
            model(TEN, TEN)
