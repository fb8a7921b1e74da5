"""The DuckDB engine against the reference rater: random tariffs of every model, random
conventions, random usage; the outcomes must be equal, to the last decimal and the last word of
every breakdown description, and the columnar output must carry the same numbers.

The ci hypothesis profile runs a fixed number of examples; the seeded run below rates 100 000
records over 2 000 charges.
"""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rating_support import Record, catalog, compare, usage_table

from tollway.conventions import (
    PROFILE_NAMES,
    Conventions,
    PackageRounding,
    TierBounds,
    VolumeTierLookup,
    profile,
)
from tollway.money import RoundingMode, RoundingStage

CURRENCIES = ("USD", "JPY", "BHD")
TIME_ZONES = ("UTC", "Europe/London", "America/New_York", "Asia/Kolkata")
NUMBERS = ("+442079460000", "447700900123", "+15555550123", "33123456", None)
MONDAY = datetime(2024, 3, 25, 0, 0, tzinfo=UTC)  # the week the UK moves to summer time

Document = dict[str, Any]


def amounts(
    *, low: str = "0", high: str = "100", places: tuple[int, ...] = (0, 1, 2, 3, 4)
) -> st.SearchStrategy[str]:
    """A number as the text a price document holds, with 0 to 4 decimals (trailing zeros kept)."""
    return st.sampled_from(places).flatmap(
        lambda decimals: st.decimals(
            min_value=Decimal(low), max_value=Decimal(high), places=decimals
        ).map(str)
    )


@st.composite
def bounds(draw: st.DrawFn, *, count: int) -> list[str]:
    values = draw(
        st.lists(
            amounts(low="0.001", high="1000", places=(0, 1, 3)), min_size=count, max_size=count
        )
    )
    ordered = sorted({Decimal(value): value for value in values}.items())
    return [text for _, text in ordered]


@st.composite
def tier_table(draw: st.DrawFn, *, price_field: str, fee_field: str) -> list[Document]:
    limits = draw(bounds(count=draw(st.integers(0, 3))))
    tiers = [
        {"up_to": bound, price_field: draw(amounts(high="20")), fee_field: draw(amounts(high="10"))}
        for bound in [*limits, None]
    ]
    return tiers


@st.composite
def block_tiers(draw: st.DrawFn) -> Document:
    count = draw(st.integers(1, 3))
    tiers = [
        {
            "block_size": draw(amounts(low="0.5", high="100", places=(0, 1))),
            "max_blocks": draw(st.integers(1, 5))
            if index < count - 1
            else draw(st.none() | st.integers(1, 5)),
            "block_price": draw(amounts(high="10")),
        }
        for index in range(count)
    ]
    return {
        "model": "block_tiers",
        "tiers": tiers,
        "mode": draw(st.sampled_from(["all_tiers", "top_tier"])),
    }


@st.composite
def aggregating(draw: st.DrawFn) -> Document:
    kind = draw(
        st.sampled_from(
            ["flat", "per_unit", "graduated", "volume", "stairstep", "package", "block_tiers"]
        )
    )
    if kind == "flat":
        return {"model": "flat", "amount": draw(amounts())}
    if kind == "per_unit":
        return {"model": "per_unit", "unit_price": draw(amounts(high="10"))}
    if kind in ("graduated", "volume"):
        return {
            "model": kind,
            "tiers": draw(tier_table(price_field="unit_price", fee_field="flat_price")),
        }
    if kind == "stairstep":
        limits = draw(bounds(count=draw(st.integers(0, 3))))
        return {
            "model": "stairstep",
            "steps": [{"up_to": bound, "amount": draw(amounts())} for bound in [*limits, None]],
        }
    if kind == "package":
        return {
            "model": "package",
            "package_size": draw(amounts(low="0.5", high="100", places=(0, 1))),
            "package_price": draw(amounts(high="50")),
            "free_units": draw(st.sampled_from(["0", "10", "0.5"])),
        }
    return draw(block_tiers())


@st.composite
def percentage(draw: st.DrawFn) -> Document:
    minimum = draw(st.none() | amounts(high="1"))
    maximum = draw(st.none() | amounts(low=minimum or "0", high="20"))
    return {
        "model": "percentage",
        "rate": draw(amounts(high="10")),
        "fixed_fee_per_transaction": draw(amounts(high="1")),
        "free_transactions": draw(st.integers(0, 3)),
        "free_amount": draw(st.sampled_from(["0", "100", "250.5", "0.0000000001"])),
        "per_transaction_min": minimum,
        "per_transaction_max": maximum,
    }


@st.composite
def band(draw: st.DrawFn, zone: str | None) -> Document:
    document: Document = {"zone": zone, "connect_fee": draw(st.none() | amounts(high="1"))}
    if draw(st.booleans()):
        document.update(
            pulse=draw(st.sampled_from(["60/60", "30/6", "1/1"])), rate=draw(amounts(high="1"))
        )
        document["rate_unit_seconds"] = draw(st.sampled_from(["60", "1", "10"]))
    else:
        document["intervals"] = [
            {
                "rate": draw(amounts(high="1")),
                "rate_increment_seconds": "30",
                "rate_unit_seconds": "60",
            },
            {
                "start_after_seconds": "45.5",
                "rate": draw(amounts(high="1")),
                "rate_increment_seconds": "0.5",
                "rate_unit_seconds": "1",
            },
        ]
    if draw(st.booleans()):
        document["rounding_decimals"] = draw(st.integers(0, 4))
        document["rounding_mode"] = draw(st.sampled_from(list(RoundingMode))).value
    return document


@st.composite
def duration(draw: st.DrawFn) -> Document:
    zones = draw(
        st.lists(st.sampled_from([None, "44", "447", "1"]), min_size=1, max_size=3, unique=True)
    )
    bands = [draw(band(zone)) for zone in zones]
    if draw(st.booleans()):
        timed = draw(band("447"))
        timed.update(from_time="22:00:00", to_time="07:30:00", day_types=["weekday", "holiday"])
        bands.append(timed)
    return {
        "model": "duration",
        "rates": bands,
        "connect_fee": draw(amounts(high="1")),
        "charge_connect_fee_on_zero": draw(st.booleans()),
        "holidays": ["2024-03-27"],
    }


@st.composite
def pricing(draw: st.DrawFn, currency: str) -> Document:
    kind = draw(
        st.sampled_from(
            [
                "aggregating",
                "aggregating",
                "aggregating",
                "percentage",
                "graduated_percentage",
                "dynamic",
                "percentile_95",
                "spend_commitment",
                "duration",
            ]
        )
    )
    if kind == "aggregating":
        return draw(aggregating())
    if kind == "percentage":
        return draw(percentage())
    if kind == "graduated_percentage":
        return {"model": kind, "tiers": draw(tier_table(price_field="rate", fee_field="flat_fee"))}
    if kind == "dynamic":
        return {"model": "dynamic"}
    if kind == "percentile_95":
        return {
            "model": "percentile_95",
            "committed_rate_mbps": draw(amounts(high="50")),
            "committed_price": draw(amounts(high="500")),
            "burst_price_per_mbps": draw(amounts(high="20")),
            "percentile": draw(st.sampled_from(["95", "90", "99.5", "100", "50"])),
        }
    if kind == "duration":
        return draw(duration())
    places = {"USD": 2, "JPY": 0, "BHD": 3}[currency]
    inner = draw(
        aggregating()
        | st.sampled_from([{"model": "dynamic"}, {"model": "percentage", "rate": "2"}])
    )
    minimum = draw(st.none() | amounts(high="200", places=(places,)))
    maximum = draw(
        amounts(low=minimum or "0", high="400", places=(places,))
        if minimum is None or draw(st.booleans())
        else st.none()
    )
    return {
        "model": "spend_commitment",
        "inner": inner,
        "minimum_amount": minimum,
        "maximum_amount": maximum,
    }


@st.composite
def conventions(draw: st.DrawFn) -> Conventions:
    base = profile(draw(st.sampled_from(PROFILE_NAMES)))
    return base.replace(
        rounding_mode=draw(st.sampled_from(list(RoundingMode))),
        rounding_stage=draw(st.sampled_from(list(RoundingStage))),
        tier_bounds=draw(st.sampled_from(list(TierBounds))),
        volume_tier_lookup=draw(st.sampled_from(list(VolumeTierLookup))),
        flat_fee_at_zero=draw(st.booleans()),
        package_rounding=draw(st.sampled_from(list(PackageRounding))),
        increment_rounding_decimals=draw(st.none() | st.integers(0, 6)),
        time_zone=draw(st.sampled_from(TIME_ZONES)),
    )


@st.composite
def price_document(draw: st.DrawFn, price_id: str) -> Document:
    currency = draw(st.sampled_from(CURRENCIES))
    document: Document = {"id": price_id, "currency": currency, "pricing": draw(pricing(currency))}
    if draw(st.integers(0, 4)) == 0:
        document["conventions"] = {
            "rounding_mode": draw(st.sampled_from(list(RoundingMode))).value,
            "tier_bounds": draw(st.sampled_from(list(TierBounds))).value,
        }
    return document


def _quantities(document: Document) -> list[str]:
    """Quantities exactly on the document's bounds, so usage lands on them often."""
    pricing = document["pricing"]
    rows = pricing.get("tiers") or pricing.get("steps") or []
    return [row["up_to"] for row in rows if isinstance(row, dict) and row.get("up_to")]


@st.composite
def records(draw: st.DrawFn, price_id: str, document: Document, counter: list[int]) -> list[Record]:
    """1 to 3 charges of 1 to 6 records; now and then a record the reference rejects (a negative
    quantity, one beyond the 10^24 limit, a missing or negative transaction amount) or that no rate
    band covers."""
    quantity = st.sampled_from(["0", *_quantities(document)]) | amounts(
        high="800", places=(0, 3, 9)
    )
    result: list[Record] = []
    for charge in range(draw(st.integers(1, 3))):
        for _ in range(draw(st.integers(1, 6))):
            counter[0] += 1
            flaw = draw(st.integers(0, 39))
            start = MONDAY + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
            result.append(
                Record(
                    charge_key=f"C{charge}",
                    price_id=price_id,
                    record_id=f"r{counter[0]:05}",
                    quantity=draw(quantity)
                    if flaw not in (0, 3)
                    else ("-" + draw(amounts(high="5")) if flaw == 0 else "2E+24"),
                    start_time=start.replace(second=draw(st.integers(0, 59)))
                    if flaw != 1
                    else None,
                    amount=draw(amounts(high="600", places=(0, 2, 9)))
                    if flaw > 3
                    else draw(st.sampled_from([None, "-3"])),
                    unit_price=draw(st.none() | amounts(high="2", places=(0, 4, 12))),
                    origin=draw(st.sampled_from(NUMBERS)),
                    destination=draw(st.sampled_from(NUMBERS[:3]))
                    if flaw != 2
                    else draw(st.sampled_from(NUMBERS[3:])),
                )
            )
    return result


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Document], list[Record], Conventions]:
    documents = [draw(price_document(f"P{index}")) for index in range(draw(st.integers(1, 4)))]
    counter = [0]
    usage = [
        record
        for document in documents
        for record in draw(records(document["id"], document, counter))
    ]
    if draw(st.integers(0, 4)) == 0:
        usage.append(Record("C9", "unknown", "r-unknown", "1"))
    return documents, usage, draw(conventions())


@given(scenarios())
def test_the_engine_equals_the_reference_rater(
    scenario: tuple[list[Document], list[Record], Conventions],
) -> None:
    documents, usage, default = scenario
    comparison = compare(usage_table(usage), catalog(*documents), default)
    assert comparison.problems == []


# --- a larger seeded run ------------------------------------------------------------------------

SEEDED_DOCUMENTS: list[Document] = [
    {"id": "data-gb", "currency": "USD", "pricing": {"model": "graduated", "tiers": [
        {"up_to": "100", "unit_price": "0.10", "flat_price": "5"},
        {"up_to": "500", "unit_price": "0.08"}, {"up_to": None, "unit_price": "0.05", "flat_price": "10"}]}},
    {"id": "seats", "currency": "JPY", "pricing": {"model": "volume", "tiers": [
        {"up_to": "10", "unit_price": "1200"}, {"up_to": None, "unit_price": "900", "flat_price": "500"}]}},
    {"id": "sms", "currency": "BHD", "pricing": {"model": "package", "package_size": "100", "package_price": "1.250", "free_units": "50"}},
    {"id": "port", "currency": "USD", "pricing": {"model": "flat", "amount": "49.90"}},
    {"id": "api", "currency": "USD", "pricing": {"model": "per_unit", "unit_price": "0.0035"}},
    {"id": "minutes", "currency": "USD", "pricing": {"model": "block_tiers", "tiers": [
        {"block_size": "60", "max_blocks": 100, "block_price": "1"}, {"block_size": "60", "max_blocks": None, "block_price": "0.5"}]}},
    {"id": "cards", "currency": "USD", "pricing": {"model": "percentage", "rate": "1.2", "fixed_fee_per_transaction": "0.10",
                                                   "free_transactions": 3, "free_amount": "500", "per_transaction_max": "5"}},
    {"id": "resale", "currency": "USD", "pricing": {"model": "dynamic"}},
    {"id": "bandwidth", "currency": "USD", "pricing": {"model": "percentile_95", "committed_rate_mbps": "100",
                                                       "committed_price": "800", "burst_price_per_mbps": "9.5"}},
    {"id": "committed", "currency": "USD", "pricing": {"model": "spend_commitment", "minimum_amount": "250", "inner": {
        "model": "per_unit", "unit_price": "0.0125"}}},
    {"id": "voice", "currency": "USD", "profile": "cgrates", "pricing": {"model": "duration", "connect_fee": "0.02", "rates": [
        {"zone": "44", "pulse": "30/6", "rate": "0.12"}, {"zone": "1", "pulse": "1/1", "rate": "0.01"},
        {"pulse": "60/60", "rate": "0.30", "from_time": "08:00:00", "to_time": "20:00:00"}, {"pulse": "60/60", "rate": "0.2"}]}},
]  # fmt: skip


def _seeded_usage(*, seed: int, charges: int, records: int) -> list[Record]:
    chooser = random.Random(seed)
    keys = [
        (f"circuit-{index:04}", chooser.choice(SEEDED_DOCUMENTS)["id"]) for index in range(charges)
    ]
    usage: list[Record] = []
    for number in range(records):
        charge_key, price_id = keys[number % charges]
        usage.append(
            Record(
                charge_key=charge_key,
                price_id=price_id,
                record_id=f"rec-{number:07}",
                quantity=str(
                    Decimal(chooser.randrange(0, 10**9)).scaleb(-chooser.choice([0, 3, 6]))
                ),
                start_time=MONDAY + timedelta(seconds=chooser.randrange(0, 30 * 86400)),
                amount=str(Decimal(chooser.randrange(0, 10**6)).scaleb(-2)),
                unit_price=str(Decimal(chooser.randrange(1, 10**4)).scaleb(-4))
                if number % 3
                else None,
                destination=chooser.choice(NUMBERS[:3]),
            )
        )
    return usage


@pytest.mark.slow
def test_a_hundred_thousand_records_over_two_thousand_charges_rate_equally() -> None:
    usage = usage_table(_seeded_usage(seed=20240325, charges=2000, records=100_000))
    comparison = compare(usage, catalog(*SEEDED_DOCUMENTS), profile("tollway"))
    assert comparison.problems == []
    assert len(comparison.engine.charges) == 2000
    assert comparison.engine.record_count == 100_000
