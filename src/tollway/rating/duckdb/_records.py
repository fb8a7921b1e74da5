"""The usage relation the engine rates: connection settings, column checks, the typed view, and
reading records back as the reference rater's `RatableRecord`s.

Input columns: charge_key, price_id, record_id (VARCHAR), quantity (DECIMAL(38,9) or narrower, or
an integer), start_time (TIMESTAMPTZ), amount (DECIMAL, at most 9 decimals), unit_price (DECIMAL,
at most 12 decimals), origin, destination (VARCHAR). The last five may be left out (all NULL).
Floating point columns are refused: a float quantity has already lost its exactness.
"""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final, TypeAlias

import duckdb
import pyarrow as pa

from tollway.money import TollwayError
from tollway.pricing import UsageEvent
from tollway.rating.duckdb._sql import QUANTITY, VALUE, table
from tollway.rating.reference import RatableRecord

UsageSource: TypeAlias = str | pa.Table
"""A SQL query or a table/view name in the connection, or an Arrow table of usage records."""

CONNECTION_CONFIG: Final[dict[str, str | bool]] = {
    # Rating never reaches the network: only the extensions built into the wheel may run.
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_DECIMAL: Final = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_INTEGERS: Final = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")  # fmt: skip
_TEXT_COLUMNS: Final = ("charge_key", "price_id", "record_id", "origin", "destination")
_REQUIRED: Final = ("charge_key", "price_id", "record_id", "quantity")
_DECIMAL_COLUMNS: Final = {
    "quantity": (9, QUANTITY),
    "amount": (9, QUANTITY),
    "unit_price": (12, VALUE),
}
_OPTIONAL_TYPES: Final = {
    "start_time": "TIMESTAMPTZ",
    "amount": QUANTITY,
    "unit_price": VALUE,
    "origin": "VARCHAR",
    "destination": "VARCHAR",
}
records_fetch_batch_rows: Final = 100_000


class UsageInputError(TollwayError):
    """The usage relation handed to the engine lacks a column or has one of an inexact type."""

    code = "invalid_usage_input"


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory connection with extension downloads off and timestamps shown in UTC."""
    connection = duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG))
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def secure(connection: duckdb.DuckDBPyConnection) -> None:
    """Turn extension auto-install and auto-load off on a caller's connection before rating."""
    for name, setting in CONNECTION_CONFIG.items():
        connection.execute(f"SET {name} = {str(setting).lower()}")


def source_sql(connection: duckdb.DuckDBPyConnection, source: UsageSource) -> str:
    """The SELECT that reads `source`; an Arrow table is registered in the connection first."""
    if isinstance(source, pa.Table):
        connection.register(table("input"), source)
        return f"SELECT * FROM {table('input')}"
    assert isinstance(source, str), "usage is SQL text, a table name or an Arrow table"
    if _IDENTIFIER.fullmatch(source.strip()):
        return f"SELECT * FROM {source.strip()}"
    return source


def create_usage_view(connection: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Check the usage columns and create the typed view every rating query reads."""
    relation = connection.sql(f"SELECT * FROM ({sql}) LIMIT 0")
    types = {
        name: str(kind).upper() for name, kind in zip(relation.columns, relation.types, strict=True)
    }
    selected = [_typed_column(name, types) for name in (*_REQUIRED, *_OPTIONAL_TYPES)]
    connection.execute(
        f"CREATE OR REPLACE TEMP VIEW {table('usage')} AS SELECT {', '.join(selected)} FROM ({sql})"
    )


def _typed_column(name: str, types: dict[str, str]) -> str:
    found = types.get(name)
    if found is None:
        if name in _REQUIRED:
            raise UsageInputError(f"usage has no {name} column; expected {', '.join(_REQUIRED)}")
        return f"CAST(NULL AS {_OPTIONAL_TYPES[name]}) AS {name}"
    if name in _TEXT_COLUMNS:
        _require(found == "VARCHAR", name, found, "VARCHAR")
        return name
    if name == "start_time":
        _require(found == "TIMESTAMP WITH TIME ZONE", name, found, "TIMESTAMPTZ")
        return name
    decimals, target = _DECIMAL_COLUMNS[name]
    matched = _DECIMAL.fullmatch(found)
    exact = found in _INTEGERS or (matched is not None and int(matched.group(2)) <= decimals)
    _require(exact, name, found, f"a DECIMAL with at most {decimals} decimals, or an integer")
    return f"CAST({name} AS {target}) AS {name}"


def _require(condition: bool, name: str, found: str, expected: str) -> None:
    if not condition:
        raise UsageInputError(f"usage column {name} is {found}; expected {expected}")


def start_time(epoch_us: int | None) -> datetime | None:
    """A start time from epoch microseconds, in UTC (how the engine and the reader show it)."""
    return None if epoch_us is None else _EPOCH + timedelta(microseconds=epoch_us)


def read_records(
    connection: duckdb.DuckDBPyConnection, *, where: str = "true"
) -> Iterator[RatableRecord]:
    """Records of the typed usage view as the reference rater reads them, batch by batch."""
    cursor = connection.execute(
        "SELECT charge_key, price_id, record_id, quantity, epoch_us(start_time), amount, "
        f"unit_price, origin, destination FROM {table('usage')} u WHERE {where}"
    )
    while batch := cursor.fetchmany(records_fetch_batch_rows):
        for row in batch:
            yield _record(row)


def _record(row: tuple[object, ...]) -> RatableRecord:
    charge_key, price_id, record_id, quantity, start_us, amount, unit_price, origin, destination = (
        row
    )
    assert isinstance(charge_key, str) and isinstance(price_id, str)
    assert isinstance(quantity, Decimal)
    assert start_us is None or isinstance(start_us, int)
    event = UsageEvent(
        quantity=quantity,
        start=start_time(start_us),
        amount=_optional_decimal(amount),
        unit_price=_optional_decimal(unit_price),
        origin=_optional_text(origin),
        destination=_optional_text(destination),
        record_id=_optional_text(record_id),
    )
    return RatableRecord(charge_key, price_id, event)


def _optional_decimal(found: object) -> Decimal | None:
    assert found is None or isinstance(found, Decimal)
    return found


def _optional_text(found: object) -> str | None:
    assert found is None or isinstance(found, str)
    return found
