"""Billing: charges for a cycle, assembled into bills shaped like TMF678.

Owns: the bill and line model (`CustomerBill`, `AppliedBillingRate`), and computing a cycle's
charges — recurring with proration on lifecycle changes, one-time, rated usage, bundle and
contract discounts, commitment shortfalls, credits, taxes behind an interface — into draft bills,
consolidated for account hierarchies.
Invariants: a bill's totals are the sums of its lines, checked on creation; issued bills never
change (corrections are credit notes or adjustment lines on a later bill).
May import: the pure core and the domain packages. The computation is pure; persistence and
numbering live in the bill-run orchestrator.
"""

from tollway.billing._bill import (
    AppliedBillingRate,
    AppliedTax,
    BillCategory,
    BillState,
    ChargeType,
    CustomerBill,
    TaxItem,
    TaxTreatment,
)
from tollway.billing._charges import BillingError
from tollway.billing._compute import compute_bills, usage_lines
from tollway.billing._corrections import (
    corrected_charge_type,
    credit_note_for,
    line_key,
    rerate_adjustments,
)
from tollway.billing._cycle import BillCycle, bill_cycle_for, follow_on_problem
from tollway.billing._discounts import TAX_INCLUSIVE_DISCOUNT_KIND
from tollway.billing._inputs import BillingInputs, ManualCredit
from tollway.billing._recurring import UNUSED_CREDIT_KIND
from tollway.billing._tax import TaxCalculator, ZeroTax
from tollway.billing._usage import (
    UsageChargeKey,
    UsageChargeKeyError,
    parse_usage_charge_key,
    usage_charge_key,
)
from tollway.billing._year_to_date import (
    AnnualClosing,
    annual_closings,
    year_to_date_total,
    year_to_date_totals,
)

__all__ = [
    "TAX_INCLUSIVE_DISCOUNT_KIND",
    "UNUSED_CREDIT_KIND",
    "AnnualClosing",
    "AppliedBillingRate",
    "AppliedTax",
    "BillCategory",
    "BillCycle",
    "BillState",
    "BillingError",
    "BillingInputs",
    "ChargeType",
    "CustomerBill",
    "ManualCredit",
    "TaxCalculator",
    "TaxItem",
    "TaxTreatment",
    "UsageChargeKey",
    "UsageChargeKeyError",
    "ZeroTax",
    "annual_closings",
    "bill_cycle_for",
    "compute_bills",
    "corrected_charge_type",
    "credit_note_for",
    "follow_on_problem",
    "line_key",
    "parse_usage_charge_key",
    "rerate_adjustments",
    "usage_charge_key",
    "usage_lines",
    "year_to_date_total",
    "year_to_date_totals",
]
