"""Charges the reference rater would reject, found in SQL, with the reference's code and message.

The reference prices a charge's events in order and rejects every record of the charge with the
first error raised. The engine finds that first error without pricing: unknown prices and
definition errors per charge, a negative total from the charge aggregate, the first offending
record in event order (missing or negative transaction amount, no dynamic price, negative sample)
from one window query, and the first call no band rates from the `calls` table.
"""

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from tollway.money import TollwayError
from tollway.pricing import UsageError
from tollway.rating.duckdb._compile import AGGREGATING_MODELS, CompiledPrice
from tollway.rating.duckdb._describe import QUANTITY_EXPONENT, shown
from tollway.rating.duckdb._duration_lines import FIRST_FAILED_CALLS
from tollway.rating.duckdb._event_lines import event_order_sql
from tollway.rating.duckdb._records import start_time
from tollway.rating.duckdb._sql import table


class Failure(NamedTuple):
    charge_key: str
    price_id: str
    code: str
    message: str


FAILURE_SCHEMA: Final = pa.schema(
    [("charge_key", pa.string()), ("price_id", pa.string()), ("code", pa.string()),
     ("message", pa.string())]
)  # fmt: skip
_TIERED_MODELS: Final = tuple(sorted(AGGREGATING_MODELS - {"flat", "per_unit"}))
_AMOUNT_MODELS: Final = ("percentage", "graduated_percentage")
magnitude_limit: Final = Decimal(10) ** 24
"""The pricing core's limit on every usage number (`tollway.pricing._limits`)."""
LIMIT: Final = f"CAST('{magnitude_limit:f}' AS DECIMAL(38,9))"


class _UnknownPriceError(TollwayError):
    code = "unknown_price"


def failures_table(failures: Iterable[Failure]) -> pa.Table:
    rows = list(failures)
    columns = {name: [getattr(row, name) for row in rows] for name in FAILURE_SCHEMA.names}
    return pa.table(columns, schema=FAILURE_SCHEMA)


def _failure(charge_key: str, price_id: str, error: TollwayError) -> Failure:
    return Failure(charge_key, price_id, error.code, error.message)


def charge_failures(
    connection: duckdb.DuckDBPyConnection, prices: Mapping[str, CompiledPrice]
) -> list[Failure]:
    """The failing charges, each with the error the reference raises first for it: an unknown
    price, then a record beyond the usage limits (checked before any model runs), then a
    definition error, then the model's own errors."""
    found: dict[tuple[str, str], Failure] = {}
    charges = connection.execute(
        f"SELECT charge_key, price_id, quantity FROM {table('charges')}"
    ).fetchall()
    for charge_key, price_id, _ in charges:
        if price_id not in prices:
            message = f"no price {price_id!r} in the catalog for charge {charge_key!r}"
            found[charge_key, price_id] = _failure(
                charge_key, price_id, _UnknownPriceError(message)
            )
    later = [
        *_beyond_limits(connection),
        *_definition_failures(charges, prices),
        *_first_offenders(connection),
    ]
    if any(price.model == "duration" for price in prices.values()):
        later.extend(_failed_calls(connection, prices))
    for failure in later:
        if prices[failure.price_id].fallback_reason is None:  # the reference rates the others
            found.setdefault((failure.charge_key, failure.price_id), failure)
    return list(found.values())


def _definition_failures(
    charges: Iterable[tuple[str, str, Decimal]], prices: Mapping[str, CompiledPrice]
) -> Iterator[Failure]:
    for charge_key, price_id, quantity in charges:
        price = prices.get(price_id)
        if price is None:
            continue
        if price.price_error is not None:
            yield _failure(charge_key, price_id, price.price_error)
        elif price.model in _TIERED_MODELS and quantity < 0:
            yield _failure(charge_key, price_id, _negative_total(price.model, quantity))


def _negative_total(model: str, quantity: Decimal) -> UsageError:
    return UsageError(
        f"{model}: the total quantity {quantity} is negative; a {model} price needs zero or "
        "more units (bill a correction as a separate credit)"
    )


def _first_in_order(
    connection: duckdb.DuckDBPyConnection, *, suspects: str, offending: str
) -> list[tuple[object, ...]]:
    """Per suspect charge, the first record in event order for which `offending` holds: its
    charge key, price, suspect columns, record id, quantity, amount, unit price and position."""
    return connection.execute(
        f"""WITH suspects AS ({suspects}), flagged AS (
              SELECT u.charge_key, u.price_id, s.model, u.record_id, u.quantity, u.amount,
                     u.unit_price, {offending} AS offending,
                     row_number() OVER (PARTITION BY u.charge_key, u.price_id
                                        {event_order_sql()}) AS position
              FROM {table("usage")} u JOIN suspects s
                ON s.charge_key = u.charge_key AND s.price_id = u.price_id)
            SELECT charge_key, price_id, model, record_id, quantity, amount, unit_price, position
            FROM flagged WHERE offending
            QUALIFY row_number() OVER (PARTITION BY charge_key, price_id ORDER BY position) = 1"""
    ).fetchall()


def _beyond_limits(connection: duckdb.DuckDBPyConnection) -> Iterator[Failure]:
    suspects = f"""
        SELECT charge_key, price_id, NULL AS model FROM {table("charges")}
        WHERE quantity_extent > {LIMIT} OR amount_extent > {LIMIT} OR unit_price_extent > {LIMIT}"""
    offending = (
        f"abs(u.quantity) > {LIMIT} OR abs(u.amount) > {LIMIT} OR abs(u.unit_price) > {LIMIT}"
    )
    for row in _first_in_order(connection, suspects=suspects, offending=offending):
        charge_key, price_id, _, record_id, quantity, amount, unit_price, position = row
        assert isinstance(charge_key, str) and isinstance(price_id, str)
        assert isinstance(position, int) and (record_id is None or isinstance(record_id, str))
        for field, number in (
            ("quantity", quantity),
            ("amount", amount),
            ("unit_price", unit_price),
        ):
            if isinstance(number, Decimal) and abs(number) > magnitude_limit:
                message = (
                    f"{describe_record(record_id, position)}: {field} {number} must be at most "
                    "10^24 in absolute value"
                )
                yield _failure(charge_key, price_id, UsageError(message))
                break


def describe_record(record_id: str | None, position: int) -> str:
    """How the pricing core names a record in an error: its id, else its position from 1."""
    if record_id is not None:
        return f"record {record_id!r}"
    return f"record #{position} (no record_id)"


def _first_offenders(connection: duckdb.DuckDBPyConnection) -> Iterator[Failure]:
    amounts = ", ".join(f"'{model}'" for model in _AMOUNT_MODELS)
    suspects = f"""
        SELECT c.charge_key, c.price_id, p.model FROM {table("charges")} c
        JOIN {table("prices")} p ON p.price_id = c.price_id
        WHERE (p.model IN ({amounts}) AND c.bad_amounts > 0)
           OR (p.model = 'dynamic' AND c.unpriced_records > 0)
           OR (p.model = 'percentile_95' AND c.negative_quantities > 0)"""
    offending = """CASE s.model WHEN 'dynamic' THEN u.amount IS NULL AND u.unit_price IS NULL
                    WHEN 'percentile_95' THEN u.quantity < 0
                    ELSE u.amount IS NULL OR u.amount < 0 END"""
    for row in _first_in_order(connection, suspects=suspects, offending=offending):
        charge_key, price_id, model, record_id, quantity, amount, _, position = row
        assert isinstance(charge_key, str) and isinstance(price_id, str)
        assert isinstance(model, str) and isinstance(position, int)
        assert isinstance(quantity, Decimal) and (amount is None or isinstance(amount, Decimal))
        assert record_id is None or isinstance(record_id, str)
        error = _record_error(model, record_id, quantity, amount, position)
        yield _failure(charge_key, price_id, error)


def _record_error(
    model: str, record_id: str | None, quantity: Decimal, amount: Decimal | None, position: int
) -> UsageError:
    if model == "percentile_95":
        name = record_id or f"events[{position - 1}]"
        return UsageError(f"{name}: sample of {quantity} Mbps is negative")
    # How the percentage and dynamic models name a record (their `describe_record`).
    record = (
        f"record {record_id!r}" if record_id is not None else f"record #{position} (no record_id)"
    )
    if model == "dynamic":
        return UsageError(
            f"{record} carries no price: a dynamic price needs the record's `amount`, or its "
            "`unit_price` to multiply by its quantity"
        )
    if amount is None:
        return UsageError(
            f"{record} has no transaction amount: a percentage price applies to each record's "
            "`amount`"
        )
    return UsageError(
        f"{record} has a negative transaction amount {amount}: bill a refund as a credit, not "
        "as a negative percentage fee"
    )


def _failed_calls(
    connection: duckdb.DuckDBPyConnection, prices: Mapping[str, CompiledPrice]
) -> Iterator[Failure]:
    for row in connection.execute(FIRST_FAILED_CALLS).fetchall():
        charge_key, price_id, position, record_id, duration, start_us = row[:6]
        origin, destination, day_type, first_timed, status = row[6:]
        name = record_id or f"events[{position - 1}]"
        numbers = f"destination {destination!r}, origin {origin!r}"
        if status == "negative":
            message = f"{name}: duration {shown(duration, QUANTITY_EXPONENT)} is negative"
        elif status == "no_band":
            message = f"{name}: no rate band covers {numbers}"
        elif status == "no_start":
            message = (
                f"{name}: has no start time, but rates[{first_timed}] for {numbers} depends on "
                "the time of day or the day type"
            )
        else:
            assert status == "no_match", status
            local = _local_start(prices[price_id], start_us)
            message = f"{name}: no rate band covers {numbers} at {local} ({day_type})"
        yield _failure(charge_key, price_id, UsageError(message))


def _local_start(price: CompiledPrice, start_us: int) -> datetime:
    assert price.conventions is not None
    started = start_time(start_us)
    assert started is not None
    return started.astimezone(ZoneInfo(price.conventions.time_zone))
