"""A small operator world for tax tests, built by hand per test, and small rate tables.

`TaxWorld` holds parties (with their customer class), sites in jurisdictions, accounts, offerings
(a product type, a monthly price, perhaps tax-inclusive, perhaps a usage price) and products
(site A, perhaps site Z, voice channels). Tests either bill it with `compute_bills`
(`TaxWorld.only_bill`) or hand `TaxEngine.apply` lines written out with `TaxWorld.line`.
(Copied in spirit from tests/billing/billing_world.py, which is not importable from here.)
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tollway.accounts import BillingAccount, CustomerClass, Party, Site
from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillingInputs,
    ChargeType,
    CustomerBill,
    ManualCredit,
    TaxItem,
    compute_bills,
)
from tollway.catalog import Bundle, Catalog, ChargeKind, ProductOffering, ProductOfferingPrice
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import Money, currency
from tollway.pricing import Flat, PerUnit, PriceDefinition
from tollway.tax import TaxEngine, TaxTables, parse_tax_tables

JURISDICTIONS: list[dict[str, str]] = [
    {"id": "US", "level": "federal", "name": "United States"},
    {"id": "US-PA", "level": "state", "name": "Pennsylvania", "parent": "US"},
    {"id": "US-PA-PHILADELPHIA", "level": "city", "name": "Philadelphia", "parent": "US-PA"},
    {"id": "US-NY", "level": "state", "name": "New York", "parent": "US"},
    {"id": "US-NY-NEW-YORK", "level": "city", "name": "New York City", "parent": "US-NY"},
    {"id": "US-DE", "level": "state", "name": "Delaware", "parent": "US"},
    {"id": "JP", "level": "federal", "name": "Japan"},
    {"id": "JP-13", "level": "state", "name": "Tokyo", "parent": "JP"},
]
"""Jurisdictions every test table knows."""

SITES: dict[str, str] = {
    "S-PHL": "US-PA-PHILADELPHIA",
    "S-PHL-2": "US-PA-PHILADELPHIA",
    "S-PA": "US-PA",
    "S-NYC": "US-NY-NEW-YORK",
    "S-DE": "US-DE",
    "S-TOKYO": "JP-13",
}
"""Sites every world has, and the jurisdiction each lies in."""


def rule(
    rule_id: str, jurisdiction: str, tax_type: str, calculation: str = "rate", **fields: Any
) -> dict[str, Any]:
    """A rule row valid from 2026-01-01 (unless `valid_from` says otherwise)."""
    return {
        "id": rule_id,
        "jurisdiction": jurisdiction,
        "tax_type": tax_type,
        "name": fields.pop("name", rule_id),
        "calculation": calculation,
        "valid_from": fields.pop("valid_from", "2026-01-01"),
        **fields,
    }


def tables_document(
    *rules: dict[str, Any], allocations: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    return {
        "name": "test",
        "notice": "ILLUSTRATIVE",
        "jurisdictions": JURISDICTIONS,
        "interstate_allocation": list(allocations),
        "rules": list(rules),
    }


def tables(*rules: dict[str, Any], allocations: Sequence[dict[str, Any]] = ()) -> TaxTables:
    return parse_tax_tables(tables_document(*rules, allocations=allocations), source="test.yaml")


def day(month: int, day_of_month: int, year: int = 2026) -> datetime:
    return datetime(year, month, day_of_month, tzinfo=UTC)


def described(tax: AppliedTax) -> tuple[str, str, str, str, str]:
    """(rule, treatment, taxable amount, rate, tax amount): what a reader checks."""
    return (
        tax.rule_id or "",
        tax.treatment.value,
        str(tax.taxable_amount.amount),
        str(tax.tax_rate),
        str(tax.tax_amount.amount),
    )


def described_taxes(line: AppliedBillingRate) -> list[tuple[str, str, str, str, str]]:
    return [described(tax) for tax in line.taxes]


def items(found: Sequence[TaxItem]) -> list[tuple[str, str, str]]:
    return [(item.tax_category, str(item.tax_rate), str(item.tax_amount.amount)) for item in found]


@dataclass
class TaxWorld:
    """Builder of one `BillingInputs` for tax tests; prices are valid from 2025-01-01."""

    parties: dict[str, Party] = field(default_factory=dict)
    sites: dict[str, Site] = field(
        default_factory=lambda: {
            site_id: Site(site_id, "p", site_id, "US", "", "", "", jurisdiction)
            for site_id, jurisdiction in SITES.items()
        }
    )
    accounts: dict[str, BillingAccount] = field(default_factory=dict)
    offerings: dict[str, ProductOffering] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    bundles: dict[str, Bundle] = field(default_factory=dict)
    credits: list[ManualCredit] = field(default_factory=list)
    lines_made: int = 0

    def account(
        self,
        account_id: str,
        *,
        customer_class: str = "business",
        currency_code: str = "USD",
        parent: str | None = None,
        pays_own_bill: bool = True,
        billing_site: str | None = None,
        time_zone: str = "UTC",
    ) -> BillingAccount:
        party_id = self.accounts[parent].party_id if parent else f"party-{account_id}"
        self.parties.setdefault(
            party_id, Party(party_id, f"Party {account_id}", CustomerClass(customer_class))
        )
        account = BillingAccount(
            account_id,
            party_id,
            f"Account {account_id}",
            currency(currency_code),
            1,
            time_zone,
            billing_site_id=billing_site,
            parent_id=parent,
            pays_own_bill=pays_own_bill,
        )
        self.accounts[account_id] = account
        return account

    def offering(
        self,
        offering_id: str,
        *,
        product_type: str = "sip",
        mrc: str = "100.00",
        tax_inclusive: bool = False,
        usage_unit: str | None = None,
        currency_code: str = "USD",
    ) -> ProductOffering:
        """An offering with a monthly charge in advance (`{id}-mrc`) and, given a unit, a voice
        usage price per unit (`{id}-voice`)."""
        prices = [
            ProductOfferingPrice(
                id=f"{offering_id}-mrc",
                offering_id=offering_id,
                kind=ChargeKind.RECURRING_ADVANCE,
                price=PriceDefinition(f"{offering_id}-mrc", currency(currency_code), Flat.of(mrc)),
                valid_from=day(1, 1, 2025),
                name=f"{offering_id} monthly",
                tax_inclusive=tax_inclusive,
            )
        ]
        if usage_unit is not None:
            definition = PriceDefinition(
                f"{offering_id}-voice", currency(currency_code), PerUnit.of("0.01"),
                unit=usage_unit,
            )  # fmt: skip
            prices.append(
                ProductOfferingPrice(
                    id=f"{offering_id}-voice",
                    offering_id=offering_id,
                    kind=ChargeKind.USAGE,
                    price=definition,
                    valid_from=day(1, 1, 2025),
                    usage_type="voice",
                    name=f"{offering_id} voice",
                )
            )
        offering = ProductOffering(offering_id, offering_id.upper(), product_type, tuple(prices))
        self.offerings[offering_id] = offering
        return offering

    def product(
        self,
        product_id: str,
        *,
        account: str,
        offering: str,
        site_a: str = "S-PHL",
        site_z: str | None = None,
        voice_channels: int = 0,
        voice_line_type: str | None = None,
        activated: datetime | None = None,
        bundle: str | None = None,
    ) -> Product:
        product = Product(
            id=product_id,
            circuit_id=f"CKT-{product_id}",
            billing_account_id=account,
            offering_id=offering,
            bandwidth_mbps=Decimal(100),
            site_a_id=site_a,
            jurisdiction_id=SITES.get(site_a, "US-PA"),
            events=(LifecycleEvent(activated or day(1, 1), LifecycleAction.ACTIVATE),),
            site_z_id=site_z,
            voice_channels=voice_channels,
            voice_line_type=voice_line_type,
            bundle_id=bundle,
        )
        self.products[product_id] = product
        return product

    def bundle(self, bundle_id: str, *, offerings: Sequence[str], percent: str) -> Bundle:
        found = Bundle(bundle_id, f"Bundle {bundle_id}", tuple(offerings), Decimal(percent))
        self.bundles[bundle_id] = found
        return found

    def inputs(self) -> BillingInputs:
        return BillingInputs(
            parties=dict(self.parties),
            sites=dict(self.sites),
            accounts=dict(self.accounts),
            catalog=Catalog(offerings=dict(self.offerings), bundles=dict(self.bundles)),
            agreements={},
            products=dict(self.products),
            credits=tuple(self.credits),
        )

    def line(
        self,
        product_id: str | None,
        amount: str,
        *,
        account: str | None = None,
        charge_type: ChargeType = ChargeType.RECURRING,
        quantity: str = "1",
        unit: str | None = None,
        price_id: str | None = None,
        period: tuple[datetime, datetime] = (day(4, 1), day(5, 1)),
    ) -> AppliedBillingRate:
        """A bill line of April 2026 (unless `period` says otherwise) for a product (its
        offering's monthly price, or for a usage line its voice price), or with no product for
        `account` (a credit)."""
        self.lines_made += 1
        product = None if product_id is None else self.products[product_id]
        account_id = account or (product.billing_account_id if product else "")
        if price_id is None and product is not None:
            suffix = "voice" if charge_type is ChargeType.USAGE else "mrc"
            price_id = f"{product.offering_id}-{suffix}"
        code = self.accounts[account_id].currency.code
        return AppliedBillingRate(
            id=f"line-{self.lines_made:03d}",
            billing_account_id=account_id,
            charge_type=charge_type,
            name=f"line {self.lines_made}",
            period_start=period[0],
            period_end=period[1],
            quantity=Decimal(quantity),
            amount=Money.of(amount, code),
            precise_amount=Decimal(amount),
            product_id=product_id,
            circuit_id=None if product is None else product.circuit_id,
            price_id=price_id,
            unit=unit,
        )

    def tax(
        self,
        engine: TaxEngine,
        lines: Sequence[AppliedBillingRate],
        *,
        on: date = date(2026, 4, 1),
        account: str | None = None,
    ) -> tuple[tuple[AppliedBillingRate, ...], tuple[TaxItem, ...]]:
        """`engine.apply` for the lines of one bill of `account` (by default the first line's)."""
        payer = self.accounts[account or lines[0].billing_account_id]
        return engine.apply(
            lines,
            account=payer,
            party=self.parties[payer.party_id],
            inputs=self.inputs(),
            bill_date=on,
        )

    def only_bill(
        self,
        engine: TaxEngine,
        on: date,
        *,
        previously_billed: Sequence[AppliedBillingRate] = (),
        adjustments: Sequence[AppliedBillingRate] = (),
    ) -> CustomerBill:
        """The one bill of a run over the day `on`, taxed by `engine`."""
        start = datetime(on.year, on.month, on.day, tzinfo=UTC)
        bills = compute_bills(
            self.inputs(),
            period_start=start,
            period_end=start + timedelta(days=1),
            bill_date=on,
            rated_usage=(),
            run_id="run-tax",
            tax=engine,
            previously_billed=previously_billed,
            adjustments=adjustments,
        )
        assert len(bills) == 1, f"expected one bill, got {len(bills)}"
        return bills[0]
