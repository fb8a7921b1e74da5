"""Usage ingestion: usage files in, an idempotent Parquet usage store out.

Owns: the usage record schema (docs/usage-records.md), reading CSV, JSON Lines and Parquet usage
files, validating and deduplicating them as whole files in DuckDB SQL, and the store the rating
engine reads (`UsageStore.scan_sql`).

Invariants:
- Every submitted record is accepted or rejected with a stable `RejectReason`, never lost:
  accepted + rejected == submitted, asserted before writing and again after reading back.
- A (source, record_id) is stored at most once; a re-sent record is rejected, never billed twice.
- Quantities are exact: read as text, stored as DECIMAL(38, 9), never parsed as a float.
- A load is all or nothing for readers (the loads log commits it), and loading the same load_id
  twice changes nothing the second time. Stored rows are sorted by (start_time, source, record_id).

May import: the standard library, duckdb and `tollway.money`. This is an engine at the
edge, not the pure core: it reads and writes files. Nothing is downloaded: every DuckDB connection
runs with extension autoloading and autoinstalling off.
"""

from tollway.usage._duckdb import connect as connect_duckdb
from tollway.usage._errors import UsageFileError, UsageStoreBusyError, UsageStoreError
from tollway.usage._load import load_usage
from tollway.usage._record import RECORD_FIELDS, REQUIRED_FIELDS
from tollway.usage._report import LoadReport, RejectReason
from tollway.usage._store import UsageStore

__all__ = [
    "RECORD_FIELDS",
    "REQUIRED_FIELDS",
    "LoadReport",
    "RejectReason",
    "UsageFileError",
    "UsageStore",
    "UsageStoreBusyError",
    "UsageStoreError",
    "connect_duckdb",
    "load_usage",
]
