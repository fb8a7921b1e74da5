"""Databases for the storage tests: every test runs on SQLite and, when a server is given, on
PostgreSQL (`@pytest.mark.postgres`, URL in TOLLWAY_TEST_POSTGRES_URL, one fresh schema per test).

Without the URL the PostgreSQL cases are skipped, except under CI, where a missing server fails:
CI must prove both databases (scripts/postgres-for-tests.sh starts one).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tollway.accounts import BillingAccount, CustomerClass, Party, Site
from tollway.billing import BillingInputs, ManualCredit
from tollway.catalog import (
    Bundle,
    Catalog,
    ChargeKind,
    ProductOffering,
    ProductOfferingPrice,
    QuantityBasis,
)
from tollway.contracts import (
    Agreement,
    Commitment,
    CommitmentPeriod,
    EarlyTermination,
    PriceOverride,
)
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import Money, currency
from tollway.pricing import PriceDefinition
from tollway.pricing.schema import parse_price_definition
from tollway.storage import Database


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database."""
    found = Database(database_url)
    found.migrate()
    yield found
    found.dispose()


# --- a small world that touches every table and field --------------------------------------------


def _price(document: dict[str, object]) -> PriceDefinition:
    return parse_price_definition(document)


def _utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def make_world() -> BillingInputs:
    """Two customers: Acme (USD; an HQ paying for a branch, an agreement with a commitment, an
    override and an early-termination clause; an MPLS circuit upgraded mid-month) and Nippon
    (JPY, its own bill); a catalog with flat, per-Mbps, graduated and per-unit usage prices."""
    usd, jpy = currency("USD"), currency("JPY")
    mpls = ProductOffering(
        id="mpls-port",
        name="MPLS port",
        product_type="mpls",
        prices=(
            ProductOfferingPrice(
                id="mpls-mrc",
                offering_id="mpls-port",
                kind=ChargeKind.RECURRING_ADVANCE,
                price=_price(
                    {
                        "id": "mpls-mrc",
                        "currency": "USD",
                        "description": "MPLS port, per Mbps",
                        "pricing": {"model": "per_unit", "unit_price": "4.125"},
                    }
                ),
                valid_from=_utc(2025, 1, 1),
                quantity_basis=QuantityBasis.BANDWIDTH_MBPS,
                name="MPLS monthly charge",
            ),
            ProductOfferingPrice(
                id="mpls-install",
                offering_id="mpls-port",
                kind=ChargeKind.ONE_TIME,
                price=_price(
                    {
                        "id": "mpls-install",
                        "currency": "USD",
                        "pricing": {"model": "flat", "amount": "250.00"},
                    }
                ),
                valid_from=_utc(2025, 1, 1),
                valid_to=_utc(2027, 1, 1),
            ),
            ProductOfferingPrice(
                id="mpls-data",
                offering_id="mpls-port",
                kind=ChargeKind.USAGE,
                usage_type="data",
                price=_price(
                    {
                        "id": "mpls-data",
                        "currency": "USD",
                        "unit": "GB",
                        "profile": "lago",
                        "conventions": {"rounding_mode": "half_even"},
                        "pricing": {
                            "model": "graduated",
                            "tiers": [
                                {"from_value": "0", "to_value": "100", "per_unit_amount": "0.10"},
                                {
                                    "from_value": "100",
                                    "to_value": None,
                                    "per_unit_amount": "0.000000001",
                                    "flat_amount": "12345678901234567890.123456789",
                                },
                            ],
                        },
                    }
                ),
                valid_from=_utc(2025, 1, 1),
            ),
        ),
    )
    sip = ProductOffering(
        id="sip-trunk",
        name="SIP trunk",
        product_type="sip",
        prices=(
            ProductOfferingPrice(
                id="sip-mrc",
                offering_id="sip-trunk",
                kind=ChargeKind.RECURRING_ARREARS,
                price=_price(
                    {
                        "id": "sip-mrc-jpy",
                        "currency": "JPY",
                        "pricing": {"model": "flat", "amount": "15000"},
                    }
                ),
                valid_from=_utc(2025, 6, 1, 15),
            ),
        ),
    )
    override = PriceOverride(
        offering_price_id="mpls-mrc",
        price=_price(
            {
                "id": "acme-mpls-mrc",
                "currency": "USD",
                "pricing": {"model": "per_unit", "unit_price": "3.5"},
            }
        ),
    )
    acme_agreement = Agreement(
        id="AG-ACME",
        billing_account_id="ACME-HQ",
        name="Acme master services agreement",
        start=datetime(2025, 3, 1, tzinfo=timezone(timedelta(hours=-5))),
        term_months=36,
        commitments=(
            Commitment(
                id="acme-monthly",
                period=CommitmentPeriod.MONTHLY,
                minimum_amount=Decimal("5000.00"),
                shortfall_percent=Decimal("25"),
                counted_kinds=(ChargeKind.RECURRING_ADVANCE, ChargeKind.USAGE),
            ),
        ),
        early_termination=EarlyTermination(percent_of_remaining=Decimal("100")),
        price_overrides=(override,),
        discount_percent=Decimal("7.5"),
    )
    return BillingInputs(
        parties={
            "acme": Party("acme", "Acme Corp", CustomerClass.BUSINESS),
            "nippon": Party("nippon", "Nippon Trading KK", CustomerClass.WHOLESALE),
        },
        sites={
            "acme-phl": Site(
                "acme-phl",
                "acme",
                "Acme Philadelphia",
                "US",
                "PA",
                "Philadelphia",
                "19103",
                "US-PA-PHILADELPHIA",
            ),
            "acme-nyc": Site(
                "acme-nyc", "acme", "Acme New York", "US", "NY", "New York", "10001", "US-NY-NYC"
            ),
            "nippon-tyo": Site(
                "nippon-tyo", "nippon", "Tokyo office", "JP", "13", "Tokyo", "100-0001", "JP-13"
            ),
        },
        accounts={
            "ACME-HQ": BillingAccount(
                "ACME-HQ", "acme", "Acme HQ", usd, 1, "America/New_York", billing_site_id="acme-phl"
            ),
            "ACME-NYC": BillingAccount(
                "ACME-NYC",
                "acme",
                "Acme NYC branch",
                usd,
                1,
                "America/New_York",
                parent_id="ACME-HQ",
                pays_own_bill=False,
            ),
            "NIPPON": BillingAccount(
                "NIPPON",
                "nippon",
                "Nippon Trading",
                jpy,
                15,
                "Asia/Tokyo",
                invoice_series="JP",
                profile="killbill",
            ),
        },
        catalog=Catalog(
            offerings={"mpls-port": mpls, "sip-trunk": sip},
            bundles={
                "mpls-sip": Bundle(
                    "mpls-sip", "MPLS + SIP", ("mpls-port", "sip-trunk"), Decimal("12.5")
                ),
            },
        ),
        agreements={"AG-ACME": acme_agreement},
        products={
            "P-1": Product(
                id="P-1",
                circuit_id="CKT-PHL-0001",
                billing_account_id="ACME-HQ",
                offering_id="mpls-port",
                bandwidth_mbps=Decimal("100"),
                site_a_id="acme-phl",
                site_z_id="acme-nyc",
                jurisdiction_id="US-PA-PHILADELPHIA",
                events=(
                    LifecycleEvent(_utc(2026, 1, 10, 14), LifecycleAction.ORDER),
                    LifecycleEvent(_utc(2026, 2, 1, 5), LifecycleAction.ACTIVATE),
                    LifecycleEvent(
                        _utc(2026, 3, 16, 5), LifecycleAction.CHANGE, "mpls-port", Decimal("250.5")
                    ),
                ),
                agreement_id="AG-ACME",
                bundle_id="mpls-sip",
            ),
            "P-2": Product(
                id="P-2",
                circuit_id="SIP-TYO-0001",
                billing_account_id="NIPPON",
                offering_id="sip-trunk",
                bandwidth_mbps=Decimal("0.000000001"),
                site_a_id="nippon-tyo",
                jurisdiction_id="JP-13",
                events=(LifecycleEvent(_utc(2026, 2, 14, 15), LifecycleAction.ACTIVATE),),
            ),
        },
        credits=(
            ManualCredit("CR-2", "NIPPON", Money.of("3000", "JPY"), "SLA credit", _utc(2026, 3, 2)),
            ManualCredit(
                "CR-1", "ACME-NYC", Money.of("125.50", "USD"), "goodwill", _utc(2026, 3, 1)
            ),
        ),
    )


@pytest.fixture
def world() -> BillingInputs:
    return make_world()
