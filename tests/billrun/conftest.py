"""A small operator world with usage for bill-run tests, and databases to run it on.

Databases: every test runs on SQLite and, when TOLLWAY_TEST_POSTGRES_URL names a server, on
PostgreSQL (`@pytest.mark.postgres`, one fresh schema per test). Without the URL the PostgreSQL
cases are skipped, except under CI, where a missing server fails.

The world: six paying accounts, all UTC, five of them with bill-cycle day 1 (billed by a run over
2026-04-01) and FOXTROT with day 15 (not billed by it). Every circuit was activated on 2026-02-01
and has a 100.00 USD (or ¥15,000) monthly charge billed in advance; data usage is graduated
(first 100 GB at 0.10, then 0.05), voice is ¥3 a minute.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tollway.accounts import BillingAccount, CustomerClass, Party
from tollway.billing import BillingInputs, ManualCredit
from tollway.catalog import Catalog, ChargeKind, ProductOffering, ProductOfferingPrice
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import Money, currency
from tollway.pricing.schema import parse_price_definition
from tollway.storage import Database, WorldRepository
from tollway.usage import UsageStore, load_usage

APRIL_RUN = {
    "period_start": datetime(2026, 4, 1, tzinfo=UTC),
    "period_end": datetime(2026, 4, 2, tzinfo=UTC),
    "bill_date": date(2026, 4, 1),
    "run_id": "RUN-2026-04",
}
"""The run under test: every bill-cycle-day-1 account, billed on 2026-04-01."""

USAGE_CSV = """record_id,source,circuit_id,usage_type,start_time,quantity,unit
a1,edge,CKT-ALPHA-1,data,2026-03-02T10:00:00+00:00,40.5,GB
a2,edge,CKT-ALPHA-1,data,2026-03-15T10:00:00+00:00,60,GB
a3,edge,CKT-ALPHA-1,data,2026-03-31T23:59:59+00:00,19.9,GB
a4,edge,CKT-ALPHA-1,data,2026-04-01T00:00:00+00:00,500,GB
a5,edge,CKT-ALPHA-1,data,2026-02-27T08:00:00+00:00,7,GB
b1,edge,CKT-ALPHA-BR-1,data,2026-03-10T00:00:00+00:00,0.000000001,GB
c1,edge,CKT-BRAVO-1,data,2026-03-03T12:00:00+00:00,100,GB
c2,edge,CKT-BRAVO-1,sms,2026-03-03T12:00:00+00:00,3,SMS
d1,switch,CKT-DELTA-1,voice,2026-03-05T09:00:00+00:00,100,min
d2,switch,CKT-DELTA-1,voice,2026-03-06T09:00:00+00:00,25,min
f1,edge,CKT-FOXTROT-1,data,2026-03-20T00:00:00+00:00,9,GB
"""
"""March usage, plus records the April run must leave alone: ALPHA's April record a4 (next
cycle), its February record a5 (a closed cycle), FOXTROT's (not billed by this run). BRAVO's
`sms` record has no price: the rater rejects it."""


def _price(
    offering_id: str, document: dict[str, object], *, usage_type: str | None = None
) -> ProductOfferingPrice:
    """A price valid from 2026-01-01: a monthly charge in advance, or usage of `usage_type`."""
    definition = parse_price_definition(document)
    return ProductOfferingPrice(
        id=definition.id,
        offering_id=offering_id,
        kind=ChargeKind.RECURRING_ADVANCE if usage_type is None else ChargeKind.USAGE,
        price=definition,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        usage_type=usage_type,
        name=definition.description or definition.id,
    )


def make_world() -> BillingInputs:
    usd, jpy = currency("USD"), currency("JPY")
    port = ProductOffering(
        "port",
        "Ethernet port",
        "mpls",
        (
            _price(
                "port",
                {
                    "id": "port-mrc",
                    "currency": "USD",
                    "description": "Port monthly charge",
                    "pricing": {"model": "flat", "amount": "100.00"},
                },
            ),
            _price(
                "port",
                {
                    "id": "port-data",
                    "currency": "USD",
                    "unit": "GB",
                    "description": "Data",
                    "pricing": {
                        "model": "graduated",
                        "tiers": [
                            {"up_to": "100", "unit_price": "0.10"},
                            {"up_to": None, "unit_price": "0.05"},
                        ],
                    },
                },
                usage_type="data",
            ),
        ),
    )
    port_jpy = ProductOffering(
        "port-jpy",
        "Ethernet port (Japan)",
        "mpls",
        (
            _price(
                "port-jpy",
                {
                    "id": "port-jpy-mrc",
                    "currency": "JPY",
                    "description": "Port monthly charge",
                    "pricing": {"model": "flat", "amount": "15000"},
                },
            ),
            _price(
                "port-jpy",
                {
                    "id": "port-jpy-voice",
                    "currency": "JPY",
                    "unit": "min",
                    "description": "Voice",
                    "pricing": {"model": "per_unit", "unit_price": "3"},
                },
                usage_type="voice",
            ),
        ),
    )
    names = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT"]
    accounts = {
        f"A-{name}": BillingAccount(
            f"A-{name}",
            name.lower(),
            name.title(),
            jpy if name == "DELTA" else usd,
            15 if name == "FOXTROT" else 1,
            "UTC",
            invoice_series="JP" if name == "DELTA" else "INV",
        )
        for name in names
    }
    accounts["A-ALPHA-BR"] = BillingAccount(
        "A-ALPHA-BR",
        "alpha",
        "Alpha branch",
        usd,
        1,
        "UTC",
        parent_id="A-ALPHA",
        pays_own_bill=False,
    )
    activated = (LifecycleEvent(datetime(2026, 2, 1, tzinfo=UTC), LifecycleAction.ACTIVATE),)
    products = {
        f"P-{account[2:]}-1": Product(
            id=f"P-{account[2:]}-1",
            circuit_id=f"CKT-{account[2:]}-1",
            billing_account_id=account,
            offering_id="port-jpy" if account == "A-DELTA" else "port",
            bandwidth_mbps=Decimal(100),
            site_a_id="S1",
            jurisdiction_id="US-PA",
            events=activated,
        )
        for account in sorted(accounts)
    }
    return BillingInputs(
        parties={
            name.lower(): Party(name.lower(), name.title(), CustomerClass.BUSINESS)
            for name in names
        },
        sites={},
        accounts=accounts,
        catalog=Catalog(offerings={"port": port, "port-jpy": port_jpy}),
        agreements={},
        products=products,
        credits=(
            ManualCredit(
                "CR-1",
                "A-CHARLIE",
                Money.of("25.00", "USD"),
                "outage on 2026-03-14",
                datetime(2026, 3, 15, tzinfo=UTC),
            ),
        ),
    )


@pytest.fixture
def april_run() -> dict[str, Any]:
    """The arguments of the run under test (`run_cycle(database, store, **april_run)`)."""
    return dict(APRIL_RUN)


@pytest.fixture
def world() -> BillingInputs:
    return make_world()


@pytest.fixture
def usage_store(tmp_path: Path) -> UsageStore:
    """March usage loaded into a fresh store."""
    source = tmp_path / "usage-2026-03.csv"
    source.write_text(USAGE_CSV, encoding="utf-8")
    store = UsageStore(tmp_path / "usage-store")
    report = load_usage([source], store=store, load_id="2026-04-01.edge")
    assert (report.accepted, report.rejected) == (11, 0)
    return store


@pytest.fixture
def database(database_url: str, world: BillingInputs) -> Iterator[Database]:
    """A migrated database holding the world."""
    found = Database(database_url)
    found.migrate()
    with found.transaction() as session:
        WorldRepository(session).save(world)
    yield found
    found.dispose()
