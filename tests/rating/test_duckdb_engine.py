"""The DuckDB engine on written-out tariffs: SQL edge cases, each amount worked out by hand in the
comment above it, and each result also checked equal to the reference rater's."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from rating_support import Record, catalog, compare, usage_table

from tollway.conventions import Conventions, PackageRounding, TierBounds, profile
from tollway.money import RoundingMode, RoundingStage
from tollway.rating.duckdb import (
    RatingRangeError,
    UsageInputError,
    connect,
    fallback_prices,
    rate_with_duckdb,
    rate_with_duckdb_columnar,
)
from tollway.rating.duckdb._sql import LineQuery, LineSelect, check_exact

TOLLWAY = profile("tollway")
WEDNESDAY = datetime(2024, 6, 5, 10, 0, tzinfo=UTC)


def rated(
    records: list[Record], *documents: dict[str, object], conventions: Conventions = TOLLWAY
) -> dict[tuple[str, str], Decimal]:
    """Charge amounts by (charge key, price), after checking the engine equals the reference."""
    comparison = compare(usage_table(records), catalog(*documents), conventions)
    assert comparison.problems == []
    return {
        (charge.charge_key, charge.price_id): charge.result.amount.amount
        for charge in comparison.engine.charges
    }


def per_unit(price_id: str, currency: str, unit_price: str) -> dict[str, object]:
    return {
        "id": price_id,
        "currency": currency,
        "pricing": {"model": "per_unit", "unit_price": unit_price},
    }


# --- rounding in SQL ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "charge", "credit"),
    [
        # 1 unit at 0.125 = 0.125, exactly half a cent; a credit of -1 unit is -0.125.
        (RoundingMode.HALF_UP, "0.13", "-0.13"),
        (RoundingMode.HALF_EVEN, "0.12", "-0.12"),
        (RoundingMode.UP, "0.13", "-0.13"),
        (RoundingMode.DOWN, "0.12", "-0.12"),
    ],
)
def test_a_half_cent_rounds_by_the_named_mode_away_from_or_toward_zero(
    mode: RoundingMode, charge: str, credit: str
) -> None:
    records = [
        Record("charge", "api", "r1", "1"),
        Record("credit", "api", "r2", "-1"),
    ]
    amounts = rated(
        records, per_unit("api", "USD", "0.125"), conventions=TOLLWAY.replace(rounding_mode=mode)
    )
    assert amounts == {("charge", "api"): Decimal(charge), ("credit", "api"): Decimal(credit)}


def test_each_currency_rounds_to_its_own_minor_unit() -> None:
    # 100.5 units at 0.0125 = 1.25625: JPY 1, USD 1.26, BHD 1.256 (half-up).
    records = [Record("C1", price, f"r-{price}", "100.5") for price in ("jpy", "usd", "bhd")]
    documents = [per_unit(price, price.upper(), "0.0125") for price in ("jpy", "usd", "bhd")]
    assert rated(records, *documents) == {
        ("C1", "bhd"): Decimal("1.256"),
        ("C1", "jpy"): Decimal("1"),
        ("C1", "usd"): Decimal("1.26"),
    }
    columnar = rate_with_duckdb_columnar(usage_table(records), catalog(*documents))
    assert columnar.charges.column("amount_minor").to_pylist() == [1256, 1, 126]


def test_per_increment_rounding_rounds_every_line_before_adding() -> None:
    # Graduated: 100 units at 0.1234 = 12.34, 50.5 units at 0.0567 = 2.86335.
    # Per increment: 12.34 + 2.86 = 15.20; per line: 15.20335 → 15.20; both half-up.
    # With 0.125 and 0.125 per tier on 1 + 1 units (bound 1): 0.13 + 0.13 = 0.26 per increment,
    # 0.25 per line.
    tiers = {"id": "t", "currency": "USD", "pricing": {"model": "graduated", "tiers": [
        {"up_to": "1", "unit_price": "0.125"}, {"up_to": None, "unit_price": "0.125"}]}}  # fmt: skip
    records = [Record("C1", "t", "r1", "2")]
    stage = TOLLWAY.replace(rounding_stage=RoundingStage.PER_INCREMENT)
    assert rated(records, tiers, conventions=stage) == {("C1", "t"): Decimal("0.26")}
    assert rated(records, tiers) == {("C1", "t"): Decimal("0.25")}


def test_per_invoice_rounding_leaves_the_charge_unrounded_and_without_minor_units() -> None:
    # 3 units at 0.3333 = 0.9999, left as it is for the invoice to round.
    records = [Record("C1", "api", "r1", "3")]
    invoice = TOLLWAY.replace(rounding_stage=RoundingStage.PER_INVOICE)
    assert rated(records, per_unit("api", "USD", "0.3333"), conventions=invoice) == {
        ("C1", "api"): Decimal("0.9999")
    }
    columnar = rate_with_duckdb_columnar(
        usage_table(records), catalog(per_unit("api", "USD", "0.3333")), conventions=invoice
    )
    assert columnar.charges.column("amount_minor").to_pylist() == [None]


# --- tiers, packages and quantities -------------------------------------------------------------

DATA = {"id": "data", "currency": "USD", "pricing": {"model": "graduated", "tiers": [
    {"up_to": "100", "unit_price": "0.10"},
    {"up_to": None, "unit_price": "0.05", "flat_price": "2"}]}}  # fmt: skip


def test_usage_exactly_on_a_bound_stays_below_it_unless_the_bounds_are_adjacent() -> None:
    # 100 GB: 100 × 0.10 = 10.00 in tier 1. Adjacent bounds put 100 in tier 2: its 2.00 flat
    # fee is due (0 units there): 12.00.
    records = [Record("C1", "data", "r1", "100")]
    assert rated(records, DATA) == {("C1", "data"): Decimal("10.00")}
    adjacent = TOLLWAY.replace(tier_bounds=TierBounds.ADJACENT)
    assert rated(records, DATA, conventions=adjacent) == {("C1", "data"): Decimal("12.00")}


def test_nine_decimal_quantities_add_up_exactly_to_the_bound() -> None:
    # 99.999999997 + 3 × 0.000000001 = 100.000000000 GB exactly: still tier 1, 10.00.
    records = [Record("C1", "data", "r0", "99.999999997")]
    records += [Record("C1", "data", f"r{index}", "0.000000001") for index in range(1, 4)]
    assert rated(records, DATA) == {("C1", "data"): Decimal("10.00")}


def test_zero_usage_pays_the_first_flat_fee_only_under_flat_fee_at_zero() -> None:
    # Volume, first tier up to 10 at 12 plus 15 flat: 0 seats cost 0, or 15 with the fee at zero.
    seats = {"id": "seats", "currency": "JPY", "pricing": {"model": "volume", "tiers": [
        {"up_to": "10", "unit_price": "12", "flat_price": "15"},
        {"up_to": None, "unit_price": "9"}]}}  # fmt: skip
    records = [Record("C1", "seats", "r1", "0")]
    assert rated(records, seats) == {("C1", "seats"): Decimal("0")}
    at_zero = TOLLWAY.replace(flat_fee_at_zero=True)
    assert rated(records, seats, conventions=at_zero) == {("C1", "seats"): Decimal("15")}


def test_packages_count_a_started_package_or_only_complete_ones() -> None:
    # 300 SMS - 50 free = 250 = 2.5 packages of 100 at 5.000 BHD: 3 packages = 15.000 rounded up,
    # 2 packages = 10.000 rounded down.
    sms = {"id": "sms", "currency": "BHD", "pricing": {"model": "package", "package_size": "100",
           "package_price": "5", "free_units": "50"}}  # fmt: skip
    records = [Record("C1", "sms", "r1", "299.5"), Record("C1", "sms", "r2", "0.5")]
    assert rated(records, sms) == {("C1", "sms"): Decimal("15.000")}
    down = TOLLWAY.replace(package_rounding=PackageRounding.DOWN)
    assert rated(records, sms, conventions=down) == {("C1", "sms"): Decimal("10.000")}


def test_block_tiers_overflow_into_the_last_tiers_price() -> None:
    # Blocks of 60 s: tier 1 holds 2 blocks at 1.00, tier 2 holds 1 block at 0.50; 250 s fill
    # both (2.00 + 0.50 = 2.50) and the 70 s beyond are 2 more blocks at 0.50 = 1.00: 3.50.
    minutes = {"id": "min", "currency": "USD", "pricing": {"model": "block_tiers", "tiers": [
        {"block_size": "60", "max_blocks": 2, "block_price": "1"},
        {"block_size": "60", "max_blocks": 1, "block_price": "0.5"}]}}  # fmt: skip
    assert rated([Record("C1", "min", "r1", "250")], minutes) == {("C1", "min"): Decimal("3.50")}


def test_a_negative_total_on_a_tiered_price_rejects_the_charge() -> None:
    # -5 GB cannot be priced in tiers: both records of C1 are rejected; C2 (5 GB = 0.50) is rated.
    records = [
        Record("C1", "data", "r1", "-7"),
        Record("C1", "data", "r2", "2"),
        Record("C2", "data", "r3", "5"),
    ]
    assert rated(records, DATA) == {("C2", "data"): Decimal("0.50")}
    outcome = rate_with_duckdb(usage_table(records), catalog(DATA))
    assert [(reject.record_id, reject.code) for reject in outcome.rejects] == [
        ("r1", "invalid_usage"),
        ("r2", "invalid_usage"),
    ]
    assert outcome.rejects[0].message.startswith("graduated: the total quantity -5.000000000 is")


# --- per-event models ---------------------------------------------------------------------------


def test_free_transactions_follow_the_start_times_not_the_table_order() -> None:
    # Lago's example: 1.2 % + 0.10 per transaction, the first 3 transactions or 500 free.
    # By start time: 200, 100, 100 are free; the fourth, 50, pays 0.60 + 0.10 = 0.70.
    cards = {"id": "cards", "currency": "USD", "pricing": {"model": "percentage", "rate": "1.2",
             "fixed_fee_per_transaction": "0.10", "free_transactions": 3, "free_amount": "500"}}  # fmt: skip
    starts = [WEDNESDAY + timedelta(minutes=minutes) for minutes in (30, 0, 20, 10)]
    records = [
        Record("C1", "cards", f"t{index}", "1", start_time=start, amount=amount)
        for index, (start, amount) in enumerate(
            zip(starts, ("50", "200", "100", "100"), strict=True)
        )
    ]
    assert rated(records, cards) == {("C1", "cards"): Decimal("0.70")}


def test_a_transaction_without_an_amount_rejects_its_charge_naming_the_record() -> None:
    cards = {"id": "cards", "currency": "USD", "pricing": {"model": "percentage", "rate": "2"}}
    records = [
        Record("C1", "cards", "t1", "1", start_time=WEDNESDAY, amount="10"),
        Record("C1", "cards", None, "1", start_time=WEDNESDAY + timedelta(hours=1)),
    ]
    outcome = rate_with_duckdb(usage_table(records), catalog(cards))
    assert outcome.charges == ()
    assert {reject.message for reject in outcome.rejects} == {
        "record #2 (no record_id) has no transaction amount: a percentage price applies to each "
        "record's `amount`"
    }
    assert rated(records, cards) == {}


def test_the_95th_percentile_drops_the_top_five_samples() -> None:
    # 100 samples of 1..100 Mbps: 5 dropped, 95 Mbps billed: 500 + 45 × 12 = 1040.00.
    bandwidth = {"id": "bw", "currency": "USD", "pricing": {"model": "percentile_95",
                 "committed_rate_mbps": "50", "committed_price": "500", "burst_price_per_mbps": "12"}}  # fmt: skip
    records = [
        Record(
            "C1", "bw", f"s{mbps:03}", str(mbps), start_time=WEDNESDAY + timedelta(minutes=5 * mbps)
        )
        for mbps in range(100, 0, -1)
    ]
    assert rated(records, bandwidth) == {("C1", "bw"): Decimal("1040.00")}


def test_dynamic_prices_group_records_by_the_price_they_carry() -> None:
    # 0.70 carried + (10 + 5) × 0.22 + 3 × 0.10 = 0.70 + 3.30 + 0.30 = 4.30.
    resale = {"id": "resale", "currency": "USD", "pricing": {"model": "dynamic"}}
    records = [
        Record("C1", "resale", "d1", "7", amount="0.70"),
        Record("C1", "resale", "d2", "10", unit_price="0.22"),
        Record("C1", "resale", "d3", "3", unit_price="0.1"),
        Record("C1", "resale", "d4", "5", unit_price="0.220"),
    ]
    assert rated(records, resale) == {("C1", "resale"): Decimal("4.30")}


# --- duration -----------------------------------------------------------------------------------

PEAK_LONDON = {"id": "uk", "currency": "GBP", "pricing": {"model": "duration", "rates": [
    {"name": "peak", "pulse": "60/60", "rate": "0.30", "from_time": "08:00:00", "to_time": "18:00:00"},
    {"name": "off-peak", "pulse": "60/60", "rate": "0.10"}]}}  # fmt: skip


def test_time_of_day_bands_use_the_local_clock_across_a_clock_change() -> None:
    # London is on UTC until 01:00 UTC on 31 March 2024, then UTC+1. Each call is 61 s = 2 minutes.
    # 30 March 07:30 UTC is 07:30 local: off-peak 2 × 0.10 = 0.20.
    # 1 April 07:30 UTC is 08:30 local: peak 2 × 0.30 = 0.60.
    london = TOLLWAY.replace(time_zone="Europe/London")
    records = [
        Record("before", "uk", "c1", "61", start_time=datetime(2024, 3, 30, 7, 30, tzinfo=UTC)),
        Record("after", "uk", "c2", "61", start_time=datetime(2024, 4, 1, 7, 30, tzinfo=UTC)),
    ]
    assert rated(records, PEAK_LONDON, conventions=london) == {
        ("after", "uk"): Decimal("0.60"),
        ("before", "uk"): Decimal("0.20"),
    }


def test_a_rate_that_never_terminates_per_second_goes_to_the_reference_rater() -> None:
    # 1/1 at 0.10 per 60 s: 1 s costs 0.001666..., no DECIMAL holds it. Three 1 s calls cost
    # exactly 0.005, half-up 0.01: the reference rater prices this charge.
    per_second = {"id": "voice", "currency": "USD", "pricing": {"model": "duration", "rates": [
        {"pulse": "1/1", "rate": "0.10"}]}}  # fmt: skip
    assert list(fallback_prices(catalog(per_second))) == ["voice"]
    records = [Record("C1", "voice", f"c{index}", "1") for index in range(3)]
    assert rated(records, per_second) == {("C1", "voice"): Decimal("0.01")}
    # With CGRateS' 5 increment decimals the same tariff is rated in SQL: each call costs
    # 0.00167, rounded per increment (CGRateS' stage) to 0.00, so 0.00; per line 0.00501 → 0.01.
    cgrates = profile("cgrates")
    assert fallback_prices(catalog(per_second), conventions=cgrates) == {}
    assert rated(records, per_second, conventions=cgrates) == {("C1", "voice"): Decimal("0.00")}
    per_line = cgrates.replace(rounding_stage=RoundingStage.PER_LINE)
    assert rated(records, per_second, conventions=per_line) == {("C1", "voice"): Decimal("0.01")}


# --- input and connection -----------------------------------------------------------------------


def test_usage_beyond_the_pricing_limits_is_rejected_naming_the_record() -> None:
    records = [Record("C1", "api", "r1", "1"), Record("C1", "api", "r2", "2E+24")]
    outcome = rate_with_duckdb(usage_table(records), catalog(per_unit("api", "USD", "1")))
    assert outcome.charges == ()
    assert outcome.rejects[1].message == (
        "record 'r2': quantity 2000000000000000000000000.000000000 must be at most 10^24 in "
        "absolute value"
    )
    assert rated(records, per_unit("api", "USD", "1")) == {}


def test_unknown_prices_are_rejected_record_by_record() -> None:
    outcome = rate_with_duckdb(usage_table([Record("C1", "gone", "r1", "1")]), {})
    assert [(reject.record_id, reject.code, reject.message) for reject in outcome.rejects] == [
        ("r1", "unknown_price", "no price 'gone' in the catalog for charge 'C1'")
    ]


def test_a_floating_point_quantity_is_refused() -> None:
    usage = pa.table(
        {"charge_key": ["C1"], "price_id": ["api"], "record_id": ["r1"], "quantity": [1.5]}
    )
    with pytest.raises(UsageInputError, match="quantity is DOUBLE"):
        rate_with_duckdb(usage, catalog(per_unit("api", "USD", "1")))


def test_sql_text_on_the_callers_connection_leaves_nothing_behind() -> None:
    # 2.5 GB at 0.10 = 0.25.
    connection = connect()
    connection.execute(
        "CREATE TABLE cdrs AS SELECT 'C1' AS charge_key, 'api' AS price_id, 'r1' AS record_id, "
        "CAST('2.5' AS DECIMAL(38,9)) AS quantity"
    )
    before = connection.execute("SELECT table_name FROM information_schema.tables").fetchall()
    outcome = rate_with_duckdb(
        "cdrs", catalog(per_unit("api", "USD", "0.10")), connection=connection
    )
    assert [charge.result.amount.amount for charge in outcome.charges] == [Decimal("0.25")]
    after = connection.execute("SELECT table_name FROM information_schema.tables").fetchall()
    assert after == before == [("cdrs",)]


def test_a_query_that_divides_decimals_is_refused_before_it_runs() -> None:
    # DuckDB divides two DECIMALs in DOUBLE: the engine's check must catch it.
    connection = duckdb.connect()
    query = LineQuery(
        (("ratios", "SELECT CAST(1 AS DECIMAL(38,12)) / CAST(3 AS DECIMAL(38,12)) AS ratio"),),
        (LineSelect("ratios", {"kind": "'ratio'", "amount": "ratio"}, where="true"),),
    )
    with pytest.raises(AssertionError, match="floating point"):
        check_exact(connection, query)


def test_an_amount_beyond_the_engines_decimals_stops_the_run_instead_of_rounding() -> None:
    # 10^20 units at 10 = 10^21: within the core's 10^24, beyond the engine's 10^14 per amount.
    records = [Record("C1", "api", "r1", "100000000000000000000")]
    with pytest.raises(RatingRangeError, match="beyond the engine's exact decimals"):
        rate_with_duckdb(usage_table(records), catalog(per_unit("api", "USD", "10")))


def test_a_record_without_a_charge_key_is_refused() -> None:
    records = [Record("C1", "api", "r1", "1"), Record(None, "api", "r2", "1")]
    with pytest.raises(UsageInputError, match="1 usage records have no charge_key or no price_id"):
        rate_with_duckdb(usage_table(records), catalog(per_unit("api", "USD", "1")))
