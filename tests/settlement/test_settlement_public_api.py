"""The settlement surface is explicit: what `tollway.settlement` exports is pinned here."""

import importlib

import pytest

import tollway.settlement
import tollway.settlement.core

RENDERERS = [
    "read_netting_json",
    "read_statement_json",
    "render_netting_csv",
    "render_netting_json",
    "render_netting_text",
    "render_statement_csv",
    "render_statement_json",
    "render_statement_text",
    "render_tmf737_report",
    "to_document",
]


def _isort_style(name: str) -> tuple[int, str]:
    """CONSTANTS first, then Classes, then functions (the order ruff's RUF022 keeps)."""
    if name.isupper():
        return (0, name)
    return (1 if name[0].isupper() else 2, name)


def test_the_package_exports_the_core_and_the_renderers() -> None:
    assert set(tollway.settlement.__all__) == set(tollway.settlement.core.__all__) | set(RENDERERS)


def test_the_core_exports_are_pinned() -> None:
    assert tollway.settlement.core.__all__ == [
        "AccountingBasis",
        "AdjustmentKind",
        "AdjustmentLine",
        "AgreementItem",
        "AgreementNotInForceError",
        "AgreementStatus",
        "AgreementVersion",
        "AmendmentInsidePeriodError",
        "Band",
        "BandMeasure",
        "BandedShare",
        "Basis",
        "Deduction",
        "Dispute",
        "DisputeResolution",
        "EndsOnCumulativeBasis",
        "EndsOnDate",
        "EndsOnMilestone",
        "EngagedParty",
        "EquityStake",
        "ExcludedLine",
        "ExclusionReason",
        "FlatShare",
        "HistoryIntegrityError",
        "ItemEnd",
        "ItemSettlement",
        "LicenceExclusivity",
        "Limits",
        "MilestoneEvent",
        "MinimumGuarantee",
        "ModelMismatchError",
        "NettingExclusion",
        "NettingLine",
        "NettingLineKind",
        "NettingScope",
        "NettingStatement",
        "NettingTerms",
        "PartnerAgreement",
        "PartnerCharge",
        "PartnerTerms",
        "PartyRole",
        "PeriodAlreadySettledError",
        "Receivable",
        "RevenueLine",
        "RevenueShareModel",
        "Scope",
        "SettledShare",
        "SettlementError",
        "SettlementHistory",
        "SettlementInputError",
        "SettlementOrderError",
        "SettlementStatement",
        "ShareItem",
        "ShareLine",
        "ShareRate",
        "Side",
        "TermOrCondition",
        "Termination",
        "TieredShare",
        "line_basis",
        "net",
        "settle",
    ]


@pytest.mark.parametrize("package", ["tollway.settlement", "tollway.settlement.core"])
def test_all_is_sorted_complete_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    exported = module.__all__
    assert exported == sorted(exported, key=_isort_style)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, type(importlib))
    }
    assert set(exported) == public
