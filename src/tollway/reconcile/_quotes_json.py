"""TMF622 productOrder JSON taken apart into flat quote rows.

An order becomes one flat row per item price (one row for an item without prices), each value
remembering its JSON path (`productOrderItem[0].itemPrice[1].price.taxRate`, indices from 0), so
the row checks name the place to fix. Problems of shape (an item list that is not a list, two
itemTerms, a Money without its unit) are found here. Numbers are read from their JSON text as
exact Decimals, never through a binary float. Keys tollway does not use are ignored: a CRM's
export carries many (`@type`, `href`, `state`, ...).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from tollway.reconcile._quotes_fields import FlatRow, Problem, shown
from tollway.reconcile._quotes_model import QuoteIssueCode

TERM_UNITS: Final = ("month", "months")
"""The units an itemTerm's duration may be given in."""

_CHARACTERISTICS: Final = {"circuitId": "circuit_id", "bandwidthMbps": "bandwidth_mbps"}
"""productCharacteristic names tollway reads, and the flat column each fills."""


class _JsonConstantError(ValueError):
    pass


def _refuse_constant(text: str) -> object:
    raise _JsonConstantError(f"{text} is not a number")


def parse_json(text: str) -> object:
    """A JSON text with every number exact: integers as int, the others as Decimal.

    >>> parse_json('{"value": 12.50, "units": 3}')
    {'value': Decimal('12.50'), 'units': 3}
    """
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


@dataclass(slots=True)
class _Flattener:
    """Collects one order's flat rows and problems (a record is checked whole)."""

    row: int
    problems: list[Problem] = field(default_factory=list)
    units: list[tuple[str, str]] = field(default_factory=list)
    """Every Money unit met (path, unit): they must agree, and the first is the currency."""

    def fail(self, path: str, code: QuoteIssueCode, message: str) -> None:
        self.problems.append(Problem(path, code, f"{path}: {message}"))

    def mapping(self, value: object, path: str) -> Mapping[str, object]:
        """`value` as an object; {} (and a problem unless it is absent) when it is not one."""
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return value
        self.fail(path, QuoteIssueCode.BAD_STRUCTURE, f"{shown(value)} is not a JSON object")
        return {}

    def sequence(self, value: object, path: str) -> list[object]:
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.fail(path, QuoteIssueCode.BAD_STRUCTURE, f"{shown(value)} is not a JSON array")
        return []

    def money(
        self, value: object, path: str, into: dict[str, object], where: dict[str, str], column: str
    ) -> None:
        """A TMF Money `{"value": ..., "unit": "USD"}` into `column` (its unit remembered)."""
        if value is None:
            return
        money = self.mapping(value, path)
        if not money:
            return
        into[column] = money.get("value")
        where[column] = f"{path}.value"
        if money.get("value") in (None, ""):
            self.fail(f"{path}.value", QuoteIssueCode.MISSING_VALUE, "a Money needs its value")
        unit = money.get("unit")
        if not isinstance(unit, str) or not unit:
            self.fail(f"{path}.unit", QuoteIssueCode.MISSING_VALUE, "a Money needs its unit")
            return
        self.units.append((f"{path}.unit", unit))


def flatten_order(row: int, order: object) -> tuple[list[FlatRow], list[Problem]]:
    """The flat rows of one JSON order (record `row`) and the problems of its shape."""
    flattener = _Flattener(row)
    if not isinstance(order, Mapping):
        flattener.fail("$", QuoteIssueCode.BAD_STRUCTURE, "an order is a JSON object")
        return [], flattener.problems
    values: dict[str, object] = {
        "order_id": order.get("id"),
        "order_date": order.get("orderDate"),
    }
    where = {"order_id": "id", "order_date": "orderDate"}
    account = flattener.mapping(order.get("billingAccount"), "billingAccount")
    values["billing_account_id"] = account.get("id")
    where["billing_account_id"] = "billingAccount.id"
    flattener.money(
        order.get("expectedFirstInvoiceTotal"),
        "expectedFirstInvoiceTotal",
        values,
        where,
        "expected_first_invoice_total",
    )
    items = flattener.sequence(order.get("productOrderItem"), "productOrderItem")
    if not items:
        flattener.fail(
            "productOrderItem", QuoteIssueCode.MISSING_VALUE, "an order has one or more items"
        )
    pieces: list[tuple[str, dict[str, object], dict[str, str]]] = []
    for index, item in enumerate(items):
        pieces.extend(_item_pieces(flattener, index, item))
    _set_currency(flattener, values, where)
    flat = [
        FlatRow(
            row=row,
            values={**values, **item_values},
            locations={**where, **item_where},
            order_key=f"record {row}",
            item_key=item_key,
        )
        for item_key, item_values, item_where in pieces
    ]
    return flat, flattener.problems


def _set_currency(flattener: _Flattener, values: dict[str, object], where: dict[str, str]) -> None:
    if not flattener.units:
        return
    first_path, first = flattener.units[0]
    values["currency"] = first
    where["currency"] = first_path
    for path, unit in flattener.units[1:]:
        if unit != first:
            flattener.fail(
                path,
                QuoteIssueCode.CURRENCY_MISMATCH,
                f"{shown(unit)} differs from the order's currency {first} ({first_path})",
            )


def _item_pieces(
    flattener: _Flattener, index: int, item: object
) -> list[tuple[str, dict[str, object], dict[str, str]]]:
    """(item key, values, locations) per price of the item (one piece when it has none)."""
    path = f"productOrderItem[{index}]"
    fields_of = flattener.mapping(item, path)
    if item is None:
        flattener.fail(path, QuoteIssueCode.BAD_STRUCTURE, "an item is a JSON object")
    values: dict[str, object] = {
        "item_id": fields_of.get("id"),
        "action": fields_of.get("action"),
        "quantity": fields_of.get("quantity"),
        "product_offering_id": flattener.mapping(
            fields_of.get("productOffering"), f"{path}.productOffering"
        ).get("id"),
    }
    where = {
        "item_id": f"{path}.id",
        "action": f"{path}.action",
        "quantity": f"{path}.quantity",
        "product_offering_id": f"{path}.productOffering.id",
    }
    _characteristics(flattener, fields_of, path, values, where)
    _term(flattener, fields_of.get("itemTerm"), f"{path}.itemTerm", values, where)
    prices = flattener.sequence(fields_of.get("itemPrice"), f"{path}.itemPrice")
    if not prices:
        return [(str(index), values, where)]
    pieces = []
    for price_index, price in enumerate(prices):
        price_values, price_where = _price(flattener, price, f"{path}.itemPrice[{price_index}]")
        pieces.append((str(index), {**values, **price_values}, {**where, **price_where}))
    return pieces


def _characteristics(
    flattener: _Flattener,
    item: Mapping[str, object],
    path: str,
    values: dict[str, object],
    where: dict[str, str],
) -> None:
    product = flattener.mapping(item.get("product"), f"{path}.product")
    entries = flattener.sequence(
        product.get("productCharacteristic"), f"{path}.product.productCharacteristic"
    )
    for position, entry in enumerate(entries):
        entry_path = f"{path}.product.productCharacteristic[{position}]"
        characteristic = flattener.mapping(entry, entry_path)
        column = _CHARACTERISTICS.get(str(characteristic.get("name")))
        if column is None:
            continue
        if column in where:
            flattener.fail(
                entry_path,
                QuoteIssueCode.CONFLICTING_VALUES,
                f"{characteristic.get('name')} is given twice",
            )
            continue
        values[column] = characteristic.get("value")
        where[column] = f"{entry_path}.value"


def _term(
    flattener: _Flattener,
    value: object,
    path: str,
    values: dict[str, object],
    where: dict[str, str],
) -> None:
    terms = flattener.sequence(value, path)
    if len(terms) > 1:
        flattener.fail(path, QuoteIssueCode.BAD_STRUCTURE, "an item has at most one itemTerm")
    if len(terms) != 1:
        return
    term = flattener.mapping(terms[0], f"{path}[0]")
    duration = flattener.mapping(term.get("duration"), f"{path}[0].duration")
    values["term_months"] = duration.get("amount")
    where["term_months"] = f"{path}[0].duration.amount"
    if duration.get("amount") is None:
        flattener.fail(
            f"{path}[0].duration.amount",
            QuoteIssueCode.MISSING_VALUE,
            "an itemTerm gives its duration in months",
        )
    units = duration.get("units")
    if duration and units not in TERM_UNITS:
        flattener.fail(
            f"{path}[0].duration.units",
            QuoteIssueCode.BAD_VALUE,
            f"{shown(units)}: a contract term is given in months ({', '.join(TERM_UNITS)})",
        )
    valid_for = flattener.mapping(term.get("validFor"), f"{path}[0].validFor")
    values["term_start"] = valid_for.get("startDateTime")
    where["term_start"] = f"{path}[0].validFor.startDateTime"


def _price(
    flattener: _Flattener, value: object, path: str
) -> tuple[dict[str, object], dict[str, str]]:
    price = flattener.mapping(value, path)
    if value is None:
        flattener.fail(path, QuoteIssueCode.BAD_STRUCTURE, "an itemPrice is a JSON object")
    values: dict[str, object] = {
        "price_type": price.get("priceType"),
        "recurring_charge_period": price.get("recurringChargePeriod"),
        "product_offering_price_id": flattener.mapping(
            price.get("productOfferingPrice"), f"{path}.productOfferingPrice"
        ).get("id"),
        "tax_treatment": price.get("taxTreatment"),
        "tax_jurisdiction_id": price.get("taxJurisdictionId"),
    }
    where = {
        "price_type": f"{path}.priceType",
        "recurring_charge_period": f"{path}.recurringChargePeriod",
        "product_offering_price_id": f"{path}.productOfferingPrice.id",
        "tax_treatment": f"{path}.taxTreatment",
        "tax_jurisdiction_id": f"{path}.taxJurisdictionId",
    }
    amounts = flattener.mapping(price.get("price"), f"{path}.price")
    for key, column in (
        ("dutyFreeAmount", "amount"),
        ("taxIncludedAmount", "tax_included_amount"),
        ("unitPrice", "unit_price"),
    ):
        flattener.money(amounts.get(key), f"{path}.price.{key}", values, where, column)
    values["tax_rate_percent"] = amounts.get("taxRate")
    where["tax_rate_percent"] = f"{path}.price.taxRate"
    _alteration(flattener, price.get("priceAlteration"), f"{path}.priceAlteration", values, where)
    return values, where


def _alteration(
    flattener: _Flattener,
    value: object,
    path: str,
    values: dict[str, object],
    where: dict[str, str],
) -> None:
    alterations = flattener.sequence(value, path)
    if len(alterations) > 1:
        flattener.fail(
            path, QuoteIssueCode.BAD_STRUCTURE, "a price has at most one priceAlteration"
        )
    if len(alterations) != 1:
        return
    alteration = flattener.mapping(alterations[0], f"{path}[0]")
    values["discount_periods"] = alteration.get("applicationDuration")
    where["discount_periods"] = f"{path}[0].applicationDuration"
    amounts = flattener.mapping(alteration.get("price"), f"{path}[0].price")
    values["discount_percent"] = amounts.get("percentage")
    where["discount_percent"] = f"{path}[0].price.percentage"
    flattener.money(
        amounts.get("dutyFreeAmount"),
        f"{path}[0].price.dutyFreeAmount",
        values,
        where,
        "discount_amount",
    )
