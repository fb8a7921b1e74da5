"""The tax rules engine's pure core: rate tables, jurisdictions, exemptions, and the calculation.

Owns: the tax tables (`TaxTables`: jurisdictions, interstate allocations, effective-dated rules)
and their checks, the account tax data (exemption certificates, traffic studies), the `TaxEngine`
that fills in a bill's `appliedTax` and `taxItem`s, the `TaxProvider` seam, and the tax detail
rows of the compliance export.
Invariants: every tax is rounded to the currency's minor unit at the tax line; a tax-exclusive
line keeps its amount, a tax-inclusive one is split into net and billed taxes adding up to its
price; tax items are the BILLED taxes per category and rate; the same inputs give the same taxes.
Tables with overlapping rows, a tax-on-tax cycle or an unknown jurisdiction are refused on load.
May import: the pure core (money, accounts, catalog, inventory, billing). Never I/O: files are read
by `tollway.tax._files`.
"""

from tollway.tax.core._account_data import parse_tax_account_data
from tollway.tax.core._calculate import CAPPED_SUFFIX
from tollway.tax.core._detail import TaxDetailRow, tax_detail_rows
from tollway.tax.core._engine import TaxEngine, TaxProvider, tax_items
from tollway.tax.core._model import (
    Bracket,
    Calculation,
    ExemptionCertificate,
    InterstateAllocation,
    Jurisdiction,
    JurisdictionLevel,
    LineUnits,
    Portion,
    SaleType,
    TaxAccountData,
    TaxAccountDataError,
    TaxError,
    TaxRule,
    TaxTableError,
    TaxTables,
    Tier,
    TrafficStudy,
)
from tollway.tax.core._place import PRIVATE_LINE_INTERSTATE_PERCENT_MAX
from tollway.tax.core._tables import parse_tax_tables

__all__ = [
    "CAPPED_SUFFIX",
    "PRIVATE_LINE_INTERSTATE_PERCENT_MAX",
    "Bracket",
    "Calculation",
    "ExemptionCertificate",
    "InterstateAllocation",
    "Jurisdiction",
    "JurisdictionLevel",
    "LineUnits",
    "Portion",
    "SaleType",
    "TaxAccountData",
    "TaxAccountDataError",
    "TaxDetailRow",
    "TaxEngine",
    "TaxError",
    "TaxProvider",
    "TaxRule",
    "TaxTableError",
    "TaxTables",
    "Tier",
    "TrafficStudy",
    "parse_tax_account_data",
    "parse_tax_tables",
    "tax_detail_rows",
    "tax_items",
]
