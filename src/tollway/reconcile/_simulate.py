"""The legacy simulator: tollway's invoices of a cycle as a legacy system would have billed them,
with known, labelled differences, so the classifier's accuracy is measured rather than assumed.

From tollway's InvoiceTables it builds the legacy copy a parallel run compares against:
- legacy ids everywhere (`LEG-` + tollway's; some accounts, circuits and products re-keyed to
  `LEGR-…` mid-run), with the cross-walk that maps them back;
- lines legacy sends without a circuit id (some without a product id), and lines legacy splits in
  two pieces — neither is a difference, both must match;
- a share of injected differences of every root-cause category (`INJECTABLE_CATEGORIES`), each
  labelled in an answer key of LABEL_SCHEMA keyed like the classifier's difference rows.
Each injected difference touches its own lines and tax groups only, so every compared row has at
most one cause; legacy invoice totals are recomputed from legacy lines and taxes.

Same tables, seed, cycle and plan: byte-identical results (a seeded `random.Random`, hashes of
ids, stable row orders). Amounts stay Decimal, except where the simulator reproduces a legacy
system's binary floating point on purpose (`_simulate_float`).
"""

import random
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Final

import pyarrow as pa

from tollway.money import TollwayError
from tollway.reconcile._simulate_assemble import (
    assemble,
    assert_totals,
    split_lines,
    splittable,
    strip_ids,
)
from tollway.reconcile._simulate_draft import Candidate, Draft, Injection
from tollway.reconcile._simulate_ids import LegacyKeys, crosswalk_table
from tollway.reconcile._simulate_lines import HIERARCHY, LINE_INJECTIONS
from tollway.reconcile._simulate_rows import rows_of, table_of
from tollway.reconcile._simulate_taxes import ROUNDING, TAX_INJECTIONS
from tollway.reconcile._tables import LABEL_SCHEMA, Category, InvoiceTables, System

INJECTABLE_CATEGORIES: Final = tuple(
    category
    for category in Category
    if category not in (Category.MATCHED, Category.UNEXPLAINED, Category.TERM)
)
"""Every root-cause category of an invoice comparison, which the simulator injects: all but
`matched`, `unexplained` and `term` (a quote-to-bill category: invoices carry no contract term)."""
LABEL_ORDER: Final = (
    "cycle",
    "level",
    "category",
    "tollway_invoice_id",
    "tollway_line_id",
    "legacy_line_id",
    "jurisdiction_id",
    "tax_type",
)


class InjectionPlanError(TollwayError):
    code = "invalid_injection_plan"


@dataclass(frozen=True, slots=True)
class InjectionPlan:
    """What the simulated legacy system gets wrong, and how it otherwise differs in shape.

    >>> InjectionPlan(difference_percent=Decimal(10)).count_per_category(lines=260)
    2
    """

    difference_percent: Decimal = Decimal(5)
    """Share of tollway's lines that get an injected difference, spread evenly over the
    categories (fewer where the cycle has too few lines a category can apply to)."""
    per_category_min: int = 1
    """At least this many of each category, however few lines the cycle has."""
    categories: tuple[Category, ...] = INJECTABLE_CATEGORIES
    split_lines: int = 2
    """Lines legacy bills in two pieces (not a difference)."""
    lines_without_circuit_percent: Decimal = Decimal(5)
    """Untouched lines legacy sends without a circuit id (not a difference)."""
    rekeyed_percent: Decimal = Decimal(10)
    """Accounts, circuits and products legacy re-keys on `rekey_date` (two cross-walk rows)."""
    rekey_date: date | None = None
    """When re-keyed ids change; None: the earliest period start of the cycle's invoices."""
    difference_minor_min: int = 100
    """Every injected difference but rounding moves an amount by at least this many minor units."""

    def __post_init__(self) -> None:
        for name in ("difference_percent", "lines_without_circuit_percent", "rekeyed_percent"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not 0 <= value <= 100:
                raise InjectionPlanError(f"{name} must be a Decimal from 0 to 100, got {value!r}")
        for name in ("per_category_min", "split_lines", "difference_minor_min"):
            if getattr(self, name) < 0:
                raise InjectionPlanError(f"{name} must be 0 or more, got {getattr(self, name)}")
        unknown = [item for item in self.categories if item not in INJECTABLE_CATEGORIES]
        if unknown or len(set(self.categories)) != len(self.categories):
            raise InjectionPlanError(
                f"categories must be distinct injectable categories, got {self.categories}"
            )

    def count_per_category(self, *, lines: int) -> int:
        """Differences to inject of each category in a cycle of `lines` tollway lines."""
        if self.difference_percent == 0 or not self.categories:
            return 0
        share = Decimal(lines) * self.difference_percent / (100 * len(self.categories))
        return max(self.per_category_min, int(share.to_integral_value(rounding=ROUND_CEILING)))


@dataclass(frozen=True, slots=True)
class SimulatedLegacy:
    """The legacy copy of a cycle: its invoice tables, the cross-walk from its ids to tollway's,
    and the answer key (LABEL_SCHEMA, one row per injected difference)."""

    legacy: InvoiceTables
    crosswalk: pa.Table
    labels: pa.Table

    def injected(self) -> dict[str, int]:
        """Labels per category."""
        counts: dict[str, int] = {}
        for category in self.labels.column("category").to_pylist():
            counts[category] = counts.get(category, 0) + 1
        return dict(sorted(counts.items()))


def simulate_legacy(
    tollway: InvoiceTables, *, seed: int, cycle: str, injection: InjectionPlan
) -> SimulatedLegacy:
    """The legacy system's invoices for tollway's `cycle`, with `injection`'s differences.

    >>> simulated = simulate_legacy(
    ...     InvoiceTables.empty(), seed=7, cycle="2026-03", injection=InjectionPlan()
    ... )
    >>> simulated.legacy.invoices.num_rows, simulated.labels.num_rows
    (0, 0)
    """
    invoices, lines, taxes = (
        rows_of(table) for table in (tollway.invoices, tollway.lines, tollway.taxes)
    )
    assert all(row["system"] == System.TOLLWAY.value for row in invoices), "not tollway's invoices"
    assert_totals(invoices, lines, taxes)
    draft = Draft.of(cycle, invoices, lines, taxes)
    rng = random.Random(f"tollway legacy simulator/{seed}/{cycle}")
    _inject(draft, rng, injection, count=injection.count_per_category(lines=len(lines)))
    split_lines(draft, rng, injection.split_lines, safe=splittable(lines))
    strip_ids(draft, percent=injection.lines_without_circuit_percent, seed=seed)
    first_start = min((row["period_start"] for row in invoices), default=date(1970, 1, 1))
    keys = LegacyKeys(seed, injection.rekeyed_percent, injection.rekey_date or first_start)
    return SimulatedLegacy(
        legacy=assemble(draft, keys),
        crosswalk=crosswalk_table(keys, lines, invoices),
        labels=table_of(draft.labels, LABEL_SCHEMA, sort_keys=LABEL_ORDER),
    )


def _inject(draft: Draft, rng: random.Random, plan: InjectionPlan, *, count: int) -> None:
    """Round by round, one difference of each category in turn, so that when lines run short
    every category still gets its share. Within a round: hierarchy first (it moves whole groups
    of lines), then the tax categories and rounding (while tax groups are still untouched), then
    the other line categories. Each category lists its candidates once, when it first runs, in a
    seeded order, and works through them; it is done when they run out."""
    wanted = set(plan.categories)
    queues = {
        injection.category: _Queue(injection)
        for injection in INJECTION_ORDER
        if injection.category in wanted
    }
    done = dict.fromkeys(queues, 0)
    while any(done[category] < count and not queue.exhausted for category, queue in queues.items()):
        for category, queue in queues.items():
            if done[category] < count and not queue.exhausted:
                done[category] += queue.next(draft, rng, plan.difference_minor_min)


class _Queue:
    """One category's candidates in their seeded order, listed on first use."""

    def __init__(self, injection: Injection) -> None:
        self.injection = injection
        self.remaining: list[Candidate] | None = None
        self.exhausted = False

    def next(self, draft: Draft, rng: random.Random, minor_min: int) -> int:
        """Inject at the next candidate that takes a difference; 0 when none is left."""
        if self.remaining is None:
            self.remaining = sorted(self.injection.candidates(draft))
            rng.shuffle(self.remaining)
            self.remaining.reverse()
        while self.remaining:
            injected = self.injection.inject(draft, self.remaining.pop(), minor_min)
            if injected:
                return injected
        self.exhausted = True
        return 0


INJECTION_ORDER: Final = (HIERARCHY, *TAX_INJECTIONS, ROUNDING, *LINE_INJECTIONS)
"""Every category's injection, in the order a round runs them."""
