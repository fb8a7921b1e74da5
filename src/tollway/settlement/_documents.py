"""Partner agreements as documents: the file format of `tollway settlement load-agreements` and
the form they are stored in.

One shape serves both, so a stored agreement always goes through the same checks as a file, and
`parse_agreement(agreement_document(a), ...) == a`. Field names are the core's, in snake_case;
amounts and percentages are text; instants are ISO 8601 with their offset. docs/settlement.md
shows a whole file.
"""

from collections.abc import Mapping
from typing import Any

from tollway.settlement._document_fields import (
    Fields,
    SettlementDocumentError,
    number_text,
    optional_iso,
)
from tollway.settlement._documents_model import model_document, parse_model
from tollway.settlement.core import (
    AgreementItem,
    AgreementStatus,
    AgreementVersion,
    EngagedParty,
    EquityStake,
    LicenceExclusivity,
    NettingScope,
    NettingTerms,
    PartnerAgreement,
    PartnerTerms,
    PartyRole,
    RevenueShareModel,
    SettlementInputError,
    TermOrCondition,
)

AGREEMENT_FIELDS = (
    "id",
    "name",
    "type",
    "operator",
    "partner",
    "start",
    "end",
    "status",
    "versions",
)
VERSION_FIELDS = ("version", "valid_from", "revenue_share_model", "change_note", "items", "terms")


def parse_agreements_file(
    document: object, *, source: str
) -> tuple[tuple[PartnerAgreement, ...], tuple[RevenueShareModel, ...]]:
    """The agreements and revenue-share models of a file: `{agreements: [...],
    revenue_share_models: [...]}` (either list may be absent)."""
    top = Fields.of(document, source=source, record="file")
    top.allow("agreements", "revenue_share_models")
    models = tuple(
        parse_model(each.data, source=source)
        for each in top.records("revenue_share_models", label="model")
    )
    agreements = tuple(
        parse_agreement(each.data, source=source)
        for each in top.records("agreements", label="agreement")
    )
    return agreements, models


def parse_agreement(document: Mapping[str, Any], *, source: str) -> PartnerAgreement:
    """A partner agreement from its document; the error names `source`, the record and field."""
    identifier = document.get("id")
    record = f"agreement {identifier}" if isinstance(identifier, str) else "agreement"
    fields = Fields.of(document, source=source, record=record)
    fields.allow(*AGREEMENT_FIELDS)
    try:
        return PartnerAgreement(
            id=fields.text("id"),
            name=fields.text("name"),
            agreement_type=fields.text("type"),
            operator=_party(fields, "operator", PartyRole.OPERATOR),
            partner=_party(fields, "partner", PartyRole.PARTNER),
            start=fields.instant("start"),
            end=fields.optional_instant("end"),
            status=fields.choice("status", AgreementStatus),
            versions=tuple(_version(each) for each in fields.records("versions", label="version")),
        )
    except SettlementInputError as error:
        where = error.record if error.record.startswith(record) else f"{record}: {error.record}"
        raise SettlementDocumentError(source, where, error.field, error.problem) from None


def _party(fields: Fields, name: str, role: PartyRole) -> EngagedParty:
    party = fields.child(name)
    if party is None:
        raise fields.fail(name, "is missing")
    party.allow("id", "name")
    return EngagedParty(party.text("id"), party.text("name"), role)


def _version(fields: Fields) -> AgreementVersion:
    fields.allow(*VERSION_FIELDS)
    terms = fields.child("terms")
    return AgreementVersion(
        version=fields.integer("version"),
        valid_from=fields.instant("valid_from"),
        items=tuple(_item(each) for each in fields.records("items", label="item")),
        terms=PartnerTerms() if terms is None else _terms(terms),
        revenue_share_model_id=fields.optional_text("revenue_share_model"),
        change_note=fields.free_text("change_note"),
    )


def _item(fields: Fields) -> AgreementItem:
    fields.allow("id", "name", "product_offering_ids", "terms")
    terms = []
    for each in fields.records("terms", label="term"):
        each.allow("id", "description", "valid_from", "valid_until")
        terms.append(
            TermOrCondition(
                each.text("id"),
                each.text("description"),
                each.optional_day("valid_from"),
                each.optional_day("valid_until"),
            )
        )
    return AgreementItem(
        fields.text("id"),
        fields.text("name"),
        fields.texts("product_offering_ids"),
        tuple(terms),
    )


def _terms(fields: Fields) -> PartnerTerms:
    fields.allow("equity_stakes", "exclusivity", "netting")
    stakes = []
    for each in fields.records("equity_stakes", label="stake"):
        each.allow("holder_party_id", "issuer_party_id", "percent", "acquired_on")
        stakes.append(
            EquityStake(
                each.text("holder_party_id"),
                each.text("issuer_party_id"),
                each.number("percent"),
                each.optional_day("acquired_on"),
            )
        )
    exclusivity = fields.child("exclusivity")
    netting = fields.child("netting")
    return PartnerTerms(
        equity_stakes=tuple(stakes),
        exclusivity=None if exclusivity is None else _exclusivity(exclusivity),
        netting=None if netting is None else _netting(netting),
    )


def _exclusivity(fields: Fields) -> LicenceExclusivity:
    fields.allow("licences", "territory", "exclusive_until")
    return LicenceExclusivity(
        fields.texts("licences"), fields.text("territory"), fields.day("exclusive_until")
    )


def _netting(fields: Fields) -> NettingTerms:
    fields.allow("categories", "currency")
    return NettingTerms(
        NettingScope(frozenset(fields.texts("categories"))), fields.money_currency("currency")
    )


def agreement_document(agreement: PartnerAgreement) -> dict[str, Any]:
    """The agreement as a document (every field written out, amounts and instants as text).

    >>> from tollway.settlement.scenarios import milestone_agreement
    >>> document = agreement_document(milestone_agreement())
    >>> document["start"], document["versions"][0]["revenue_share_model"]
    ('2025-01-01T00:00:00+00:00', 'RS-D2C-20')
    """
    return {
        "id": agreement.id,
        "name": agreement.name,
        "type": agreement.agreement_type,
        "operator": {"id": agreement.operator.id, "name": agreement.operator.name},
        "partner": {"id": agreement.partner.id, "name": agreement.partner.name},
        "start": agreement.start.isoformat(),
        "end": optional_iso(agreement.end),
        "status": agreement.status.value,
        "versions": [version_document(version) for version in agreement.versions],
    }


def version_document(version: AgreementVersion) -> dict[str, Any]:
    """One agreement version as a document (a row of the version history)."""
    return {
        "version": version.version,
        "valid_from": version.valid_from.isoformat(),
        "revenue_share_model": version.revenue_share_model_id,
        "change_note": version.change_note,
        "items": [
            {
                "id": item.id,
                "name": item.name,
                "product_offering_ids": list(item.product_offering_ids),
                "terms": [
                    {
                        "id": term.id,
                        "description": term.description,
                        "valid_from": optional_iso(term.valid_from),
                        "valid_until": optional_iso(term.valid_until),
                    }
                    for term in item.terms
                ],
            }
            for item in version.items
        ],
        "terms": _terms_document(version.terms),
    }


def _terms_document(terms: PartnerTerms) -> dict[str, Any]:
    exclusivity = terms.exclusivity
    netting = terms.netting
    return {
        "equity_stakes": [
            {
                "holder_party_id": stake.holder_party_id,
                "issuer_party_id": stake.issuer_party_id,
                "percent": number_text(stake.percent),
                "acquired_on": optional_iso(stake.acquired_on),
            }
            for stake in terms.equity_stakes
        ],
        "exclusivity": None
        if exclusivity is None
        else {
            "licences": list(exclusivity.licences),
            "territory": exclusivity.territory,
            "exclusive_until": exclusivity.exclusive_until.isoformat(),
        },
        "netting": None
        if netting is None
        else {
            "categories": sorted(netting.scope.categories),
            "currency": netting.currency.code,
        },
    }


def agreements_file_document(
    agreements: tuple[PartnerAgreement, ...], models: tuple[RevenueShareModel, ...]
) -> dict[str, Any]:
    """A whole agreements file: what `parse_agreements_file` reads back."""
    return {
        "revenue_share_models": [model_document(model) for model in models],
        "agreements": [agreement_document(agreement) for agreement in agreements],
    }
