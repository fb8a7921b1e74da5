"""Bill assembly: consolidation of account hierarchies, manual credits, ordering, ids, taxes,
and determinism."""

import copy
import pickle
from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from billing_world import World, activate, day, summary

from tollway.accounts import BillingAccount, Party
from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillingInputs,
    BillState,
    ChargeType,
    TaxItem,
    TaxTreatment,
)
from tollway.billing._charges import BillingError
from tollway.billing._compute import compute_bills
from tollway.billing._examples import tiny_inputs
from tollway.money import CurrencyMismatchError, Money, sum_money
from tollway.pricing import PerUnit


def hierarchy(world: World) -> None:
    """HQ pays its own bill and the bill of its branch BR; the branch has a port of its own."""
    world.account("HQ")
    world.account("BR", parent="HQ", pays_own_bill=False, bill_cycle_day=15)
    world.offering("port", mrc="1000.00")
    world.offering("branch-port", mrc="200.00")
    world.product("P1", account="HQ", offering="port", events=[activate(day(4, 1))])
    world.product("P2", account="BR", offering="branch-port", events=[activate(day(4, 1))])


def test_a_child_account_rolls_up_onto_its_parents_bill() -> None:
    world = World()
    hierarchy(world)
    bills = world.bill(day(4, 1))
    assert len(bills) == 1
    bill = bills[0]
    assert (bill.billing_account_id, bill.consolidated_account_ids) == ("HQ", ("BR",))
    # The branch follows its paying parent's cycle (day 1), not its own day 15.
    assert summary(bill) == [
        ("BR", "CKT-P2", "recurring", "04-01..05-01", "200.00"),
        ("HQ", "CKT-P1", "recurring", "04-01..05-01", "1000.00"),
    ]
    assert bill.amount_due == Money.of("1200.00", "USD")
    assert (bill.state, bill.bill_no, bill.run_id) == (BillState.DRAFT, None, "run-test")


def test_bills_are_sorted_by_paying_account() -> None:
    world = World()
    for account_id in ("ZULU", "ALPHA", "MIKE"):
        world.account(account_id)
    assert [bill.billing_account_id for bill in world.bill(day(4, 1))] == ["ALPHA", "MIKE", "ZULU"]


def test_only_accounts_with_a_cycle_date_in_the_window_are_billed() -> None:
    world = World()
    world.account("FIRST", bill_cycle_day=1)
    world.account("MIDDLE", bill_cycle_day=15)
    assert [bill.billing_account_id for bill in world.bill(day(4, 15))] == ["MIDDLE"]


def test_manual_credits_due_on_this_bill_are_negative_lines() -> None:
    world = World()
    world.account("ACME")
    world.credit("CR1", account="ACME", amount="50.00", at=day(3, 20))
    world.credit("CR2", account="ACME", amount="12.34", at=day(4, 1))  # on the bill's own date
    world.credit("CR3", account="ACME", amount="99.00", at=day(4, 2))  # the next bill's
    world.credit("CR0", account="ACME", amount="99.00", at=day(3, 1))  # the previous bill's
    bill = world.only_bill(day(4, 1))
    assert summary(bill) == [
        ("ACME", "", "credit", "03-01..04-01", "-50.00"),
        ("ACME", "", "credit", "03-01..04-01", "-12.34"),
    ]
    assert {line.name for line in bill.lines} == {"Credit: SLA breach"}
    assert bill.amount_due == Money.of("-62.34", "USD")


def test_a_credit_in_another_currency_is_refused() -> None:
    world = World()
    world.account("ACME")
    world.credit("CR1", account="ACME", amount="50", at=day(3, 20), currency_code="EUR")
    with pytest.raises(BillingError, match="manual credit 'CR1' is in EUR"):
        world.bill(day(4, 1))


def test_lines_are_sorted_by_account_circuit_charge_type_period_and_price() -> None:
    world = World()
    hierarchy(world)
    world.offering("port", mrc="1000.00", nrc="300.00")
    world.product("P3", account="HQ", offering="port", events=[activate(day(3, 10))])
    world.credit("CR1", account="HQ", amount="5.00", at=day(3, 20))
    bill = world.only_bill(day(4, 1))
    keys = [
        (line.billing_account_id, line.circuit_id or "", line.period_start, line.price_id or "")
        for line in bill.lines
    ]
    assert [line.charge_type.value for line in bill.lines] == [
        "recurring",  # BR, CKT-P2
        "credit",  # HQ, no circuit
        "recurring",  # HQ, CKT-P1
        "recurring",  # HQ, CKT-P3, March settlement
        "recurring",  # HQ, CKT-P3, April
        "one_time",  # HQ, CKT-P3
    ]
    assert keys[0][0] == "BR" and keys[1][:2] == ("HQ", "")


def test_line_ids_are_derived_from_the_keys_and_stable() -> None:
    world = World()
    hierarchy(world)
    first = world.only_bill(day(4, 1))
    world.credit("CR1", account="HQ", amount="5.00", at=day(3, 20))
    second = world.only_bill(day(4, 1))
    # Adding a credit adds a line; the other lines keep their ids.
    assert {line.id for line in first.lines} < {line.id for line in second.lines}
    assert all(line.id.startswith("acbr-") for line in second.lines)
    assert first.id == "draft:HQ:2026-04-01"


def test_the_same_inputs_give_identical_bills() -> None:
    world = World()
    hierarchy(world)
    world.bundle("B1", offerings=["port"], percent="10")
    world.offering("dia", mrc="999.99", nrc="150.00", arrears=True)
    world.product("P3", account="HQ", offering="dia", bundle="B1", events=[activate(day(3, 7))])
    world.credit("CR1", account="BR", amount="5.00", at=day(3, 20))
    first = world.bill(day(4, 1))
    inputs = world.inputs()
    # The same snapshot with its mappings in another order.
    reversed_inputs = BillingInputs(
        parties=dict(reversed(inputs.parties.items())),
        sites={},
        accounts=dict(reversed(inputs.accounts.items())),
        catalog=inputs.catalog,
        agreements={},
        products=dict(reversed(inputs.products.items())),
        credits=tuple(reversed(inputs.credits)),
    )
    second = compute_bills(
        reversed_inputs,
        period_start=day(4, 1),
        period_end=day(4, 2),
        bill_date=first[0].bill_date,
        rated_usage=(),
        run_id="run-test",
    )
    assert first == second
    assert first == world.bill(day(4, 1))


class FlatRateTax:
    """A fake tax engine: 10% on every positive line, one tax item."""

    def apply(
        self,
        lines: Sequence[AppliedBillingRate],
        *,
        account: BillingAccount,
        party: Party,
        inputs: BillingInputs,
        bill_date: date,
    ) -> tuple[tuple[AppliedBillingRate, ...], tuple[TaxItem, ...]]:
        rate = Decimal("0.10")
        taxed = tuple(
            replace(
                line,
                taxes=(
                    AppliedTax(
                        "sales",
                        "US-PA",
                        rate,
                        line.amount,
                        Money(line.amount.amount * rate, line.amount.currency),
                    ),
                ),
            )
            for line in lines
        )
        total = sum((line.tax_amount.amount for line in taxed), Decimal(0))
        return taxed, (TaxItem("sales", rate, Money(total, account.currency)),)


def test_the_tax_step_fills_in_line_taxes_and_tax_items() -> None:
    world = World()
    world.account("ACME")
    world.offering("port", mrc="1000.00")
    world.product("P1", account="ACME", offering="port", events=[activate(day(4, 1))])
    bill = world.only_bill(day(4, 1), tax=FlatRateTax())
    # 1000.00 + 10% tax 100.00 = 1100.00
    assert (str(bill.tax_excluded_amount), str(bill.tax_amount), str(bill.amount_due)) == (
        "1000.00 USD",
        "100.0000 USD",
        "1100.0000 USD",
    )
    assert bill.tax_items[0].tax_category == "sales"


def test_a_product_of_an_unknown_account_is_refused() -> None:
    world = World()
    world.account("ACME")
    world.offering("port", mrc="1.00")
    world.product("P1", account="NOBODY", offering="port", events=[activate(day(4, 1))])
    with pytest.raises(BillingError, match="names unknown billing account 'NOBODY'"):
        world.bill(day(4, 1))


def test_a_price_in_another_currency_is_refused() -> None:
    world = World()
    world.account("ACME", currency_code="EUR")
    world.offering("port", mrc="1.00")
    world.product("P1", account="ACME", offering="port", events=[activate(day(4, 1))])
    with pytest.raises(BillingError, match="price 'port-mrc' for product 'P1' is in USD"):
        world.bill(day(4, 1))


def test_a_rated_charge_given_twice_is_refused() -> None:
    world = World()
    world.account("ACME")
    world.offering("sdwan", usage=("data_gb", PerUnit.of("1")))
    world.product("P1", account="ACME", offering="sdwan", events=[activate(day(1, 1))])
    usage = world.rated("P1", "data_gb", 3, "5")
    with pytest.raises(BillingError, match="two charges with the same key"):
        world.bill(day(4, 1), rated_usage=usage + usage)


def test_every_charge_type_maps_to_its_tmf_rate_type() -> None:
    world = World()
    world.account("ACME")
    world.credit("CR1", account="ACME", amount="1.00", at=day(3, 20))
    line = world.only_bill(day(4, 1)).lines[0]
    assert line.charge_type is ChargeType.CREDIT
    assert line.charge_type.tmf_rate_type == "appliedBillingCredit"


def test_without_a_run_date_each_bill_is_dated_its_accounts_cycle_date() -> None:
    # A month-long window bills A (cycle day 1) on Apr 1 and B (cycle day 15, Tokyo) on Apr 15.
    world = World()
    world.account("A")
    world.account("B", bill_cycle_day=15, time_zone="Asia/Tokyo")
    world.offering("port", mrc="100.00")
    world.product("P1", account="A", offering="port", events=[activate(day(3, 1))])
    world.product("P2", account="B", offering="port", events=[activate(day(3, 1))])
    bills = compute_bills(
        world.inputs(),
        period_start=day(3, 20),
        period_end=day(4, 20),
        rated_usage=(),
        run_id="run-test",
    )
    assert [(bill.billing_account_id, bill.bill_date.isoformat()) for bill in bills] == [
        ("A", "2026-04-01"),
        ("B", "2026-04-15"),
    ]


# --- derived totals: computed once, equal to the sums, kept out of equality and copies ---------


def test_a_bills_totals_are_its_lines_sums_and_survive_copies() -> None:
    bills = compute_bills(
        tiny_inputs(),
        period_start=datetime(2026, 4, 1, tzinfo=UTC),
        period_end=datetime(2026, 4, 2, tzinfo=UTC),
        bill_date=date(2026, 4, 1),
        rated_usage=(),
        run_id="run-1",
    )
    found = bills[0]
    lines_sum = sum_money([line.amount for line in found.lines], found.currency)

    assert found.tax_excluded_amount == lines_sum == Money.of("151.61", "USD")
    assert found.amount_due == found.tax_excluded_amount + found.tax_amount
    assert "_totals" not in {item.name for item in fields(found)}
    for copied in (pickle.loads(pickle.dumps(found)), copy.deepcopy(found), copy.copy(found)):
        assert copied == found
        assert copied.amount_due == found.amount_due
    shorter = replace(found, lines=found.lines[:1])
    assert shorter.tax_excluded_amount == found.lines[0].amount
    assert shorter != found


def test_a_lines_billed_taxes_in_another_currency_are_refused() -> None:
    tax = AppliedTax(
        "sales", "US-PA", Decimal("0.06"), Money.of("10.00", "EUR"), Money.of("0.60", "EUR")
    )
    line = AppliedBillingRate(
        "L1",
        "ACME",
        ChargeType.RECURRING,
        "Port",
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 4, 1, tzinfo=UTC),
        Decimal(1),
        Money.of("10.00", "USD"),
        Decimal("10.00"),
        taxes=(tax, tax),
    )
    with pytest.raises(CurrencyMismatchError):
        _ = line.tax_amount
    assert replace(line, taxes=(replace(tax, treatment=TaxTreatment.EXEMPT),)).tax_amount == (
        Money.of("0", "USD")
    )
