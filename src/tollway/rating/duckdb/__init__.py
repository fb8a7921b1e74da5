"""Vectorized rating in DuckDB: usage records in, the same `RatingOutcome` as the reference out.

Owns: compiling price definitions into small parameter tables, rating a usage relation (SQL text,
a table name or an Arrow table) with SQL over those tables, and the columnar output of a bill run.
Invariants: every value stays an exact DECIMAL (never DOUBLE; checked on every query before it
runs); rounding happens only where the pricing core rounds, with the same modes; the outcome is
equal to `tollway.rating.reference.rate_records` on the same records, which the differential tests
check; a price the SQL cannot rate exactly is rated by the reference per charge (see
docs/rating.md for the list). No Python loop per usage record except for those charges.
May import: `tollway.money`, `tollway.conventions`, `tollway.pricing`, `tollway.rating.reference`,
duckdb and pyarrow. This is an engine at the edge, not the pure core.
"""

from tollway.rating.duckdb._api import (
    CHARGE_SCHEMA,
    REJECT_SCHEMA,
    ColumnarRating,
    fallback_prices,
    ratable_records,
    rate_with_duckdb,
    rate_with_duckdb_columnar,
)
from tollway.rating.duckdb._engine import RatingRangeError
from tollway.rating.duckdb._records import CONNECTION_CONFIG, UsageInputError, UsageSource, connect

__all__ = [
    "CHARGE_SCHEMA",
    "CONNECTION_CONFIG",
    "REJECT_SCHEMA",
    "ColumnarRating",
    "RatingRangeError",
    "UsageInputError",
    "UsageSource",
    "connect",
    "fallback_prices",
    "ratable_records",
    "rate_with_duckdb",
    "rate_with_duckdb_columnar",
]
