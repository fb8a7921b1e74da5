"""A three-cycle parallel run that converges, for the demo: the legacy system's differences
shrink cycle by cycle until only rounding within tolerance is left.

- cycle 1: many differences, of every category;
- cycle 2: a few (a rate, a timing, a tax base and a usage-completeness difference);
- cycle 3: nothing beyond tolerance — a float-rounding cent here and there, which the default line
  tolerance (one minor unit) accepts.
Every cycle keeps the legacy system's shape (legacy ids, split lines, lines without circuit ids),
and ids re-keyed at the second cycle's start, so the cross-walk's validity dates matter.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Final

import pyarrow.csv as pa_csv

from tollway.reconcile._legacy_format import LegacyEncoding
from tollway.reconcile._legacy_write import write_legacy
from tollway.reconcile._simulate import InjectionPlan, SimulatedLegacy, simulate_legacy
from tollway.reconcile._tables import Category, InvoiceTables

CONVERGENCE_PLANS: Final = (
    InjectionPlan(difference_percent=Decimal(5), per_category_min=1),
    InjectionPlan(
        difference_percent=Decimal("0.1"),
        per_category_min=1,
        categories=(
            Category.RATE,
            Category.TIMING,
            Category.TAX_BASE,
            Category.USAGE_COMPLETENESS,
        ),
    ),
    InjectionPlan(
        difference_percent=Decimal("0.1"), per_category_min=1, categories=(Category.ROUNDING,)
    ),
)
"""The three cycles' plans: many, few, none beyond tolerance."""
ANSWER_KEY_FILE: Final = "answer-key.csv"
"""Written beside the legacy files (the importer ignores it): what the simulator injected."""


@dataclass(frozen=True, slots=True)
class ScenarioCycle:
    """One cycle of the scenario: where its legacy files are, and what was simulated."""

    cycle: str
    directory: Path
    simulated: SimulatedLegacy


def convergence_scenario(
    tollway_cycles: Mapping[str, InvoiceTables],
    directory: Path,
    *,
    seed: int,
    format: LegacyEncoding = "csv",
) -> tuple[ScenarioCycle, ...]:
    """Write the legacy side of a converging parallel run of three or more cycles under
    `directory` (cycles after the third are like the third).

    `tollway_cycles` are tollway's invoices of consecutive cycles by cycle name (e.g.
    "2026-02"); each cycle's legacy files (invoices, lines, taxes, cross-walk, in `format`) and
    its answer key go to `directory/<cycle>/`. Same tables and seed, same files.

    >>> import tempfile
    >>> cycles = {name: InvoiceTables.empty() for name in ("2026-02", "2026-03", "2026-04")}
    >>> written = convergence_scenario(cycles, Path(tempfile.mkdtemp()), seed=7)
    >>> [(cycle.cycle, cycle.directory.name) for cycle in written]
    [('2026-02', '2026-02'), ('2026-03', '2026-03'), ('2026-04', '2026-04')]
    """
    names = sorted(tollway_cycles)
    assert len(names) >= len(CONVERGENCE_PLANS), f"three cycles or more, got {names}"
    # Cycles after the third stay converged: rounding within tolerance only.
    plans = CONVERGENCE_PLANS + (CONVERGENCE_PLANS[-1],) * (len(names) - len(CONVERGENCE_PLANS))
    second = tollway_cycles[names[1]].invoices.column("period_start").to_pylist()
    rekey_date = min(second, default=None)
    written = []
    for name, plan in zip(names, plans, strict=True):
        simulated = simulate_legacy(
            tollway_cycles[name],
            seed=seed,
            cycle=name,
            injection=replace(plan, rekey_date=rekey_date),
        )
        target = directory / name
        write_legacy(simulated.legacy, simulated.crosswalk, target, format=format)
        pa_csv.write_csv(simulated.labels, target / ANSWER_KEY_FILE)
        written.append(ScenarioCycle(name, target, simulated))
    return tuple(written)
