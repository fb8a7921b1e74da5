"""Cutover readiness counts consecutive MONTHS: cycles with a gap between them are not three
consecutive cycles, however clean each one is."""

from tollway.reconcile.core import ReadinessGates, readiness

from .test_recon_report_readiness import cycle


def test_three_clean_cycles_with_gaps_are_not_consecutive() -> None:
    # 2026-01, 2026-04, 2026-06: the latest run of consecutive months is 2026-06 alone.
    verdict = readiness([cycle("2026-01"), cycle("2026-04"), cycle("2026-06")], ReadinessGates())
    assert not verdict.ready
    assert [gate.gate for gate in verdict.failed] == ["cycles"]
    assert verdict.failed[0].detail == (
        "3 cycle(s) reconciled, the latest 1 consecutive (2026-06); 3 consecutive required"
    )


def test_three_consecutive_months_across_a_year_end_are_ready() -> None:
    # 2025-11, 2025-12, 2026-01: consecutive across the new year.
    verdict = readiness([cycle("2025-11"), cycle("2025-12"), cycle("2026-01")], ReadinessGates())
    assert verdict.ready
    assert verdict.cycles == ("2025-11", "2025-12", "2026-01")


def test_an_old_gap_before_three_consecutive_months_does_not_matter() -> None:
    # 2025-09, then 2026-01..03: the latest three are consecutive.
    verdict = readiness(
        [cycle("2025-09"), cycle("2026-01"), cycle("2026-02"), cycle("2026-03")],
        ReadinessGates(),
    )
    assert verdict.ready
