"""Per-line 911 fees with PRI and Centrex multipliers, tax-inclusive prices, and a rate change in
the middle of a billing cycle (the tax point is the bill date)."""

from datetime import date
from decimal import Decimal

import pytest

from tollway.billing import ChargeType
from tollway.tax import TaxEngine, TaxError

from .tax_world import TaxWorld, day, described_taxes, items, rule, tables

DELAWARE_911 = rule(
    "de-911", "US-DE", "e911", "per_line", amount="0.60", currency="USD",
    charge_types=["recurring"],
    line_units=[
        {"voice_line_type": "pri", "channels_per_group": 23, "units_per_group": "5"},
        {"voice_line_type": "centrex", "channels_per_group": 9, "units_per_group": "1"},
    ],
)  # fmt: skip
"""0.60 a line a month; a PRI (23 channels) counts 5 lines, Centrex 1 per 9 lines."""


@pytest.fixture
def voice() -> TaxWorld:
    world = TaxWorld()
    world.account("ACME")
    world.offering("sip", product_type="sip", usage_unit="min")
    world.offering("data", product_type="dia")
    for product_id, channels, line_type in [
        ("PRI-1", 23, "pri"),
        ("PRI-2", 46, "pri"),
        ("CENTREX", 20, "centrex"),
        ("POTS", 4, "pots"),
    ]:
        world.product(product_id, account="ACME", offering="sip", site_a="S-DE",
                      voice_channels=channels, voice_line_type=line_type)  # fmt: skip
    world.product("DATA", account="ACME", offering="data", site_a="S-DE")
    return world


def test_per_line_911_fees_count_lines_with_their_multipliers(voice: TaxWorld) -> None:
    lines, tax_items = voice.tax(
        TaxEngine(tables(DELAWARE_911)),
        [
            voice.line("PRI-1", "100.00"),
            voice.line("PRI-2", "200.00"),
            voice.line("CENTREX", "150.00"),
            voice.line("POTS", "40.00"),
            voice.line("DATA", "500.00"),
        ],
    )

    # One PRI of 23 channels: 5 units, 3.00. Two PRIs (46): 10 units, 6.00. 20 Centrex lines:
    # 3 started groups of 9, 3 units, 1.80. 4 plain lines (not in the table): 4 units, 2.40.
    # Internet access has no voice channels: no fee.
    assert [described_taxes(line) for line in lines] == [
        [("de-911", "billed", "100.00", "0.60", "3.00")],
        [("de-911", "billed", "200.00", "0.60", "6.00")],
        [("de-911", "billed", "150.00", "0.60", "1.80")],
        [("de-911", "billed", "40.00", "0.60", "2.40")],
        [],
    ]
    assert [line.taxes[0].units for line in lines[:4]] == [
        Decimal(5),
        Decimal(10),
        Decimal(3),
        Decimal(4),
    ]
    assert {line.taxes[0].calculation for line in lines[:4]} == {"per_line"}
    assert items(tax_items) == [("e911", "0.60", "13.20")]


def test_a_per_line_fee_is_charged_once_per_circuit_and_bill_on_a_positive_line(
    voice: TaxWorld,
) -> None:
    lines, _ = voice.tax(
        TaxEngine(tables(DELAWARE_911)),
        [
            voice.line("CENTREX", "-30.00"),
            voice.line("CENTREX", "150.00"),
            voice.line("CENTREX", "75.00"),
            voice.line("CENTREX", "12.00", charge_type=ChargeType.USAGE, quantity="1200",
                       unit="min"),
        ],
    )  # fmt: skip

    # The settlement credit carries no fee; the first positive monthly line carries it; a second
    # monthly line of the same circuit and a usage line (not a recurring charge) do not.
    assert [described_taxes(line) for line in lines] == [
        [],
        [("de-911", "billed", "150.00", "0.60", "1.80")],
        [],
        [],
    ]


SALES = (
    rule("pa-sales", "US-PA", "state_sales", rate_percent="6"),
    rule("phl-local", "US-PA-PHILADELPHIA", "local_telecom", rate_percent="2"),
)


@pytest.fixture
def inclusive() -> TaxWorld:
    world = TaxWorld()
    world.account("ACME")
    world.offering("sdwan-incl", product_type="sdwan", tax_inclusive=True)
    world.offering("sdwan", product_type="sdwan")
    world.product("INCL", account="ACME", offering="sdwan-incl")
    world.product("EXCL", account="ACME", offering="sdwan")
    return world


def test_a_tax_inclusive_price_is_split_into_net_and_taxes(inclusive: TaxWorld) -> None:
    lines, tax_items = inclusive.tax(
        TaxEngine(tables(*SALES)),
        [inclusive.line("INCL", "100.00"), inclusive.line("EXCL", "100.00")],
    )

    # 92.59 net: 6 % = 5.5554 -> 5.56 and 2 % = 1.8518 -> 1.85; 92.59 + 7.41 = 100.00 exactly.
    # (92.60 would need 5.56 + 1.85 = 7.41 more: 100.01.) The tax-exclusive line keeps 100.00.
    assert [(str(line.amount.amount), line.tax_inclusive) for line in lines] == [
        ("92.59", True),
        ("100.00", False),
    ]
    assert described_taxes(lines[0]) == [
        ("pa-sales", "billed", "92.59", "0.06", "5.56"),
        ("phl-local", "billed", "92.59", "0.02", "1.85"),
    ]
    assert str(lines[0].amount + lines[0].tax_amount) == "100.00 USD"
    assert items(tax_items) == [("local_telecom", "0.02", "3.85"), ("state_sales", "0.06", "11.56")]


def test_the_rounding_residue_of_an_inclusive_split_goes_to_the_net(inclusive: TaxWorld) -> None:
    lines, _ = inclusive.tax(
        TaxEngine(tables(*SALES)),
        [inclusive.line("INCL", "90.09"), inclusive.line("INCL", "-90.09")],
    )

    # Taxable 83.41: 5.0046 -> 5.00 and 1.6682 -> 1.67, 90.08 in all; 83.42 would need 90.10.
    # The cent left over goes to the net: 90.09 - 6.67 = 83.42. A credit mirrors it.
    assert [str(line.amount.amount) for line in lines] == ["83.42", "-83.42"]
    assert [described_taxes(line) for line in lines] == [
        [
            ("pa-sales", "billed", "83.41", "0.06", "5.00"),
            ("phl-local", "billed", "83.41", "0.02", "1.67"),
        ],
        [
            ("pa-sales", "billed", "-83.41", "0.06", "-5.00"),
            ("phl-local", "billed", "-83.41", "0.02", "-1.67"),
        ],
    ]


def test_an_inclusive_price_below_its_fixed_taxes_is_refused(inclusive: TaxWorld) -> None:
    inclusive.offering("sip-incl", product_type="sip", tax_inclusive=True, usage_unit="min")
    inclusive.product("SIP", account="ACME", offering="sip-incl")
    usage = inclusive.line("SIP", "0.05", charge_type=ChargeType.USAGE, quantity="100",
                           unit="min", price_id="sip-incl-mrc")  # fmt: skip
    per_minute = rule("pa-minutes", "US-PA", "state_usf", "per_minute", amount="0.01",
                      currency="USD")  # fmt: skip

    # 100 minutes at 0.01 is 1.00 of tax whatever the net: more than the 0.05 price.
    with pytest.raises(TaxError, match=r"tax-inclusive price 0\.05 USD is less than the taxes"):
        inclusive.tax(TaxEngine(tables(per_minute)), [usage])


PA_911 = rule("pa-911", "US-PA", "e911", "per_line", amount="1.65", currency="USD",
              charge_types=["recurring"])  # fmt: skip
"""1.65 a voice line a month: 37.95 for a trunk of 23 channels."""


def test_a_per_line_fee_an_inclusive_price_cannot_carry_is_absorbed_by_the_carrier() -> None:
    world = TaxWorld()
    world.account("ACME")
    world.offering("trunk", product_type="sip", tax_inclusive=True)
    world.product("P", account="ACME", offering="trunk", site_a="S-PA", voice_channels=23)
    stub = world.line("P", "10.00", period=(day(4, 15), day(5, 1)))
    may = world.line("P", "100.00", period=(day(5, 1), day(6, 1)))
    engine = TaxEngine(tables(rule("pa-sales", "US-PA", "state_sales", rate_percent="6"), PA_911))

    lines, tax_items = world.tax(engine, [stub, may])

    # The stub's price, 10.00, cannot carry the 911 fee of 23 x 1.65 = 37.95: the operator owes it
    # and absorbs it; the sales tax is split from the price as usual. Taxable 9.43: 6 % = 0.5658
    # -> 0.57, 10.00 exactly (9.44 would need 10.01). The fee is charged once per circuit and
    # bill, so May carries only the sales tax: taxable 94.34, 5.6604 -> 5.66, 100.00 exactly.
    assert [(str(line.amount.amount), line.tax_inclusive) for line in lines] == [
        ("9.43", True),
        ("94.34", True),
    ]
    assert [described_taxes(line) for line in lines] == [
        [
            ("pa-911", "carrier_absorbed", "9.43", "1.65", "37.95"),
            ("pa-sales", "billed", "9.43", "0.06", "0.57"),
        ],
        [("pa-sales", "billed", "94.34", "0.06", "5.66")],
    ]
    assert [str(line.amount + line.tax_amount) for line in lines] == ["10.00 USD", "100.00 USD"]
    assert items(tax_items) == [("state_sales", "0.06", "6.23")]


def test_an_inclusive_price_that_can_carry_its_per_line_fee_carries_it() -> None:
    world = TaxWorld()
    world.account("ACME")
    world.offering("trunk", product_type="sip", tax_inclusive=True)
    world.product("P", account="ACME", offering="trunk", site_a="S-PA", voice_channels=23)
    engine = TaxEngine(tables(rule("pa-sales", "US-PA", "state_sales", rate_percent="6"), PA_911))

    (line,), _ = world.tax(engine, [world.line("P", "100.00")])

    # Taxable 58.54: 6 % = 3.5124 -> 3.51, and the fee 37.95: 100.00 exactly (58.55 needs 100.01).
    assert str(line.amount.amount) == "58.54"
    assert described_taxes(line) == [
        ("pa-911", "billed", "58.54", "1.65", "37.95"),
        ("pa-sales", "billed", "58.54", "0.06", "3.51"),
    ]


def test_a_discount_of_a_tax_inclusive_price_is_split_like_the_price() -> None:
    world = TaxWorld()
    world.account("ACME")
    world.offering("bundle", product_type="mpls", mrc="109.00", tax_inclusive=True)
    world.offering("port", product_type="mpls", mrc="100.00")
    world.bundle("B1", offerings=["bundle", "port"], percent="10")
    for product_id, offering in (("P", "bundle"), ("Q", "port")):
        world.product(product_id, account="ACME", offering=offering, site_a="S-PA",
                      activated=day(4, 1), bundle="B1")  # fmt: skip
    engine = TaxEngine(tables(rule("pa-9", "US-PA", "state_sales", rate_percent="9")))

    bill = world.only_bill(engine, date(2026, 4, 1))

    # P: 109.00 including 9 %: 100.00 + 9.00. Its bundle discount, 10 % of the price, is 10.90
    # including tax too: -10.00 + -0.90. The customer pays 98.10 for P: 90.00 + 8.10.
    # Q: 100.00 + 9 % = 9.00; its discount -10.00, tax excluded, with -0.90 of tax on top.
    assert [
        (line.circuit_id, line.charge_type.value, str(line.amount.amount),
         str(line.tax_amount.amount), line.tax_inclusive)
        for line in bill.lines
    ] == [
        ("CKT-P", "recurring", "100.00", "9.00", True),
        ("CKT-P", "discount", "-10.00", "-0.90", True),
        ("CKT-Q", "recurring", "100.00", "9.00", False),
        ("CKT-Q", "discount", "-10.00", "-0.90", False),
    ]  # fmt: skip
    assert (str(bill.tax_excluded_amount), str(bill.tax_amount), str(bill.amount_due)) == (
        "180.00 USD", "16.20 USD", "196.20 USD",
    )  # fmt: skip


def test_an_inclusive_invoice_from_compute_bills() -> None:
    world = TaxWorld()
    world.account("ACME")
    world.offering("sdwan-incl", product_type="sdwan", tax_inclusive=True)
    world.product("INCL", account="ACME", offering="sdwan-incl", activated=day(4, 1))

    bill = world.only_bill(TaxEngine(tables(*SALES)), date(2026, 4, 1))

    assert [(str(line.amount.amount), str(line.tax_amount.amount)) for line in bill.lines] == [
        ("92.59", "7.41")
    ]
    assert str(bill.amount_due) == "100.00 USD"


RATE_CHANGE = (
    rule("pa-sales-6", "US-PA", "state_sales", rate_percent="6", valid_to="2026-04-15"),
    rule("pa-sales-7", "US-PA", "state_sales", rate_percent="7", valid_from="2026-04-15"),
)
"""The sales tax rises from 6 % to 7 % on April 15, in the middle of the April cycle."""


@pytest.mark.parametrize(
    ("bill_date", "expected"),
    [
        (date(2026, 4, 1), ("pa-sales-6", "billed", "100.00", "0.06", "6.00")),
        (date(2026, 4, 14), ("pa-sales-6", "billed", "100.00", "0.06", "6.00")),
        (date(2026, 4, 15), ("pa-sales-7", "billed", "100.00", "0.07", "7.00")),
        (date(2026, 5, 1), ("pa-sales-7", "billed", "100.00", "0.07", "7.00")),
    ],
)
def test_a_rate_change_applies_to_bills_dated_from_its_first_day(
    inclusive: TaxWorld, bill_date: date, expected: tuple[str, ...]
) -> None:
    # The same April charge: the tax point is the bill date, not the service period.
    lines, _ = inclusive.tax(
        TaxEngine(tables(*RATE_CHANGE)), [inclusive.line("EXCL", "100.00")], on=bill_date
    )

    assert described_taxes(lines[0]) == [expected]


def _first_bill(engine: TaxEngine, on: date) -> list[list[tuple[str, str, str, str, str]]]:
    """The taxes of the first bill of a circuit activated on `on` (its month, in advance)."""
    world = TaxWorld()
    world.account("ACME")
    world.offering("sdwan", product_type="sdwan")
    world.product("P-1", account="ACME", offering="sdwan", activated=day(on.month, on.day))
    return [described_taxes(line) for line in world.only_bill(engine, on).lines]


def test_a_rate_change_between_two_cycles_of_compute_bills() -> None:
    engine = TaxEngine(tables(*RATE_CHANGE))

    # April (billed on April 1, in advance) at 6 %; May (billed on May 1) at 7 %.
    assert _first_bill(engine, date(2026, 4, 1)) == [
        [("pa-sales-6", "billed", "100.00", "0.06", "6.00")]
    ]
    assert _first_bill(engine, date(2026, 5, 1)) == [
        [("pa-sales-7", "billed", "100.00", "0.07", "7.00")]
    ]
