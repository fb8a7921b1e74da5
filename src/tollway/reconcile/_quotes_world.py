"""Billing's side of a quote-to-bill check: what the world and the issued bills say.

`BillingView` answers the questions the checks ask of billing, each the way the bill run itself
answers it: the tollway account a CRM id stands for (through the parallel run's cross-walk), the
product an order item became, the state it was provisioned in, the price in force for it (an
agreement override, else the catalog price, priced with the account's conventions), the share of a
period a line covers (the bill run's own proration), and the account's first issued invoice after
the order. Pure: frozen inputs, no I/O.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa

from tollway.accounts import BillingAccount, paying_account_of
from tollway.billing import BillCategory, BillingInputs, BillState, CustomerBill
from tollway.catalog import ChargeKind, ProductOfferingPrice, QuantityBasis
from tollway.contracts import Agreement
from tollway.conventions import Conventions, profile
from tollway.inventory import LifecycleAction, Product
from tollway.money import round_decimal
from tollway.periods import BillingPeriod, Cadence, local_midnight, period_containing, prorate
from tollway.pricing import PriceDefinition, price
from tollway.reconcile._quotes_model import QuotePriceType
from tollway.reconcile._tables import CROSSWALK_SCHEMA, CrosswalkEntity

CHARGE_KINDS: dict[QuotePriceType, tuple[ChargeKind, ...]] = {
    QuotePriceType.RECURRING: (ChargeKind.RECURRING_ADVANCE, ChargeKind.RECURRING_ARREARS),
    QuotePriceType.ONE_TIME: (ChargeKind.ONE_TIME,),
    QuotePriceType.USAGE: (ChargeKind.USAGE,),
}
"""The catalog charge kinds a quoted price type stands for."""


@dataclass(frozen=True, slots=True)
class CrosswalkEntry:
    entity: str
    legacy_id: str
    tollway_id: str
    valid_from: date | None
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )


@dataclass(frozen=True, slots=True)
class ProvisionedState:
    """What an item's product was provisioned as, from `start` on (its activation, or the change
    a modify order made); `start` None when it never was."""

    offering_id: str
    bandwidth_mbps: Decimal
    start: datetime | None


@dataclass(frozen=True, slots=True)
class PriceInForce:
    """The price billing charges for one instance: the catalog price, the definition that applies
    (an agreement's override or the catalog's), the quantity it is applied to, and the amount."""

    offering_price: ProductOfferingPrice
    definition: PriceDefinition
    quantity: Decimal
    amount: Decimal
    overridden_by: str | None
    """The agreement whose override applies, if any."""


@dataclass(frozen=True, slots=True)
class BillingView:
    """The world and issued invoices, indexed for the checks."""

    inputs: BillingInputs
    invoices_by_payer: Mapping[str, tuple[CustomerBill, ...]]
    """Issued normal bills per paying account, oldest first (bill date, then number)."""
    crosswalk: tuple[CrosswalkEntry, ...]

    @classmethod
    def of(
        cls, inputs: BillingInputs, bills: Iterable[CustomerBill], crosswalk: pa.Table | None
    ) -> "BillingView":
        by_payer: dict[str, list[CustomerBill]] = {}
        for bill in bills:
            if bill.state is BillState.ISSUED and bill.category is BillCategory.NORMAL:
                by_payer.setdefault(bill.billing_account_id, []).append(bill)
        ordered = {
            payer: tuple(sorted(found, key=lambda bill: (bill.bill_date, bill.bill_no or "")))
            for payer, found in sorted(by_payer.items())
        }
        return cls(inputs, ordered, _entries(crosswalk))

    def translated(self, entity: CrosswalkEntity, crm_id: str, *, on: date) -> str:
        """The tollway id the cross-walk gives `crm_id` on `on`; the id itself when it has none."""
        for entry in self.crosswalk:
            if entry.entity == entity.value and entry.legacy_id == crm_id and entry.valid_on(on):
                return entry.tollway_id
        return crm_id

    def account(self, account_id: str) -> BillingAccount | None:
        return self.inputs.accounts.get(account_id)

    def payer(self, account_id: str) -> BillingAccount:
        return paying_account_of(account_id, self.inputs.accounts)

    def conventions(self, account_id: str) -> Conventions:
        return profile(self.inputs.accounts[account_id].profile)

    def first_invoice(self, account_id: str, *, on_or_after: date) -> CustomerBill | None:
        """The first issued invoice carrying `account_id`'s charges dated on or after the day."""
        for bill in self.invoices_by_payer.get(self.payer(account_id).id, ()):
            if bill.bill_date >= on_or_after:
                return bill
        return None

    def is_first_ever(self, bill: CustomerBill) -> bool:
        """Whether `bill` is its paying account's first issued invoice."""
        return self.invoices_by_payer[bill.billing_account_id][0].id == bill.id

    def midnight(self, day: date, account_id: str) -> datetime:
        return local_midnight(day, time_zone=self.inputs.accounts[account_id].time_zone)

    def agreement_of(self, product: Product) -> Agreement | None:
        if product.agreement_id is None:
            return None
        return self.inputs.agreements.get(product.agreement_id)

    def rounded(self, amount: Decimal, account_id: str) -> Decimal:
        """`amount` rounded as the bill run rounds a line of the account."""
        account = self.inputs.accounts[account_id]
        mode = self.conventions(account_id).rounding_mode
        return round_decimal(amount, decimals=account.currency.minor_units, mode=mode)

    def billing_period(self, instant: datetime, account_id: str) -> BillingPeriod:
        """The billing period of the account's paying account that holds `instant`."""
        payer = self.payer(account_id)
        return period_containing(
            instant,
            cadence=Cadence.MONTHLY,
            time_zone=payer.time_zone,
            bill_cycle_day=payer.bill_cycle_day,
        )

    def prorated(
        self, amount: Decimal, *, start: datetime, end: datetime, account_id: str
    ) -> Decimal | None:
        """The exact share of `amount` (a month's price) due for [start, end), prorated as the
        bill run prorates a recurring line of the account; None when the stretch is not inside
        one billing period of its paying account."""
        period = self.billing_period(start, account_id)
        if not start < end <= period.end:
            return None
        share = prorate(
            amount,
            interval_start=start,
            interval_end=end,
            period=period,
            conventions=self.conventions(account_id),
            bill_cycle_day=self.payer(account_id).bill_cycle_day,
        )
        return share.amount

    def price_in_force(
        self,
        offering_price: ProductOfferingPrice,
        *,
        product: Product,
        bandwidth_mbps: Decimal,
    ) -> PriceInForce:
        """What billing charges one instance of `product` for `offering_price` at a bandwidth."""
        agreement = self.agreement_of(product)
        override = None if agreement is None else agreement.override_for(offering_price.id)
        definition = offering_price.price if override is None else override
        quantity = (
            bandwidth_mbps
            if offering_price.quantity_basis is QuantityBasis.BANDWIDTH_MBPS
            else Decimal(1)
        )
        conventions = self.conventions(product.billing_account_id)
        amount = price(definition, quantity, conventions=conventions).amount.amount
        overridden_by = None if override is None or agreement is None else agreement.id
        return PriceInForce(offering_price, definition, quantity, amount, overridden_by)


def _entries(crosswalk: pa.Table | None) -> tuple[CrosswalkEntry, ...]:
    if crosswalk is None:
        return ()
    assert crosswalk.schema.equals(CROSSWALK_SCHEMA), "crosswalk does not have CROSSWALK_SCHEMA"
    return tuple(
        CrosswalkEntry(
            str(row["entity"]),
            str(row["legacy_id"]),
            str(row["tollway_id"]),
            row["valid_from"],
            row["valid_to"],
        )
        for row in crosswalk.to_pylist()
    )


def activation(product: Product) -> datetime | None:
    for event in product.events:
        if event.action is LifecycleAction.ACTIVATE:
            return event.at
    return None


def provisioned_state(product: Product, *, changed_since: datetime | None) -> ProvisionedState:
    """The product as provisioned: at its activation (`changed_since` None, an add), or after the
    first change on or after `changed_since` (a modify; `start` None when there is none)."""
    offering_id, bandwidth = product.offering_id, product.bandwidth_mbps
    if changed_since is None:
        return ProvisionedState(offering_id, bandwidth, activation(product))
    for event in product.events:
        if event.action is not LifecycleAction.CHANGE:
            continue
        offering_id = event.offering_id or offering_id
        bandwidth = event.bandwidth_mbps if event.bandwidth_mbps is not None else bandwidth
        if event.at >= changed_since:
            return ProvisionedState(offering_id, bandwidth, event.at)
    return ProvisionedState(offering_id, bandwidth, None)


def disconnected_at(product: Product) -> datetime | None:
    for event in product.events:
        if event.action is LifecycleAction.DISCONNECT:
            return event.at
    return None


def prices_of(
    view: BillingView, offering_id: str, price_type: QuotePriceType, instant: datetime
) -> tuple[ProductOfferingPrice, ...]:
    """The offering's catalog prices of the quoted type in force at `instant` (none when the
    offering is not in the catalog)."""
    offering = view.inputs.catalog.offerings.get(offering_id)
    if offering is None:
        return ()
    kinds = CHARGE_KINDS[price_type]
    return tuple(
        sorted(
            (
                found
                for found in offering.prices
                if found.kind in kinds and found.is_valid_at(instant)
            ),
            key=lambda found: found.id,
        )
    )


def products_of(view: BillingView, account_id: str) -> Sequence[Product]:
    """The account's products, by id."""
    return [
        product
        for _, product in sorted(view.inputs.products.items())
        if product.billing_account_id == account_id
    ]
