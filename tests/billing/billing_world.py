"""A small operator world, built by hand per test: a catalog, accounts, circuits, agreements.

Every test builds only what it needs in a fresh `World()` and bills one cycle with
`world.bill(...)`. (No conftest.py here: pytest's doctest collection would clash its module name
with tests/conftest.py.) Dates are UTC midnights unless a test says otherwise; `day(3, 16)`
is 2026-03-16 00:00 UTC.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from tollway.accounts import BillingAccount, CustomerClass, Party
from tollway.billing import AppliedBillingRate, BillingInputs, CustomerBill, ManualCredit
from tollway.billing._compute import compute_bills
from tollway.billing._usage import usage_charge_key
from tollway.catalog import (
    Bundle,
    Catalog,
    ChargeKind,
    ProductOffering,
    ProductOfferingPrice,
    QuantityBasis,
)
from tollway.contracts import Agreement, Commitment, EarlyTermination
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import Money, currency
from tollway.pricing import Flat, PerUnit, PriceDefinition, PricingModel, UsageEvent
from tollway.rating.reference import RatableRecord, RatedCharge, rate_records

YEAR = 2026


def day(month: int, day_of_month: int, year: int = YEAR) -> datetime:
    """Midnight UTC of a day of 2026 (or of `year`)."""
    return datetime(year, month, day_of_month, tzinfo=UTC)


def activate(at: datetime) -> LifecycleEvent:
    return LifecycleEvent(at, LifecycleAction.ACTIVATE)


def change(at: datetime, offering_id: str | None = None, mbps: str | None = None) -> LifecycleEvent:
    bandwidth = None if mbps is None else Decimal(mbps)
    return LifecycleEvent(at, LifecycleAction.CHANGE, offering_id, bandwidth)


def suspend(at: datetime) -> LifecycleEvent:
    return LifecycleEvent(at, LifecycleAction.SUSPEND)


def resume(at: datetime) -> LifecycleEvent:
    return LifecycleEvent(at, LifecycleAction.RESUME)


def disconnect(at: datetime) -> LifecycleEvent:
    return LifecycleEvent(at, LifecycleAction.DISCONNECT)


def summary(bill: CustomerBill) -> list[tuple[str, str, str, str, str]]:
    """Each line as (account, circuit, charge type, coverage, amount): what a reader checks."""
    return [summarize(line) for line in bill.lines]


def summarize(line: AppliedBillingRate) -> tuple[str, str, str, str, str]:
    coverage = f"{line.period_start:%m-%d}..{line.period_end:%m-%d}"
    return (
        line.billing_account_id,
        line.circuit_id or "",
        line.charge_type.value,
        coverage,
        str(line.amount.amount),
    )


@dataclass
class World:
    """Builder of one `BillingInputs`. Offerings' prices are valid from 2025-01-01 on."""

    parties: dict[str, Party] = field(default_factory=dict)
    accounts: dict[str, BillingAccount] = field(default_factory=dict)
    offerings: dict[str, ProductOffering] = field(default_factory=dict)
    bundles: dict[str, Bundle] = field(default_factory=dict)
    agreements: dict[str, Agreement] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    credits: list[ManualCredit] = field(default_factory=list)

    def account(
        self,
        account_id: str,
        *,
        currency_code: str = "USD",
        parent: str | None = None,
        pays_own_bill: bool = True,
        bill_cycle_day: int = 1,
        time_zone: str = "UTC",
        profile: str = "tollway",
    ) -> BillingAccount:
        self.parties.setdefault("acme", Party("acme", "Acme Corp", CustomerClass.BUSINESS))
        account = BillingAccount(
            account_id,
            "acme",
            f"Acme {account_id}",
            currency(currency_code),
            bill_cycle_day,
            time_zone,
            parent_id=parent,
            pays_own_bill=pays_own_bill,
            profile=profile,
        )
        self.accounts[account_id] = account
        return account

    def offering(
        self,
        offering_id: str,
        *,
        mrc: str | None = None,
        arrears: bool = False,
        per_mbps: str | None = None,
        nrc: str | None = None,
        usage: tuple[str, PricingModel] | None = None,
        currency_code: str = "USD",
    ) -> ProductOffering:
        """An offering with a monthly charge (flat, or per Mbps), an install fee, usage prices."""
        kind = ChargeKind.RECURRING_ARREARS if arrears else ChargeKind.RECURRING_ADVANCE
        prices: list[ProductOfferingPrice] = []
        if mrc is not None:
            prices.append(
                self._price(f"{offering_id}-mrc", offering_id, kind, Flat.of(mrc), currency_code)
            )
        if per_mbps is not None:
            prices.append(
                self._price(
                    f"{offering_id}-mbps",
                    offering_id,
                    kind,
                    PerUnit.of(per_mbps),
                    currency_code,
                    basis=QuantityBasis.BANDWIDTH_MBPS,
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
                )
            )
        if usage is not None:
            usage_type, model = usage
            prices.append(
                self._price(
                    f"{offering_id}-{usage_type}",
                    offering_id,
                    ChargeKind.USAGE,
                    model,
                    currency_code,
                    usage_type=usage_type,
                )
            )
        offering = ProductOffering(offering_id, offering_id.upper(), "mpls", tuple(prices))
        self.offerings[offering_id] = offering
        return offering

    @staticmethod
    def _price(
        price_id: str,
        offering_id: str,
        kind: ChargeKind,
        model: PricingModel,
        currency_code: str,
        *,
        basis: QuantityBasis = QuantityBasis.ONE,
        usage_type: str | None = None,
    ) -> ProductOfferingPrice:
        return ProductOfferingPrice(
            id=price_id,
            offering_id=offering_id,
            kind=kind,
            price=PriceDefinition(price_id, currency(currency_code), model),
            valid_from=day(1, 1, 2025),
            usage_type=usage_type,
            quantity_basis=basis,
            name=price_id,
        )

    def product(
        self,
        product_id: str,
        *,
        account: str,
        offering: str,
        events: Sequence[LifecycleEvent],
        mbps: str = "100",
        agreement: str | None = None,
        bundle: str | None = None,
    ) -> Product:
        product = Product(
            id=product_id,
            circuit_id=f"CKT-{product_id}",
            billing_account_id=account,
            offering_id=offering,
            bandwidth_mbps=Decimal(mbps),
            site_a_id="S1",
            jurisdiction_id="US-PA",
            events=tuple(events),
            agreement_id=agreement,
            bundle_id=bundle,
        )
        self.products[product_id] = product
        return product

    def agreement(
        self,
        agreement_id: str,
        *,
        account: str,
        start: datetime,
        term_months: int,
        commitments: Sequence[Commitment] = (),
        early_termination_percent: str | None = None,
        discount_percent: str = "0",
    ) -> Agreement:
        agreement = Agreement(
            agreement_id,
            account,
            f"Agreement {agreement_id}",
            start,
            term_months,
            commitments=tuple(commitments),
            early_termination=(
                None
                if early_termination_percent is None
                else EarlyTermination(Decimal(early_termination_percent))
            ),
            discount_percent=Decimal(discount_percent),
        )
        self.agreements[agreement_id] = agreement
        return agreement

    def bundle(self, bundle_id: str, *, offerings: Sequence[str], percent: str) -> Bundle:
        bundle = Bundle(bundle_id, f"Bundle {bundle_id}", tuple(offerings), Decimal(percent))
        self.bundles[bundle_id] = bundle
        return bundle

    def credit(
        self, credit_id: str, *, account: str, amount: str, at: datetime, currency_code: str = "USD"
    ) -> ManualCredit:
        credit = ManualCredit(credit_id, account, Money.of(amount, currency_code), "SLA breach", at)
        self.credits.append(credit)
        return credit

    def rated(
        self, product_id: str, usage_type: str, month: int, *quantities: str
    ) -> tuple[RatedCharge, ...]:
        """The product's usage of one type in a month of 2026, rated by the reference rater."""
        product = self.products[product_id]
        key = usage_charge_key(
            billing_account_id=product.billing_account_id,
            product_id=product_id,
            usage_type=usage_type,
            period_start=day(month, 1),
        )
        prices = {
            offering_price.id: offering_price.price
            for offering in self.offerings.values()
            for offering_price in offering.prices
        }
        price_id = f"{product.offering_id}-{usage_type}"
        records = [RatableRecord(key, price_id, UsageEvent.of(quantity)) for quantity in quantities]
        return rate_records(records, prices).charges

    def inputs(self) -> BillingInputs:
        return BillingInputs(
            parties=dict(self.parties),
            sites={},
            accounts=dict(self.accounts),
            catalog=Catalog(offerings=dict(self.offerings), bundles=dict(self.bundles)),
            agreements=dict(self.agreements),
            products=dict(self.products),
            credits=tuple(self.credits),
        )

    def bill(
        self,
        on: datetime,
        *,
        rated_usage: Sequence[RatedCharge] = (),
        previously_billed: Sequence[AppliedBillingRate] = (),
        **options: object,
    ) -> tuple[CustomerBill, ...]:
        """The bills of a run over the day `on` (accounts whose bill-cycle date is that day)."""
        following = on.replace(day=on.day + 1)
        return compute_bills(
            self.inputs(),
            period_start=on,
            period_end=following,
            bill_date=date(on.year, on.month, on.day),
            rated_usage=rated_usage,
            previously_billed=previously_billed,
            run_id="run-test",
            **options,  # type: ignore[arg-type]
        )

    def only_bill(self, on: datetime, **options: object) -> CustomerBill:
        bills = self.bill(on, **options)  # type: ignore[arg-type]
        assert len(bills) == 1, f"expected one bill, got {len(bills)}"
        return bills[0]
