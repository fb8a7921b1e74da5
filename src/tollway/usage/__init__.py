"""Usage ingestion: usage files in, an idempotent Parquet usage store out.

Owns: the usage record schema (docs/usage-records.md), reading CSV, JSON Lines and Parquet usage
files, validating and deduplicating them as whole files in DuckDB SQL, and the store the rating
engine reads (`UsageStore.scan_sql`).

Invariants:
- Every submitted record is accepted or rejected with a stable `RejectReason`, never lost:
  accepted + rejected == submitted, asserted before writing and again after reading back.
- A (source, record_id) is stored at most once; a re-sent record is rejected, never billed twice.
  Deduplication narrows the search with 64-bit key hashes and a key index of the stored records,
  but only equal real keys make a duplicate: a hash collision never drops a record.
- Quantities are exact: read as text or as a DECIMAL/integer column, stored as DECIMAL(38, 9),
  never parsed as a float. A typed Parquet column gets the same reasons and messages as its text.
- A load is all or nothing for readers (the loads log commits it), and loading the same load_id
  twice changes nothing the second time. Stored rows keep the order they were sent in (by file,
  then row); the same input gives byte-identical files, whatever the memory limit.
- A load's DuckDB works within `LOAD_MEMORY_LIMIT_BYTES` (or the limit given), its tables and
  spills in a hidden folder of the store that is removed when the load ends.

May import: the standard library, duckdb and `tollway.money`. This is an engine at the
edge, not the pure core: it reads and writes files. Nothing is downloaded: every DuckDB connection
runs with extension autoloading and autoinstalling off.
"""

from tollway.usage._duckdb import connect as connect_duckdb
from tollway.usage._errors import UsageFileError, UsageStoreBusyError, UsageStoreError
from tollway.usage._load import LOAD_MEMORY_LIMIT_BYTES, load_usage
from tollway.usage._record import RECORD_FIELDS, REQUIRED_FIELDS
from tollway.usage._report import LoadReport, RejectReason
from tollway.usage._store import UsageStore

__all__ = [
    "LOAD_MEMORY_LIMIT_BYTES",
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
