"""Quote-to-bill, the first invoice's discount: a quoted amount off each month against the
discount lines billing computes (billing/_discounts.py), in both tax treatments, and over a
coverage that comes to nothing.

Billing has no amount discounts: it takes the agreement's percentage (AG-1, 1 % here) off the
product's recurring lines as priced. A discount of tax-inclusive prices is taken off the prices
with their tax in them and marked `TAX_INCLUSIVE_DISCOUNT_KIND`; the tax step then splits it like
the prices it discounts, so its line's amount is only the part before tax. In Acme's world with
the port at 1,080.00 a month with 8 % tax in it (test_recon_quotes_support):

    recurring  [03-16, 04-01)  1080.00 × 16/31 = 557.419… → 557.42   = 516.13 + 41.29 tax
    recurring  [04-01, 05-01)                              1080.00   = 1000.00 + 80.00 tax
    discount   1 % of (557.42 + 1080.00) = 16.3742 → -16.37          = -15.16 + -1.21 tax

A quote of 1,080.00 a month with tax in it and 10.80 off (tax included) expects 10.80 × 16/31 +
10.80 = 16.374 → 16.37 off with tax: the customer pays what was quoted.
"""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from tollway.billing import (
    TAX_INCLUSIVE_DISCOUNT_KIND,
    AppliedBillingRate,
    BillingInputs,
    BillState,
    ChargeType,
    CustomerBill,
    TaxCalculator,
    ZeroTax,
    compute_bills,
)
from tollway.inventory import LifecycleAction, LifecycleEvent
from tollway.pricing import BreakdownLine
from tollway.reconcile._quotes_check import QuoteCheck, check_quotes
from tollway.reconcile._quotes_model import (
    QuotedDiscount,
    QuotedPrice,
    QuotedTerm,
    QuoteTaxTreatment,
)
from tollway.tax import TaxEngine, parse_tax_tables

from .test_recon_quotes_support import (
    at,
    crosswalk,
    differing,
    first_lines,
    installation_price,
    invoice,
    line,
    order,
    port_item,
    recurring_price,
    rows,
    sales_tax,
    world,
)

PENNSYLVANIA_8_PERCENT = TaxEngine(
    parse_tax_tables(
        {
            "name": "quotes",
            "notice": "ILLUSTRATIVE",
            "jurisdictions": [
                {"id": "US", "level": "federal", "name": "United States"},
                {"id": "US-PA", "level": "state", "name": "Pennsylvania", "parent": "US"},
            ],
            "interstate_allocation": [],
            "rules": [
                {
                    "id": "pa-sales",
                    "jurisdiction": "US-PA",
                    "tax_type": "state_sales",
                    "name": "Pennsylvania sales tax",
                    "calculation": "rate",
                    "valid_from": "2026-01-01",
                    "rate_percent": "8",
                }
            ],
        },
        source="quotes.yaml",
    )
)
"""8 % on every charge in US-PA, discounts included (a discount lowers the tax)."""


def inclusive_quote(discount: QuotedDiscount) -> QuotedPrice:
    """1,080.00 a month with the 8 % tax in it."""
    return recurring_price(
        duty_free_amount=None,
        tax_included_amount=Decimal("1080.00"),
        tax_treatment=QuoteTaxTreatment.INCLUSIVE,
        discount=discount,
    )


def checked(inputs: BillingInputs, bill: CustomerBill, price: QuotedPrice) -> QuoteCheck:
    quote = order(port_item(prices=(price, installation_price())), expected_total=None)
    return check_quotes([quote], inputs=inputs, bills=[bill], crosswalk=crosswalk())


def discount_row(result: QuoteCheck) -> tuple[str, Decimal | None, Decimal | None]:
    (found,) = [row for row in result.findings if row.kind.value == "first invoice discount"]
    return found.category, found.quoted_amount, found.billed_amount


def billed_by_the_bill_run(
    inputs: BillingInputs, *, tax: TaxCalculator = PENNSYLVANIA_8_PERCENT
) -> CustomerBill:
    """The bill run's first invoice (with 8 % tax unless told), its lines renamed L1, L2, … in
    bill order."""
    (draft,) = compute_bills(
        inputs,
        period_start=at(4, 1),
        period_end=at(4, 2),
        bill_date=date(2026, 4, 1),
        rated_usage=(),
        run_id="run-2026-04",
        tax=tax,
    )
    lines = tuple(replace(found, id=f"L{n}") for n, found in enumerate(draft.lines, start=1))
    return replace(draft, lines=lines, state=BillState.ISSUED, bill_no="INV-000001")


def inclusive_discount(amount: str, tax: str) -> AppliedBillingRate:
    """A discount of the tax-inclusive port: `amount` before tax and its (negative) `tax`."""
    discount = line(
        "L4",
        ChargeType.DISCOUNT,
        at(3, 16),
        at(5, 1),
        amount,
        taxes=(sales_tax(amount, tax),),
        tax_inclusive=True,
    )
    priced = Decimal(amount) + Decimal(tax)
    step = BreakdownLine(TAX_INCLUSIVE_DISCOUNT_KIND, "1% of 1637.42", Decimal("1637.42"),
                         Decimal(1), priced)  # fmt: skip
    return replace(discount, breakdown=(step,))


def inclusive_invoice(discount: AppliedBillingRate) -> CustomerBill:
    """INV-000001 of the tax-inclusive port (the module docstring), with `discount`."""
    lines = tuple(
        replace(found, tax_inclusive=True) if found.id in ("L1", "L2") else found
        for found in first_lines()
        if found.id != "L4"
    )
    return invoice((*lines, discount))


INCLUSIVE_WORLD = world(monthly="1080.00", tax_inclusive=True, discount_percent="1")


def test_a_tax_inclusive_amount_discount_billed_as_quoted() -> None:
    result = checked(
        INCLUSIVE_WORLD,
        inclusive_invoice(inclusive_discount("-15.16", "-1.21")),
        inclusive_quote(QuotedDiscount(amount=Decimal("10.80"))),
    )
    assert differing(result.differences) == []
    # 10.80 × 16/31 + 10.80 = 16.374 → 16.37 off with tax, as billed: 15.16 + 1.21 tax.
    assert discount_row(result) == ("matched", Decimal("-16.37"), Decimal("-16.37"))
    (found,) = [row for row in result.findings if row.kind.value == "first invoice discount"]
    assert found.evidence == (
        "invoice INV-000001 discounts product P1 by -16.37 USD with tax (L4 discount -15.16 USD "
        "+ -1.21 USD tax); the quote expects -16.37 USD (10.80 USD a month over the billed "
        "coverage, with tax)"
    )


def test_a_tax_inclusive_amount_discount_against_a_discount_line_before_tax() -> None:
    """A bill that presents the discount before tax (no `TAX_INCLUSIVE_DISCOUNT_KIND`, no taxes)
    is compared before tax: 10.80 with tax is 10.80 × 516.13/557.42 = 5.16 for March's line
    and 10.80 × 1,000.00/1,080.00 = 10.00 for April's, 15.16 in all."""
    result = checked(
        INCLUSIVE_WORLD,
        inclusive_invoice(line("L4", ChargeType.DISCOUNT, at(3, 16), at(5, 1), "-15.16")),
        inclusive_quote(QuotedDiscount(amount=Decimal("10.80"))),
    )
    assert differing(result.differences) == []
    assert discount_row(result) == ("matched", Decimal("-15.16"), Decimal("-15.16"))


def test_a_tax_inclusive_amount_discount_the_bill_run_computes() -> None:
    bill = billed_by_the_bill_run(INCLUSIVE_WORLD)
    (discount,) = [found for found in bill.lines if found.charge_type is ChargeType.DISCOUNT]
    assert (discount.amount.amount, discount.tax_amount.amount) == (
        Decimal("-15.16"),
        Decimal("-1.21"),
    )
    assert discount.breakdown[0].kind == TAX_INCLUSIVE_DISCOUNT_KIND
    result = checked(
        INCLUSIVE_WORLD, bill, inclusive_quote(QuotedDiscount(amount=Decimal("10.80")))
    )
    assert differing(result.differences) == []
    assert discount_row(result) == ("matched", Decimal("-16.37"), Decimal("-16.37"))


def test_a_tax_inclusive_discount_short_by_its_tax_is_a_difference() -> None:
    """The bill takes 16.37 off before tax (17.68 with its 1.31 tax): the quote's 16.37 with tax
    read as an amount before tax. The customer gets 1.31 more off than quoted."""
    result = checked(
        INCLUSIVE_WORLD,
        inclusive_invoice(inclusive_discount("-16.37", "-1.31")),
        inclusive_quote(QuotedDiscount(amount=Decimal("10.80"))),
    )
    assert differing(result.differences) == [
        ("first invoice discount", "1", "L4", "discount", "-16.37", "-17.68"),
    ]


def test_a_tax_inclusive_discount_at_another_percentage_is_a_difference() -> None:
    """AG-1 takes 2 % off: 2 % of 1,637.42 = 32.7484 → 32.75 with tax; the quote says 10.80 a
    month (1 %)."""
    inputs = world(monthly="1080.00", tax_inclusive=True, discount_percent="2")
    result = checked(
        inputs,
        billed_by_the_bill_run(inputs),
        inclusive_quote(QuotedDiscount(amount=Decimal("10.80"))),
    )
    assert differing(result.differences) == [
        ("contract discount", "1", None, "discount", "-10.80", "-21.60"),
        ("first invoice discount", "1", "L4", "discount", "-16.37", "-32.75"),
    ]


def test_a_tax_inclusive_percentage_is_of_the_prices_with_their_tax() -> None:
    """1 % of the lines as priced (557.42 + 1,080.00), as billing takes it: 16.37 with tax."""
    inputs = INCLUSIVE_WORLD
    for price in (
        inclusive_quote(QuotedDiscount(percent=Decimal(1))),
        recurring_price(discount=QuotedDiscount(percent=Decimal(1))),
    ):
        result = checked(inputs, billed_by_the_bill_run(inputs), price)
        assert differing(result.differences) == []
        assert discount_row(result) == ("matched", Decimal("-16.37"), Decimal("-16.37"))


def test_an_amount_discount_in_the_other_tax_treatment_is_the_same_money() -> None:
    """10.80 a month with tax in it against the port at 1,000.00 before tax: billing takes 1 % of
    516.13 + 1,000.00 = 15.16 before tax (and 1.21 less tax), which is 10.80 × 1,000.00/1,080.00
    = 10.00 a month before tax. And 10.00 before tax against the port at 1,080.00 with tax in it:
    16.37 with tax."""
    exclusive = world(discount_percent="1")
    result = checked(
        exclusive,
        billed_by_the_bill_run(exclusive),
        inclusive_quote(QuotedDiscount(amount=Decimal("10.80"))),
    )
    assert differing(result.differences) == []
    assert discount_row(result) == ("matched", Decimal("-15.16"), Decimal("-15.16"))
    result = checked(
        INCLUSIVE_WORLD,
        billed_by_the_bill_run(INCLUSIVE_WORLD),
        recurring_price(discount=QuotedDiscount(amount=Decimal("10.00"))),
    )
    assert differing(result.differences) == []
    assert discount_row(result) == ("matched", Decimal("-16.37"), Decimal("-16.37"))


def test_an_amount_discount_over_a_coverage_that_comes_to_nothing() -> None:
    """Under Kill Bill's conventions a day counts by its calendar date: a port activated at
    10:00 and disconnected at 20:00 on 2026-03-31 is billed 0.00 for [10:00, 20:00), and so has
    no discount. 100.00 a month prorated over nothing is nothing, not a whole month. (No taxes:
    the quote gives no tax rate.)"""
    inputs = world(activated=datetime(2026, 3, 31, 10, tzinfo=UTC))
    port = inputs.products["P1"]
    disconnect = LifecycleEvent(datetime(2026, 3, 31, 20, tzinfo=UTC), LifecycleAction.DISCONNECT)
    inputs = replace(
        inputs,
        accounts={"ACME": replace(inputs.accounts["ACME"], profile="killbill")},
        products={"P1": replace(port, events=(*port.events, disconnect))},
        agreements={"AG-1": replace(inputs.agreements["AG-1"], start=at(3, 31))},
    )
    bill = billed_by_the_bill_run(inputs, tax=ZeroTax())
    assert [(found.charge_type, found.amount.amount) for found in bill.lines] == [
        (ChargeType.RECURRING, Decimal("0.00")),
        (ChargeType.ONE_TIME, Decimal("500.00")),
    ]
    price = recurring_price(
        discount=QuotedDiscount(amount=Decimal("100.00")),
        tax_rate_percent=None,
        tax_jurisdiction_id=None,
    )
    installation = installation_price(tax_rate_percent=None)
    item = port_item(prices=(price, installation), term=QuotedTerm(36, date(2026, 3, 31)))
    result = check_quotes(
        [order(item, expected_total=None)], inputs=inputs, bills=[bill], crosswalk=crosswalk()
    )
    assert differing(result.differences) == []
    # Neither side discounts: no discount row at all.
    assert [row for row in rows(result.differences) if row[0] == "first invoice discount"] == []
