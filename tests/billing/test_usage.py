"""Usage lines from rated charges, and the charge-key convention the rating engines share."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from billing_world import World, activate, day, summary

from tollway.billing._charges import BillingError
from tollway.billing._usage import (
    UsageChargeKey,
    UsageChargeKeyError,
    _plain_line,
    parse_usage_charge_key,
    usage_charge_key,
)
from tollway.money import plain_decimal
from tollway.pricing import BreakdownLine, Graduated, PerUnit, Tier
from tollway.rating.reference import RatedCharge


def data_world(world: World, *, currency_code: str = "USD", unit_price: str = "0.25") -> None:
    world.account("ACME", currency_code=currency_code)
    world.offering("sdwan", usage=("data_gb", PerUnit.of(unit_price)), currency_code=currency_code)
    world.product("P1", account="ACME", offering="sdwan", events=[activate(day(1, 1))])


def test_the_key_names_account_product_usage_type_and_period_start_in_utc() -> None:
    new_york = timezone(timedelta(hours=-5))
    key = usage_charge_key(
        billing_account_id="ACME",
        product_id="P1",
        usage_type="voice_min",
        period_start=datetime(2026, 3, 1, tzinfo=new_york),
    )
    assert key == "ACME|P1|voice_min|2026-03-01T05:00:00+00:00"
    assert parse_usage_charge_key(key) == UsageChargeKey(
        "ACME", "P1", "voice_min", datetime(2026, 3, 1, 5, tzinfo=UTC)
    )
    assert str(parse_usage_charge_key(key)) == key


@pytest.mark.parametrize(
    "key",
    [
        "ACME|P1|data",
        "ACME||data|2026-03-01T00:00:00+00:00",
        "ACME|P1|data|March",
        "A|P|d|2026-03-01T00:00:00",
    ],
)
def test_a_malformed_key_is_refused(key: str) -> None:
    with pytest.raises(UsageChargeKeyError, match="usage charge key"):
        parse_usage_charge_key(key)


def test_an_id_holding_the_separator_cannot_make_a_key() -> None:
    with pytest.raises(UsageChargeKeyError, match="free of '\\|'"):
        usage_charge_key(
            billing_account_id="A|B", product_id="P1", usage_type="data", period_start=day(3, 1)
        )


def test_usage_lines_carry_the_rated_amounts() -> None:
    world = World()
    data_world(world)
    bill = world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "10.5", "2"))
    # 12.5 GB x 0.25 = 3.125 -> half-up 3.13
    assert summary(bill) == [("ACME", "CKT-P1", "usage", "03-01..04-01", "3.13")]
    line = bill.lines[0]
    assert (line.quantity, line.precise_amount, line.price_id) == (
        Decimal("12.5"),
        Decimal("3.125"),
        "sdwan-data_gb",
    )
    assert [step.kind for step in line.breakdown] == ["per_unit"]


def test_zero_usage_is_a_zero_line() -> None:
    world = World()
    data_world(world)
    bill = world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "0"))
    assert summary(bill) == [("ACME", "CKT-P1", "usage", "03-01..04-01", "0.00")]


def test_usage_exactly_on_a_tier_bound_stays_in_the_lower_tier() -> None:
    world = World()
    world.account("ACME")
    tiers = Graduated(
        (
            Tier.of(up_to="100", unit_price="0.10"),
            Tier.of(up_to=None, unit_price="0.05", flat_price="5"),
        )
    )
    world.offering("sdwan", usage=("data_gb", tiers))
    world.product("P1", account="ACME", offering="sdwan", events=[activate(day(1, 1))])
    on_bound = world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "100"))
    # 100 GB is in tier 1 (up to 100, inclusive): 100 x 0.10 = 10.00, tier 2 not entered.
    assert on_bound.lines[0].amount.amount == Decimal("10.00")
    past_bound = world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "100.5"))
    # 100 x 0.10 + 0.5 x 0.05 + tier 2 flat fee 5.00 = 15.025 -> 15.03
    assert past_bound.lines[0].amount.amount == Decimal("15.03")


def test_jpy_usage_rounds_to_whole_yen() -> None:
    world = World()
    data_world(world, currency_code="JPY", unit_price="3.7")
    bill = world.only_bill(day(4, 1), rated_usage=world.rated("P1", "data_gb", 3, "10.5"))
    # 10.5 GB x 3.7 yen = 38.85 -> 39 yen
    assert str(bill.lines[0].amount) == "39 JPY"


def test_usage_of_an_account_not_billed_by_the_run_is_refused() -> None:
    world = World()
    data_world(world)
    with pytest.raises(BillingError, match="no bill-cycle date in this run's window"):
        world.bill(day(4, 2), rated_usage=world.rated("P1", "data_gb", 3, "1"))


def test_usage_of_a_period_not_yet_closed_is_refused() -> None:
    world = World()
    data_world(world)
    key = usage_charge_key(
        billing_account_id="ACME", product_id="P1", usage_type="data_gb", period_start=day(4, 1)
    )
    charge = world.rated("P1", "data_gb", 3, "1")[0]
    early = RatedCharge(key, charge.price_id, charge.record_count, charge.result)
    with pytest.raises(BillingError, match="usage is billed once its period has closed"):
        world.bill(day(4, 1), rated_usage=[early])


def test_usage_of_an_unknown_product_is_refused() -> None:
    world = World()
    data_world(world)
    key = usage_charge_key(
        billing_account_id="ACME", product_id="P9", usage_type="data_gb", period_start=day(3, 1)
    )
    charge = world.rated("P1", "data_gb", 3, "1")[0]
    with pytest.raises(BillingError, match="billing account 'ACME' has no product 'P9'"):
        world.bill(day(4, 1), rated_usage=[RatedCharge(key, charge.price_id, 1, charge.result)])


def test_late_usage_of_an_older_period_is_billed_with_its_own_coverage() -> None:
    world = World()
    data_world(world)
    key = usage_charge_key(
        billing_account_id="ACME", product_id="P1", usage_type="data_gb", period_start=day(2, 1)
    )
    charge = world.rated("P1", "data_gb", 3, "4")[0]
    bill = world.only_bill(
        day(4, 1), rated_usage=[RatedCharge(key, charge.price_id, 1, charge.result)]
    )
    # 4 GB x 0.25 = 1.00 for February, billed late.
    assert summary(bill) == [("ACME", "CKT-P1", "usage", "02-01..03-01", "1.00")]


def test_breakdown_numbers_are_made_plain_alike_however_often_they_recur() -> None:
    # The second call of a pattern shares its number objects: it is checked once, by identity.
    fixed_scale = (Decimal("60.000"), Decimal("0.0200"), Decimal("1.200000"))
    calls = [BreakdownLine("increment", f"r{n}: 60 s", *fixed_scale) for n in (1, 2)]
    plain = [_plain_line(line) for line in calls]
    assert [(str(line.quantity), str(line.unit_price), str(line.amount)) for line in plain] == [
        ("60", "0.02", "1.2"),
        ("60", "0.02", "1.2"),
    ]
    assert [line.description for line in plain] == ["r1: 60 s", "r2: 60 s"]
    # Already plain: the very line comes back, first time and again.
    already = BreakdownLine("increment", "r3: 60 s", Decimal(60), None, Decimal("1.2"))
    assert _plain_line(already) is already
    assert _plain_line(replace(already, description="r4: 60 s")).description == "r4: 60 s"
    # Zeros (a signed one among them) get their plain form too.
    zero = BreakdownLine("increment", "r5", Decimal("-0.00"), None, Decimal("0E-2"))
    assert [str(_plain_line(zero).quantity), str(_plain_line(zero).amount)] == [
        str(plain_decimal(Decimal("-0.00"))),
        str(plain_decimal(Decimal("0E-2"))),
    ]
