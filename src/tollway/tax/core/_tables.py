"""`parse_tax_tables`: a rate-table document (parsed YAML or JSON) checked and turned into
`TaxTables`, or a `TaxTableError` naming every bad row."""

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any, Final

from tollway.accounts import CustomerClass
from tollway.billing import ChargeType, TaxTreatment
from tollway.money import Currency, RoundingMode, TollwayError, currency, round_decimal
from tollway.tax.core._model import (
    PERCENT,
    Bracket,
    Calculation,
    InterstateAllocation,
    Jurisdiction,
    JurisdictionLevel,
    LineUnits,
    Portion,
    SaleType,
    TaxRule,
    TaxTableError,
    TaxTables,
    Tier,
)
from tollway.tax.core._order import evaluation_order, overlap_problems
from tollway.tax.core._reading import Fields, Problems

rules_max: Final = 20_000
jurisdictions_max: Final = 100_000

_TAX_TYPE: Final = re.compile(r"[a-z][a-z0-9_]*")
_TOP_FIELDS: Final = ("name", "notice", "jurisdictions", "interstate_allocation", "rules")
_JURISDICTION_FIELDS: Final = ("id", "level", "name", "parent")
_ALLOCATION_FIELDS: Final = ("service_type", "interstate_percent", "private_line")
_RULE_FIELDS: Final = (
    "id", "jurisdiction", "tax_type", "name", "calculation", "valid_from", "valid_to",
    "service_types", "charge_types", "customer_classes", "sale_types", "portion", "treatment",
    "rounding", "rate_percent", "rate_cap_percent", "amount", "currency", "line_units", "brackets",
    "tiers", "base_taxes", "cap_per_line", "cap_per_invoice", "exemptible", "note",
)  # fmt: skip
_USED_BY: Final[Mapping[Calculation, tuple[str, ...]]] = {
    Calculation.RATE: ("rate_percent", "rate_cap_percent"),
    Calculation.FIXED_PER_INVOICE: ("amount",),
    Calculation.PER_LINE: ("amount", "line_units"),
    Calculation.PER_MINUTE: ("amount",),
    Calculation.BRACKET: ("brackets",),
    Calculation.TIERED: ("tiers",),
}
"""The calculation-specific fields each calculation reads (its first one is required)."""
_SPECIFIC_FIELDS: Final = tuple(sorted({name for used in _USED_BY.values() for name in used}))


def _jurisdiction(row: Fields) -> Jurisdiction | None:
    found = Jurisdiction(
        id=row.text("id") or "",
        level=row.choice("level", JurisdictionLevel, default=None) or JurisdictionLevel.FEDERAL,
        name=row.text("name") or "",
        parent_id=row.text("parent", required=False),
    )
    return found if row.ok else None


def _jurisdictions(top: Fields, problems: Problems) -> dict[str, Jurisdiction]:
    """The jurisdictions by id; every parent known and of an outer level (so no cycles)."""
    found: dict[str, Jurisdiction] = {}
    places: dict[str, str] = {}
    for index, document in enumerate(top.rows("jurisdictions")[:jurisdictions_max]):
        place = top.place("jurisdictions", index)
        jurisdiction = _jurisdiction(
            Fields(document, place, problems, allowed=_JURISDICTION_FIELDS)
        )
        if jurisdiction is None:
            continue
        if jurisdiction.id in found:
            problems.add(f"{place}.id", f"{jurisdiction.id!r} is already {places[jurisdiction.id]}")
            continue
        found[jurisdiction.id] = jurisdiction
        places[jurisdiction.id] = place
    for jurisdiction_id, jurisdiction in found.items():
        _check_parent(jurisdiction, found, places[jurisdiction_id], problems)
    return found


def _check_parent(
    jurisdiction: Jurisdiction,
    known: Mapping[str, Jurisdiction],
    place: str,
    problems: Problems,
) -> None:
    if jurisdiction.parent_id is None:
        if jurisdiction.level is not JurisdictionLevel.FEDERAL:
            problems.add(place, f"a {jurisdiction.level} jurisdiction needs a parent")
        return
    parent = known.get(jurisdiction.parent_id)
    if parent is None:
        problems.add(f"{place}.parent", f"unknown jurisdiction {jurisdiction.parent_id!r}")
    elif parent.level.depth >= jurisdiction.level.depth:
        problems.add(
            f"{place}.parent",
            f"a {jurisdiction.level} jurisdiction cannot lie inside the {parent.level} "
            f"jurisdiction {parent.id!r}",
        )


def _allocations(top: Fields, problems: Problems) -> dict[str, InterstateAllocation]:
    found: dict[str, InterstateAllocation] = {}
    for index, document in enumerate(top.rows("interstate_allocation", required=False)):
        row = Fields(document, top.place("interstate_allocation", index), problems,
                     allowed=_ALLOCATION_FIELDS)  # fmt: skip
        service_type = row.text("service_type")
        percent = row.decimal("interstate_percent")
        private_line = row.boolean("private_line", default=False)
        if service_type is None or percent is None or not row.ok:
            continue
        if percent > PERCENT:
            problems.add(f"{row.where}.interstate_percent", f"{percent} is more than 100")
        elif service_type in found:
            problems.add(f"{row.where}.service_type", f"{service_type!r} is allocated twice")
        else:
            found[service_type] = InterstateAllocation(service_type, percent, private_line)
    return found


def _steps(row: Fields, name: str) -> list[tuple[Decimal | None, Decimal]]:
    """Brackets or tiers: (up_to, value) rising, the last one unbounded."""
    value_name = "amount" if name == "brackets" else "rate_percent"
    steps: list[tuple[Decimal | None, Decimal]] = []
    documents = row.rows(name, required=False)
    for index, document in enumerate(documents):
        step = Fields(document, row.place(name, index), row.problems, allowed=("up_to", value_name))
        up_to, value = step.decimal("up_to", required=False), step.decimal(value_name)
        last = index == len(documents) - 1
        if step.ok and value is not None:
            steps.append((up_to, value))
        if up_to is None and not last and step.ok:
            row.problem(name, f"only the last step may be unbounded ({name}[{index}] is)")
        elif up_to is not None and last:
            row.problem(name, f"the last step must be unbounded (up_to: null), found {up_to}")
    bounds = [up_to for up_to, _ in steps if up_to is not None]
    if any(low >= high for low, high in pairwise(bounds)):
        row.problem(name, "up_to must rise from step to step")
    return steps


def _line_units(row: Fields) -> tuple[LineUnits, ...]:
    found: list[LineUnits] = []
    allowed = ("voice_line_type", "channels_per_group", "units_per_group")
    for index, document in enumerate(row.rows("line_units", required=False)):
        units = Fields(document, row.place("line_units", index), row.problems, allowed=allowed)
        line_type = units.text("voice_line_type")
        per_group = units.whole_number("channels_per_group", required=False) or 1
        weight = units.decimal("units_per_group", required=False)
        if line_type is not None and units.ok:
            found.append(LineUnits(line_type, per_group, Decimal(1) if weight is None else weight))
    if len({units.voice_line_type for units in found}) != len(found):
        row.problem("line_units", "a voice line type is listed twice")
    return tuple(found)


def _rule_currency(row: Fields, *, needed: bool) -> Currency | None:
    code = row.text("currency", required=needed)
    if code is None:
        return None
    try:
        return currency(code)
    except TollwayError as error:
        row.problem("currency", error.message)
        return None


def _check_specific_fields(row: Fields, calculation: Calculation) -> None:
    used = _USED_BY[calculation]
    for name in _SPECIFIC_FIELDS:
        if name not in used and row.values.get(name) is not None:
            row.problem(name, f"not used by a {calculation} rule")
    if row.values.get(used[0]) is None:
        row.problem(used[0], f"missing; a {calculation} rule needs it")
    if row.values.get("base_taxes") and not calculation.is_on_amount:
        row.problem("base_taxes", f"a {calculation} rule is not computed on an amount")


def _check_minor_units(
    row: Fields, amounts: Sequence[tuple[str, Decimal | None]], rule_currency: Currency
) -> None:
    """Caps and fixed amounts are invoiced as they are: none may be finer than a minor unit (a
    rate per line or per minute may; its tax is rounded at the line)."""
    for name, value in amounts:
        if value is None:
            continue
        exact = round_decimal(value, decimals=rule_currency.minor_units, mode=RoundingMode.DOWN)
        if exact != value:
            row.problem(
                name,
                f"{value} has more decimals than {rule_currency.code}'s "
                f"{rule_currency.minor_units}",
            )


def _rule_amounts(row: Fields, calculation: Calculation) -> dict[str, Any]:
    """The calculation-specific fields of a rule, as `TaxRule` keyword arguments."""
    _check_specific_fields(row, calculation)
    rate = row.decimal("rate_percent", required=False)
    rate_cap = row.decimal("rate_cap_percent", required=False)
    for name, value in (("rate_percent", rate), ("rate_cap_percent", rate_cap)):
        if value is not None and value > PERCENT:
            row.problem(name, f"{value} is more than 100")
    amount = row.decimal("amount", required=False)
    caps = (
        row.decimal("cap_per_line", required=False),
        row.decimal("cap_per_invoice", required=False),
    )
    brackets = [Bracket(up_to, value) for up_to, value in _steps(row, "brackets")]
    needs_currency = amount is not None or bool(brackets) or any(cap is not None for cap in caps)
    rule_currency = _rule_currency(row, needed=needs_currency)
    if rule_currency is not None:
        fixed = [("cap_per_line", caps[0]), ("cap_per_invoice", caps[1])]
        if calculation is Calculation.FIXED_PER_INVOICE:
            fixed.append(("amount", amount))
        fixed += [(f"brackets[{index}].amount", step.amount) for index, step in enumerate(brackets)]
        _check_minor_units(row, fixed, rule_currency)
    return {
        "rate_percent": rate,
        "rate_cap_percent": rate_cap,
        "amount": amount,
        "currency": rule_currency,
        "line_units": _line_units(row),
        "brackets": tuple(brackets),
        "tiers": tuple(Tier(up_to, value) for up_to, value in _steps(row, "tiers")),
        "cap_per_line": caps[0],
        "cap_per_invoice": caps[1],
    }


def _tax_type(row: Fields) -> str | None:
    found = row.text("tax_type")
    if found is not None and not _TAX_TYPE.fullmatch(found):
        row.problem("tax_type", f"{found!r}: use lower-case letters, digits and _")
    return found


def _rule_selectors(row: Fields) -> dict[str, Any]:
    treatment = row.choice("treatment", TaxTreatment, default=TaxTreatment.BILLED)
    if treatment is TaxTreatment.EXEMPT:
        row.problem("treatment", "exempt comes from exemption certificates, not from a rule")
    return {
        "service_types": frozenset(row.texts("service_types")),
        "charge_types": row.choices("charge_types", ChargeType),
        "customer_classes": row.choices("customer_classes", CustomerClass),
        "sale_types": row.choices("sale_types", SaleType),
        "treatment": treatment,
        "rounding": row.choice("rounding", RoundingMode, default=RoundingMode.HALF_UP),
        "base_taxes": tuple(dict.fromkeys(row.texts("base_taxes"))),
        "exemptible": row.boolean("exemptible", default=True),
        "note": row.text("note", required=False) or "",
    }


def _rule(
    document: object, row_index: int, place: str, jurisdictions: Mapping[str, Jurisdiction],
    problems: Problems,
) -> TaxRule | None:  # fmt: skip
    row = Fields(document, place, problems, allowed=_RULE_FIELDS)
    rule_id, tax_type, name = row.text("id"), _tax_type(row), row.text("name")
    calculation = row.choice("calculation", Calculation, default=None)
    valid_from, valid_to = row.day("valid_from"), row.day("valid_to", required=False)
    jurisdiction_id = row.text("jurisdiction")
    jurisdiction = jurisdictions.get(jurisdiction_id or "")
    if jurisdiction_id is not None and jurisdiction is None:
        row.problem("jurisdiction", f"unknown jurisdiction {jurisdiction_id!r}")
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        row.problem("valid_to", f"{valid_to} is not after valid_from {valid_from}")
    default_portion = Portion.INTRASTATE
    if jurisdiction is not None and jurisdiction.level is JurisdictionLevel.FEDERAL:
        default_portion = Portion.INTERSTATE
    portion = row.choice("portion", Portion, default=default_portion)
    selectors = _rule_selectors(row)
    amounts = _rule_amounts(row, calculation) if calculation is not None else {}
    if not row.ok:
        return None
    assert rule_id and tax_type and name and calculation and valid_from and jurisdiction and portion
    return TaxRule(
        id=rule_id, row=row_index, jurisdiction_id=jurisdiction.id, level=jurisdiction.level,
        tax_type=tax_type, name=name, calculation=calculation, valid_from=valid_from,
        valid_to=valid_to, portion=portion, **selectors, **amounts,
    )  # fmt: skip


def _rules(
    top: Fields, jurisdictions: Mapping[str, Jurisdiction], problems: Problems
) -> list[TaxRule]:
    found: list[TaxRule] = []
    places: dict[str, str] = {}
    documents = top.rows("rules")
    if len(documents) > rules_max:
        problems.add("rules", f"{len(documents)} rules; at most {rules_max} are read")
    for index, document in enumerate(documents[:rules_max]):
        place = top.place("rules", index)
        rule = _rule(document, index, place, jurisdictions, problems)
        raw_id = document.get("id") if isinstance(document, Mapping) else None
        if isinstance(raw_id, str) and raw_id in places:
            problems.add(f"{place}.id", f"{raw_id!r} is already {places[raw_id]}")
            continue
        if isinstance(raw_id, str):
            places[raw_id] = place
        if rule is not None:
            found.append(rule)
    levied = {rule.tax_type for rule in found}
    for rule in found:
        for base in rule.base_taxes:
            if base not in levied:
                problems.add(f"rules[{rule.row}].base_taxes", f"no rule levies tax type {base!r}")
    return found


def parse_tax_tables(document: Mapping[str, Any], *, source: str) -> TaxTables:
    """Check a rate-table document and build its `TaxTables`, rules in evaluation order.

    Every problem is collected and raised together as a `TaxTableError` naming `source` and the
    rows: unknown fields, an unknown jurisdiction, rows of one key in force on the same day, a
    tax-on-tax cycle.

    >>> tables = parse_tax_tables({
    ...     "name": "example", "notice": "ILLUSTRATIVE",
    ...     "jurisdictions": [{"id": "US", "level": "federal", "name": "United States"}],
    ...     "rules": [{"id": "fet", "jurisdiction": "US", "tax_type": "federal_excise",
    ...                "name": "Federal excise tax", "calculation": "rate",
    ...                "rate_percent": "3", "valid_from": "2026-01-01"}]}, source="example.yaml")
    >>> [(rule.id, rule.portion.value, str(rule.rate_percent)) for rule in tables.rules]
    [('fet', 'interstate', '3')]
    >>> parse_tax_tables({"name": "x", "jurisdictions": [], "rules": [{"id": "a",
    ...     "jurisdiction": "US-ZZ", "tax_type": "t", "name": "T", "calculation": "rate",
    ...     "rate_percent": "1", "valid_from": "2026-01-01"}]}, source="x.yaml")
    Traceback (most recent call last):
    ...
    tollway.tax.core._model.TaxTableError: x.yaml: rules[0].jurisdiction: unknown jurisdiction 'US-ZZ'
    """
    problems = Problems(source)
    top = Fields(document, "", problems, allowed=_TOP_FIELDS)
    name = top.text("name")
    notice = top.text("notice", required=False) or ""
    jurisdictions = _jurisdictions(top, problems)
    allocations = _allocations(top, problems)
    rules = _rules(top, jurisdictions, problems)
    for problem in overlap_problems(rules):
        problems.add("", problem)
    ordered, cycle_problems = evaluation_order(rules)
    for problem in cycle_problems:
        problems.add("rules", problem)
    if problems.found:
        raise TaxTableError(problems.reported())
    return TaxTables(
        source=source,
        name=name or "",
        notice=notice,
        jurisdictions=jurisdictions,
        allocations=allocations,
        rules=tuple(ordered),
    )
