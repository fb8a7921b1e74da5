"""Fixtures for usage ingestion tests: a fresh store, file writers and readers of what was stored."""

from collections.abc import Callable
from pathlib import Path

import pytest

from tollway.usage import UsageStore, connect_duckdb

Row = dict[str, object]


def rows_of(sql: str) -> list[Row]:
    """Every row of a DuckDB query as a dict, in the query's order."""
    connection = connect_duckdb()
    try:
        relation = connection.sql(sql)
        names = relation.columns
        return [dict(zip(names, values, strict=True)) for values in relation.fetchall()]
    finally:
        connection.close()


@pytest.fixture
def query_rows() -> Callable[[str], list[Row]]:
    """Run a DuckDB query on a usage connection; its rows as dicts."""
    return rows_of


@pytest.fixture
def store(tmp_path: Path) -> UsageStore:
    return UsageStore(tmp_path / "store")


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a usage file with the given name and text into an inbox folder."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / "inbox" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def stored_usage(store: UsageStore) -> Callable[[str], list[Row]]:
    """The committed records of one month, as the rating engine will read them."""

    def read(period: str) -> list[Row]:
        return rows_of(store.scan_sql(period))

    return read


@pytest.fixture
def stored_rejects(store: UsageStore) -> Callable[[str], list[Row]]:
    """The rejected records of one committed load."""

    def read(load_id: str) -> list[Row]:
        return rows_of(store.rejects_sql(load_id))

    return read
