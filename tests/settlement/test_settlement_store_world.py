"""A tiny operator for the settlement workspace tests (no tests of its own).

Fleet Co (BA-FLEET) buys a direct-to-cell data plan (P-1, offering d2c-data, 1,000.00 a month) and
PRI voice (P-2, pri-voice, 200.00); Stratus Cloud (party CP-STRATUS, account BA-STRATUS) buys a
400G wavelength (P-3, wave-400g, 4,000.00). Everything is USD, billed monthly in advance on the
1st in UTC, active from 2026-02-01; no tax tables, so no tax. Orbital Direct (SAT-ORBITAL) takes
20 % of the direct-to-cell revenue; Stratus sells cloud services back, netted monthly.
"""

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest
from sqlalchemy import create_engine, text

from tollway.accounts import BillingAccount, CustomerClass, Party
from tollway.billing import AppliedBillingRate, BillingInputs, CustomerBill
from tollway.billrun import run_cycle
from tollway.catalog import Catalog, ChargeKind, ProductOffering, ProductOfferingPrice
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import currency
from tollway.pricing.schema import parse_price_definition
from tollway.storage import Database
from tollway.usage import UsageStore

USD = currency("USD")
POSTGRES_URL_VARIABLE: Final = "TOLLWAY_TEST_POSTGRES_URL"

AGREEMENTS_YAML: Final = """\
revenue_share_models:
  - id: RS-D2C-20
    name: 20 % of direct-to-cell revenue until one million subscribers
    currency: USD
    basis: {net_of: [tax, credits]}
    rounding_mode: half_up
    items:
      - id: d2c-20
        name: 20 % until the milestone
        rate: {flat: "20"}
        scope: {offering_ids: [d2c-data]}
        ends: [{milestone: one-million-d2c-subscribers}]
agreements:
  - id: AG-D2C
    name: Direct-to-cell revenue share with Orbital
    type: revenueShare
    operator: {id: OP-NORTHWIND, name: Northwind Fiber}
    partner: {id: SAT-ORBITAL, name: Orbital Direct}
    start: 2026-01-01T00:00:00+00:00
    status: inForce
    versions:
      - version: 1
        valid_from: 2026-01-01T00:00:00+00:00
        revenue_share_model: RS-D2C-20
        change_note: signed
        terms:
          exclusivity: {licences: [d2c-spectrum], territory: US, exclusive_until: 2032-12-31}
  - id: AG-SWAP
    name: Capacity for cloud with Stratus
    type: reciprocal
    operator: {id: OP-NORTHWIND, name: Northwind Fiber}
    partner: {id: CP-STRATUS, name: Stratus Cloud}
    start: 2026-01-01T00:00:00+00:00
    status: inForce
    versions:
      - version: 1
        valid_from: 2026-01-01T00:00:00+00:00
        terms:
          netting: {categories: [network_capacity, cloud_services], currency: USD}
"""
"""The agreements file of the tests: the share scoped to offering d2c-data, and the swap."""


def _offering(offering_id: str, product_type: str, amount: str) -> ProductOffering:
    price = parse_price_definition(
        {
            "id": f"{offering_id}-mrc",
            "currency": "USD",
            "description": f"{offering_id} monthly",
            "pricing": {"model": "flat", "amount": amount},
        }
    )
    return ProductOffering(
        offering_id,
        offering_id,
        product_type,
        (
            ProductOfferingPrice(
                price.id,
                offering_id,
                ChargeKind.RECURRING_ADVANCE,
                price,
                datetime(2026, 1, 1, tzinfo=UTC),
                name=f"{offering_id} monthly",
            ),
        ),
    )


def _product(product_id: str, account_id: str, offering_id: str) -> Product:
    active = (LifecycleEvent(datetime(2026, 2, 1, tzinfo=UTC), LifecycleAction.ACTIVATE),)
    return Product(
        product_id,
        f"CKT-{product_id}",
        account_id,
        offering_id,
        Decimal(100),
        "S1",
        "US-PA",
        active,
    )


def tiny_world() -> BillingInputs:
    return BillingInputs(
        parties={
            "fleet": Party("fleet", "Fleet Co", CustomerClass.BUSINESS),
            "CP-STRATUS": Party("CP-STRATUS", "Stratus Cloud", CustomerClass.WHOLESALE),
        },
        sites={},
        accounts={
            "BA-FLEET": BillingAccount("BA-FLEET", "fleet", "Fleet", USD, 1, "UTC"),
            "BA-STRATUS": BillingAccount("BA-STRATUS", "CP-STRATUS", "Stratus", USD, 1, "UTC"),
        },
        catalog=Catalog(
            offerings={
                "d2c-data": _offering("d2c-data", "d2c", "1000.00"),
                "pri-voice": _offering("pri-voice", "voice", "200.00"),
                "wave-400g": _offering("wave-400g", "network_capacity", "4000.00"),
            }
        ),
        agreements={},
        products={
            "P-1": _product("P-1", "BA-FLEET", "d2c-data"),
            "P-2": _product("P-2", "BA-FLEET", "pri-voice"),
            "P-3": _product("P-3", "BA-STRATUS", "wave-400g"),
        },
        credits=(),
    )


def bill_month(database: Database, usage: Path, month: int) -> None:
    """Run the bill cycle of a month of 2026 (bills dated the 1st)."""
    run_cycle(
        database,
        UsageStore(usage),
        period_start=datetime(2026, month, 1, tzinfo=UTC),
        period_end=datetime(2026, month + 1, 1, tzinfo=UTC),
        run_id=f"run-2026-{month:02d}",
    )


def line_of(bill: CustomerBill, product_id: str) -> AppliedBillingRate:
    found = [line for line in bill.lines if line.product_id == product_id]
    assert len(found) == 1
    return found[0]


def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        return url
    reason = f"{POSTGRES_URL_VARIABLE} is not set (scripts/postgres-for-tests.sh starts a server)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must test PostgreSQL too, but {reason}")
    pytest.skip(reason)


def fresh_database(kind: str, folder: Path) -> Iterator[Database]:
    """A migrated, empty database: a SQLite file, or a fresh schema on the PostgreSQL server."""
    if kind == "sqlite":
        database = Database(f"sqlite:///{folder / 'tollway.sqlite'}")
        database.migrate()
        yield database
        database.dispose()
        return
    server = _postgres_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server else "?"
    database = Database(f"{server}{separator}options=-csearch_path%3D{schema}")
    try:
        database.migrate()
        yield database
    finally:
        database.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


DATABASES: Final = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
"""Parameters of the `database` fixtures: every storage test runs on both databases."""
