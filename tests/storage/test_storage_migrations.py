"""Migrations: shipped inside the package, create exactly the tables the code declares."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import tollway.storage
from tollway.storage import Database
from tollway.storage._database import MIGRATIONS_DIRECTORY
from tollway.storage._tables import metadata

EXPECTED_TABLES = {
    "agreement_commitments",
    "agreement_price_overrides",
    "agreements",
    "alembic_version",
    "applied_billing_rates",
    "bill_run_accounts",
    "bill_runs",
    "billing_accounts",
    "bundle_offerings",
    "bundles",
    "customer_bills",
    "invoice_number_series",
    "manual_credits",
    "parties",
    "partner_agreement_versions",
    "partner_agreements",
    "partner_charges",
    "revenue_share_models",
    "settlement_accounts",
    "settlement_disputes",
    "settlement_entries",
    "settlement_milestones",
    "settlement_statements",
    "tax_documents",
    "product_lifecycle_events",
    "product_offering_prices",
    "product_offerings",
    "products",
    "sites",
    "tax_items",
}


def test_migrating_creates_every_table(database: Database) -> None:
    assert set(inspect(database.engine).get_table_names()) == EXPECTED_TABLES


def test_the_migrated_schema_matches_the_declared_tables(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_migrating_twice_changes_nothing(database: Database) -> None:
    database.migrate()

    with database.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0004"


def test_the_migrations_ship_inside_the_package() -> None:
    package = Path(tollway.storage.__file__).parent

    assert package / "migrations" == MIGRATIONS_DIRECTORY
    assert (MIGRATIONS_DIRECTORY / "env.py").is_file()
    assert (MIGRATIONS_DIRECTORY / "script.py.mako").is_file()
    assert [path.name for path in sorted((MIGRATIONS_DIRECTORY / "versions").glob("*.py"))] == [
        "0001_create_tables.py",
        "0002_index_lines_by_product.py",
        "0003_taxes.py",
        "0004_settlement.py",
    ]


def test_a_database_at_0001_upgrades_to_the_line_index(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    indexes = {
        index["name"] for index in inspect(database.engine).get_indexes("applied_billing_rates")
    }
    assert "ix_applied_billing_rates_product_id" not in indexes

    database.migrate()

    indexes = {
        index["name"] for index in inspect(database.engine).get_indexes("applied_billing_rates")
    }
    assert "ix_applied_billing_rates_product_id" in indexes
