"""Tax differences the simulated legacy system makes, on one (invoice, jurisdiction, tax type)
group each — the key taxes are compared on:
- tax_jurisdiction: the group's taxes filed under another jurisdiction (same rate and amount);
- tax_exemption: an exemption honoured by one system only (the group's `exempt` flag flipped);
- tax_base: the same rate on a taxable base 10 % larger (e.g. a surcharge legacy taxes);
- rounding: taxable × rate in binary floating point, one minor unit off (`_simulate_float`) —
  or, where a line's quantity × unit price is such a tie, the line's amount (`ROUNDING`).
"""

from decimal import Decimal
from typing import Final

from tollway.reconcile._simulate_draft import Candidate, Draft, GroupKey, Injection, material
from tollway.reconcile._simulate_float import legacy_float_amount
from tollway.reconcile._simulate_lines import float_amount_one_off, round_line_in_float
from tollway.reconcile._simulate_rows import (
    Row,
    currency_round,
    minor_unit,
    minor_units,
    product,
    shown,
    stored,
)
from tollway.reconcile._tables import Category

TAX_BASE_FACTOR: Final = Decimal("1.1")


def _group_tax(taxes: list[Row]) -> Decimal:
    return sum((tax["tax_amount"] for tax in taxes), Decimal(0))


def _taxable_groups(draft: Draft) -> list[Candidate]:
    return [group for group in draft.groups() if draft.group_taxable(group)]


def _as_group(candidate: Candidate) -> GroupKey:
    invoice_key, jurisdiction_id, tax_type = candidate
    return (invoice_key, jurisdiction_id, tax_type)


def _alone_on_invoice(draft: Draft, group: GroupKey) -> bool:
    """True when the group's tax type is taxed in no other jurisdiction on the invoice."""
    invoice_key, _, tax_type = group
    return not any(
        other[0] == invoice_key and other[2] == tax_type and other != group
        for other in draft.groups()
    )


def _other_place(draft: Draft, group: GroupKey) -> str | None:
    """The next jurisdiction (in name order) where the cycle taxes the same tax type."""
    known = sorted({other[1] for other in draft.groups() if other[2] == group[2]})
    if len(known) < 2:
        return None
    return known[(known.index(group[1]) + 1) % len(known)]


def _tax_jurisdiction(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    """Only where the tax type is taxed in another jurisdiction somewhere in the cycle (legacy
    picked the wrong one of the real places), and in just one jurisdiction on the invoice."""
    group = _as_group(candidate)
    taxes = draft.group_taxes(group)
    if not taxes or not draft.group_taxable(group) or any(tax["exempt"] for tax in taxes):
        return 0
    other = _other_place(draft, group)
    if other is None or not _alone_on_invoice(draft, group):
        return 0
    if not material(Decimal(0), _group_tax(taxes), taxes[0]["currency"], minor_min):
        return 0
    for tax in taxes:
        tax["jurisdiction_id"] = other
    draft.reindex()
    draft.labelled_groups.update({group, (group[0], other, group[2])})
    note = f"legacy taxes {group[2]} in jurisdiction {other}, tollway in {group[1]}"
    draft.label_tax(Category.TAX_JURISDICTION, group, note)
    return 1


TAX_JURISDICTION: Final = Injection(Category.TAX_JURISDICTION, _taxable_groups, _tax_jurisdiction)


def _tax_exemption(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    group = _as_group(candidate)
    taxes = draft.group_taxes(group)
    flags = {tax["exempt"] for tax in taxes}
    if not taxes or not draft.group_taxable(group) or len(flags) != 1:
        return 0
    if not material(Decimal(0), _group_tax(taxes), taxes[0]["currency"], minor_min):
        return 0
    exempt = not flags.pop()
    for tax in taxes:
        tax["exempt"] = exempt
    draft.labelled_groups.add(group)
    note = (
        f"legacy applies an exemption from {group[2]} that tollway does not"
        if exempt
        else f"legacy charges {group[2]} that tollway exempts"
    )
    draft.label_tax(Category.TAX_EXEMPTION, group, note)
    return 1


TAX_EXEMPTION: Final = Injection(Category.TAX_EXEMPTION, _taxable_groups, _tax_exemption)


def _rate_based(tax: Row) -> bool:
    return (
        not tax["exempt"]
        and tax["tax_rate"] is not None
        and tax["tax_rate"] > 0
        and tax["taxable_amount"] is not None
    )


def _larger_base(tax: Row) -> Row:
    base = currency_round(product(tax["taxable_amount"], TAX_BASE_FACTOR), tax["currency"])
    amount = currency_round(product(base, tax["tax_rate"]), tax["currency"])
    return {**tax, "taxable_amount": stored(base), "tax_amount": stored(amount)}


def _tax_base(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    group = _as_group(candidate)
    taxes = draft.group_taxes(group)
    if not taxes or not draft.group_taxable(group) or not all(map(_rate_based, taxes)):
        return 0
    changed = [_larger_base(tax) for tax in taxes]
    old, new = _group_tax(taxes), _group_tax(changed)
    if not material(old, new, taxes[0]["currency"], minor_min):
        return 0
    for tax, larger in zip(taxes, changed, strict=True):
        tax.update(larger)
    draft.labelled_groups.add(group)
    note = f"legacy taxes a base 10 % larger at the same rate: {shown(new)}, tollway {shown(old)}"
    draft.label_tax(Category.TAX_BASE, group, note)
    return 1


TAX_BASE: Final = Injection(Category.TAX_BASE, _taxable_groups, _tax_base)


def float_tax_one_off(tax: Row) -> Decimal | None:
    """Legacy's float tax (taxable × rate in binary floating point), when exactly one minor
    unit away from tollway's exact half-up tax; else None."""
    if not _rate_based(tax):
        return None
    currency_code = tax["currency"]
    exact = currency_round(product(tax["taxable_amount"], tax["tax_rate"]), currency_code)
    if exact != tax["tax_amount"]:
        return None
    legacy = legacy_float_amount(
        tax["taxable_amount"], tax["tax_rate"], decimals=minor_units(currency_code)
    )
    return legacy if abs(legacy - tax["tax_amount"]) == minor_unit(currency_code) else None


def _round_tax_in_float(draft: Draft, group: GroupKey) -> int:
    """A rounding label needs a group nothing else touched, and keeps it untouched after."""
    if not draft.group_taxable(group, untouched=True):
        return 0
    for tax in draft.group_taxes(group):
        amount = float_tax_one_off(tax)
        if amount is None:
            continue
        note = (
            f"legacy computes {shown(tax['taxable_amount'])} × {shown(tax['tax_rate'])} in "
            f"binary floating point: {shown(amount)}, tollway {shown(tax['tax_amount'])}"
        )
        tax["tax_amount"] = stored(amount)
        draft.labelled_groups.add(group)
        draft.rounding_groups.add(group)
        draft.label_tax(Category.ROUNDING, group, note)
        return 1
    return 0


def _rounding_candidates(draft: Draft) -> list[Candidate]:
    lines: list[Candidate] = [
        ("line", key)
        for key, line in draft.sorted_lines()
        if draft.line_free(key) and float_amount_one_off(line) is not None
    ]
    groups: list[Candidate] = [
        ("tax", *group)
        for group in draft.groups()
        if draft.group_taxable(group, untouched=True)
        and any(float_tax_one_off(tax) is not None for tax in draft.group_taxes(group))
    ]
    return lines + groups


def _rounding(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    kind, *key = candidate
    if kind == "line":
        return round_line_in_float(draft, key[0])
    return _round_tax_in_float(draft, _as_group(tuple(key)))


ROUNDING: Final = Injection(Category.ROUNDING, _rounding_candidates, _rounding)

TAX_INJECTIONS: Final = (TAX_JURISDICTION, TAX_EXEMPTION, TAX_BASE)
