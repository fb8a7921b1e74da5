"""Create every table: the world, bills, numbering series and bill runs.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tollway.storage._types import ExactNumeric, UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("billing_account_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("start", UtcDateTime(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("discount_percent", ExactNumeric(), nullable=False),
        sa.Column("early_termination_percent", ExactNumeric(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    op.create_index(
        op.f("ix_agreements_billing_account_id"), "agreements", ["billing_account_id"], unique=False
    )

    op.create_table(
        "bill_runs",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("period_start", UtcDateTime(), nullable=False),
        sa.Column("period_end", UtcDateTime(), nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("world_digest", sa.String(length=64), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_runs")),
    )
    op.create_table(
        "billing_accounts",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("bill_cycle_day", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("billing_site_id", sa.String(length=200), nullable=True),
        sa.Column("parent_id", sa.String(length=200), nullable=True),
        sa.Column("pays_own_bill", sa.Boolean(), nullable=False),
        sa.Column("invoice_series", sa.String(length=40), nullable=False),
        sa.Column("profile", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_accounts")),
    )
    op.create_index(
        op.f("ix_billing_accounts_parent_id"), "billing_accounts", ["parent_id"], unique=False
    )

    op.create_table(
        "bundles",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("discount_percent", ExactNumeric(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundles")),
    )
    op.create_table(
        "customer_bills",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=True),
        sa.Column("billing_account_id", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("billing_period_start", UtcDateTime(), nullable=False),
        sa.Column("billing_period_end", UtcDateTime(), nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("payment_due_date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("invoice_series", sa.String(length=40), nullable=False),
        sa.Column("bill_number", sa.BigInteger(), nullable=True),
        sa.Column("bill_no", sa.String(length=80), nullable=True),
        sa.Column("related_bill_no", sa.String(length=80), nullable=True),
        sa.Column("consolidated_account_ids", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("tax_excluded_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_included_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("draft_digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_bills")),
        sa.UniqueConstraint("bill_no", name=op.f("uq_customer_bills_bill_no")),
        sa.UniqueConstraint(
            "invoice_series", "bill_number", name="uq_customer_bills_series_number"
        ),
    )
    op.create_index(
        op.f("ix_customer_bills_billing_account_id"),
        "customer_bills",
        ["billing_account_id"],
        unique=False,
    )
    op.create_index(op.f("ix_customer_bills_run_id"), "customer_bills", ["run_id"], unique=False)

    op.create_table(
        "invoice_number_series",
        sa.Column("series", sa.String(length=40), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series", name=op.f("pk_invoice_number_series")),
    )
    op.create_table(
        "manual_credits",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("billing_account_id", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("effective_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_credits")),
    )
    op.create_index(
        op.f("ix_manual_credits_billing_account_id"),
        "manual_credits",
        ["billing_account_id"],
        unique=False,
    )

    op.create_table(
        "parties",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("customer_class", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
    )
    op.create_table(
        "product_offerings",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("product_type", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_offerings")),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("circuit_id", sa.String(length=200), nullable=False),
        sa.Column("billing_account_id", sa.String(length=200), nullable=False),
        sa.Column("offering_id", sa.String(length=200), nullable=False),
        sa.Column("bandwidth_mbps", ExactNumeric(), nullable=False),
        sa.Column("site_a_id", sa.String(length=200), nullable=False),
        sa.Column("site_z_id", sa.String(length=200), nullable=True),
        sa.Column("jurisdiction_id", sa.String(length=200), nullable=False),
        sa.Column("agreement_id", sa.String(length=200), nullable=True),
        sa.Column("bundle_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_index(
        op.f("ix_products_billing_account_id"), "products", ["billing_account_id"], unique=False
    )
    op.create_index(op.f("ix_products_circuit_id"), "products", ["circuit_id"], unique=False)

    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("postal_code", sa.String(length=40), nullable=False),
        sa.Column("jurisdiction_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "agreement_commitments",
        sa.Column("agreement_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("minimum_amount", ExactNumeric(), nullable=False),
        sa.Column("shortfall_percent", ExactNumeric(), nullable=False),
        sa.Column("counted_kinds", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_commitments_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", "position", name=op.f("pk_agreement_commitments")),
    )
    op.create_table(
        "agreement_price_overrides",
        sa.Column("agreement_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("offering_price_id", sa.String(length=200), nullable=False),
        sa.Column("price_document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_price_overrides_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "position", name=op.f("pk_agreement_price_overrides")
        ),
    )
    op.create_table(
        "applied_billing_rates",
        sa.Column("bill_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.String(length=200), nullable=False),
        sa.Column("billing_account_id", sa.String(length=200), nullable=False),
        sa.Column("charge_type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("period_start", UtcDateTime(), nullable=False),
        sa.Column("period_end", UtcDateTime(), nullable=False),
        sa.Column("quantity", ExactNumeric(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("precise_amount", ExactNumeric(), nullable=False),
        sa.Column("product_id", sa.String(length=200), nullable=True),
        sa.Column("circuit_id", sa.String(length=200), nullable=True),
        sa.Column("price_id", sa.String(length=200), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("unit_price", ExactNumeric(), nullable=True),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column("taxes", sa.JSON(), nullable=False),
        sa.Column("related_bill_no", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["customer_bills.id"],
            name=op.f("fk_applied_billing_rates_bill_id_customer_bills"),
        ),
        sa.PrimaryKeyConstraint("bill_id", "position", name=op.f("pk_applied_billing_rates")),
    )
    op.create_table(
        "bill_run_accounts",
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("billing_account_id", sa.String(length=200), nullable=False),
        sa.Column("batch_index", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["customer_bills.id"],
            name=op.f("fk_bill_run_accounts_bill_id_customer_bills"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["bill_runs.id"], name=op.f("fk_bill_run_accounts_run_id_bill_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "billing_account_id", name=op.f("pk_bill_run_accounts")),
    )
    op.create_index(
        "ix_bill_run_accounts_run_state", "bill_run_accounts", ["run_id", "state"], unique=False
    )

    op.create_table(
        "bundle_offerings",
        sa.Column("bundle_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"], ["bundles.id"], name=op.f("fk_bundle_offerings_bundle_id_bundles")
        ),
        sa.PrimaryKeyConstraint("bundle_id", "position", name=op.f("pk_bundle_offerings")),
    )
    op.create_table(
        "product_lifecycle_events",
        sa.Column("product_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("offering_id", sa.String(length=200), nullable=True),
        sa.Column("bandwidth_mbps", ExactNumeric(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_lifecycle_events_product_id_products"),
        ),
        sa.PrimaryKeyConstraint("product_id", "position", name=op.f("pk_product_lifecycle_events")),
    )
    op.create_table(
        "product_offering_prices",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("offering_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("usage_type", sa.String(length=80), nullable=True),
        sa.Column("quantity_basis", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("valid_from", UtcDateTime(), nullable=False),
        sa.Column("valid_to", UtcDateTime(), nullable=True),
        sa.Column("price_document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["product_offerings.id"],
            name=op.f("fk_product_offering_prices_offering_id_product_offerings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_offering_prices")),
    )
    op.create_index(
        op.f("ix_product_offering_prices_offering_id"),
        "product_offering_prices",
        ["offering_id"],
        unique=False,
    )

    op.create_table(
        "tax_items",
        sa.Column("bill_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tax_category", sa.String(length=80), nullable=False),
        sa.Column("tax_rate", ExactNumeric(), nullable=False),
        sa.Column("tax_amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bill_id"], ["customer_bills.id"], name=op.f("fk_tax_items_bill_id_customer_bills")
        ),
        sa.PrimaryKeyConstraint("bill_id", "position", name=op.f("pk_tax_items")),
    )


def downgrade() -> None:
    op.drop_table("tax_items")
    op.drop_index(
        op.f("ix_product_offering_prices_offering_id"), table_name="product_offering_prices"
    )

    op.drop_table("product_offering_prices")
    op.drop_table("product_lifecycle_events")
    op.drop_table("bundle_offerings")
    op.drop_index("ix_bill_run_accounts_run_state", table_name="bill_run_accounts")

    op.drop_table("bill_run_accounts")
    op.drop_table("applied_billing_rates")
    op.drop_table("agreement_price_overrides")
    op.drop_table("agreement_commitments")
    op.drop_table("sites")
    op.drop_index(op.f("ix_products_circuit_id"), table_name="products")
    op.drop_index(op.f("ix_products_billing_account_id"), table_name="products")

    op.drop_table("products")
    op.drop_table("product_offerings")
    op.drop_table("parties")
    op.drop_index(op.f("ix_manual_credits_billing_account_id"), table_name="manual_credits")

    op.drop_table("manual_credits")
    op.drop_table("invoice_number_series")
    op.drop_index(op.f("ix_customer_bills_run_id"), table_name="customer_bills")
    op.drop_index(op.f("ix_customer_bills_billing_account_id"), table_name="customer_bills")

    op.drop_table("customer_bills")
    op.drop_table("bundles")
    op.drop_index(op.f("ix_billing_accounts_parent_id"), table_name="billing_accounts")

    op.drop_table("billing_accounts")
    op.drop_table("bill_runs")
    op.drop_index(op.f("ix_agreements_billing_account_id"), table_name="agreements")

    op.drop_table("agreements")
