"""Taxes in the workspace: the tax files a world folder may carry, and the compliance export.

A world folder may hold `tax-tables.yaml` (rate tables, jurisdictions, rules) and
`tax-accounts.yaml` (exemption certificates, traffic studies). `tollway load-world` checks them
against the world (every site's and circuit's jurisdiction listed in the tables, every certificate
and study naming a known billing account) and stores them; a world folder without them removes
the stored ones, so the folder always says the whole truth. Bill runs then tax with them.
"""

from pathlib import Path
from typing import Annotated, Final

import typer

from tollway.billing import BillingInputs
from tollway.cli._app import app
from tollway.cli._workspace import WorkspaceOption, open_workspace
from tollway.io import read_document
from tollway.money import TollwayError
from tollway.storage import (
    BillQuery,
    BillRepository,
    TaxDocument,
    TaxDocumentName,
    TaxDocumentRepository,
)
from tollway.tax import (
    TaxAccountData,
    TaxTables,
    parse_tax_account_data,
    parse_tax_tables,
    tax_detail_rows,
    write_tax_detail_csv,
)

TAX_TABLES_FILE: Final = "tax-tables.yaml"
TAX_ACCOUNTS_FILE: Final = "tax-accounts.yaml"


class WorldTaxError(TollwayError):
    code = "invalid_world_taxes"


def world_tax_documents(
    directory: Path, inputs: BillingInputs
) -> dict[TaxDocumentName, TaxDocument | None]:
    """The world folder's tax documents, parsed and checked against the world (None: absent)."""
    tables_path = directory / TAX_TABLES_FILE
    accounts_path = directory / TAX_ACCOUNTS_FILE
    found: dict[TaxDocumentName, TaxDocument | None] = {
        TaxDocumentName.TABLES: None,
        TaxDocumentName.ACCOUNTS: None,
    }
    if not tables_path.exists():
        if accounts_path.exists():
            raise WorldTaxError(f"{TAX_ACCOUNTS_FILE} needs a {TAX_TABLES_FILE} beside it")
        return found
    tables_document = _mapping(tables_path)
    tables = parse_tax_tables(tables_document, source=TAX_TABLES_FILE)
    _check_jurisdictions(tables, inputs)
    found[TaxDocumentName.TABLES] = TaxDocument(
        TaxDocumentName.TABLES, TAX_TABLES_FILE, tables_document
    )
    if accounts_path.exists():
        accounts_document = _mapping(accounts_path)
        _check_accounts(parse_tax_account_data(accounts_document, source=TAX_ACCOUNTS_FILE), inputs)
        found[TaxDocumentName.ACCOUNTS] = TaxDocument(
            TaxDocumentName.ACCOUNTS, TAX_ACCOUNTS_FILE, accounts_document
        )
    return found


def _mapping(path: Path) -> dict[str, object]:
    document = read_document(path)
    if not isinstance(document, dict):
        raise WorldTaxError(f"{path.name}: expected a mapping at the top of the file")
    return document


def _check_jurisdictions(tables: TaxTables, inputs: BillingInputs) -> None:
    used = sorted(
        {(site.jurisdiction_id, f"site {site.id!r}") for site in inputs.sites.values()}
        | {
            (product.jurisdiction_id, f"circuit {product.circuit_id!r}")
            for product in inputs.products.values()
        }
    )
    unknown = [
        (jurisdiction, where)
        for jurisdiction, where in used
        if jurisdiction not in tables.jurisdictions
    ]
    if unknown:
        shown = ", ".join(f"{where} in {jurisdiction!r}" for jurisdiction, where in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise WorldTaxError(
            f"{TAX_TABLES_FILE}: jurisdictions the world uses are not in the tables: {shown}{more}"
        )


def _check_accounts(data: TaxAccountData, inputs: BillingInputs) -> None:
    named = [
        (f"exemption certificate {certificate.id!r}", certificate.billing_account_id)
        for certificate in data.certificates
    ] + [
        (f"traffic study {study.id!r}", study.billing_account_id) for study in data.traffic_studies
    ]
    unknown = [(what, account) for what, account in named if account not in inputs.accounts]
    if unknown:
        what, account = unknown[0]
        raise WorldTaxError(
            f"{TAX_ACCOUNTS_FILE}: {what} names unknown billing account {account!r}"
            + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
        )


def store_tax_documents(
    repository: TaxDocumentRepository, documents: dict[TaxDocumentName, TaxDocument | None]
) -> str:
    """Store (or remove) each document; a few words on what was stored, for the console."""
    for name, document in documents.items():
        if document is None:
            repository.remove(name)
        else:
            repository.save(document)
    stored = [name.value for name, document in documents.items() if document is not None]
    return f"tax documents: {', '.join(stored)}" if stored else "no tax tables (bills carry no tax)"


@app.command("tax-detail")
def tax_detail_command(
    out: Annotated[Path, typer.Option(help="The CSV file to write.")],
    workspace: WorkspaceOption = Path("."),
    run_id: Annotated[str | None, typer.Option(help="Only this bill run's invoices.")] = None,
) -> None:
    """Export tax detail per jurisdiction and tax type for compliance filing (CSV)."""
    opened = open_workspace(workspace)
    with opened.database.transaction() as session:
        bills = [
            bill
            for bill in BillRepository(session).stream(BillQuery(run_id=run_id))
            if bill.bill_no is not None
        ]
    rows = tax_detail_rows(bills)
    if not out.parent.is_dir():
        raise WorldTaxError(f"{out.parent}: no such folder for the tax detail file")
    with out.open("w", encoding="utf-8", newline="") as stream:
        count = write_tax_detail_csv(rows, stream)
    typer.echo(f"{count} tax detail rows from {len(bills)} issued bills written to {out}")
