"""SQL building blocks that keep every value an exact DECIMAL: types, rounding, integer division.

DuckDB turns a decimal division (and a `%` or `LEAST` over two different decimal types) into a
DOUBLE or a silently narrowed decimal, so the engine never divides decimals and always casts both
sides of an operation to one type first. Integer quotients (packages, blocks, increments) are taken
on scaled HUGEINTs. `check_exact` binds every query part before it runs and refuses a floating
point column anywhere.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import duckdb

QUANTITY: Final = "DECIMAL(38,9)"
"""Usage quantities and transaction amounts, as the usage store keeps them."""
VALUE: Final = "DECIMAL(38,12)"
"""Prices, bounds, sizes and quantities inside the engine: a definition's numbers fit in 12 decimals."""
AMOUNT: Final = "DECIMAL(38,24)"
"""Line amounts: a 12-decimal quantity times a 12-decimal price is exact at 24 decimals."""
ROUNDED: Final = "DECIMAL(38,4)"
"""Amounts rounded to a currency's minor unit (ISO 4217 goes down to 4 decimals)."""
VALUE_DECIMALS: Final = 12
VALUE_SCALE_UNITS: Final = 10**VALUE_DECIMALS

_FLOATING_TYPES: Final = ("FLOAT", "DOUBLE", "REAL")


TABLE_PREFIX: Final = "tollway_rating_"


def table(name: str) -> str:
    """The connection-local name of one of the engine's tables or views.

    >>> table("tiers")
    'tollway_rating_tiers'
    """
    return TABLE_PREFIX + name


def text(value: str) -> str:
    """`value` as a SQL string literal.

    >>> text("it's")
    "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def unscaled(expression: str) -> str:
    """A non-negative DECIMAL(38,12) expression as the HUGEINT count of its 10^-12 units.

    The whole part and the fraction are converted separately so neither overflows the decimal
    type on the way (a DECIMAL(38,12) holds less than 10^26; times 10^12 would not fit).
    """
    whole = f"trunc({expression})"
    return (
        f"(CAST({whole} AS HUGEINT) * {VALUE_SCALE_UNITS} "
        f"+ CAST((({expression}) - {whole}) * {VALUE_SCALE_UNITS} AS HUGEINT))"
    )


def ceil_divide(numerator_units: str, denominator_units: str) -> str:
    """ceil(n / d) on non-negative HUGEINTs (DuckDB's `//` truncates, which is floor here)."""
    return f"(({numerator_units} + {denominator_units} - 1) // {denominator_units})"


def floor_divide(numerator_units: str, denominator_units: str) -> str:
    return f"({numerator_units} // {denominator_units})"


def rounded(value: str, *, quantum: str, mode: str) -> str:
    """`value` (a DECIMAL(38,24) column) rounded to a multiple of `quantum` with a named mode.

    `quantum` is a DECIMAL(38,24) column (0.01 for USD, 1 for JPY) and `mode` a column holding a
    `RoundingMode` value. Matches `tollway.money.round_decimal`: half_up and up go away from zero,
    down toward zero, half_even to the even multiple. Both sides of `%` share one decimal type,
    so the remainder stays exact.
    """
    remainder = f"({value} % {quantum})"
    truncated = f"({value} - {remainder})"
    twice = f"(2 * abs({remainder}))"
    odd = f"({truncated} % (2 * {quantum}) <> 0)"
    away = (
        f"(CASE {mode} WHEN 'down' THEN false WHEN 'up' THEN {remainder} <> 0 "
        f"WHEN 'half_up' THEN {twice} >= {quantum} "
        f"ELSE {twice} > {quantum} OR ({twice} = {quantum} AND {odd}) END)"
    )
    step = f"(CASE WHEN {value} < 0 THEN -{quantum} ELSE {quantum} END)"
    return f"CAST({truncated} + (CASE WHEN {away} THEN {step} ELSE 0 END) AS {AMOUNT})"


# --- line rows ----------------------------------------------------------------------------------

LINE_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("charge_key", "VARCHAR"),
    ("price_id", "VARCHAR"),
    ("line_stage", "INTEGER"),
    ("line_group", "BIGINT"),
    ("line_number", "BIGINT"),
    ("kind", "VARCHAR"),
    ("tier", "INTEGER"),
    ("quantity", VALUE),
    ("unit_price", VALUE),
    ("amount", AMOUNT),
    ("note_count", "BIGINT"),
    ("note_other_count", "BIGINT"),
    ("note_value", VALUE),
    ("note_index", "INTEGER"),
    ("note_text", "VARCHAR"),
    ("note_time", "BIGINT"),
)
"""One breakdown line per row. `line_stage, line_group, line_number` order a charge's lines; the
`note_*` columns carry what the line's description needs (counts, a units figure, an index, a
record id, a start time in epoch microseconds)."""

_LINE_DEFAULTS: Final = {
    "charge_key": "charge_key",
    "price_id": "price_id",
    "line_stage": "0",
    "line_group": "0",
    "line_number": "0",
}


@dataclass(frozen=True, slots=True)
class LineSelect:
    """One SELECT producing line rows from a CTE: column expressions by line column name."""

    source: str
    columns: Mapping[str, str]
    where: str = "true"

    def __post_init__(self) -> None:
        known = {name for name, _ in LINE_COLUMNS}
        assert set(self.columns) <= known, f"unknown line columns {set(self.columns) - known}"
        assert {"kind", "amount"} <= set(self.columns), "a line needs a kind and an amount"

    def expression(self, name: str) -> str:
        return self.columns.get(name, _LINE_DEFAULTS.get(name, "NULL"))

    def sql(self) -> str:
        select = ", ".join(
            f"CAST({self.expression(name)} AS {sql_type}) AS {name}"
            for name, sql_type in LINE_COLUMNS
        )
        return f"SELECT {select} FROM {self.source} WHERE {self.where}"

    def uncast_sql(self) -> str:
        """The same expressions without the final casts, to check none of them is floating."""
        select = ", ".join(f"{self.expression(name)} AS {name}" for name, _ in LINE_COLUMNS)
        return f"SELECT {select} FROM {self.source} WHERE {self.where}"


@dataclass(frozen=True, slots=True)
class LineQuery:
    """Named CTEs and the line SELECTs over them; `sql()` is their UNION ALL."""

    ctes: tuple[tuple[str, str], ...]
    selects: tuple[LineSelect, ...]
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(name for name, _ in self.ctes))
        assert self.selects, "a line query selects at least one kind of line"

    def with_clause(self, *, upto: int | None = None) -> str:
        parts = self.ctes if upto is None else self.ctes[:upto]
        if not parts:
            return ""
        return "WITH " + ", ".join(f"{name} AS ({body})" for name, body in parts) + " "

    def sql(self) -> str:
        return self.with_clause() + " UNION ALL ".join(part.sql() for part in self.selects)


def union_all(queries: Sequence[str]) -> str:
    assert queries, "nothing to unite"
    return " UNION ALL ".join(f"({query})" for query in queries)


# --- exactness checks ---------------------------------------------------------------------------


def floating_columns(connection: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """The columns of `sql` (bound, not run) whose type is a binary floating point type."""
    relation = connection.sql(f"SELECT * FROM ({sql}) LIMIT 0")
    return [
        f"{name} {sql_type}"
        for name, sql_type in zip(relation.columns, relation.types, strict=True)
        if str(sql_type).upper().startswith(_FLOATING_TYPES)
    ]


_checked_queries: Final[set[str]] = set()
"""Line queries already checked in this process: their text, and so their types, never change
(the tables they read always have the same column types)."""


def check_exact(connection: duckdb.DuckDBPyConnection, query: LineQuery) -> None:
    """Assert that no CTE column and no line expression of `query` is FLOAT or DOUBLE."""
    sql = query.sql()
    if sql in _checked_queries:
        return
    for index, name in enumerate(query.names):
        found = floating_columns(
            connection, query.with_clause(upto=index + 1) + f"SELECT * FROM {name}"
        )
        assert not found, f"CTE {name} computes floating point columns: {found}"
    for part in query.selects:
        found = floating_columns(connection, query.with_clause() + part.uncast_sql())
        assert not found, f"line select over {part.source} computes floating point: {found}"
    found = floating_columns(connection, sql)
    assert not found, f"line query returns floating point columns: {found}"
    _checked_queries.add(sql)
