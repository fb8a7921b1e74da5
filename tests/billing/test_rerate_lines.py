"""Re-rating, the pure part: the usage lines a cycle's bills carry, adjustments that net earlier
adjustments, and adjustment lines carried onto the paying account's next bill."""

from dataclasses import replace
from decimal import Decimal

import pytest
from billing_world import World, activate, day, summarize
from hypothesis import given
from hypothesis import strategies as st

from tollway.billing import AppliedBillingRate, BillState, ChargeType, CustomerBill
from tollway.billing._charges import BillingError
from tollway.billing._compute import usage_lines
from tollway.billing._corrections import corrected_charge_type, rerate_adjustments
from tollway.contracts import Commitment, CommitmentPeriod
from tollway.money import Money, currency
from tollway.pricing import Graduated, PerUnit, Tier


def issued(bill: CustomerBill, bill_no: str) -> CustomerBill:
    return replace(bill, state=BillState.ISSUED, bill_no=bill_no)


def graduated_data(world: World, *, code: str = "USD", first: str, after: str) -> None:
    """ACME (and its branch) on an offering with data at `first` a GB up to 100 GB, then `after`."""
    world.account("ACME", currency_code=code)
    world.account("ACME-BR", currency_code=code, parent="ACME", pays_own_bill=False)
    tiers = Graduated(
        (Tier.of(up_to="100", unit_price=first), Tier.of(up_to=None, unit_price=after))
    )
    world.offering("sdwan", usage=("data_gb", tiers), currency_code=code)
    for product_id, account in (("P1", "ACME"), ("P2", "ACME-BR")):
        world.product(product_id, account=account, offering="sdwan", events=[activate(day(1, 1))])


def usage_of(bill: CustomerBill) -> list[AppliedBillingRate]:
    return [line for line in bill.lines if line.charge_type is ChargeType.USAGE]


# --- usage_lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "first", "after", "quantity", "amount", "zero"),
    [
        # 120.5 GB = 100 x 0.10 + 20.5 x 0.05 = 11.025 -> 11.03
        ("USD", "0.10", "0.05", "120.5", "11.03", "0.00"),
        # 100 GB, exactly on the bound: 100 x ¥3 = ¥300
        ("JPY", "3", "2", "100", "300", "0"),
        # 0.5 GB x 0.125 = 0.0625 -> 0.063 BHD
        ("BHD", "0.125", "0.075", "0.5", "0.063", "0.000"),
    ],
)
def test_usage_lines_are_the_usage_lines_of_the_bill(
    code: str, first: str, after: str, quantity: str, amount: str, zero: str
) -> None:
    world = World()
    graduated_data(world, code=code, first=first, after=after)
    rated = (*world.rated("P1", "data_gb", 3, quantity), *world.rated("P2", "data_gb", 3, "0"))
    window = {"period_start": day(4, 1), "period_end": day(4, 2)}

    lines = usage_lines(world.inputs(), **window, rated_usage=rated)

    bill = world.only_bill(day(4, 1), rated_usage=rated)
    assert list(lines) == ["ACME"]
    assert list(lines["ACME"]) == usage_of(bill)
    # The branch's zero usage is billed as a zero line, like the bill does.
    assert [summarize(line) for line in lines["ACME"]] == [
        ("ACME", "CKT-P1", "usage", "03-01..04-01", amount),
        ("ACME-BR", "CKT-P2", "usage", "03-01..04-01", zero),
    ]


def test_usage_lines_refuse_usage_of_an_account_not_billed_in_the_window() -> None:
    world = World()
    graduated_data(world, first="0.10", after="0.05")
    rated = world.rated("P1", "data_gb", 3, "1")

    with pytest.raises(BillingError, match="has no bill-cycle date in this run's window"):
        usage_lines(world.inputs(), period_start=day(4, 2), period_end=day(4, 3), rated_usage=rated)


# --- adjustments net earlier adjustments ---------------------------------------------------------


def test_a_second_correction_adjusts_only_what_is_still_missing() -> None:
    world = World()
    graduated_data(world, first="0.10", after="0.05")
    march = issued(
        world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "95")), "INV-1"
    )

    def corrected(*quantities: str) -> list[AppliedBillingRate]:
        return usage_of(
            world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, *quantities))
        )

    # A late 10 GB: 105 GB = 10.00 + 0.25 = 10.25; billed 95 x 0.10 = 9.50: +0.75.
    first = rerate_adjustments(usage_of(march), corrected("95", "10"), related_bill_no="INV-1")
    # Another late 4 GB: 109 GB = 10.00 + 0.45 = 10.45; billed 9.50 + 0.75 = 10.25: +0.20.
    second = rerate_adjustments(
        [*usage_of(march), *first], corrected("95", "10", "4"), related_bill_no="INV-1"
    )
    # Nothing new: nothing to adjust.
    third = rerate_adjustments(
        [*usage_of(march), *first, *second], corrected("95", "10", "4"), related_bill_no="INV-1"
    )

    assert [(line.quantity, str(line.amount)) for line in first] == [(Decimal(10), "0.75 USD")]
    assert [(line.quantity, str(line.amount), line.name) for line in second] == [
        (Decimal(4), "0.20 USD", "Adjustment: sdwan-data_gb")
    ]
    assert [step.description for step in second[0].breakdown] == ["was 10.25, should be 10.45"]
    assert third == ()


def test_reversing_an_adjusted_line_keeps_its_name() -> None:
    world = World()
    graduated_data(world, first="0.10", after="0.05")
    march = issued(
        world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "10")), "INV-1"
    )
    first = rerate_adjustments(usage_of(march), (), related_bill_no="INV-1")

    # The usage and its reversal net to zero already: nothing more, whatever the order given.
    assert rerate_adjustments([*first, *usage_of(march)], (), related_bill_no="INV-1") == ()
    assert [(line.name, str(line.amount)) for line in first] == [
        ("Adjustment: sdwan-data_gb", "-1.00 USD")
    ]


def test_an_adjustment_counts_as_the_charge_type_it_corrects() -> None:
    world = World()
    world.account("ACME")
    world.offering("port", mrc="400.00")
    world.product("P1", account="ACME", offering="port", events=[activate(day(4, 1))])
    april = issued(world.only_bill(day(4, 1)), "INV-1")
    corrected = [replace(line, amount=Money.of("380.00", "USD")) for line in april.lines]

    (adjustment,) = rerate_adjustments(april.lines, corrected, related_bill_no="INV-1")

    assert corrected_charge_type(adjustment) is ChargeType.RECURRING
    assert corrected_charge_type(april.lines[0]) is ChargeType.RECURRING
    # Compared with usage, a recurring adjustment is a line of its own, not usage.
    assert rerate_adjustments([adjustment], (), related_bill_no="INV-1")[0].amount == Money.of(
        "20.00", "USD"
    )
    made_by_hand = replace(adjustment, breakdown=())
    assert corrected_charge_type(made_by_hand) is ChargeType.ADJUSTMENT


amounts = st.integers(min_value=-10_000_000, max_value=10_000_000)


@given(
    code=st.sampled_from(["USD", "JPY", "BHD"]),
    billed=amounts,
    corrections=st.lists(amounts, min_size=1, max_size=4),
)
def test_billed_plus_adjustments_always_equals_the_latest_correction(
    code: str, billed: int, corrections: list[int]
) -> None:
    unit = currency(code)

    def line(minor: int) -> AppliedBillingRate:
        money = Money.from_minor(minor, unit)
        return AppliedBillingRate(
            "l1", "ACME", ChargeType.USAGE, "Data", day(3, 1), day(4, 1), Decimal(1), money,
            money.amount, "P1", "CKT-P1", "sdwan-data_gb",
        )  # fmt: skip

    carried: list[AppliedBillingRate] = [line(billed)]
    for correction in corrections:
        carried.extend(rerate_adjustments(carried, [line(correction)], related_bill_no="INV-1"))
        total = sum((found.amount.amount for found in carried), Decimal(0))
        assert total == Money.from_minor(correction, unit).amount
        assert rerate_adjustments(carried, [line(correction)], related_bill_no="INV-1") == ()


# --- carrying adjustments onto a bill -------------------------------------------------------------


def _late_branch_adjustment(world: World) -> tuple[AppliedBillingRate, ...]:
    """The branch's March data billed on INV-1 as 10 GB, re-rated as 12 GB: +0.20."""
    march = issued(
        world.only_bill(day(4, 1), rated_usage=world.rated("P2", "data_gb", 3, "10")), "INV-1"
    )
    corrected = world.only_bill(day(4, 1), rated_usage=world.rated("P2", "data_gb", 3, "12"))
    return rerate_adjustments(usage_of(march), usage_of(corrected), related_bill_no="INV-1")


def test_an_adjustment_goes_on_the_paying_accounts_next_bill() -> None:
    world = World()
    graduated_data(world, first="0.10", after="0.05")
    adjustments = _late_branch_adjustment(world)

    may = world.only_bill(day(5, 1), adjustments=adjustments)
    again = world.only_bill(day(5, 1), adjustments=adjustments)

    assert may.billing_account_id == "ACME"
    assert [summarize(line) for line in may.lines] == [
        ("ACME-BR", "CKT-P2", "adjustment", "03-01..04-01", "0.20")
    ]
    line = may.lines[0]
    assert (line.related_bill_no, line.quantity, line.name) == (
        "INV-1",
        Decimal(2),
        "Adjustment: sdwan-data_gb",
    )
    # The line gets this bill's own deterministic id (its key names the bill it corrects).
    assert line.id.startswith("acbr-") and line.id == again.lines[0].id
    assert line.id != adjustments[0].id
    assert str(may.amount_due) == "0.20 USD"


def test_an_adjustment_is_neither_discounted_nor_counted_towards_a_commitment() -> None:
    world = World()
    world.account("ACME")
    world.offering("sdwan", mrc="100.00", usage=("data_gb", PerUnit.of("0.10")))
    minimum = Commitment("min", CommitmentPeriod.MONTHLY, Decimal("150.00"), Decimal(100))
    world.agreement(
        "AG", account="ACME", start=day(1, 1), term_months=12, commitments=[minimum],
        discount_percent="10",
    )  # fmt: skip
    world.product(
        "P1", account="ACME", offering="sdwan", events=[activate(day(1, 1))], agreement="AG"
    )
    march = issued(
        world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "0")), "INV-1"
    )
    corrected = world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "200"))
    adjustments = rerate_adjustments(usage_of(march), usage_of(corrected), related_bill_no="INV-1")

    may = world.only_bill(day(5, 1), previously_billed=march.lines, adjustments=adjustments)

    assert [summarize(line)[1:] for line in may.lines] == [
        # May's minimum of 150.00 against 100.00 of counted charges (the port, before its
        # discount): 50.00. The adjustment of 200 GB x 0.10 = 20.00 for March does not count.
        ("", "penalty", "05-01..06-01", "50.00"),
        ("CKT-P1", "recurring", "05-01..06-01", "100.00"),
        # 10 % off the port only, not off the adjustment.
        ("CKT-P1", "discount", "05-01..06-01", "-10.00"),
        ("CKT-P1", "adjustment", "03-01..04-01", "20.00"),
    ]


def test_only_adjustment_lines_naming_a_bill_are_carried() -> None:
    world = World()
    graduated_data(world, first="0.10", after="0.05")
    (adjustment,) = _late_branch_adjustment(world)
    usage = replace(adjustment, charge_type=ChargeType.USAGE)
    unnamed = replace(adjustment, related_bill_no=None)

    with pytest.raises(BillingError, match="only adjustment lines naming the bill"):
        world.only_bill(day(5, 1), adjustments=(usage,))
    with pytest.raises(BillingError, match="only adjustment lines naming the bill"):
        world.only_bill(day(5, 1), adjustments=(unnamed,))


def test_an_adjustment_for_an_account_the_run_does_not_bill_is_refused() -> None:
    world = World()
    graduated_data(world, first="0.10", after="0.05")
    adjustments = _late_branch_adjustment(world)
    stranger = replace(adjustments[0], billing_account_id="NOBODY")

    with pytest.raises(BillingError, match="names unknown billing account 'NOBODY'"):
        world.only_bill(day(5, 1), adjustments=(stranger,))
    with pytest.raises(BillingError, match="has no bill-cycle date in this run's window"):
        world.bill(day(5, 2), adjustments=adjustments)


def test_an_adjustment_in_another_currency_is_refused() -> None:
    world = World()
    graduated_data(world, first="0.10", after="0.05")
    (adjustment,) = _late_branch_adjustment(world)
    in_yen = replace(adjustment, amount=Money.of("20", "JPY"))

    with pytest.raises(BillingError, match="is in JPY, but billing account 'ACME' bills in USD"):
        world.only_bill(day(5, 1), adjustments=(in_yen,))
