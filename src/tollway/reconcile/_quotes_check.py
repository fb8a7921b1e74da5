"""Quote-to-bill reconciliation: do billing's contracts and first invoices agree with what was sold?

`check_quotes` takes the CRM's orders (`read_quotes`), the world billing bills from and its issued
bills, and compares every ordered instance with what billing holds: the product it became, the
agreement's term and discount, the price in force, and the lines, taxes and discounts of its
first invoice; then the lines of those invoices nobody ordered, and each order's expected first
invoice total. Every comparison is one row of the engine's DIFFERENCE_SCHEMA, a match included, so
the parallel run's report writers render quote-to-bill too. Quotes are few: the checks run in
Python, one order at a time, in a stable order (order date, then id); the result is the same for
the same inputs, byte for byte.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

import pyarrow as pa

from tollway.accounts import BillingAccount
from tollway.billing import BillingInputs, CustomerBill
from tollway.inventory import Product
from tollway.money import TollwayError
from tollway.reconcile._quotes_contract import (
    Instance,
    discount_finding,
    price_finding,
    product_finding,
    resolve_prices,
    term_finding,
)
from tollway.reconcile._quotes_invoice import InvoiceLedger, invoice_findings, unordered_findings
from tollway.reconcile._quotes_model import (
    QUOTE_CYCLE,
    OrderAction,
    QuoteItem,
    QuoteOrder,
    QuotePriceType,
)
from tollway.reconcile._quotes_rows import (
    QuoteCheckKind,
    QuoteDifference,
    differences_table,
    money_text,
    number_text,
)
from tollway.reconcile._quotes_world import (
    BillingView,
    activation,
    disconnected_at,
    prices_of,
    products_of,
    provisioned_state,
)
from tollway.reconcile._tables import (
    DIFFERENCE_SCHEMA,
    Category,
    CrosswalkEntity,
    DifferenceLevel,
)
from tollway.reconcile.core import CATEGORIES, Tolerances

DEFAULT_TOLERANCES: Final = Tolerances()
"""The parallel run's defaults: one minor unit per line, 1.00 (in minor units: 100) or 0.1 % per
invoice."""
_NEVER: Final = datetime.max.replace(tzinfo=UTC)
_TOTAL_KINDS: Final = (
    QuoteCheckKind.LINE,
    QuoteCheckKind.TAX,
    QuoteCheckKind.INVOICE_DISCOUNT,
    QuoteCheckKind.UNORDERED,
)
"""The findings that are amounts on an invoice (what an invoice total difference is made of)."""


class QuoteCheckError(TollwayError):
    """The orders handed to a check contradict each other (an order id given twice)."""

    code = "invalid_quote_check"


@dataclass(frozen=True, slots=True)
class QuoteCheck:
    """The result of `check_quotes`: every finding, and the same as a DIFFERENCE_SCHEMA table."""

    cycle: str
    findings: tuple[QuoteDifference, ...]
    differences: pa.Table

    def __post_init__(self) -> None:
        assert self.differences.schema.equals(DIFFERENCE_SCHEMA)
        assert self.differences.num_rows == len(self.findings)

    @property
    def differing(self) -> tuple[QuoteDifference, ...]:
        """The findings that are not matches."""
        return tuple(row for row in self.findings if row.category != Category.MATCHED.value)


@dataclass(slots=True)
class _Session:
    view: BillingView
    tolerances: Tolerances
    claimed: set[str] = field(default_factory=set)
    ledger: InvoiceLedger = field(default_factory=InvoiceLedger)


def check_quotes(
    orders: Sequence[QuoteOrder],
    *,
    inputs: BillingInputs,
    bills: Iterable[CustomerBill],
    crosswalk: pa.Table | None = None,
    tolerances: Tolerances = DEFAULT_TOLERANCES,
    cycle: str = QUOTE_CYCLE,
) -> QuoteCheck:
    """Check billing against the orders; see docs/quote-to-bill.md for every check.

    CRM account and circuit ids are translated through `crosswalk` (CROSSWALK_SCHEMA, the
    parallel run's) as valid on each order's date; an id it does not know is taken as tollway's.
    `bills` may hold any bills: only issued, normal ones count. Amount comparisons allow the line
    tolerance of their category; the invoice total, the invoice tolerance.

    >>> from datetime import date
    >>> from tollway.billing._examples import tiny_inputs
    >>> from tollway.reconcile._quotes_model import QuotedPrice, QuoteItem
    >>> monthly = QuotedPrice(QuotePriceType.RECURRING, duty_free_amount=Decimal("90.00"))
    >>> item = QuoteItem("1", OrderAction.ADD, "port", prices=(monthly,))
    >>> quote = QuoteOrder("ORD-1", date(2026, 3, 2), "ACME", "USD", (item,))
    >>> result = check_quotes([quote], inputs=tiny_inputs(), bills=[])
    >>> [(row.kind.value, row.category, row.quoted_amount, row.billed_amount)
    ...  for row in result.findings]  # doctest: +NORMALIZE_WHITESPACE
    [('provisioning', 'matched', None, None),
     ('price in force', 'rate', Decimal('90.00'), Decimal('100.00')),
     ('first invoice line', 'missing_in_new', Decimal('90.00'), None)]
    """
    ids = [order.id for order in orders]
    repeated = sorted({order_id for order_id in ids if ids.count(order_id) > 1})
    if repeated:
        raise QuoteCheckError(f"order {repeated[0]} is given twice; check each order once")
    session = _Session(BillingView.of(inputs, bills, crosswalk), tolerances)
    by_order: list[tuple[QuoteOrder, BillingAccount | None, list[QuoteDifference]]] = []
    for order in sorted(orders, key=lambda order: (order.order_date, order.id)):
        account, findings = _check_order(session, order)
        by_order.append((order, account, findings))
    for order, account, found in by_order:
        # An order's first invoice is looked through for unordered lines even when none of its
        # instances reached it (an ordered circuit that billing does not have).
        if account is not None:
            bill = _order_invoice(session, order, account, found)
            if bill is not None:
                session.ledger.use(bill)
    unordered = unordered_findings(session.view, session.ledger)
    findings = [finding for _, _, found in by_order for finding in found] + unordered
    for order, account, found in by_order:
        total = _total_finding(session, order, account, found + unordered)
        if total is not None:
            findings.append(total)
    ordered = tuple(sorted(findings, key=lambda row: row.sort_key))
    return QuoteCheck(cycle, ordered, differences_table(ordered, cycle=cycle))


def _row(
    order: QuoteOrder,
    account_id: str,
    code: str,
    kind: QuoteCheckKind,
    category: str,
    *,
    quoted: Decimal | None,
    billed: Decimal | None,
    evidence: str,
    level: DifferenceLevel = DifferenceLevel.LINE,
    **extra: str | None,
) -> QuoteDifference:
    return QuoteDifference(
        kind=kind,
        level=level,
        account_id=account_id,
        category=category,
        quoted_amount=quoted,
        billed_amount=billed,
        evidence=evidence,
        currency=code,
        order_id=order.id,
        **extra,
    )


def _instance_first_charges(item: QuoteItem) -> Decimal | None:
    """One instance's quoted recurring (one month) and one-time amounts, when any is known."""
    amounts = [
        price.headline_amount
        for price in item.prices
        if price.price_type in (QuotePriceType.RECURRING, QuotePriceType.ONE_TIME)
        and price.headline_amount is not None
    ]
    return sum(amounts, Decimal(0)) if amounts else None


def _quoted_first_charges(items: Iterable[QuoteItem]) -> Decimal | None:
    """The quoted first charges of every instance of the items, when any is known."""
    amounts = [
        charges * item.quantity
        for item in items
        if (charges := _instance_first_charges(item)) is not None
    ]
    return sum(amounts, Decimal(0)) if amounts else None


def _check_order(
    session: _Session, order: QuoteOrder
) -> tuple[BillingAccount | None, list[QuoteDifference]]:
    view = session.view
    account_id = view.translated(
        CrosswalkEntity.ACCOUNT, order.billing_account_id, on=order.order_date
    )
    account = view.account(account_id)
    translated = "" if account_id == order.billing_account_id else f" (tollway {account_id})"
    if account is None:
        return None, [
            _row(
                order,
                account_id,
                order.currency or "",
                QuoteCheckKind.ACCOUNT,
                Category.MISSING_IN_NEW.value,
                quoted=order.expected_first_invoice_total or _quoted_first_charges(order.items),
                billed=None,
                evidence=f"CRM account {order.billing_account_id}{translated} is not a billing "
                f"account: nothing on order {order.id} is billed",
                level=DifferenceLevel.INVOICE,
            )
        ]
    code = account.currency.code
    if order.currency not in (None, code):
        return None, [
            _row(
                order,
                account.id,
                code,
                QuoteCheckKind.ACCOUNT,
                Category.UNEXPLAINED.value,
                quoted=None,
                billed=None,
                evidence=f"order {order.id} is quoted in {order.currency}, but account "
                f"{account.id} bills in {code}: its amounts cannot be compared",
                level=DifferenceLevel.INVOICE,
            )
        ]
    findings: list[QuoteDifference] = []
    for item in order.items:
        for position in range(item.quantity):
            key = item.id if item.quantity == 1 else f"{item.id}#{position + 1}"
            if item.action is OrderAction.DELETE:
                findings.append(_delete_finding(session, order, item, key, account))
            elif item.action is not OrderAction.NO_CHANGE:
                findings.extend(_instance_findings(session, order, item, key, account))
    return account, findings


def _match_product(
    session: _Session, order: QuoteOrder, item: QuoteItem, account: BillingAccount
) -> tuple[Product | None, str]:
    """The product an ordered instance became (not yet taken by another instance), and a note
    when its circuit is on another account."""
    view = session.view
    if item.circuit_id is not None:
        circuit = view.translated(CrosswalkEntity.CIRCUIT, item.circuit_id, on=order.order_date)
        named = [
            product
            for _, product in sorted(view.inputs.products.items())
            if product.circuit_id == circuit
        ]
        for product in named:
            if product.billing_account_id == account.id and product.id not in session.claimed:
                return product, ""
        elsewhere = sorted({product.billing_account_id for product in named} - {account.id})
        note = f"; circuit {circuit} is on account {', '.join(elsewhere)}" if elsewhere else ""
        return None, note
    candidates = [
        product
        for product in products_of(view, account.id)
        if product.id not in session.claimed and product.offering_id == item.offering_id
    ]

    def rank(product: Product) -> tuple[bool, datetime, str]:
        other_bandwidth = item.bandwidth_mbps not in (None, product.bandwidth_mbps)
        return (other_bandwidth, activation(product) or _NEVER, product.id)

    return (min(candidates, key=rank), "") if candidates else (None, "")


def _instance_findings(
    session: _Session, order: QuoteOrder, item: QuoteItem, key: str, account: BillingAccount
) -> list[QuoteDifference]:
    view = session.view
    product, note = _match_product(session, order, item, account)
    if product is None:
        return [_not_provisioned(order, item, key, account, note)]
    session.claimed.add(product.id)
    session.ledger.owner_of_product[product.id] = (order.id, key)
    modified = item.action is OrderAction.MODIFY
    since = view.midnight(order.order_date, account.id) if modified else None
    state = provisioned_state(product, changed_since=since)
    ordered_start = item.term.start if item.term and item.term.start else order.order_date
    instant = state.start or view.midnight(ordered_start, account.id)
    instance = Instance(order, item, key, account, product, state, instant)
    resolved = resolve_prices(view, instance)
    findings = [product_finding(view, instance)]
    term = term_finding(view, instance, resolved)
    if term is not None:
        findings.append(term)
    for price in resolved:
        discount = discount_finding(view, instance, price, tolerances=session.tolerances)
        in_force = price_finding(instance, price, tolerances=session.tolerances)
        findings.extend(found for found in (discount, in_force) if found is not None)
    if state.start is not None or modified:
        findings.extend(
            invoice_findings(
                view, instance, resolved, ledger=session.ledger, tolerances=session.tolerances
            )
        )
    return findings


def _not_provisioned(
    order: QuoteOrder, item: QuoteItem, key: str, account: BillingAccount, note: str
) -> QuoteDifference:
    circuit = f" on circuit {item.circuit_id}" if item.circuit_id else ""
    bandwidth = f" at {number_text(item.bandwidth_mbps)} Mbps" if item.bandwidth_mbps else ""
    return _row(
        order,
        account.id,
        account.currency.code,
        QuoteCheckKind.PRODUCT,
        Category.MISSING_IN_NEW.value,
        quoted=_instance_first_charges(item),
        billed=None,
        evidence=f"ordered {item.offering_id}{bandwidth}{circuit}, but account {account.id} has "
        f"no such product{note}",
        item_key=key,
        circuit_id=item.circuit_id,
    )


def _delete_finding(
    session: _Session, order: QuoteOrder, item: QuoteItem, key: str, account: BillingAccount
) -> QuoteDifference:
    """A delete item: matched when the product was disconnected (or is not there), else
    `extra_in_new` with the month's recurring charge billing goes on charging."""
    view = session.view
    assert item.circuit_id is not None
    circuit = view.translated(CrosswalkEntity.CIRCUIT, item.circuit_id, on=order.order_date)
    category, billed, outcome = _disconnect_outcome(view, order, account, circuit)
    return _row(
        order,
        account.id,
        account.currency.code,
        QuoteCheckKind.DISCONNECT,
        category,
        quoted=None if billed is None else Decimal(0),
        billed=billed,
        evidence=f"ordered circuit {circuit} disconnected on {order.order_date}; {outcome}",
        item_key=key,
        circuit_id=circuit,
    )


def _disconnect_outcome(
    view: BillingView, order: QuoteOrder, account: BillingAccount, circuit: str
) -> tuple[str, Decimal | None, str]:
    """The category, the month's charge still billed (None when nothing is) and what happened."""
    products = [
        product for product in products_of(view, account.id) if product.circuit_id == circuit
    ]
    if not products:
        return Category.MATCHED.value, None, f"account {account.id} has no product on it"
    product = products[0]
    ended = disconnected_at(product)
    if ended is not None:
        return (
            Category.MATCHED.value,
            None,
            f"product {product.id} was disconnected at {ended.isoformat()}",
        )
    instant = view.midnight(order.order_date, account.id)
    state = provisioned_state(product, changed_since=_NEVER)
    monthly = sum(
        (
            view.price_in_force(found, product=product, bandwidth_mbps=state.bandwidth_mbps).amount
            for found in prices_of(view, state.offering_id, QuotePriceType.RECURRING, instant)
        ),
        Decimal(0),
    )
    return (
        Category.EXTRA_IN_NEW.value,
        monthly,
        f"product {product.id} has no disconnect: billing goes on charging "
        f"{money_text(monthly, account.currency.code)} a month",
    )


def _total_finding(
    session: _Session,
    order: QuoteOrder,
    account: BillingAccount | None,
    candidates: Sequence[QuoteDifference],
) -> QuoteDifference | None:
    """The order's expected first invoice total against the invoice's total with tax: matched
    within the invoice tolerance, else the dominant category of the differences on that invoice
    (the largest amount; ties by the engine's category order), else `unexplained`."""
    expected = order.expected_first_invoice_total
    if expected is None or account is None:
        return None
    code = account.currency.code
    bill = _order_invoice(session, order, account, candidates)
    if bill is None:
        category, billed, said = (
            Category.MISSING_IN_NEW.value,
            None,
            f"expected a first invoice of {money_text(expected, code)}, but account "
            f"{account.id} has no issued invoice on or after {order.order_date}",
        )
    else:
        billed = bill.tax_included_amount.amount
        category, said = _total_category(session, order, bill, expected, candidates)
    return _row(
        order,
        account.id,
        code,
        QuoteCheckKind.INVOICE_TOTAL,
        category,
        quoted=expected,
        billed=billed,
        evidence=said,
        level=DifferenceLevel.INVOICE,
        invoice_no=None if bill is None else bill.bill_no,
    )


def _total_category(
    session: _Session,
    order: QuoteOrder,
    bill: CustomerBill,
    expected: Decimal,
    candidates: Sequence[QuoteDifference],
) -> tuple[str, str]:
    code = bill.currency.code
    billed = bill.tax_included_amount.amount
    said = (
        f"invoice {bill.bill_no} comes to {money_text(billed, code)} with tax; order {order.id} "
        f"expected {money_text(expected, code)}"
    )
    if session.tolerances.invoice_within(
        variance=billed - expected, legacy_total=expected, minor_unit=bill.currency.minor_unit
    ):
        return Category.MATCHED.value, said
    dominant = _dominant(
        [
            row
            for row in candidates
            if row.invoice_no == bill.bill_no
            and row.kind in _TOTAL_KINDS
            and row.category != Category.MATCHED.value
        ]
    )
    if dominant is None:
        return Category.UNEXPLAINED.value, said
    return (
        dominant.category,
        f"{said}; the largest difference on it: {dominant.kind.value}, {dominant.evidence}",
    )


def _order_invoice(
    session: _Session,
    order: QuoteOrder,
    account: BillingAccount,
    candidates: Sequence[QuoteDifference],
) -> CustomerBill | None:
    """The earliest first invoice of the order's instances, else the account's first invoice
    on or after the order date."""
    numbers = {row.invoice_no for row in candidates if row.order_id == order.id and row.invoice_no}
    bills = [bill for bill in session.ledger.bills.values() if bill.bill_no in numbers]
    if bills:
        return min(bills, key=lambda bill: (bill.bill_date, bill.bill_no or ""))
    return session.view.first_invoice(account.id, on_or_after=order.order_date)


def _dominant(rows: Sequence[QuoteDifference]) -> QuoteDifference | None:
    def rank(row: QuoteDifference) -> tuple[Decimal, int]:
        place = CATEGORIES.index(row.category) if row.category in CATEGORIES else len(CATEGORIES)
        return (-abs(row.variance), place)

    return min(rows, key=rank) if rows else None
