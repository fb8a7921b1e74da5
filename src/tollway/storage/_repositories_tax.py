"""Tax documents: the rate tables and the accounts' tax data, stored as read.

The documents are kept in JSON-safe canonical form (Decimals as decimal text, dates and instants as
ISO text, keys as given) and parsed by `tollway.tax` when a bill run starts, so a stored document
always goes through the same validation as a file.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tollway.storage import _tables as tables
from tollway.storage._types import decimal_text, json_dumps


class TaxDocumentName(StrEnum):
    TABLES = "tables"
    """Jurisdictions, rules and allocation settings (`tollway.tax.parse_tax_tables`)."""
    ACCOUNTS = "accounts"
    """Exemption certificates and traffic studies (`tollway.tax.parse_tax_account_data`)."""


@dataclass(frozen=True, slots=True)
class TaxDocument:
    name: TaxDocumentName
    source: str
    """Where the document was read from (shown in the parser's error messages)."""
    document: Mapping[str, Any]


def canonical_document(value: Any) -> Any:
    """A document with Decimals, dates and instants as text, ready for a JSON column.

    >>> from decimal import Decimal
    >>> canonical_document({"rate": Decimal("0.0600"), "valid_from": date(2026, 1, 1)})
    {'rate': '0.0600', 'valid_from': '2026-01-01'}
    """
    if isinstance(value, Mapping):
        return {str(key): canonical_document(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_document(item) for item in value]
    if isinstance(value, Decimal):
        # Keep the written scale: "0.0600" stays "0.0600" (a rate's scale can be meaningful).
        return str(value) if value.is_finite() else decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def tax_documents_digest(documents: Mapping[TaxDocumentName, TaxDocument]) -> str:
    """SHA-256 over the stored documents (empty when there are none): a bill run folds it into
    the world digest it records, so it never resumes on changed tax tables."""
    canonical = {
        name.value: canonical_document(found.document) for name, found in sorted(documents.items())
    }
    return hashlib.sha256(json_dumps(canonical).encode("utf-8")).hexdigest()


class TaxDocumentRepository:
    """Saves (replacing) and loads the tax documents, inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, document: TaxDocument) -> None:
        self.session.execute(
            delete(tables.tax_documents).where(tables.tax_documents.c.name == document.name.value)
        )
        self.session.execute(
            tables.tax_documents.insert().values(
                name=document.name.value,
                source=document.source,
                document=canonical_document(document.document),
            )
        )

    def remove(self, name: TaxDocumentName) -> None:
        self.session.execute(
            delete(tables.tax_documents).where(tables.tax_documents.c.name == name.value)
        )

    def load(self) -> dict[TaxDocumentName, TaxDocument]:
        rows = self.session.execute(
            select(tables.tax_documents).order_by(tables.tax_documents.c.name)
        ).all()
        return {
            TaxDocumentName(row.name): TaxDocument(
                TaxDocumentName(row.name), row.source, row.document
            )
            for row in rows
        }
