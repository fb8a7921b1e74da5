"""From flat quote rows to orders: every field checked, every row accepted or rejected.

The unit of rejection is the order: a CSV order spread over several rows is rejected whole when
any of its rows is wrong (its other rows say so, naming the rows to fix), a JSON order is one
record. Every submitted row is accounted for: accepted + rejected = submitted, asserted here.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Final

from tollway.reconcile._quotes_fields import (
    ITEM_COLUMNS,
    ORDER_COLUMNS,
    PRICE_COLUMNS,
    FieldReader,
    FlatRow,
    Problem,
)
from tollway.reconcile._quotes_model import (
    PERCENT,
    OrderAction,
    QuotedDiscount,
    QuotedPrice,
    QuotedTerm,
    QuoteIssueCode,
    QuoteItem,
    QuoteOrder,
    QuotePriceType,
    QuoteTaxTreatment,
)

MONTHLY: Final = "month"
"""The one recurring charge period compared: tollway bills monthly."""

_AMOUNT_COLUMNS: Final = (
    "expected_first_invoice_total",
    "unit_price",
    "amount",
    "tax_included_amount",
    "discount_amount",
)


@dataclass(frozen=True, slots=True)
class OrderFields:
    """The order-level fields of a row (equal on every row of a CSV order)."""

    order_id: str
    order_date: date
    billing_account_id: str
    currency: str | None
    expected_first_invoice_total: Decimal | None


@dataclass(frozen=True, slots=True)
class ItemFields:
    """The item-level fields of a row (equal on every row of one item)."""

    item_id: str
    action: OrderAction
    quantity: int
    product_offering_id: str | None
    circuit_id: str | None
    bandwidth_mbps: Decimal | None
    term_months: int | None
    term_start: date | None


@dataclass(frozen=True, slots=True)
class ParsedRow:
    flat: FlatRow
    order: OrderFields
    item: ItemFields
    price: QuotedPrice | None


@dataclass(frozen=True, slots=True)
class Assembly:
    """The orders of one file, its issues (ISSUE_SCHEMA rows as mappings) and its row counts."""

    orders: tuple[QuoteOrder, ...]
    issues: tuple[Mapping[str, object], ...]
    submitted: int
    accepted: int
    rejected: int

    def __post_init__(self) -> None:
        assert self.accepted + self.rejected == self.submitted, (
            f"{self.accepted} accepted + {self.rejected} rejected != {self.submitted} submitted"
        )


def parse_row(flat: FlatRow) -> tuple[ParsedRow | None, list[Problem]]:
    """Read one flat row; None with the problems when any field is wrong."""
    reader = FieldReader(flat)
    order = _order_fields(reader)
    item = _item_fields(reader)
    price = _price(reader)
    if any(reader.is_given(column) for column in _AMOUNT_COLUMNS) and not reader.is_given(
        "currency"
    ):
        reader.fail("currency", QuoteIssueCode.MISSING_VALUE, "required when the row has amounts")
    if reader.problems or order is None or item is None:
        return None, reader.problems
    return ParsedRow(flat, order, item, price), []


def _order_fields(reader: FieldReader) -> OrderFields | None:
    order_id = reader.text_id("order_id", required=True)
    order_date = reader.day("order_date", required=True)
    account = reader.text_id("billing_account_id", required=True)
    code = reader.currency_code("currency")
    total = reader.decimal("expected_first_invoice_total")
    if order_id is None or order_date is None or account is None:
        return None
    return OrderFields(order_id, order_date, account, code, total)


def _item_fields(reader: FieldReader) -> ItemFields | None:
    item_id = reader.text_id("item_id", required=True)
    action = reader.choice("action", OrderAction, required=True)
    quantity = reader.integer("quantity")
    offering = reader.text_id("product_offering_id")
    circuit = reader.text_id("circuit_id")
    bandwidth = reader.decimal("bandwidth_mbps", minimum=Decimal(0))
    months = reader.integer("term_months")
    start = reader.day("term_start")
    if bandwidth == 0:
        reader.fail("bandwidth_mbps", QuoteIssueCode.OUT_OF_RANGE, "0 must be more than 0")
    if action in (OrderAction.ADD, OrderAction.MODIFY) and not reader.is_given(
        "product_offering_id"
    ):
        reader.fail(
            "product_offering_id",
            QuoteIssueCode.MISSING_VALUE,
            f"required for an {action.value} item",
        )
    if action in (OrderAction.MODIFY, OrderAction.DELETE) and not reader.is_given("circuit_id"):
        reader.fail(
            "circuit_id",
            QuoteIssueCode.MISSING_VALUE,
            f"required for a {action.value} item (the circuit it changes)",
        )
    if circuit is not None and quantity is not None and quantity > 1:
        reader.fail(
            "quantity",
            QuoteIssueCode.CONFLICTING_VALUES,
            f"{quantity} instances, but circuit_id names one; give one item per circuit",
        )
    if start is not None and not reader.is_given("term_months"):
        reader.fail("term_months", QuoteIssueCode.MISSING_VALUE, "required with term_start")
    if item_id is None or action is None:
        return None
    return ItemFields(item_id, action, quantity or 1, offering, circuit, bandwidth, months, start)


def _price(reader: FieldReader) -> QuotedPrice | None:
    price_type = reader.choice("price_type", QuotePriceType)
    if price_type is None:
        filled = [column for column in PRICE_COLUMNS[1:] if reader.is_given(column)]
        if filled and not reader.is_given("price_type"):
            reader.fail(
                "price_type",
                QuoteIssueCode.MISSING_VALUE,
                f"required when a price column is filled ({', '.join(filled)})",
            )
        return None
    period = reader.raw("recurring_charge_period")
    if period is not None and period != MONTHLY:
        reader.fail(
            "recurring_charge_period",
            QuoteIssueCode.BAD_VALUE,
            f'"{period}": only monthly recurring prices are compared; write {MONTHLY}',
        )
    problems_before = len(reader.problems)
    price = _quoted_price(reader, price_type, discount=_discount(reader))
    if len(reader.problems) > problems_before:
        return None
    return price


def _quoted_price(
    reader: FieldReader, price_type: QuotePriceType, *, discount: QuotedDiscount | None
) -> QuotedPrice | None:
    before = len(reader.problems)
    offering_price_id = reader.text_id("product_offering_price_id")
    duty_free = reader.decimal("amount", minimum=Decimal(0))
    included = reader.decimal("tax_included_amount", minimum=Decimal(0))
    unit_price = reader.decimal("unit_price", minimum=Decimal(0))
    treatment = reader.choice("tax_treatment", QuoteTaxTreatment) or QuoteTaxTreatment.EXCLUSIVE
    rate = reader.decimal("tax_rate_percent", minimum=Decimal(0), maximum=PERCENT)
    jurisdiction = reader.text_id("tax_jurisdiction_id")
    if len(reader.problems) > before:
        return None
    inclusive = treatment is QuoteTaxTreatment.INCLUSIVE
    headline, other = (included, duty_free) if inclusive else (duty_free, included)
    if headline is None and unit_price is None and (other is None or rate is None):
        wanted = (
            "tax_included_amount, or amount with tax_rate_percent"
            if inclusive
            else "amount, or tax_included_amount with tax_rate_percent"
        )
        reader.fail(
            "amount",
            QuoteIssueCode.INCOMPLETE_PRICE,
            f"a tax-{treatment.value} price needs {wanted}, or unit_price",
        )
        return None
    return QuotedPrice(
        price_type=price_type,
        offering_price_id=offering_price_id,
        duty_free_amount=duty_free,
        tax_included_amount=included,
        unit_price=unit_price,
        tax_treatment=treatment,
        tax_rate_percent=rate,
        tax_jurisdiction_id=jurisdiction,
        discount=discount,
    )


def _discount(reader: FieldReader) -> QuotedDiscount | None:
    percent = reader.decimal("discount_percent", minimum=Decimal(0), maximum=PERCENT)
    amount = reader.decimal("discount_amount", minimum=Decimal(0))
    periods = reader.integer("discount_periods")
    if reader.is_given("discount_percent") and reader.is_given("discount_amount"):
        reader.fail(
            "discount_amount",
            QuoteIssueCode.CONFLICTING_VALUES,
            "give discount_percent or discount_amount, not both",
        )
        return None
    if percent is None and amount is None:
        if reader.is_given("discount_periods"):
            reader.fail(
                "discount_periods",
                QuoteIssueCode.MISSING_VALUE,
                "a discount duration needs discount_percent or discount_amount",
            )
        return None
    return QuotedDiscount(percent=percent, amount=amount, periods=periods)


def issue(
    file_name: str, row: int | None, problem: Problem, *, severity: str = "error"
) -> dict[str, object]:
    """An ISSUE_SCHEMA row."""
    return {
        "file": file_name,
        "row": row,
        "field": problem.field,
        "code": problem.code.value,
        "message": problem.message,
        "severity": severity,
    }


def assemble(
    file_name: str,
    *,
    submitted_rows: Sequence[int],
    flat_rows: Sequence[FlatRow],
    record_problems: Mapping[int, Sequence[Problem]],
) -> Assembly:
    """Check every row, group rows into orders, and accept or reject each order whole.

    `record_problems` are problems found before a record became flat rows (a JSON order whose
    shape is wrong), by row: such a record is rejected with its flat rows, if any.
    """
    groups: dict[str, list[FlatRow]] = {}
    for flat in flat_rows:
        groups.setdefault(flat.order_key, []).append(flat)
    problems: dict[int, list[Problem]] = {
        row: list(found) for row, found in record_problems.items()
    }
    orders: list[QuoteOrder] = []
    seen_orders: dict[str, int] = {}
    for rows in groups.values():
        order = _group_order(rows, problems, seen_orders, file_name=file_name)
        if order is not None:
            orders.append(order)
    issues = _issues(file_name, groups, problems)
    rejected = {row for row, found in problems.items() if found} | {
        flat.row for rows in groups.values() for flat in rows if _group_rejected(rows, problems)
    }
    accepted_rows = {flat.row for order_rows in groups.values() for flat in order_rows} - rejected
    submitted = set(submitted_rows)
    assert rejected <= submitted and accepted_rows <= submitted
    assert len(accepted_rows) + len(rejected) == len(submitted), "a row was neither taken nor left"
    return Assembly(
        orders=tuple(orders),
        issues=tuple(issues),
        submitted=len(submitted),
        accepted=len(accepted_rows),
        rejected=len(rejected),
    )


def _group_rejected(rows: Sequence[FlatRow], problems: Mapping[int, Sequence[Problem]]) -> bool:
    return any(problems.get(flat.row) for flat in rows)


def _group_order(
    rows: Sequence[FlatRow],
    problems: dict[int, list[Problem]],
    seen_orders: dict[str, int],
    *,
    file_name: str,
) -> QuoteOrder | None:
    parsed: list[ParsedRow] = []
    for flat in rows:
        row, found = parse_row(flat)
        problems.setdefault(flat.row, []).extend(found)
        if row is not None:
            parsed.append(row)
    if len(parsed) == len(rows):
        _check_consistent(parsed, problems)
        first = parsed[0]
        earlier = seen_orders.get(first.order.order_id)
        if earlier is None:
            seen_orders[first.order.order_id] = first.flat.row
        else:
            problems[first.flat.row].append(
                _located(
                    first.flat,
                    "order_id",
                    QuoteIssueCode.DUPLICATE_ID,
                    f"order {first.order.order_id} is already given on row {earlier}",
                )
            )
    if _group_rejected(rows, problems):
        return None
    return _order(parsed, file_name=file_name)


def _located(flat: FlatRow, column: str, code: QuoteIssueCode, message: str) -> Problem:
    """A problem of `column`, named where the row's value came from (a column or JSON path)."""
    location = flat.locations.get(column, column)
    return Problem(location, code, f"{location}: {message}")


def _differences(
    first: ParsedRow, other: ParsedRow, *, level: str, columns: Sequence[str]
) -> list[Problem]:
    found: list[Problem] = []
    first_values = getattr(first, level)
    other_values = getattr(other, level)
    for column, entry in zip(columns, fields(first_values), strict=True):
        mine, theirs = getattr(other_values, entry.name), getattr(first_values, entry.name)
        if mine != theirs:
            found.append(
                _located(
                    other.flat,
                    column,
                    QuoteIssueCode.CONFLICTING_VALUES,
                    f"{mine} differs from {theirs} on row {first.flat.row} of the same {level}",
                )
            )
    return found


def _check_consistent(parsed: Sequence[ParsedRow], problems: dict[int, list[Problem]]) -> None:
    """Order fields equal on every row; item fields equal on an item's rows; item ids and
    (price type, offering price) pairs of an item not repeated."""
    first_of_item: dict[str, ParsedRow] = {}
    key_of_id: dict[str, str] = {}
    prices: dict[tuple[str, QuotePriceType, str | None], tuple[int, int]] = {}
    order_columns = ORDER_COLUMNS
    for index, row in enumerate(parsed):
        found = _differences(parsed[0], row, level="order", columns=order_columns)
        item_first = first_of_item.setdefault(row.flat.item_key, row)
        found += _differences(item_first, row, level="item", columns=ITEM_COLUMNS)
        owner = key_of_id.setdefault(row.item.item_id, row.flat.item_key)
        if owner != row.flat.item_key:
            found.append(
                _located(
                    row.flat,
                    "item_id",
                    QuoteIssueCode.DUPLICATE_ID,
                    f"item {row.item.item_id} appears twice in order {row.order.order_id}",
                )
            )
        if row.price is not None:
            key = (row.flat.item_key, row.price.price_type, row.price.offering_price_id)
            earlier_index, earlier_row = prices.setdefault(key, (index, row.flat.row))
            if earlier_index != index:
                found.append(_repeated_price(row, earlier_row))
        problems[row.flat.row].extend(found)


def _repeated_price(row: ParsedRow, earlier: int) -> Problem:
    assert row.price is not None
    named = row.price.offering_price_id or "no offering price named"
    return _located(
        row.flat,
        "price_type",
        QuoteIssueCode.CONFLICTING_VALUES,
        f"item {row.item.item_id} already has a {row.price.price_type.value} price ({named}) "
        f"on row {earlier}; name each price's product_offering_price_id",
    )


def _order(parsed: Sequence[ParsedRow], *, file_name: str) -> QuoteOrder:
    items: dict[str, list[ParsedRow]] = {}
    for row in parsed:
        items.setdefault(row.flat.item_key, []).append(row)
    first = parsed[0].order
    return QuoteOrder(
        id=first.order_id,
        order_date=first.order_date,
        billing_account_id=first.billing_account_id,
        currency=first.currency,
        items=tuple(_item(rows) for rows in items.values()),
        expected_first_invoice_total=first.expected_first_invoice_total,
        source=f"{file_name} row {parsed[0].flat.row}",
    )


def _item(rows: Sequence[ParsedRow]) -> QuoteItem:
    fields_of = rows[0].item
    term = None
    if fields_of.term_months is not None:
        term = QuotedTerm(fields_of.term_months, fields_of.term_start)
    return QuoteItem(
        id=fields_of.item_id,
        action=fields_of.action,
        offering_id=fields_of.product_offering_id,
        quantity=fields_of.quantity,
        circuit_id=fields_of.circuit_id,
        bandwidth_mbps=fields_of.bandwidth_mbps,
        term=term,
        prices=tuple(row.price for row in rows if row.price is not None),
    )


def _issues(
    file_name: str,
    groups: Mapping[str, Sequence[FlatRow]],
    problems: Mapping[int, Sequence[Problem]],
) -> list[dict[str, object]]:
    """Every problem, and for a rejected order's rows without one, the rows to fix; by row."""
    found: list[dict[str, object]] = []
    for row, row_problems in problems.items():
        # A JSON order's flat rows share its row: an order-level problem is reported once.
        for problem in dict.fromkeys(row_problems):
            found.append(issue(file_name, row, problem))
    for rows in groups.values():
        bad = sorted({flat.row for flat in rows if problems.get(flat.row)})
        if not bad:
            continue
        for flat in rows:
            if not problems.get(flat.row):
                order_id = flat.values.get("order_id")
                reason = Problem(
                    None,
                    QuoteIssueCode.ORDER_REJECTED,
                    f"rejected with its order {order_id}: fix row "
                    + ", ".join(str(row) for row in bad),
                )
                found.append(issue(file_name, flat.row, reason))
    return sorted(found, key=lambda entry: (_row_key(entry["row"]), str(entry["field"] or "")))


def _row_key(row: object) -> int:
    assert row is None or isinstance(row, int)
    return -1 if row is None else row
