"""`Database`: an engine for a URL, its migrations, and the unit of work.

SQLite is the default and PostgreSQL the production database; both behave the same where it
matters. On SQLite every transaction starts with `BEGIN IMMEDIATE`: it takes the write lock up
front, so two writers queue instead of deadlocking when a reader upgrades, and the numbering
counter is serialised by that lock. On PostgreSQL the counter row is locked with `SELECT ... FOR
UPDATE`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tollway.storage._types import json_dumps, json_loads

MIGRATIONS_DIRECTORY: Final = Path(__file__).resolve().parent / "migrations"
sqlite_busy_timeout_s: Final = 60
"""How long a SQLite writer waits for another's lock before failing."""
postgres_migration_lock_key: Final = 7_461_002_001
"""Advisory lock taken while migrating PostgreSQL, so two processes never migrate at once."""


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE instead of pysqlite's deferred BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """A database tollway stores its world, bills and bill runs in.

    >>> database = Database("sqlite://")
    >>> database.migrate()
    >>> with database.transaction() as session:
    ...     session.execute(text("SELECT count(*) FROM customer_bills")).scalar_one()
    0
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        options: dict[str, Any] = {
            "echo": echo,
            "json_serializer": json_dumps,
            "json_deserializer": json_loads,
        }
        if self.url.get_backend_name() == "sqlite":
            options["connect_args"] = {"timeout": sqlite_busy_timeout_s}
        self.engine: Engine = create_engine(self.url, **options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)

    @property
    def dialect_name(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest revision (`alembic upgrade head`); safe to repeat."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY))
        with self.engine.begin() as connection:
            if self.dialect_name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": postgres_migration_lock_key},
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls back if it raises.

        Repositories run their SQL inside it and never commit themselves.
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection (before a process hands the database to another)."""
        self.engine.dispose()
