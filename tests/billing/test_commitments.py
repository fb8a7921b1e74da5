"""Commitment shortfalls: monthly on each bill, annual on the bill that closes a contract year.

The circuit: a DIA port at 1000.00 a month in advance plus data at 1.50 per GB, activated on
Mar 1; the Apr 1 bill carries April's port charge and March's data.
"""

from decimal import Decimal

import pytest
from billing_world import World, activate, day, summary

from tollway.billing import CustomerBill
from tollway.billing._charges import BillingError
from tollway.catalog import ChargeKind
from tollway.contracts import Commitment, CommitmentPeriod
from tollway.money import Money
from tollway.pricing import PerUnit


def committed(
    world: World, *commitments: Commitment, start: str = "2026-01-01", discount: str = "0"
) -> None:
    year, month, day_of_month = (int(part) for part in start.split("-"))
    world.account("ACME")
    world.offering("dia", mrc="1000.00", usage=("data_gb", PerUnit.of("1.50")))
    world.agreement(
        "AG1",
        account="ACME",
        start=day(month, day_of_month, year),
        term_months=24,
        commitments=commitments,
        discount_percent=discount,
    )
    world.product(
        "P1", account="ACME", offering="dia", agreement="AG1", events=[activate(day(3, 1))]
    )


def april_bill(world: World, gigabytes: str, **options: object) -> CustomerBill:
    march_bill = world.only_bill(day(3, 1), **options)
    usage = world.rated("P1", "data_gb", 3, gigabytes)
    return world.only_bill(
        day(4, 1), rated_usage=usage, previously_billed=march_bill.lines, **options
    )


def monthly(
    minimum: str, percent: str = "100", kinds: tuple[ChargeKind, ...] = tuple(ChargeKind)
) -> Commitment:
    return Commitment("C1", CommitmentPeriod.MONTHLY, Decimal(minimum), Decimal(percent), kinds)


def test_monthly_shortfall_charges_a_share_of_what_is_missing() -> None:
    world = World()
    committed(world, monthly("2000.00", percent="50"))
    bill = april_bill(world, "100")
    # Counted: April's port 1000.00 + March data 100 GB x 1.50 = 150.00 -> 1150.00
    # Shortfall 2000.00 - 1150.00 = 850.00; 50% of it = 425.00
    assert summary(bill) == [
        ("ACME", "", "penalty", "04-01..05-01", "425.00"),
        ("ACME", "CKT-P1", "recurring", "04-01..05-01", "1000.00"),
        ("ACME", "CKT-P1", "usage", "03-01..04-01", "150.00"),
    ]
    assert "counted 1150.00 of the minimum 2000.00" in bill.lines[0].breakdown[0].description


def test_no_penalty_when_the_minimum_is_met() -> None:
    world = World()
    committed(world, monthly("1150.00"))
    # 1000.00 + 100 x 1.50 = 1150.00: exactly the minimum.
    assert [line.charge_type.value for line in april_bill(world, "100").lines] == [
        "recurring",
        "usage",
    ]


def test_only_the_counted_kinds_count() -> None:
    world = World()
    committed(world, monthly("1000.00", kinds=(ChargeKind.USAGE,)))
    # Only usage counts: 150.00 of 1000.00; the whole shortfall 850.00 is charged.
    assert summary(april_bill(world, "100"))[0][-1] == "850.00"


def test_commitments_count_charges_before_discounts() -> None:
    world = World()
    committed(world, monthly("1150.00"), discount="10")
    bill = april_bill(world, "100")
    # The 10% contract discount (-100.00 on the port) does not make the minimum fall short.
    assert [line.charge_type.value for line in bill.lines] == ["recurring", "usage", "discount"]


def test_no_monthly_evaluation_before_the_agreement_starts() -> None:
    world = World()
    committed(world, monthly("5000.00"), start="2026-04-15")
    assert [line.charge_type.value for line in april_bill(world, "100").lines] == [
        "recurring",
        "usage",
    ]


def annual(minimum: str, percent: str) -> Commitment:
    return Commitment("Y1", CommitmentPeriod.ANNUAL, Decimal(minimum), Decimal(percent))


def test_annual_shortfall_on_the_bill_closing_the_contract_year() -> None:
    world = World()
    committed(world, annual("20000.00", "25"), start="2025-05-01")
    earlier = {("AG1", "Y1"): Money.of("10000.00", "USD")}
    bill = april_bill(world, "100", year_to_date=earlier)
    # The contract year May 1 2025 - May 1 2026 ends within this bill's cycle (Apr 1 - May 1).
    # Counted: 10000.00 earlier + 1150.00 on this bill = 11150.00
    # Shortfall 20000.00 - 11150.00 = 8850.00; 25% = 2212.50
    penalty = bill.lines[0]
    assert (penalty.charge_type.value, penalty.amount.amount) == ("penalty", Decimal("2212.50"))
    assert (penalty.period_start, penalty.period_end) == (day(5, 1, 2025), day(5, 1, 2026))


def test_annual_commitment_is_not_evaluated_mid_year() -> None:
    world = World()
    committed(world, annual("20000.00", "25"), start="2025-06-01")
    bill = april_bill(world, "100")
    assert [line.charge_type.value for line in bill.lines] == ["recurring", "usage"]


def test_annual_evaluation_needs_the_year_to_date_total() -> None:
    world = World()
    committed(world, annual("20000.00", "25"), start="2025-05-01")
    with pytest.raises(BillingError, match=r"year_to_date\[\('AG1', 'Y1'\)\]"):
        april_bill(world, "100")
