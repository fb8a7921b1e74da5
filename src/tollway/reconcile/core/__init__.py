"""The pure core of a parallel run: tolerances, cycle summaries, trend and cutover readiness.

Owns: `Tolerances` (line, rounding, invoice and per-category limits, inclusive), `CycleSummary`
(a cycle in figures, persisted as plain data), the trend across cycles, `ReadinessGates` and the
`readiness` verdict.
Invariants: frozen dataclasses in, results out; amounts and percentages are Decimals compared
exactly; the same summaries always give the same verdict.
May import: the standard library and `tollway.money`. No I/O, no clock, no DuckDB or Arrow (the
engine in `tollway.reconcile` runs these rules in bulk and hands the core its figures).
"""

from tollway.reconcile.core._readiness import (
    GateResult,
    ReadinessGates,
    ReadinessVerdict,
    gates_from_mapping,
    readiness,
    readiness_by_currency,
)
from tollway.reconcile.core._summary import (
    AccountVariance,
    CategoryVariance,
    CycleSummary,
    SummaryFormatError,
    TrendPoint,
    percent_of,
    summary_from_mapping,
    summary_to_mapping,
    top_accounts_max,
    trend,
)
from tollway.reconcile.core._tolerances import (
    CATEGORIES,
    Tolerances,
    TolerancesError,
    percent_text,
    tolerances_from_mapping,
)

__all__ = [
    "CATEGORIES",
    "AccountVariance",
    "CategoryVariance",
    "CycleSummary",
    "GateResult",
    "ReadinessGates",
    "ReadinessVerdict",
    "SummaryFormatError",
    "Tolerances",
    "TolerancesError",
    "TrendPoint",
    "gates_from_mapping",
    "percent_of",
    "percent_text",
    "readiness",
    "readiness_by_currency",
    "summary_from_mapping",
    "summary_to_mapping",
    "tolerances_from_mapping",
    "top_accounts_max",
    "trend",
]
