"""Quote-to-bill at its edges: tolerance bounds (USD and JPY), the cross-walk, proration,
bandwidth, several instances, modify and delete items, usage prices, tax exemptions and
jurisdictions, discount durations, and properties of the price check."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollway.accounts import BillingAccount, CustomerClass, Party
from tollway.billing import (
    AppliedBillingRate,
    BillingInputs,
    BillState,
    ChargeType,
    CustomerBill,
    TaxTreatment,
)
from tollway.catalog import (
    Catalog,
    ChargeKind,
    ProductOffering,
    ProductOfferingPrice,
    QuantityBasis,
)
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import Money, currency
from tollway.pricing import Flat, PriceDefinition
from tollway.reconcile._quotes_check import QuoteCheckError, check_quotes
from tollway.reconcile._quotes_model import (
    OrderAction,
    QuotedDiscount,
    QuotedPrice,
    QuoteItem,
    QuoteOrder,
    QuotePriceType,
)
from tollway.reconcile._tables import CROSSWALK_SCHEMA
from tollway.reconcile.core import Tolerances

from .test_recon_quotes_support import (
    at,
    crosswalk,
    differing,
    first_lines,
    installation_price,
    invoice,
    line,
    offering_price,
    order,
    port_item,
    recurring_price,
    rows,
    sales_tax,
    world,
)


def _monthly(amount: str) -> QuoteOrder:
    return order(
        port_item(prices=(recurring_price(duty_free_amount=Decimal(amount)), installation_price())),
        expected_total=None,
    )


def test_one_cent_over_the_catalog_price_is_within_the_line_tolerance() -> None:
    # 1,000.01 against 1,000.00: 0.01, exactly one minor unit (the default line tolerance).
    result = check_quotes(
        [_monthly("1000.01")], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    assert differing(result.differences) == []
    price = next(row for row in result.findings if row.kind.value == "price in force")
    assert (price.quoted_amount, price.billed_amount) == (Decimal("1000.01"), Decimal("1000.00"))


def test_two_cents_over_the_catalog_price_is_a_rate_difference() -> None:
    result = check_quotes(
        [_monthly("1000.02")], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    assert differing(result.differences) == [
        ("price in force", "1", None, "rate", "1000.02", "1000.00"),
        # L1: 1,000.02 × 16/31 = 516.139… → 516.14, one cent from 516.13: within tolerance.
        ("first invoice line", "1", "L2", "rate", "1000.02", "1000.00"),
    ]


def test_a_per_category_tolerance_widens_only_its_category() -> None:
    result = check_quotes(
        [_monthly("1000.02")],
        inputs=world(),
        bills=[invoice(first_lines())],
        crosswalk=crosswalk(),
        tolerances=Tolerances(category_line_absolute_minor=(("rate", 2),)),
    )
    assert differing(result.differences) == []


JPY = currency("JPY")


def _yen_world() -> BillingInputs:
    """Tokyo KK (JPY, no decimals): a port at ¥10,000 a month, activated 2026-03-16."""
    mrc = ProductOfferingPrice(
        "port-mrc",
        "port",
        ChargeKind.RECURRING_ADVANCE,
        PriceDefinition("port-mrc", JPY, Flat.of("10000")),
        at(1, 1),
    )
    port = Product(
        "P9", "CKT-9", "TOKYO", "port", Decimal(10), "S9", "JP-13",
        (LifecycleEvent(at(3, 16), LifecycleAction.ACTIVATE),),
    )  # fmt: skip
    return BillingInputs(
        parties={"tokyo": Party("tokyo", "Tokyo KK", CustomerClass.BUSINESS)},
        sites={},
        accounts={"TOKYO": BillingAccount("TOKYO", "tokyo", "Tokyo KK", JPY, 1, "UTC")},
        catalog=Catalog({"port": ProductOffering("port", "Port", "mpls", (mrc,))}),
        agreements={},
        products={"P9": port},
    )


def _yen_line(line_id: str, start: int, end: int, amount: str) -> AppliedBillingRate:
    return AppliedBillingRate(
        line_id, "TOKYO", ChargeType.RECURRING, "Port", at(start, 16 if start == 3 else 1),
        at(end, 1), Decimal(1), Money.of(amount, JPY), Decimal(amount), product_id="P9",
        circuit_id="CKT-9", price_id="port-mrc",
    )  # fmt: skip


def _yen_bill() -> CustomerBill:
    # ¥10,000 × 16/31 = 5,161.29… → ¥5,161; then a whole month.
    lines = (_yen_line("J1", 3, 4, "5161"), _yen_line("J2", 4, 5, "10000"))
    return CustomerBill(
        "bill-J", "TOKYO", JPY, at(4, 1), at(5, 1), date(2026, 4, 1), lines,
        state=BillState.ISSUED, bill_no="INV-J1",
    )  # fmt: skip


def _yen_order(monthly: str) -> QuoteOrder:
    price = QuotedPrice(QuotePriceType.RECURRING, duty_free_amount=Decimal(monthly))
    item = QuoteItem("1", OrderAction.ADD, "port", circuit_id="CKT-9", prices=(price,))
    return QuoteOrder("J-1", date(2026, 3, 2), "TOKYO", "JPY", (item,), Decimal("15161"))


def test_a_yen_quote_that_agrees() -> None:
    result = check_quotes([_yen_order("10000")], inputs=_yen_world(), bills=[_yen_bill()])
    assert rows(result.differences) == [
        ("first invoice total", None, None, "matched", "15161", "15161"),
        ("provisioning", "1", None, "matched", None, None),
        ("price in force", "1", None, "matched", "10000", "10000"),
        ("first invoice line", "1", "J1", "matched", "5161", "5161"),
        ("first invoice line", "1", "J2", "matched", "10000", "10000"),
        ("first invoice tax", "1", "J1", "matched", None, "0"),
        ("first invoice tax", "1", "J2", "matched", None, "0"),
    ]


def test_one_yen_is_exactly_the_yen_tolerance_and_two_are_not() -> None:
    within = check_quotes([_yen_order("10001")], inputs=_yen_world(), bills=[_yen_bill()])
    # ¥10,001 × 16/31 = 5,161.8… → ¥5,162: one yen from the billed ¥5,161.
    assert [row for row in differing(within.differences) if row[0] != "first invoice total"] == []
    beyond = check_quotes([_yen_order("10002")], inputs=_yen_world(), bills=[_yen_bill()])
    assert [row for row in differing(beyond.differences) if row[0] != "first invoice total"] == [
        ("price in force", "1", None, "rate", "10002", "10000"),
        ("first invoice line", "1", "J2", "rate", "10002", "10000"),
    ]


def test_without_the_cross_walk_the_crm_account_is_unknown() -> None:
    result = check_quotes([order()], inputs=world(), bills=[invoice(first_lines())])
    assert rows(result.differences) == [
        ("account", None, None, "missing_in_new", "2025.81", None),
    ]
    assert result.findings[0].evidence == (
        "CRM account CRM-ACME is not a billing account: nothing on order ORD-1 is billed"
    )


def _rekeyed() -> pa.Table:
    """CRM-ACME meant OLD-ACME until 2026-03-01 and ACME from then on."""
    return pa.Table.from_pylist(
        [
            {"entity": "account", "legacy_id": "CRM-ACME", "tollway_id": "OLD-ACME",
             "valid_from": None, "valid_to": date(2026, 3, 1)},
            {"entity": "account", "legacy_id": "CRM-ACME", "tollway_id": "ACME",
             "valid_from": date(2026, 3, 1), "valid_to": None},
        ],
        schema=CROSSWALK_SCHEMA,
    )  # fmt: skip


def test_a_re_keyed_account_is_taken_as_valid_on_the_order_date() -> None:
    after = check_quotes(
        [order()], inputs=world(), bills=[invoice(first_lines())], crosswalk=_rekeyed()
    )
    assert differing(after.differences) == []
    before = replace(order(), order_date=date(2026, 2, 27))
    earlier = check_quotes(
        [before], inputs=world(), bills=[invoice(first_lines())], crosswalk=_rekeyed()
    )
    assert rows(earlier.differences) == [
        ("account", None, None, "missing_in_new", "2025.81", None),
    ]
    assert "(tollway OLD-ACME)" in earlier.findings[0].evidence


def test_a_service_started_later_than_the_quoted_term() -> None:
    """Activated 2026-03-20, four days after the quoted term start."""
    late = (
        # 1,000.00 × 12/31 = 387.096… → 387.10; 8 % = 30.968 → 30.97.
        line("L1", ChargeType.RECURRING, at(3, 20), at(4, 1), "387.10",
             price_id="mpls-100-mrc", taxes=(sales_tax("387.10", "30.97"),)),
        line("L2", ChargeType.RECURRING, at(4, 1), at(5, 1), "1000.00",
             price_id="mpls-100-mrc", taxes=(sales_tax("1000.00", "80.00"),)),
        line("L3", ChargeType.ONE_TIME, at(3, 20), at(3, 20), "500.00",
             price_id="mpls-100-nrc", taxes=(sales_tax("500.00", "40.00"),)),
        # 10 % of 1,387.10.
        line("L4", ChargeType.DISCOUNT, at(3, 20), at(5, 1), "-138.71"),
    )  # fmt: skip
    result = check_quotes(
        [order(expected_total=None)],
        inputs=world(activated=at(3, 20)),
        bills=[invoice(late)],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == [
        ("provisioning", "1", None, "proration", None, None),
        # From the quoted start: 1,000.00 × 16/31 = 516.13; billed from the activation: 387.10.
        ("first invoice line", "1", "L1", "proration", "516.13", "387.10"),
    ]
    provisioning = result.differing[0]
    assert provisioning.evidence == (
        "ordered mpls-100 at 100 Mbps; product P1 (circuit CKT-1) is mpls-100 at 100 Mbps, in "
        "service from 2026-03-20; the quote's term starts on 2026-03-16"
    )


def test_a_product_never_activated() -> None:
    result = check_quotes(
        [order(expected_total=None)], inputs=world(activated=None), bills=[], crosswalk=crosswalk()
    )
    assert differing(result.differences) == [
        ("provisioning", "1", None, "missing_in_new", None, None),
    ]


def _dia_world() -> BillingInputs:
    """Acme also has internet access (DIA) at 10.00 per Mbps a month: P3 on CKT-3, provisioned
    at 200 Mbps from 2026-04-01."""
    dia_mrc = offering_price(
        "dia-mrc",
        ChargeKind.RECURRING_ADVANCE,
        "10.00",
        per_unit=True,
        quantity_basis=QuantityBasis.BANDWIDTH_MBPS,
    )
    dia = ProductOffering("dia", "Internet access", "dia", (dia_mrc,))
    access = Product(
        "P3", "CKT-3", "ACME", "dia", Decimal(200), "S1", "US-PA",
        (LifecycleEvent(at(4, 1), LifecycleAction.ACTIVATE),),
    )  # fmt: skip
    return world(extra_offerings=(dia,), extra_products=(access,))


def test_a_bandwidth_other_than_ordered_is_a_quantity_difference() -> None:
    per_mbps = QuotedPrice(QuotePriceType.RECURRING, unit_price=Decimal("10.00"))
    item = QuoteItem(
        "2", OrderAction.ADD, "dia", circuit_id="CKT-3", bandwidth_mbps=Decimal(100),
        prices=(per_mbps,),
    )  # fmt: skip
    billed = line(
        "L6", ChargeType.RECURRING, at(4, 1), at(5, 1), "2000.00", price_id="dia-mrc",
        product_id="P3", circuit_id="CKT-3", quantity="200",
    )  # fmt: skip
    result = check_quotes(
        [order(item, expected_total=None)],
        inputs=_dia_world(),
        bills=[invoice((billed,))],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == [
        # 10.00 × 100 Mbps ordered; 10.00 × 200 Mbps provisioned and billed.
        ("provisioning", "2", None, "quantity", "1000.00", "2000.00"),
        ("first invoice line", "2", "L6", "quantity", "1000.00", "2000.00"),
    ]
    price = next(row for row in result.findings if row.kind.value == "price in force")
    assert price.category == "matched"
    assert "quoted 1000.00 USD a month (before tax) = 10.00 USD × 100" in price.evidence


def test_each_instance_of_an_item_becomes_its_own_product() -> None:
    def port(product_id: str, circuit: str) -> Product:
        return Product(
            product_id, circuit, "ACME", "mpls-100", Decimal(100), "S1", "US-PA",
            (LifecycleEvent(at(3, 16), LifecycleAction.ACTIVATE),), agreement_id="AG-1",
        )  # fmt: skip

    three = port_item(circuit_id=None, quantity=3)
    result = check_quotes(
        [order(three, expected_total=None)],
        inputs=world(extra_products=(port("P2", "CKT-2"),)),
        bills=[],
        crosswalk=crosswalk(),
    )
    provisioning = [
        (row.item_key, row.category, row.circuit_id)
        for row in result.findings
        if row.kind.value == "provisioning"
    ]
    assert provisioning == [
        ("1#1", "matched", "CKT-1"),
        ("1#2", "matched", "CKT-2"),
        ("1#3", "missing_in_new", None),
    ]


def test_a_deleted_circuit_still_billed() -> None:
    delete = QuoteItem("9", OrderAction.DELETE, None, circuit_id="CKT-1")
    result = check_quotes(
        [order(delete, expected_total=None)], inputs=world(), bills=[], crosswalk=crosswalk()
    )
    # Nothing disconnected: billing goes on charging the port's 1,000.00 a month.
    assert rows(result.differences) == [
        ("disconnect", "9", None, "extra_in_new", "0.00", "1000.00"),
    ]


def test_a_deleted_circuit_that_was_disconnected() -> None:
    inputs = world()
    port = inputs.products["P1"]
    ended = replace(
        port, events=(*port.events, LifecycleEvent(at(4, 30), LifecycleAction.DISCONNECT))
    )
    delete = QuoteItem("9", OrderAction.DELETE, None, circuit_id="CKT-1")
    result = check_quotes(
        [order(delete, expected_total=None)],
        inputs=replace(inputs, products={"P1": ended}),
        bills=[],
        crosswalk=crosswalk(),
    )
    assert rows(result.differences) == [("disconnect", "9", None, "matched", None, None)]


def test_a_modify_order_is_compared_with_the_change_made_after_it() -> None:
    """Upgraded to 200 Mbps on 2026-04-10, after an order of 2026-04-05 asking for 200."""
    inputs = world()
    port = inputs.products["P1"]
    upgraded = replace(
        port,
        events=(
            *port.events,
            LifecycleEvent(at(4, 10), LifecycleAction.CHANGE, bandwidth_mbps=Decimal(200)),
        ),
    )
    changed = replace(inputs, products={"P1": upgraded})

    def modify(bandwidth: int) -> QuoteOrder:
        item = QuoteItem(
            "1", OrderAction.MODIFY, "mpls-100", circuit_id="CKT-1",
            bandwidth_mbps=Decimal(bandwidth),
        )  # fmt: skip
        return replace(order(item, expected_total=None), order_date=date(2026, 4, 5))

    agreed = check_quotes([modify(200)], inputs=changed, bills=[], crosswalk=crosswalk())
    assert rows(agreed.differences) == [("provisioning", "1", None, "matched", None, None)]
    assert agreed.findings[0].evidence.endswith("in service from 2026-04-10")
    other = check_quotes([modify(300)], inputs=changed, bills=[], crosswalk=crosswalk())
    # A flat port price: 1,000.00 a month at 300 Mbps as at 200, but the bandwidth differs.
    assert rows(other.differences) == [
        ("provisioning", "1", None, "quantity", "1000.00", "1000.00"),
    ]


@pytest.mark.parametrize(("quoted", "category"), [("0.05", "matched"), ("0.04", "rate")])
def test_a_usage_price_is_compared_by_its_unit_price(quoted: str, category: str) -> None:
    usage = offering_price(
        "mpls-100-usage", ChargeKind.USAGE, "0.05", per_unit=True, usage_type="data_gb"
    )
    per_gb = QuotedPrice(
        QuotePriceType.USAGE, offering_price_id="mpls-100-usage", unit_price=Decimal(quoted)
    )
    item = port_item(prices=(*port_item().prices, per_gb))
    result = check_quotes(
        [order(item, expected_total=None)],
        inputs=world(extra_prices=(usage,)),
        bills=[invoice(first_lines())],
        crosswalk=crosswalk(),
    )
    (found,) = [row for row in result.findings if row.charge_type == "usage"]
    assert (found.category, found.quoted_amount, found.billed_amount) == (category, None, None)
    assert found.evidence == (
        f"quoted {quoted} USD per unit of usage; mpls-100-usage rates 0.05 USD per unit"
    )


def test_a_tax_billing_exempts_but_the_quote_expects() -> None:
    exempted = list(first_lines())
    exempted[1] = replace(
        exempted[1], taxes=(sales_tax("1000.00", "80.00", treatment=TaxTreatment.EXEMPT),)
    )
    result = check_quotes(
        [order()], inputs=world(), bills=[invoice(tuple(exempted))], crosswalk=crosswalk()
    )
    assert differing(result.differences) == [
        # 2,025.81 − 80.00.
        ("first invoice total", None, None, "tax_exemption", "2025.81", "1945.81"),
        ("first invoice tax", "1", "L2", "tax_exemption", "80.00", "0.00"),
    ]


def test_a_quote_exempt_from_tax_billed_with_tax() -> None:
    exempt = port_item(prices=(recurring_price(tax_rate_percent=Decimal(0)), installation_price()))
    result = check_quotes(
        [order(exempt, expected_total=None)],
        inputs=world(),
        bills=[invoice(first_lines())],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == [
        ("first invoice tax", "1", "L1", "tax_exemption", "0.00", "41.29"),
        ("first invoice tax", "1", "L2", "tax_exemption", "0.00", "80.00"),
    ]


def test_a_tax_in_another_jurisdiction() -> None:
    elsewhere = port_item(
        prices=(recurring_price(tax_jurisdiction_id="US-NJ"), installation_price())
    )
    result = check_quotes(
        [order(elsewhere, expected_total=None)],
        inputs=world(),
        bills=[invoice(first_lines())],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == [
        ("first invoice tax", "1", "L1", "tax_jurisdiction", "41.29", "41.29"),
        ("first invoice tax", "1", "L2", "tax_jurisdiction", "80.00", "80.00"),
    ]
    assert {row.jurisdiction_id for row in result.differing} == {"US-NJ"}


def test_a_discount_the_quote_limits_to_twelve_months() -> None:
    limited = port_item(
        prices=(
            recurring_price(discount=QuotedDiscount(percent=Decimal(10), periods=12)),
            installation_price(),
        )
    )
    result = check_quotes(
        [order(limited, expected_total=None)],
        inputs=world(),
        bills=[invoice(first_lines())],
        crosswalk=crosswalk(),
    )
    # 100.00 a month for 12 months quoted; AG-1 discounts all of its 36 months.
    assert differing(result.differences) == [
        ("contract discount", "1", None, "discount", "-1200.00", "-3600.00"),
    ]


def test_an_amount_discount_equal_to_the_contract_percentage() -> None:
    flat_off = port_item(
        prices=(
            recurring_price(discount=QuotedDiscount(amount=Decimal("100.00"))),
            installation_price(),
        )
    )
    result = check_quotes(
        [order(flat_off)], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    # 100.00 × 16/31 + 100.00 = 151.61 on the invoice, as 10 % of 1,516.13.
    assert differing(result.differences) == []


def test_an_order_in_another_currency_than_its_account() -> None:
    euro = replace(order(), currency="EUR")
    result = check_quotes([euro], inputs=world(), bills=[], crosswalk=crosswalk())
    assert rows(result.differences) == [("account", None, None, "unexplained", None, None)]


def test_an_order_given_twice_is_refused() -> None:
    with pytest.raises(QuoteCheckError, match="order ORD-1 is given twice"):
        check_quotes([order(), order()], inputs=world(), bills=[], crosswalk=crosswalk())


@given(st.decimals(min_value=0, max_value=2000, places=2))
def test_the_price_check_matches_within_one_cent_only(monthly: Decimal) -> None:
    quote = order(
        port_item(prices=(recurring_price(duty_free_amount=monthly),)), expected_total=None
    )
    result = check_quotes([quote], inputs=world(), bills=[], crosswalk=crosswalk())
    (price,) = [row for row in result.findings if row.kind.value == "price in force"]
    assert price.variance == Decimal("1000.00") - monthly
    assert (price.category == "matched") == (abs(monthly - Decimal("1000.00")) <= Decimal("0.01"))


@given(st.decimals(min_value=0, max_value=100, places=2))
def test_the_contract_discount_matches_only_the_agreement_percentage(percent: Decimal) -> None:
    quote = order(
        port_item(prices=(recurring_price(discount=QuotedDiscount(percent=percent)),)),
        expected_total=None,
    )
    result = check_quotes([quote], inputs=world(), bills=[], crosswalk=crosswalk())
    (discount,) = [row for row in result.findings if row.kind.value == "contract discount"]
    assert (discount.category == "matched") == (percent == 10)
    assert discount.billed_amount == Decimal("-100.00")
    assert discount.quoted_amount is not None and discount.quoted_amount <= 0


def test_a_no_change_item_is_not_checked() -> None:
    unchanged = QuoteItem("2", OrderAction.NO_CHANGE, "mpls-100", circuit_id="CKT-5")
    result = check_quotes(
        [order(port_item(), unchanged)],
        inputs=world(),
        bills=[invoice(first_lines())],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == []
    assert {row.item_key for row in result.findings} == {None, "1"}
