"""One bill → one CalcTaxes request, written out field by field (AFC Communications REST v2
names: `tran`/`serv` pairs, `chg`, `line`, `min`, `sale`, `incl`, `plsp`, `cust`, `exms`).

The world: account ACME billed at its Philadelphia head office (PHL); an MPLS port P1 at PHL
with a 1000.00 monthly charge and a 250.00 install fee. The mapping is the illustrative
`DEFAULT_SERVICE_MAPPING`: MPLS monthly service is pair 1/4, activation 1/5; anything without a
product is 1/4; SIP usage is 19/6.
"""

from datetime import date
from decimal import Decimal

import pytest

from tollway.accounts import CustomerClass
from tollway.billing import AppliedBillingRate, ChargeType
from tollway.tax.provider import (
    DEFAULT_SERVICE_MAPPING,
    CalcTaxesRequest,
    CompanyProfile,
    TaxRequestError,
    build_request,
    parse_service_mapping,
)

from .provider_world import World, activated, bill_line, day

APRIL_1 = date(2026, 4, 1)
PHL = {"ctry": "USA", "st": "PA", "city": "Philadelphia", "zip": "19103"}
NYC = {"ctry": "USA", "st": "NY", "city": "New York", "zip": "10019"}
AUS = {"ctry": "USA", "st": "TX", "city": "Austin", "zip": "78701"}


def _world(customer_class: CustomerClass = CustomerClass.BUSINESS) -> World:
    world = World()
    world.account("ACME", customer_class=customer_class)
    world.offering("port", mrc="1000.00", nrc="250.00")
    world.product("P1", account="ACME", offering="port", events=activated(day(4, 1)))
    return world


def _request(
    world: World,
    *lines: AppliedBillingRate,
    account: str = "ACME",
    company: CompanyProfile | None = None,
) -> CalcTaxesRequest:
    inputs = world.inputs()
    acme = inputs.accounts[account]
    return build_request(
        lines,
        account=acme,
        party=inputs.parties[acme.party_id],
        inputs=inputs,
        bill_date=APRIL_1,
        mapping=DEFAULT_SERVICE_MAPPING,
        company=CompanyProfile() if company is None else company,
    )


def test_a_small_bill_is_one_invoice_with_one_item_per_nonzero_line() -> None:
    request = _request(
        _world(),
        bill_line("L1", amount="1000.00", product="P1", price="port-mrc"),
        bill_line(
            "L2", amount="250.00", charge_type=ChargeType.ONE_TIME, product="P1", price="port-nrc"
        ),
        bill_line("L3", amount="0.00", product="P1", price="port-mrc"),
        bill_line("L4", amount="-50.00", charge_type=ChargeType.CREDIT),
    )
    # L3 is zero: not sent. L4 is a goodwill credit (disc 5) of no product, located at the bill-to.
    assert request.document == {
        "cmpn": {"bscl": 1, "svcl": 0, "fclt": True, "frch": False, "reg": False},
        "inv": [
            {
                "doc": "ACME:2026-04-01",
                "cmmt": False,
                "bill": PHL,
                "cust": 1,
                "date": "2026-04-01T12:00:00Z",
                "itms": [
                    {"ref": "L1", "chg": Decimal("1000.00"), "sale": 1, "incl": False,
                     "tran": 1, "serv": 4, "from": PHL, "to": PHL},
                    {"ref": "L2", "chg": Decimal("250.00"), "sale": 1, "incl": False,
                     "tran": 1, "serv": 5, "from": PHL, "to": PHL},
                    {"ref": "L4", "chg": Decimal("-50.00"), "sale": 1, "incl": False,
                     "tran": 1, "serv": 4, "from": PHL, "to": PHL, "disc": 5},
                ],
                "invm": True,
                "dtl": True,
                "summ": False,
            }
        ],
    }  # fmt: skip
    assert request.refs == ("L1", "L2", "L4")
    assert request.inclusive_refs == frozenset()
    assert request.document_code == "ACME:2026-04-01"


def test_amounts_are_sent_as_exact_decimals() -> None:
    request = _request(_world(), bill_line("L1", amount="1000.10", product="P1", price="port-mrc"))
    charge = request.document["inv"][0]["itms"][0]["chg"]
    assert type(charge) is Decimal
    assert charge == Decimal("1000.10")


def test_a_company_identifier_is_sent_as_idnt() -> None:
    company = CompanyProfile(
        business_class=0, service_class=1, regulated=True, identifier="TOLLWAY-1"
    )
    request = _request(_world(), bill_line("L1", amount="1.00", product="P1"), company=company)
    assert request.document["cmpn"] == {
        "bscl": 0, "svcl": 1, "fclt": True, "frch": False, "reg": True, "idnt": "TOLLWAY-1",
    }  # fmt: skip


def test_a_government_customer_is_a_business_with_no_exemption_of_its_own() -> None:
    request = _request(
        _world(CustomerClass.GOVERNMENT), bill_line("L1", amount="1000.00", product="P1")
    )
    invoice = request.document["inv"][0]
    # AFC has no government customer type. Exemptions come from the certificates an account
    # holds, valid on the bill date (test_provider_parity): with none, it claims none.
    assert invoice["cust"] == 1
    assert "exms" not in invoice


def test_a_residential_customer_is_type_0_and_a_wholesale_one_buys_for_resale() -> None:
    residential = _request(
        _world(CustomerClass.RESIDENTIAL), bill_line("L1", amount="10.00", product="P1")
    )
    wholesale = _request(
        _world(CustomerClass.WHOLESALE), bill_line("L1", amount="10.00", product="P1")
    )
    assert (
        residential.document["inv"][0]["cust"],
        residential.document["inv"][0]["itms"][0]["sale"],
    ) == (0, 1)
    assert (
        wholesale.document["inv"][0]["cust"],
        wholesale.document["inv"][0]["itms"][0]["sale"],
    ) == (1, 0)
    assert "exms" not in wholesale.document["inv"][0]


def test_a_private_line_is_sent_from_site_a_to_site_z_with_a_split() -> None:
    world = _world()
    world.product("P3", account="ACME", offering="port", events=activated(day(4, 1)), site_z="NYC")
    request = _request(world, bill_line("L1", amount="1000.00", product="P3", price="port-mrc"))
    assert request.document["inv"][0]["itms"] == [
        {"ref": "L1", "chg": Decimal("1000.00"), "sale": 1, "incl": False, "tran": 1, "serv": 4,
         "from": PHL, "to": NYC, "plsp": Decimal("0.5")},
    ]  # fmt: skip


def test_voice_channels_are_lines_on_recurring_charges_and_minutes_on_usage() -> None:
    world = _world()
    world.offering("trunk", product_type="sip", mrc="500.00", per_minute="0.02")
    world.product(
        "P2", account="ACME", offering="trunk", events=activated(day(3, 1)), voice_channels=23
    )
    request = _request(
        world,
        bill_line("L1", amount="500.00", product="P2", price="trunk-mrc"),
        bill_line("L2", amount="25.00", charge_type=ChargeType.USAGE, product="P2",
                  price="trunk-voice", unit="minute", quantity="1250"),
        bill_line("L3", amount="-100.00", charge_type=ChargeType.DISCOUNT, product="P2"),
    )  # fmt: skip
    items = request.document["inv"][0]["itms"]
    # Per-line fees are monthly: only the positive recurring line carries the 23 channels.
    assert items == [
        {"ref": "L1", "chg": Decimal("500.00"), "sale": 1, "incl": False, "tran": 19,
         "serv": 4, "from": PHL, "to": PHL, "line": 23},
        {"ref": "L2", "chg": Decimal("25.00"), "sale": 1, "incl": False, "tran": 19,
         "serv": 6, "from": PHL, "to": PHL, "min": Decimal("1250")},
        {"ref": "L3", "chg": Decimal("-100.00"), "sale": 1, "incl": False, "tran": 19,
         "serv": 4, "from": PHL, "to": PHL, "disc": 1},
    ]  # fmt: skip


def test_a_tax_inclusive_price_is_sent_with_incl() -> None:
    world = _world()
    world.offering("bundle", mrc="109.00", tax_inclusive=True)
    world.product("P4", account="ACME", offering="bundle", events=activated(day(4, 1)))
    request = _request(
        world,
        bill_line("L1", amount="109.00", product="P4", price="bundle-mrc"),
        bill_line("L2", amount="1000.00", product="P1", price="port-mrc"),
    )
    items = request.document["inv"][0]["itms"]
    assert [(item["ref"], item["incl"]) for item in items] == [("L1", True), ("L2", False)]
    assert request.inclusive_refs == frozenset({"L1"})


def test_a_tax_inclusive_private_line_is_refused_before_sending() -> None:
    world = _world()
    world.offering("bundle", mrc="109.00", tax_inclusive=True)
    world.product(
        "P4", account="ACME", offering="bundle", events=activated(day(4, 1)), site_z="NYC"
    )
    with pytest.raises(
        TaxRequestError, match="CKT-P4 is a private line with a tax-inclusive price"
    ):
        _request(world, bill_line("L1", amount="109.00", product="P4", price="bundle-mrc"))


def test_an_unknown_site_is_named() -> None:
    world = _world()
    world.product("P9", account="ACME", offering="port", events=activated(day(4, 1)), site_a="ZZZ")
    with pytest.raises(TaxRequestError, match=r"product 'P9' \(circuit CKT-P9\) names site 'ZZZ'"):
        _request(world, bill_line("L1", amount="1.00", product="P9"))


def test_an_unknown_billing_site_is_named() -> None:
    world = _world()
    world.account("ACME", billing_site="HQ9")
    with pytest.raises(TaxRequestError, match="billing account 'ACME' names site 'HQ9'"):
        _request(world, bill_line("L1", amount="1.00", product="P1"))


def test_without_a_billing_site_the_bill_is_located_at_the_first_products_site_a() -> None:
    world = _world()
    world.account("ACME", billing_site=None)
    world.product("P1", account="ACME", offering="port", events=activated(day(4, 1)), site_a="AUS")
    request = _request(
        world,
        bill_line("L0", amount="-5.00", charge_type=ChargeType.CREDIT),
        bill_line("L1", amount="1.00", product="P1"),
    )
    assert request.document["inv"][0]["bill"] == AUS


def test_without_a_billing_site_or_a_product_the_bill_cannot_be_located() -> None:
    world = _world()
    world.account("ACME", billing_site=None)
    with pytest.raises(TaxRequestError, match="'ACME' has no billing site and no product line"):
        _request(world, bill_line("L0", amount="-5.00", charge_type=ChargeType.CREDIT))


def test_a_line_with_no_pair_in_the_mapping_names_its_product_and_charge_types() -> None:
    world = _world()
    world.offering("net", product_type="dia", mrc="300.00")
    world.product("P7", account="ACME", offering="net", events=activated(day(4, 1)))
    mpls_only = parse_service_mapping(
        {
            "label": "MPLS only",
            "pairs": [{"product_type": "mpls", "transaction_type": 1, "service_type": 4}],
            "customer_types": {"business": 1, "government": 1, "residential": 0, "wholesale": 1},
        }
    )
    inputs = world.inputs()
    with pytest.raises(
        TaxRequestError,
        match="no transaction/service pair for product type 'dia' and charge type 'recurring'",
    ):
        build_request(
            [bill_line("L1", amount="300.00", product="P7", price="net-mrc")],
            account=inputs.accounts["ACME"],
            party=inputs.parties["party-ACME"],
            inputs=inputs,
            bill_date=APRIL_1,
            mapping=mpls_only,
            company=CompanyProfile(),
        )


def test_a_line_of_an_unknown_product_is_named() -> None:
    with pytest.raises(TaxRequestError, match="line L1 names unknown product 'P404'"):
        _request(_world(), bill_line("L1", amount="1.00", product="P404"))


def test_an_account_id_too_long_for_a_document_code_is_refused() -> None:
    world = _world()
    long_id = "A" * 140
    world.account(long_id)
    with pytest.raises(TaxRequestError, match="too long for an AFC document code"):
        _request(world, bill_line("L1", amount="1.00", product="P1"), account=long_id)
