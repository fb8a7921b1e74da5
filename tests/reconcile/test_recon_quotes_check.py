"""Quote-to-bill, case by case: Acme's MPLS port (test_recon_quotes_support) as quoted, against
billing's agreement, catalog and first invoice, with one fact changed per test. Each expected row
is (check, item, bill line, category, quoted, billed); amounts are worked out in the comments."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tollway.billing import BillState, ChargeType, compute_bills
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.reconcile._quotes_check import check_quotes

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
    tax_inclusive_price,
    world,
)


def test_a_quote_that_agrees_exactly_has_no_differences() -> None:
    result = check_quotes(
        [order()], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    assert rows(result.differences) == [
        ("first invoice total", None, None, "matched", "2025.81", "2025.81"),
        ("provisioning", "1", None, "matched", None, None),
        # 36 months × 1,000.00 on both sides.
        ("contract term", "1", None, "matched", "36000.00", "36000.00"),
        # 10 % of 1,000.00 a month, quoted and contracted.
        ("contract discount", "1", None, "matched", "-100.00", "-100.00"),
        ("price in force", "1", None, "matched", "1000.00", "1000.00"),
        ("price in force", "1", None, "matched", "500.00", "500.00"),
        # 1,000.00 × 16/31 = 516.129… → 516.13 for [03-16, 04-01).
        ("first invoice line", "1", "L1", "matched", "516.13", "516.13"),
        ("first invoice line", "1", "L2", "matched", "1000.00", "1000.00"),
        ("first invoice line", "1", "L3", "matched", "500.00", "500.00"),
        # 8 % of the billed amounts: 41.2904 → 41.29, 80.00, 40.00.
        ("first invoice tax", "1", "L1", "matched", "41.29", "41.29"),
        ("first invoice tax", "1", "L2", "matched", "80.00", "80.00"),
        ("first invoice tax", "1", "L3", "matched", "40.00", "40.00"),
        # 10 % of (516.13 + 1,000.00) = 151.613 → 151.61.
        ("first invoice discount", "1", "L4", "matched", "-151.61", "-151.61"),
    ]
    assert result.differing == ()
    assert result.differences.column("cycle").to_pylist() == ["quote-to-bill"] * 13
    assert set(result.differences.column("legacy_invoice_id").to_pylist()) == {"ORD-1"}
    assert set(result.differences.column("account_id").to_pylist()) == {"ACME"}


def test_a_real_bill_run_agrees_with_the_quote() -> None:
    """The bill run's own first invoice (no tax calculator: no taxes) for the quote without a tax
    rate: 516.13 + 1,000.00 + 500.00 − 151.61 = 1,864.52."""
    inputs = world()
    (draft,) = compute_bills(
        inputs,
        period_start=at(4, 1),
        period_end=at(4, 2),
        bill_date=date(2026, 4, 1),
        rated_usage=(),
        run_id="run-2026-04",
    )
    issued = replace(draft, state=BillState.ISSUED, bill_no="INV-000001")
    untaxed = port_item(
        prices=(
            recurring_price(tax_rate_percent=None, tax_jurisdiction_id=None),
            installation_price(tax_rate_percent=None),
        )
    )
    result = check_quotes(
        [order(untaxed, expected_total="1864.52")],
        inputs=inputs,
        bills=[issued],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == []
    assert len(result.findings) == 13


def test_a_price_the_quote_gives_lower_than_the_catalog() -> None:
    """Quoted 900.00 a month; billing charges the catalog's 1,000.00."""
    quote = order(
        port_item(
            prices=(recurring_price(duty_free_amount=Decimal("900.00")), installation_price())
        ),
        # As quoted: 900 × 16/31 = 464.52, 900.00, 500.00, less 10 % of 1,364.52 = 136.45,
        # plus 8 % tax 37.16 + 72.00 + 40.00: 1,728.07 + 149.16 = 1,877.23.
        expected_total="1877.23",
    )
    result = check_quotes(
        [quote], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    assert differing(result.differences) == [
        # 2,025.81 − 1,877.23 = 148.58 over the 1.88 (0.1 %) tolerance; the largest cause: L2.
        ("first invoice total", None, None, "rate", "1877.23", "2025.81"),
        ("price in force", "1", None, "rate", "900.00", "1000.00"),
        ("first invoice line", "1", "L1", "rate", "464.52", "516.13"),
        ("first invoice line", "1", "L2", "rate", "900.00", "1000.00"),
    ]
    total = result.findings[0]
    assert "the largest difference on it: first invoice line, line L2" in total.evidence


def test_an_agreement_price_override_the_quote_does_not_have() -> None:
    """AG-1 overrides the port at 900.00 a month and billing follows it; the quote says 1,000.00."""
    billed_at_900 = (
        line("L1", ChargeType.RECURRING, at(3, 16), at(4, 1), "464.52",
             price_id="mpls-100-mrc", taxes=(sales_tax("464.52", "37.16"),)),
        line("L2", ChargeType.RECURRING, at(4, 1), at(5, 1), "900.00",
             price_id="mpls-100-mrc", taxes=(sales_tax("900.00", "72.00"),)),
        line("L3", ChargeType.ONE_TIME, at(3, 16), at(3, 16), "500.00",
             price_id="mpls-100-nrc", taxes=(sales_tax("500.00", "40.00"),)),
        line("L4", ChargeType.DISCOUNT, at(3, 16), at(5, 1), "-136.45"),
    )  # fmt: skip
    result = check_quotes(
        [order()],
        inputs=world(monthly_override="900.00"),
        bills=[invoice(billed_at_900)],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == [
        ("first invoice total", None, None, "rate", "2025.81", "1877.23"),
        ("price in force", "1", None, "rate", "1000.00", "900.00"),
        ("first invoice line", "1", "L1", "rate", "516.13", "464.52"),
        ("first invoice line", "1", "L2", "rate", "1000.00", "900.00"),
    ]
    price = next(row for row in result.differing if row.kind.value == "price in force")
    assert "agreement AG-1 overrides catalog price mpls-100-mrc" in price.evidence


def test_a_discount_the_contract_lacks() -> None:
    """Quoted 10 % off; AG-1 discounts nothing, so the first invoice has no discount line."""
    result = check_quotes(
        [order()],
        inputs=world(discount_percent="0"),
        bills=[invoice(first_lines()[:3])],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == [
        # 2,016.13 + 161.29 tax = 2,177.42 billed.
        ("first invoice total", None, None, "discount", "2025.81", "2177.42"),
        ("contract discount", "1", None, "discount", "-100.00", "0.00"),
        # 10 % of the billed 1,516.13 expected; nothing discounted.
        ("first invoice discount", "1", None, "discount", "-151.61", "0.00"),
    ]
    contract = next(row for row in result.findings if row.kind.value == "contract discount")
    assert contract.evidence == (
        "quoted 10 % off: 100.00 USD a month on mpls-100-mrc; agreement AG-1 discounts 0 % "
        "(0.00 USD a month) for its whole term of 36 months"
    )


def test_a_contract_term_shorter_than_quoted() -> None:
    result = check_quotes(
        [order()],
        inputs=world(term_months=24),
        bills=[invoice(first_lines())],
        crosswalk=crosswalk(),
    )
    # 36 × 1,000.00 quoted against 24 × 1,000.00 contracted: 12,000.00 of contract value.
    assert differing(result.differences) == [
        ("contract term", "1", None, "term", "36000.00", "24000.00"),
    ]
    (term,) = result.differing
    assert term.evidence == (
        "quoted 36 months from 2026-03-16; agreement AG-1 runs 24 months from 2026-03-16 "
        "(at 1000.00 USD a month: 36000.00 USD quoted, 24000.00 USD contracted)"
    )
    assert term.variance == Decimal("-12000.00")


def test_a_quote_with_no_agreement_behind_it() -> None:
    """No agreement: no contract term and no contract discount (billing charges no discount)."""
    result = check_quotes(
        [order(expected_total=None)],
        inputs=world(agreement=False),
        bills=[invoice(first_lines()[:3])],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == [
        ("contract term", "1", None, "term", "36000.00", "0.00"),
        ("contract discount", "1", None, "discount", "-100.00", "0.00"),
        ("first invoice discount", "1", None, "discount", "-151.61", "0.00"),
    ]


def test_a_tax_inclusive_quote_billed_tax_exclusive() -> None:
    """Quoted 1,000.00 a month with the 8 % tax in it; the catalog price is before tax, so the
    customer pays 8 % on top."""
    quote = order(
        port_item(prices=(tax_inclusive_price(), installation_price())), expected_total=None
    )
    result = check_quotes(
        [quote], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    assert differing(result.differences) == [
        # The same 1,000.00, but one side includes tax and the other does not.
        ("price in force", "1", None, "tax_base", "1000.00", "1000.00"),
        # With tax the customer pays 516.13 as quoted, 516.13 + 41.29 = 557.42 as billed.
        ("first invoice tax", "1", "L1", "tax_base", "516.13", "557.42"),
        ("first invoice tax", "1", "L2", "tax_base", "1000.00", "1080.00"),
    ]
    tax = next(row for row in result.differing if row.line_id == "L2")
    assert tax.evidence == (
        "the quote is tax-inclusive: the customer pays 1000.00 USD with tax; line L2 bills "
        "80.00 USD tax (tax-exclusive, 8 %) on 1000.00 USD in US-PA: the customer pays "
        "1080.00 USD"
    )


def test_a_catalog_price_with_tax_in_it_that_comes_to_the_quoted_money() -> None:
    """The catalog prices the port at 1,080.00 a month with 8 % tax in it; the quote says
    1,000.00 before tax. The bill run splits each charge into the net amount and its tax, so the
    customer pays what was quoted: only the presentation differs."""
    inclusive = tuple(
        replace(line, tax_inclusive=True) if line.id in ("L1", "L2") else line
        for line in first_lines()
    )
    result = check_quotes(
        [order()],
        inputs=world(monthly="1080.00", tax_inclusive=True),
        bills=[invoice(inclusive)],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == []
    # 1,080.00 × 16/31 = 557.42 priced: 516.13 and 41.29 tax, as quoted before tax.
    line = next(row for row in result.findings if row.line_id == "L1")
    assert (line.quoted_amount, line.billed_amount) == (Decimal("516.13"), Decimal("516.13"))
    tax = next(
        row for row in result.findings if row.line_id == "L1" and row.kind.value.endswith("tax")
    )
    assert (tax.quoted_amount, tax.billed_amount) == (Decimal("557.42"), Decimal("557.42"))


def test_an_ordered_product_never_billed() -> None:
    """The port is provisioned and active, but its first invoice carries nothing for it."""
    result = check_quotes([order()], inputs=world(), bills=[invoice(())], crosswalk=crosswalk())
    assert differing(result.differences) == [
        ("first invoice total", None, None, "missing_in_new", "2025.81", "0.00"),
        ("first invoice line", "1", None, "missing_in_new", "500.00", None),
        ("first invoice line", "1", None, "missing_in_new", "1000.00", None),
    ]


def test_an_ordered_product_never_provisioned() -> None:
    """Ordered on circuit CKT-7, which billing does not have; it bills CKT-1, which no order
    names. The first invoice total happens to agree."""
    quote = order(port_item(circuit_id="CKT-7"))
    result = check_quotes(
        [quote], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    assert differing(result.differences) == [
        # A month's 1,000.00 and the 500.00 installation were quoted.
        ("provisioning", "1", None, "missing_in_new", "1500.00", None),
        ("not ordered", None, "L1", "extra_in_new", None, "516.13"),
        ("not ordered", None, "L2", "extra_in_new", None, "1000.00"),
        ("not ordered", None, "L3", "extra_in_new", None, "500.00"),
        ("not ordered", None, "L4", "extra_in_new", None, "-151.61"),
    ]
    missing = result.differing[0]
    assert missing.evidence == (
        "ordered mpls-100 at 100 Mbps on circuit CKT-7, but account ACME has no such product"
    )


def test_a_billed_product_never_ordered() -> None:
    """A second port, P2 on CKT-2, is billed on the account's first invoice; no order has it."""
    second = Product(
        "P2", "CKT-2", "ACME", "mpls-100", Decimal(100), "S1", "US-PA",
        (LifecycleEvent(at(4, 1), LifecycleAction.ACTIVATE),),
    )  # fmt: skip
    extra = line(
        "L5", ChargeType.RECURRING, at(4, 1), at(5, 1), "1000.00",
        price_id="mpls-100-mrc", product_id="P2", circuit_id="CKT-2",
        taxes=(sales_tax("1000.00", "80.00"),),
    )  # fmt: skip
    result = check_quotes(
        [order()],
        inputs=world(extra_products=(second,)),
        bills=[invoice((*first_lines(), extra))],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == [
        # 2,025.81 + 1,000.00 + 80.00 tax.
        ("first invoice total", None, None, "extra_in_new", "2025.81", "3105.81"),
        ("not ordered", None, "L5", "extra_in_new", None, "1000.00"),
    ]
    assert result.differing[1].evidence == (
        "line L5 on invoice INV-000001 bills mpls-100-mrc 1000.00 USD (recurring, "
        "[2026-04-01, 2026-05-01)); no order has product P2"
    )


def test_a_charge_of_an_ordered_product_the_quote_lacks() -> None:
    """The quote has the port's monthly price but not its installation, which is billed."""
    quote = order(port_item(prices=(recurring_price(),)), expected_total=None)
    result = check_quotes(
        [quote], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    assert differing(result.differences) == [
        ("not ordered", "1", "L3", "extra_in_new", None, "500.00"),
    ]
    assert result.differing[0].evidence.endswith(
        "product P1 was ordered on ORD-1, but not this charge"
    )


def test_a_first_invoice_is_the_first_on_or_after_the_service_start() -> None:
    """An invoice of 2026-03-01 (before the port was activated) is not its first invoice."""
    earlier = invoice((), bill_no="INV-000000", bill_date=date(2026, 3, 1))
    result = check_quotes(
        [order(expected_total=None)],
        inputs=world(),
        bills=[earlier, invoice(first_lines())],
        crosswalk=crosswalk(),
    )
    assert differing(result.differences) == []
    numbers = {row.invoice_no for row in result.findings if row.line_id}
    assert numbers == {"INV-000001"}


def test_the_same_inputs_give_the_same_bytes_in_any_order() -> None:
    second = replace(order(expected_total=None), id="ORD-0")
    first = check_quotes(
        [order(), second], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    again = check_quotes(
        [second, order()], inputs=world(), bills=[invoice(first_lines())], crosswalk=crosswalk()
    )
    assert first.differences.equals(again.differences)
    assert first.findings == again.findings
