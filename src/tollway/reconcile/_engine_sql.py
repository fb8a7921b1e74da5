"""The engine's DuckDB connection: settings, formatting macros for evidence, and the tolerance
limits per currency as a table (so the SQL compares exact DECIMAL(38, 9) amounts, never DOUBLE).
"""

from collections.abc import Iterable
from typing import Final

import duckdb
import pyarrow as pa

from tollway.money import currency
from tollway.reconcile._tables import AMOUNT_TYPE
from tollway.reconcile.core import CATEGORIES, Tolerances

AMOUNT: Final = "DECIMAL(38, 9)"
ZERO: Final = f"CAST(0 AS {AMOUNT})"

_MACROS: Final = (
    # A decimal without trailing zeros: 12.500000000 → 12.5, 0E-9 → 0.
    """CREATE MACRO num(x) AS CASE WHEN x IS NULL THEN 'none' WHEN x = 0 THEN '0'
        ELSE rtrim(rtrim(CAST(x AS VARCHAR), '0'), '.') END""",
    # An amount with the currency's decimals when it has no more (12.5 → 12.50 in USD).
    """CREATE MACRO money(x, minor) AS CASE WHEN x IS NULL THEN 'none'
        WHEN rtrim(right(CAST(x AS VARCHAR), 9 - minor), '0') = ''
        THEN left(CAST(x AS VARCHAR),
            length(CAST(x AS VARCHAR)) - (9 - minor) - CASE WHEN minor = 0 THEN 1 ELSE 0 END)
        ELSE num(x) END""",
    # "1 on both" when the two sides agree, else "1 (legacy) vs 2 (tollway)".
    """CREATE MACRO versus(l, t) AS CASE WHEN l = t THEN l || ' on both'
        ELSE l || ' (legacy) vs ' || t || ' (tollway)' END""",
    # The end of a period as an overlap test needs it: an empty period [d, d) (a one-time
    # charge activated at midnight) stands for its instant, the day [d, d + 1).
    """CREATE MACRO span_end(s, e) AS CASE WHEN e = s THEN e + 1 ELSE e END""",
    """CREATE MACRO period(s, e) AS CASE WHEN s IS NULL OR e IS NULL THEN 'no period'
        ELSE '[' || CAST(s AS VARCHAR) || ', ' || CAST(e AS VARCHAR) || ')' END""",
)


def text(value: str) -> str:
    """`value` as a SQL string literal.

    >>> text("it's")
    "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def connect(
    *, memory_limit: str | None = None, temporary_directory: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A private in-memory connection: no extension downloads, the formatting macros defined;
    DuckDB's memory capped at `memory_limit` (e.g. "3GiB"; its default is 80 % of RAM), spilling
    to `temporary_directory` beyond it."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if temporary_directory is not None:
        config["temp_directory"] = temporary_directory
    connection = duckdb.connect(":memory:", config=config)
    for macro in _MACROS:
        connection.execute(macro)
    return connection


def create_limits(
    connection: duckdb.DuckDBPyConnection, currencies: Iterable[str], tolerances: Tolerances
) -> None:
    """Create `limits` (per currency: minor units, the minor unit, line, rounding and invoice
    absolute limits as amounts) and `category_limits` (per currency and category: the line limit), and `precedence`
    (category → its place in CATEGORIES)."""
    codes = sorted(set(currencies))
    found = [currency(code) for code in codes]
    limits = pa.table(
        {
            "currency": [entry.code for entry in found],
            "minor_units": pa.array([entry.minor_units for entry in found], pa.int32()),
            "minor_unit": pa.array([entry.minor_unit for entry in found], AMOUNT_TYPE),
            "line_limit": pa.array(
                [entry.minor_unit * tolerances.line_absolute_minor for entry in found],
                AMOUNT_TYPE,
            ),
            "rounding_limit": pa.array(
                [entry.minor_unit * tolerances.rounding_minor for entry in found], AMOUNT_TYPE
            ),
            "invoice_limit": pa.array(
                [entry.minor_unit * tolerances.invoice_absolute_minor for entry in found],
                AMOUNT_TYPE,
            ),
        }
    )
    pairs = [(entry, category) for entry in found for category in CATEGORIES]
    category_limits = pa.table(
        {
            "currency": [entry.code for entry, _ in pairs],
            "category": [category for _, category in pairs],
            "line_limit": pa.array(
                [entry.minor_unit * tolerances.line_limit_minor(name) for entry, name in pairs],
                AMOUNT_TYPE,
            ),
        }
    )
    precedence = pa.table(
        {"category": list(CATEGORIES), "precedence": pa.array(range(len(CATEGORIES)), pa.int32())}
    )
    for name, table in (
        ("limits", limits),
        ("category_limits", category_limits),
        ("precedence", precedence),
    ):
        connection.register(f"{name}_input", table)
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_input")
        connection.unregister(f"{name}_input")
