"""Pay-in-advance fees per event (Lago's `pay_in_advance` charges).

Each event is charged as it arrives: its fee is what the period's price grows by when the event is
added, `price(events up to and including it) - price(events before it)`, taken on the precise
amounts and then rounded on its own to the currency's minor unit with the conventions' rounding
mode. The event that crosses into a tier pays that tier's flat fee.

Rounding every event separately drifts from the period's price (by at most half a minor unit per
event under the half modes); `advance_true_up` measures that drift at the end of the period so it
can be billed or credited on the period's invoice: the fees plus the true-up are exactly the
period's `PriceResult.amount`, rounded at the conventions' rounding stage.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tollway.conventions import Conventions
from tollway.money import Currency, Money, round_decimal
from tollway.pricing._exact import exact_subtract, exact_sum
from tollway.pricing._model import PricingModel
from tollway.pricing._usage import UsageEvent


@dataclass(frozen=True, slots=True)
class EventFee:
    """The fee one event pays in advance: `amount` rounded to the minor unit, `precise` unrounded."""

    record_id: str | None
    amount: Money
    precise: Decimal

    def __post_init__(self) -> None:
        assert isinstance(self.precise, Decimal)
        assert self.amount.is_rounded, "an event fee is charged rounded"


def per_event_fees(
    model: PricingModel,
    events: Sequence[UsageEvent],
    *,
    currency: Currency,
    conventions: Conventions,
    prior_events: Sequence[UsageEvent] = (),
) -> tuple[EventFee, ...]:
    """The fee each of `events` pays on arrival, after `prior_events` of the same period.

    Prices the model once per event (quadratic in the period's events: this is the reference
    computation, engines keep running totals). A charge due at zero usage (the first tier's flat
    fee under `flat_fee_at_zero`) belongs to no event; `advance_true_up` picks it up.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> from tollway.pricing._dynamic import Dynamic
    >>> events = [UsageEvent.of(1, unit_price="0.005", record_id=name) for name in "abc"]
    >>> fees = per_event_fees(Dynamic(), events, currency=currency("USD"), conventions=profile())
    >>> [(fee.record_id, str(fee.amount), fee.precise) for fee in fees]
    [('a', '0.01 USD', Decimal('0.005')), ('b', '0.01 USD', Decimal('0.005')), ('c', '0.01 USD', Decimal('0.005'))]
    """
    priced = list(prior_events)
    before = model.price(tuple(priced), currency=currency, conventions=conventions)
    fees: list[EventFee] = []
    for event in events:
        priced.append(event)
        after = model.price(tuple(priced), currency=currency, conventions=conventions)
        precise = exact_subtract(after.precise_amount, before.precise_amount)
        rounded = round_decimal(
            precise, decimals=currency.minor_units, mode=conventions.rounding_mode
        )
        fees.append(EventFee(event.record_id, Money(rounded, currency), precise))
        before = after
    assert len(fees) == len(events)
    return tuple(fees)


def advance_true_up(
    model: PricingModel,
    events: Sequence[UsageEvent],
    fees: Sequence[EventFee],
    *,
    currency: Currency,
    conventions: Conventions,
) -> Money:
    """What the period's invoice still owes (positive) or credits (negative) after advance fees.

    `events` are all the period's events and `fees` the per-event fees they were charged, in the
    same order. The true-up is the period's price as `price()` bills it (its `PriceResult.amount`,
    rounded at the conventions' rounding stage) minus the sum of the rounded fees: the per-event
    rounding drift, plus any charge due at zero usage that no event paid. Fees plus true-up are
    therefore exactly the period's amount in every stage; per invoice the amount, and so the
    true-up, stays precise and the invoice rounds its total.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> from tollway.pricing._dynamic import Dynamic
    >>> usd, conventions = currency("USD"), profile()
    >>> events = [UsageEvent.of(1, unit_price="0.005") for _ in range(3)]
    >>> fees = per_event_fees(Dynamic(), events, currency=usd, conventions=conventions)
    >>> advance_true_up(Dynamic(), events, fees, currency=usd, conventions=conventions)
    Money(amount=Decimal('-0.01'), currency=USD)
    """
    assert len(fees) == len(events), "one fee per event"
    for fee, event in zip(fees, events, strict=True):
        assert fee.record_id == event.record_id, "fees must be in the order of their events"
        assert fee.amount.currency == currency, "fees must be in the currency priced in"
    period = model.price(events, currency=currency, conventions=conventions)
    charged = exact_sum(fee.amount.amount for fee in fees)
    return Money(exact_subtract(period.amount.amount, charged), currency)
