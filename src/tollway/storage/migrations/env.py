"""Alembic environment: migrate the connection `Database.migrate` hands over.

Run through `Database(url).migrate()`, never on import: the module body only acts when alembic
executes it (the doctest collector imports every module under src/).
"""

from alembic import context
from sqlalchemy import Connection, create_engine

from tollway.storage._tables import metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: later revisions copy and move tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _configure_and_run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "give Database.migrate() a connection, or sqlalchemy.url in the alembic config"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            _configure_and_run(connection)
    finally:
        engine.dispose()


if hasattr(context, "config"):
    _run()
