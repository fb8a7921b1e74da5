"""Partner settlement: agreements and their versions, revenue-share models, milestones, partner
charges, disputes, statements, and the partners' settlement accounts with their entries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tollway.storage._types import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=200), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "partner_agreements",
        _id("id"),
        _id("partner_id"),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_agreements")),
    )
    op.create_index(
        op.f("ix_partner_agreements_partner_id"), "partner_agreements", ["partner_id"], unique=False
    )
    op.create_table(
        "partner_agreement_versions",
        _id("agreement_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", UtcDateTime(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["partner_agreements.id"],
            name=op.f("fk_partner_agreement_versions_agreement_id_partner_agreements"),
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "version", name=op.f("pk_partner_agreement_versions")
        ),
    )
    op.create_table(
        "revenue_share_models",
        _id("id"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_share_models")),
    )
    op.create_table(
        "settlement_milestones",
        _id("agreement_id"),
        _id("name"),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["partner_agreements.id"],
            name=op.f("fk_settlement_milestones_agreement_id_partner_agreements"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", "name", name=op.f("pk_settlement_milestones")),
    )
    _create_charges_and_disputes()
    _create_statements_and_accounts()


def _create_charges_and_disputes() -> None:
    op.create_table(
        "partner_charges",
        _id("partner_id"),
        _id("partner_invoice_id"),
        _id("line_id"),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("charge_date", sa.Date(), nullable=False),
        _id("import_id"),
        sa.PrimaryKeyConstraint(
            "partner_id", "partner_invoice_id", "line_id", name=op.f("pk_partner_charges")
        ),
    )
    op.create_table(
        "settlement_disputes",
        _id("id"),
        _id("partner_id"),
        sa.Column("side", sa.String(length=20), nullable=False),
        _id("document_id"),
        _id("line_id"),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("accepted_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_disputes")),
        sa.UniqueConstraint(
            "partner_id", "side", "document_id", "line_id", name="uq_settlement_disputes_line"
        ),
    )
    op.create_index(
        op.f("ix_settlement_disputes_partner_id"),
        "settlement_disputes",
        ["partner_id"],
        unique=False,
    )


def _create_statements_and_accounts() -> None:
    op.create_table(
        "settlement_statements",
        _id("agreement_id"),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period_start", UtcDateTime(), nullable=False),
        sa.Column("period_end", UtcDateTime(), nullable=False),
        _id("number"),
        _id("partner_id"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["partner_agreements.id"],
            name=op.f("fk_settlement_statements_agreement_id_partner_agreements"),
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "kind", "period_start", name=op.f("pk_settlement_statements")
        ),
    )
    op.create_table(
        "settlement_accounts",
        _id("id"),
        _id("partner_id"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_accounts")),
        sa.UniqueConstraint(
            "partner_id", "currency", name="uq_settlement_accounts_partner_currency"
        ),
    )
    op.create_table(
        "settlement_entries",
        _id("account_id"),
        sa.Column("position", sa.Integer(), nullable=False),
        _id("agreement_id"),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period_start", UtcDateTime(), nullable=False),
        _id("statement_number"),
        sa.Column("statement_digest", sa.String(length=80), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["settlement_accounts.id"],
            name=op.f("fk_settlement_entries_account_id_settlement_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id", "kind", "period_start"],
            [
                "settlement_statements.agreement_id",
                "settlement_statements.kind",
                "settlement_statements.period_start",
            ],
            name=op.f("fk_settlement_entries_agreement_id_settlement_statements"),
        ),
        sa.PrimaryKeyConstraint("account_id", "position", name=op.f("pk_settlement_entries")),
        sa.UniqueConstraint(
            "agreement_id", "kind", "period_start", name="uq_settlement_entries_statement"
        ),
    )


def downgrade() -> None:
    for table in (
        "settlement_entries",
        "settlement_accounts",
        "settlement_statements",
        "settlement_disputes",
        "partner_charges",
        "settlement_milestones",
        "revenue_share_models",
        "partner_agreement_versions",
    ):
        op.drop_table(table)
    op.drop_index(op.f("ix_partner_agreements_partner_id"), table_name="partner_agreements")
    op.drop_table("partner_agreements")
