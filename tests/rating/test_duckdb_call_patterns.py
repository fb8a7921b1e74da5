"""Duration calls priced once per (price, band, duration) and stamped per call, and the 95th
percentile found with one ranking: the engine's lines must still be the reference's, call by call
and sample by sample, whatever the names, the order the records come in and the repeats."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rating_support import Record, catalog, compare, usage_table

from tollway.conventions import profile

MONDAY = datetime(2024, 3, 25, 9, 0, tzinfo=UTC)

# 30 s first, then 6 s steps, at 0.12 a minute to the UK; every other number 60/60 at 0.30.
# The cgrates profile rounds each increment's cost to 5 decimals: the SQL rates it.
VOICE = {
    "id": "voice",
    "currency": "USD",
    "profile": "cgrates",
    "pricing": {
        "model": "duration",
        "connect_fee": "0.02",
        "rates": [
            {"zone": "44", "pulse": "30/6", "rate": "0.12", "name": "UK"},
            {"pulse": "60/60", "rate": "0.30", "name": "world"},
        ],
    },
}
UK_ONLY = {
    "id": "uk-only",
    "currency": "USD",
    "profile": "cgrates",
    "pricing": {
        "model": "duration",
        "rates": [{"zone": "44", "pulse": "60/60", "rate": "0.10", "name": "UK"}],
    },
}
BANDWIDTH = {
    "id": "bandwidth",
    "currency": "USD",
    "pricing": {
        "model": "percentile_95",
        "committed_rate_mbps": "100",
        "committed_price": "800",
        "burst_price_per_mbps": "9.5",
    },
}


def _call(record_id: str | None, minutes: int, seconds: str, destination: str) -> Record:
    return Record(
        charge_key="C1",
        price_id="voice",
        record_id=record_id,
        quantity=seconds,
        start_time=MONDAY + timedelta(minutes=minutes),
        origin="+15555550123",
        destination=destination,
    )


def test_calls_without_record_ids_are_named_by_their_place_in_start_order() -> None:
    # Sent out of order: the 09:10 call is events[1], the 09:20 one events[2].
    usage = [
        _call(None, 20, "61", "+15555550199"),
        _call(None, 0, "31", "+447700900123"),
        _call(None, 10, "31", "+447700900456"),
    ]
    comparison = compare(usage_table(usage), catalog(VOICE), profile("tollway"))

    assert comparison.problems == []
    (charge,) = comparison.engine.charges
    # A UK call of 31 s: the 30 s block (0.06) and one 6 s step (0.012), after the 0.02 fee;
    # the world call of 61 s: two 60 s blocks at 0.30 a minute (0.60), after the fee.
    assert [line.description for line in charge.result.lines] == [
        "events[0]: connect fee (UK)",
        "events[0]: 30 s at 0.12 per 60 s in 30 s increments (UK, interval 0)",
        "events[0]: 6 s at 0.12 per 60 s in 6 s increments (UK, interval 1)",
        "events[1]: connect fee (UK)",
        "events[1]: 30 s at 0.12 per 60 s in 30 s increments (UK, interval 0)",
        "events[1]: 6 s at 0.12 per 60 s in 6 s increments (UK, interval 1)",
        "events[2]: connect fee (world)",
        "events[2]: 120 s at 0.30 per 60 s in 60 s increments (world, interval 0)",
    ]
    # 2 × (0.02 + 0.06 + 0.012) + 0.02 + 0.60 = 0.804 → 0.80
    assert str(charge.result.amount) == "0.80 USD"


def test_many_calls_of_a_few_durations_rate_as_the_reference_call_by_call() -> None:
    # 300 calls, 6 durations (31 s and 35 s bill the same 36 s to the UK), two destinations.
    durations = ["31", "35", "60", "61", "0", "119.5"]
    usage = [
        _call(
            f"sbc-1:{number:05}",
            number,
            durations[number % len(durations)],
            "+447700900123" if number % 4 else "+15555550123",
        )
        for number in range(300)
    ]
    comparison = compare(usage_table(usage), catalog(VOICE), profile("tollway"))

    assert comparison.problems == []
    (charge,) = comparison.engine.charges
    assert charge.record_count == 300
    assert charge.result.lines[0].description == "sbc-1:00000: connect fee (world)"


def test_a_call_no_band_covers_rejects_its_charge_naming_the_call_by_its_place() -> None:
    usage = [
        Record("C1", "uk-only", None, "60", MONDAY, destination="+447700900123"),
        Record("C1", "uk-only", None, "60", MONDAY + timedelta(hours=1), destination="+1555"),
    ]
    comparison = compare(usage_table(usage), catalog(UK_ONLY), profile("tollway"))

    assert comparison.problems == []
    assert comparison.engine.charges == ()
    assert {reject.message for reject in comparison.engine.rejects} == {
        "events[1]: no rate band covers destination '+1555', origin None"
    }


def test_the_billed_sample_among_equal_samples_is_the_references() -> None:
    # 40 samples: 20 of 100 Mbps and 20 of 50. floor(40 × 5 / 100) = 2 highest are discarded, so
    # the billed one is the third highest: a 100 Mbps sample, which one decided by start time
    # then record id (three share the latest start).
    latest = MONDAY + timedelta(minutes=5 * 19)
    usage = [
        Record(
            "C1",
            "bandwidth",
            f"s{number:02}",
            "100" if number < 20 else "50",
            latest if number in (3, 7, 11) else MONDAY + timedelta(minutes=5 * (number % 19)),
        )
        for number in range(40)
    ]
    comparison = compare(usage_table(usage), catalog(BANDWIDTH), profile("tollway"))

    assert comparison.problems == []
    (charge,) = comparison.engine.charges
    sample = charge.result.lines[0]
    # Highest first: s11, s07 at the latest start (discarded), then s03.
    assert sample.description == (
        "95th percentile of 40 samples (2 highest discarded): 100.000000000 Mbps taken "
        "2024-03-25T10:35:00+00:00"
    )


def test_the_billed_sample_below_larger_ones_and_among_missing_starts_is_the_references() -> None:
    # The billed size is found first (the n largest), then only the samples of that size are
    # ranked: the samples above it must be counted, and a missing start sorts last among equals.
    # C1 at the 90th percentile: 30 samples, floor(30 × 10 / 100) = 3 discarded: 2 of 300 Mbps
    # lie above the billed size, 120, so the billed sample is the second of the 120s.
    # C2 at the 50th percentile: half of its samples are discarded, the level is among the 7s.
    # C3 has one sample: it is billed.
    shapes = {"C1": (["300", "300"] + ["120"] * 6 + ["80"] * 22), "C2": ["9", "7", "7", "7", "1"]}
    usage = [
        Record(
            key,
            "bandwidth-90" if key == "C1" else "bandwidth-50",
            f"{key}-s{number:02}",
            size,
            None if number % 4 == 3 else MONDAY + timedelta(minutes=5 * (number % 3)),
        )
        for key, sizes in shapes.items()
        for number, size in enumerate(sizes)
    ]
    usage.append(Record("C3", "bandwidth-90", "C3-only", "42", MONDAY))
    prices = [
        {**BANDWIDTH, "id": "bandwidth-90",
         "pricing": {**BANDWIDTH["pricing"], "percentile": "90"}},  # type: ignore[dict-item]
        {**BANDWIDTH, "id": "bandwidth-50",
         "pricing": {**BANDWIDTH["pricing"], "percentile": "50"}},  # type: ignore[dict-item]
    ]  # fmt: skip
    comparison = compare(usage_table(usage), catalog(*prices), profile("tollway"))

    assert comparison.problems == []
    billed = {charge.charge_key: charge.result.quantity for charge in comparison.engine.charges}
    assert billed == {"C1": Decimal("120"), "C2": Decimal("7"), "C3": Decimal("42")}
