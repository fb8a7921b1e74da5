"""Corrections of issued bills: re-rating adjustments and credit notes, never edits."""

from dataclasses import replace
from decimal import Decimal

import pytest
from billing_world import World, activate, day, summarize

from tollway.billing import (
    TAX_INCLUSIVE_DISCOUNT_KIND,
    AppliedTax,
    BillCategory,
    BillState,
    ChargeType,
    CustomerBill,
    TaxItem,
    TaxTreatment,
)
from tollway.billing._charges import BillingError
from tollway.billing._corrections import credit_note_for, rerate_adjustments
from tollway.money import CurrencyMismatchError, Money
from tollway.pricing import BreakdownLine, PerUnit


def issued(bill: CustomerBill, bill_no: str = "INV-000042") -> CustomerBill:
    return replace(bill, state=BillState.ISSUED, bill_no=bill_no)


def data_and_port(world: World) -> None:
    world.account("ACME")
    world.offering("sdwan", mrc="400.00", usage=("data_gb", PerUnit.of("0.25")))
    world.product("P1", account="ACME", offering="sdwan", events=[activate(day(4, 1))])
    world.product("P2", account="ACME", offering="sdwan", events=[activate(day(4, 1))])


def test_rerated_usage_gives_an_adjustment_for_the_difference() -> None:
    world = World()
    data_and_port(world)
    april = issued(world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "12.5")))
    corrected = world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "20"))
    adjustments = rerate_adjustments(april.lines, corrected.lines, related_bill_no="INV-000042")
    # Billed 12.5 GB x 0.25 = 3.125 -> 3.13; should have been 20 GB x 0.25 = 5.00: +1.87
    assert [summarize(line) for line in adjustments] == [
        ("ACME", "CKT-P1", "adjustment", "03-01..04-01", "1.87")
    ]
    line = adjustments[0]
    assert (line.related_bill_no, line.quantity, line.precise_amount) == (
        "INV-000042",
        Decimal("7.5"),
        Decimal("1.875"),
    )
    assert line.name == "Adjustment: sdwan-data_gb"
    assert (
        april.lines
        == issued(
            world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "12.5"))
        ).lines
    )


def test_a_line_that_should_not_have_been_billed_is_reversed() -> None:
    world = World()
    data_and_port(world)
    april = issued(world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "12.5")))
    corrected = world.only_bill(day(4, 1))
    adjustments = rerate_adjustments(april.lines, corrected.lines, related_bill_no="INV-000042")
    assert [summarize(line) for line in adjustments] == [
        ("ACME", "CKT-P1", "adjustment", "03-01..04-01", "-3.13")
    ]


def test_a_missed_line_is_charged() -> None:
    world = World()
    data_and_port(world)
    april = issued(world.only_bill(day(4, 1)))
    corrected = world.only_bill(day(4, 1), rated_usage=world.rated("P2", "data_gb", 3, "4"))
    adjustments = rerate_adjustments(april.lines, corrected.lines, related_bill_no="INV-000042")
    # 4 GB x 0.25 = 1.00
    assert [summarize(line) for line in adjustments] == [
        ("ACME", "CKT-P2", "adjustment", "03-01..04-01", "1.00")
    ]


def test_identical_lines_need_no_adjustment() -> None:
    world = World()
    data_and_port(world)
    april = issued(world.only_bill(day(4, 1)))
    assert (
        rerate_adjustments(april.lines, world.only_bill(day(4, 1)).lines, related_bill_no="X") == ()
    )
    assert rerate_adjustments((), (), related_bill_no="X") == ()


def test_a_tax_inclusive_line_is_compared_by_its_price_not_its_net() -> None:
    world = World()
    data_and_port(world)
    april = world.only_bill(day(4, 1))
    port = april.lines[1]
    # Issued: the port's price included 10 % tax, so the tax step split it into a net and a tax
    # that add up to the price; recomputed (untaxed) it is the whole price again.
    price = port.amount
    net = Money.of((price.amount / Decimal("1.1")).quantize(Decimal("0.01")), "USD")
    tax = AppliedTax("sales", "US-PA", Decimal("0.1"), net, price - net)
    issued_port = replace(port, amount=net, taxes=(tax,), tax_inclusive=True)

    assert rerate_adjustments((april.lines[0], issued_port), april.lines, related_bill_no="X") == ()


def test_an_adjustment_of_a_tax_inclusive_discount_keeps_its_mark() -> None:
    world = World()
    data_and_port(world)
    april = world.only_bill(day(4, 1))
    port = april.lines[1]
    # Issued: a 10 % discount of the port's tax-inclusive price; corrected: 20 %.
    issued_discount = replace(
        port,
        id="disc-1",
        charge_type=ChargeType.DISCOUNT,
        name="Bundle discount",
        amount=Money.of("-10.00", "USD"),
        precise_amount=Decimal("-10.00"),
        price_id=None,
        breakdown=(
            BreakdownLine(TAX_INCLUSIVE_DISCOUNT_KIND, "10 %", Decimal(1), None, Decimal(-10)),
        ),
    )
    corrected_discount = replace(
        issued_discount, amount=Money.of("-20.00", "USD"), precise_amount=Decimal("-20.00")
    )

    (adjustment,) = rerate_adjustments(
        (issued_discount,), (corrected_discount,), related_bill_no="INV-1"
    )

    assert str(adjustment.amount) == "-10.00 USD"
    assert [step.kind for step in adjustment.breakdown] == [
        "adjusts_discount",
        TAX_INCLUSIVE_DISCOUNT_KIND,
    ]


def test_adjustment_ids_are_stable() -> None:
    world = World()
    data_and_port(world)
    april = issued(world.only_bill(day(4, 1)))
    corrected = world.only_bill(day(4, 1), rated_usage=world.rated("P2", "data_gb", 3, "4"))
    first = rerate_adjustments(april.lines, corrected.lines, related_bill_no="INV-000042")
    again = rerate_adjustments(april.lines, corrected.lines, related_bill_no="INV-000042")
    assert first == again
    assert first[0].id.startswith("adj-")


def test_lines_of_two_currencies_cannot_be_compared() -> None:
    world = World()
    data_and_port(world)
    april = issued(world.only_bill(day(4, 1)))
    yen = replace(april.lines[0], amount=Money.of("400", "JPY"))
    with pytest.raises(CurrencyMismatchError):
        rerate_adjustments(april.lines, (yen,), related_bill_no="X")


def test_a_credit_note_negates_the_whole_bill() -> None:
    world = World()
    data_and_port(world)
    bill = issued(world.only_bill(day(4, 1)))
    note = credit_note_for(bill, reason="duplicate order")
    assert (note.category, note.state, note.related_bill_no) == (
        BillCategory.CREDIT_NOTE,
        BillState.DRAFT,
        "INV-000042",
    )
    # Two ports at 400.00: the note is -800.00 and brings the account back to zero.
    assert [summarize(line)[-1] for line in note.lines] == ["-400.00", "-400.00"]
    assert str(note.amount_due) == "-800.00 USD"
    assert (bill.amount_due + note.amount_due).is_zero
    assert all(line.related_bill_no == "INV-000042" for line in note.lines)
    assert note.extra == {"reason": "duplicate order"}


def test_a_credit_note_for_some_lines() -> None:
    world = World()
    data_and_port(world)
    bill = issued(world.only_bill(day(4, 1)))
    note = credit_note_for(bill, lines=[bill.lines[1].id], reason="P2 never delivered")
    assert [(line.circuit_id, str(line.amount)) for line in note.lines] == [
        ("CKT-P2", "-400.00 USD")
    ]
    assert note.lines[0].charge_type is ChargeType.RECURRING
    assert note.id != credit_note_for(bill, reason="P2 never delivered").id


def test_a_credit_note_negates_taxes_too() -> None:
    world = World()
    data_and_port(world)
    bill = issued(world.only_bill(day(4, 1)))
    tax = Money.of("40.00", "USD")
    taxed_line = replace(
        bill.lines[0],
        taxes=(AppliedTax("sales", "US-PA", Decimal("0.1"), bill.lines[0].amount, tax),),
    )
    taxed = replace(
        bill, lines=(taxed_line, bill.lines[1]), tax_items=(TaxItem("sales", Decimal("0.1"), tax),)
    )
    note = credit_note_for(taxed, reason="refund")
    assert str(note.tax_amount) == "-40.00 USD"
    assert [str(item.tax_amount) for item in note.tax_items] == ["-40.00 USD"]
    assert (taxed.amount_due + note.amount_due).is_zero


def test_a_credit_note_reverses_billed_taxes_and_keeps_the_others_as_evidence() -> None:
    world = World()
    data_and_port(world)
    bill = issued(world.only_bill(day(4, 1)))
    base = bill.lines[0].amount
    billed = AppliedTax("sales", "US-PA", Decimal("0.1"), base, Money.of("40.00", "USD"))
    filed = AppliedTax(
        "state_gross_receipts",
        "US-PA",
        Decimal("0.05"),
        base,
        Money.of("20.00", "USD"),
        treatment=TaxTreatment.CARRIER_ABSORBED,
    )
    taxed = replace(
        bill,
        lines=(replace(bill.lines[0], taxes=(billed, filed)), bill.lines[1]),
        tax_items=(TaxItem("sales", Decimal("0.1"), Money.of("40.00", "USD")),),
    )

    note = credit_note_for(taxed, reason="refund")

    # Only the billed 40.00 is the customer's: the carrier-absorbed 20.00 is negated on the
    # note's line (the filing reverses too) but is in neither the note's tax nor its tax items.
    assert str(note.tax_amount) == "-40.00 USD"
    assert [(item.tax_category, str(item.tax_amount)) for item in note.tax_items] == [
        ("sales", "-40.00 USD")
    ]
    assert [str(tax.tax_amount) for tax in note.lines[0].taxes] == ["-40.00 USD", "-20.00 USD"]
    assert (taxed.amount_due + note.amount_due).is_zero


def test_a_draft_bill_gets_no_credit_note() -> None:
    world = World()
    data_and_port(world)
    with pytest.raises(BillingError, match="only an issued bill gets a credit note"):
        credit_note_for(world.only_bill(day(4, 1)), reason="x")


def test_a_credit_note_names_only_lines_of_the_bill() -> None:
    world = World()
    data_and_port(world)
    bill = issued(world.only_bill(day(4, 1)))
    with pytest.raises(BillingError, match="unknown: acbr-nope"):
        credit_note_for(bill, lines=["acbr-nope"], reason="x")
    with pytest.raises(BillingError, match="distinct lines"):
        credit_note_for(bill, lines=[bill.lines[0].id, bill.lines[0].id], reason="x")
