"""Billing periods, proration and credits for unused prepaid time.

Owns: billing periods (weekly, monthly, quarterly, annual; calendar or anniversary alignment; a
bill-cycle day that clamps to short months without sticking; a time zone), proration of a period's
price over part of it under every named convention, and the credit and charge lines of a
cancellation or a mid-period plan change.
Invariants: a period is a half-open interval [start, end) between local midnights of its time zone,
and consecutive periods neither overlap nor leave a gap; a proration fraction lies in [0, 1], a
whole cycle is exactly 1 under every convention and a stub (a period shorter than its cycle) is its
share of the full cycle that holds it; amounts are exact Decimals, left unrounded for the pricing or
billing layer to round at its named stage; a credit is negative.
May import: `tollway.money`, `tollway.conventions`, the standard library (datetime, zoneinfo,
fractions, calendar). No clock, no I/O.
"""

from tollway.periods._credit import Credit, PlanChange, plan_change, unused_credit
from tollway.periods._period import (
    Alignment,
    BillingPeriod,
    Cadence,
    PeriodError,
    local_midnight,
    next_period,
    period_containing,
    periods_between,
)
from tollway.periods._proration import Proration, ProrationUnit, prorate, splits_add_up

__all__ = [
    "Alignment",
    "BillingPeriod",
    "Cadence",
    "Credit",
    "PeriodError",
    "PlanChange",
    "Proration",
    "ProrationUnit",
    "local_midnight",
    "next_period",
    "period_containing",
    "periods_between",
    "plan_change",
    "prorate",
    "splits_add_up",
    "unused_credit",
]
