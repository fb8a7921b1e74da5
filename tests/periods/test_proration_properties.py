"""Invariants of proration under every convention, and the conventions that are not additive.

Every combination of basis, denominator, partial day and fraction rounding is exercised on periods
of every cadence in zones with DST (New York), half-hour DST (Lord Howe), a skipped midnight
(Santiago) and none (UTC, Kolkata).
"""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from tollway.conventions import (
    Conventions,
    CreditBasis,
    PartialDay,
    ProrationBasis,
    ProrationDenominator,
    profile,
)
from tollway.money import MONEY_CONTEXT
from tollway.periods import (
    BillingPeriod,
    Cadence,
    local_midnight,
    period_containing,
    prorate,
    splits_add_up,
    unused_credit,
)

ZONES = ["UTC", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"]
EPOCH = datetime(1990, 1, 1, tzinfo=UTC)
SPAN_MICROSECONDS = 80 * 366 * 86_400 * 1_000_000
TOLERANCE = Decimal("1e-25")
"""Each prorated amount is kept to 38 significant digits; amounts up to 10^9 then add up to
within 10^-28 per side."""

ALL_CONVENTIONS = [
    profile("tollway").replace(
        proration_basis=basis,
        proration_denominator=denominator,
        partial_day=partial_day,
        proration_fraction_decimals=fraction_decimals,
    )
    for basis, denominator, partial_day, fraction_decimals in itertools.product(
        ProrationBasis, ProrationDenominator, PartialDay, (None, 9)
    )
]
ADDITIVE = [conventions for conventions in ALL_CONVENTIONS if splits_add_up(conventions)]
ADDITIVE_AT_MIDNIGHT = [
    conventions
    for conventions in ALL_CONVENTIONS
    if splits_add_up(conventions, at_local_midnight=True)
]


@st.composite
def periods(draw: st.DrawFn) -> BillingPeriod:
    instant = EPOCH + timedelta(microseconds=draw(st.integers(0, SPAN_MICROSECONDS)))
    cadence = draw(st.sampled_from(Cadence))
    bill_cycle_day = draw(st.integers(1, 7 if cadence is Cadence.WEEKLY else 31))
    return period_containing(
        instant,
        cadence=cadence,
        time_zone=draw(st.sampled_from(ZONES)),
        bill_cycle_day=bill_cycle_day,
    )


def instants_in(period: BillingPeriod) -> st.SearchStrategy[datetime]:
    start = period.start.astimezone(UTC)
    length = period.end.astimezone(UTC) - start
    return st.integers(0, length // timedelta(microseconds=1)).map(
        lambda offset: start + timedelta(microseconds=offset)
    )


def midnights_in(period: BillingPeriod) -> st.SearchStrategy[datetime]:
    first = period.start.astimezone(period.time_zone).date()
    return st.integers(0, period.days).map(
        lambda days: local_midnight(first + timedelta(days=days), time_zone=period.time_zone)
    )


amounts = st.builds(
    lambda units, places: Decimal(units).scaleb(-places),
    st.integers(0, 10**12),
    st.integers(0, 3),  # JPY, ..., USD, BHD
)


def charge(
    price: Decimal, start: datetime, end: datetime, period: BillingPeriod, conventions: Conventions
) -> Decimal:
    return prorate(
        price, interval_start=start, interval_end=end, period=period, conventions=conventions
    ).amount


def close(left: Decimal, right: Decimal) -> bool:
    return abs(MONEY_CONTEXT.subtract(left, right)) <= TOLERANCE


@given(st.sampled_from(ALL_CONVENTIONS), periods(), amounts)
def test_the_whole_period_is_the_full_price_under_every_convention(
    conventions: Conventions, period: BillingPeriod, price: Decimal
) -> None:
    whole = prorate(
        price,
        interval_start=period.start,
        interval_end=period.end,
        period=period,
        conventions=conventions,
    )
    assert whole.fraction == 1
    assert whole.amount == price


@given(st.sampled_from(ALL_CONVENTIONS), st.data(), amounts)
def test_fractions_stay_between_0_and_1(
    conventions: Conventions, data: st.DataObject, price: Decimal
) -> None:
    period = data.draw(periods())
    first, second = data.draw(instants_in(period)), data.draw(instants_in(period))
    start, end = min(first, second), max(first, second)
    result = prorate(
        price, interval_start=start, interval_end=end, period=period, conventions=conventions
    )
    assert 0 <= result.fraction <= 1
    assert 0 <= result.amount <= price


@given(st.sampled_from(ADDITIVE), st.data(), amounts)
def test_a_split_anywhere_adds_up_to_the_full_price(
    conventions: Conventions, data: st.DataObject, price: Decimal
) -> None:
    period = data.draw(periods())
    split = data.draw(instants_in(period))
    before = charge(price, period.start, split, period, conventions)
    after = charge(price, split, period.end, period, conventions)
    assert close(MONEY_CONTEXT.add(before, after), price)


@given(st.sampled_from(ADDITIVE_AT_MIDNIGHT), st.data(), amounts)
def test_a_split_at_local_midnight_adds_up_for_whole_day_conventions(
    conventions: Conventions, data: st.DataObject, price: Decimal
) -> None:
    period = data.draw(periods())
    split = data.draw(midnights_in(period))
    before = charge(price, period.start, split, period, conventions)
    after = charge(price, split, period.end, period, conventions)
    assert close(MONEY_CONTEXT.add(before, after), price)


def split_at_a_midnight_inside(data: st.DataObject) -> tuple[BillingPeriod, datetime]:
    period = data.draw(periods())
    split = data.draw(midnights_in(period))
    assume(period.start < split < period.end)
    return period, split


@given(st.sampled_from(ADDITIVE_AT_MIDNIGHT), st.data(), amounts)
def test_a_leading_stub_and_the_start_of_its_cycle_add_up_to_the_full_price(
    conventions: Conventions, data: st.DataObject, price: Decimal
) -> None:
    period, split = split_at_a_midnight_inside(data)
    stub = BillingPeriod(split, period.end, period.cadence, period.bill_cycle_day)
    stub_charge = charge(price, stub.start, stub.end, stub, conventions)
    before = charge(price, period.start, split, period, conventions)
    assert close(MONEY_CONTEXT.add(stub_charge, before), price)


@given(st.sampled_from(ADDITIVE_AT_MIDNIGHT), st.data(), amounts)
def test_a_trailing_stub_and_the_rest_of_its_cycle_add_up_to_the_full_price(
    conventions: Conventions, data: st.DataObject, price: Decimal
) -> None:
    # Monthly and weekly only: a quarterly or annual stub whose ends both fall on the bill-cycle
    # day of their months is read as a leading stub (see `prorate`).
    period, split = split_at_a_midnight_inside(data)
    assume(period.cadence in (Cadence.MONTHLY, Cadence.WEEKLY))
    stub = BillingPeriod(period.start, split, period.cadence, period.bill_cycle_day)
    stub_charge = charge(price, stub.start, stub.end, stub, conventions)
    after = charge(price, split, period.end, period, conventions)
    assert close(MONEY_CONTEXT.add(stub_charge, after), price)


@given(st.sampled_from(ADDITIVE), st.sampled_from(CreditBasis), st.data(), amounts)
def test_the_unused_credit_leaves_exactly_the_charge_for_the_used_part(
    conventions: Conventions, credit_basis: CreditBasis, data: st.DataObject, price: Decimal
) -> None:
    period = data.draw(periods())
    split = data.draw(instants_in(period))
    credit = unused_credit(
        billed_amount=price,
        current_amount=price,
        period=period,
        change_at=split,
        conventions=conventions.replace(credit_basis=credit_basis),
    )
    assert credit.amount <= 0
    used = charge(price, period.start, split, period, conventions)
    assert close(MONEY_CONTEXT.add(price, credit.amount), used)


class TestConventionsThatDoNotAddUp:
    """Each convention `splits_add_up` calls non-additive, with the split that shows it."""

    march = period_containing(
        datetime(2024, 3, 1, tzinfo=UTC), cadence=Cadence.MONTHLY, time_zone="UTC"
    )

    def split_total(
        self, conventions: Conventions, split: datetime, period: BillingPeriod, price: str = "31"
    ) -> Decimal:
        before = charge(Decimal(price), period.start, split, period, conventions)
        after = charge(Decimal(price), split, period.end, period, conventions)
        return MONEY_CONTEXT.add(before, after)

    def rules(self, basis: ProrationBasis, **changes: object) -> Conventions:
        return profile("tollway").replace(proration_basis=basis, **changes)

    def test_days_inclusive_counts_a_mid_day_split_twice(self) -> None:
        inclusive = self.rules(ProrationBasis.DAYS_INCLUSIVE)
        # Mar 1 – Mar 15 (15 days) + Mar 15 – Mar 31 (17 days) = 32 of 31 days.
        assert self.split_total(inclusive, datetime(2024, 3, 15, 10, tzinfo=UTC), self.march) == 32
        assert not splits_add_up(inclusive)
        assert splits_add_up(inclusive, at_local_midnight=True)

    def test_ceil_counts_a_mid_day_split_twice(self) -> None:
        ceil = self.rules(ProrationBasis.DAYS_END_EXCLUSIVE, partial_day=PartialDay.CEIL)
        assert self.split_total(ceil, datetime(2024, 3, 15, 10, tzinfo=UTC), self.march) == 32
        assert not splits_add_up(ceil)

    def test_thirty_360_counts_the_30th_and_31st_as_one_day_together_but_one_each(self) -> None:
        thirty = self.rules(ProrationBasis.THIRTY_360)
        january = period_containing(
            datetime(2024, 1, 1, tzinfo=UTC), cadence=Cadence.MONTHLY, time_zone="UTC"
        )
        # Jan 1 – Jan 30: 30 days (1); Jan 31: 1 day (1/30); 30.00 + 1.00 = 31 for a 30.00 month.
        total = self.split_total(thirty, datetime(2024, 1, 31, tzinfo=UTC), january, price="30.00")
        assert total == 31
        assert not splits_add_up(thirty, at_local_midnight=True)

    def test_actual_360_caps_a_31_day_month(self) -> None:
        actual_360 = self.rules(ProrationBasis.ACTUAL_360)
        # Mar 1 – Mar 15 is 15/30 and Mar 16 – Mar 31 is 16/30: 15 + 16 = 31 for a 30.00 month.
        total = self.split_total(actual_360, datetime(2024, 3, 16, tzinfo=UTC), self.march, "30.00")
        assert total == 31
        assert not splits_add_up(actual_360, at_local_midnight=True)

    def test_fixed_30_leaves_a_february_short(self) -> None:
        fixed = self.rules(
            ProrationBasis.DAYS_END_EXCLUSIVE, proration_denominator=ProrationDenominator.FIXED_30
        )
        february = period_containing(
            datetime(2023, 2, 1, tzinfo=UTC), cadence=Cadence.MONTHLY, time_zone="UTC"
        )
        # Feb 1 – Feb 14 is 14/30 and Feb 15 – Feb 28 is 14/30: 14 + 14 = 28 for a 30.00 month.
        total = self.split_total(fixed, datetime(2023, 2, 15, tzinfo=UTC), february, "30.00")
        assert total == 28
        assert not splits_add_up(fixed, at_local_midnight=True)

    def test_a_rounded_fraction_keeps_each_sides_rounding(self) -> None:
        # To 1 decimal: Mar 1 – Mar 16 12:00 is 15.5/31 = 0.5 → 0.5, but a 0.25 / 0.75 split of
        # a 30-day April rounds half-up on both sides: 0.3 + 0.8 = 1.1.
        one_decimal = self.rules(ProrationBasis.DAYS_END_EXCLUSIVE, proration_fraction_decimals=1)
        april = period_containing(
            datetime(2024, 4, 1, tzinfo=UTC), cadence=Cadence.MONTHLY, time_zone="UTC"
        )
        split = datetime(2024, 4, 8, 12, tzinfo=UTC)  # 7.5 of 30 days
        before = prorate(
            Decimal(10),
            interval_start=april.start,
            interval_end=split,
            period=april,
            conventions=one_decimal,
        )
        after = prorate(
            Decimal(10),
            interval_start=split,
            interval_end=april.end,
            period=april,
            conventions=one_decimal,
        )
        assert (before.fraction, after.fraction) == (Decimal("0.3"), Decimal("0.8"))
        assert not splits_add_up(one_decimal, at_local_midnight=True)

    def test_the_documentation_names_every_non_additive_convention(self) -> None:
        documentation = splits_add_up.__doc__ or ""
        for named in (
            "days_inclusive",
            "ceil",
            "thirty_360",
            "actual_360",
            "fixed_30",
            "proration_fraction_decimals",
        ):
            assert f"`{named}`" in documentation or named in documentation
