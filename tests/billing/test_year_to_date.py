"""Which earlier lines count towards an annual commitment, and which runs close a contract year.

The world is `tiny_inputs`: ACME (bill-cycle day 1, UTC) with port P1 at 100.00 a month in
advance (price `port-mrc`).
"""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from tollway.billing import (
    AnnualClosing,
    AppliedBillingRate,
    BillingInputs,
    ChargeType,
    annual_closings,
    year_to_date_total,
    year_to_date_totals,
)
from tollway.billing._examples import tiny_inputs
from tollway.catalog import ChargeKind
from tollway.contracts import Agreement, Commitment, CommitmentPeriod
from tollway.money import Money, currency

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def _line(
    line_id: str,
    charge_type: ChargeType,
    amount: str,
    *,
    code: str = "USD",
    product_id: str | None = "P1",
    price_id: str | None = None,
) -> AppliedBillingRate:
    return AppliedBillingRate(
        line_id,
        "ACME",
        charge_type,
        line_id,
        MARCH,
        APRIL,
        Decimal(1),
        Money.of(amount, code),
        Decimal(amount),
        product_id=product_id,
        price_id=price_id,
    )


def _closing(kinds: tuple[ChargeKind, ...], code: str = "USD") -> AnnualClosing:
    return AnnualClosing(
        "AG1", "Y1", frozenset({"P1"}), frozenset(kinds), currency(code), MARCH, APRIL, MARCH
    )


EARLIER = [
    _line("recurring", ChargeType.RECURRING, "100.00", price_id="port-mrc"),
    _line("unused", ChargeType.CREDIT, "-40.00", price_id="port-mrc"),
    _line("usage", ChargeType.USAGE, "12.35"),
    _line("install", ChargeType.ONE_TIME, "250.00"),
    _line("discount", ChargeType.DISCOUNT, "-10.00"),
    _line("termination", ChargeType.PENALTY, "900.00"),
    _line("adjustment", ChargeType.ADJUSTMENT, "5.00"),
    _line("manual credit", ChargeType.CREDIT, "-25.00", product_id=None),
    _line("other circuit", ChargeType.USAGE, "77.00", product_id="P2"),
]


def test_every_kind_counts_the_circuits_charges_at_their_amounts_before_discounts() -> None:
    closing = _closing(tuple(ChargeKind))
    # 100.00 - 40.00 (unused time gives back recurring) + 12.35 + 250.00 = 322.35; discounts,
    # penalties, adjustments, manual credits and other circuits never count.
    assert year_to_date_total(closing, EARLIER, tiny_inputs()) == Money.of("322.35", "USD")


def test_only_the_counted_kinds_count() -> None:
    closing = _closing((ChargeKind.USAGE,))
    assert year_to_date_total(closing, EARLIER, tiny_inputs()) == Money.of("12.35", "USD")


def test_a_year_without_earlier_bills_counts_zero() -> None:
    closing = _closing(tuple(ChargeKind))
    assert year_to_date_totals([closing], {}, tiny_inputs()) == {
        ("AG1", "Y1"): Money.of("0.00", "USD")
    }


def test_yen_and_dinar_totals_keep_their_currencies_minor_units() -> None:
    yen = [_line("usage", ChargeType.USAGE, "375", code="JPY")] * 3
    dinar = [_line("usage", ChargeType.USAGE, "1.125", code="BHD")] * 2
    # 3 x 375 = 1,125 yen; 2 x 1.125 = 2.250 dinars.
    assert str(year_to_date_total(_closing((ChargeKind.USAGE,), "JPY"), yen, tiny_inputs())) == (
        "1125 JPY"
    )
    assert str(year_to_date_total(_closing((ChargeKind.USAGE,), "BHD"), dinar, tiny_inputs())) == (
        "2.250 BHD"
    )


def _with_annual_agreement(start: datetime) -> BillingInputs:
    inputs = tiny_inputs()
    agreement = Agreement(
        "AG1",
        "ACME",
        "Acme MSA",
        start,
        36,
        commitments=(
            Commitment("Y1", CommitmentPeriod.ANNUAL, Decimal("5000")),
            Commitment("M1", CommitmentPeriod.MONTHLY, Decimal("50")),
        ),
    )
    products = {"P1": replace(inputs.products["P1"], agreement_id="AG1")}
    return replace(inputs, agreements={"AG1": agreement}, products=products)


def test_the_run_whose_bill_holds_the_year_end_closes_it() -> None:
    # Agreement from 2025-04-15: the year ends 2026-04-15, inside the April bill's Apr 1 - May 1.
    inputs = _with_annual_agreement(datetime(2025, 4, 15, tzinfo=UTC))
    (closing,) = annual_closings(inputs, period_start=APRIL, period_end=APRIL.replace(day=2))
    assert closing.key == ("AG1", "Y1")
    assert (closing.year_start, closing.year_end, closing.bill_cycle_date) == (
        datetime(2025, 4, 15, tzinfo=UTC),
        datetime(2026, 4, 15, tzinfo=UTC),
        APRIL,
    )
    assert closing.product_ids == frozenset({"P1"})
    # The March bill (current period Mar 1 - Apr 1) is mid-year.
    assert annual_closings(inputs, period_start=MARCH, period_end=MARCH.replace(day=2)) == ()
