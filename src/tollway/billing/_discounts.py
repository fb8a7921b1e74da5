"""Bundle and contract discounts on a bill's recurring charges.

Order and rounding: for each product, the bundle discount comes first, `discount_percent` of the
product's rounded recurring lines whose offering is in the bundle; the contract discount then takes
the agreement's `discount_percent` of what is left (all the product's rounded recurring lines, less
the bundle discount). Each discount is one DISCOUNT line per product, rounded once with the
account's rounding mode. Credits for unused prepaid time count as (negative) recurring lines, so
a credit also gives back the matching part of the discount taken on the advance charge.

Tax-inclusive prices: a discount of charges whose price includes its taxes is a part of that
price, taxes included. Such charges are discounted apart from the product's tax-excluded ones (so
a product with both gets two lines of each discount), and their discount lines carry the
breakdown kind `TAX_INCLUSIVE_DISCOUNT_KIND`, which tells the tax step to split them like the
prices they discount.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal

from tollway.billing._bill import ChargeType
from tollway.billing._charges import BillingError, Charge, percent_of
from tollway.billing._prices import AccountContext, agreement_of
from tollway.catalog import Bundle
from tollway.inventory import Product
from tollway.money import MONEY_CONTEXT
from tollway.pricing import BreakdownLine

DISCOUNT_KIND = "discount"
TAX_INCLUSIVE_DISCOUNT_KIND = "discount_tax_inclusive"
"""The breakdown kind of a discount of tax-inclusive prices (the tax step splits it like them)."""
_TAX_INCLUSIVE_DETAIL = ":tax_inclusive"


def _bundle_of(product: Product, context: AccountContext) -> Bundle | None:
    if product.bundle_id is None:
        return None
    bundle = context.inputs.catalog.bundles.get(product.bundle_id)
    if bundle is None:
        raise BillingError(
            f"product {product.id!r} (circuit {product.circuit_id}) names unknown bundle "
            f"{product.bundle_id!r}"
        )
    return bundle


def _in_bundle(charge: Charge, bundle: Bundle, context: AccountContext) -> bool:
    offering_price = context.price_index.get(charge.price_id or "")
    return offering_price is not None and offering_price.offering_id in bundle.offering_ids


def _is_tax_inclusive(charge: Charge, context: AccountContext) -> bool:
    offering_price = context.price_index.get(charge.price_id or "")
    return offering_price is not None and offering_price.tax_inclusive


def _discount(
    product: Product,
    discounted: Sequence[Charge],
    *,
    percent: Decimal,
    base: Decimal,
    name: str,
    detail: str,
    context: AccountContext,
    tax_inclusive: bool,
) -> Charge:
    """A negative line of `percent` % of `base` (the rounded amounts of `discounted`)."""
    precise = MONEY_CONTEXT.minus(percent_of(base, percent))
    kind = TAX_INCLUSIVE_DISCOUNT_KIND if tax_inclusive else DISCOUNT_KIND
    return Charge(
        billing_account_id=product.billing_account_id,
        charge_type=ChargeType.DISCOUNT,
        name=name,
        period_start=min(charge.period_start for charge in discounted),
        period_end=max(charge.period_end for charge in discounted),
        quantity=Decimal(1),
        precise_amount=precise,
        amount=context.rounded(precise),
        product_id=product.id,
        circuit_id=product.circuit_id,
        breakdown=(BreakdownLine(kind, f"{percent}% of {base}", base, percent, precise),),
        detail=detail + (_TAX_INCLUSIVE_DETAIL if tax_inclusive else ""),
    )


def _product_discounts(
    product: Product, charges: Sequence[Charge], context: AccountContext
) -> list[Charge]:
    """The product's discounts: of its tax-excluded charges, then of its tax-inclusive ones."""
    found: list[Charge] = []
    for tax_inclusive in (False, True):
        group = [
            charge for charge in charges if _is_tax_inclusive(charge, context) is tax_inclusive
        ]
        if group:
            found.extend(_group_discounts(product, group, context, tax_inclusive=tax_inclusive))
    return found


def _group_discounts(
    product: Product, charges: Sequence[Charge], context: AccountContext, *, tax_inclusive: bool
) -> list[Charge]:
    found: list[Charge] = []
    remainder = sum((charge.amount for charge in charges), Decimal(0))
    bundle = _bundle_of(product, context)
    if bundle is not None and bundle.discount_percent > 0:
        eligible = [charge for charge in charges if _in_bundle(charge, bundle, context)]
        base = sum((charge.amount for charge in eligible), Decimal(0))
        if eligible and base != 0:
            bundle_line = _discount(
                product,
                eligible,
                percent=bundle.discount_percent,
                base=base,
                name=f"Bundle discount: {bundle.name} ({bundle.discount_percent}%)",
                detail=f"bundle:{bundle.id}",
                context=context,
                tax_inclusive=tax_inclusive,
            )
            found.append(bundle_line)
            remainder += bundle_line.amount
    agreement = agreement_of(product, context.inputs)
    if agreement is not None and agreement.discount_percent > 0 and remainder != 0:
        found.append(
            _discount(
                product,
                charges,
                percent=agreement.discount_percent,
                base=remainder,
                name=f"Contract discount: {agreement.name} ({agreement.discount_percent}%)",
                detail=f"contract:{agreement.id}",
                context=context,
                tax_inclusive=tax_inclusive,
            )
        )
    return found


def discount_charges(
    charges: Sequence[Charge], contexts: Mapping[str, AccountContext]
) -> list[Charge]:
    """The bundle and contract discount lines for the discountable charges of a bill."""
    by_product: dict[str, list[Charge]] = {}
    for charge in charges:
        if charge.discountable and charge.product_id is not None:
            by_product.setdefault(charge.product_id, []).append(charge)
    found: list[Charge] = []
    for product_id in sorted(by_product):
        first = by_product[product_id][0]
        context = contexts[first.billing_account_id]
        product = context.inputs.products[product_id]
        found.extend(_product_discounts(product, by_product[product_id], context))
    return found
