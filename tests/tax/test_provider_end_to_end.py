"""`compute_bills(..., tax=adapter)` end to end with the fake service, on a tiny world.

Account ACME (business, billed at its Philadelphia head office), every circuit activated
2026-04-01 and billed April in advance on 2026-04-01:
- P1, an MPLS port at Philadelphia: 1000.00 a month;
- P2, a SIP trunk at Philadelphia with 23 voice channels: 500.00 a month;
- P3, an MPLS private line Philadelphia → New York: 1000.00 a month;
- P4, a tax-inclusive bundle at Philadelphia: 109.00 a month, taxes included.
Account GOV (government, billed at Pittsburgh): P5, an MPLS port at Pittsburgh, 1000.00; it holds
exemption certificate EX-1 from the federal excise tax for the first half of 2026.
"""

from decimal import Decimal

from tollway.accounts import CustomerClass
from tollway.billing import CustomerBill, TaxItem
from tollway.money import Money
from tollway.tax import parse_tax_account_data
from tollway.tax.provider import (
    DEFAULT_SERVICE_MAPPING,
    CommunicationsTaxAdapter,
    FakeCommunicationsTaxService,
)

from .provider_world import World, activated, day


def _world() -> World:
    world = World()
    world.account("ACME")
    world.account("GOV", customer_class=CustomerClass.GOVERNMENT, billing_site="PIT")
    world.offering("port", mrc="1000.00")
    world.offering("trunk", product_type="sip", mrc="500.00")
    world.offering("bundle", mrc="109.00", tax_inclusive=True)
    april = activated(day(4, 1))
    world.product("P1", account="ACME", offering="port", events=april)
    world.product("P2", account="ACME", offering="trunk", events=april, voice_channels=23)
    world.product("P3", account="ACME", offering="port", events=april, site_z="NYC")
    world.product("P4", account="ACME", offering="bundle", events=april)
    world.product("P5", account="GOV", offering="port", events=april, site_a="PIT")
    return world


CERTIFICATES = parse_tax_account_data(
    {"exemption_certificates": [
        {"id": "EX-1", "number": "US-4253I-0007", "billing_account_id": "GOV",
         "issuing_jurisdiction": "US", "tax_types": ["federal_excise"], "levels": ["federal"],
         "valid_from": "2026-01-01", "valid_to": "2026-07-01"},
    ]},
    source="accounts.yaml",
)  # fmt: skip


def _bills(service: FakeCommunicationsTaxService) -> tuple[CustomerBill, ...]:
    adapter = CommunicationsTaxAdapter(
        service, mapping=DEFAULT_SERVICE_MAPPING, account_data=CERTIFICATES
    )
    return _world().bills(day(4, 1), tax=adapter)


def _taxes(bill: CustomerBill) -> list[tuple[str, str, str, str, str, str]]:
    """(circuit, category, jurisdiction, rate, amount, treatment) of every tax on the bill."""
    return [
        (line.circuit_id or "", tax.tax_category, tax.jurisdiction_id, str(tax.tax_rate),
         str(tax.tax_amount.amount), tax.treatment.value)
        for line in bill.lines
        for tax in line.taxes
    ]  # fmt: skip


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def test_a_business_bill_carries_the_services_taxes() -> None:
    acme, _ = _bills(FakeCommunicationsTaxService())
    assert _taxes(acme) == [
        # P1 1000.00: excise 3 % = 30.00, PA sales 6 % = 60.00
        ("CKT-P1", "federal_excise", "US", "0.03", "30.00", "billed"),
        ("CKT-P1", "state_sales", "US-PA", "0.06", "60.00", "billed"),
        # P2 500.00: 15.00, 30.00, and 23 lines x 1.65 = 37.95 of E911
        ("CKT-P2", "federal_excise", "US", "0.03", "15.00", "billed"),
        ("CKT-P2", "state_sales", "US-PA", "0.06", "30.00", "billed"),
        ("CKT-P2", "e911", "US-PA", "1.65", "37.95", "billed"),
        # P3 1000.00 split half PA, half NY: 30.00; 500 x 6 % = 30.00; 500 x 4 % = 20.00;
        # NY gross receipts 500 x 2.5 % = 12.50, reported but not billed
        ("CKT-P3", "federal_excise", "US", "0.03", "30.00", "billed"),
        ("CKT-P3", "state_sales", "US-PA", "0.06", "30.00", "billed"),
        ("CKT-P3", "state_sales", "US-NY", "0.04", "20.00", "billed"),
        ("CKT-P3", "gross_receipts", "US-NY", "0.025", "12.50", "compliance_only"),
        # P4 109.00 including 9 %: base 100.00, 3.00 + 6.00
        ("CKT-P4", "federal_excise", "US", "0.03", "3.00", "billed"),
        ("CKT-P4", "state_sales", "US-PA", "0.06", "6.00", "billed"),
    ]
    assert [
        (line.circuit_id, str(line.amount.amount), line.tax_inclusive) for line in acme.lines
    ] == [
        ("CKT-P1", "1000.00", False),
        ("CKT-P2", "500.00", False),
        ("CKT-P3", "1000.00", False),
        ("CKT-P4", "100.00", True),
    ]
    # 1000 + 500 + 1000 + 100 = 2600.00; taxes 90 + 82.95 + 80 + 9 = 261.95
    assert (acme.tax_excluded_amount, acme.tax_amount, acme.amount_due) == (
        usd("2600.00"), usd("261.95"), usd("2861.95"),
    )  # fmt: skip
    assert acme.tax_items == (
        TaxItem("e911", Decimal("1.65"), usd("37.95")),
        TaxItem("federal_excise", Decimal("0.03"), usd("78.00")),  # 30 + 15 + 30 + 3
        TaxItem("state_sales", Decimal("0.04"), usd("20.00")),
        TaxItem("state_sales", Decimal("0.06"), usd("126.00")),  # 60 + 30 + 30 + 6
    )


def test_a_government_bill_is_exempt_from_federal_excise_by_its_certificate() -> None:
    _, government = _bills(FakeCommunicationsTaxService())
    # 1000.00 at Pittsburgh: the excise tax, 30.00, exempted by EX-1; PA sales 60.00 billed.
    assert _taxes(government) == [
        ("CKT-P5", "federal_excise", "US", "0.03", "30.00", "exempt"),
        ("CKT-P5", "state_sales", "US-PA", "0.06", "60.00", "billed"),
    ]
    assert government.lines[0].taxes[0].exemption_certificate_id == "EX-1"
    assert government.amount_due == usd("1060.00")


def test_one_request_per_bill() -> None:
    service = FakeCommunicationsTaxService()
    _bills(service)
    assert [
        (request["inv"][0]["doc"], request["inv"][0]["cust"], len(request["inv"][0]["itms"]),
         "exms" in request["inv"][0])
        for request in service.requests
    ] == [("ACME:2026-04-01", 1, 4, False), ("GOV:2026-04-01", 1, 1, True)]  # fmt: skip


def test_the_same_inputs_give_the_same_bills() -> None:
    assert _bills(FakeCommunicationsTaxService()) == _bills(FakeCommunicationsTaxService())
