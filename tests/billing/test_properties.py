"""Invariants of the bill computation, checked over many generated cycles."""

from dataclasses import replace
from decimal import Decimal

from billing_world import World, activate, change, day, disconnect
from hypothesis import given
from hypothesis import strategies as st

from tollway.billing import BillState, ChargeType
from tollway.billing._corrections import credit_note_for
from tollway.money import currency

march_days = st.integers(min_value=2, max_value=31)
minor_units = st.integers(min_value=1, max_value=10_000_000)
currencies = st.sampled_from(["USD", "JPY", "BHD"])


def amount(units: int, code: str) -> str:
    return str(Decimal(units).scaleb(-currency(code).minor_units))


@given(change_day=march_days, old=minor_units, new=minor_units, code=currencies)
def test_settling_an_advance_bill_matches_billing_with_hindsight(
    change_day: int, old: int, new: int, code: str
) -> None:
    world = World()
    world.account("ACME", currency_code=code)
    world.offering("old", mrc=amount(old, code), currency_code=code)
    world.offering("new", mrc=amount(new, code), currency_code=code)
    upgraded = [activate(day(3, 1)), change(day(3, change_day), "new")]
    world.product("P1", account="ACME", offering="old", events=upgraded)
    with_hindsight = world.only_bill(day(3, 1))

    world.product("P1", account="ACME", offering="old", events=[activate(day(3, 1))])
    in_advance = world.only_bill(day(3, 1))
    world.product("P1", account="ACME", offering="old", events=upgraded)
    settled = world.only_bill(day(4, 1), previously_billed=in_advance.lines)

    march_settled = in_advance.tax_excluded_amount.amount + sum(
        (line.amount.amount for line in settled.lines if line.period_start < day(4, 1)),
        Decimal(0),
    )
    # Each way rounds each line once: they differ at most by one minor unit (a half-way case).
    difference = abs(march_settled - with_hindsight.tax_excluded_amount.amount)
    assert difference <= currency(code).minor_unit


@given(start=st.integers(1, 31), length=st.integers(0, 31), mrc=minor_units, code=currencies)
def test_a_prorated_month_never_exceeds_the_monthly_charge(
    start: int, length: int, mrc: int, code: str
) -> None:
    world = World()
    world.account("ACME", currency_code=code)
    world.offering("dia", mrc=amount(mrc, code), arrears=True, currency_code=code)
    events = [activate(day(3, start))]
    if start + length <= 31:
        events.append(
            disconnect(day(3, start + length) if length else day(3, start).replace(hour=1))
        )
    world.product("P1", account="ACME", offering="dia", events=events)
    bill = world.only_bill(day(4, 1))
    total = bill.tax_excluded_amount.amount
    assert Decimal(0) <= total <= Decimal(amount(mrc, code))
    assert total == sum((line.amount.amount for line in bill.lines), Decimal(0))
    assert all(line.charge_type is ChargeType.RECURRING for line in bill.lines)


@given(chosen=st.sets(st.integers(0, 3), min_size=1))
def test_a_credit_note_cancels_exactly_the_lines_it_names(chosen: set[int]) -> None:
    world = World()
    world.account("ACME")
    world.bundle("B1", offerings=["port"], percent="7.5")
    world.offering("port", mrc="333.33", nrc="99.99")
    world.product("P1", account="ACME", offering="port", bundle="B1", events=[activate(day(3, 9))])
    bill = replace(world.only_bill(day(4, 1)), state=BillState.ISSUED, bill_no="INV-1")
    picked = [bill.lines[index].id for index in sorted(chosen) if index < len(bill.lines)]
    note = credit_note_for(bill, lines=picked, reason="goodwill")
    remaining = sum(
        (line.amount.amount for line in bill.lines if line.id not in picked), Decimal(0)
    )
    assert (bill.amount_due + note.amount_due).amount == remaining
