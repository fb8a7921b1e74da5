"""Parallel-run reconciliation: legacy invoices against tollway's, difference by difference.

Owns the interchange tables (`_tables`), the legacy importer and tollway extractor, matching and
classification (DuckDB, columnar), tolerances and cutover-readiness gates (`core`, pure), reports,
the legacy simulator and quote-to-bill checks. May import the billing core, storage and io; nothing
in the core may import this package.
"""
