"""Taxes: stored tax documents, tax-inclusive prices and lines, voice channels on products.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tax_documents",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tax_documents")),
    )
    with op.batch_alter_table("product_offering_prices") as batch:
        batch.add_column(
            sa.Column("tax_inclusive", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("products") as batch:
        batch.add_column(
            sa.Column("voice_channels", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("voice_line_type", sa.String(length=40), nullable=True))
    with op.batch_alter_table("applied_billing_rates") as batch:
        batch.add_column(
            sa.Column("tax_inclusive", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("applied_billing_rates") as batch:
        batch.drop_column("tax_inclusive")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("voice_line_type")
        batch.drop_column("voice_channels")
    with op.batch_alter_table("product_offering_prices") as batch:
        batch.drop_column("tax_inclusive")
    op.drop_table("tax_documents")
