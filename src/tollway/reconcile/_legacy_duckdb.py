"""DuckDB connections and SQL quoting for the legacy importer and writer."""

import duckdb

CONNECTION_CONFIG: dict[str, bool] = {
    # Importing must never reach the network: only the extensions built into the wheel may run.
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that downloads nothing.

    >>> connect().execute("SELECT TRY_CAST('12.50' AS DECIMAL(38, 9))").fetchall()
    [(Decimal('12.500000000'),)]
    """
    connection = duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG))
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def sql_text(value: str) -> str:
    """`value` as a SQL string literal.

    >>> sql_text("it's")
    "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def sql_name(name: str) -> str:
    """`name` as a quoted SQL identifier.

    >>> sql_name("period end")
    '"period end"'
    """
    return '"' + name.replace('"', '""') + '"'


def sql_list(values: list[str]) -> str:
    """A parenthesised list of string literals for `IN (...)` (never empty: `(NULL)` matches nothing).

    >>> sql_list(["a", "b"]), sql_list([])
    ("('a', 'b')", '(NULL)')
    """
    if not values:
        return "(NULL)"
    return "(" + ", ".join(sql_text(value) for value in values) + ")"


def fetch_row(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[object, ...]:
    """The one row `sql` returns, fetched to the end (DuckDB refuses new work on a connection
    with a result left half-read).

    >>> fetch_row(connect(), "SELECT 1, 'a'")
    (1, 'a')
    """
    rows = connection.execute(sql).fetchall()
    assert len(rows) == 1, f"expected one row, got {len(rows)}"
    return tuple(rows[0])
