"""Tax files of a generated world: the demonstration rate tables and the accounts' tax data.

`tax-tables.yaml` is a copy of tollway's ILLUSTRATIVE demonstration tables (they list every
jurisdiction the generator's sites lie in). `tax-accounts.yaml` is derived from the generated
customers, without drawing random numbers (so customers, products and usage are unchanged):

- each government party's head account holds a federal excise exemption certificate; the first
  such party's certificate expires on the date of the last generated bill, which carries the tax
  again;
- each government head account also holds a state certificate for the state and local sales and
  911 taxes of the state of its billing site;
- the first business head account has a traffic study putting 40 % of its MPLS traffic interstate.
"""

import shutil
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import yaml

from tollway.tax import demo_tax_tables_path

TAX_TABLES_FILE: Final = "tax-tables.yaml"
TAX_ACCOUNTS_FILE: Final = "tax-accounts.yaml"
_HEADER: Final = (
    "# ILLUSTRATIVE — generated account tax data for the demonstration tax tables.\n"
    "# Certificates exempt their account and the accounts under it. Format: docs/taxes.md.\n"
)


def write_tax_files(
    directory: Path, customers: Mapping[str, Any], periods: Sequence[datetime]
) -> None:
    """Write tax-tables.yaml and tax-accounts.yaml beside the world's other files."""
    shutil.copyfile(demo_tax_tables_path(), directory / TAX_TABLES_FILE)
    document = tax_account_document(customers, periods)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    (directory / TAX_ACCOUNTS_FILE).write_text(_HEADER + text, encoding="utf-8")


def tax_account_document(
    customers: Mapping[str, Any], periods: Sequence[datetime]
) -> dict[str, list[dict[str, Any]]]:
    """Certificates and a traffic study for the generated accounts (see the module docstring)."""
    classes = {party["id"]: party["customer_class"] for party in customers["parties"]}
    regions = {site["id"]: site["region"] for site in customers["sites"]}
    heads = [account for account in customers["billing_accounts"] if not account.get("parent_id")]
    first: date = periods[0].date()
    # `periods` are the cycles' boundaries (one more than the cycles) and bills are dated on the
    # boundaries after the first: expiring on the last one leaves the last bill taxed.
    expires_on = periods[-1].date()
    certificates: list[dict[str, Any]] = []
    studies: list[dict[str, Any]] = []
    for account in heads:
        customer_class = classes[account["party_id"]]
        if customer_class == "government":
            ends = expires_on if not certificates else None
            certificates.extend(_government_certificates(account, regions, first, ends))
        elif customer_class == "business" and not studies:
            studies.append(
                {
                    "id": "TS-0001",
                    "billing_account_id": account["id"],
                    "service_type": "mpls",
                    "interstate_percent": "40",
                    "valid_from": first.isoformat(),
                }
            )
    for number, certificate in enumerate(certificates, start=1):
        certificate["id"] = f"EXC-{number:04d}"
    return {"exemption_certificates": certificates, "traffic_studies": studies}


def _government_certificates(
    account: Mapping[str, Any],
    regions: Mapping[str, str],
    first: date,
    expires_on: date | None,
) -> list[dict[str, Any]]:
    federal: dict[str, Any] = {
        "id": "",
        "number": f"US-4253I-{account['id']}",
        "billing_account_id": account["id"],
        "issuing_jurisdiction": "US",
        "tax_types": ["federal_excise"],
        "levels": ["federal"],
        "reason": "State or local government: federal excise tax exemption",
        "valid_from": first.isoformat(),
    }
    if expires_on is not None:
        federal["valid_to"] = expires_on.isoformat()
        federal["reason"] += " (expires mid-run: later bills carry the tax)"
    region = regions.get(account.get("billing_site_id") or "")
    if region is None:
        return [federal]
    state = {
        "id": "",
        "number": f"US-{region}-GOV-{account['id']}",
        "billing_account_id": account["id"],
        "issuing_jurisdiction": f"US-{region}",
        "tax_types": ["state_sales", "local_sales", "e911"],
        "levels": ["state", "county", "city"],
        "reason": "Public agency: state and local sales and 911 exemption",
        "valid_from": first.isoformat(),
    }
    return [federal, state]
