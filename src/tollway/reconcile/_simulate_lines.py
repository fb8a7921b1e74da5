"""Line-level differences the simulated legacy system makes, one category per function.

Each difference (an `Injection`: where it may land, and the change) leaves the evidence a
classifier needs to name its cause, and nothing that points at another cause:
- quantity: a non-usage line billed for one more unit (same rate, same period);
- usage_completeness: a usage line short of a tenth of its quantity (missed records);
- rate: the same quantity at a unit price 5 % higher (an old price list);
- proration: a part-month recurring line prorated over a 30-day month instead of the real one;
- rounding: quantity × unit price in binary floating point, one minor unit off (`_simulate_float`);
- discount: a discount line 50 % larger;
- timing: a whole-month recurring line billed a cycle late (its period one month earlier);
- hierarchy: a child account's lines, rolled up onto the paying parent's invoice by tollway,
  billed by legacy on an invoice of the child's own;
- extra_in_new: a line legacy does not bill; missing_in_new: a one-time charge only legacy bills.
Changed amounts are recomputed from tollway's in proportion (so part-month lines stay consistent)
and rounded half up to the currency; a changed line's rate taxes follow its new amount.
"""

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from typing import Final

from tollway.money import plain_decimal
from tollway.reconcile._simulate_draft import Candidate, Draft, Injection, material
from tollway.reconcile._simulate_float import legacy_float_amount
from tollway.reconcile._simulate_rows import (
    Row,
    add_months,
    currency_round,
    is_partial_month,
    is_whole_month,
    legacy_id,
    minor_unit,
    minor_units,
    product,
    scaled,
    shown,
    stored,
)
from tollway.reconcile._tables import Category, LineChargeType

RATE_FACTOR: Final = Decimal("1.05")
USAGE_CAPTURED_FACTOR: Final = Decimal("0.9")
DISCOUNT_FACTOR: Final = Decimal("1.5")
LEGACY_MONTH_DAYS: Final = Decimal(30)
ADDED_CHARGE_MAJOR: Final = Decimal(150)
"""The one-time charge only legacy bills, in the currency's major unit."""
ADDED_CHARGE_DESCRIPTION: Final = "Installation charge"
QUANTITY_CHARGE_TYPES: Final = frozenset({"recurring", "one_time", "penalty"})
DROPPABLE_CHARGE_TYPES: Final = frozenset({"recurring", "one_time", "penalty", "usage"})
RATED_CHARGE_TYPES: Final = frozenset({"recurring", "one_time", "penalty", "usage"})


def _change(draft: Draft, key: str, category: Category, changes: Row, note: str) -> int:
    line = draft.lines[key]
    old_amount = line["amount"]
    line.update(changes)
    draft.retax(key, old_amount=old_amount)
    draft.label_line(category, key, note)
    draft.use_line(key)
    return 1


def _in_proportion(line: Row, factor: Decimal) -> Decimal:
    return stored(currency_round(product(line["amount"], factor), line["currency"]))


def _lines_where(wanted: Callable[[Row], bool]) -> Callable[[Draft], list[Candidate]]:
    def candidates(draft: Draft) -> list[Candidate]:
        return [
            (key,) for key, line in draft.sorted_lines() if draft.line_free(key) and wanted(line)
        ]

    return candidates


def _positive_quantity(line: Row) -> bool:
    return line["quantity"] is not None and line["quantity"] > 0


def _quantity(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    (key,) = candidate
    if not draft.line_free(key):
        return 0
    line = draft.lines[key]
    quantity = line["quantity"] + 1
    factor = scaled(Decimal(1), numerator=quantity, denominator=line["quantity"])
    amount = _in_proportion(line, factor)
    if not material(line["amount"], amount, line["currency"], minor_min):
        return 0
    note = f"legacy bills quantity {shown(quantity)}, tollway {shown(line['quantity'])}"
    changes = {"quantity": stored(quantity), "amount": amount}
    return _change(draft, key, Category.QUANTITY, changes, note)


QUANTITY: Final = Injection(
    Category.QUANTITY,
    _lines_where(
        lambda line: line["charge_type"] in QUANTITY_CHARGE_TYPES and _positive_quantity(line)
    ),
    _quantity,
)


def _fewer(quantity: Decimal) -> Decimal:
    """A tenth fewer, cut to the quantity's own decimals (records are whole units of it)."""
    exponent = plain_decimal(quantity).as_tuple().exponent
    assert isinstance(exponent, int)
    return product(quantity, USAGE_CAPTURED_FACTOR).quantize(
        Decimal(1).scaleb(min(exponent, 0)), rounding=ROUND_DOWN
    )


def _usage_completeness(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    (key,) = candidate
    if not draft.line_free(key):
        return 0
    line = draft.lines[key]
    quantity = _fewer(line["quantity"])
    factor = scaled(Decimal(1), numerator=quantity, denominator=line["quantity"])
    amount = _in_proportion(line, factor)
    if not material(line["amount"], amount, line["currency"], minor_min):
        return 0
    note = (
        f"legacy rated usage of {shown(quantity)}, tollway {shown(line['quantity'])}: "
        "legacy missed usage records"
    )
    changes = {"quantity": stored(quantity), "amount": amount}
    return _change(draft, key, Category.USAGE_COMPLETENESS, changes, note)


USAGE_COMPLETENESS: Final = Injection(
    Category.USAGE_COMPLETENESS,
    _lines_where(lambda line: line["charge_type"] == "usage" and _positive_quantity(line)),
    _usage_completeness,
)


def _rate(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    (key,) = candidate
    if not draft.line_free(key):
        return 0
    line = draft.lines[key]
    amount = _in_proportion(line, RATE_FACTOR)
    if not material(line["amount"], amount, line["currency"], minor_min):
        return 0
    unit_price = line["unit_price"]
    changes: Row = {"amount": amount}
    if unit_price is not None:
        changes["unit_price"] = stored(product(unit_price, RATE_FACTOR))
    note = (
        f"legacy prices at {shown(changes.get('unit_price'))} (5 % above tollway's "
        f"{shown(unit_price)}): amount {shown(amount)}, tollway {shown(line['amount'])}"
    )
    return _change(draft, key, Category.RATE, changes, note)


def _rated(line: Row) -> bool:
    # A part-month line without a unit price would look like a proration difference.
    part_month = is_partial_month(line["period_start"], line["period_end"])
    return (
        line["charge_type"] in RATED_CHARGE_TYPES
        and line["quantity"] is not None
        and not (part_month and line["unit_price"] is None)
    )


RATE: Final = Injection(Category.RATE, _lines_where(_rated), _rate)


def _proration(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    (key,) = candidate
    if not draft.line_free(key):
        return 0
    line = draft.lines[key]
    invoice = draft.tollway_invoices[draft.origin_invoice[key]]
    month_days = Decimal((invoice["period_end"] - invoice["period_start"]).days)
    factor = scaled(Decimal(1), numerator=month_days, denominator=LEGACY_MONTH_DAYS)
    amount = _in_proportion(line, factor)
    if not material(line["amount"], amount, line["currency"], minor_min):
        return 0
    note = (
        f"legacy prorates over a 30-day month, tollway over the {shown(month_days)}-day "
        f"period: amount {shown(amount)}, tollway {shown(line['amount'])}"
    )
    return _change(draft, key, Category.PRORATION, {"amount": amount}, note)


PRORATION: Final = Injection(
    Category.PRORATION,
    _lines_where(
        lambda line: (
            line["charge_type"] == "recurring"
            and is_partial_month(line["period_start"], line["period_end"])
        )
    ),
    _proration,
)


def float_amount_one_off(line: Row) -> Decimal | None:
    """Legacy's float amount of a quantity × unit price line, when it is exactly one minor unit
    away from tollway's (which must be the exact product rounded half up); else None."""
    quantity, unit_price, currency_code = line["quantity"], line["unit_price"], line["currency"]
    if quantity is None or unit_price is None:
        return None
    if currency_round(product(quantity, unit_price), currency_code) != line["amount"]:
        return None
    legacy = legacy_float_amount(quantity, unit_price, decimals=minor_units(currency_code))
    return legacy if abs(legacy - line["amount"]) == minor_unit(currency_code) else None


def round_line_in_float(draft: Draft, key: str) -> int:
    """Exact quantity × unit price is a decimal tie that binary floating point rounds the other
    way: legacy bills one minor unit less (or more)."""
    if not draft.line_free(key):
        return 0
    line = draft.lines[key]
    amount = float_amount_one_off(line)
    if amount is None:
        return 0
    note = (
        f"legacy computes {shown(line['quantity'])} × {shown(line['unit_price'])} in binary "
        f"floating point: {shown(amount)}, tollway {shown(line['amount'])}"
    )
    return _change(draft, key, Category.ROUNDING, {"amount": stored(amount)}, note)


def _discount(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    (key,) = candidate
    if not draft.line_free(key):
        return 0
    line = draft.lines[key]
    amount = _in_proportion(line, DISCOUNT_FACTOR)
    if not material(line["amount"], amount, line["currency"], minor_min):
        return 0
    note = f"legacy discounts {shown(amount)}, tollway {shown(line['amount'])}"
    return _change(draft, key, Category.DISCOUNT, {"amount": amount}, note)


DISCOUNT: Final = Injection(
    Category.DISCOUNT,
    _lines_where(lambda line: line["charge_type"] == "discount" and line["amount"] != 0),
    _discount,
)


def _timing(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    (key,) = candidate
    if not draft.line_free(key):
        return 0
    line = draft.lines[key]
    if not material(Decimal(0), line["amount"], line["currency"], minor_min):
        return 0
    start, end = add_months(line["period_start"], -1), line["period_start"]
    note = (
        f"legacy bills the service of [{start}, {end}) a cycle late, on this invoice; "
        f"tollway bills [{line['period_start']}, {line['period_end']})"
    )
    changes = {"period_start": start, "period_end": end}
    return _change(draft, key, Category.TIMING, changes, note)


def _timing_candidates(draft: Draft) -> list[Candidate]:
    # Alone in its service: a sibling of the same circuit over last month would be its match.
    whole_months = _lines_where(
        lambda line: (
            line["charge_type"] == "recurring"
            and is_whole_month(line["period_start"], line["period_end"])
        )
    )
    return [candidate for candidate in whole_months(draft) if draft.alone_in_service(candidate[0])]


TIMING: Final = Injection(Category.TIMING, _timing_candidates, _timing)


def _extra_in_new(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    (key,) = candidate
    if not draft.line_free(key):
        return 0
    line = draft.lines[key]
    large = material(Decimal(0), line["amount"], line["currency"], minor_min)
    others = [other for other in draft.lines_on(line["invoice_id"]) if other != key]
    if not large or not others:
        return 0
    note = f"legacy does not bill this {line['charge_type']} line of {shown(line['amount'])}"
    draft.label_line(Category.EXTRA_IN_NEW, key, note, legacy_side=False)
    draft.use_line(key)
    draft.remove_line(key)
    return 1


# A dropped discount would read as a discount difference: only charges are dropped.
EXTRA_IN_NEW: Final = Injection(
    Category.EXTRA_IN_NEW,
    _lines_where(lambda line: line["charge_type"] in DROPPABLE_CHARGE_TYPES),
    _extra_in_new,
)


def _missing_in_new(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    (key,) = candidate
    if not draft.line_free(key) or _has_one_time(draft, draft.lines[key]):
        return 0
    template = draft.lines[key]
    amount = stored(currency_round(ADDED_CHARGE_MAJOR, template["currency"]))
    added_key = f"{key}/added"
    added = {
        **template,
        "line_id": f"{legacy_id(key)}/added",
        "charge_type": LineChargeType.ONE_TIME.value,
        "description": ADDED_CHARGE_DESCRIPTION,
        "quantity": stored(Decimal(1)),
        "unit_price": amount,
        "amount": amount,
    }
    draft.add_line(added_key, added, origin_invoice=draft.origin_invoice[key])
    note = f"only legacy bills a one-time charge of {shown(amount)} on this circuit"
    draft.label_line(Category.MISSING_IN_NEW, added_key, note, tollway_side=False)
    draft.use_line(key)
    draft.use_line(added_key)
    return 1


def _has_one_time(draft: Draft, template: Row) -> bool:
    return any(
        draft.lines[other]["circuit_id"] == template["circuit_id"]
        and draft.lines[other]["charge_type"] == LineChargeType.ONE_TIME.value
        for other in draft.lines_on(template["invoice_id"])
    )


MISSING_IN_NEW: Final = Injection(
    Category.MISSING_IN_NEW,
    _lines_where(lambda line: line["circuit_id"] is not None),
    _missing_in_new,
)


def _hierarchy(draft: Draft, candidate: Candidate, minor_min: int) -> int:
    """Tollway rolls a child account's lines up onto its parent's invoice; legacy bills them on
    an invoice of the child's own (one label per line moved)."""
    invoice_key, child_id = candidate
    parent_id = draft.tollway_invoices[invoice_key]["account_id"]
    keys = draft.lines_on(invoice_key)
    moved = [key for key in keys if draft.lines[key]["account_id"] == child_id]
    if not moved or len(moved) == len(keys) or not all(draft.line_free(key) for key in moved):
        return 0
    if any(draft.groups_of_line(key) & draft.labelled_groups for key in moved):
        return 0
    draft.move_lines(moved, to_invoice=f"{invoice_key}/{child_id}")
    note = (
        f"legacy bills account {child_id}'s line on the account's own invoice; tollway rolls "
        f"it up onto paying account {parent_id}'s invoice"
    )
    for key in moved:
        draft.label_line(Category.HIERARCHY, key, note)
        draft.use_line(key)
    return len(moved)


def _child_accounts(draft: Draft) -> list[Candidate]:
    return sorted(
        {
            (line["invoice_id"], line["account_id"])
            for _, line in draft.sorted_lines()
            if line["invoice_id"] in draft.tollway_invoices
            and line["account_id"] != draft.tollway_invoices[line["invoice_id"]]["account_id"]
        }
    )


HIERARCHY: Final = Injection(Category.HIERARCHY, _child_accounts, _hierarchy)

LINE_INJECTIONS: Final = (
    PRORATION,
    TIMING,
    DISCOUNT,
    USAGE_COMPLETENESS,
    QUANTITY,
    RATE,
    EXTRA_IN_NEW,
    MISSING_IN_NEW,
)
"""The line categories but hierarchy and rounding, most constrained first."""
