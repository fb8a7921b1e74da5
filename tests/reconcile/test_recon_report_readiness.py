"""Cutover readiness: each gate passing and failing on written-out cycle summaries."""

from decimal import Decimal

import pytest

from tollway.reconcile.core import (
    CategoryVariance,
    CycleSummary,
    ReadinessGates,
    TolerancesError,
    gates_from_mapping,
    readiness,
    readiness_by_currency,
)


def cycle(
    name: str,
    *,
    invoices: int = 10_000,
    within: int = 10_000,
    unexplained: str = "0",
    compared: str = "1000000.00",
    currency: str = "USD",
) -> CycleSummary:
    """A cycle of `invoices` invoices, `within` of them within tolerance, and `unexplained`
    variance out of `compared` (all of it the unexplained category's)."""
    amount = Decimal(unexplained)
    categories = (CategoryVariance("unexplained", 1, amount, amount),) if amount else ()
    return CycleSummary(
        cycle=name,
        currency=currency,
        invoices_compared=invoices,
        invoices_matched=within,
        invoices_within_tolerance=within,
        lines_compared=invoices * 10,
        lines_matched=invoices * 10,
        lines_within_tolerance=invoices * 10,
        taxes_compared=0,
        taxes_matched=0,
        legacy_total=Decimal(compared),
        tollway_total=Decimal(compared),
        amount_compared=Decimal(compared),
        amount_matched=Decimal(compared) - amount,
        absolute_variance=amount,
        unexplained_variance=amount,
        variance_by_category=categories,
        top_accounts=(),
    )


def outcome(summaries: list[CycleSummary]) -> dict[str, bool]:
    verdict = readiness(summaries, ReadinessGates())
    return {gate.gate: gate.passed for gate in verdict.gates}


CONVERGED = [
    cycle("2026-03", within=9_990, unexplained="900.00"),
    cycle("2026-04", within=9_995, unexplained="400.00"),
    cycle("2026-05", within=10_000, unexplained="0"),
]


def test_three_converging_cycles_are_ready() -> None:
    verdict = readiness(CONVERGED, ReadinessGates())
    assert verdict.ready
    assert verdict.currency == "USD"
    assert verdict.cycles == ("2026-03", "2026-04", "2026-05")
    assert [gate.detail for gate in verdict.gates] == [
        "3 cycle(s) reconciled, 3 consecutive required",
        "2026-03: 9990 of 10000 invoices (99.90 %, at least 99.9 % needed); "
        "2026-04: 9995 of 10000 invoices (99.95 %, at least 99.9 % needed); "
        "2026-05: 10000 of 10000 invoices (100.00 %, at least 99.9 % needed)",
        # 900 / 1,000,000 = 0.09 %.
        "2026-03: 900.00 of 1000000.00 (0.09 %, at most 0.1 % allowed); "
        "2026-04: 400.00 of 1000000.00 (0.04 %, at most 0.1 % allowed); "
        "2026-05: 0 of 1000000.00 (0.00 %, at most 0.1 % allowed)",
        "never rose (2026-03: 900.00, 2026-04: 400.00, 2026-05: 0)",
    ]


def test_fewer_cycles_than_required_are_not_ready() -> None:
    assert outcome(CONVERGED[1:]) == {
        "cycles": False,
        "invoices_within_tolerance": True,
        "unexplained_variance_percent": True,
        "unexplained_not_rising": True,
    }


def test_the_within_tolerance_gate_is_exact_at_its_bound() -> None:
    # 9,990 of 10,000 is exactly 99.9 %: passes. 9,989 (99.89 %) fails, though it shows as 99.89.
    exactly = [cycle(name, within=9_990) for name in ("2026-03", "2026-04", "2026-05")]
    assert outcome(exactly)["invoices_within_tolerance"] is True
    # 99,899 of 100,000 = 99.899 %, which two decimals would show as 99.90: still fails.
    below = [*exactly[:2], cycle("2026-05", invoices=100_000, within=99_899)]
    assert outcome(below)["invoices_within_tolerance"] is False


def test_the_unexplained_percentage_gate_is_exact_at_its_bound() -> None:
    # 0.1 % of 1,000,000.00 is 1,000.00.
    at_bound = [cycle(name, unexplained="1000.00") for name in ("2026-03", "2026-04", "2026-05")]
    assert outcome(at_bound)["unexplained_variance_percent"] is True
    above = [*at_bound[:2], cycle("2026-05", unexplained="1000.01")]
    assert outcome(above)["unexplained_variance_percent"] is False


def test_rising_unexplained_variance_is_not_ready() -> None:
    rising = [
        cycle("2026-03", unexplained="100.00"),
        cycle("2026-04", unexplained="50.00"),
        cycle("2026-05", unexplained="60.00"),
    ]
    verdict = readiness(rising, ReadinessGates())
    assert not verdict.ready
    assert [gate.detail for gate in verdict.failed] == [
        "rose: 2026-05 (60.00) above 2026-04 (50.00)"
    ]


def test_only_the_latest_cycles_are_judged() -> None:
    # A bad first cycle no longer counts once three good ones follow it.
    history = [cycle("2026-02", within=5_000, unexplained="50000.00"), *CONVERGED]
    assert readiness(history, ReadinessGates()).ready


def test_an_amount_gate_is_optional() -> None:
    gates = ReadinessGates(unexplained_variance_max=Decimal("500"))
    verdict = readiness(CONVERGED, gates)
    assert [gate.gate for gate in verdict.failed] == ["unexplained_variance"]
    assert verdict.failed[0].detail == (
        "2026-03: 900.00 USD (at most 500 allowed); 2026-04: 400.00 USD (at most 500 allowed); "
        "2026-05: 0 USD (at most 500 allowed)"
    )


def test_a_cycle_without_invoices_is_no_evidence() -> None:
    empty = [
        cycle(name, invoices=0, within=0, compared="0")
        for name in ("2026-03", "2026-04", "2026-05")
    ]
    assert outcome(empty)["invoices_within_tolerance"] is False


def test_each_currency_is_judged_on_its_own() -> None:
    summaries = [
        *CONVERGED,
        *(cycle(name, within=9_000, currency="EUR") for name in ("2026-03", "2026-04", "2026-05")),
    ]
    verdicts = readiness_by_currency(summaries, ReadinessGates())
    assert [(verdict.currency, verdict.ready) for verdict in verdicts] == [
        ("EUR", False),
        ("USD", True),
    ]


def test_gates_are_read_from_a_settings_mapping() -> None:
    gates = gates_from_mapping(
        {
            "consecutive_cycles": 2,
            "invoices_within_tolerance_percent_min": Decimal("99.5"),
            "unexplained_variance_percent_max": Decimal("0.05"),
            "unexplained_variance_max": 250,
            "unexplained_not_rising": False,
        }
    )
    assert gates == ReadinessGates(
        consecutive_cycles=2,
        invoices_within_tolerance_percent_min=Decimal("99.5"),
        unexplained_variance_percent_max=Decimal("0.05"),
        unexplained_variance_max=Decimal("250"),
        unexplained_not_rising=False,
    )
    assert [gate.gate for gate in readiness(CONVERGED[1:], gates).gates] == [
        "cycles",
        "invoices_within_tolerance",
        "unexplained_variance_percent",
        "unexplained_variance",
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"consecutive_cycles": 0}, "consecutive_cycles: must be a whole number from 1"),
        ({"invoices_within_tolerance_percent_min": 120}, "must be a percentage from 0 to 100"),
        ({"unexplained_variance_max": -1}, "must not be negative"),
        ({"unexplained_not_rising": "yes"}, "must be true or false"),
        ({"cycles": 3}, "unknown setting 'cycles'"),
    ],
)
def test_bad_gate_settings_are_refused(document: object, message: str) -> None:
    with pytest.raises(TolerancesError, match=message):
        gates_from_mapping(document)
