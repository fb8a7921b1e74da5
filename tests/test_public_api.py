"""The public surface is explicit: what `tollway` and the core packages export is pinned here."""

import importlib

import pytest

import tollway


def test_top_level_exports_are_pinned() -> None:
    assert tollway.__all__ == [
        "BillingPeriod",
        "Cadence",
        "Conventions",
        "Currency",
        "Money",
        "PriceDefinition",
        "PriceResult",
        "RoundingMode",
        "RoundingStage",
        "TollwayError",
        "UsageEvent",
        "currency",
        "format_money",
        "parse_price_catalog",
        "parse_price_definition",
        "period_containing",
        "price",
        "profile",
        "prorate",
    ]


def _isort_style(name: str) -> tuple[int, str]:
    """CONSTANTS first, then Classes, then functions (the order ruff's RUF022 keeps)."""
    if name.isupper():
        return (0, name)
    return (1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize(
    "package",
    [
        "tollway",
        "tollway.money",
        "tollway.conventions",
        "tollway.periods",
        "tollway.pricing",
        "tollway.pricing.schema",
        "tollway.rating.reference",
        "tollway.rating.duckdb",
        "tollway.accounts",
        "tollway.catalog",
        "tollway.contracts",
        "tollway.inventory",
        "tollway.billing",
        "tollway.tax",
        "tollway.tax.core",
        "tollway.tax.provider",
        "tollway.settlement",
        "tollway.settlement.core",
        "tollway.reconcile",
        "tollway.reconcile.core",
    ],
)
def test_all_is_sorted_complete_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    exported = module.__all__
    assert exported == sorted(exported, key=_isort_style)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, type(importlib))
        and name != "annotations"
    }
    assert set(exported) == public
