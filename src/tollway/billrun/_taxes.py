"""The bill run's tax step: the tax engine over the workspace's stored tax documents.

A workspace without stored tax tables bills no tax (the zero-tax step). Stored documents are parsed
by `tollway.tax` each time a run starts, so a stored document passes the same validation a file
does; their digest is folded into the digest the run records, so a run never resumes on changed
tables or certificates.
"""

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tollway.billing import TaxCalculator, ZeroTax
from tollway.storage import TaxDocumentName, TaxDocumentRepository, tax_documents_digest


@dataclass(frozen=True, slots=True)
class TaxStep:
    calculator: TaxCalculator
    digest: str
    """SHA-256 of the stored tax documents ("" when there are none)."""


def stored_tax_step(session: Session) -> TaxStep:
    """The tax step the stored documents describe: TaxEngine, or no tax without tables."""
    documents = TaxDocumentRepository(session).load()
    tables = documents.get(TaxDocumentName.TABLES)
    if tables is None:
        return TaxStep(ZeroTax(), "")
    # Imported here: a workspace without tax tables never loads the tax engine.
    from tollway.tax import TaxAccountData, TaxEngine, parse_tax_account_data, parse_tax_tables

    accounts = documents.get(TaxDocumentName.ACCOUNTS)
    account_data = (
        TaxAccountData()
        if accounts is None
        else parse_tax_account_data(accounts.document, source=accounts.source)
    )
    engine = TaxEngine(
        parse_tax_tables(tables.document, source=tables.source), account_data=account_data
    )
    return TaxStep(engine, tax_documents_digest(documents))


def combined_digest(world: str, tax: str) -> str:
    """The world digest alone when no tax documents are stored (older runs resume unchanged)."""
    if not tax:
        return world
    return hashlib.sha256(f"{world}:{tax}".encode()).hexdigest()
