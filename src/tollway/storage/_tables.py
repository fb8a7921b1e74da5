"""The tables, with TM Forum names in snake_case. Migration 0001 creates exactly these.

Money is integer minor units (`*_minor`, BigInteger) beside a currency code; quantities, rates and
precise amounts are `ExactNumeric`; instants are `UtcDateTime`. Nothing is ever a float. Ordered
tuples of the domain (an offering's prices, a product's lifecycle events) keep their order in a
`position` column, so a load gives back equal dataclasses.

Bills do not reference the world's tables: an issued bill is a document that outlives the account
or catalog rows it was computed from.
"""

from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from tollway.storage._types import ExactNumeric, UtcDateTime

NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Named constraints, so SQLite's batch migrations (copy and move) can find them again."""

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id(name: str = "id", *constraints: Any, **options: Any) -> Column[str]:
    """An identifier column: text of at most 200 characters."""
    return Column(name, String(200), *constraints, **options)


# --- the world: parties, sites, accounts -------------------------------------------------------

parties = Table(
    "parties",
    metadata,
    _id(primary_key=True),
    Column("name", Text, nullable=False),
    Column("customer_class", String(40), nullable=False),
)

sites = Table(
    "sites",
    metadata,
    _id(primary_key=True),
    _id("party_id", nullable=False),
    Column("name", Text, nullable=False),
    Column("country", String(2), nullable=False),
    Column("region", String(40), nullable=False),
    Column("city", Text, nullable=False),
    Column("postal_code", String(40), nullable=False),
    _id("jurisdiction_id", nullable=False),
)

billing_accounts = Table(
    "billing_accounts",
    metadata,
    _id(primary_key=True),
    _id("party_id", nullable=False),
    Column("name", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("bill_cycle_day", Integer, nullable=False),
    Column("time_zone", String(64), nullable=False),
    _id("billing_site_id", nullable=True),
    _id("parent_id", nullable=True, index=True),
    Column("pays_own_bill", Boolean, nullable=False),
    Column("invoice_series", String(40), nullable=False),
    Column("profile", String(40), nullable=False),
)

# --- the catalog --------------------------------------------------------------------------------

product_offerings = Table(
    "product_offerings",
    metadata,
    _id(primary_key=True),
    Column("name", Text, nullable=False),
    Column("product_type", String(40), nullable=False),
)

product_offering_prices = Table(
    "product_offering_prices",
    metadata,
    _id(primary_key=True),
    _id("offering_id", ForeignKey("product_offerings.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("usage_type", String(80), nullable=True),
    Column("quantity_basis", String(40), nullable=False),
    Column("name", Text, nullable=False),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("valid_to", UtcDateTime, nullable=True),
    Column("price_document", JSON, nullable=False),
    Column("tax_inclusive", Boolean, nullable=False, server_default=false()),
)

bundles = Table(
    "bundles",
    metadata,
    _id(primary_key=True),
    Column("name", Text, nullable=False),
    Column("discount_percent", ExactNumeric, nullable=False),
)

bundle_offerings = Table(
    "bundle_offerings",
    metadata,
    _id("bundle_id", ForeignKey("bundles.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    _id("offering_id", nullable=False),
)

# --- agreements ---------------------------------------------------------------------------------

agreements = Table(
    "agreements",
    metadata,
    _id(primary_key=True),
    _id("billing_account_id", nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("start", UtcDateTime, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("discount_percent", ExactNumeric, nullable=False),
    Column("early_termination_percent", ExactNumeric, nullable=True),
)

agreement_commitments = Table(
    "agreement_commitments",
    metadata,
    _id("agreement_id", ForeignKey("agreements.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    _id("commitment_id", nullable=False),
    Column("period", String(20), nullable=False),
    Column("minimum_amount", ExactNumeric, nullable=False),
    Column("shortfall_percent", ExactNumeric, nullable=False),
    Column("counted_kinds", JSON, nullable=False),
)

agreement_price_overrides = Table(
    "agreement_price_overrides",
    metadata,
    _id("agreement_id", ForeignKey("agreements.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    _id("offering_price_id", nullable=False),
    Column("price_document", JSON, nullable=False),
)

# --- taxes ----------------------------------------------------------------------------------------

tax_documents = Table(
    "tax_documents",
    metadata,
    # "tables" (rate tables, jurisdictions, rules) or "accounts" (exemption certificates, traffic
    # studies): stored as read, parsed by tollway.tax when a bill run starts.
    Column("name", String(40), primary_key=True),
    Column("source", Text, nullable=False),
    Column("document", JSON, nullable=False),
)

# --- inventory ----------------------------------------------------------------------------------

products = Table(
    "products",
    metadata,
    _id(primary_key=True),
    _id("circuit_id", nullable=False, index=True),
    _id("billing_account_id", nullable=False, index=True),
    _id("offering_id", nullable=False),
    Column("bandwidth_mbps", ExactNumeric, nullable=False),
    _id("site_a_id", nullable=False),
    _id("site_z_id", nullable=True),
    _id("jurisdiction_id", nullable=False),
    _id("agreement_id", nullable=True),
    _id("bundle_id", nullable=True),
    Column("voice_channels", Integer, nullable=False, server_default="0"),
    Column("voice_line_type", String(40), nullable=True),
)

product_lifecycle_events = Table(
    "product_lifecycle_events",
    metadata,
    _id("product_id", ForeignKey("products.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("action", String(20), nullable=False),
    _id("offering_id", nullable=True),
    Column("bandwidth_mbps", ExactNumeric, nullable=True),
)

manual_credits = Table(
    "manual_credits",
    metadata,
    _id(primary_key=True),
    Column("position", Integer, nullable=False),
    _id("billing_account_id", nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("effective_at", UtcDateTime, nullable=False),
)

# --- bills --------------------------------------------------------------------------------------

customer_bills = Table(
    "customer_bills",
    metadata,
    _id(primary_key=True),
    _id("run_id", nullable=True, index=True),
    _id("billing_account_id", nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("billing_period_start", UtcDateTime, nullable=False),
    Column("billing_period_end", UtcDateTime, nullable=False),
    Column("bill_date", Date, nullable=False),
    Column("payment_due_date", Date, nullable=True),
    Column("state", String(20), nullable=False),
    Column("category", String(20), nullable=False),
    Column("invoice_series", String(40), nullable=False),
    Column("bill_number", BigInteger, nullable=True),
    Column("bill_no", String(80), nullable=True, unique=True),
    Column("related_bill_no", String(80), nullable=True),
    Column("consolidated_account_ids", JSON, nullable=False),
    Column("extra", JSON, nullable=False),
    Column("tax_excluded_amount_minor", BigInteger, nullable=False),
    Column("tax_amount_minor", BigInteger, nullable=False),
    Column("tax_included_amount_minor", BigInteger, nullable=False),
    Column("draft_digest", String(64), nullable=False),
    UniqueConstraint("invoice_series", "bill_number", name="uq_customer_bills_series_number"),
)

applied_billing_rates = Table(
    "applied_billing_rates",
    metadata,
    _id("bill_id", ForeignKey("customer_bills.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    _id("line_id", nullable=False),
    _id("billing_account_id", nullable=False),
    Column("charge_type", String(20), nullable=False),
    Column("name", Text, nullable=False),
    Column("period_start", UtcDateTime, nullable=False),
    Column("period_end", UtcDateTime, nullable=False),
    Column("quantity", ExactNumeric, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("precise_amount", ExactNumeric, nullable=False),
    _id("product_id", nullable=True),
    _id("circuit_id", nullable=True),
    _id("price_id", nullable=True),
    Column("unit", String(40), nullable=True),
    Column("unit_price", ExactNumeric, nullable=True),
    Column("breakdown", JSON, nullable=False),
    Column("taxes", JSON, nullable=False),
    Column("related_bill_no", String(80), nullable=True),
    Column("tax_inclusive", Boolean, nullable=False, server_default=false()),
    # Settlement and re-rating look lines up by product across every bill.
    Index("ix_applied_billing_rates_product_id", "product_id"),
)

tax_items = Table(
    "tax_items",
    metadata,
    _id("bill_id", ForeignKey("customer_bills.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("tax_category", String(80), nullable=False),
    Column("tax_rate", ExactNumeric, nullable=False),
    Column("tax_amount_minor", BigInteger, nullable=False),
)

invoice_number_series = Table(
    "invoice_number_series",
    metadata,
    Column("series", String(40), primary_key=True),
    Column("next_number", BigInteger, nullable=False),
)

# --- bill runs ----------------------------------------------------------------------------------

bill_runs = Table(
    "bill_runs",
    metadata,
    _id(primary_key=True),
    Column("period_start", UtcDateTime, nullable=False),
    Column("period_end", UtcDateTime, nullable=False),
    Column("bill_date", Date, nullable=False),
    Column("state", String(20), nullable=False),
    Column("world_digest", String(64), nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
)

bill_run_accounts = Table(
    "bill_run_accounts",
    metadata,
    _id("run_id", ForeignKey("bill_runs.id"), primary_key=True),
    _id("billing_account_id", primary_key=True),
    Column("batch_index", Integer, nullable=False),
    _id("bill_id", nullable=True),
    Column("state", String(20), nullable=False),
    ForeignKeyConstraint(["bill_id"], ["customer_bills.id"]),
    Index("ix_bill_run_accounts_run_state", "run_id", "state"),
)

WORLD_TABLES: Final = (
    parties,
    sites,
    billing_accounts,
    product_offerings,
    product_offering_prices,
    bundles,
    bundle_offerings,
    agreements,
    agreement_commitments,
    agreement_price_overrides,
    products,
    product_lifecycle_events,
    manual_credits,
)
"""The tables of the world snapshot, parents before children (insert in this order, delete in
the reverse)."""

# --- partner settlement (issue 7) ---------------------------------------------------------------
# Agreements and models are stored as their documents (tollway.settlement's file format), so a
# stored one goes through the same checks as a file. Versions are history: rows are only added.
# Statements are stored once per agreement, kind and period, with their digest; each posts one
# entry to the partner's settlement account.

partner_agreements = Table(
    "partner_agreements",
    metadata,
    _id(primary_key=True),
    _id("partner_id", nullable=False, index=True),
    Column("document", JSON, nullable=False),
)

partner_agreement_versions = Table(
    "partner_agreement_versions",
    metadata,
    _id("agreement_id", ForeignKey("partner_agreements.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("document", JSON, nullable=False),
)

revenue_share_models = Table(
    "revenue_share_models",
    metadata,
    _id(primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("document", JSON, nullable=False),
)

settlement_milestones = Table(
    "settlement_milestones",
    metadata,
    _id("agreement_id", ForeignKey("partner_agreements.id"), primary_key=True),
    _id("name", primary_key=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

partner_charges = Table(
    "partner_charges",
    metadata,
    _id("partner_id", primary_key=True),
    _id("partner_invoice_id", primary_key=True),
    _id("line_id", primary_key=True),
    Column("description", Text, nullable=False),
    Column("category", String(80), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("charge_date", Date, nullable=False),
    _id("import_id", nullable=False),
)

settlement_disputes = Table(
    "settlement_disputes",
    metadata,
    _id(primary_key=True),
    _id("partner_id", nullable=False, index=True),
    Column("side", String(20), nullable=False),
    _id("document_id", nullable=False),
    _id("line_id", nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("raised_on", Date, nullable=False),
    Column("resolved_on", Date, nullable=True),
    Column("accepted_amount_minor", BigInteger, nullable=True),
    Column("resolution_note", Text, nullable=True),
    # One dispute per invoice line (the core withholds one disputed part per entry).
    UniqueConstraint(
        "partner_id", "side", "document_id", "line_id", name="uq_settlement_disputes_line"
    ),
)

settlement_statements = Table(
    "settlement_statements",
    metadata,
    _id("agreement_id", ForeignKey("partner_agreements.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("period_start", UtcDateTime, primary_key=True),
    Column("period_end", UtcDateTime, nullable=False),
    _id("number", nullable=False),
    _id("partner_id", nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("digest", String(80), nullable=False),
    Column("document", JSON, nullable=False),
)

settlement_accounts = Table(
    "settlement_accounts",
    metadata,
    _id(primary_key=True),
    _id("partner_id", nullable=False),
    Column("currency", String(3), nullable=False),
    UniqueConstraint("partner_id", "currency", name="uq_settlement_accounts_partner_currency"),
)

settlement_entries = Table(
    "settlement_entries",
    metadata,
    _id("account_id", ForeignKey("settlement_accounts.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    _id("agreement_id", nullable=False),
    Column("kind", String(20), nullable=False),
    Column("period_start", UtcDateTime, nullable=False),
    _id("statement_number", nullable=False),
    Column("statement_digest", String(80), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("balance_minor", BigInteger, nullable=False),
    ForeignKeyConstraint(
        ["agreement_id", "kind", "period_start"],
        [
            "settlement_statements.agreement_id",
            "settlement_statements.kind",
            "settlement_statements.period_start",
        ],
    ),
    # Each statement posts exactly once.
    UniqueConstraint(
        "agreement_id", "kind", "period_start", name="uq_settlement_entries_statement"
    ),
)
