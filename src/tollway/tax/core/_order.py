"""Checks across rules: no two rows of one key in force on the same day, no tax-on-tax cycle; and
the evaluation order (every tax after the taxes in its base)."""

from collections.abc import Iterable, Sequence
from itertools import combinations, pairwise
from typing import Final

from tollway.accounts import CustomerClass
from tollway.tax.core._model import SaleType, TaxRule

_ANY: Final = "any"
_EVERY_CLASS: Final = frozenset(CustomerClass)


def _common(first: Iterable[object], second: Iterable[object]) -> str | None:
    """A value both selectors accept (an empty selector accepts every value), or None."""
    left, right = {str(value) for value in first}, {str(value) for value in second}
    if not left or not right:
        either = left or right
        return min(either) if either else _ANY
    shared = left & right
    return min(shared) if shared else None


def _classes(rule: TaxRule) -> frozenset[CustomerClass]:
    """The customer classes whose lines the rule can select: its customer classes (every one when
    it lists none) whose sale type (`SaleType.of`) it selects."""
    return frozenset(
        customer_class
        for customer_class in rule.customer_classes or _EVERY_CLASS
        if not rule.sale_types or SaleType.of(customer_class) in rule.sale_types
    )


def _common_party(first: TaxRule, second: TaxRule) -> tuple[str, str] | None:
    """A (customer class, sale type) both rules select, `any` where neither narrows it; None when
    they have none in common (a wholesale customer's sales are always for resale)."""
    shared = _classes(first) & _classes(second)
    if not shared:
        return None
    by_class = bool(first.customer_classes or second.customer_classes)
    by_sale = bool(first.sale_types or second.sale_types)
    customer_class = min(shared) if by_class else None
    if customer_class is not None:
        sale_type = SaleType.of(customer_class).value if by_sale else _ANY
        return customer_class.value, sale_type
    sale_type = min(SaleType.of(found) for found in shared).value if by_sale else _ANY
    return _ANY, sale_type


def _validity(rule: TaxRule) -> str:
    return f"{rule.valid_from}..{rule.valid_to or 'open'}"


def _overlap(first: TaxRule, second: TaxRule) -> str | None:
    """Why two rules of one jurisdiction and tax type could both apply to a line on one day."""
    if first.valid_to is not None and second.valid_from >= first.valid_to:
        return None
    if second.valid_to is not None and first.valid_from >= second.valid_to:
        return None
    party = _common_party(first, second)
    shared = [
        _common(first.service_types, second.service_types),
        *(party or (None, None)),
        _common(first.charge_types, second.charge_types),
    ]
    if any(value is None for value in shared):
        return None
    key = ", ".join([first.jurisdiction_id, first.tax_type, *(str(value) for value in shared)])
    return (
        f"rules[{first.row}] and rules[{second.row}] overlap for ({key}): "
        f"{_validity(first)} and {_validity(second)}"
    )


def overlap_problems(rules: Sequence[TaxRule]) -> list[str]:
    """One message per pair of rows of one (jurisdiction, tax type) that select a common
    (service type, customer class, sale type, charge type) on a common day."""
    groups: dict[tuple[str, str], list[TaxRule]] = {}
    for rule in rules:
        groups.setdefault((rule.jurisdiction_id, rule.tax_type), []).append(rule)
    problems: list[str] = []
    for key in sorted(groups):
        for first, second in combinations(sorted(groups[key], key=lambda rule: rule.row), 2):
            found = _overlap(first, second)
            if found is not None:
                problems.append(found)
    return problems


class _Graph:
    """Tax types and the tax types in their base, with the first row that puts each there."""

    def __init__(self, rules: Sequence[TaxRule]) -> None:
        self.edges: dict[str, dict[str, int]] = {}
        for rule in sorted(rules, key=lambda rule: rule.row):
            bases = self.edges.setdefault(rule.tax_type, {})
            for base in rule.base_taxes:
                bases.setdefault(base, rule.row)
        self.depth: dict[str, int] = {}
        self.visiting: list[str] = []
        self.cycles: list[str] = []

    def visit(self, tax_type: str) -> int:
        """The longest chain of bases below `tax_type` (0: no tax in its base)."""
        if tax_type in self.depth:
            return self.depth[tax_type]
        if tax_type in self.visiting:
            self._cycle(tax_type)
            return 0
        self.visiting.append(tax_type)
        below = [self.visit(base) for base in sorted(self.edges.get(tax_type, {}))]
        self.visiting.pop()
        self.depth[tax_type] = 1 + max(below) if below else 0
        return self.depth[tax_type]

    def _cycle(self, tax_type: str) -> None:
        path = [*self.visiting[self.visiting.index(tax_type) :], tax_type]
        rows = [self.edges[taxed][base] for taxed, base in pairwise(path)]
        where = ", ".join(f"rules[{row}]" for row in rows)
        self.cycles.append(f"tax-on-tax cycle: {' -> '.join(path)} ({where})")


def evaluation_order(rules: Sequence[TaxRule]) -> tuple[tuple[TaxRule, ...], list[str]]:
    """The rules with every tax after the taxes in its base, then outer jurisdictions first; and
    one message per tax-on-tax cycle (a tax type in its own base, directly or through others)."""
    graph = _Graph(rules)
    for tax_type in sorted(graph.edges):
        graph.visit(tax_type)
    ordered = sorted(
        rules,
        key=lambda rule: (
            graph.depth.get(rule.tax_type, 0),
            rule.level.depth,
            rule.jurisdiction_id,
            rule.tax_type,
            rule.valid_from,
            rule.id,
        ),
    )
    return tuple(ordered), graph.cycles
