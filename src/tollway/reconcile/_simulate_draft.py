"""The legacy copy while the simulator builds it: tollway's rows, changed one injection at a time.

A draft line is keyed by the tollway line id it came from (pieces of a split and lines legacy adds
get keys of their own) and still names tollway's accounts, circuits and products; its `invoice_id`
is a draft invoice key (the tollway invoice id, or `<id>/<child account>` for an invoice legacy
makes for a child account). Draft taxes name draft line keys. Ids become legacy ids only when the
draft is finished (`_simulate_assemble`).

Each injected line difference takes its line — and every line of the same service (invoice,
account, charge type, circuit or product) — out of play, so no two injections meet on one
compared line, nor on two lines a matcher could mistake for each other. Tax groups (invoice,
jurisdiction, tax type) are shared by many lines, so they are guarded by what happened to them:
- a group with a tax label (jurisdiction, exemption, base) takes no second tax label, and a child
  account's lines whose groups carry one are not moved (hierarchy);
- a group lines were moved out of or into (hierarchy) takes no tax label;
- a group whose amounts a line difference changed may still take a jurisdiction, exemption or
  base label (that evidence stands out over a changed base), but not a rounding one;
- a group with a rounding label — one minor unit — stays exactly as it is: no line inside it
  changes afterwards.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeAlias

from tollway.reconcile._simulate_rows import (
    Row,
    currency_round,
    legacy_id,
    minor_unit,
    product,
    stored,
)
from tollway.reconcile._tables import Category, DifferenceLevel

GroupKey: TypeAlias = tuple[str, str, str]
"""(draft invoice key, jurisdiction id, tax type): how taxes are compared."""
ServiceKey: TypeAlias = tuple[str, str, str, str | None]
"""(tollway invoice, account, charge type, circuit or product): lines a matcher tells apart only
by period and amount."""

Candidate: TypeAlias = tuple[str, ...]
"""Where a difference may land: (line key,), (invoice, jurisdiction, tax type), …"""


@dataclass
class Draft:
    cycle: str
    tollway_invoices: dict[str, Row]
    lines: dict[str, Row]
    taxes: list[Row]
    origin_invoice: dict[str, str]
    """Draft line key → the tollway invoice the line is on (for labels)."""
    tollway_lines: dict[str, list[Row]] = field(default_factory=dict)
    """Tollway invoice id → its lines as tollway billed them (never changed)."""
    labels: list[Row] = field(default_factory=list)
    used_lines: set[str] = field(default_factory=set)
    blocked_lines: set[str] = field(default_factory=set)
    """Lines of a service another line of which has a difference: left as they are."""
    changed_groups: set[GroupKey] = field(default_factory=set)
    """Groups whose amounts an injected line difference changed."""
    labelled_groups: set[GroupKey] = field(default_factory=set)
    """Groups with a tax label."""
    moved_groups: set[GroupKey] = field(default_factory=set)
    """Groups lines were moved out of or into (hierarchy)."""
    rounding_groups: set[GroupKey] = field(default_factory=set)
    """Groups with a one-minor-unit rounding label: nothing else may change them."""
    _services: dict[str, ServiceKey] = field(default_factory=dict)
    _service_lines: dict[ServiceKey, list[str]] = field(default_factory=dict)
    _invoice_lines: dict[str, set[str]] = field(default_factory=dict)
    _taxes_by_line: dict[str | None, list[Row]] = field(default_factory=dict)
    _taxes_by_group: dict[GroupKey, list[Row]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._services = {key: service_of(line) for key, line in self.lines.items()}
        for key, service in self._services.items():
            self._service_lines.setdefault(service, []).append(key)
        for key, line in self.lines.items():
            self._invoice_lines.setdefault(line["invoice_id"], set()).add(key)
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the tax indexes after taxes were added, removed or moved to another group."""
        self._taxes_by_line = {}
        self._taxes_by_group = {}
        for tax in self.taxes:
            self._taxes_by_line.setdefault(tax["line_id"], []).append(tax)
            self._taxes_by_group.setdefault(group_of(tax), []).append(tax)

    @classmethod
    def of(cls, cycle: str, invoices: list[Row], lines: list[Row], taxes: list[Row]) -> "Draft":
        drafted = {row["line_id"]: {**row, "line_id": legacy_id(row["line_id"])} for row in lines}
        assert len(drafted) == len(lines), "tollway line ids are not unique"
        by_invoice: dict[str, list[Row]] = {}
        for row in lines:
            by_invoice.setdefault(row["invoice_id"], []).append(row)
        return cls(
            cycle=cycle,
            tollway_invoices={row["invoice_id"]: row for row in invoices},
            lines=drafted,
            taxes=[dict(row) for row in taxes],
            origin_invoice={row["line_id"]: row["invoice_id"] for row in lines},
            tollway_lines=by_invoice,
        )

    def sorted_lines(self) -> list[tuple[str, Row]]:
        return sorted(self.lines.items())

    def line_taxes(self, key: str) -> list[Row]:
        return list(self._taxes_by_line.get(key, ()))

    def groups_of_line(self, key: str) -> set[GroupKey]:
        return {group_of(tax) for tax in self.line_taxes(key)}

    def group_taxes(self, group: GroupKey) -> list[Row]:
        return list(self._taxes_by_group.get(group, ()))

    def groups(self) -> list[GroupKey]:
        return sorted(self._taxes_by_group)

    def line_free(self, key: str) -> bool:
        if key in self.used_lines or key in self.blocked_lines or key not in self.lines:
            return False
        return not (self.groups_of_line(key) & self.rounding_groups)

    def alone_in_service(self, key: str) -> bool:
        """Whether no other line bills the same service (and charge type) on the invoice."""
        service = self._services.get(key)
        return service is None or self._service_lines[service] == [key]

    def group_taxable(self, group: GroupKey, *, untouched: bool = False) -> bool:
        """Whether the group may take a tax label; `untouched`: nothing at all changed it yet
        (and none of its lines has a difference), as a rounding label needs."""
        if group in self.labelled_groups or group in self.moved_groups:
            return False
        if not untouched:
            return True
        return group not in self.changed_groups and all(
            tax["line_id"] is None or tax["line_id"] not in self.used_lines
            for tax in self.group_taxes(group)
        )

    def use_line(self, key: str) -> None:
        self.used_lines.add(key)
        self.changed_groups.update(self.groups_of_line(key))
        service = self._services.get(key)
        if service is not None:
            self.blocked_lines.update(self._service_lines[service])

    def add_line(self, key: str, line: Row, *, origin_invoice: str) -> None:
        """A line only legacy has (or a piece of a split line), on a draft invoice."""
        assert key not in self.lines, f"draft line {key} exists already"
        self.lines[key] = line
        self.origin_invoice[key] = origin_invoice
        self._invoice_lines.setdefault(line["invoice_id"], set()).add(key)

    def remove_line(self, key: str) -> None:
        """Legacy does not bill the line: it goes, with its taxes."""
        line = self.lines.pop(key)
        self._invoice_lines[line["invoice_id"]].discard(key)
        self.taxes = [tax for tax in self.taxes if tax["line_id"] != key]
        self.reindex()

    def move_lines(self, keys: list[str], *, to_invoice: str) -> None:
        """Move lines (with their taxes) onto another draft invoice; the tax groups they leave
        and join change, so they are taken out of play."""
        for key in keys:
            self.moved_groups.update(self.groups_of_line(key))
            self._invoice_lines[self.lines[key]["invoice_id"]].discard(key)
            self._invoice_lines.setdefault(to_invoice, set()).add(key)
            self.lines[key]["invoice_id"] = to_invoice
            for tax in self.line_taxes(key):
                tax["invoice_id"] = to_invoice
        self.reindex()
        for key in keys:
            self.moved_groups.update(self.groups_of_line(key))

    def neighbours(self, key: str) -> list[Row]:
        """The other lines a matcher could confuse with this one: on its legacy invoice as
        drafted, and on its tollway invoice as tollway billed them."""
        line = self.lines[key]
        drafted = [self.lines[other] for other in self.lines_on(line["invoice_id"]) if other != key]
        billed = self.tollway_lines.get(self.origin_invoice.get(key, ""), [])
        return drafted + [other for other in billed if other["line_id"] != key]

    def lines_on(self, invoice_key: str) -> list[str]:
        return sorted(self._invoice_lines.get(invoice_key, ()))

    def retax(self, key: str, *, old_amount: Decimal) -> None:
        """Legacy taxes a changed line on its own amount: rate taxes on the old amount are
        recomputed on the new one; fixed taxes stay."""
        line = self.lines[key]
        for tax in self.line_taxes(key):
            if tax["tax_rate"] is None or tax["taxable_amount"] != old_amount:
                continue
            tax["taxable_amount"] = line["amount"]
            tax["tax_amount"] = stored(
                currency_round(product(line["amount"], tax["tax_rate"]), tax["currency"])
            )

    def label_line(
        self,
        category: Category,
        key: str,
        note: str,
        *,
        legacy_side: bool = True,
        tollway_side: bool = True,
    ) -> None:
        """Record an injected line difference (a side is absent when that system lacks the line)."""
        line = self.lines[key]
        self.labels.append(
            {
                "cycle": self.cycle,
                "level": DifferenceLevel.LINE.value,
                "legacy_invoice_id": legacy_id(line["invoice_id"]),
                "tollway_invoice_id": self.origin_invoice.get(key),
                "legacy_line_id": line["line_id"] if legacy_side else None,
                "tollway_line_id": key if tollway_side else None,
                "jurisdiction_id": None,
                "tax_type": None,
                "category": category.value,
                "note": note,
            }
        )

    def label_tax(self, category: Category, group: GroupKey, note: str) -> None:
        """Record an injected tax difference on a (tollway) invoice, jurisdiction and tax type."""
        invoice_key, jurisdiction_id, tax_type = group
        self.labels.append(
            {
                "cycle": self.cycle,
                "level": DifferenceLevel.TAX.value,
                "legacy_invoice_id": legacy_id(invoice_key),
                "tollway_invoice_id": invoice_key,
                "legacy_line_id": None,
                "tollway_line_id": None,
                "jurisdiction_id": jurisdiction_id,
                "tax_type": tax_type,
                "category": category.value,
                "note": note,
            }
        )


def service_of(line: Row) -> ServiceKey:
    service = line["circuit_id"] if line["circuit_id"] is not None else line["product_id"]
    return (line["invoice_id"], line["account_id"], line["charge_type"], service)


def group_of(tax: Row) -> GroupKey:
    return (tax["invoice_id"], tax["jurisdiction_id"], tax["tax_type"])


@dataclass(frozen=True, slots=True)
class Injection:
    """How one category injects a difference: the candidates it may land on (listed once per
    cycle, then tried in a seeded order), and the change itself, which checks the candidate is
    still free and the difference large enough (at least `minor_min` minor units) and returns how
    many labelled differences it made (0 when it changed nothing)."""

    category: Category
    candidates: Callable[[Draft], list[Candidate]]
    inject: Callable[[Draft, Candidate, int], int]


def material(old: Decimal, new: Decimal, currency_code: str, minor_min: int) -> bool:
    """Whether old → new moves the amount by at least `minor_min` minor units."""
    return abs(new - old) >= minor_unit(currency_code) * minor_min
