"""Pay-in-advance fees per event, and the true-up that reconciles them with the period's price."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tollway.conventions import Conventions, profile
from tollway.money import Currency, Money, RoundingMode, RoundingStage, currency
from tollway.pricing import PricingModel, UsageEvent
from tollway.pricing._advance import EventFee, advance_true_up, per_event_fees
from tollway.pricing._percentage import Percentage
from tollway.pricing._tiers import Graduated, Tier

USD = currency("USD")
JPY = currency("JPY")
BHD = currency("BHD")
TOLLWAY = profile("tollway")
LAGO = profile("lago")

# 1.00 per unit up to 10; 0.50 per unit up to 20 and a 5.00 flat fee on entering; 0.25 above.
STORAGE = Graduated(
    (
        Tier.of(up_to="10", unit_price="1.00"),
        Tier.of(up_to="20", unit_price="0.50", flat_price="5.00"),
        Tier.of(up_to=None, unit_price="0.25"),
    )
)


def uploads(*quantities: str) -> list[UsageEvent]:
    return [
        UsageEvent.of(quantity, record_id=f"upload-{number}")
        for number, quantity in enumerate(quantities, start=1)
    ]


def fees_of(
    model: PricingModel,
    events: list[UsageEvent],
    *,
    in_currency: Currency = USD,
    conventions: Conventions = TOLLWAY,
    prior_events: list[UsageEvent] | None = None,
) -> tuple[EventFee, ...]:
    return per_event_fees(
        model,
        events,
        currency=in_currency,
        conventions=conventions,
        prior_events=prior_events or (),
    )


def amounts(fees: tuple[EventFee, ...]) -> list[str]:
    return [str(fee.amount) for fee in fees]


def true_up(
    model: PricingModel,
    events: list[UsageEvent],
    fees: tuple[EventFee, ...],
    *,
    in_currency: Currency = USD,
    conventions: Conventions = TOLLWAY,
) -> Money:
    return advance_true_up(model, events, fees, currency=in_currency, conventions=conventions)


def test_event_crossing_into_a_tier_pays_its_flat_fee() -> None:
    # 4, 4: 4.00 each in tier 1. The third 4 goes from 8 to 12: 2 x 1.00 + 2 x 0.50 + 5.00 flat
    # = 8.00. The last 10 goes from 12 to 22: 8 x 0.50 + 2 x 0.25 = 4.50. Sum 20.50 = the period.
    events = uploads("4", "4", "4", "10")
    fees = fees_of(STORAGE, events)
    assert amounts(fees) == ["4.00 USD", "4.00 USD", "8.00 USD", "4.50 USD"]
    assert [fee.record_id for fee in fees] == ["upload-1", "upload-2", "upload-3", "upload-4"]
    assert true_up(STORAGE, events, fees) == Money.of("0.00", "USD")


def test_prior_events_of_the_period_are_already_billed() -> None:
    # 9 units already billed; 3 more go from 9 to 12: 1 x 1.00 + 2 x 0.50 + 5.00 = 7.00
    fees = fees_of(STORAGE, uploads("3"), prior_events=uploads("9"))
    assert amounts(fees) == ["7.00 USD"]


def test_fees_computed_in_batches_match_fees_computed_at_once() -> None:
    events = uploads("4", "4", "4", "10")
    in_batches = fees_of(STORAGE, events[:2]) + fees_of(
        STORAGE, events[2:], prior_events=events[:2]
    )
    assert in_batches == fees_of(STORAGE, events)


def test_zero_quantity_event_pays_nothing() -> None:
    assert amounts(fees_of(STORAGE, uploads("0", "3"))) == ["0.00 USD", "3.00 USD"]


def test_fractional_quantities() -> None:
    # 9.5 → 9.50; 0.5 more reaches 10, 0.5 enters tier 2: 0.50 + 0.25 + 5.00 = 5.75
    assert amounts(fees_of(STORAGE, uploads("9.5", "1"))) == ["9.50 USD", "5.75 USD"]


def test_no_events_no_fees() -> None:
    assert fees_of(STORAGE, []) == ()
    assert true_up(STORAGE, [], ()) == Money.of("0.00", "USD")


HALF_CENT = Graduated((Tier.of(up_to=None, unit_price="0.005"),))


def test_per_event_rounding_drift_is_trued_up() -> None:
    # Each event: 0.005 → 0.01 (half-up); 3 events charged 0.03. The period, 0.015, rounds once
    # to 0.02: the true-up credits 0.01.
    events = uploads("1", "1", "1")
    fees = fees_of(HALF_CENT, events)
    assert amounts(fees) == ["0.01 USD", "0.01 USD", "0.01 USD"]
    assert [fee.precise for fee in fees] == [Decimal("0.005")] * 3
    assert true_up(HALF_CENT, events, fees) == Money.of("-0.01", "USD")


def test_per_event_rounding_drift_under_half_even() -> None:
    # Each event: 0.005 → 0.00 (half-even); the period 0.015 → 0.02: the true-up bills 0.02
    half_even = TOLLWAY.replace(rounding_mode=RoundingMode.HALF_EVEN)
    events = uploads("1", "1", "1")
    fees = fees_of(HALF_CENT, events, conventions=half_even)
    assert amounts(fees) == ["0.00 USD", "0.00 USD", "0.00 USD"]
    assert true_up(HALF_CENT, events, fees, conventions=half_even) == Money.of("0.02", "USD")


def test_yen_events_round_to_whole_yen() -> None:
    # 0.5 JPY per unit: each event 0.5 → 1 JPY, 3 charged; the period 1.5 → 2: true-up -1
    half_yen = Graduated((Tier.of(up_to=None, unit_price="0.5"),))
    events = uploads("1", "1", "1")
    fees = fees_of(half_yen, events, in_currency=JPY)
    assert amounts(fees) == ["1 JPY", "1 JPY", "1 JPY"]
    assert true_up(half_yen, events, fees, in_currency=JPY) == Money.of("-1", "JPY")


def test_bahraini_dinar_events_round_to_three_decimals() -> None:
    # 0.0004 BHD per unit: each event 0.0004 → 0.000; the period 0.0012 → 0.001: true-up 0.001
    tiny = Graduated((Tier.of(up_to=None, unit_price="0.0004"),))
    events = uploads("1", "1", "1")
    fees = fees_of(tiny, events, in_currency=BHD)
    assert amounts(fees) == ["0.000 BHD", "0.000 BHD", "0.000 BHD"]
    assert true_up(tiny, events, fees, in_currency=BHD) == Money.of("0.001", "BHD")


def test_flat_fee_due_at_zero_usage_belongs_to_no_event() -> None:
    # Lago charges the first tier's 5.00 flat fee even at zero usage, so it is in the price before
    # any event: the 2-unit event pays 2 x 1.00 = 2.00 and the true-up bills the 5.00.
    # Under tollway's convention the flat fee is due only with usage: the event pays 7.00.
    base_fee = Graduated((Tier.of(up_to=None, unit_price="1", flat_price="5"),))
    events = uploads("2")
    lago_fees = fees_of(base_fee, events, conventions=LAGO)
    assert amounts(lago_fees) == ["2.00 USD"]
    assert true_up(base_fee, events, lago_fees, conventions=LAGO) == Money.of("5.00", "USD")
    assert amounts(fees_of(base_fee, events)) == ["7.00 USD"]


def test_lago_percentage_paid_in_advance() -> None:
    # Lago's documented example, paid per transaction: the first 3 transactions are free, the
    # fourth pays 0.10 + 1.2 % x 50 = 0.70
    card = Percentage(
        rate=Decimal("1.2"),
        fixed_fee_per_transaction=Decimal("0.10"),
        free_transactions=3,
        free_amount=Decimal("500"),
    )
    events = [UsageEvent.of(1, amount=value) for value in ("200", "100", "100", "50")]
    assert amounts(fees_of(card, events)) == ["0.00 USD", "0.00 USD", "0.00 USD", "0.70 USD"]


# Odd unit prices and flat fees make almost every event's fee a fraction of a minor unit.
ODD_TIERS = Graduated(
    (
        Tier.of(up_to="7", unit_price="0.0037", flat_price="0.005"),
        Tier.of(up_to="19.5", unit_price="0.0013", flat_price="0.0125"),
        Tier.of(up_to=None, unit_price="0.00071"),
    )
)


@given(
    quantities=st.lists(st.decimals(min_value="0", max_value="12", places=2), max_size=15),
    in_currency=st.sampled_from([USD, JPY, BHD]),
    mode=st.sampled_from([RoundingMode.HALF_UP, RoundingMode.HALF_EVEN]),
    scale=st.sampled_from([Decimal(1), Decimal(100), Decimal(1000)]),
)
def test_per_event_fees_drift_at_most_half_a_minor_unit_per_event(
    quantities: list[Decimal], in_currency: Currency, mode: RoundingMode, scale: Decimal
) -> None:
    model = Graduated(
        tuple(
            Tier(tier.up_to, tier.unit_price * scale, tier.flat_price * scale)
            for tier in ODD_TIERS.tiers
        )
    )
    conventions = TOLLWAY.replace(rounding_mode=mode)
    events = [UsageEvent(quantity=quantity) for quantity in quantities]
    fees = fees_of(model, events, in_currency=in_currency, conventions=conventions)
    period = model.price(events, currency=in_currency, conventions=conventions).precise_amount
    half_unit = in_currency.minor_unit / 2
    charged = sum((fee.amount.amount for fee in fees), Decimal(0))
    # The precise fees add up to the period's precise price exactly (they telescope) ...
    assert sum((fee.precise for fee in fees), Decimal(0)) == period
    # ... and each event's rounding moves the sum by at most half a minor unit.
    assert abs(charged - period) <= half_unit * len(events)
    # The true-up also absorbs the period's own rounding: at most half a unit more.
    drift = true_up(model, events, fees, in_currency=in_currency, conventions=conventions)
    assert abs(drift.amount) <= half_unit * (len(events) + 1)


# Two tiers of 0.004 per unit: each event's 1 unit lands in its own tier.
TWO_TIERS_OF_0_004 = Graduated(
    (Tier.of(up_to="1", unit_price="0.004"), Tier.of(up_to=None, unit_price="0.004"))
)


def test_true_up_follows_the_per_increment_stage() -> None:
    # OpenMeter rounds per line: tier 1 0.004 → 0.00, tier 2 0.004 → 0.00, so the period's price
    # is 0.00. Each event pays 0.004 → 0.00, so nothing is left to true up (rounding the precise
    # 0.008 once would wrongly bill 0.01).
    openmeter = profile("openmeter")
    events = uploads("1", "1")
    fees = fees_of(TWO_TIERS_OF_0_004, events, conventions=openmeter)
    assert amounts(fees) == ["0.00 USD", "0.00 USD"]
    assert true_up(TWO_TIERS_OF_0_004, events, fees, conventions=openmeter) == Money.of(
        "0.00", "USD"
    )


def test_true_up_under_per_invoice_stays_precise() -> None:
    # Per invoice the period's price stays 0.008; the events paid 0.00 + 0.00 (each 0.004 rounds
    # to 0.00), so the true-up is the precise 0.008 and the invoice rounds its total.
    per_invoice = TOLLWAY.replace(rounding_stage=RoundingStage.PER_INVOICE)
    events = uploads("1", "1")
    fees = fees_of(TWO_TIERS_OF_0_004, events, conventions=per_invoice)
    assert amounts(fees) == ["0.00 USD", "0.00 USD"]
    drift = true_up(TWO_TIERS_OF_0_004, events, fees, conventions=per_invoice)
    assert drift == Money(Decimal("0.008"), USD)


@given(
    quantities=st.lists(st.decimals(min_value="0", max_value="12", places=2), max_size=10),
    in_currency=st.sampled_from([USD, JPY, BHD]),
    mode=st.sampled_from(RoundingMode),
    stage=st.sampled_from(RoundingStage),
    flat_fee_at_zero=st.booleans(),
)
def test_fees_plus_true_up_equal_the_periods_price_in_every_stage(
    quantities: list[Decimal],
    in_currency: Currency,
    mode: RoundingMode,
    stage: RoundingStage,
    flat_fee_at_zero: bool,
) -> None:
    conventions = TOLLWAY.replace(
        rounding_mode=mode, rounding_stage=stage, flat_fee_at_zero=flat_fee_at_zero
    )
    events = [UsageEvent(quantity=quantity) for quantity in quantities]
    fees = fees_of(ODD_TIERS, events, in_currency=in_currency, conventions=conventions)
    drift = true_up(ODD_TIERS, events, fees, in_currency=in_currency, conventions=conventions)
    period = ODD_TIERS.price(events, currency=in_currency, conventions=conventions)
    charged = sum((fee.amount.amount for fee in fees), Decimal(0))
    assert charged + drift.amount == period.amount.amount
