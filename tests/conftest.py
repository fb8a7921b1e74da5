"""Test-wide settings: floats mixed into Decimals fail loudly; hypothesis profiles for CI and local
runs; `database_url`, an empty database on SQLite and, when a server is given, on PostgreSQL.

PostgreSQL cases (`@pytest.mark.postgres`) get one fresh schema per test on the server named by
TOLLWAY_TEST_POSTGRES_URL. Without the URL they are skipped, except under CI, where a missing
server fails: CI must prove both databases (scripts/postgres-for-tests.sh starts one).
"""

import decimal
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

# Any float that sneaks into Decimal arithmetic anywhere in a test raises instead of passing silently.
decimal.getcontext().traps[decimal.FloatOperation] = True

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


POSTGRES_URL_VARIABLE = "TOLLWAY_TEST_POSTGRES_URL"


def postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        return url
    reason = (
        f"{POSTGRES_URL_VARIABLE} is not set: start a throwaway server with "
        '`eval "$(scripts/postgres-for-tests.sh start)"`'
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI must test PostgreSQL too, but {reason}")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tollway.db'}"
        return
    server = postgres_server_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in server else "?"
        yield f"{server}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
