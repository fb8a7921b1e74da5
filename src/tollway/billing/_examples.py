"""A tiny operator world for the worked examples in docstrings and docs/billing.md."""

from datetime import UTC, datetime
from decimal import Decimal

from tollway.accounts import BillingAccount, CustomerClass, Party
from tollway.billing._inputs import BillingInputs
from tollway.catalog import Catalog, ChargeKind, ProductOffering, ProductOfferingPrice
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import currency
from tollway.pricing import Flat, PriceDefinition


def tiny_inputs() -> BillingInputs:
    """One account (ACME, USD, bill-cycle day 1, UTC) with one port at a 100.00 monthly charge
    billed in advance, activated on 2026-03-16.

    >>> sorted(tiny_inputs().products)
    ['P1']
    """
    usd = currency("USD")
    mrc = ProductOfferingPrice(
        id="port-mrc",
        offering_id="port",
        kind=ChargeKind.RECURRING_ADVANCE,
        price=PriceDefinition("port-mrc", usd, Flat.of("100.00")),
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        name="Port MRC",
    )
    port = ProductOffering("port", "Ethernet port", "mpls", (mrc,))
    product = Product(
        id="P1",
        circuit_id="12.HCGS.000001..SW",
        billing_account_id="ACME",
        offering_id="port",
        bandwidth_mbps=Decimal(100),
        site_a_id="S1",
        jurisdiction_id="US-PA",
        events=(LifecycleEvent(datetime(2026, 3, 16, tzinfo=UTC), LifecycleAction.ACTIVATE),),
    )
    return BillingInputs(
        parties={"acme": Party("acme", "Acme Corp", CustomerClass.BUSINESS)},
        sites={},
        accounts={"ACME": BillingAccount("ACME", "acme", "Acme Corp", usd, 1, "UTC")},
        catalog=Catalog(offerings={"port": port}),
        agreements={},
        products={"P1": product},
    )
