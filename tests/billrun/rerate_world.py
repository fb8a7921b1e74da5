"""A tiny operator for the re-rating tests: three accounts in three currencies, graduated usage
prices, January billed on Feb 1, and helpers to load usage and bill a month.

Every account is billed on the 1st, in UTC, and every circuit was activated on 2026-01-01:

- ACME (USD, series INV): a port at 100.00 a month in advance; data at 0.10 a GB for the first
  100 GB of a month, 0.05 after. The data price is effective-dated: `port-data-2026-01` for
  January, `port-data` from February on (the same tariff, until a correction says otherwise).
- KAISHA (JPY, series JP): a port at ¥15,000; voice at ¥3 a minute for the first 100, then ¥2.
- MANAMA (BHD, series BH): a port at 40.000 BHD; data at 0.125 BHD a GB for the first 100 GB,
  then 0.075.
"""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

from tollway.accounts import BillingAccount, CustomerClass, Party
from tollway.billing import AppliedBillingRate, BillingInputs, ChargeType, CustomerBill
from tollway.billrun import BillRunSummary, run_cycle
from tollway.catalog import Catalog, ChargeKind, ProductOffering, ProductOfferingPrice
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import currency
from tollway.pricing.schema import parse_price_definition
from tollway.storage import BillQuery, BillRepository, Database, bills_json
from tollway.usage import LoadReport, UsageStore, load_usage

JANUARY: Final = datetime(2026, 1, 1, tzinfo=UTC)
FEBRUARY: Final = datetime(2026, 2, 1, tzinfo=UTC)
USAGE_HEADER: Final = "record_id,source,circuit_id,usage_type,start_time,quantity,unit\n"
JANUARY_USAGE: Final = USAGE_HEADER + (
    "a1,edge,CKT-ACME,data,2026-01-05T10:00:00+00:00,60,GB\n"
    "a2,edge,CKT-ACME,data,2026-01-20T10:00:00+00:00,35,GB\n"
    "k1,switch,CKT-KAISHA,voice,2026-01-06T09:00:00+00:00,60,min\n"
    "k2,switch,CKT-KAISHA,voice,2026-01-07T09:00:00+00:00,39.5,min\n"
    "m1,edge,CKT-MANAMA,data,2026-01-08T12:00:00+00:00,99.9,GB\n"
)
"""January as first loaded: ACME 95 GB, KAISHA 99.5 minutes, MANAMA 99.9 GB, each just below
its first tier's bound of 100."""


def _price(
    offering_id: str,
    document: dict[str, object],
    *,
    usage_type: str | None = None,
    valid_from: datetime = JANUARY,
    valid_to: datetime | None = None,
) -> ProductOfferingPrice:
    definition = parse_price_definition(document)
    return ProductOfferingPrice(
        id=definition.id,
        offering_id=offering_id,
        kind=ChargeKind.RECURRING_ADVANCE if usage_type is None else ChargeKind.USAGE,
        price=definition,
        valid_from=valid_from,
        valid_to=valid_to,
        usage_type=usage_type,
        name=definition.description or definition.id,
    )


def _monthly(offering_id: str, code: str, amount: str) -> ProductOfferingPrice:
    return _price(
        offering_id,
        {
            "id": f"{offering_id}-mrc",
            "currency": code,
            "description": "Port monthly charge",
            "pricing": {"model": "flat", "amount": amount},
        },
    )


def _graduated(
    price_id: str, code: str, unit: str, description: str, first: str, after: str
) -> dict[str, object]:
    """A usage price: `first` per unit up to 100 units a month, `after` beyond."""
    return {
        "id": price_id,
        "currency": code,
        "unit": unit,
        "description": description,
        "pricing": {
            "model": "graduated",
            "tiers": [
                {"up_to": "100", "unit_price": first},
                {"up_to": None, "unit_price": after},
            ],
        },
    }


def _acme_port(january_first_tier: str) -> ProductOffering:
    return ProductOffering(
        "port",
        "Ethernet port",
        "mpls",
        (
            _monthly("port", "USD", "100.00"),
            _price(
                "port",
                _graduated("port-data", "USD", "GB", "Data", "0.10", "0.05"),
                usage_type="data",
                valid_from=FEBRUARY,
            ),
            _price(
                "port",
                _graduated("port-data-2026-01", "USD", "GB", "Data", january_first_tier, "0.05"),
                usage_type="data",
                valid_to=FEBRUARY,
            ),
        ),
    )


def _offerings(january_first_tier: str) -> dict[str, ProductOffering]:
    kaisha = ProductOffering(
        "port-jpy",
        "Ethernet port (Japan)",
        "mpls",
        (
            _monthly("port-jpy", "JPY", "15000"),
            _price(
                "port-jpy",
                _graduated("port-jpy-voice", "JPY", "min", "Voice", "3", "2"),
                usage_type="voice",
            ),
        ),
    )
    manama = ProductOffering(
        "port-bhd",
        "Ethernet port (Bahrain)",
        "mpls",
        (
            _monthly("port-bhd", "BHD", "40.000"),
            _price(
                "port-bhd",
                _graduated("port-bhd-data", "BHD", "GB", "Data", "0.125", "0.075"),
                usage_type="data",
            ),
        ),
    )
    return {"port": _acme_port(january_first_tier), "port-jpy": kaisha, "port-bhd": manama}


def make_world(*, january_first_tier: str = "0.10") -> BillingInputs:
    """The operator; `january_first_tier` is ACME's January price for its first 100 GB."""
    accounts = {
        name: BillingAccount(
            name,
            name.lower(),
            name.title(),
            currency(code),
            1,
            "UTC",
            invoice_series=series,
        )
        for name, code, series in (
            ("ACME", "USD", "INV"),
            ("KAISHA", "JPY", "JP"),
            ("MANAMA", "BHD", "BH"),
        )
    }
    offering_of = {"ACME": "port", "KAISHA": "port-jpy", "MANAMA": "port-bhd"}
    activated = (LifecycleEvent(JANUARY, LifecycleAction.ACTIVATE),)
    products = {
        f"P-{name}": Product(
            id=f"P-{name}",
            circuit_id=f"CKT-{name}",
            billing_account_id=name,
            offering_id=offering_of[name],
            bandwidth_mbps=Decimal(100),
            site_a_id="S1",
            jurisdiction_id="US-PA",
            events=activated,
        )
        for name in accounts
    }
    return BillingInputs(
        parties={
            name.lower(): Party(name.lower(), name.title(), CustomerClass.BUSINESS)
            for name in accounts
        },
        sites={},
        accounts=accounts,
        catalog=Catalog(offerings=_offerings(january_first_tier)),
        agreements={},
        products=products,
    )


def load(store: UsageStore, directory: Path, csv_text: str, *, load_id: str) -> LoadReport:
    """Load usage records written as CSV under `load_id`."""
    source = directory / f"{load_id}.csv"
    source.write_text(csv_text, encoding="utf-8")
    return load_usage([source], store=store, load_id=load_id)


def usage_csv(*rows: str) -> str:
    """Usage records as a CSV file: the header and one row per record."""
    return USAGE_HEADER + "".join(f"{row}\n" for row in rows)


def bill_month(
    database: Database, store: UsageStore, month: int, *, batch_accounts_max: int = 500
) -> BillRunSummary:
    """The bill run of 2026-`month`-01 (run id RUN-2026-MM): the bills dated that day."""
    return run_cycle(
        database,
        store,
        period_start=datetime(2026, month, 1, tzinfo=UTC),
        period_end=datetime(2026, month, 2, tzinfo=UTC),
        bill_date=date(2026, month, 1),
        run_id=f"RUN-2026-{month:02d}",
        batch_accounts_max=batch_accounts_max,
    )


def bill_of(database: Database, account_id: str, month: int) -> CustomerBill:
    """The account's bill dated 2026-`month`-01."""
    with database.transaction() as session:
        (found,) = BillRepository(session).find(
            BillQuery(billing_account_id=account_id, bill_date=date(2026, month, 1))
        )
    return found


def adjustments_of(bill: CustomerBill) -> list[AppliedBillingRate]:
    return [line for line in bill.lines if line.charge_type is ChargeType.ADJUSTMENT]


def export(database: Database, month: int) -> str:
    """The JSON export of the bills of RUN-2026-MM."""
    with database.transaction() as session:
        return bills_json(BillRepository(session).stream(BillQuery(run_id=f"RUN-2026-{month:02d}")))


def without_prices(world: BillingInputs, offering_id: str) -> BillingInputs:
    """The world with an offering's usage prices removed (its records can no longer be rated)."""
    offering = world.catalog.offerings[offering_id]
    kept = tuple(found for found in offering.prices if found.kind is not ChargeKind.USAGE)
    offerings = {**world.catalog.offerings, offering_id: replace(offering, prices=kept)}
    return replace(world, catalog=replace(world.catalog, offerings=offerings))
