"""Recurring and one-time charges of a cycle: proration on upgrades, activations, disconnects.

Conventions: the `tollway` profile (days, start included and end excluded, over the actual period;
half-up per line; credits at the last billed price). March 2026 has 31 days; a bill on Apr 1
bills April in advance and closes March.
"""

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing_world import (
    World,
    activate,
    change,
    day,
    disconnect,
    resume,
    summary,
    suspend,
)

from tollway.billing import ChargeType, CustomerBill
from tollway.billing._compute import compute_bills
from tollway.contracts import PriceOverride
from tollway.money import MONEY_CONTEXT, currency
from tollway.pricing import Flat, PriceDefinition


def test_mid_cycle_upgrade_in_arrears_is_two_prorated_lines() -> None:
    world = World()
    world.account("ACME")
    world.offering("mpls-50", mrc="500.00", arrears=True)
    world.offering("mpls-100", mrc="800.00", arrears=True)
    world.product(
        "P1",
        account="ACME",
        offering="mpls-50",
        events=[activate(day(1, 10)), change(day(3, 16), "mpls-100")],
    )
    bill = world.only_bill(day(4, 1))
    # mpls-50, Mar 1-15: 15/31 x 500.00 = 241.935... -> 241.94
    # mpls-100, Mar 16-31: 16/31 x 800.00 = 412.903... -> 412.90
    assert summary(bill) == [
        ("ACME", "CKT-P1", "recurring", "03-01..03-16", "241.94"),
        ("ACME", "CKT-P1", "recurring", "03-16..04-01", "412.90"),
    ]
    assert bill.tax_excluded_amount.amount == Decimal("654.84")
    assert (bill.billing_period_start, bill.billing_period_end) == (day(4, 1), day(5, 1))


def test_upgrade_after_the_advance_bill_is_settled_on_the_next_bill() -> None:
    world = World()
    world.account("ACME")
    world.offering("mpls-50", mrc="500.00")
    world.offering("mpls-100", mrc="800.00")
    world.product("P1", account="ACME", offering="mpls-50", events=[activate(day(3, 1))])
    march_bill = world.only_bill(day(3, 1))
    assert summary(march_bill) == [("ACME", "CKT-P1", "recurring", "03-01..04-01", "500.00")]

    world.product(
        "P1",
        account="ACME",
        offering="mpls-50",
        events=[activate(day(3, 1)), change(day(3, 16), "mpls-100")],
    )
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    # Unused mpls-50, Mar 16-31, at the 500.00 billed: -16/31 x 500.00 = -258.064... -> -258.06
    # mpls-100 from the upgrade, Mar 16-31: 16/31 x 800.00 = 412.903... -> 412.90
    # mpls-100 for April in advance: 800.00
    assert summary(april_bill) == [
        ("ACME", "CKT-P1", "recurring", "03-16..04-01", "412.90"),
        ("ACME", "CKT-P1", "recurring", "04-01..05-01", "800.00"),
        ("ACME", "CKT-P1", "credit", "03-16..04-01", "-258.06"),
    ]
    # March costs 500.00 - 258.06 + 412.90 = 654.84, as if billed with hindsight.
    credit = april_bill.lines[2]
    assert credit.price_id == "mpls-50-mrc"
    assert credit.name == "Unused time: mpls-50-mrc"


def test_without_previous_lines_the_closed_period_counts_as_never_billed() -> None:
    world = World()
    world.account("ACME")
    world.offering("port", mrc="500.00")
    world.product("P1", account="ACME", offering="port", events=[activate(day(1, 10))])
    # An account's first bill: nothing was billed in advance for March, so March is billed now.
    assert summary(world.only_bill(day(4, 1))) == [
        ("ACME", "CKT-P1", "recurring", "03-01..04-01", "500.00"),
        ("ACME", "CKT-P1", "recurring", "04-01..05-01", "500.00"),
    ]


def test_advance_lines_still_true_leave_nothing_to_settle() -> None:
    world = World()
    world.account("ACME")
    world.offering("port", mrc="500.00")
    world.product("P1", account="ACME", offering="port", events=[activate(day(3, 1))])
    march_bill = world.only_bill(day(3, 1))
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    assert summary(april_bill) == [("ACME", "CKT-P1", "recurring", "04-01..05-01", "500.00")]


def test_a_change_known_in_advance_is_billed_in_advance_as_two_lines() -> None:
    world = World()
    world.account("ACME")
    world.offering("mpls-50", mrc="500.00")
    world.offering("mpls-100", mrc="800.00")
    world.product(
        "P1",
        account="ACME",
        offering="mpls-50",
        events=[activate(day(3, 1)), change(day(4, 16), "mpls-100")],
    )
    march_bill = world.only_bill(day(3, 1))
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    # April has 30 days: 15/30 x 500.00 = 250.00 and 15/30 x 800.00 = 400.00.
    assert summary(april_bill) == [
        ("ACME", "CKT-P1", "recurring", "04-01..04-16", "250.00"),
        ("ACME", "CKT-P1", "recurring", "04-16..05-01", "400.00"),
    ]
    may_bill = world.only_bill(day(5, 1), previously_billed=april_bill.lines)
    assert summary(may_bill) == [("ACME", "CKT-P1", "recurring", "05-01..06-01", "800.00")]


def test_new_circuit_activated_mid_month_gets_prorated_mrc_and_nrc() -> None:
    world = World()
    world.account("ACME")
    world.offering("dia", mrc="1000.00", nrc="250.00")
    world.product("P1", account="ACME", offering="dia", events=[activate(day(3, 16))])
    bill = world.only_bill(day(4, 1))
    # Installation on activation: 250.00
    # March 16-31, never billed in advance: 16/31 x 1000.00 = 516.129... -> 516.13
    # April in advance: 1000.00
    assert summary(bill) == [
        ("ACME", "CKT-P1", "recurring", "03-16..04-01", "516.13"),
        ("ACME", "CKT-P1", "recurring", "04-01..05-01", "1000.00"),
        ("ACME", "CKT-P1", "one_time", "03-16..03-16", "250.00"),
    ]
    assert bill.tax_excluded_amount.amount == Decimal("1766.13")


def test_an_activation_known_on_the_advance_bill_is_not_charged_twice() -> None:
    world = World()
    world.account("ACME")
    world.offering("dia", mrc="1000.00", nrc="250.00")
    world.product("P1", account="ACME", offering="dia", events=[activate(day(3, 16))])
    march_bill = world.only_bill(day(3, 1))
    assert summary(march_bill) == [("ACME", "CKT-P1", "recurring", "03-16..04-01", "516.13")]
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    # The installation is billed once the activation has happened, on the bill closing March.
    assert summary(april_bill) == [
        ("ACME", "CKT-P1", "recurring", "04-01..05-01", "1000.00"),
        ("ACME", "CKT-P1", "one_time", "03-16..03-16", "250.00"),
    ]


def test_activation_on_the_first_of_the_month_is_a_whole_month() -> None:
    world = World()
    world.account("ACME")
    world.offering("dia", mrc="1000.00", arrears=True)
    world.product("P1", account="ACME", offering="dia", events=[activate(day(3, 1))])
    line = world.only_bill(day(4, 1)).lines[0]
    assert line.amount.amount == Decimal("1000.00")
    assert [step.kind for step in line.breakdown] == ["period_price"]


def test_a_prorated_line_explains_its_proration() -> None:
    world = World()
    world.account("ACME")
    world.offering("dia", mrc="1000.00", arrears=True)
    world.product("P1", account="ACME", offering="dia", events=[activate(day(3, 16))])
    line = world.only_bill(day(4, 1)).lines[0]
    whole, proration = line.breakdown
    assert (whole.kind, whole.amount) == ("period_price", Decimal("1000.00"))
    assert proration.kind == "proration"
    assert proration.description.startswith("16/31 days: 2026-03-16 to 2026-04-01")
    assert MONEY_CONTEXT.add(whole.amount, proration.amount) == line.precise_amount
    assert line.unit_price == Decimal("1000.00")


def test_disconnect_in_arrears_is_prorated_to_the_date_with_an_early_termination_charge() -> None:
    world = World()
    world.account("ACME")
    world.offering("dia", mrc="1000.00", arrears=True)
    world.agreement(
        "AG1", account="ACME", start=day(1, 1), term_months=12, early_termination_percent="100"
    )
    world.product(
        "P1",
        account="ACME",
        offering="dia",
        agreement="AG1",
        events=[activate(day(1, 1)), disconnect(day(3, 16))],
    )
    bill = world.only_bill(day(4, 1))
    # March 1-15: 15/31 x 1000.00 = 483.870... -> 483.87
    # Term ends 2027-01-01; from Mar 16 that is 9 whole months (to Dec 16) and 16 days:
    # 100% x 1000.00 x 9 = 9000.00
    assert summary(bill) == [
        ("ACME", "CKT-P1", "recurring", "03-01..03-16", "483.87"),
        ("ACME", "CKT-P1", "penalty", "03-16..01-01", "9000.00"),
    ]
    penalty = bill.lines[1]
    assert penalty.quantity == Decimal(9)
    assert penalty.unit == "month"


def test_disconnect_after_the_advance_bill_credits_the_unused_days_and_charges_termination() -> (
    None
):
    world = World()
    world.account("ACME")
    world.offering("dia", mrc="1000.00")
    world.agreement(
        "AG1", account="ACME", start=day(1, 1), term_months=12, early_termination_percent="50"
    )
    world.product(
        "P1", account="ACME", offering="dia", agreement="AG1", events=[activate(day(1, 1))]
    )
    march_bill = world.only_bill(day(3, 1))
    world.product(
        "P1",
        account="ACME",
        offering="dia",
        agreement="AG1",
        events=[activate(day(1, 1)), disconnect(day(3, 16))],
    )
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    # Unused Mar 16-31: -16/31 x 1000.00 = -516.129... -> -516.13; nothing for April.
    # 50% x 1000.00 x 9 whole months = 4500.00
    assert summary(april_bill) == [
        ("ACME", "CKT-P1", "penalty", "03-16..01-01", "4500.00"),
        ("ACME", "CKT-P1", "credit", "03-16..04-01", "-516.13"),
    ]


def test_no_termination_charge_after_the_term() -> None:
    world = World()
    world.account("ACME")
    world.offering("dia", mrc="1000.00", arrears=True)
    world.agreement(
        "AG1",
        account="ACME",
        start=day(1, 1, 2025),
        term_months=12,
        early_termination_percent="100",
    )
    world.product(
        "P1",
        account="ACME",
        offering="dia",
        agreement="AG1",
        events=[activate(day(1, 1, 2025)), disconnect(day(3, 16))],
    )
    assert [line.charge_type for line in world.only_bill(day(4, 1)).lines] == [ChargeType.RECURRING]


def test_a_suspended_circuit_is_not_charged_while_suspended() -> None:
    world = World()
    world.account("ACME")
    world.offering("dia", mrc="3100.00", arrears=True)
    world.product(
        "P1",
        account="ACME",
        offering="dia",
        events=[activate(day(1, 1)), suspend(day(3, 11)), resume(day(3, 21))],
    )
    # Active Mar 1-10 and Mar 21-31: 10/31 and 11/31 of 3100.00 = 1000.00 + 1100.00
    assert summary(world.only_bill(day(4, 1))) == [
        ("ACME", "CKT-P1", "recurring", "03-01..03-11", "1000.00"),
        ("ACME", "CKT-P1", "recurring", "03-21..04-01", "1100.00"),
    ]


def test_bandwidth_priced_circuit_upgrade_splits_at_the_new_bandwidth() -> None:
    world = World()
    world.account("ACME")
    world.offering("wave", per_mbps="10.00", arrears=True)
    world.product(
        "P1",
        account="ACME",
        offering="wave",
        mbps="100",
        events=[activate(day(1, 1)), change(day(3, 11), mbps="250")],
    )
    bill = world.only_bill(day(4, 1))
    # 100 Mbps x 10.00 = 1000.00 a month, Mar 1-10: 10/31 -> 322.580... -> 322.58
    # 250 Mbps x 10.00 = 2500.00 a month, Mar 11-31: 21/31 -> 1693.548... -> 1693.55
    assert summary(bill) == [
        ("ACME", "CKT-P1", "recurring", "03-01..03-11", "322.58"),
        ("ACME", "CKT-P1", "recurring", "03-11..04-01", "1693.55"),
    ]
    assert [line.quantity for line in bill.lines] == [Decimal(100), Decimal(250)]


def test_a_change_that_leaves_a_flat_price_unchanged_stays_one_line() -> None:
    world = World()
    world.account("ACME")
    world.offering("port", mrc="700.00", arrears=True)
    world.product(
        "P1",
        account="ACME",
        offering="port",
        events=[activate(day(1, 1)), change(day(3, 11), mbps="250")],
    )
    assert summary(world.only_bill(day(4, 1))) == [
        ("ACME", "CKT-P1", "recurring", "03-01..04-01", "700.00")
    ]


def test_jpy_account_rounds_to_whole_yen() -> None:
    world = World()
    world.account("TOKYO", currency_code="JPY")
    world.offering("port", mrc="10000", nrc="30000", currency_code="JPY")
    world.product("P1", account="TOKYO", offering="port", events=[activate(day(3, 16))])
    bill = world.only_bill(day(4, 1))
    # March 16-31: 16/31 x 10000 = 5161.29... -> 5161 yen; April 10000; installation 30000.
    assert summary(bill) == [
        ("TOKYO", "CKT-P1", "recurring", "03-16..04-01", "5161"),
        ("TOKYO", "CKT-P1", "recurring", "04-01..05-01", "10000"),
        ("TOKYO", "CKT-P1", "one_time", "03-16..03-16", "30000"),
    ]
    assert str(bill.amount_due) == "45161 JPY"


def test_bhd_account_rounds_to_the_fils() -> None:
    world = World()
    world.account("MANAMA", currency_code="BHD")
    world.offering("port", mrc="100.000", currency_code="BHD")
    world.product("P1", account="MANAMA", offering="port", events=[activate(day(3, 16))])
    bill = world.only_bill(day(4, 1))
    # March 16-31: 16/31 x 100.000 = 51.6129... -> 51.613 BHD
    assert [str(line.amount) for line in bill.lines] == ["51.613 BHD", "100.000 BHD"]


def test_lago_profile_counts_days_inclusively() -> None:
    world = World()
    world.account("ACME", profile="lago")
    world.offering("dia", mrc="1000.00", arrears=True)
    world.product("P1", account="ACME", offering="dia", events=[activate(day(3, 16, 2026))])
    # Lago: every touched day counts whole; Mar 16 to Apr 1 (excluded) touches Mar 16-31: 16 days.
    # 16/31 x 1000.00 -> 516.13
    assert world.only_bill(day(4, 1)).lines[0].amount.amount == Decimal("516.13")


def test_an_agreement_override_replaces_the_catalog_price() -> None:
    world = World()

    world.account("ACME")
    world.offering("dia", mrc="1000.00")
    agreement = world.agreement("AG1", account="ACME", start=day(1, 1), term_months=36)
    negotiated = PriceDefinition("dia-mrc-acme", currency("USD"), Flat.of("750.00"))
    world.agreements["AG1"] = replace(
        agreement, price_overrides=(PriceOverride("dia-mrc", negotiated),)
    )
    world.product(
        "P1", account="ACME", offering="dia", agreement="AG1", events=[activate(day(4, 1))]
    )
    world.product("P2", account="ACME", offering="dia", events=[activate(day(4, 1))])
    bill = world.only_bill(day(4, 1))
    # P1 is under the agreement: 750.00; P2 is not: the catalog's 1000.00. The line names the
    # catalog price it replaces.
    assert [(line.circuit_id, line.price_id, str(line.amount.amount)) for line in bill.lines] == [
        ("CKT-P1", "dia-mrc", "750.00"),
        ("CKT-P2", "dia-mrc", "1000.00"),
    ]


def test_a_suspension_after_the_advance_bill_credits_the_suspended_days() -> None:
    world = World()
    world.account("ACME")
    world.offering("dia", mrc="3100.00")
    world.product("P1", account="ACME", offering="dia", events=[activate(day(3, 1))])
    march_bill = world.only_bill(day(3, 1))
    world.product(
        "P1",
        account="ACME",
        offering="dia",
        events=[activate(day(3, 1)), suspend(day(3, 11)), resume(day(3, 21))],
    )
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    # Billed 3100.00 for March. Unused from the suspension on, Mar 11-31: -21/31 = -2100.00;
    # the circuit is back from Mar 21: 11/31 x 3100.00 = 1100.00. Net for March: 2100.00 (21 days).
    assert summary(april_bill) == [
        ("ACME", "CKT-P1", "recurring", "03-21..04-01", "1100.00"),
        ("ACME", "CKT-P1", "recurring", "04-01..05-01", "3100.00"),
        ("ACME", "CKT-P1", "credit", "03-11..04-01", "-2100.00"),
    ]


def test_a_bandwidth_upgrade_after_the_advance_bill_is_settled_at_the_new_bandwidth() -> None:
    world = World()
    world.account("ACME")
    world.offering("wave", per_mbps="12.40")
    world.product("P1", account="ACME", offering="wave", mbps="100", events=[activate(day(3, 1))])
    march_bill = world.only_bill(day(3, 1))
    assert summary(march_bill) == [("ACME", "CKT-P1", "recurring", "03-01..04-01", "1240.00")]
    world.product(
        "P1",
        account="ACME",
        offering="wave",
        mbps="100",
        events=[activate(day(3, 1)), change(day(3, 22), mbps="200")],
    )
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    # Unused 100 Mbps, Mar 22-31: -10/31 x 1240.00 = -400.00
    # 200 Mbps x 12.40 = 2480.00 a month, Mar 22-31: 10/31 -> 800.00; April: 2480.00
    assert summary(april_bill) == [
        ("ACME", "CKT-P1", "recurring", "03-22..04-01", "800.00"),
        ("ACME", "CKT-P1", "recurring", "04-01..05-01", "2480.00"),
        ("ACME", "CKT-P1", "credit", "03-22..04-01", "-400.00"),
    ]


def test_current_price_credit_basis_credits_at_todays_price() -> None:
    world = World()
    world.account("ACME", profile="stripe")
    world.offering("port", mrc="3100.00")
    world.product("P1", account="ACME", offering="port", events=[activate(day(3, 1))])
    march_bill = world.only_bill(day(3, 1))
    # The catalog price went up to 6200.00 after the March bill (same price id, new amount).
    world.offering("port", mrc="6200.00")
    world.product(
        "P1", account="ACME", offering="port", events=[activate(day(3, 1)), disconnect(day(3, 22))]
    )
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    # Stripe credits the unused time at the current price and counts seconds:
    # 10 days of 31 x 6200.00 = -2000.00 (the last billed price would give -1000.00).
    assert summary(april_bill) == [("ACME", "CKT-P1", "credit", "03-22..04-01", "-2000.00")]


def test_new_york_account_prorates_on_local_days() -> None:
    world = World()

    new_york = ZoneInfo("America/New_York")
    world.account("NYC", time_zone="America/New_York")
    world.offering("dia", mrc="3100.00", arrears=True)
    # Activated at local midnight of Mar 21, 2026 (after the Mar 8 DST change).
    world.product(
        "P1",
        account="NYC",
        offering="dia",
        events=[activate(datetime(2026, 3, 21, tzinfo=new_york))],
    )
    bills = compute_window(world, datetime(2026, 4, 1, tzinfo=new_york))
    # Mar 21-31 local: 11 local days of 31 -> 11/31 x 3100.00 = 1100.00
    assert [str(line.amount.amount) for line in bills[0].lines] == ["1100.00"]
    assert bills[0].billing_period_start == datetime(2026, 4, 1, tzinfo=new_york)


def compute_window(world: World, start: datetime) -> tuple[CustomerBill, ...]:

    return compute_bills(
        world.inputs(),
        period_start=start,
        period_end=start + timedelta(days=1),
        bill_date=start.date(),
        rated_usage=(),
        run_id="run-test",
    )


def test_a_disconnect_before_a_change_billed_in_advance_credits_both_lines() -> None:
    world = World()
    world.account("ACME")
    world.offering("mpls-50", mrc="500.00")
    world.offering("mpls-100", mrc="800.00")
    planned = [activate(day(3, 1)), change(day(3, 16), "mpls-100")]
    world.product("P1", account="ACME", offering="mpls-50", events=planned)
    march_bill = world.only_bill(day(3, 1))
    # Billed in advance: 15/31 x 500.00 = 241.94 and 16/31 x 800.00 = 412.90.
    assert [line.amount.amount for line in march_bill.lines] == [
        Decimal("241.94"),
        Decimal("412.90"),
    ]
    # The circuit was disconnected on Mar 10 instead: the upgrade never happened.
    world.product(
        "P1",
        account="ACME",
        offering="mpls-50",
        events=[activate(day(3, 1)), disconnect(day(3, 10))],
    )
    april_bill = world.only_bill(day(4, 1), previously_billed=march_bill.lines)
    # Unused mpls-50, Mar 10-15: -6/31 x 500.00 = -96.774... -> -96.77
    # mpls-100 never used, Mar 16-31: -16/31 x 800.00 = -412.903... -> -412.90
    assert summary(april_bill) == [
        ("ACME", "CKT-P1", "credit", "03-10..03-16", "-96.77"),
        ("ACME", "CKT-P1", "credit", "03-16..04-01", "-412.90"),
    ]
