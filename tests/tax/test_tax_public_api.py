"""The tax package's public surface is explicit and pinned."""

import importlib

import pytest

import tollway.tax


def _isort_style(name: str) -> tuple[int, str]:
    if name.isupper():
        return (0, name)
    return (1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("package", ["tollway.tax", "tollway.tax.core"])
def test_all_is_sorted_complete_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    exported = module.__all__
    assert exported == sorted(exported, key=_isort_style)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, type(importlib))
    }
    assert set(exported) == public


def test_the_tax_exports_are_pinned() -> None:
    assert tollway.tax.__all__ == [
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
