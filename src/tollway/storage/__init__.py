"""Storage: the world, bills and bill runs in a SQL database (SQLAlchemy 2, Alembic migrations).

Owns: the tables (TM Forum names in snake_case), their migrations (shipped in the package, run by
`Database(url).migrate()`), the repositories that hold all of tollway's SQL, and the bill exports.
SQLite is the default; PostgreSQL is production and tested with the same tests.

Invariants:
- Exact: money as integer minor units beside a currency code; quantities, rates and precise
  amounts as NUMERIC (PostgreSQL) or canonical decimal text (SQLite); never a float.
- A load gives back dataclasses equal to those saved; prices are stored as their canonical price
  document and re-parsed by the price schema.
- Repositories never commit: the unit of work (`Database.transaction()`) does.
- Bill numbers are gapless and unique per series: a number is taken in the same transaction that
  issues the bill, under a lock on the series' counter.
- Exports are byte-identical for identical bills.

May import: the domain packages, the pricing schema, SQLAlchemy and Alembic. The pure core never
imports this package.
"""

from tollway.storage._database import Database
from tollway.storage._documents import bill_document
from tollway.storage._errors import (
    BillConflictError,
    BillNotFoundError,
    BillRunConflictError,
    BillStateError,
    OverCreditError,
    StorageError,
)
from tollway.storage._export import (
    CSV_COLUMNS,
    bills_csv,
    bills_json,
    write_bills_csv,
    write_bills_json,
)
from tollway.storage._repositories_bills import (
    BillQuery,
    BillRepository,
    IssuedBill,
    bill_number_text,
    credit_note_series,
)
from tollway.storage._repositories_runs import (
    BillRunRecord,
    BillRunRepository,
    BillRunState,
    Checkpoint,
    CheckpointState,
)
from tollway.storage._repositories_settlement import (
    SettlementConflictError,
    SettlementRepository,
)
from tollway.storage._repositories_tax import (
    TaxDocument,
    TaxDocumentName,
    TaxDocumentRepository,
    tax_documents_digest,
)
from tollway.storage._repositories_world import WorldRepository, world_digest
from tollway.storage._types import ExactNumeric, UtcDateTime

__all__ = [
    "CSV_COLUMNS",
    "BillConflictError",
    "BillNotFoundError",
    "BillQuery",
    "BillRepository",
    "BillRunConflictError",
    "BillRunRecord",
    "BillRunRepository",
    "BillRunState",
    "BillStateError",
    "Checkpoint",
    "CheckpointState",
    "Database",
    "ExactNumeric",
    "IssuedBill",
    "OverCreditError",
    "SettlementConflictError",
    "SettlementRepository",
    "StorageError",
    "TaxDocument",
    "TaxDocumentName",
    "TaxDocumentRepository",
    "UtcDateTime",
    "WorldRepository",
    "bill_document",
    "bill_number_text",
    "bills_csv",
    "bills_json",
    "credit_note_series",
    "tax_documents_digest",
    "world_digest",
    "write_bills_csv",
    "write_bills_json",
]
