"""Saving the operator's world and loading it back gives equal dataclasses."""

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from tollway.billing import BillingInputs
from tollway.catalog import Catalog
from tollway.money import InvalidAmountError
from tollway.pricing.schema import parse_price_definition
from tollway.storage import Database, StorageError, WorldRepository, world_digest
from tollway.storage import _tables as tables


def _round_trip(database: Database, world: BillingInputs) -> BillingInputs:
    with database.transaction() as session:
        WorldRepository(session).save(world)
    with database.transaction() as session:
        return WorldRepository(session).load()


def test_a_loaded_world_equals_the_saved_one(database: Database, world: BillingInputs) -> None:
    loaded = _round_trip(database, world)

    assert loaded == world
    # Order matters where the domain keeps tuples: lifecycle events, an offering's prices, credits.
    assert [credit.id for credit in loaded.credits] == ["CR-2", "CR-1"]
    assert [price.id for price in loaded.catalog.offerings["mpls-port"].prices] == [
        "mpls-mrc",
        "mpls-install",
        "mpls-data",
    ]


def test_exact_numbers_survive_the_round_trip(database: Database, world: BillingInputs) -> None:
    loaded = _round_trip(database, world)

    assert loaded.products["P-2"].bandwidth_mbps == Decimal("0.000000001")
    assert loaded.products["P-1"].events[2].bandwidth_mbps == Decimal("250.5")
    assert loaded.catalog.bundles["mpls-sip"].discount_percent == Decimal("12.5")
    data_price = loaded.catalog.offerings["mpls-port"].prices[2].price
    assert data_price.document is not None
    pricing = data_price.document["pricing"]
    assert isinstance(pricing, dict)
    assert pricing["tiers"][1]["flat_amount"] == "12345678901234567890.123456789"
    assert loaded.credits[0].amount.amount == Decimal("3000")
    assert loaded.credits[1].amount.amount == Decimal("125.50")


def test_instants_come_back_as_the_same_instants_in_utc(
    database: Database, world: BillingInputs
) -> None:
    loaded = _round_trip(database, world)

    start = loaded.agreements["AG-ACME"].start
    # Saved as 2025-03-01T00:00-05:00: the same instant, read back in UTC.
    assert start == world.agreements["AG-ACME"].start
    assert start.isoformat() == "2025-03-01T05:00:00+00:00"


def test_prices_are_stored_as_their_documents_with_numbers_as_strings(
    database: Database, world: BillingInputs
) -> None:
    with database.transaction() as session:
        WorldRepository(session).save(world)
        stored = session.execute(
            select(tables.product_offering_prices.c.price_document).where(
                tables.product_offering_prices.c.id == "mpls-mrc"
            )
        ).scalar_one()

    assert stored == {
        "id": "mpls-mrc",
        "currency": "USD",
        "description": "MPLS port, per Mbps",
        "pricing": {"model": "per_unit", "unit_price": "4.125"},
    }


def test_saving_again_replaces_the_stored_world(database: Database, world: BillingInputs) -> None:
    _round_trip(database, world)
    smaller = replace(
        world,
        products={"P-2": world.products["P-2"]},
        agreements={},
        credits=(),
        catalog=Catalog(offerings=world.catalog.offerings),
    )

    assert _round_trip(database, smaller) == smaller


def test_an_empty_world_round_trips(database: Database) -> None:
    empty = BillingInputs({}, {}, {}, Catalog({}), {}, {})

    assert _round_trip(database, empty) == empty


def test_a_price_without_its_document_is_refused_before_anything_is_written(
    database: Database, world: BillingInputs
) -> None:
    built_in_code = replace(
        parse_price_definition(
            {"id": "coded", "currency": "USD", "pricing": {"model": "flat", "amount": "1"}}
        ),
        document=None,
    )
    agreement = world.agreements["AG-ACME"]
    override = replace(agreement.price_overrides[0], price=built_in_code)
    broken = replace(world, agreements={"AG-ACME": replace(agreement, price_overrides=(override,))})

    with pytest.raises(StorageError, match="agreement AG-ACME override 0: price 'coded' has no"):
        _round_trip(database, broken)
    with database.transaction() as session:
        assert WorldRepository(session).load().parties == {}


def test_a_document_that_reads_back_differently_is_refused(
    database: Database, world: BillingInputs
) -> None:
    definition = parse_price_definition(
        {"id": "drift", "currency": "USD", "pricing": {"model": "flat", "amount": "1"}}
    )
    lying = replace(
        definition,
        document={"id": "drift", "currency": "USD", "pricing": {"model": "flat", "amount": "2"}},
    )
    agreement = world.agreements["AG-ACME"]
    override = replace(agreement.price_overrides[0], price=lying)
    broken = replace(world, agreements={"AG-ACME": replace(agreement, price_overrides=(override,))})

    with pytest.raises(StorageError, match="reads back as a different definition"):
        _round_trip(database, broken)


def test_a_credit_with_more_decimals_than_its_currency_is_refused(
    database: Database, world: BillingInputs
) -> None:
    credit = world.credits[1]
    broken = replace(
        world, credits=(replace(credit, amount=replace(credit.amount, amount=Decimal("1.005"))),)
    )

    with pytest.raises(InvalidAmountError, match="round it first"):
        _round_trip(database, broken)


def test_the_world_digest_identifies_a_world_whatever_database_it_came_from(
    database: Database, world: BillingInputs
) -> None:
    loaded = _round_trip(database, world)

    assert world_digest(loaded) == world_digest(world)
    assert world_digest(replace(world, credits=world.credits[:1])) != world_digest(world)
