"""The choices the bill run's DuckDB rater makes with disjoint windows instead of window functions:
a record of a circuit two products share goes to the first product (by id) whose window holds
it, a record two usage prices could rate goes to the first price (by id), and each stored record
is rated once (the usage store keeps a (source, record_id) once: a record sent again is rejected
at ingestion, never rated twice). Both raters of the bill run are checked, and checked equal.

The operator is `rerate_world`'s; the run of 2026-02-01 rates January.
"""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest

from tollway.billing import BillingInputs
from tollway.billrun import UsageRater, rate_with_duckdb_engine, rate_with_reference
from tollway.catalog import Catalog, ChargeKind, ProductOfferingPrice
from tollway.contracts import Agreement, PriceOverride
from tollway.inventory import LifecycleAction, LifecycleEvent
from tollway.pricing.schema import parse_price_definition
from tollway.rating.reference import RatingOutcome
from tollway.usage import UsageStore

from .rerate_world import load, make_world, usage_csv
from .test_duckdb_rater import assert_columnar_equals_objects

FEBRUARY_RUN: Final = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC))
RATERS: Final = pytest.mark.parametrize(
    "rater", [rate_with_reference, rate_with_duckdb_engine], ids=["reference", "duckdb"]
)
JANUARY_USAGE: Final = usage_csv(
    "a1,edge,CKT-ACME,data,2026-01-05T10:00:00+00:00,60,GB",
    "a2,edge,CKT-ACME,data,2026-01-14T23:59:59+00:00,10,GB",
    "a3,edge,CKT-ACME,data,2026-01-15T00:00:00+00:00,5,GB",
    "a4,edge,CKT-ACME,data,2026-01-25T08:00:00+00:00,20,GB",
    "m1,edge,CKT-MANAMA,data,2026-01-08T12:00:00+00:00,99.9,GB",
)


def _rate(rater: UsageRater, store: UsageStore, world: BillingInputs) -> RatingOutcome:
    start, end = FEBRUARY_RUN
    return rater(store, world, period_start=start, period_end=end)


@pytest.fixture
def store(tmp_path: Path) -> UsageStore:
    found = UsageStore(tmp_path / "usage-store")
    assert load(found, tmp_path, JANUARY_USAGE, load_id="january").accepted == 5
    return found


def _shared_circuit_world() -> BillingInputs:
    """CKT-ACME is also the circuit of P-AAA-ACME, activated on Jan 15 (an order that reused the
    circuit id): P-AAA-ACME comes first by id, so its window takes the circuit's records."""
    world = make_world()
    first = world.products["P-ACME"]
    again = replace(
        first,
        id="P-AAA-ACME",
        events=(LifecycleEvent(datetime(2026, 1, 15, tzinfo=UTC), LifecycleAction.ACTIVATE),),
    )
    return replace(world, products={**world.products, again.id: again})


@RATERS
def test_a_shared_circuits_record_goes_to_the_first_product_whose_window_holds_it(
    rater: UsageRater, store: UsageStore
) -> None:
    outcome = _rate(rater, store, _shared_circuit_world())

    counts = {charge.charge_key: charge.record_count for charge in outcome.charges}
    # Both windows are January: a1..a4 fall in P-AAA-ACME's, which comes first; before its
    # activation on the 15th it is not active, so a1 and a2 are rejected, not billed by P-ACME.
    assert counts == {
        "ACME|P-AAA-ACME|data|2026-01-01T00:00:00+00:00": 2,
        "MANAMA|P-MANAMA|data|2026-01-01T00:00:00+00:00": 1,
    }
    assert sorted(reject.record_id or "" for reject in outcome.rejects) == ["edge:a1", "edge:a2"]


def _two_data_prices_world() -> BillingInputs:
    """ACME's offering gets a second data price for January, `a-port-data`, in force from the
    15th: it comes first by id, so it rates ACME's records from then on."""
    world = make_world()
    offering = world.catalog.offerings["port"]
    definition = parse_price_definition(
        {
            "id": "a-port-data",
            "currency": "USD",
            "description": "Data (promotion)",
            "pricing": {"model": "per_unit", "unit_price": "0.01"},
        }
    )
    promotion = ProductOfferingPrice(
        id="a-port-data",
        offering_id=offering.id,
        kind=ChargeKind.USAGE,
        price=definition,
        valid_from=datetime(2026, 1, 15, tzinfo=UTC),
        valid_to=datetime(2026, 2, 1, tzinfo=UTC),
        usage_type="data",
        name="Data (promotion)",
    )
    offerings = {
        **world.catalog.offerings,
        offering.id: replace(offering, prices=(*offering.prices, promotion)),
    }
    return replace(world, catalog=Catalog(offerings=offerings))


@RATERS
def test_a_record_two_prices_could_rate_goes_to_the_first_price_by_id(
    rater: UsageRater, store: UsageStore
) -> None:
    outcome = _rate(rater, store, _two_data_prices_world())

    acme = {
        charge.price_id: (charge.record_count, charge.result.quantity)
        for charge in outcome.charges
        if charge.charge_key.startswith("ACME|")
    }
    # a1, a2 before the 15th: the January tariff; a3, a4 from the 15th: the promotion.
    assert acme == {
        "port-data-2026-01": (2, Decimal("70")),
        "a-port-data": (2, Decimal("25")),
    }


def test_both_raters_agree_on_shared_circuits_and_overlapping_prices(store: UsageStore) -> None:
    for world in (_shared_circuit_world(), _two_data_prices_world()):
        assert _rate(rate_with_duckdb_engine, store, world) == _rate(
            rate_with_reference, store, world
        )


def _override_world() -> BillingInputs:
    """ACME's product under an agreement that overrides its data price: the engine rates it
    under a key naming the agreement, and both raters' charges name the catalog price id."""
    world = _two_data_prices_world()
    price_id = "port-data-2026-01"
    override = parse_price_definition(
        {"id": price_id, "currency": "USD", "pricing": {"model": "per_unit", "unit_price": "0.02"}}
    )
    product = world.products["P-ACME"]
    agreement = Agreement(
        id="AG-ACME",
        billing_account_id=product.billing_account_id,
        name="ACME terms",
        start=datetime(2025, 1, 1, tzinfo=UTC),
        term_months=36,
        price_overrides=(PriceOverride(price_id, override),),
    )
    products = {**world.products, "P-ACME": replace(product, agreement_id=agreement.id)}
    return replace(world, agreements={agreement.id: agreement}, products=products)


def test_an_overridden_price_is_billed_under_its_catalog_id(store: UsageStore) -> None:
    world = _override_world()
    outcome = _rate(rate_with_duckdb_engine, store, world)
    assert outcome == _rate(rate_with_reference, store, world)
    prices = {charge.price_id: charge.result.amount.amount for charge in outcome.charges}
    # 60 + 10 GB before the 15th at the agreement's 0.02, not the catalog's price.
    assert prices["port-data-2026-01"] == Decimal("1.40")


def test_the_columnar_rater_makes_the_same_choices(store: UsageStore) -> None:
    start, end = FEBRUARY_RUN
    worlds = (make_world(), _shared_circuit_world(), _two_data_prices_world(), _override_world())
    for world in worlds:
        outcome = assert_columnar_equals_objects(store, world, period_start=start, period_end=end)
        assert outcome.charges


@RATERS
def test_a_record_sent_twice_is_rated_once(
    rater: UsageRater, store: UsageStore, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    again.mkdir()
    report = load(store, again, JANUARY_USAGE, load_id="january-again")
    assert (report.accepted, report.rejected) == (0, 5), "ingestion rejects the duplicates"

    outcome = _rate(rater, store, make_world())

    assert outcome.record_count == 5
    assert sorted(charge.record_count for charge in outcome.charges) == [1, 4]
