"""Bundle and contract discounts: bundle first, then the contract on the remainder, per product.

Every circuit here is active all of April and billed in advance on the Apr 1 bill; each test
activates it on Apr 1 so that March has nothing to settle.
"""

from dataclasses import replace
from decimal import Decimal

from billing_world import World, activate, day, disconnect, summary

from tollway.billing import TAX_INCLUSIVE_DISCOUNT_KIND


def sdwan_and_security(world: World, *, bundle: str | None, agreement: str | None = None) -> None:
    world.account("ACME")
    world.offering("sdwan", mrc="400.00")
    world.offering("security", mrc="100.00")
    for product_id, offering in (("P1", "sdwan"), ("P2", "security")):
        world.product(
            product_id,
            account="ACME",
            offering=offering,
            bundle=bundle,
            agreement=agreement,
            events=[activate(day(4, 1))],
        )


def test_bundle_discount_is_one_line_per_product() -> None:
    world = World()
    world.bundle("B1", offerings=["sdwan", "security"], percent="10")
    sdwan_and_security(world, bundle="B1")
    bill = world.only_bill(day(4, 1))
    # 10% of 400.00 = 40.00; 10% of 100.00 = 10.00
    assert summary(bill) == [
        ("ACME", "CKT-P1", "recurring", "04-01..05-01", "400.00"),
        ("ACME", "CKT-P1", "discount", "04-01..05-01", "-40.00"),
        ("ACME", "CKT-P2", "recurring", "04-01..05-01", "100.00"),
        ("ACME", "CKT-P2", "discount", "04-01..05-01", "-10.00"),
    ]
    assert bill.lines[1].name == "Bundle discount: Bundle B1 (10%)"


def test_contract_discount_applies_to_the_agreement_products() -> None:
    world = World()
    world.agreement("AG1", account="ACME", start=day(1, 1), term_months=36, discount_percent="5")
    sdwan_and_security(world, bundle=None, agreement="AG1")
    bill = world.only_bill(day(4, 1))
    # 5% of 400.00 = 20.00; 5% of 100.00 = 5.00
    assert [str(line.amount.amount) for line in bill.lines] == [
        "400.00",
        "-20.00",
        "100.00",
        "-5.00",
    ]
    assert bill.lines[1].name == "Contract discount: Agreement AG1 (5%)"


def test_contract_discount_is_taken_on_what_the_bundle_discount_leaves() -> None:
    world = World()
    world.bundle("B1", offerings=["sdwan", "security"], percent="10")
    world.agreement("AG1", account="ACME", start=day(1, 1), term_months=36, discount_percent="5")
    sdwan_and_security(world, bundle="B1", agreement="AG1")
    bill = world.only_bill(day(4, 1))
    # sdwan: 400.00 - 10% (40.00) = 360.00, then 5% of 360.00 = 18.00
    # security: 100.00 - 10% (10.00) = 90.00, then 5% of 90.00 = 4.50
    assert [str(line.amount.amount) for line in bill.lines] == [
        "400.00",
        "-40.00",
        "-18.00",
        "100.00",
        "-10.00",
        "-4.50",
    ]
    assert bill.tax_excluded_amount.amount == Decimal("427.50")


def test_a_discount_is_rounded_once_per_line() -> None:
    world = World()
    world.account("ACME")
    world.bundle("B1", offerings=["port"], percent="10")
    world.offering("port", mrc="333.35")
    world.product("P1", account="ACME", offering="port", bundle="B1", events=[activate(day(4, 1))])
    # 10% of 333.35 = 33.335 -> half-up 33.34
    assert summary(world.only_bill(day(4, 1)))[1][-1] == "-33.34"


def test_an_offering_outside_the_bundle_gets_no_bundle_discount() -> None:
    world = World()
    world.bundle("B1", offerings=["security"], percent="10")
    sdwan_and_security(world, bundle="B1")
    bill = world.only_bill(day(4, 1))
    assert [line.charge_type.value for line in bill.lines] == ["recurring", "recurring", "discount"]
    assert bill.lines[2].circuit_id == "CKT-P2"


def test_a_credit_for_unused_time_gives_back_its_discount() -> None:
    world = World()
    world.bundle("B1", offerings=["port"], percent="10")
    world.account("ACME")
    world.offering("port", mrc="3100.00")
    world.product("P1", account="ACME", offering="port", bundle="B1", events=[activate(day(3, 1))])
    march_bill = world.only_bill(day(3, 1))
    assert summary(march_bill)[1][-1] == "-310.00"
    world.product(
        "P1",
        account="ACME",
        offering="port",
        bundle="B1",
        events=[activate(day(3, 1)), disconnect(day(3, 21))],
    )
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    # Unused Mar 21-31: -11/31 x 3100.00 = -1100.00; the discount on it, 10%: +110.00
    assert summary(april_bill) == [
        ("ACME", "CKT-P1", "discount", "03-21..04-01", "110.00"),
        ("ACME", "CKT-P1", "credit", "03-21..04-01", "-1100.00"),
    ]


def _tax_inclusive(world: World, offering_id: str, *price_ids: str) -> None:
    """Make some prices of an offering tax-inclusive (the billing world prices tax-excluded)."""
    offering = world.offerings[offering_id]
    prices = tuple(
        replace(price, tax_inclusive=True) if price.id in price_ids else price
        for price in offering.prices
    )
    world.offerings[offering_id] = replace(offering, prices=prices)


def test_a_discount_of_a_tax_inclusive_price_says_so_for_the_tax_step() -> None:
    world = World()
    world.bundle("B1", offerings=["bundle"], percent="10")
    world.agreement("AG1", account="ACME", start=day(1, 1), term_months=36, discount_percent="5")
    world.account("ACME")
    world.offering("bundle", mrc="109.00")
    _tax_inclusive(world, "bundle", "bundle-mrc")
    world.product("P1", account="ACME", offering="bundle", bundle="B1", agreement="AG1",
                  events=[activate(day(4, 1))])  # fmt: skip
    bill = world.only_bill(day(4, 1))
    # The price includes its taxes, so do its discounts: 10 % of 109.00 = 10.90, then 5 % of the
    # 98.10 left = 4.905 -> 4.91 (half up). The tax step splits each like the price it discounts.
    assert summary(bill) == [
        ("ACME", "CKT-P1", "recurring", "04-01..05-01", "109.00"),
        ("ACME", "CKT-P1", "discount", "04-01..05-01", "-10.90"),
        ("ACME", "CKT-P1", "discount", "04-01..05-01", "-4.91"),
    ]
    assert [[step.kind for step in line.breakdown] for line in bill.lines[1:]] == [
        [TAX_INCLUSIVE_DISCOUNT_KIND],
        [TAX_INCLUSIVE_DISCOUNT_KIND],
    ]


def test_tax_inclusive_and_tax_excluded_prices_of_a_product_are_discounted_apart() -> None:
    world = World()
    world.bundle("B1", offerings=["port"], percent="10")
    world.account("ACME")
    world.offering("port", mrc="109.00", per_mbps="1.00")
    _tax_inclusive(world, "port", "port-mrc")
    world.product("P1", account="ACME", offering="port", bundle="B1", events=[activate(day(4, 1))])
    bill = world.only_bill(day(4, 1))
    # 100 Mbps x 1.00 = 100.00 tax excluded: 10 % = 10.00 off, a plain discount. The flat 109.00
    # includes its taxes: 10 % = 10.90 off, a tax-inclusive discount.
    discounts = [line for line in bill.lines if line.charge_type.value == "discount"]
    assert sorted((str(line.amount.amount), line.breakdown[0].kind) for line in discounts) == [
        ("-10.00", "discount"),
        ("-10.90", TAX_INCLUSIVE_DISCOUNT_KIND),
    ]
    assert bill.tax_excluded_amount.amount == Decimal("188.10")  # 209.00 - 20.90
