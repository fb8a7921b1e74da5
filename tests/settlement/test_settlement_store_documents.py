"""Agreements and models as documents: the file format of load-agreements and the stored form."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tollway.billing import ChargeType
from tollway.io import read_document
from tollway.money import RoundingMode, currency
from tollway.settlement import (
    AgreementStatus,
    Band,
    BandedShare,
    BandMeasure,
    Basis,
    Deduction,
    EndsOnCumulativeBasis,
    EndsOnDate,
    EndsOnMilestone,
    Limits,
    MinimumGuarantee,
    NettingScope,
    NettingTerms,
    PartnerAgreement,
    RevenueShareModel,
    Scope,
    ShareItem,
    TieredShare,
)
from tollway.settlement._document_fields import SettlementDocumentError
from tollway.settlement._documents import (
    agreement_document,
    agreements_file_document,
    parse_agreement,
    parse_agreements_file,
)
from tollway.settlement._documents_model import model_document, parse_model
from tollway.settlement.scenarios import (
    milestone_agreement,
    milestone_model,
    reciprocal_agreement,
)

from .test_settlement_store_world import AGREEMENTS_YAML

USD = currency("USD")


def every_feature_model() -> RevenueShareModel:
    """Tiered and banded rates, every limit, a guarantee, every ending, every scope dimension."""
    tiered = ShareItem(
        id="tiered",
        name="10 % to 100,000.00 then 5 %",
        rate=TieredShare(
            (Band(Decimal("100000.00"), Decimal(10)), Band(None, Decimal(5))),
            BandMeasure.CUMULATIVE,
        ),
        scope=Scope(
            product_ids=frozenset({"P-1"}),
            offering_ids=frozenset({"d2c-data"}),
            product_types=frozenset({"d2c"}),
            billing_account_ids=frozenset({"BA-FLEET"}),
            usage_types=frozenset({"data"}),
            charge_types=frozenset({ChargeType.USAGE, ChargeType.RECURRING}),
        ),
        effective_from=datetime(2026, 1, 1, tzinfo=UTC),
        effective_until=datetime(2027, 1, 1, tzinfo=UTC),
        ends=(
            EndsOnMilestone("launch"),
            EndsOnDate(datetime(2026, 7, 1, tzinfo=UTC)),
            EndsOnCumulativeBasis(Decimal("500000.00")),
        ),
        limits=Limits(
            Decimal("9000.00"), Decimal("100.00"), Decimal("50000.00"), Decimal("1000.00")
        ),
        guarantee=MinimumGuarantee(Decimal("500.00"), recoupable=False),
    )
    banded = ShareItem(
        "banded",
        "whole-amount bands",
        BandedShare((Band(Decimal("1000.00"), Decimal("2.5")), Band(None, Decimal(3)))),
    )
    return RevenueShareModel(
        "RS-ALL",
        "Every feature",
        USD,
        Basis.net_of(Deduction.BAD_DEBT, Deduction.TAX),
        (tiered, banded),
        RoundingMode.HALF_EVEN,
    )


@pytest.mark.parametrize(
    "agreement", [milestone_agreement(), reciprocal_agreement()], ids=lambda each: each.id
)
def test_an_agreement_reads_back_equal_from_its_document(agreement: PartnerAgreement) -> None:
    assert parse_agreement(agreement_document(agreement), source="test") == agreement


@pytest.mark.parametrize("model", [milestone_model(), every_feature_model()], ids=lambda m: m.id)
def test_a_model_reads_back_equal_from_its_document(model: RevenueShareModel) -> None:
    assert parse_model(model_document(model), source="test") == model


def test_a_model_document_writes_every_number_as_text() -> None:
    document = model_document(every_feature_model())

    assert document["basis"] == {"net_of": ["tax", "bad_debt"]}
    assert document["items"][0]["rate"] == {
        "tiered": [{"up_to": "100000.00", "percent": "10"}, {"up_to": None, "percent": "5"}],
        "measure": "cumulative",
    }
    assert document["items"][0]["ends"] == [
        {"milestone": "launch"},
        {"date": "2026-07-01T00:00:00+00:00"},
        {"cumulative_basis": "500000.00"},
    ]
    assert document["items"][0]["guarantee"] == {"amount_per_period": "500.00", "recoupable": False}


def test_the_agreements_file_reads_into_records(tmp_path: Path) -> None:
    path = tmp_path / "deals.yaml"
    path.write_text(AGREEMENTS_YAML, encoding="utf-8")

    agreements, models = parse_agreements_file(read_document(path), source="deals.yaml")

    share, swap = agreements
    assert [model.id for model in models] == ["RS-D2C-20"]
    assert models[0].basis == Basis.net_of(Deduction.TAX, Deduction.CREDITS)
    assert models[0].items[0].scope == Scope(offering_ids=frozenset({"d2c-data"}))
    assert models[0].items[0].ends == (EndsOnMilestone("one-million-d2c-subscribers"),)
    assert share.status is AgreementStatus.IN_FORCE and share.end is None
    assert share.versions[0].revenue_share_model_id == "RS-D2C-20"
    exclusivity = share.versions[0].terms.exclusivity
    assert exclusivity is not None and exclusivity.exclusive_until == date(2032, 12, 31)
    assert swap.versions[0].terms.netting == NettingTerms(
        NettingScope(frozenset({"network_capacity", "cloud_services"})), USD
    )


def test_a_whole_file_round_trips() -> None:
    agreements = (milestone_agreement(), reciprocal_agreement())
    models = (milestone_model(), every_feature_model())

    read = parse_agreements_file(agreements_file_document(agreements, models), source="t")

    assert read == (agreements, models)


def test_a_bare_date_is_midnight_utc() -> None:
    document = agreement_document(milestone_agreement())
    document["start"] = date(2025, 1, 1)

    assert parse_agreement(document, source="t").start == datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"statuss": "inForce"},
            "deals.yaml: agreement AG-D2C-2025: statuss: unknown field; expected one of",
        ),
        (
            {"start": None},
            "deals.yaml: agreement AG-D2C-2025: start: is missing",
        ),
        (
            {"start": "2025-01-01T00:00:00"},
            "deals.yaml: agreement AG-D2C-2025: start: 2025-01-01T00:00:00 has no offset",
        ),
        (
            {"status": "active"},
            "deals.yaml: agreement AG-D2C-2025: status: 'active' is not one of draft, inForce, "
            "terminated",
        ),
    ],
)
def test_a_bad_agreement_names_the_file_the_record_and_the_field(
    change: dict[str, object], message: str
) -> None:
    document = {**agreement_document(milestone_agreement()), **change}

    with pytest.raises(SettlementDocumentError) as raised:
        parse_agreement(document, source="deals.yaml")

    assert raised.value.message.startswith(message)


def test_a_bad_version_is_named_by_its_place() -> None:
    document = agreement_document(milestone_agreement())
    document["versions"][0]["terms"]["equity_stakes"][0]["percent"] = "106.5"

    with pytest.raises(SettlementDocumentError) as raised:
        parse_agreement(document, source="deals.yaml")

    assert raised.value.message == (
        "deals.yaml: agreement AG-D2C-2025: equity stake: percent: 106.5 is not a percentage "
        "from 0 to 100"
    )


@pytest.mark.parametrize(
    ("item_change", "message"),
    [
        (
            {"rate": {"flat": "120"}},
            "deals.yaml: revenue-share model RS-D2C-20 items[0] (d2c-20): rate.percent: 120 is "
            "not a percentage from 0 to 100",
        ),
        (
            {"rate": {"flat": 0.2}},
            "deals.yaml: revenue-share model RS-D2C-20 items[0] (item d2c-20) rate: flat: 0.2 is "
            "not an exact number; write it as text, e.g. '0.10'",
        ),
        (
            {"rate": {"flat": "20", "tiered": []}},
            "deals.yaml: revenue-share model RS-D2C-20 items[0] (item d2c-20) rate: rate: give "
            "exactly one of flat, tiered or banded",
        ),
        (
            {"ends": [{"milestone": "a", "date": "2026-01-01"}]},
            "deals.yaml: revenue-share model RS-D2C-20 items[0] (item d2c-20) ends[0]: ends: "
            "give exactly one of milestone, date or cumulative_basis",
        ),
        (
            {"scope": {"charge_types": ["airtime"]}},
            "deals.yaml: revenue-share model RS-D2C-20 items[0] (item d2c-20) scope: "
            "charge_types[0]: 'airtime' is not one of",
        ),
    ],
)
def test_a_bad_model_item_names_the_file_the_item_and_the_field(
    item_change: dict[str, object], message: str
) -> None:
    document = model_document(milestone_model())
    document["items"][0].update(item_change)

    with pytest.raises(SettlementDocumentError) as raised:
        parse_model(document, source="deals.yaml")

    assert raised.value.message.startswith(message)


def test_a_basis_is_gross_or_net_of_named_deductions() -> None:
    document = model_document(milestone_model())
    document["basis"] = "gross"
    assert parse_model(document, source="t").basis == Basis.gross()

    document["basis"] = {"net_of": ["vat"]}
    with pytest.raises(SettlementDocumentError) as raised:
        parse_model(document, source="deals.yaml")
    assert raised.value.message == (
        "deals.yaml: revenue-share model RS-D2C-20 basis: net_of[0]: 'vat' is not one of tax, "
        "credits, bad_debt"
    )
