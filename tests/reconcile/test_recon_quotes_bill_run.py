"""Quote-to-bill against the bill run's own first invoices (`compute_bills`, 8 % tax in US-PA):
the check expects exactly what billing computes when the quote and billing agree, to the cent and
with no tolerance, and finds what differs when they do not.

- A 0.00 recurring line carries no taxes (billing taxes nothing of nothing), so it cannot show the
  quoted jurisdiction: no `tax_jurisdiction` difference.
- Billing rounds a percentage discount once per group of a product's recurring lines (its
  tax-exclusive prices, then its tax-inclusive ones), and takes the agreement's percentage of what
  the bundle discount leaves; the check works a quoted percentage out the same way.
- A quoted discount that runs for some months covers the first invoice only up to its end; billing
  has no such end (an agreement's discount runs as long as the product is under it), so the
  customer gets more off than quoted.
"""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from tollway.billing import BillingInputs, ChargeType, CustomerBill, ZeroTax
from tollway.catalog import Bundle, ChargeKind
from tollway.inventory import LifecycleAction, LifecycleEvent
from tollway.reconcile._quotes_check import QuoteCheck, check_quotes
from tollway.reconcile._quotes_model import (
    QuotedDiscount,
    QuotedPrice,
    QuotedTerm,
    QuoteItem,
    QuoteTaxTreatment,
)
from tollway.reconcile.core import Tolerances

from .test_recon_quotes_discounts import billed_by_the_bill_run
from .test_recon_quotes_support import (
    at,
    crosswalk,
    differing,
    installation_price,
    offering_price,
    order,
    port_item,
    recurring_price,
    rows,
    world,
)

EXACT = Tolerances(line_absolute_minor=0, rounding_minor=0, invoice_absolute_minor=0,
                   invoice_relative_percent=Decimal(0))  # fmt: skip
"""No tolerance at all: the check must compute what billing computes, to the cent."""


def checked(
    inputs: BillingInputs, bill: CustomerBill, item: QuoteItem, *, total: str | None = None
) -> QuoteCheck:
    return check_quotes(
        [order(item, expected_total=total)],
        inputs=inputs,
        bills=[bill],
        crosswalk=crosswalk(),
        tolerances=EXACT,
    )


def discount_row(result: QuoteCheck) -> tuple[str, Decimal | None, Decimal | None]:
    (found,) = [row for row in result.findings if row.kind.value == "first invoice discount"]
    return found.category, found.quoted_amount, found.billed_amount


def billed(bill: CustomerBill) -> list[tuple[str, str | None, str, str]]:
    """(charge type, catalog price, amount, tax) per line, in bill order."""
    return [
        (found.charge_type.value, found.price_id, f"{found.amount.amount}",
         f"{found.tax_amount.amount}")
        for found in bill.lines
    ]  # fmt: skip


# 1. A 0.00 line and the quoted jurisdiction.


def test_a_zero_line_untaxed_by_billing_is_not_in_another_jurisdiction() -> None:
    """Kill Bill's conventions count a day by its calendar date: the port activated at 10:00 and
    disconnected at 20:00 on 2026-03-31 is billed 0.00 for the day, and the 8 % engine taxes
    nothing of it. The quote's US-PA cannot be contradicted by a line with no taxes."""
    inputs = world(activated=datetime(2026, 3, 31, 10, tzinfo=UTC))
    port = inputs.products["P1"]
    disconnect = LifecycleEvent(datetime(2026, 3, 31, 20, tzinfo=UTC), LifecycleAction.DISCONNECT)
    inputs = replace(
        inputs,
        accounts={"ACME": replace(inputs.accounts["ACME"], profile="killbill")},
        products={"P1": replace(port, events=(*port.events, disconnect))},
        agreements={"AG-1": replace(inputs.agreements["AG-1"], start=at(3, 31))},
    )
    bill = billed_by_the_bill_run(inputs)
    assert billed(bill) == [
        ("recurring", "mpls-100-mrc", "0.00", "0"),
        ("one_time", "mpls-100-nrc", "500.00", "40.00"),
    ]
    assert bill.lines[0].taxes == ()
    item = port_item(term=QuotedTerm(36, date(2026, 3, 31)))
    assert item.prices[0].tax_jurisdiction_id == "US-PA"
    result = checked(inputs, bill, item, total="540.00")
    assert differing(result.differences) == []
    taxes = [row for row in rows(result.differences) if row[0] == "first invoice tax"]
    assert taxes == [
        ("first invoice tax", "1", "L1", "matched", "0.00", "0.00"),
        ("first invoice tax", "1", "L2", "matched", "40.00", "40.00"),
    ]


def test_a_line_with_an_amount_and_no_tax_is_still_in_no_jurisdiction() -> None:
    """The exception is for nothing to tax only: 1,000.00 billed with no tax where the quote
    expects US-PA is a jurisdiction difference."""
    inputs = world()
    bill = billed_by_the_bill_run(inputs, tax=ZeroTax())
    result = checked(inputs, bill, port_item())
    assert ("first invoice tax", "1", "L2", "tax_jurisdiction", "80.00", "0.00") in differing(
        result.differences
    )


# 2. A percentage rounded where billing rounds it.


def mixed_world(*, bundle_percent: str | None = None) -> BillingInputs:
    """The port (1,000.00 a month before tax) with a management fee of 50.02 a month before tax
    and CPE rental of 21.60 a month with its 8 % tax in it, all of offering mpls-100, 10 % off
    under AG-1; with `bundle_percent`, the port is sold in a bundle of mpls-100 at that
    percentage."""
    extra = (
        offering_price("mpls-100-mgmt", ChargeKind.RECURRING_ADVANCE, "50.02"),
        offering_price("mpls-100-cpe", ChargeKind.RECURRING_ADVANCE, "21.60", tax_inclusive=True),
    )
    inputs = world(extra_prices=extra)
    if bundle_percent is None:
        return inputs
    bundle = Bundle("B-1", "Port and care", ("mpls-100",), Decimal(bundle_percent))
    return replace(
        inputs,
        catalog=replace(inputs.catalog, bundles={"B-1": bundle}),
        products={"P1": replace(inputs.products["P1"], bundle_id="B-1")},
    )


TEN_PERCENT = QuotedDiscount(percent=Decimal(10))


def mixed_item(discount: QuotedDiscount = TEN_PERCENT) -> QuoteItem:
    prices: tuple[QuotedPrice, ...] = (
        recurring_price(discount=discount),
        recurring_price(
            offering_price_id="mpls-100-mgmt", duty_free_amount=Decimal("50.02"), discount=discount
        ),
        recurring_price(
            offering_price_id="mpls-100-cpe",
            duty_free_amount=None,
            tax_included_amount=Decimal("21.60"),
            tax_treatment=QuoteTaxTreatment.INCLUSIVE,
            discount=discount,
        ),
        installation_price(),
    )
    return port_item(prices=prices)


def test_a_mixed_product_rounds_its_percentage_once_per_group() -> None:
    """Billing's tax-exclusive group: 10 % of 25.82 + 516.13 + 50.02 + 1,000.00 = 1,591.97 is
    159.197 → 159.20; per price it would be 10 % of 1,516.13 = 151.613 → 151.61 and 10 % of
    75.84 = 7.584 → 7.58, 159.19, a cent short. Its tax-inclusive group: 10 % of 11.15 + 21.60 =
    32.75 with tax is 3.275 → 3.28 (3.04 + 0.24 tax). 162.48 with tax in all, as billed."""
    inputs = mixed_world()
    bill = billed_by_the_bill_run(inputs)
    assert billed(bill) == [
        ("recurring", "mpls-100-cpe", "10.32", "0.83"),
        ("recurring", "mpls-100-mgmt", "25.82", "2.07"),
        ("recurring", "mpls-100-mrc", "516.13", "41.29"),
        ("recurring", "mpls-100-cpe", "20.00", "1.60"),
        ("recurring", "mpls-100-mgmt", "50.02", "4.00"),
        ("recurring", "mpls-100-mrc", "1000.00", "80.00"),
        ("one_time", "mpls-100-nrc", "500.00", "40.00"),
        ("discount", None, "-159.20", "-12.74"),
        ("discount", None, "-3.04", "-0.24"),
    ]
    result = checked(inputs, bill, mixed_item())
    assert discount_row(result) == ("matched", Decimal("-162.48"), Decimal("-162.48"))
    assert differing(result.differences) == []


def test_a_quoted_percentage_is_of_what_the_bundle_discount_leaves() -> None:
    """Billing takes the bundle's 5 % first, then AG-1's 10 % of what is left, per group:
    tax-exclusive 5 % of 1,591.97 = 79.5985 → 79.60, then 10 % of 1,512.37 = 151.237 → 151.24;
    tax-inclusive 5 % of 32.75 = 1.6375 → 1.64, then 10 % of 31.11 = 3.111 → 3.11. The quote's
    10 % is AG-1's (154.35 with tax); it does not give the bundle discount, so the invoice
    discounts exactly the bundle's 81.24 more than quoted (not 10 % of the bundle discount more
    as well)."""
    inputs = mixed_world(bundle_percent="5")
    bill = billed_by_the_bill_run(inputs)
    discounts = [
        (found.name, found.amount.amount + found.tax_amount.amount * found.tax_inclusive)
        for found in bill.lines
        if found.charge_type is ChargeType.DISCOUNT
    ]
    assert discounts == [
        ("Bundle discount: Port and care (5%)", Decimal("-79.60")),
        ("Bundle discount: Port and care (5%)", Decimal("-1.64")),
        ("Contract discount: Acme MSA (10%)", Decimal("-151.24")),
        ("Contract discount: Acme MSA (10%)", Decimal("-3.11")),
    ]
    result = checked(inputs, bill, mixed_item())
    assert discount_row(result) == ("discount", Decimal("-154.35"), Decimal("-235.59"))
    (found,) = [row for row in result.findings if row.kind.value == "first invoice discount"]
    assert found.variance == Decimal("-81.24")
    assert "10 % of 1512.37 USD (1591.97 USD less bundle B-1's 5 %: 79.60 USD)" in found.evidence


# 3. A quoted discount's length.


def test_billing_discounts_the_whole_first_invoice_whatever_the_quote_limits() -> None:
    """An agreement has no discount length: billing takes AG-1's 10 % off every recurring line of
    the product, the stub [03-16, 04-01) and all of April: 10 % of 1,516.13 = 151.61."""
    inputs = world()
    bill = billed_by_the_bill_run(inputs)
    (discount,) = [found for found in bill.lines if found.charge_type is ChargeType.DISCOUNT]
    assert (discount.period_start, discount.period_end) == (at(3, 16), at(5, 1))
    assert discount.amount.amount == Decimal("-151.61")


def test_a_one_month_discount_covers_the_first_invoice_to_its_end() -> None:
    """10 % off for one month from the service start (2026-03-16, as billing counts a contract's
    months) ends on 2026-04-16: it covers the stub, 516.13, and April's line to the 16th, 1,000.00
    × 15/30 = 500.00 as the bill run prorates it; 10 % of 1,016.13 = 101.61. Billing takes 151.61:
    the customer gets 50.00 more off than quoted, on the first invoice as over the term, and the
    invoice total's difference is explained by it."""
    inputs = world()
    bill = billed_by_the_bill_run(inputs)
    one_month = QuotedDiscount(percent=Decimal(10), periods=1)
    item = port_item(prices=(recurring_price(discount=one_month), installation_price()))
    # The quote's first invoice: 1,516.13 + 500.00 - 101.61 = 1,914.52 and 8 % tax on each
    # line, 41.29 + 80.00 + 40.00 - 8.13 = 153.16: 2,067.68. Billed: 1,864.52 + 149.16 tax.
    result = checked(inputs, bill, item, total="2067.68")
    assert differing(result.differences) == [
        ("first invoice total", None, None, "discount", "2067.68", "2013.68"),
        ("contract discount", "1", None, "discount", "-100.00", "-3600.00"),
        ("first invoice discount", "1", "L4", "discount", "-101.61", "-151.61"),
    ]
    (found,) = [row for row in result.findings if row.kind.value == "first invoice discount"]
    assert found.evidence.endswith(
        "the quote expects -101.61 USD (10 % of 1016.13 USD, mpls-100-mrc's for 1 month, to "
        "2026-04-16)"
    )


def test_a_one_month_amount_discount_is_prorated_to_its_end() -> None:
    """100.00 off for one month: 100.00 × 16/31 for the stub and 100.00 × 15/30 for April to the
    16th, 51.6129… + 50.00 = 101.61."""
    inputs = world()
    one_month = QuotedDiscount(amount=Decimal("100.00"), periods=1)
    item = port_item(prices=(recurring_price(discount=one_month), installation_price()))
    result = checked(inputs, billed_by_the_bill_run(inputs), item)
    assert discount_row(result) == ("discount", Decimal("-101.61"), Decimal("-151.61"))


def test_a_discount_that_outlasts_the_first_invoice_is_all_of_it() -> None:
    """Two months from 2026-03-16 run to 2026-05-16, past the invoice's coverage: the first
    invoice is discounted as billed (the limit is the contract check's difference only)."""
    inputs = world()
    two_months = QuotedDiscount(percent=Decimal(10), periods=2)
    item = port_item(prices=(recurring_price(discount=two_months), installation_price()))
    result = checked(inputs, billed_by_the_bill_run(inputs), item)
    assert discount_row(result) == ("matched", Decimal("-151.61"), Decimal("-151.61"))
    assert [row[0] for row in differing(result.differences)] == ["contract discount"]
