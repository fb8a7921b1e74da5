"""The interchange tables a parallel run compares: one shape for legacy and tollway invoices.

Both systems' invoices are brought into these three Arrow tables (legacy ones by the importer,
tollway's by the extractor), and everything downstream — matching, classification, reports — reads
only these. Amounts, rates and quantities are DECIMAL(38, 9): exact, never DOUBLE. Dates are
calendar dates; a period is half-open [period_start, period_end).

`system` says whose row it is: "legacy" or "tollway". Ids are each system's own; the cross-walk maps
legacy account / circuit / product ids onto tollway's, with validity dates.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import pyarrow as pa

AMOUNT_TYPE: Final = pa.decimal128(38, 9)
"""Every amount, rate and quantity: exact decimal with 9 places."""


class System(StrEnum):
    LEGACY = "legacy"
    TOLLWAY = "tollway"


class LineChargeType(StrEnum):
    """The charge types lines are matched on (tollway's ChargeType values, plus `other` for legacy
    lines whose type is unknown)."""

    RECURRING = "recurring"
    ONE_TIME = "one_time"
    USAGE = "usage"
    DISCOUNT = "discount"
    PENALTY = "penalty"
    CREDIT = "credit"
    ADJUSTMENT = "adjustment"
    OTHER = "other"


class CrosswalkEntity(StrEnum):
    ACCOUNT = "account"
    CIRCUIT = "circuit"
    PRODUCT = "product"


class Category(StrEnum):
    """Root-cause categories of a difference (the classifier's vocabulary)."""

    MATCHED = "matched"
    """Within tolerance: not a difference."""
    MISSING_IN_NEW = "missing_in_new"
    EXTRA_IN_NEW = "extra_in_new"
    QUANTITY = "quantity"
    RATE = "rate"
    PRORATION = "proration"
    ROUNDING = "rounding"
    DISCOUNT = "discount"
    TAX_JURISDICTION = "tax_jurisdiction"
    TAX_EXEMPTION = "tax_exemption"
    TAX_BASE = "tax_base"
    TIMING = "timing"
    HIERARCHY = "hierarchy"
    USAGE_COMPLETENESS = "usage_completeness"
    TERM = "term"
    """Quote-to-bill only: the contract term billing holds differs from the quoted term."""
    UNEXPLAINED = "unexplained"


INVOICE_SCHEMA: Final = pa.schema(
    [
        pa.field("system", pa.string(), nullable=False),
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),
        pa.field("bill_date", pa.date32(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("total_excluding_tax", AMOUNT_TYPE, nullable=False),
        pa.field("tax_total", AMOUNT_TYPE, nullable=False),
        pa.field("total_including_tax", AMOUNT_TYPE, nullable=False),
    ]
)
"""One row per invoice (header). Credit notes are not compared in a parallel run's cycle."""

LINE_SCHEMA: Final = pa.schema(
    [
        pa.field("system", pa.string(), nullable=False),
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("line_id", pa.string(), nullable=False),
        # The account the line's service belongs to (a child account on a consolidated bill);
        # equal to the invoice's account_id when the bill is not consolidated.
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("circuit_id", pa.string()),
        pa.field("product_id", pa.string()),
        pa.field("charge_type", pa.string(), nullable=False),
        pa.field("description", pa.string(), nullable=False),
        pa.field("period_start", pa.date32()),
        pa.field("period_end", pa.date32()),
        pa.field("quantity", AMOUNT_TYPE),
        pa.field("unit_price", AMOUNT_TYPE),
        pa.field("amount", AMOUNT_TYPE, nullable=False),
        pa.field("currency", pa.string(), nullable=False),
    ]
)
"""One row per invoice line, tax excluded. `charge_type` is a LineChargeType value. Ids the legacy
system lacks are null (then matching falls back to fuzzier keys)."""

TAX_SCHEMA: Final = pa.schema(
    [
        pa.field("system", pa.string(), nullable=False),
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("line_id", pa.string()),
        pa.field("jurisdiction_id", pa.string(), nullable=False),
        pa.field("tax_type", pa.string(), nullable=False),
        pa.field("tax_rate", AMOUNT_TYPE),
        pa.field("taxable_amount", AMOUNT_TYPE),
        pa.field("tax_amount", AMOUNT_TYPE, nullable=False),
        pa.field("exempt", pa.bool_(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
    ]
)
"""One row per billed (or exempted) tax: on a line (`line_id`) or on the invoice (`line_id` null).
`exempt` rows carry the amount an exemption certificate removed and are not in `tax_total`."""

CROSSWALK_SCHEMA: Final = pa.schema(
    [
        pa.field("entity", pa.string(), nullable=False),
        pa.field("legacy_id", pa.string(), nullable=False),
        pa.field("tollway_id", pa.string(), nullable=False),
        pa.field("valid_from", pa.date32()),
        pa.field("valid_to", pa.date32()),
    ]
)
"""Legacy ids onto tollway ids (`entity` is a CrosswalkEntity value), valid over
[valid_from, valid_to); a null bound is open. An id re-keyed mid-run has two rows."""


class DifferenceLevel(StrEnum):
    INVOICE = "invoice"
    LINE = "line"
    TAX = "tax"


DIFFERENCE_SCHEMA: Final = pa.schema(
    [
        pa.field("cycle", pa.string(), nullable=False),
        pa.field("level", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("legacy_invoice_id", pa.string()),
        pa.field("tollway_invoice_id", pa.string()),
        pa.field("legacy_line_id", pa.string()),
        pa.field("tollway_line_id", pa.string()),
        pa.field("circuit_id", pa.string()),
        pa.field("charge_type", pa.string()),
        pa.field("jurisdiction_id", pa.string()),
        pa.field("tax_type", pa.string()),
        pa.field("category", pa.string(), nullable=False),
        pa.field("legacy_amount", AMOUNT_TYPE),
        pa.field("tollway_amount", AMOUNT_TYPE),
        pa.field("variance", AMOUNT_TYPE, nullable=False),
        pa.field("within_tolerance", pa.bool_(), nullable=False),
        pa.field("evidence", pa.string(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
    ]
)
"""One row per compared pair (or unpaired row) at invoice, line or tax level. `account_id` is
tollway's id (legacy ids translated through the cross-walk; a legacy account the cross-walk does not
know keeps its legacy id and is classified `unexplained` with that evidence). `variance` is tollway
minus legacy (a missing side counts as zero); `category` is a Category value (`matched` when within
tolerance); `evidence` says in words why the classifier chose the category (the rates, quantities,
periods or jurisdictions that differ)."""

LABEL_SCHEMA: Final = pa.schema(
    [
        pa.field("cycle", pa.string(), nullable=False),
        pa.field("level", pa.string(), nullable=False),
        pa.field("legacy_invoice_id", pa.string()),
        pa.field("tollway_invoice_id", pa.string()),
        pa.field("legacy_line_id", pa.string()),
        pa.field("tollway_line_id", pa.string()),
        pa.field("jurisdiction_id", pa.string()),
        pa.field("tax_type", pa.string()),
        pa.field("category", pa.string(), nullable=False),
        pa.field("note", pa.string(), nullable=False),
    ]
)
"""The legacy simulator's answer key: one row per injected difference, keyed like the difference
rows it should produce (line level by line ids; tax level by invoice, jurisdiction and tax type;
invoice level by invoice ids), so the classifier's accuracy is measured by a join."""


@dataclass(frozen=True, slots=True)
class InvoiceTables:
    """One system's invoices for a cycle: headers, lines and taxes as Arrow tables of the schemas
    above (checked on creation)."""

    invoices: pa.Table
    lines: pa.Table
    taxes: pa.Table

    def __post_init__(self) -> None:
        assert self.invoices.schema.equals(INVOICE_SCHEMA), "invoices do not have INVOICE_SCHEMA"
        assert self.lines.schema.equals(LINE_SCHEMA), "lines do not have LINE_SCHEMA"
        assert self.taxes.schema.equals(TAX_SCHEMA), "taxes do not have TAX_SCHEMA"

    @classmethod
    def empty(cls) -> "InvoiceTables":
        return cls(
            INVOICE_SCHEMA.empty_table(), LINE_SCHEMA.empty_table(), TAX_SCHEMA.empty_table()
        )
