"""Taxes and regulatory fees: the local rules engine, its tables and files, the provider seam.

Owns: `tollway.tax.core` (pure: tables, jurisdictions, allocation, exemptions, the `TaxEngine`),
the file adapters here (rate tables and account data read from YAML/JSON, the tax detail CSV,
the shipped ILLUSTRATIVE demonstration tables in `data/`), and `tollway.tax.provider` (an adapter
onto an external communications tax service).
Invariants: see `tollway.tax.core`; files are read exactly (numbers as Decimals) and every problem
names the file and the row.
May import: the pure core, `tollway.io` for reading documents. Nothing imports the provider's
network transport unless a setting configures it.
"""

from tollway.tax._files import (
    TAX_DETAIL_COLUMNS,
    demo_tax_account_data_path,
    demo_tax_tables_path,
    load_tax_account_data,
    load_tax_tables,
    write_tax_detail_csv,
)
from tollway.tax.core import (
    Calculation,
    ExemptionCertificate,
    Jurisdiction,
    JurisdictionLevel,
    Portion,
    SaleType,
    TaxAccountData,
    TaxAccountDataError,
    TaxDetailRow,
    TaxEngine,
    TaxError,
    TaxProvider,
    TaxRule,
    TaxTableError,
    TaxTables,
    TrafficStudy,
    parse_tax_account_data,
    parse_tax_tables,
    tax_detail_rows,
    tax_items,
)
from tollway.tax.provider import (
    CommunicationsTaxAdapter,
    FakeCommunicationsTaxService,
    TaxProviderError,
    adapter_from_settings,
)

__all__ = [
    "TAX_DETAIL_COLUMNS",
    "Calculation",
    "CommunicationsTaxAdapter",
    "ExemptionCertificate",
    "FakeCommunicationsTaxService",
    "Jurisdiction",
    "JurisdictionLevel",
    "Portion",
    "SaleType",
    "TaxAccountData",
    "TaxAccountDataError",
    "TaxDetailRow",
    "TaxEngine",
    "TaxError",
    "TaxProvider",
    "TaxProviderError",
    "TaxRule",
    "TaxTableError",
    "TaxTables",
    "TrafficStudy",
    "adapter_from_settings",
    "demo_tax_account_data_path",
    "demo_tax_tables_path",
    "load_tax_account_data",
    "load_tax_tables",
    "parse_tax_account_data",
    "parse_tax_tables",
    "tax_detail_rows",
    "tax_items",
    "write_tax_detail_csv",
]
