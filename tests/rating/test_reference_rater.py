"""The reference rater: records grouped per charge and price, priced by the pure core, nothing lost."""

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tollway.pricing import UsageEvent
from tollway.pricing.schema import parse_price_definition
from tollway.rating.reference import RatableRecord, rate_records

GB = parse_price_definition(
    {
        "id": "gb",
        "currency": "USD",
        "pricing": {
            "model": "graduated",
            "tiers": [
                {"up_to": "10", "unit_price": "1.00"},
                {"up_to": None, "unit_price": "0.50"},
            ],
        },
    }
)
FEE = parse_price_definition(
    {
        "id": "fee",
        "currency": "USD",
        "pricing": {"model": "percentage", "rate": "2", "free_transactions": 1},
    }
)
PRICES = {"gb": GB, "fee": FEE}


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_tiers_apply_to_the_charge_total_not_to_each_record() -> None:
    # C1: 6 + 7 = 13 GB → 10 × 1.00 + 3 × 0.50 = 11.50 (per record it would be 6 + 7 = 13.00).
    records = [
        RatableRecord("C1", "gb", UsageEvent.of("6", record_id="r1")),
        RatableRecord("C1", "gb", UsageEvent.of("7", record_id="r2")),
        RatableRecord("C2", "gb", UsageEvent.of("2.5", record_id="r3")),
    ]
    outcome = rate_records(records, PRICES)
    assert [(c.charge_key, c.record_count, c.result.amount.amount) for c in outcome.charges] == [
        ("C1", 2, Decimal("11.50")),
        ("C2", 1, Decimal("2.50")),
    ]
    assert outcome.rejects == ()


def test_order_dependent_models_see_records_in_start_then_id_order() -> None:
    # The first transaction (by start time) is free; given out of order, r-late must still pay.
    records = [
        RatableRecord(
            "A", "fee", UsageEvent.of("1", amount="100", start=at(5), record_id="r-late")
        ),
        RatableRecord(
            "A", "fee", UsageEvent.of("1", amount="50", start=at(1), record_id="r-early")
        ),
    ]
    (charge,) = rate_records(records, PRICES).charges
    assert charge.result.amount.amount == Decimal("2.00")  # 2 % of 100, the 50 was free


def test_unknown_price_and_unpriceable_records_are_rejected_with_reasons() -> None:
    records = [
        RatableRecord("A", "nope", UsageEvent.of("1", record_id="r1")),
        RatableRecord("B", "fee", UsageEvent.of("1", record_id="r2")),  # no transaction amount
        RatableRecord("C", "gb", UsageEvent.of("1", record_id="r3")),
    ]
    outcome = rate_records(records, PRICES)
    assert [(r.record_id, r.code) for r in outcome.rejects] == [
        ("r1", "unknown_price"),
        ("r2", "invalid_usage"),
    ]
    assert "no price 'nope'" in outcome.rejects[0].message
    assert [c.charge_key for c in outcome.charges] == ["C"]
    assert outcome.record_count == 3


def test_same_records_in_any_order_give_identical_outcomes() -> None:
    records = [
        RatableRecord(key, "gb", UsageEvent.of(quantity, record_id=f"r{index}"))
        for index, (key, quantity) in enumerate([("B", "4"), ("A", "11"), ("B", "9"), ("A", "0.5")])
    ]
    assert rate_records(records, PRICES) == rate_records(list(reversed(records)), PRICES)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            st.sampled_from(["gb", "fee", "missing"]),
            st.integers(min_value=0, max_value=10**6),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_every_record_is_rated_or_rejected(rows: list[tuple[str, str, int, bool]]) -> None:
    records = [
        RatableRecord(
            key,
            price_id,
            UsageEvent.of(
                Decimal(quantity).scaleb(-3),
                amount=Decimal(quantity).scaleb(-2) if has_amount else None,
                record_id=f"r{index}",
            ),
        )
        for index, (key, price_id, quantity, has_amount) in enumerate(rows)
    ]
    outcome = rate_records(records, PRICES)
    assert outcome.record_count == len(records)
    assert all(charge.result.amount.amount >= 0 for charge in outcome.charges)


def test_records_too_large_to_price_are_rejected_and_the_run_goes_on() -> None:
    # C1's second record, 10^37 GB, is beyond the 10^24 a quantity may be: C1's records are
    # rejected with the reason; C2 (2.5 GB = 2.50) is still rated.
    records = [
        RatableRecord("C1", "gb", UsageEvent.of("1", record_id="r1")),
        RatableRecord("C1", "gb", UsageEvent.of("1e37", record_id="r2")),
        RatableRecord("C2", "gb", UsageEvent.of("2.5", record_id="r3")),
    ]
    outcome = rate_records(records, PRICES)
    assert [(c.charge_key, c.result.amount.amount) for c in outcome.charges] == [
        ("C2", Decimal("2.50"))
    ]
    assert [(r.record_id, r.code) for r in outcome.rejects] == [
        ("r1", "invalid_usage"),
        ("r2", "invalid_usage"),
    ]
    assert "record 'r2': quantity 1E+37" in outcome.rejects[1].message


def test_an_amount_too_large_to_price_is_rejected() -> None:
    # 10^24 units at 2 per unit = 2 × 10^24, beyond the 10^24 an amount may be
    double = parse_price_definition(
        {"id": "double", "currency": "USD", "pricing": {"model": "per_unit", "unit_price": "2"}}
    )
    records = [RatableRecord("C1", "double", UsageEvent.of(10**24, record_id="r1"))]
    outcome = rate_records(records, {"double": double})
    assert outcome.charges == ()
    assert [(r.record_id, r.code) for r in outcome.rejects] == [("r1", "invalid_usage")]
