"""A tiny operator world for the tax provider tests, built by hand per test.

Copied in spirit from tests/billing/billing_world.py (not imported: test folders stay
independent) and extended with what taxes read: sites with addresses, one party per account with
its customer class, a billing site, an offering's product type, tax-inclusive prices, voice
channels and private lines (site Z). Every account is billed on the 1st in UTC; `day(4, 1)` is
2026-04-01 00:00 UTC; prices are valid from 2025-01-01 on.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from tollway.accounts import BillingAccount, CustomerClass, Party, Site
from tollway.billing import (
    AppliedBillingRate,
    BillingInputs,
    ChargeType,
    CustomerBill,
    TaxCalculator,
    compute_bills,
)
from tollway.catalog import Catalog, ChargeKind, ProductOffering, ProductOfferingPrice
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import Money, currency
from tollway.pricing import Flat, PerUnit, PriceDefinition, PricingModel
from tollway.rating.reference import RatedCharge

YEAR = 2026

PLACES = {
    "PHL": ("PA", "Philadelphia", "19103"),
    "PIT": ("PA", "Pittsburgh", "15222"),
    "NYC": ("NY", "New York", "10019"),
    "AUS": ("TX", "Austin", "78701"),
    "WIL": ("DE", "Wilmington", "19801"),
}
"""Site id → (state, city, postal code); every site is in the US."""


def day(month: int, day_of_month: int, year: int = YEAR) -> datetime:
    return datetime(year, month, day_of_month, tzinfo=UTC)


def activated(at: datetime) -> tuple[LifecycleEvent, ...]:
    return (LifecycleEvent(at, LifecycleAction.ACTIVATE),)


@dataclass
class World:
    """Builder of one `BillingInputs` with the sites of `PLACES`."""

    parties: dict[str, Party] = field(default_factory=dict)
    accounts: dict[str, BillingAccount] = field(default_factory=dict)
    offerings: dict[str, ProductOffering] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for site_id, (state, city, postal_code) in PLACES.items():
            jurisdiction = f"US-{state}-{city.upper().replace(' ', '-')}"
            self.sites[site_id] = Site(
                site_id, "any", site_id, "US", state, city, postal_code, jurisdiction
            )

    def account(
        self,
        account_id: str,
        *,
        customer_class: CustomerClass = CustomerClass.BUSINESS,
        billing_site: str | None = "PHL",
        currency_code: str = "USD",
    ) -> BillingAccount:
        party_id = f"party-{account_id}"
        self.parties[party_id] = Party(party_id, f"{account_id} Inc", customer_class)
        account = BillingAccount(
            account_id,
            party_id,
            f"{account_id} head office",
            currency(currency_code),
            1,
            "UTC",
            billing_site_id=billing_site,
        )
        self.accounts[account_id] = account
        return account

    def offering(
        self,
        offering_id: str,
        *,
        product_type: str = "mpls",
        mrc: str | None = None,
        nrc: str | None = None,
        per_minute: str | None = None,
        tax_inclusive: bool = False,
        currency_code: str = "USD",
    ) -> ProductOffering:
        """An offering with a monthly charge in advance, an install fee and a per-minute price."""
        prices: list[ProductOfferingPrice] = []
        if mrc is not None:
            prices.append(
                self._price(
                    f"{offering_id}-mrc",
                    offering_id,
                    ChargeKind.RECURRING_ADVANCE,
                    Flat.of(mrc),
                    currency_code,
                    tax_inclusive,
                )
            )
        if nrc is not None:
            prices.append(
                self._price(
                    f"{offering_id}-nrc",
                    offering_id,
                    ChargeKind.ONE_TIME,
                    Flat.of(nrc),
                    currency_code,
                    tax_inclusive,
                )
            )
        if per_minute is not None:
            prices.append(
                self._price(
                    f"{offering_id}-voice",
                    offering_id,
                    ChargeKind.USAGE,
                    PerUnit.of(per_minute),
                    currency_code,
                    tax_inclusive,
                    usage_type="voice",
                    unit="minute",
                )
            )
        offering = ProductOffering(offering_id, offering_id.upper(), product_type, tuple(prices))
        self.offerings[offering_id] = offering
        return offering

    @staticmethod
    def _price(
        price_id: str,
        offering_id: str,
        kind: ChargeKind,
        model: PricingModel,
        currency_code: str,
        tax_inclusive: bool,
        *,
        usage_type: str | None = None,
        unit: str | None = None,
    ) -> ProductOfferingPrice:
        return ProductOfferingPrice(
            id=price_id,
            offering_id=offering_id,
            kind=kind,
            price=PriceDefinition(price_id, currency(currency_code), model, unit=unit),
            valid_from=day(1, 1, 2025),
            usage_type=usage_type,
            name=price_id,
            tax_inclusive=tax_inclusive,
        )

    def product(
        self,
        product_id: str,
        *,
        account: str,
        offering: str,
        events: Sequence[LifecycleEvent],
        site_a: str = "PHL",
        site_z: str | None = None,
        voice_channels: int = 0,
    ) -> Product:
        product = Product(
            id=product_id,
            circuit_id=f"CKT-{product_id}",
            billing_account_id=account,
            offering_id=offering,
            bandwidth_mbps=Decimal(100),
            site_a_id=site_a,
            site_z_id=site_z,
            jurisdiction_id=self.sites[site_a].jurisdiction_id if site_a in self.sites else "",
            events=tuple(events),
            voice_channels=voice_channels,
        )
        self.products[product_id] = product
        return product

    def inputs(self) -> BillingInputs:
        return BillingInputs(
            parties=dict(self.parties),
            sites=dict(self.sites),
            accounts=dict(self.accounts),
            catalog=Catalog(offerings=dict(self.offerings)),
            agreements={},
            products=dict(self.products),
        )

    def bills(
        self, on: datetime, *, tax: TaxCalculator, rated_usage: Sequence[RatedCharge] = ()
    ) -> tuple[CustomerBill, ...]:
        """The bills of a run over the day `on`, taxed by `tax`."""
        return compute_bills(
            self.inputs(),
            period_start=on,
            period_end=on.replace(day=on.day + 1),
            bill_date=date(on.year, on.month, on.day),
            rated_usage=rated_usage,
            run_id="run-tax",
            tax=tax,
        )


def bill_line(
    line_id: str,
    *,
    amount: str,
    charge_type: ChargeType = ChargeType.RECURRING,
    product: str | None = None,
    price: str | None = None,
    unit: str | None = None,
    quantity: str = "1",
    currency_code: str = "USD",
) -> AppliedBillingRate:
    """A bill line of April 2026 of account ACME, built by hand (amount already rounded)."""
    return AppliedBillingRate(
        id=line_id,
        billing_account_id="ACME",
        charge_type=charge_type,
        name=f"{charge_type.value} {line_id}",
        period_start=day(4, 1),
        period_end=day(5, 1),
        quantity=Decimal(quantity),
        amount=Money.of(amount, currency_code),
        precise_amount=Decimal(amount),
        product_id=product,
        circuit_id=None if product is None else f"CKT-{product}",
        price_id=price,
        unit=unit,
    )
