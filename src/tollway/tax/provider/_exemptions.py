"""Exemption certificates as AFC invoice exemptions (`exms`), and the exempted taxes read back.

A certificate valid on the bill date and held by the billing account of the bill's lines, or by
an account above it, is claimed as one exemption per AFC tax type its tax types map to (the
mapping's `tax_categories`, read backwards), located at its issuing jurisdiction (`loc.pcd`: the
mapping's `jurisdictions`, read backwards), scoped to the levels it covers (`scp`), in the domain
of the outermost of them (`dom`: a certificate is taken to be issued at the outermost level it
covers, as a state's certificate for its state and city taxes is). AFC exempts per invoice, so a
bill whose lines are covered by different certificates is refused rather than exempted wrongly.

AFC answers an exempted tax with a tax of 0 and the exempt sale amount `exm`; such a tax, of a
claimed tax type and a level in the claim's scope, is shown EXEMPT with the certificate's id.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from tollway.billing import AppliedBillingRate, BillingInputs
from tollway.tax.core import ExemptionCertificate, JurisdictionLevel, TaxAccountData
from tollway.tax.core._place import account_chain
from tollway.tax.provider._errors import TaxRequestError
from tollway.tax.provider._mapping import Exemption, ServiceMapping

LEVEL_DOMAINS: Final = {
    JurisdictionLevel.FEDERAL: 0,
    JurisdictionLevel.STATE: 1,
    JurisdictionLevel.COUNTY: 2,
    JurisdictionLevel.CITY: 3,
    JurisdictionLevel.UNINCORPORATED: 3,
}
"""AFC exemption domain (`dom`) of a jurisdiction level: 0 federal, 1 state, 2 county, 3 city."""
LEVEL_SCOPES: Final = {
    JurisdictionLevel.FEDERAL: 128,
    JurisdictionLevel.STATE: 256,
    JurisdictionLevel.COUNTY: 512,
    JurisdictionLevel.CITY: 1024,
    JurisdictionLevel.UNINCORPORATED: 1024,
}
"""AFC exemption scope (`scp`) bit of a jurisdiction level: local covers city and unincorporated."""
TAX_LEVEL_SCOPES: Final = {0: 128, 1: 256, 2: 512, 3: 1024, 4: 1024}
"""The scope bit of a returned tax's level (`lvl`)."""


@dataclass(frozen=True, slots=True)
class ClaimedExemption:
    """One `exms` entry sent for a certificate."""

    certificate_id: str
    exemption: Exemption
    pcode: int
    """Where: the PCode of the certificate's issuing jurisdiction."""

    @property
    def document(self) -> dict[str, Any]:
        return {
            "loc": {"pcd": self.pcode},
            "tpe": self.exemption.tax_type,
            "dom": self.exemption.domain,
            "scp": self.exemption.scope,
            "frc": self.exemption.force,
        }

    def covers(self, tax_type: int, level: int) -> bool:
        """Whether a returned tax of AFC type `tax_type` at level `level` is in this claim."""
        scope_bit = TAX_LEVEL_SCOPES.get(level, 0)
        return tax_type == self.exemption.tax_type and bool(self.exemption.scope & scope_bit)


def _held(
    lines: Sequence[AppliedBillingRate],
    *,
    inputs: BillingInputs,
    bill_date: date,
    account_data: TaxAccountData,
) -> tuple[ExemptionCertificate, ...]:
    """The certificates valid on the bill date that cover the lines, the same for every line."""
    by_account: dict[str, list[ExemptionCertificate]] = {}
    for certificate in sorted(account_data.certificates, key=lambda found: found.id):
        if certificate.is_valid_on(bill_date):
            by_account.setdefault(certificate.billing_account_id, []).append(certificate)
    covering: dict[tuple[str, ...], str] = {}
    for line in lines:
        chain = account_chain(line.billing_account_id, inputs.accounts)
        held = tuple(
            certificate.id for account_id in chain for certificate in by_account.get(account_id, ())
        )
        covering.setdefault(held, line.id)
    if len(covering) > 1:
        described = "; ".join(
            f"line {line_id}: {', '.join(held) or 'none'}" for held, line_id in covering.items()
        )
        raise TaxRequestError(
            f"the bill's lines are covered by different exemption certificates ({described}); "
            "AFC exempts per invoice: bill these accounts apart"
        )
    held_ids = next(iter(covering), ())
    found = {certificate.id: certificate for certificate in account_data.certificates}
    return tuple(found[certificate_id] for certificate_id in sorted(held_ids))


def _pcode_of(certificate: ExemptionCertificate, mapping: ServiceMapping) -> int:
    pcodes = sorted(
        pcode
        for pcode, jurisdiction in mapping.jurisdictions.items()
        if jurisdiction == certificate.issuing_jurisdiction_id
    )
    if not pcodes:
        raise TaxRequestError(
            f"exemption certificate {certificate.id} ({certificate.number}) is issued by "
            f"{certificate.issuing_jurisdiction_id!r}, which the service mapping "
            f"{mapping.label!r} gives no PCode: add it to the mapping's jurisdictions"
        )
    return pcodes[0]


def _tax_types_of(
    certificate: ExemptionCertificate, categories: Mapping[int, str], label: str
) -> list[int]:
    found: list[int] = []
    for category in sorted(certificate.tax_types):
        tax_types = sorted(tid for tid, name in categories.items() if name == category)
        if not tax_types:
            raise TaxRequestError(
                f"exemption certificate {certificate.id} ({certificate.number}) exempts tax type "
                f"{category!r}, which the service mapping {label!r} gives no AFC tax type: add "
                "it to the mapping's tax_categories"
            )
        found.extend(tax_types)
    return sorted(set(found))


def claimed_exemptions(
    lines: Sequence[AppliedBillingRate],
    *,
    inputs: BillingInputs,
    bill_date: date,
    account_data: TaxAccountData,
    mapping: ServiceMapping,
) -> tuple[ClaimedExemption, ...]:
    """The exemptions a bill claims from its certificates (see the module docstring), by
    certificate id then AFC tax type."""
    claims: list[ClaimedExemption] = []
    held = _held(lines, inputs=inputs, bill_date=bill_date, account_data=account_data)
    for certificate in held:
        assert certificate.levels, f"{certificate.id}: a certificate covers some levels"
        pcode = _pcode_of(certificate, mapping)
        outermost = min(certificate.levels, key=lambda level: level.depth)
        scope = sum(sorted({LEVEL_SCOPES[level] for level in certificate.levels}))
        for tax_type in _tax_types_of(certificate, mapping.tax_categories, mapping.label):
            exemption = Exemption(tax_type, LEVEL_DOMAINS[outermost], scope)
            claims.append(ClaimedExemption(certificate.id, exemption, pcode))
    return tuple(claims)
