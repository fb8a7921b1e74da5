"""Looking up what a product is charged: catalog prices, agreement overrides, quantity bases."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tollway.accounts import BillingAccount
from tollway.billing._charges import BillingError, rounded
from tollway.billing._cycle import BillCycle
from tollway.billing._inputs import BillingInputs
from tollway.catalog import ChargeKind, ProductOfferingPrice, QuantityBasis
from tollway.contracts import Agreement
from tollway.conventions import Conventions, profile
from tollway.inventory import Product
from tollway.money import Currency
from tollway.pricing import PriceDefinition, PriceResult, price


@dataclass(frozen=True, slots=True)
class AccountContext:
    """What computing one account's charges needs: the snapshot, the account and its
    conventions (proration and rounding follow the account's own profile), and the cycle of the
    bill the charges go on (the paying account's)."""

    inputs: BillingInputs
    account: BillingAccount
    conventions: Conventions
    cycle: BillCycle
    price_index: Mapping[str, ProductOfferingPrice]
    """Every catalog price by id (what a bill line's `price_id` names)."""

    @classmethod
    def of(
        cls,
        inputs: BillingInputs,
        account: BillingAccount,
        cycle: BillCycle,
        price_index: Mapping[str, ProductOfferingPrice],
    ) -> "AccountContext":
        return cls(inputs, account, profile(account.profile), cycle, price_index)

    @property
    def currency(self) -> Currency:
        return self.account.currency

    def rounded(self, amount: Decimal) -> Decimal:
        return rounded(amount, currency=self.currency, conventions=self.conventions)


def agreement_of(product: Product, inputs: BillingInputs) -> Agreement | None:
    """The agreement a product is sold under, if any; an unknown agreement id is an input error."""
    if product.agreement_id is None:
        return None
    agreement = inputs.agreements.get(product.agreement_id)
    if agreement is None:
        raise BillingError(
            f"product {product.id!r} (circuit {product.circuit_id}) names unknown agreement "
            f"{product.agreement_id!r}"
        )
    return agreement


def definition_for(
    offering_price: ProductOfferingPrice, product: Product, inputs: BillingInputs
) -> PriceDefinition:
    """The price definition that applies: the agreement's override of the catalog price, or the
    catalog price itself."""
    agreement = agreement_of(product, inputs)
    override = None if agreement is None else agreement.override_for(offering_price.id)
    return offering_price.price if override is None else override


def quantity_for(offering_price: ProductOfferingPrice, bandwidth_mbps: Decimal) -> Decimal:
    """The quantity a recurring or one-time price applies to (1, or the bandwidth in Mbps)."""
    if offering_price.quantity_basis is QuantityBasis.BANDWIDTH_MBPS:
        return bandwidth_mbps
    return Decimal(1)


def priced(
    offering_price: ProductOfferingPrice,
    product: Product,
    quantity: Decimal,
    context: AccountContext,
) -> PriceResult:
    """The price of `quantity` under the definition that applies, in the account's currency."""
    definition = definition_for(offering_price, product, context.inputs)
    if definition.currency != context.currency:
        raise BillingError(
            f"price {definition.id!r} for product {product.id!r} is in {definition.currency}, "
            f"but billing account {context.account.id!r} bills in {context.currency}"
        )
    return price(definition, quantity, conventions=context.conventions)


def prices_of_kind(
    inputs: BillingInputs, offering_id: str, instant: datetime, kinds: tuple[ChargeKind, ...]
) -> tuple[ProductOfferingPrice, ...]:
    """The offering's prices of some kinds in force at `instant`, in id order."""
    return tuple(
        found for found in inputs.catalog.prices_at(offering_id, instant) if found.kind in kinds
    )


def price_name(offering_price: ProductOfferingPrice) -> str:
    """What a reader calls the charge: the price's name, else its id."""
    return offering_price.name or offering_price.price.description or offering_price.id


def offering_price_index(inputs: BillingInputs) -> dict[str, ProductOfferingPrice]:
    """Every catalog price by id (the id a bill line carries as `price_id`)."""
    return {
        offering_price.id: offering_price
        for offering in inputs.catalog.offerings.values()
        for offering_price in offering.prices
    }
