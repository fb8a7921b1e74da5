"""Checks of an ordered instance against the world: provisioning, contract term, contract discount
and the price in force.

Each check compares one thing the quote said with what billing holds and gives one finding (a
match included); the precedence of categories inside a check is documented on its function and in
docs/quote-to-bill.md.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from tollway.accounts import BillingAccount
from tollway.catalog import ProductOfferingPrice
from tollway.contracts import Agreement
from tollway.inventory import Product
from tollway.money import MONEY_CONTEXT, RoundingMode, round_decimal
from tollway.pricing import PerUnit
from tollway.reconcile._quotes_model import (
    PERCENT,
    TERM_CATEGORY,
    OrderAction,
    QuotedDiscount,
    QuotedPrice,
    QuoteItem,
    QuoteOrder,
    QuotePriceType,
)
from tollway.reconcile._quotes_rows import (
    QuoteCheckKind,
    QuoteDifference,
    judged,
    money_text,
    number_text,
    within_limit,
)
from tollway.reconcile._quotes_world import (
    BillingView,
    PriceInForce,
    ProvisionedState,
    prices_of,
)
from tollway.reconcile._tables import Category, DifferenceLevel, LineChargeType
from tollway.reconcile.core import Tolerances

CONVERSION_ROUNDING: Final = RoundingMode.HALF_EVEN
"""How a quoted price converted to the catalog's tax treatment is rounded to the currency."""

CHARGE_TYPES: dict[QuotePriceType, LineChargeType] = {
    QuotePriceType.RECURRING: LineChargeType.RECURRING,
    QuotePriceType.ONE_TIME: LineChargeType.ONE_TIME,
    QuotePriceType.USAGE: LineChargeType.USAGE,
}


@dataclass(frozen=True, slots=True)
class Instance:
    """One ordered instance and the product it became."""

    order: QuoteOrder
    item: QuoteItem
    item_key: str
    account: BillingAccount
    product: Product
    state: ProvisionedState
    price_instant: datetime
    """When billing looks its prices up: the service start, else the ordered start."""

    @property
    def code(self) -> str:
        return self.account.currency.code

    @property
    def bandwidth_mbps(self) -> Decimal:
        """The ordered bandwidth, else the provisioned one."""
        return self.item.bandwidth_mbps or self.state.bandwidth_mbps

    def finding(
        self,
        kind: QuoteCheckKind,
        category: str,
        *,
        quoted: Decimal | None,
        billed: Decimal | None,
        evidence: str,
        **extra: str | None,
    ) -> QuoteDifference:
        return QuoteDifference(
            kind=kind,
            level=DifferenceLevel.LINE,
            account_id=self.product.billing_account_id,
            category=category,
            quoted_amount=quoted,
            billed_amount=billed,
            evidence=evidence,
            currency=self.code,
            order_id=self.order.id,
            item_key=self.item_key,
            circuit_id=self.product.circuit_id,
            **extra,
        )


@dataclass(frozen=True, slots=True)
class ResolvedPrice:
    """A quoted price and the catalog price it stands for (or why there is none)."""

    quoted: QuotedPrice
    offering_price: ProductOfferingPrice | None
    problem: str | None
    in_force: PriceInForce | None

    @property
    def quoted_amount(self) -> Decimal | None:
        """One instance's quoted price for a whole period, in the quote's tax treatment."""
        headline = self.quoted.headline_amount
        if headline is not None:
            return headline
        if self.quoted.unit_price is None or self.in_force is None:
            return None
        return MONEY_CONTEXT.multiply(self.quoted.unit_price, self.in_force.quantity)


def resolve_prices(view: BillingView, instance: Instance) -> tuple[ResolvedPrice, ...]:
    """Each quoted price with the catalog price in force for the ordered offering."""
    assert instance.item.offering_id is not None
    resolved = []
    for quoted in instance.item.prices:
        offering_price, problem = _catalog_price(view, instance, quoted)
        in_force = None
        if offering_price is not None:
            in_force = view.price_in_force(
                offering_price, product=instance.product, bandwidth_mbps=instance.bandwidth_mbps
            )
        resolved.append(ResolvedPrice(quoted, offering_price, problem, in_force))
    return tuple(resolved)


def _catalog_price(
    view: BillingView, instance: Instance, quoted: QuotedPrice
) -> tuple[ProductOfferingPrice | None, str | None]:
    offering_id = instance.item.offering_id
    assert offering_id is not None
    day = instance.price_instant.date().isoformat()
    offering = view.inputs.catalog.offerings.get(offering_id)
    if offering is None:
        return None, f"offering {offering_id} is not in the catalog"
    in_force = prices_of(view, offering_id, quoted.price_type, instance.price_instant)
    kind = quoted.price_type.value
    if quoted.offering_price_id is not None:
        named = [found for found in in_force if found.id == quoted.offering_price_id]
        if named:
            return named[0], None
        return None, (
            f"{quoted.offering_price_id} is not a {kind} price of offering {offering_id} in force "
            f"on {day}"
        )
    if len(in_force) == 1:
        return in_force[0], None
    if not in_force:
        return None, f"offering {offering_id} has no {kind} price in force on {day}"
    names = ", ".join(found.id for found in in_force)
    return None, (
        f"offering {offering_id} has {len(in_force)} {kind} prices in force ({names}); the quote "
        "must name its productOfferingPrice"
    )


def _recurring_total(
    view: BillingView, instance: Instance, *, offering_id: str, bandwidth_mbps: Decimal
) -> Decimal | None:
    """The whole month's recurring charge billing has for one instance of an offering."""
    found = prices_of(view, offering_id, QuotePriceType.RECURRING, instance.price_instant)
    if not found:
        return None
    return sum(
        (
            view.price_in_force(
                offering_price, product=instance.product, bandwidth_mbps=bandwidth_mbps
            ).amount
            for offering_price in found
        ),
        Decimal(0),
    )


def product_finding(view: BillingView, instance: Instance) -> QuoteDifference:
    """Provisioning: `missing_in_new` when an added product was never activated, else `rate` for
    another offering, `quantity` for another bandwidth, `proration` for a service start on another
    day than the term start, else matched. Amounts: the month's recurring charge of what was
    ordered against that of what was provisioned (only when offering or bandwidth differ)."""
    item, state, product = instance.item, instance.state, instance.product
    assert item.offering_id is not None
    offering_differs = state.offering_id != item.offering_id
    bandwidth_differs = item.bandwidth_mbps not in (None, state.bandwidth_mbps)
    ordered = f"ordered {item.offering_id}" + (
        f" at {number_text(item.bandwidth_mbps)} Mbps" if item.bandwidth_mbps else ""
    )
    provisioned = (
        f"product {product.id} (circuit {product.circuit_id}) is {state.offering_id} at "
        f"{number_text(state.bandwidth_mbps)} Mbps"
    )
    start_day = _local_day(state.start, instance.account) if state.start else None
    ordered_start = item.term.start if item.term else None
    if item.action is OrderAction.ADD and state.start is None:
        return instance.finding(
            QuoteCheckKind.PRODUCT,
            Category.MISSING_IN_NEW.value,
            quoted=None,
            billed=None,
            evidence=f"{ordered}; {provisioned} but was never activated: billing bills nothing",
        )
    if offering_differs or bandwidth_differs:
        category = Category.RATE if offering_differs else Category.QUANTITY
        return _changed_product(view, instance, category, f"{ordered}, but {provisioned}")
    late = item.action is OrderAction.ADD and ordered_start not in (None, start_day)
    started = (
        f"in service from {start_day}" if start_day else "no change after the order was recorded"
    )
    evidence = f"{ordered}; {provisioned}, {started}"
    if late:
        evidence += f"; the quote's term starts on {ordered_start}"
    return instance.finding(
        QuoteCheckKind.PRODUCT,
        Category.PRORATION.value if late else Category.MATCHED.value,
        quoted=None,
        billed=None,
        evidence=evidence,
    )


def _changed_product(
    view: BillingView, instance: Instance, category: Category, said: str
) -> QuoteDifference:
    """Another offering or bandwidth than ordered: the month's recurring charge of each."""
    item, state = instance.item, instance.state
    assert item.offering_id is not None
    quoted = _recurring_total(
        view, instance, offering_id=item.offering_id, bandwidth_mbps=instance.bandwidth_mbps
    )
    billed = _recurring_total(
        view, instance, offering_id=state.offering_id, bandwidth_mbps=state.bandwidth_mbps
    )
    return instance.finding(
        QuoteCheckKind.PRODUCT,
        category.value,
        quoted=quoted,
        billed=billed,
        evidence=f"{said}: the month's recurring charge is {money_text(billed, instance.code)}, "
        f"not {money_text(quoted, instance.code)}",
    )


def _local_day(instant: datetime, account: BillingAccount) -> date:
    return instant.astimezone(ZoneInfo(account.time_zone)).date()


def _monthly(resolved: Sequence[ResolvedPrice]) -> Decimal | None:
    amounts = [
        price.quoted_amount
        for price in resolved
        if price.quoted.price_type is QuotePriceType.RECURRING and price.quoted_amount is not None
    ]
    return sum(amounts, Decimal(0)) if amounts else None


def term_finding(
    view: BillingView, instance: Instance, resolved: Sequence[ResolvedPrice]
) -> QuoteDifference | None:
    """Contract term: `term` when the agreement's months or start differ from the quote's (or
    there is no agreement). Amounts: the month's quoted recurring price over each term."""
    term = instance.item.term
    if term is None:
        return None
    agreement = view.agreement_of(instance.product)
    monthly = _monthly(resolved)
    quoted = None if monthly is None else monthly * term.months
    starting = f" from {term.start}" if term.start else ""
    said = f"quoted {term.months} months{starting}"
    if agreement is None:
        return instance.finding(
            QuoteCheckKind.TERM,
            TERM_CATEGORY,
            quoted=quoted,
            billed=None if monthly is None else Decimal(0),
            evidence=f"{said}; product {instance.product.id} has no agreement: billing holds no "
            "contract term",
        )
    agreement_start = _local_day(agreement.start, instance.account)
    differs = agreement.term_months != term.months or term.start not in (None, agreement_start)
    billed = None if monthly is None else monthly * agreement.term_months
    value = (
        ""
        if monthly is None
        else f" (at {money_text(monthly, instance.code)} a month: {money_text(quoted, instance.code)}"
        f" quoted, {money_text(billed, instance.code)} contracted)"
    )
    return instance.finding(
        QuoteCheckKind.TERM,
        TERM_CATEGORY if differs else Category.MATCHED.value,
        quoted=quoted,
        billed=billed,
        evidence=f"{said}; agreement {agreement.id} runs {agreement.term_months} months from "
        f"{agreement_start}{value}",
    )


def discount_finding(
    view: BillingView,
    instance: Instance,
    resolved: ResolvedPrice,
    *,
    tolerances: Tolerances,
) -> QuoteDifference | None:
    """Contract discount of a recurring price: `discount` when the quoted percentage (or amount)
    is not the agreement's, or the quote limits it to fewer periods than the agreement's term
    (billing discounts for as long as the agreement runs). Amounts (negative, like discount
    lines): a month's discount, or over the agreement's term when the quote limits it."""
    quoted_discount = resolved.quoted.discount
    agreement = view.agreement_of(instance.product)
    percent = agreement.discount_percent if agreement else Decimal(0)
    base = resolved.quoted_amount
    if resolved.quoted.price_type is not QuotePriceType.RECURRING or base is None:
        return None
    if quoted_discount is None and percent == 0:
        return None
    account_id = instance.product.billing_account_id
    quoted_month = (
        view.rounded(quoted_discount.of_amount(base), account_id) if quoted_discount else Decimal(0)
    )
    billed_month = view.rounded(
        MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(base, percent), PERCENT), account_id
    )
    months = _limited_months(quoted_discount, agreement)
    quoted, billed = -quoted_month, -billed_month
    if months is not None:
        quoted, billed = quoted * months[0], billed * months[1]
    percent_differs = quoted_discount is not None and quoted_discount.percent not in (None, percent)
    category = judged(
        Category.DISCOUNT.value,
        facts_differ=percent_differs or months is not None or quoted_discount is None,
        quoted=quoted,
        billed=billed,
        tolerances=tolerances,
        code=instance.code,
    )
    return instance.finding(
        QuoteCheckKind.DISCOUNT,
        category,
        quoted=quoted,
        billed=billed,
        evidence=_discount_evidence(instance, resolved, agreement, quoted_month, billed_month),
        charge_type=LineChargeType.DISCOUNT.value,
    )


def _limited_months(
    discount: QuotedDiscount | None, agreement: Agreement | None
) -> tuple[int, int] | None:
    """(quoted months, contracted months) when the quote limits its discount to fewer months
    than the agreement runs (billing discounts for as long as the agreement runs)."""
    if discount is None or discount.periods is None or agreement is None:
        return None
    if discount.periods >= agreement.term_months:
        return None
    return discount.periods, agreement.term_months


def _discount_evidence(
    instance: Instance,
    resolved: ResolvedPrice,
    agreement: Agreement | None,
    quoted_month: Decimal,
    billed_month: Decimal,
) -> str:
    code = instance.code
    discount = resolved.quoted.discount
    if discount is None:
        said = "the quote gives no discount"
    else:
        share = f"{number_text(discount.percent)} % " if discount.percent is not None else ""
        months = f" for {discount.periods} months" if discount.periods else ""
        said = f"quoted {share}off: {money_text(quoted_month, code)} a month{months}"
    name = resolved.offering_price.id if resolved.offering_price else "the recurring price"
    if agreement is None:
        return f"{said} on {name}; product {instance.product.id} has no agreement: billing gives no contract discount"
    return (
        f"{said} on {name}; agreement {agreement.id} discounts "
        f"{number_text(agreement.discount_percent)} % ({money_text(billed_month, code)} a month) "
        f"for its whole term of {agreement.term_months} months"
    )


def price_finding(
    instance: Instance, resolved: ResolvedPrice, *, tolerances: Tolerances
) -> QuoteDifference | None:
    """The price in force against the quoted price: `rate` when the amounts differ (or billing
    has no such price), `tax_base` when only the tax treatment does, else matched. A usage price
    is compared by its unit price, when the catalog's is a single per-unit rate."""
    code, quoted = instance.code, resolved.quoted
    kind = quoted.price_type.value
    charge_type = CHARGE_TYPES[quoted.price_type].value
    if resolved.in_force is None or resolved.offering_price is None:
        assert resolved.problem is not None
        return instance.finding(
            QuoteCheckKind.PRICE,
            Category.RATE.value,
            quoted=resolved.quoted_amount,
            billed=None,
            evidence=f"quoted a {kind} price of {money_text(resolved.quoted_amount, code)}, "
            f"but {resolved.problem}",
            charge_type=charge_type,
        )
    if quoted.price_type is QuotePriceType.USAGE:
        return _usage_price_finding(instance, resolved)
    in_force, offering_price = resolved.in_force, resolved.offering_price
    quoted_amount = resolved.quoted_amount
    category = _price_category(instance, resolved, tolerances=tolerances)
    source = (
        f"agreement {in_force.overridden_by} overrides catalog price {offering_price.id}"
        if in_force.overridden_by
        else f"catalog price {offering_price.id}"
    )
    return instance.finding(
        QuoteCheckKind.PRICE,
        category,
        quoted=quoted_amount,
        billed=in_force.amount,
        evidence=f"quoted {money_text(quoted_amount, code)}{_per(quoted)} "
        f"({_treatment(quoted.tax_inclusive)}){_unit_text(resolved, code)}; billing charges "
        f"{money_text(in_force.amount, code)} for quantity {number_text(in_force.quantity)} "
        f"({source}, {_treatment(offering_price.tax_inclusive)}, in force on "
        f"{instance.price_instant.date()})",
        charge_type=charge_type,
    )


def _price_category(instance: Instance, resolved: ResolvedPrice, *, tolerances: Tolerances) -> str:
    """The same number in the same tax treatment: matched; the same number in another treatment:
    `tax_base`; another number that is the same money once the quoted rate converts it to the
    catalog's treatment (1,000.00 before 8 % tax against 1,080.00 with it): matched; else
    `rate`."""
    quoted, offering_price, in_force = resolved.quoted, resolved.offering_price, resolved.in_force
    assert offering_price is not None and in_force is not None
    quoted_amount = resolved.quoted_amount
    code = instance.code

    def agrees(amount: Decimal | None) -> bool:
        return within_limit(
            Category.RATE.value,
            quoted=amount,
            billed=in_force.amount,
            tolerances=tolerances,
            code=code,
        )

    treatment_differs = quoted.tax_inclusive != offering_price.tax_inclusive
    if agrees(quoted_amount):
        return Category.TAX_BASE.value if treatment_differs else Category.MATCHED.value
    rate = quoted.expected_tax_percent
    if not treatment_differs or rate is None or quoted_amount is None:
        return Category.RATE.value
    factor = MONEY_CONTEXT.add(Decimal(1), MONEY_CONTEXT.divide(rate, PERCENT))
    converted = (
        MONEY_CONTEXT.multiply(quoted_amount, factor)
        if offering_price.tax_inclusive
        else MONEY_CONTEXT.divide(quoted_amount, factor)
    )
    rounded = round_decimal(
        converted, decimals=instance.account.currency.minor_units, mode=CONVERSION_ROUNDING
    )
    return Category.MATCHED.value if agrees(rounded) else Category.RATE.value


def _per(quoted: QuotedPrice) -> str:
    return " a month" if quoted.price_type is QuotePriceType.RECURRING else " once"


def _treatment(inclusive: bool) -> str:
    return "tax included" if inclusive else "before tax"


def _unit_text(resolved: ResolvedPrice, code: str) -> str:
    if resolved.quoted.headline_amount is not None or resolved.quoted.unit_price is None:
        return ""
    assert resolved.in_force is not None
    return (
        f" = {money_text(resolved.quoted.unit_price, code)} × "
        f"{number_text(resolved.in_force.quantity)}"
    )


def _usage_price_finding(instance: Instance, resolved: ResolvedPrice) -> QuoteDifference | None:
    assert resolved.in_force is not None and resolved.offering_price is not None
    pricing = resolved.in_force.definition.pricing
    if resolved.quoted.unit_price is None or not isinstance(pricing, PerUnit):
        return None
    quoted, billed = resolved.quoted.unit_price, pricing.unit_price
    differs = quoted != billed
    return instance.finding(
        QuoteCheckKind.PRICE,
        Category.RATE.value if differs else Category.MATCHED.value,
        quoted=None,
        billed=None,
        evidence=f"quoted {money_text(quoted, instance.code)} per unit of usage; "
        f"{resolved.offering_price.id} rates {money_text(billed, instance.code)} per unit",
        charge_type=LineChargeType.USAGE.value,
    )
