"""Finishing the simulated legacy copy: lines split in two, ids legacy lacks, legacy ids, headers.

None of this is a difference: a split line's pieces add up to tollway's line, a line without a
circuit (or product) id is still the same line, and legacy ids map back through the cross-walk.
Invoice headers are recomputed from the legacy lines and taxes, so every legacy invoice's totals
are its lines' and taxes' sums (checked, like tollway's, by `assert_totals`).
"""

import random
from collections.abc import Iterable
from decimal import Decimal
from typing import Final

from tollway.reconcile._simulate_draft import Draft
from tollway.reconcile._simulate_ids import LegacyKeys, picked, to_legacy_line
from tollway.reconcile._simulate_rows import (
    Row,
    currency_round,
    legacy_id,
    product,
    stored,
    table_of,
)
from tollway.reconcile._tables import (
    INVOICE_SCHEMA,
    LINE_SCHEMA,
    TAX_SCHEMA,
    CrosswalkEntity,
    InvoiceTables,
    System,
)

FIRST_PIECE_SHARE: Final = Decimal("0.4")
PRODUCT_ALSO_MISSING_PERCENT: Final = Decimal(50)
"""Of the lines legacy sends without a circuit id, the share also without a product id (only
where the line is still unique on its invoice by charge type, period and description)."""


def split_lines(draft: Draft, rng: random.Random, count: int, *, safe: set[str]) -> int:
    """Split `count` untouched lines in two pieces with the same period whose quantities, amounts
    and taxes add up to the line's exactly (legacy rated them in two passes).

    Only `safe` lines (`splittable`) are split: where tollway bills two lines of one service and
    charge type over the same days, nobody can tell which pieces belong to which line.
    """

    keys = [
        key
        for key, line in draft.sorted_lines()
        if key in safe
        and draft.line_free(key)
        and line["quantity"] is not None
        and line["quantity"] > 0
    ]
    rng.shuffle(keys)
    chosen = keys[:count]
    for key in chosen:
        _split(draft, key)
    return len(chosen)


def _split(draft: Draft, key: str) -> None:
    line, taxes = draft.lines[key], draft.line_taxes(key)
    origin = draft.origin_invoice[key]
    draft.remove_line(key)
    draft.used_lines.add(key)
    for number in ("1", "2"):
        draft.add_line(f"{key}/{number}", _piece(line, number), origin_invoice=origin)
    draft.taxes += [piece for tax in taxes for piece in _tax_pieces(tax, key)]
    draft.reindex()
    draft.use_line(f"{key}/1")
    draft.use_line(f"{key}/2")


def splittable(tollway_lines: list[Row]) -> set[str]:
    """Tollway lines that are the only line of their account, charge type and circuit (or
    product) over any of their days."""
    by_service: dict[tuple[object, ...], list[Row]] = {}
    for line in tollway_lines:
        service = line["circuit_id"] if line["circuit_id"] is not None else line["product_id"]
        if service is not None and line["period_start"] is not None:
            key = (line["account_id"], line["charge_type"], service)
            by_service.setdefault(key, []).append(line)
    return {
        line["line_id"]
        for group in by_service.values()
        for line in group
        if not any(
            other is not line
            and other["period_start"] < line["period_end"]
            and line["period_start"] < other["period_end"]
            for other in group
        )
    }


def _first_share(value: Decimal, currency_code: str | None) -> Decimal:
    share = product(value, FIRST_PIECE_SHARE)
    return stored(share if currency_code is None else currency_round(share, currency_code))


def _piece(line: Row, number: str) -> Row:
    """The first piece (a share of the line) or the second (what the first left)."""
    quantity = _first_share(line["quantity"], None)
    amount = _first_share(line["amount"], line["currency"])
    if number == "2":
        quantity, amount = line["quantity"] - quantity, line["amount"] - amount
    return {
        **line,
        "line_id": f"{line['line_id']}/{number}",
        "quantity": quantity,
        "amount": amount,
    }


def _tax_pieces(tax: Row, key: str) -> list[Row]:
    first_amount = _first_share(tax["tax_amount"], tax["currency"])
    first: Row = {**tax, "line_id": f"{key}/1", "tax_amount": first_amount}
    second: Row = {**tax, "line_id": f"{key}/2", "tax_amount": tax["tax_amount"] - first_amount}
    if tax["taxable_amount"] is not None:
        first["taxable_amount"] = _first_share(tax["taxable_amount"], tax["currency"])
        second["taxable_amount"] = tax["taxable_amount"] - first["taxable_amount"]
    return [first, second]


def strip_ids(draft: Draft, *, percent: Decimal, seed: int) -> None:
    """Untouched lines legacy sends without a circuit id (some without a product id either):
    matching must fall back to fuzzier keys for them.

    Only where the fuzzier key still tells the line apart, on its legacy invoice and on tollway's:
    no other line of the account with the same charge type and product over the same days (for a
    line keeping its product id), or with the same charge type, period and description (for a line
    losing both).
    """
    for key, line in draft.sorted_lines():
        touched = key in draft.used_lines or key in draft.blocked_lines
        if touched or line["circuit_id"] is None or line["product_id"] is None:
            continue
        if not picked(percent, "no-circuit", str(seed), key) or not _unique_product(draft, key):
            continue
        line["circuit_id"] = None
        if picked(PRODUCT_ALSO_MISSING_PERCENT, "no-product", str(seed), key) and _unique(
            draft, key
        ):
            line["product_id"] = None


def _unique_product(draft: Draft, key: str) -> bool:
    line = draft.lines[key]
    service = (line["account_id"], line["charge_type"], line["product_id"])
    return not any(
        (other["account_id"], other["charge_type"], other["product_id"]) == service
        and _overlap(line, other)
        for other in draft.neighbours(key)
    )


def _overlap(line: Row, other: Row) -> bool:
    if None in (
        line["period_start"],
        line["period_end"],
        other["period_start"],
        other["period_end"],
    ):
        return True
    return bool(
        other["period_start"] < line["period_end"] and line["period_start"] < other["period_end"]
    )


def _fuzzy_key(line: Row) -> tuple[object, ...]:
    fields = ("account_id", "charge_type", "period_start", "period_end", "description")
    return tuple(line[name] for name in fields)


def _unique(draft: Draft, key: str) -> bool:
    fuzzy = _fuzzy_key(draft.lines[key])
    return not any(_fuzzy_key(other) == fuzzy for other in draft.neighbours(key))


def assemble(draft: Draft, keys: LegacyKeys) -> InvoiceTables:
    """The legacy tables: legacy ids everywhere, headers recomputed from lines and taxes."""
    lines_by_invoice: dict[str, list[Row]] = {key: [] for key in draft.tollway_invoices}
    for _, line in draft.sorted_lines():
        lines_by_invoice.setdefault(line["invoice_id"], []).append(line)
    taxes_by_invoice: dict[str, list[Row]] = {}
    for tax in draft.taxes:
        taxes_by_invoice.setdefault(tax["invoice_id"], []).append(tax)
    headers, lines, taxes = [], [], []
    for invoice_key, own in sorted(lines_by_invoice.items()):
        header = _base_header(draft, invoice_key)
        on = header["period_start"]
        own_lines = [
            {
                **to_legacy_line(keys, line, on=on),
                "system": System.LEGACY.value,
                "invoice_id": legacy_id(invoice_key),
            }
            for line in own
        ]
        own_taxes = [
            _legacy_tax(draft, tax, invoice_key) for tax in taxes_by_invoice.get(invoice_key, [])
        ]
        account = keys.legacy_id(CrosswalkEntity.ACCOUNT, header["account_id"], on=on)
        headers.append(_header(header, legacy_id(invoice_key), account, own_lines, own_taxes))
        lines.extend(own_lines)
        taxes.extend(own_taxes)
    tables = InvoiceTables(
        table_of(headers, INVOICE_SCHEMA, sort_keys=("invoice_id",)),
        table_of(lines, LINE_SCHEMA, sort_keys=("invoice_id", "line_id")),
        table_of(taxes, TAX_SCHEMA, sort_keys=TAX_ORDER),
    )
    assert_totals(tables.invoices.to_pylist(), tables.lines.to_pylist(), tables.taxes.to_pylist())
    return tables


TAX_ORDER: Final = ("invoice_id", "line_id", "jurisdiction_id", "tax_type", "exempt", "tax_amount")


def _base_header(draft: Draft, invoice_key: str) -> Row:
    """Tollway's header of the invoice; for a child's own invoice, its parent's, re-addressed."""
    if invoice_key in draft.tollway_invoices:
        return draft.tollway_invoices[invoice_key]
    parent_key, child_id = invoice_key.split("/", 1)
    return {**draft.tollway_invoices[parent_key], "account_id": child_id}


def _legacy_tax(draft: Draft, tax: Row, invoice_key: str) -> Row:
    line_key = tax["line_id"]
    legacy_line = None if line_key is None else draft.lines[line_key]["line_id"]
    return {
        **tax,
        "system": System.LEGACY.value,
        "invoice_id": legacy_id(invoice_key),
        "line_id": legacy_line,
    }


def _header(base: Row, invoice_id: str, account_id: str, lines: list[Row], taxes: list[Row]) -> Row:
    excluding = _total(line["amount"] for line in lines)
    tax_total = _total(tax["tax_amount"] for tax in taxes if not tax["exempt"])
    return {
        **base,
        "system": System.LEGACY.value,
        "invoice_id": invoice_id,
        "account_id": account_id,
        "total_excluding_tax": excluding,
        "tax_total": tax_total,
        "total_including_tax": excluding + tax_total,
    }


def _total(amounts: Iterable[Decimal]) -> Decimal:
    return stored(sum(amounts, Decimal(0)))


def assert_totals(invoices: list[Row], lines: list[Row], taxes: list[Row]) -> None:
    """Every invoice's totals are its lines' sum and its non-exempt taxes' sum."""
    excluding: dict[str, Decimal] = {}
    tax_total: dict[str, Decimal] = {}
    for line in lines:
        invoice_id = line["invoice_id"]
        excluding[invoice_id] = excluding.get(invoice_id, Decimal(0)) + line["amount"]
    for tax in (tax for tax in taxes if not tax["exempt"]):
        invoice_id = tax["invoice_id"]
        tax_total[invoice_id] = tax_total.get(invoice_id, Decimal(0)) + tax["tax_amount"]
    for invoice in invoices:
        name = f"{invoice['system']} invoice {invoice['invoice_id']}"
        lines_sum = excluding.get(invoice["invoice_id"], Decimal(0))
        taxes_sum = tax_total.get(invoice["invoice_id"], Decimal(0))
        assert invoice["total_excluding_tax"] == lines_sum, f"{name}: not its lines' sum"
        assert invoice["tax_total"] == taxes_sum, f"{name}: tax total is not its taxes' sum"
        including = invoice["total_excluding_tax"] + invoice["tax_total"]
        assert invoice["total_including_tax"] == including, f"{name}: total including tax"
