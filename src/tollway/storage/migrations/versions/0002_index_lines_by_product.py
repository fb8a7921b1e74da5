"""Index bill lines by product: settlement and re-rating find a product's lines on any bill.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_applied_billing_rates_product_id", "applied_billing_rates", ["product_id"])


def downgrade() -> None:
    op.drop_index("ix_applied_billing_rates_product_id", table_name="applied_billing_rates")
