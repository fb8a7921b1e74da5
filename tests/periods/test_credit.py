"""Credits for unused prepaid time on a cancellation, and the two lines of a plan change."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tollway.conventions import Conventions, CreditBasis, profile
from tollway.periods import (
    BillingPeriod,
    Cadence,
    Credit,
    PeriodError,
    period_containing,
    plan_change,
    unused_credit,
)

NEW_YORK = ZoneInfo("America/New_York")
TOLLWAY = profile("tollway")
CURRENT_PRICE = TOLLWAY.replace(credit_basis=CreditBasis.CURRENT_PRICE)


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


APRIL = period_containing(utc(2024, 4, 1), cadence=Cadence.MONTHLY, time_zone="UTC")
"""April 2024 in UTC: 30 days, prepaid."""

MONEY_THIRD = Decimal("0.33333333333333333333333333333333333333")
"""10/30 to the 38 significant digits of MONEY_CONTEXT."""


def cancel(
    billed: str,
    current: str,
    change_at: datetime,
    conventions: Conventions = TOLLWAY,
    period: BillingPeriod = APRIL,
) -> Credit:
    return unused_credit(
        billed_amount=Decimal(billed),
        current_amount=Decimal(current),
        period=period,
        change_at=change_at,
        conventions=conventions,
    )


class TestUnusedCredit:
    def test_cancelling_on_april_21_credits_the_last_10_days(self) -> None:
        # Apr 21 – Apr 30 is 10 of 30 days: -(30.00 * 10/30) = -10.
        credit = cancel("30.00", "30.00", utc(2024, 4, 21))
        assert credit.amount == Decimal(-10)
        assert credit.fraction == MONEY_THIRD
        assert (credit.proration.numerator, credit.proration.denominator) == (10, 30)
        assert credit.description == (
            "unused time credited at the last billed price 30.00: 10/30 days: "
            "2024-04-21 to 2024-05-01 (end excluded) of the period 2024-04-01 to 2024-05-01"
        )

    def test_a_stub_is_credited_against_the_full_cycle_that_holds_it(self) -> None:
        # The stub Mar 10 – Mar 31 2023 (billed from the 1st) was charged 22/31 of 31.00 = 22.00.
        # Cancelled on Mar 20: Mar 20 – Mar 31 is 12 of March's 31 days: -(31.00 * 12/31) = -12,
        # leaving 10.00 for the 10 days used.
        stub = BillingPeriod(utc(2023, 3, 10), utc(2023, 4, 1), Cadence.MONTHLY, 1)
        credit = cancel("31.00", "31.00", utc(2023, 3, 20), period=stub)
        assert credit.amount == Decimal(-12)
        assert (credit.proration.numerator, credit.proration.denominator) == (12, 31)

    def test_last_billed_price_credits_what_was_paid(self) -> None:
        # The price rose from 30.00 to 45.00 after April was billed: credit 10/30 of 30.00.
        credit = cancel("30.00", "45.00", utc(2024, 4, 21))
        assert (credit.amount, credit.credited_price) == (Decimal(-10), Decimal("30.00"))
        assert credit.credit_basis is CreditBasis.LAST_BILLED_PRICE

    def test_current_price_credits_at_todays_price(self) -> None:
        # 10/30 of 45.00 = 15.
        credit = cancel("30.00", "45.00", utc(2024, 4, 21), CURRENT_PRICE)
        assert (credit.amount, credit.credited_price) == (Decimal(-15), Decimal("45.00"))
        assert credit.description.startswith("unused time credited at the current price 45.00")

    def test_stripe_classic_credits_the_current_price_to_the_second(self) -> None:
        # Apr 21 06:00 → May 1: 9.75 days = 842,400 s of 2,592,000 s; 45.00 * 0.325 = 14.625.
        credit = cancel("30.00", "45.00", utc(2024, 4, 21, 6), profile("stripe"))
        assert credit.proration.numerator == 842_400
        assert credit.amount == Decimal("-14.625")

    def test_cancelling_at_the_start_credits_everything(self) -> None:
        credit = cancel("30.00", "30.00", APRIL.start)
        assert (credit.fraction, credit.amount) == (1, Decimal("-30.00"))

    def test_cancelling_at_the_end_credits_nothing(self) -> None:
        credit = cancel("30.00", "30.00", APRIL.end)
        assert (credit.fraction, credit.amount) == (0, 0)

    @pytest.mark.parametrize(
        ("billed", "expected"),
        [
            ("3000", Decimal(-1000)),  # JPY: 3000 * 10/30
            ("9.000", Decimal(-3)),  # BHD: 9.000 * 10/30
            ("0", Decimal(0)),  # a free period has nothing to credit
        ],
    )
    def test_credits_in_zero_and_three_decimal_currencies(
        self, billed: str, expected: Decimal
    ) -> None:
        assert cancel(billed, billed, utc(2024, 4, 21)).amount == expected

    def test_lago_counts_the_day_of_a_mid_day_cancellation_as_unused(self) -> None:
        # Cancelled Apr 20 at 10:00: Apr 20 – Apr 30 touched, 11 whole days: -(30.00 * 11/30).
        credit = cancel("30.00", "30.00", utc(2024, 4, 20, 10), profile("lago"))
        assert credit.amount == Decimal(-11)

    def test_killbill_rounds_the_unused_fraction_to_9_decimals(self) -> None:
        # Cancelled Mar 10, 2024: Mar 10 – Mar 31 is 22/31 = 0.709677419|35... → 0.709677419;
        # -(31.00 * 0.709677419) = -21.999999989.
        march = period_containing(utc(2024, 3, 1), cadence=Cadence.MONTHLY, time_zone="UTC")
        credit = cancel("31.00", "31.00", utc(2024, 3, 10), profile("killbill"), march)
        assert credit.fraction == Decimal("0.709677419")
        assert credit.amount == Decimal("-21.999999989")

    def test_a_credit_in_the_dst_month_is_counted_in_local_days(self) -> None:
        # New York March 2024: cancelled Mar 10 00:00 local, Mar 10 – Mar 31 is 22 of 31 days.
        march = period_containing(utc(2024, 3, 15), cadence=Cadence.MONTHLY, time_zone=NEW_YORK)
        credit = cancel("31.00", "31.00", datetime(2024, 3, 10, tzinfo=NEW_YORK), period=march)
        assert credit.amount == Decimal(-22)

    def test_a_change_outside_the_period_is_refused(self) -> None:
        with pytest.raises(PeriodError, match="outside the period") as raised:
            cancel("30.00", "30.00", utc(2024, 5, 2))
        assert raised.value.field == "change_at"


class TestPlanChange:
    def test_an_upgrade_credits_the_old_plan_and_charges_the_new_one_from_the_change(self) -> None:
        # 30.00 → 60.00 on Apr 21: credit -(30 * 10/30) = -10, charge 60 * 10/30 = 20, net 10.
        upgrade = plan_change(
            old_billed_amount=Decimal("30.00"),
            old_current_amount=Decimal("30.00"),
            new_amount=Decimal("60.00"),
            period=APRIL,
            change_at=utc(2024, 4, 21),
            conventions=TOLLWAY,
        )
        assert upgrade.credit.amount == Decimal(-10)
        assert upgrade.charge.amount == Decimal(20)
        assert upgrade.net_amount == Decimal(10)
        assert upgrade.charge.description == (
            "10/30 days: 2024-04-21 to 2024-05-01 (end excluded) "
            "of the period 2024-04-01 to 2024-05-01"
        )

    def test_a_downgrade_leaves_the_customer_in_credit(self) -> None:
        # 60.00 → 30.00 on Apr 11: credit -(60 * 20/30) = -40, charge 30 * 20/30 = 20, net -20.
        downgrade = plan_change(
            old_billed_amount=Decimal("60.00"),
            old_current_amount=Decimal("60.00"),
            new_amount=Decimal("30.00"),
            period=APRIL,
            change_at=utc(2024, 4, 11),
            conventions=TOLLWAY,
        )
        assert (downgrade.credit.amount, downgrade.charge.amount) == (Decimal(-40), Decimal(20))
        assert downgrade.net_amount == Decimal(-20)

    def test_the_credit_basis_applies_to_the_old_plan_only(self) -> None:
        # Old plan billed at 30.00, now listed at 36.00; the current price credits 36 * 10/30 = 12.
        change = plan_change(
            old_billed_amount=Decimal("30.00"),
            old_current_amount=Decimal("36.00"),
            new_amount=Decimal("90.00"),
            period=APRIL,
            change_at=utc(2024, 4, 21),
            conventions=CURRENT_PRICE,
        )
        assert (change.credit.amount, change.charge.amount, change.net_amount) == (-12, 30, 18)

    def test_a_mid_day_change_under_exact_partial_days(self) -> None:
        # Apr 21 18:00 leaves 9.25 days: credit -(30 * 9.25/30) = -9.25, charge 60 * 9.25/30 = 18.5.
        change = plan_change(
            old_billed_amount=Decimal("30.00"),
            old_current_amount=Decimal("30.00"),
            new_amount=Decimal("60.00"),
            period=APRIL,
            change_at=utc(2024, 4, 21, 18),
            conventions=TOLLWAY,  # end-exclusive days, exact partial days
        )
        assert (change.credit.amount, change.charge.amount) == (Decimal("-9.25"), Decimal("18.5"))

    def test_a_change_before_the_period_is_refused(self) -> None:
        with pytest.raises(PeriodError) as raised:
            plan_change(
                old_billed_amount=Decimal("30.00"),
                old_current_amount=Decimal("30.00"),
                new_amount=Decimal("60.00"),
                period=APRIL,
                change_at=utc(2024, 3, 31),
                conventions=TOLLWAY,
            )
        assert raised.value.field == "change_at"
