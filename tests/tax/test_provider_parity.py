"""The adapter describes a bill to the service the way the local engine taxes it: the monthly
per-line fee once per circuit and bill, usage priced per second as minutes, exemption
certificates valid on the bill date (shown with their id), a tax-inclusive line's
`precise_amount` kept at its price, and discounts of tax-inclusive prices sent tax-inclusive.

The world: account ACME (business) billed at its Philadelphia head office; GOV (government)
billed at Pittsburgh. The mapping is the illustrative `DEFAULT_SERVICE_MAPPING`, the service the
fake (federal excise 3 %, PA sales 6 %, PA E911 1.65 a line).
"""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tollway.accounts import CustomerClass
from tollway.billing import (
    TAX_INCLUSIVE_DISCOUNT_KIND,
    AppliedBillingRate,
    ChargeType,
    ZeroTax,
    rerate_adjustments,
)
from tollway.pricing import BreakdownLine
from tollway.tax import TaxAccountData, parse_tax_account_data
from tollway.tax.provider import (
    DEFAULT_SERVICE_MAPPING,
    CommunicationsTaxAdapter,
    CompanyProfile,
    FakeCommunicationsTaxService,
    TaxRequestError,
    build_request,
)

from .provider_world import World, activated, bill_line, day


def _items(world: World, *lines: AppliedBillingRate, **options: Any) -> list[dict[str, Any]]:
    inputs = world.inputs()
    account = inputs.accounts[options.pop("account", "ACME")]
    request = build_request(
        lines,
        account=account,
        party=inputs.parties[account.party_id],
        inputs=inputs,
        bill_date=options.pop("bill_date", date(2026, 4, 1)),
        mapping=DEFAULT_SERVICE_MAPPING,
        company=CompanyProfile(),
        **options,
    )
    found: list[dict[str, Any]] = request.document["inv"][0]["itms"]
    return found


def test_a_circuits_voice_lines_are_sent_once_per_bill() -> None:
    world = World()
    world.account("ACME")
    world.offering("trunk", product_type="sip", mrc="500.00")
    world.product("P2", account="ACME", offering="trunk", events=activated(day(4, 15)),
                  voice_channels=23)  # fmt: skip
    service = FakeCommunicationsTaxService()
    adapter = CommunicationsTaxAdapter(service, mapping=DEFAULT_SERVICE_MAPPING)

    (bill,) = world.bills(day(5, 1), tax=adapter)

    # The May 1 bill: April 15-30 (never billed, 266.67) and May in advance (500.00). The monthly
    # 911 fee is 23 x 1.65 = 37.95 once, on the first of them, as the local engine charges it.
    assert [item.get("line") for item in service.requests[-1]["inv"][0]["itms"]] == [23, None]
    assert [
        (str(line.amount.amount),
         [str(tax.tax_amount.amount) for tax in line.taxes if tax.tax_category == "e911"])
        for line in bill.lines
    ] == [("266.67", ["37.95"]), ("500.00", [])]  # fmt: skip


def test_usage_priced_per_second_is_sent_in_minutes() -> None:
    world = World()
    world.account("ACME")
    world.offering("trunk", product_type="sip", mrc="500.00")
    world.product("P2", account="ACME", offering="trunk", events=activated(day(3, 1)))
    seconds = bill_line("L1", amount="36.00", charge_type=ChargeType.USAGE, product="P2",
                        unit="s", quantity="3600")  # fmt: skip
    odd = bill_line("L2", amount="0.02", charge_type=ChargeType.USAGE, product="P2",
                    unit="seconds", quantity="100")  # fmt: skip

    items = _items(world, seconds, odd)

    # 3600 s = 60 minutes; 100 s = 1.666666666... minutes, kept to 10^-9 (half up).
    assert [item["min"] for item in items] == [Decimal(60), Decimal("1.666666667")]


def test_a_tax_inclusive_line_keeps_its_precise_amount_at_the_price() -> None:
    world = World()
    world.account("ACME")
    world.offering("bundle", mrc="109.00", tax_inclusive=True)
    world.product("P4", account="ACME", offering="bundle", events=activated(day(4, 1)))
    adapter = CommunicationsTaxAdapter(
        FakeCommunicationsTaxService(), mapping=DEFAULT_SERVICE_MAPPING
    )

    (taxed,) = world.bills(day(4, 1), tax=adapter)
    (untaxed,) = world.bills(day(4, 1), tax=ZeroTax())

    # 109.00 including 9 %: 100.00 + 3.00 + 6.00; the precise amount stays the price, 109.00, as
    # with the local engine, so re-rating an unchanged bill finds nothing to adjust.
    (line,) = taxed.lines
    assert (str(line.amount.amount), str(line.tax_amount.amount), line.precise_amount) == (
        "100.00", "9.00", Decimal("109.00"),
    )  # fmt: skip
    assert rerate_adjustments(taxed.lines, untaxed.lines, related_bill_no="INV-1") == ()


def test_a_discount_of_a_tax_inclusive_price_is_sent_tax_inclusive() -> None:
    world = World()
    world.account("ACME")
    world.offering("bundle", mrc="109.00", tax_inclusive=True)
    world.product("P4", account="ACME", offering="bundle", events=activated(day(4, 1)))
    discount = bill_line("L2", amount="-10.90", charge_type=ChargeType.DISCOUNT, product="P4")
    inclusive_discount = replace(
        discount,
        breakdown=(BreakdownLine(TAX_INCLUSIVE_DISCOUNT_KIND, "10% of 109.00", Decimal("109.00"),
                                 Decimal(10), Decimal("-10.90")),),
    )  # fmt: skip

    items = _items(world, bill_line("L1", amount="109.00", product="P4", price="bundle-mrc"),
                   inclusive_discount)  # fmt: skip

    assert [(item["ref"], item["chg"], item["incl"]) for item in items] == [
        ("L1", Decimal("109.00"), True),
        ("L2", Decimal("-10.90"), True),
    ]


GOVERNMENT_EXCISE = {
    "id": "EX-1",
    "number": "US-4253I-0007",
    "billing_account_id": "GOV",
    "issuing_jurisdiction": "US",
    "tax_types": ["federal_excise"],
    "levels": ["federal"],
    "valid_from": "2026-01-01",
    "valid_to": "2026-07-01",
}
"""Exempts GOV from the federal excise tax on the bills dated up to June 30."""


APRIL_1 = day(4, 1)


def _government(on: datetime = APRIL_1) -> World:
    """GOV with an MPLS port at Pittsburgh activated `on` (its first bill: its month)."""
    world = World()
    world.account("GOV", customer_class=CustomerClass.GOVERNMENT, billing_site="PIT")
    world.offering("port", mrc="1000.00")
    world.product("P5", account="GOV", offering="port", events=activated(on), site_a="PIT")
    return world


def _certificates(*rows: dict[str, Any]) -> TaxAccountData:
    return parse_tax_account_data({"exemption_certificates": list(rows)}, source="accounts.yaml")


def _government_taxes(on: date, data: TaxAccountData) -> list[tuple[str, str, str, str | None]]:
    """(category, treatment, amount, certificate) of every tax on GOV's bill of `on`."""
    adapter = CommunicationsTaxAdapter(
        FakeCommunicationsTaxService(), mapping=DEFAULT_SERVICE_MAPPING, account_data=data
    )
    first_day = day(on.month, on.day)
    (bill,) = _government(first_day).bills(first_day, tax=adapter)
    return [
        (tax.tax_category, tax.treatment.value, str(tax.tax_amount.amount),
         tax.exemption_certificate_id)
        for line in bill.lines
        for tax in line.taxes
    ]  # fmt: skip


def test_a_certificate_valid_on_the_bill_date_exempts_and_is_shown() -> None:
    found = _government_taxes(date(2026, 6, 1), _certificates(GOVERNMENT_EXCISE))

    # June in advance, 1000.00: the excise tax, 3 % = 30.00, is exempted by EX-1 and shown as such;
    # the PA sales tax, 60.00, is billed.
    assert found == [
        ("federal_excise", "exempt", "30.00", "EX-1"),
        ("state_sales", "billed", "60.00", None),
    ]


def test_no_certificate_or_an_expired_one_exempts_nothing() -> None:
    expired = _government_taxes(date(2026, 7, 1), _certificates(GOVERNMENT_EXCISE))
    none = _government_taxes(date(2026, 6, 1), _certificates())

    # A government customer is not exempt by its class: only a certificate valid on the bill date
    # exempts. 3 % of 1000.00 = 30.00 and 6 % = 60.00, both billed.
    billed = [("federal_excise", "billed", "30.00", None), ("state_sales", "billed", "60.00", None)]
    assert (expired, none) == (billed, billed)


def test_certificates_are_sent_as_exemptions_at_their_issuing_jurisdiction() -> None:
    california = {
        **GOVERNMENT_EXCISE, "id": "EX-2", "number": "CA-GOV-42", "issuing_jurisdiction": "US-CA",
        "tax_types": ["state_sales", "e911"], "levels": ["state", "city"], "valid_to": None,
    }  # fmt: skip
    later = {**GOVERNMENT_EXCISE, "id": "EX-3", "valid_from": "2026-05-01"}
    service = FakeCommunicationsTaxService()
    adapter = CommunicationsTaxAdapter(
        service,
        mapping=DEFAULT_SERVICE_MAPPING,
        account_data=_certificates(GOVERNMENT_EXCISE, california, later),
    )

    _government().bills(day(4, 1), tax=adapter)

    # EX-1 (federal excise: AFC tax type 3, federal domain 0, scope 128, at PCode 0) and EX-2
    # (California: sales tax 1 and E911 250 in the state domain 1, state + local scope 1280, at
    # California's PCode), by certificate id; EX-3 is not valid yet on April 1.
    assert service.requests[-1]["inv"][0]["exms"] == [
        {"loc": {"pcd": 0}, "tpe": 3, "dom": 0, "scp": 128, "frc": False},
        {"loc": {"pcd": 600000}, "tpe": 1, "dom": 1, "scp": 1280, "frc": False},
        {"loc": {"pcd": 600000}, "tpe": 250, "dom": 1, "scp": 1280, "frc": False},
    ]


def test_a_certificate_the_mapping_cannot_express_is_refused() -> None:
    unknown_tax = {**GOVERNMENT_EXCISE, "tax_types": ["federal_excise", "local_sales"]}
    unknown_place = {**GOVERNMENT_EXCISE, "issuing_jurisdiction": "US-ZZ"}
    world = _government()
    line = bill_line("L1", amount="1000.00", product="P5", price="port-mrc")
    line = replace(line, billing_account_id="GOV")

    with pytest.raises(TaxRequestError, match="'local_sales', which the service mapping"):
        _items(world, line, account="GOV", account_data=_certificates(unknown_tax))
    with pytest.raises(TaxRequestError, match="issued by 'US-ZZ', which the service mapping"):
        _items(world, line, account="GOV", account_data=_certificates(unknown_place))


def test_lines_of_accounts_with_different_certificates_cannot_share_a_request() -> None:
    world = _government()
    world.account("ACME")
    world.offering("trunk", product_type="sip", mrc="500.00")
    world.product("P2", account="ACME", offering="trunk", events=activated(day(3, 1)))
    government = replace(bill_line("L1", amount="1000.00", product="P5", price="port-mrc"),
                         billing_account_id="GOV")  # fmt: skip
    business = bill_line("L2", amount="500.00", product="P2", price="trunk-mrc")

    # AFC exempts per invoice: a bill whose lines are held under different certificates would
    # exempt too much or too little.
    with pytest.raises(TaxRequestError, match="different exemption certificates"):
        _items(world, government, business, account="GOV",
               account_data=_certificates(GOVERNMENT_EXCISE))  # fmt: skip
