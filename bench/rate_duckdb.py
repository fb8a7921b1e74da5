"""Throughput of the DuckDB rating engine on a generated Parquet file of usage records.

    .venv/bin/python bench/rate_duckdb.py 1000000 10000000

For each size: writes /tmp/tollway-bench-<n>.parquet (20 000 charges; a tariff mix of per-unit,
graduated, volume, package, block tiers, flat fees and a spend commitment, and a second mix that
adds percentage, dynamic and duration prices), then prints records/s of the columnar rating, of
a bare `SELECT charge_key, SUM(quantity) ... GROUP BY 1` over the same file, and their ratio.
The figures are recorded in docs/rating.md. Not collected by pytest (no test_ prefix).
"""

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from tollway.pricing import PriceDefinition
from tollway.pricing.schema import parse_price_definition
from tollway.rating.duckdb import connect, rate_with_duckdb_columnar

charge_count: Final = 20_000
QUANTITY_PRICES: Final[list[dict[str, object]]] = [
    {"id": "gb", "currency": "USD", "pricing": {"model": "per_unit", "unit_price": "0.0125"}},
    {"id": "data", "currency": "USD", "pricing": {"model": "graduated", "tiers": [
        {"up_to": "1000", "unit_price": "0.10", "flat_price": "5"},
        {"up_to": "50000", "unit_price": "0.08"}, {"up_to": None, "unit_price": "0.05"}]}},
    {"id": "seats", "currency": "JPY", "pricing": {"model": "volume", "tiers": [
        {"up_to": "5000", "unit_price": "12"}, {"up_to": None, "unit_price": "9"}]}},
    {"id": "sms", "currency": "BHD", "pricing": {"model": "package", "package_size": "100",
     "package_price": "1.250", "free_units": "50"}},
    {"id": "minutes", "currency": "USD", "pricing": {"model": "block_tiers", "tiers": [
        {"block_size": "60", "max_blocks": 1000, "block_price": "1"},
        {"block_size": "60", "max_blocks": None, "block_price": "0.5"}]}},
    {"id": "port", "currency": "USD", "pricing": {"model": "flat", "amount": "49.90"}},
    {"id": "committed", "currency": "USD", "pricing": {"model": "spend_commitment",
     "minimum_amount": "250", "inner": {"model": "per_unit", "unit_price": "0.0125"}}},
]  # fmt: skip
EVENT_PRICES: Final[list[dict[str, object]]] = [
    {"id": "cards", "currency": "USD", "pricing": {"model": "percentage", "rate": "1.2",
     "fixed_fee_per_transaction": "0.10", "free_transactions": 3, "free_amount": "500"}},
    {"id": "resale", "currency": "USD", "pricing": {"model": "dynamic"}},
    {"id": "voice", "currency": "USD", "profile": "cgrates", "pricing": {"model": "duration",
     "connect_fee": "0.02", "rates": [{"zone": "44", "pulse": "30/6", "rate": "0.12"},
                                      {"zone": "1", "pulse": "1/1", "rate": "0.01"},
                                      {"pulse": "60/60", "rate": "0.2"}]}},
]  # fmt: skip


def write_usage(path: Path, *, records: int, price_ids: list[str]) -> None:
    """`records` usage records over 20 000 charges, each charge on one of `price_ids`."""
    ids = "[" + ", ".join(f"'{price_id}'" for price_id in price_ids) + "]"
    connection = connect()
    connection.execute(
        f"""COPY (
            SELECT 'circuit-' || (i % {charge_count}) AS charge_key,
                   {ids}[1 + (i % {charge_count}) % {len(price_ids)}] AS price_id,
                   'rec-' || i AS record_id,
                   CAST(CAST((i * 7919) % 100000 AS DECIMAL(18,0)) * 0.001 AS DECIMAL(38,9))
                     AS quantity,
                   TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_seconds(i % 2592000) AS start_time,
                   CAST(CAST((i * 104729) % 1000000 AS DECIMAL(18,0)) * 0.01 AS DECIMAL(38,9))
                     AS amount,
                   CAST(NULL AS DECIMAL(38,12)) AS unit_price,
                   NULL::VARCHAR AS origin,
                   (['+442079460000', '+15555550123', '33123456'])[1 + i % 3] AS destination
            FROM range({records}) AS numbers(i)
        ) TO '{path}' (FORMAT parquet)"""
    )
    connection.close()


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bare_sum(path: Path) -> None:
    connection = connect()
    connection.execute(
        f"SELECT charge_key, SUM(quantity) FROM read_parquet('{path}') GROUP BY 1"
    ).fetchall()
    connection.close()


def bench(records: int, documents: list[dict[str, object]], label: str) -> None:
    prices: dict[str, PriceDefinition] = {
        str(document["id"]): parse_price_definition(document) for document in documents
    }
    path = Path(f"/tmp/tollway-bench-{label}-{records}.parquet")
    if not path.exists():
        write_usage(path, records=records, price_ids=sorted(prices))
    usage = f"SELECT * FROM read_parquet('{path}')"
    bare = min(seconds(lambda: bare_sum(path)) for _ in range(3))
    rating = min(seconds(lambda: rate_with_duckdb_columnar(usage, prices)) for _ in range(3))
    sys.stdout.write(
        f"{label:>9} {records:>10,} records: rating {records / rating:>12,.0f} records/s "
        f"({rating:.2f} s), bare SUM {records / bare:>12,.0f} records/s ({bare:.2f} s), "
        f"ratio {rating / bare:.1f}x\n"
    )


if __name__ == "__main__":
    for size in [int(argument) for argument in sys.argv[1:]] or [1_000_000]:
        bench(size, QUANTITY_PRICES, "quantity")
        bench(size, QUANTITY_PRICES + EVENT_PRICES, "mixed")
