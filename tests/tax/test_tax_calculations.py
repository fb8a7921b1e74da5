"""The calculation types, tax on tax, treatments, caps and rounding, each with its tax lines
written out. Lines are April 2026 charges of circuits in Philadelphia (S-PHL) unless a test says
otherwise; SD-WAN has no interstate allocation in these tables, so it is wholly intrastate."""

from datetime import date
from decimal import Decimal

import pytest

from tollway.billing import ChargeType
from tollway.tax import TaxEngine, TaxError

from .tax_world import TaxWorld, day, described_taxes, items, rule, tables


@pytest.fixture
def world() -> TaxWorld:
    found = TaxWorld()
    found.account("ACME", billing_site="S-NYC")
    found.offering("sdwan", product_type="sdwan")
    found.offering("sip", product_type="sip", usage_unit="min")
    found.product("NYC-1", account="ACME", offering="sdwan", site_a="S-NYC")
    found.product("PHL-1", account="ACME", offering="sdwan")
    found.product("PHL-SIP", account="ACME", offering="sip")
    return found


NEW_YORK = (
    rule("ny-sales", "US-NY", "state_sales", rate_percent="4"),
    rule("ny-excise", "US-NY", "gross_receipts", rate_percent="2.5", base_taxes=["state_sales"]),
    rule("nyc-sales", "US-NY-NEW-YORK", "local_sales", rate_percent="4.5"),
)
"""A state sales tax, a gross-receipts tax levied on top of it, a city sales tax."""


def test_a_gross_receipts_tax_is_levied_on_the_charge_plus_the_sales_tax(world: TaxWorld) -> None:
    engine = TaxEngine(tables(*NEW_YORK))
    lines, tax_items = world.tax(
        engine, [world.line("NYC-1", "100.00"), world.line("NYC-1", "33.33")]
    )

    # 100.00: sales 4 % = 4.00; city 4.5 % = 4.50; excise 2.5 % of (100.00 + 4.00) = 2.60.
    assert described_taxes(lines[0]) == [
        ("ny-sales", "billed", "100.00", "0.04", "4.00"),
        ("nyc-sales", "billed", "100.00", "0.045", "4.50"),
        ("ny-excise", "billed", "104.00", "0.025", "2.60"),
    ]
    # 33.33: sales 1.3332 -> 1.33; city 1.49985 -> 1.50; excise 2.5 % of 34.66 = 0.8665 -> 0.87.
    assert described_taxes(lines[1]) == [
        ("ny-sales", "billed", "33.33", "0.04", "1.33"),
        ("nyc-sales", "billed", "33.33", "0.045", "1.50"),
        ("ny-excise", "billed", "34.66", "0.025", "0.87"),
    ]
    assert [str(line.tax_amount.amount) for line in lines] == ["11.10", "3.70"]
    assert items(tax_items) == [
        ("gross_receipts", "0.025", "3.47"),
        ("local_sales", "0.045", "6.00"),
        ("state_sales", "0.04", "5.33"),
    ]


def test_the_order_of_the_rows_in_the_file_does_not_change_the_evaluation_order(
    world: TaxWorld,
) -> None:
    reversed_engine = TaxEngine(tables(*reversed(NEW_YORK)))
    lines, _ = world.tax(reversed_engine, [world.line("NYC-1", "100.00")])

    assert [tax.rule_id for tax in lines[0].taxes] == ["ny-sales", "nyc-sales", "ny-excise"]
    assert str(lines[0].taxes[2].taxable_amount.amount) == "104.00"


def test_a_fixed_fee_per_invoice_rides_on_the_first_positive_line_only(world: TaxWorld) -> None:
    fee = rule("nyc-fee", "US-NY-NEW-YORK", "municipal_fee", "fixed_per_invoice",
               amount="0.50", currency="USD")  # fmt: skip
    credit = world.line(None, "-10.00", account="ACME", charge_type=ChargeType.CREDIT)
    lines, tax_items = world.tax(
        TaxEngine(tables(fee)),
        [credit, world.line("NYC-1", "100.00"), world.line("NYC-1", "20.00")],
    )

    # The credit (at the billing site, New York City) is not positive: the fee goes on line 2.
    assert [described_taxes(line) for line in lines] == [
        [],
        [("nyc-fee", "billed", "100.00", "0.50", "0.50")],
        [],
    ]
    assert (lines[1].taxes[0].calculation, lines[1].taxes[0].units) == (
        "fixed_per_invoice",
        Decimal(1),
    )
    assert items(tax_items) == [("municipal_fee", "0.50", "0.50")]


def test_a_per_minute_fee_counts_minutes_or_seconds_of_usage_lines(world: TaxWorld) -> None:
    per_minute = rule("pa-minutes", "US-PA", "state_usf", "per_minute", amount="0.02",
                      currency="USD", charge_types=["usage"])  # fmt: skip
    in_minutes = world.line("PHL-SIP", "1.20", charge_type=ChargeType.USAGE, quantity="120",
                            unit="min")  # fmt: skip
    in_seconds = world.line("PHL-SIP", "0.02", charge_type=ChargeType.USAGE, quantity="90",
                            unit="s")  # fmt: skip
    in_gigabytes = world.line("PHL-SIP", "5.00", charge_type=ChargeType.USAGE, quantity="50",
                              unit="GB")  # fmt: skip
    lines, _ = world.tax(TaxEngine(tables(per_minute)), [in_minutes, in_seconds, in_gigabytes])

    # 120 minutes x 0.02 = 2.40; 90 s = 1.5 minutes x 0.02 = 0.03; gigabytes are not minutes.
    assert [described_taxes(line) for line in lines] == [
        [("pa-minutes", "billed", "1.20", "0.02", "2.40")],
        [("pa-minutes", "billed", "0.02", "0.02", "0.03")],
        [],
    ]
    assert [tax.units for line in lines for tax in line.taxes] == [Decimal(120), Decimal("1.5")]


def test_a_per_minute_fee_on_the_intrastate_share_of_voip(world: TaxWorld) -> None:
    per_minute = rule("pa-minutes", "US-PA", "state_usf", "per_minute", amount="0.02",
                      currency="USD")  # fmt: skip
    voip = [{"service_type": "sip", "interstate_percent": "64.9"}]
    usage = world.line("PHL-SIP", "1.20", charge_type=ChargeType.USAGE, quantity="120", unit="min")
    lines, _ = world.tax(TaxEngine(tables(per_minute, allocations=voip)), [usage])

    # 35.1 % of 120 minutes = 42.12 minutes x 0.02 = 0.8424 -> 0.84.
    assert described_taxes(lines[0]) == [("pa-minutes", "billed", "0.42", "0.02", "0.84")]
    assert lines[0].taxes[0].units == Decimal("42.12")


BRACKETS = rule(
    "pa-brackets", "US-PA", "license_fee", "bracket", currency="USD",
    brackets=[{"up_to": "50", "amount": "1.00"}, {"up_to": "200", "amount": "2.50"},
              {"up_to": None, "amount": "5.00"}],
)  # fmt: skip


def test_a_bracket_tax_is_the_amount_of_the_bracket_the_charge_falls_in(world: TaxWorld) -> None:
    amounts = ["50.00", "50.01", "1000.00", "-60.00"]
    lines, _ = world.tax(
        TaxEngine(tables(BRACKETS)), [world.line("PHL-1", amount) for amount in amounts]
    )

    # Up to 50 inclusive: 1.00; up to 200: 2.50; above: 5.00; a credit of 60 mirrors 2.50.
    assert [described_taxes(line) for line in lines] == [
        [("pa-brackets", "billed", "50.00", "1.00", "1.00")],
        [("pa-brackets", "billed", "50.01", "2.50", "2.50")],
        [("pa-brackets", "billed", "1000.00", "5.00", "5.00")],
        [("pa-brackets", "billed", "-60.00", "2.50", "-2.50")],
    ]


def test_a_tiered_tax_taxes_each_part_at_the_rate_of_its_tier(world: TaxWorld) -> None:
    tiered = rule("pa-tiers", "US-PA", "state_sales", "tiered",
                  tiers=[{"up_to": "100", "rate_percent": "5"},
                         {"up_to": None, "rate_percent": "2"}])  # fmt: skip
    lines, _ = world.tax(
        TaxEngine(tables(tiered)), [world.line("PHL-1", "250.00"), world.line("PHL-1", "100.00")]
    )

    # 100 x 5 % + 150 x 2 % = 8.00 (rate shown: the top tier's); 100 x 5 % = 5.00.
    assert [described_taxes(line) for line in lines] == [
        [("pa-tiers", "billed", "250.00", "0.02", "8.00")],
        [("pa-tiers", "billed", "100.00", "0.05", "5.00")],
    ]


def test_caps_per_line_and_per_invoice(world: TaxWorld) -> None:
    per_line = rule("pa-line-cap", "US-PA", "state_sales", rate_percent="10",
                    cap_per_line="5.00", currency="USD")  # fmt: skip
    per_invoice = rule("phl-invoice-cap", "US-PA-PHILADELPHIA", "local_telecom",
                       rate_percent="10", cap_per_invoice="15.00", currency="USD")  # fmt: skip
    amounts = ["30.00", "100.00", "100.00", "-50.00", "100.00"]
    lines, _ = world.tax(
        TaxEngine(tables(per_line, per_invoice)),
        [world.line("PHL-1", amount) for amount in amounts],
    )

    # Line cap: 10 % but at most 5.00 a line (a credit mirrors). Invoice cap: 15.00 on the bill's
    # net: uncapped 3.00 + 10.00 + 10.00 - 5.00 + 10.00 = 28.00. The credit's -5.00 stands, so the
    # positive taxes may come to 20.00, kept in bill order: 3.00, 10.00, the 7.00 left, nothing.
    assert [[str(tax.tax_amount.amount) for tax in line.taxes] for line in lines] == [
        ["3.00", "3.00"],
        ["5.00", "10.00"],
        ["5.00", "7.00"],
        ["-5.00", "-5.00"],
        ["5.00", "0.00"],
    ]
    assert [[tax.calculation for tax in line.taxes] for line in lines] == [
        ["rate", "rate"],
        ["rate_capped", "rate"],
        ["rate_capped", "rate_capped"],
        ["rate", "rate"],
        ["rate_capped", "rate_capped"],
    ]
    assert sum(line.taxes[1].tax_amount.amount for line in lines) == Decimal("15.00")


CAPPED_AT_10 = rule("pa-capped", "US-PA", "state_sales", rate_percent="10",
                    cap_per_invoice="10.00", currency="USD")  # fmt: skip


@pytest.mark.parametrize("credit_first", [False, True])
def test_an_invoice_cap_bounds_the_net_tax_of_the_bill_in_any_line_order(
    credit_first: bool,
) -> None:
    world = TaxWorld()
    world.account("ACME")
    world.offering("port", product_type="mpls")
    world.product("P1", account="ACME", offering="port", site_a="S-PA")
    world.product("P2", account="ACME", offering="port", site_a="S-PA")
    one, two = world.line("P1", "80.00"), world.line("P2", "80.00")
    credit = world.line("P2", "-80.00", charge_type=ChargeType.CREDIT)
    ordered = [credit, one, two] if credit_first else [one, two, credit]

    lines, tax_items = world.tax(TaxEngine(tables(CAPPED_AT_10)), ordered)

    # The bill's net base is 80.00: 10 % = 8.00, under the 10.00 cap, whatever the order:
    # 8.00 + 8.00 - 8.00, none of it capped.
    assert sorted(described_taxes(line)[0] for line in lines) == [
        ("pa-capped", "billed", "-80.00", "0.1", "-8.00"),
        ("pa-capped", "billed", "80.00", "0.1", "8.00"),
        ("pa-capped", "billed", "80.00", "0.1", "8.00"),
    ]
    assert {tax.calculation for line in lines for tax in line.taxes} == {"rate"}
    assert items(tax_items) == [("state_sales", "0.1", "8.00")]


def test_an_invoice_cap_on_a_tax_inclusive_line_keeps_its_price() -> None:
    world = TaxWorld()
    world.account("ACME")
    world.offering("port", product_type="mpls")
    world.offering("port-incl", product_type="mpls", tax_inclusive=True)
    world.product("EXCL", account="ACME", offering="port", site_a="S-PA")
    world.product("INCL", account="ACME", offering="port-incl", site_a="S-PA")

    lines, _ = world.tax(
        TaxEngine(tables(CAPPED_AT_10)), [world.line("EXCL", "80.00"), world.line("INCL", "55.00")]
    )

    # Uncapped: 8.00 on 80.00, and 55.00 including tax is 50.00 + 5.00: 13.00 > 10.00. The first
    # line keeps its 8.00; the inclusive line may carry the 2.00 left: 53.00 + 2.00 = 55.00.
    assert [described_taxes(line) for line in lines] == [
        [("pa-capped", "billed", "80.00", "0.1", "8.00")],
        [("pa-capped", "billed", "53.00", "0.1", "2.00")],
    ]
    assert [line.taxes[0].calculation for line in lines] == ["rate", "rate_capped"]
    assert [str(line.amount + line.tax_amount) for line in lines] == ["88.00 USD", "55.00 USD"]


def test_the_interstate_and_intrastate_taxable_amounts_add_up_to_the_charge() -> None:
    world = TaxWorld()
    world.account("ACME")
    world.offering("trunk", product_type="sip")
    world.product("P", account="ACME", offering="trunk", site_a="S-PA")
    engine = TaxEngine(
        tables(
            rule("us-usf", "US", "federal_usf", rate_percent="37.1"),
            rule("pa-sales", "US-PA", "state_sales", rate_percent="6"),
            allocations=[{"service_type": "sip", "interstate_percent": "64.9"}],
        )
    )

    (line,), _ = world.tax(engine, [world.line("P", "5.00")])

    # Interstate 64.9 % of 5.00 = 3.245 -> 3.25; intrastate the rest, 1.75 (not 1.755 -> 1.76).
    # USF 37.1 % of 3.25 = 1.20575 -> 1.21; sales 6 % of 1.75 = 0.105 -> 0.11.
    assert described_taxes(line) == [
        ("us-usf", "billed", "3.25", "0.371", "1.21"),
        ("pa-sales", "billed", "1.75", "0.06", "0.11"),
    ]


def test_a_credit_splits_into_the_mirror_portions_of_the_charge() -> None:
    world = TaxWorld()
    world.account("ACME")
    world.offering("trunk", product_type="sip")
    world.product("P", account="ACME", offering="trunk", site_a="S-PA")
    engine = TaxEngine(
        tables(
            rule("us-usf", "US", "federal_usf", rate_percent="37.1"),
            rule("pa-sales", "US-PA", "state_sales", rate_percent="6"),
            allocations=[{"service_type": "sip", "interstate_percent": "64.9"}],
        )
    )

    (line,), _ = world.tax(engine, [world.line("P", "-5.00", charge_type=ChargeType.CREDIT)])

    # -3.245 -> -3.25 interstate, -1.75 intrastate: the mirror of the 5.00 charge.
    assert described_taxes(line) == [
        ("us-usf", "billed", "-3.25", "0.371", "-1.21"),
        ("pa-sales", "billed", "-1.75", "0.06", "-0.11"),
    ]


def test_compliance_only_and_carrier_absorbed_taxes_are_kept_but_not_billed(
    world: TaxWorld,
) -> None:
    engine = TaxEngine(
        tables(
            rule("ny-sales", "US-NY", "state_sales", rate_percent="4"),
            rule("ny-grt", "US-NY", "gross_receipts", rate_percent="2",
                 treatment="compliance_only"),
            rule("ny-mctd", "US-NY", "mctd_surcharge", rate_percent="0.595",
                 treatment="carrier_absorbed"),
        )
    )  # fmt: skip
    lines, tax_items = world.tax(engine, [world.line("NYC-1", "100.00")])

    assert described_taxes(lines[0]) == [
        ("ny-grt", "compliance_only", "100.00", "0.02", "2.00"),
        ("ny-mctd", "carrier_absorbed", "100.00", "0.00595", "0.60"),
        ("ny-sales", "billed", "100.00", "0.04", "4.00"),
    ]
    assert str(lines[0].tax_amount.amount) == "4.00"
    assert items(tax_items) == [("state_sales", "0.04", "4.00")]


def test_each_rule_rounds_with_its_own_mode(world: TaxWorld) -> None:
    engine = TaxEngine(
        tables(
            rule("pa-half-up", "US-PA", "state_sales", rate_percent="5"),
            rule("phl-half-even", "US-PA-PHILADELPHIA", "local_telecom", rate_percent="5",
                 rounding="half_even"),
        )
    )  # fmt: skip
    lines, _ = world.tax(engine, [world.line("PHL-1", "0.10"), world.line("PHL-1", "0.50")])

    # 5 % of 0.10 = 0.005 and of 0.50 = 0.025: half up 0.01 and 0.03, half even 0.00 and 0.02.
    assert [[str(tax.tax_amount.amount) for tax in line.taxes] for line in lines] == [
        ["0.01", "0.00"],
        ["0.03", "0.02"],
    ]


def test_a_line_without_a_product_is_taxed_at_its_billing_site(world: TaxWorld) -> None:
    engine = TaxEngine(
        tables(
            rule("ny-sales", "US-NY", "state_sales", rate_percent="4"),
            rule("ny-voice", "US-NY", "state_usf", rate_percent="1", service_types=["sip"]),
        )
    )
    credit = world.line(None, "-25.00", account="ACME", charge_type=ChargeType.CREDIT)
    lines, _ = world.tax(engine, [credit])

    # At New York City (ACME's billing site); a rule for named services does not select it.
    assert described_taxes(lines[0]) == [("ny-sales", "billed", "-25.00", "0.04", "-1.00")]


def test_a_line_without_a_product_or_billing_site_is_refused(world: TaxWorld) -> None:
    world.account("NOSITE")
    credit = world.line(None, "-25.00", account="NOSITE", charge_type=ChargeType.CREDIT)
    engine = TaxEngine(tables(rule("ny-sales", "US-NY", "state_sales", rate_percent="4")))

    with pytest.raises(TaxError, match="has no billing site to tax it at"):
        world.tax(engine, [credit])


def test_customer_class_and_sale_type_select_rules(world: TaxWorld) -> None:
    engine = TaxEngine(
        tables(
            rule("pa-retail", "US-PA", "state_sales", rate_percent="6", sale_types=["retail"]),
            rule("pa-government", "US-PA", "gov_fee", rate_percent="1",
                 customer_classes=["government"]),
        )
    )  # fmt: skip
    world.account("CARRIER", customer_class="wholesale")
    world.account("CITY", customer_class="government")
    world.product("C-1", account="CARRIER", offering="sdwan")
    world.product("G-1", account="CITY", offering="sdwan")

    carrier, _ = world.tax(engine, [world.line("C-1", "100.00")])
    city, _ = world.tax(engine, [world.line("G-1", "100.00")])

    # A wholesale customer buys for resale: no retail sales tax.
    assert described_taxes(carrier[0]) == []
    assert described_taxes(city[0]) == [
        ("pa-government", "billed", "100.00", "0.01", "1.00"),
        ("pa-retail", "billed", "100.00", "0.06", "6.00"),
    ]


def test_a_zero_line_carries_no_tax(world: TaxWorld) -> None:
    engine = TaxEngine(tables(rule("pa-sales", "US-PA", "state_sales", rate_percent="6")))
    lines, tax_items = world.tax(engine, [world.line("PHL-1", "0.00")])

    assert (lines[0].taxes, tax_items) == ((), ())


def test_yen_taxes_round_to_whole_yen() -> None:
    world = TaxWorld()
    world.account("TOKYO", currency_code="JPY")
    world.offering("port", product_type="mpls", mrc="15005", currency_code="JPY")
    world.product("T-1", account="TOKYO", offering="port", site_a="S-TOKYO")
    engine = TaxEngine(
        tables(
            rule("jp-consumption", "JP", "consumption", rate_percent="10", portion="whole"),
            rule("jp-13-local", "JP-13", "local_tax", rate_percent="1.5"),
            rule("jp-13-fee", "JP-13", "municipal_fee", "fixed_per_invoice", amount="50",
                 currency="JPY"),
        )
    )  # fmt: skip
    lines, tax_items = world.tax(engine, [world.line("T-1", "15005")])

    # 10 % of 15,005 = 1,500.5 -> 1,501; 1.5 % = 225.075 -> 225; the fee is 50 yen.
    assert described_taxes(lines[0]) == [
        ("jp-consumption", "billed", "15005", "0.1", "1501"),
        ("jp-13-local", "billed", "15005", "0.015", "225"),
        ("jp-13-fee", "billed", "15005", "50", "50"),
    ]
    assert str(lines[0].tax_amount) == "1776 JPY"
    assert items(tax_items) == [
        ("consumption", "0.1", "1501"),
        ("local_tax", "0.015", "225"),
        ("municipal_fee", "50", "50"),
    ]


def test_a_fee_in_another_currency_than_the_bill_is_refused() -> None:
    world = TaxWorld()
    world.account("TOKYO", currency_code="JPY")
    world.offering("port", product_type="mpls", mrc="15000", currency_code="JPY")
    world.product("T-1", account="TOKYO", offering="port", site_a="S-TOKYO")
    engine = TaxEngine(
        tables(rule("jp-fee", "JP", "fee", "fixed_per_invoice", amount="0.50", currency="USD",
                    portion="whole"))
    )  # fmt: skip

    with pytest.raises(TaxError) as error:
        world.tax(engine, [world.line("T-1", "15000")])
    assert error.value.message == (
        "rule 'jp-fee' (rules[0] of test.yaml) charges amounts in USD, but billing account "
        "'TOKYO' bills in JPY"
    )


def test_the_engine_drives_compute_bills() -> None:
    world = TaxWorld()
    world.account("NEW", billing_site="S-NYC")
    world.offering("sdwan", product_type="sdwan")
    world.product("NEW-1", account="NEW", offering="sdwan", site_a="S-NYC", activated=day(4, 1))

    bill = world.only_bill(TaxEngine(tables(*NEW_YORK)), date(2026, 4, 1))

    # April in advance, 100.00: 4.00 + 4.50 + 2.60 as in the first test.
    assert [str(line.amount.amount) for line in bill.lines] == ["100.00"]
    assert (str(bill.tax_amount), str(bill.amount_due)) == ("11.10 USD", "111.10 USD")
    assert items(bill.tax_items) == [
        ("gross_receipts", "0.025", "2.60"),
        ("local_sales", "0.045", "4.50"),
        ("state_sales", "0.04", "4.00"),
    ]
