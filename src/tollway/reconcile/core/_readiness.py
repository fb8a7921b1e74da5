"""Cutover readiness: configurable gates checked against the latest cycles of a parallel run.

The verdict looks at the last `consecutive_cycles` cycles (in cycle-name order): each must keep
its invoices within tolerance and its unexplained variance under the limits, and the unexplained
variance must not rise from one of those cycles to the next. Comparisons are exact (cross-
multiplied), so 99.89996 % never passes a 99.9 % gate by rounding.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Final

from tollway.money import to_decimal
from tollway.reconcile.core._summary import CycleSummary
from tollway.reconcile.core._tolerances import TolerancesError, check_keys, percent_text

_CYCLES_MAX: Final = 120


@dataclass(frozen=True, slots=True)
class ReadinessGates:
    """What a parallel run must show before cutover.

    - `consecutive_cycles`: how many of the latest cycles are judged (default 3); fewer cycles
      reconciled fails the `cycles` gate.
    - `invoices_within_tolerance_percent_min`: each judged cycle has at least this share of its
      invoices within tolerance (default 99.9).
    - `unexplained_variance_percent_max`: each judged cycle's unexplained variance is at most
      this percentage of the amount compared (default 0.1).
    - `unexplained_variance_max`: optionally, at most this amount (in the run's currency).
    - `unexplained_not_rising`: the unexplained variance never rises across the judged cycles.
    """

    consecutive_cycles: int = 3
    invoices_within_tolerance_percent_min: Decimal = Decimal("99.9")
    unexplained_variance_percent_max: Decimal = Decimal("0.1")
    unexplained_variance_max: Decimal | None = None
    unexplained_not_rising: bool = True

    def __post_init__(self) -> None:
        assert 1 <= self.consecutive_cycles <= _CYCLES_MAX
        assert Decimal(0) <= self.invoices_within_tolerance_percent_min <= Decimal(100)
        assert Decimal(0) <= self.unexplained_variance_percent_max <= Decimal(100)
        assert self.unexplained_variance_max is None or self.unexplained_variance_max >= 0


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate: whether it passed, and the figures that decided it."""

    gate: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class ReadinessVerdict:
    """Ready when every gate passed; `cycles` are the cycles judged, `currency` the currency of
    their amounts ("" when no cycle had an invoice)."""

    ready: bool
    currency: str
    cycles: tuple[str, ...]
    gates: tuple[GateResult, ...]

    def __post_init__(self) -> None:
        assert self.ready == all(gate.passed for gate in self.gates)

    @property
    def failed(self) -> tuple[GateResult, ...]:
        return tuple(gate for gate in self.gates if not gate.passed)


def readiness(summaries: Sequence[CycleSummary], gates: ReadinessGates) -> ReadinessVerdict:
    """Judge the latest `gates.consecutive_cycles` cycles against the gates.

    >>> from tollway.reconcile.core._summary import CategoryVariance, CycleSummary
    >>> def cycle(name: str, within: int, unexplained: str) -> CycleSummary:
    ...     amount = Decimal(unexplained)
    ...     by_category = (CategoryVariance("unexplained", 1, amount, amount),) if amount else ()
    ...     return CycleSummary(name, "USD", 1000, within, within, 10, 10, 10, 0, 0,
    ...         Decimal(100000), Decimal(100000), Decimal(100000), Decimal(100000) - amount,
    ...         amount, amount, by_category, ())
    >>> verdict = readiness(
    ...     [cycle("2026-01", 990, "50"), cycle("2026-02", 999, "40"), cycle("2026-03", 1000, "0")],
    ...     ReadinessGates(),
    ... )
    >>> verdict.ready, [gate.gate for gate in verdict.failed]
    (False, ['invoices_within_tolerance'])
    """
    ordered = sorted(summaries, key=lambda summary: summary.cycle)
    assert len({summary.cycle for summary in ordered}) == len(ordered), "a cycle appears twice"
    currencies = {summary.currency for summary in ordered} - {""}
    assert len(currencies) <= 1, f"one currency at a time (readiness_by_currency): {currencies}"
    judged = tuple(ordered[-gates.consecutive_cycles :])
    results = [
        _cycles_gate(ordered, gates),
        _per_cycle_gate(judged, "invoices_within_tolerance", _within_tolerance(gates)),
        _per_cycle_gate(judged, "unexplained_variance_percent", _unexplained_percent(gates)),
    ]
    if gates.unexplained_variance_max is not None:
        limit = gates.unexplained_variance_max
        results.append(_per_cycle_gate(judged, "unexplained_variance", _unexplained(limit)))
    if gates.unexplained_not_rising:
        results.append(_not_rising_gate(judged))
    return ReadinessVerdict(
        ready=all(result.passed for result in results),
        currency=currencies.pop() if currencies else "",
        cycles=tuple(summary.cycle for summary in judged),
        gates=tuple(results),
    )


def readiness_by_currency(
    summaries: Sequence[CycleSummary], gates: ReadinessGates
) -> tuple[ReadinessVerdict, ...]:
    """One verdict per currency (amounts of different currencies never mix); a cycle without any
    invoice (currency "") counts in every currency's history.

    >>> readiness_by_currency([], ReadinessGates())[0].currency
    ''
    """
    currencies = sorted({summary.currency for summary in summaries} - {""}) or [""]
    return tuple(
        readiness([summary for summary in summaries if summary.currency in (code, "")], gates)
        for code in currencies
    )


_Check = Callable[[CycleSummary], tuple[bool, str]]


def _month_number(cycle: str) -> int | None:
    """`"2026-03"` → 2026 × 12 + 2; None for a cycle not named YYYY-MM."""
    year, _, month = cycle.partition("-")
    if not (len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit()):
        return None
    return int(year) * 12 + int(month) - 1


def _latest_consecutive(ordered: Sequence[CycleSummary]) -> int:
    """How many of the latest cycles follow each other month by month (a gap ends the run)."""
    months = [_month_number(summary.cycle) for summary in ordered]
    run = 1 if months else 0
    for later, earlier in zip(reversed(months), list(reversed(months))[1:], strict=False):
        if later is None or earlier is None or later - earlier != 1:
            break
        run += 1
    return run


def _cycles_gate(ordered: Sequence[CycleSummary], gates: ReadinessGates) -> GateResult:
    required = gates.consecutive_cycles
    run = _latest_consecutive(ordered)
    if run == len(ordered):
        detail = f"{len(ordered)} cycle(s) reconciled, {required} consecutive required"
    else:
        latest = ordered[-run:]
        span = latest[0].cycle if run == 1 else f"{latest[0].cycle} to {latest[-1].cycle}"
        detail = (
            f"{len(ordered)} cycle(s) reconciled, the latest {run} consecutive ({span}); "
            f"{required} consecutive required"
        )
    return GateResult("cycles", run >= required, detail)


def _per_cycle_gate(judged: Sequence[CycleSummary], gate: str, check: _Check) -> GateResult:
    outcomes = [(summary.cycle, *check(summary)) for summary in judged]
    passed = bool(outcomes) and all(ok for _, ok, _ in outcomes)
    detail = "; ".join(f"{cycle}: {text}" for cycle, _, text in outcomes) or "no cycle reconciled"
    return GateResult(gate, passed, detail)


def _within_tolerance(gates: ReadinessGates) -> _Check:
    minimum = gates.invoices_within_tolerance_percent_min

    def check(summary: CycleSummary) -> tuple[bool, str]:
        within, compared = summary.invoices_within_tolerance, summary.invoices_compared
        passed = compared > 0 and within * 100 >= minimum * compared
        shown = percent_text(summary.invoices_within_tolerance_percent)
        return passed, f"{within} of {compared} invoices ({shown} %, at least {minimum} % needed)"

    return check


def _unexplained_percent(gates: ReadinessGates) -> _Check:
    maximum = gates.unexplained_variance_percent_max

    def check(summary: CycleSummary) -> tuple[bool, str]:
        amount, compared = summary.unexplained_variance, summary.amount_compared
        passed = amount * 100 <= maximum * compared
        shown = percent_text(summary.unexplained_variance_percent)
        return passed, f"{amount} of {compared} ({shown} %, at most {maximum} % allowed)"

    return check


def _unexplained(maximum: Decimal) -> _Check:
    def check(summary: CycleSummary) -> tuple[bool, str]:
        amount = summary.unexplained_variance
        return amount <= maximum, f"{amount} {summary.currency} (at most {maximum} allowed)"

    return check


def _not_rising_gate(judged: Sequence[CycleSummary]) -> GateResult:
    rises = [
        f"{later.cycle} ({later.unexplained_variance}) above {earlier.cycle} "
        f"({earlier.unexplained_variance})"
        for earlier, later in pairwise(judged)
        if later.unexplained_variance > earlier.unexplained_variance
    ]
    figures = ", ".join(f"{summary.cycle}: {summary.unexplained_variance}" for summary in judged)
    detail = "rose: " + "; ".join(rises) if rises else f"never rose ({figures or 'no cycle'})"
    return GateResult("unexplained_not_rising", not rises, detail)


def _bool(value: object, *, field: str) -> bool:
    if not isinstance(value, bool):
        raise TolerancesError(f"{field}: {value!r} must be true or false")
    return value


def gates_from_mapping(document: object) -> ReadinessGates:
    """Readiness gates from a parsed YAML/JSON mapping; keys left out keep their defaults.

    >>> gates = gates_from_mapping({"consecutive_cycles": 2, "unexplained_variance_max": "100"})
    >>> gates.consecutive_cycles, gates.unexplained_variance_max
    (2, Decimal('100'))
    """
    if not isinstance(document, Mapping):
        raise TolerancesError("gates: expected a mapping of settings")
    allowed = (
        "consecutive_cycles",
        "invoices_within_tolerance_percent_min",
        "unexplained_variance_percent_max",
        "unexplained_variance_max",
        "unexplained_not_rising",
    )
    check_keys(document, allowed, what="gates")
    defaults = ReadinessGates()
    cycles = to_decimal(document.get("consecutive_cycles", defaults.consecutive_cycles))
    if cycles != cycles.to_integral_value() or not 1 <= cycles <= _CYCLES_MAX:
        raise TolerancesError(f"consecutive_cycles: must be a whole number from 1 to {_CYCLES_MAX}")
    maximum = document.get("unexplained_variance_max")
    return ReadinessGates(
        consecutive_cycles=int(cycles),
        invoices_within_tolerance_percent_min=_percent_setting(
            document, "invoices_within_tolerance_percent_min", defaults
        ),
        unexplained_variance_percent_max=_percent_setting(
            document, "unexplained_variance_percent_max", defaults
        ),
        unexplained_variance_max=None
        if maximum is None
        else _non_negative(maximum, field="unexplained_variance_max"),
        unexplained_not_rising=_bool(
            document.get("unexplained_not_rising", True), field="unexplained_not_rising"
        ),
    )


def _percent_setting(
    document: Mapping[str, object], name: str, defaults: ReadinessGates
) -> Decimal:
    value = to_decimal(document.get(name, getattr(defaults, name)), field=name)
    if not Decimal(0) <= value <= Decimal(100):
        raise TolerancesError(f"{name}: {value} must be a percentage from 0 to 100")
    return value


def _non_negative(value: object, *, field: str) -> Decimal:
    number = to_decimal(value, field=field)
    if number < 0:
        raise TolerancesError(f"{field}: {number} must not be negative")
    return number
