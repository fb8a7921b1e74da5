"""DuckDB connections for usage loads and reads: nothing downloaded, every timestamp shown in UTC."""

from collections.abc import Sequence
from pathlib import Path

import duckdb

CONNECTION_CONFIG: dict[str, bool] = {
    # Loading must never reach the network: only the extensions built into the wheel may run.
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


def connect(database: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for usage work: nothing downloaded, timestamps shown in UTC.

    In memory, or on the working `database` file where tables must be able to leave memory.

    >>> connect().execute("SELECT TIMESTAMPTZ '2024-03-01 10:00:00+02:00' AS start_time").fetchone()
    (datetime.datetime(2024, 3, 1, 8, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC')),)
    """
    target = ":memory:" if database is None else str(database)
    connection = duckdb.connect(target, config=dict(CONNECTION_CONFIG))
    # Timestamps with a zone print and group in UTC, whatever the host's zone.
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def sql_text(value: str) -> str:
    """`value` as a SQL string literal.

    >>> sql_text("it's")
    "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def sql_path_list(paths: Sequence[Path]) -> str:
    """A DuckDB list literal of file paths, for `read_parquet([...])`.

    >>> sql_path_list([Path("/a/b.parquet"), Path("/c.parquet")])
    "['/a/b.parquet', '/c.parquet']"
    """
    return "[" + ", ".join(sql_text(str(path)) for path in paths) + "]"
