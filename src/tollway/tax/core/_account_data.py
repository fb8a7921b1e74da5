"""`parse_tax_account_data`: exemption certificates and traffic studies from a document, and the
check of them against the tax tables they are used with."""

from collections.abc import Mapping
from itertools import combinations
from typing import Any, Final

from tollway.tax.core._model import (
    PERCENT,
    ExemptionCertificate,
    JurisdictionLevel,
    TaxAccountData,
    TaxAccountDataError,
    TaxTables,
    TrafficStudy,
)
from tollway.tax.core._reading import Fields, Problems

account_rows_max: Final = 1_000_000
_TOP_FIELDS: Final = ("exemption_certificates", "traffic_studies")
_CERTIFICATE_FIELDS: Final = (
    "id", "number", "billing_account_id", "issuing_jurisdiction", "tax_types", "levels",
    "valid_from", "valid_to", "reason",
)  # fmt: skip
_STUDY_FIELDS: Final = (
    "id", "billing_account_id", "service_type", "interstate_percent", "valid_from", "valid_to",
)  # fmt: skip


def _certificate(row: Fields) -> ExemptionCertificate | None:
    certificate_id, number = row.text("id"), row.text("number")
    account_id, issuing = row.text("billing_account_id"), row.text("issuing_jurisdiction")
    tax_types, levels = frozenset(row.texts("tax_types")), row.choices("levels", JurisdictionLevel)
    valid_from, valid_to = row.day("valid_from"), row.day("valid_to", required=False)
    reason = row.text("reason", required=False) or ""
    for name, chosen in (("tax_types", tax_types), ("levels", levels)):
        if not chosen and row.is_mapping and row.values.get(name) in (None, []):
            row.problem(name, "missing or empty; list what the certificate covers")
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        row.problem("valid_to", f"{valid_to} is not after valid_from {valid_from}")
    if not row.ok:
        return None
    assert certificate_id and number and account_id and issuing and valid_from
    return ExemptionCertificate(
        certificate_id, number, account_id, issuing, tax_types, levels, valid_from, valid_to,
        reason,
    )  # fmt: skip


def _study(row: Fields) -> TrafficStudy | None:
    study_id, account_id = row.text("id"), row.text("billing_account_id")
    service_type, percent = row.text("service_type"), row.decimal("interstate_percent")
    valid_from, valid_to = row.day("valid_from"), row.day("valid_to", required=False)
    if percent is not None and percent > PERCENT:
        row.problem("interstate_percent", f"{percent} is more than 100")
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        row.problem("valid_to", f"{valid_to} is not after valid_from {valid_from}")
    if not row.ok:
        return None
    assert study_id and account_id and service_type and percent is not None and valid_from
    return TrafficStudy(study_id, account_id, service_type, percent, valid_from, valid_to)


def _check_ids(found: list[tuple[str, Any]], problems: Problems) -> None:
    first: dict[str, str] = {}
    for place, record in found:
        if record.id in first:
            problems.add(f"{place}.id", f"{record.id!r} is already {first[record.id]}")
        first.setdefault(record.id, place)


def _study_overlaps(studies: list[tuple[str, TrafficStudy]], problems: Problems) -> None:
    """Two studies of one account and service type in force on the same day cannot both hold."""
    for (place, first), (other, second) in combinations(studies, 2):
        if (first.billing_account_id, first.service_type) != (
            second.billing_account_id,
            second.service_type,
        ):
            continue
        if (first.valid_to is None or second.valid_from < first.valid_to) and (
            second.valid_to is None or first.valid_from < second.valid_to
        ):
            problems.add(
                "",
                f"{place} and {other} overlap for ({first.billing_account_id}, "
                f"{first.service_type}): {first.valid_from}..{first.valid_to or 'open'} and "
                f"{second.valid_from}..{second.valid_to or 'open'}",
            )


def parse_tax_account_data(document: Mapping[str, Any], *, source: str) -> TaxAccountData:
    """Exemption certificates and traffic studies, checked; a `TaxAccountDataError` names `source`
    and the rows of every problem.

    >>> data = parse_tax_account_data({"exemption_certificates": [{"id": "EX-1",
    ...     "number": "PA-GOV-7", "billing_account_id": "GOV", "issuing_jurisdiction": "US",
    ...     "tax_types": ["federal_excise"], "levels": ["federal"], "valid_from": "2026-01-01",
    ...     "valid_to": "2026-07-01"}]}, source="accounts.yaml")
    >>> [(c.id, c.number, str(c.valid_to)) for c in data.certificates]
    [('EX-1', 'PA-GOV-7', '2026-07-01')]
    """
    problems = Problems(source)
    top = Fields(document, "", problems, allowed=_TOP_FIELDS)
    certificates: list[tuple[str, ExemptionCertificate]] = []
    documents = top.rows("exemption_certificates", required=False)[:account_rows_max]
    for index, item in enumerate(documents):
        place = top.place("exemption_certificates", index)
        certificate = _certificate(Fields(item, place, problems, allowed=_CERTIFICATE_FIELDS))
        if certificate is not None:
            certificates.append((place, certificate))
    studies: list[tuple[str, TrafficStudy]] = []
    for index, item in enumerate(top.rows("traffic_studies", required=False)[:account_rows_max]):
        place = top.place("traffic_studies", index)
        study = _study(Fields(item, place, problems, allowed=_STUDY_FIELDS))
        if study is not None:
            studies.append((place, study))
    _check_ids(certificates, problems)
    _check_ids(studies, problems)
    _study_overlaps(studies, problems)
    if problems.found:
        raise TaxAccountDataError(problems.reported())
    return TaxAccountData(
        certificates=tuple(certificate for _, certificate in certificates),
        traffic_studies=tuple(study for _, study in studies),
        source=source,
    )


def check_account_data(tables: TaxTables, data: TaxAccountData) -> None:
    """Every certificate's issuing jurisdiction is one the tables know."""
    problems = Problems(data.source or "account data")
    for index, certificate in enumerate(data.certificates):
        if certificate.issuing_jurisdiction_id not in tables.jurisdictions:
            problems.add(
                f"exemption_certificates[{index}].issuing_jurisdiction",
                f"unknown jurisdiction {certificate.issuing_jurisdiction_id!r} "
                f"(not in {tables.source})",
            )
    if problems.found:
        raise TaxAccountDataError(problems.reported())
