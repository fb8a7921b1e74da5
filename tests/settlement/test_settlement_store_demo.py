"""The settlement demo: both deals of issue 7 through a fresh workspace, the same text every time."""

from pathlib import Path

import pytest

from tollway.cli._settlement import SettlementCommandError, settlement_demo


def test_the_demo_shows_both_deals_and_the_accounts(tmp_path: Path) -> None:
    shown = settlement_demo(tmp_path / "first").splitlines()

    assert "  2025-04  4,000,000.00  2,780,000.00  -180,000.00  1,400,000.00  CP-STRATUS" in shown
    assert "  2025-06  4,000,000.00  2,660,000.00         0.00  1,340,000.00  CP-STRATUS" in shown
    assert (
        "  Projected savings over 12 months: own infrastructure 52,800,000.00 - cloud charges "
        "31,260,000.00 = 21,540,000.00 USD" in shown
    )
    assert (
        "  Licences d2c-spectrum-lease-L-band, orbital-d2c-brand exclusive in US until "
        "2032-12-31; OP-NORTHWIND holds 6.5 % of SAT-ORBITAL." in shown
    )
    assert "  2025-06  payable    86,800.00 USD" in shown
    assert "  2025-07  payable         0.00 USD" in shown
    assert "  Balance -16,740,000.00 USD: partner owes operator" in shown
    assert "  Balance 1,016,800.00 USD: operator owes partner" in shown


def test_the_demo_is_deterministic(tmp_path: Path) -> None:
    assert settlement_demo(tmp_path / "one") == settlement_demo(tmp_path / "two")


def test_the_demo_needs_a_fresh_folder(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")

    with pytest.raises(SettlementCommandError) as raised:
        settlement_demo(tmp_path / "used")

    assert raised.value.message.endswith("used is not empty; the demo needs a fresh folder")
