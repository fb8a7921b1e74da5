"""Parallel-run reconciliation: legacy invoices against tollway's, difference by difference.

Owns the interchange tables (`_tables`), the legacy importer and tollway extractor, matching and
classification (DuckDB, columnar), tolerances and cutover-readiness gates (`core`, pure), reports,
the legacy simulator and quote-to-bill checks. May import the billing core, storage and io; nothing
in the core may import this package.
"""

from tollway.reconcile._accuracy import AccuracyReport, CategoryAccuracy, measure_accuracy
from tollway.reconcile._cycle import CycleResult, MixedCurrencyError, reconcile_cycle
from tollway.reconcile._extract import tollway_tables
from tollway.reconcile._html import render_html, write_html
from tollway.reconcile._legacy import LegacyImport, read_legacy, write_rejects_csv
from tollway.reconcile._legacy_write import write_legacy
from tollway.reconcile._parquet import InvoiceTablesFileError, read_parquet, write_parquet
from tollway.reconcile._quotes_check import QuoteCheck, check_quotes
from tollway.reconcile._quotes_crosswalk import read_crosswalk
from tollway.reconcile._quotes_read import QuoteImport, read_quotes
from tollway.reconcile._run_directory import (
    ParallelRunError,
    load_differences,
    load_summaries,
    reconciled_cycles,
    save_cycle,
)
from tollway.reconcile._scenario import ScenarioCycle, convergence_scenario
from tollway.reconcile._simulate import (
    InjectionPlan,
    InjectionPlanError,
    SimulatedLegacy,
    simulate_legacy,
)
from tollway.reconcile._tables import (
    CROSSWALK_SCHEMA,
    DIFFERENCE_SCHEMA,
    INVOICE_SCHEMA,
    LABEL_SCHEMA,
    LINE_SCHEMA,
    TAX_SCHEMA,
    Category,
    InvoiceTables,
)
from tollway.reconcile.core import (
    CycleSummary,
    ReadinessGates,
    ReadinessVerdict,
    Tolerances,
    readiness,
    readiness_by_currency,
)

__all__ = [
    "CROSSWALK_SCHEMA",
    "DIFFERENCE_SCHEMA",
    "INVOICE_SCHEMA",
    "LABEL_SCHEMA",
    "LINE_SCHEMA",
    "TAX_SCHEMA",
    "AccuracyReport",
    "Category",
    "CategoryAccuracy",
    "CycleResult",
    "CycleSummary",
    "InjectionPlan",
    "InjectionPlanError",
    "InvoiceTables",
    "InvoiceTablesFileError",
    "LegacyImport",
    "MixedCurrencyError",
    "ParallelRunError",
    "QuoteCheck",
    "QuoteImport",
    "ReadinessGates",
    "ReadinessVerdict",
    "ScenarioCycle",
    "SimulatedLegacy",
    "Tolerances",
    "check_quotes",
    "convergence_scenario",
    "load_differences",
    "load_summaries",
    "measure_accuracy",
    "read_crosswalk",
    "read_legacy",
    "read_parquet",
    "read_quotes",
    "readiness",
    "readiness_by_currency",
    "reconcile_cycle",
    "reconciled_cycles",
    "render_html",
    "save_cycle",
    "simulate_legacy",
    "tollway_tables",
    "write_html",
    "write_legacy",
    "write_parquet",
    "write_rejects_csv",
]
