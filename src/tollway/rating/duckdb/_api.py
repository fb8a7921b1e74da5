"""The engine's two outputs: `RatingOutcome` objects (equal to the reference rater's) and Arrow
tables of charges and rejects for a bill run at scale."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Final

import duckdb
import pyarrow as pa

from tollway.conventions import Conventions, profile
from tollway.money import RoundingStage
from tollway.pricing import PriceDefinition
from tollway.rating.duckdb._call_lines import ChargeLines, call_lines
from tollway.rating.duckdb._compile import compile_catalog
from tollway.rating.duckdb._describe import ChargeTotals, LineRow, build_result, call_result
from tollway.rating.duckdb._engine import RatingRangeError, Session, rating_session
from tollway.rating.duckdb._records import (
    UsageSource,
    connect,
    create_usage_view,
    read_records,
    source_sql,
)
from tollway.rating.duckdb._sql import QUANTITY, ROUNDED, rounded, table, text
from tollway.rating.reference import (
    RatableRecord,
    RatedCharge,
    RatingOutcome,
    RatingReject,
    rate_records,
)

CHARGE_SCHEMA: Final = pa.schema(
    [("charge_key", pa.string()), ("price_id", pa.string()), ("currency", pa.string()),
     ("record_count", pa.int64()), ("quantity", pa.decimal128(38, 9)),
     ("precise_amount", pa.decimal256(76, 50)), ("amount", pa.decimal256(76, 50)),
     ("amount_minor", pa.int64())]
)  # fmt: skip
"""Charges of the columnar output. `amount` is rounded at the price's rounding stage; `amount_minor`
is it in integer minor units, null under per-invoice rounding (the invoice rounds the total).
Amounts are 256-bit decimals with 50 decimals: the SQL's amounts have 24, but a charge the
reference rater prices (see `fallback_prices`) may carry 38 significant digits of a fraction."""
REJECT_SCHEMA: Final = pa.schema(
    [("charge_key", pa.string()), ("price_id", pa.string()), ("record_id", pa.string()),
     ("code", pa.string()), ("message", pa.string())]
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ColumnarRating:
    """Rated charges and rejected records as Arrow tables, sorted like the reference's output."""

    charges: pa.Table
    rejects: pa.Table


def _conventions(conventions: Conventions | str) -> Conventions:
    return profile(conventions) if isinstance(conventions, str) else conventions


def rate_with_duckdb(
    usage: UsageSource,
    prices: Mapping[str, PriceDefinition],
    *,
    conventions: Conventions | str = "tollway",
    connection: duckdb.DuckDBPyConnection | None = None,
) -> RatingOutcome:
    """Rate usage records in DuckDB; the outcome equals `rate_records` on the same records.

    >>> import pyarrow as pa
    >>> from decimal import Decimal
    >>> from tollway.pricing.schema import parse_price_definition
    >>> gb = parse_price_definition({"id": "gb", "currency": "USD",
    ...                              "pricing": {"model": "per_unit", "unit_price": "0.10"}})
    >>> usage = pa.table({"charge_key": ["C1", "C1"], "price_id": ["gb", "gb"],
    ...                   "record_id": ["r1", "r2"],
    ...                   "quantity": pa.array([Decimal("1.5"), Decimal("2")], pa.decimal128(38, 9))})
    >>> outcome = rate_with_duckdb(usage, {"gb": gb})
    >>> [(c.charge_key, c.record_count, str(c.result.amount)) for c in outcome.charges]
    [('C1', 2, '0.35 USD')]
    """
    default = _conventions(conventions)
    with rating_session(usage, prices, conventions=default, connection=connection) as session:
        charges = _sql_charges(session)
        rejects = _sql_rejects(session)
        fallback = _fallback(session, default)
        submitted = _submitted(session)
    outcome = RatingOutcome(
        tuple(sorted([*charges, *fallback.charges], key=_charge_order)),
        tuple(sorted([*rejects, *fallback.rejects], key=_reject_order)),
    )
    assert outcome.record_count == submitted, "every record is rated or rejected"
    return outcome


def fallback_prices(
    prices: Mapping[str, PriceDefinition], *, conventions: Conventions | str = "tollway"
) -> dict[str, str]:
    """The prices whose charges the engine hands to the reference rater, with the reason.

    >>> from tollway.pricing.schema import parse_price_definition
    >>> per_second = parse_price_definition({"id": "voice", "currency": "USD", "pricing": {
    ...     "model": "duration", "rates": [{"pulse": "1/1", "rate": "0.10"}]}})
    >>> fallback_prices({"voice": per_second})
    {'voice': 'rates[0].intervals[0]: rate 0.10 × 1 s / 60 s does not terminate; the reference rater keeps it as an exact fraction'}
    """
    catalog = compile_catalog(prices, _conventions(conventions))
    return {
        price_id: price.fallback_reason
        for price_id, price in sorted(catalog.prices.items())
        if price.fallback_reason is not None
    }


def _charge_order(charge: RatedCharge) -> tuple[str, str]:
    return (charge.charge_key, charge.price_id)


def _reject_order(reject: RatingReject) -> tuple[str, str, str]:
    return (reject.charge_key, reject.price_id, reject.record_id or "")


def _sql_charges(session: Session) -> list[RatedCharge]:
    totals = _charge_totals(session)
    rows: dict[tuple[str, str], list[LineRow]] = {}
    if session.described_lines_sql is not None:
        cursor = session.connection.execute(
            f"SELECT * FROM ({session.described_lines_sql}) "
            "ORDER BY charge_key, price_id, line_stage, line_group, line_number"
        )
        for key, group in groupby(
            map(LineRow._make, cursor.fetchall()), key=lambda row: (row[0], row[1])
        ):
            rows[key] = list(group)
    calls: ChargeLines = {}
    if session.pattern_lines_sql is not None:
        calls = call_lines(session.connection, session.pattern_lines_sql, session.catalog.prices)
    charges: list[RatedCharge] = []
    for (charge_key, price_id), found in totals.items():
        price = session.catalog.prices[price_id]
        if price.model == "duration":
            result = call_result(price, found, calls.pop((charge_key, price_id), []))
        else:
            result = build_result(price, found, rows.pop((charge_key, price_id), []))
        charges.append(RatedCharge(charge_key, price_id, found.record_count, result))
    assert not rows, f"lines for charges that were not rated: {sorted(rows)[:3]}"
    assert not calls, f"calls of charges that were not rated: {sorted(calls)[:3]}"
    return charges


def _charge_totals(session: Session) -> dict[tuple[str, str], ChargeTotals]:
    found = session.connection.execute(
        f"SELECT c.charge_key, c.price_id, c.record_count, c.quantity, c.amount_total "
        f"FROM {table('charges')} c JOIN {table('prices')} p ON p.price_id = c.price_id "
        f"ANTI JOIN {table('failures')} f ON f.charge_key = c.charge_key "
        "AND f.price_id = c.price_id"
    ).fetchall()
    return {
        (charge_key, price_id): ChargeTotals(count, quantity, amount_total)
        for charge_key, price_id, count, quantity, amount_total in found
    }


def _rejects_sql() -> str:
    return (
        f"SELECT f.charge_key, f.price_id, u.record_id, f.code, f.message "
        f"FROM {table('usage')} u JOIN {table('failures')} f "
        "ON f.charge_key = u.charge_key AND f.price_id = u.price_id"
    )


def _sql_rejects(session: Session) -> list[RatingReject]:
    if not session.failures:
        return []
    rows = session.connection.execute(_rejects_sql()).fetchall()
    return [
        RatingReject(record_id, charge_key, price_id, code, message)
        for charge_key, price_id, record_id, code, message in rows
    ]


def _submitted(session: Session) -> int:
    found = session.connection.execute(f"SELECT count(*) FROM {table('usage')}").fetchone()
    assert found is not None
    count = found[0]
    assert isinstance(count, int)
    return count


def _fallback(session: Session, default: Conventions) -> RatingOutcome:
    """Charges of the prices the SQL does not rate exactly, priced by the reference rater (one
    `price()` per charge over its records)."""
    price_ids = session.catalog.ids_where(lambda price: price.fallback_reason is not None)
    if not price_ids:
        return RatingOutcome((), ())
    where = f"u.price_id IN ({', '.join(text(price_id) for price_id in price_ids)})"
    records = read_records(session.connection, where=where)
    definitions = {price_id: session.catalog.prices[price_id].definition for price_id in price_ids}
    return rate_records(records, definitions, conventions=default)


# --- columnar -----------------------------------------------------------------------------------


def rate_with_duckdb_columnar(
    usage: UsageSource,
    prices: Mapping[str, PriceDefinition],
    *,
    conventions: Conventions | str = "tollway",
    connection: duckdb.DuckDBPyConnection | None = None,
) -> ColumnarRating:
    """Rate usage records in DuckDB into Arrow tables, building no Python object per record.

    Each charge row carries what the reference's `RatedCharge` says in numbers: its record
    count, quantity, precise amount and rounded amount (see `CHARGE_SCHEMA`).
    """
    default = _conventions(conventions)
    with rating_session(usage, prices, conventions=default, connection=connection) as session:
        charges = _columnar_charges(session)
        rejects = _columnar_rejects(session)
        fallback = _fallback(session, default)
        submitted = _submitted(session)
    stages = {
        price_id: price.conventions.rounding_stage
        for price_id, price in session.catalog.prices.items()
        if price.conventions is not None
    }
    charges = pa.concat_tables([charges, _charge_table(fallback.charges, stages)])
    rejects = pa.concat_tables([rejects, _reject_table(fallback.rejects)])
    rated = pa.compute.sum(charges.column("record_count")).as_py() or 0
    assert rated + rejects.num_rows == submitted, "every record is rated or rejected"
    return ColumnarRating(
        charges.sort_by([("charge_key", "ascending"), ("price_id", "ascending")]),
        rejects.sort_by([(name, "ascending") for name in ("charge_key", "price_id", "record_id")]),
    )


def _columnar_charges(session: Session) -> pa.Table:
    if session.lines_sql is None:
        return CHARGE_SCHEMA.empty_table()
    line_rounded = rounded("l.amount", quantum="p.quantum", mode="p.rounding_mode")
    sums = f"""
        SELECT l.charge_key, l.price_id, sum(l.amount) AS precise,
               sum({line_rounded}) AS rounded_lines,
               max(l.quantity) FILTER (WHERE l.kind = 'percentile_sample') AS sample
        FROM lines l JOIN {table("prices")} p ON p.price_id = l.price_id
        GROUP BY l.charge_key, l.price_id"""
    rated = f"""
        SELECT c.charge_key, c.price_id, p.currency, c.record_count,
               CASE WHEN p.model IN ('percentage', 'graduated_percentage') THEN c.amount_total
                    WHEN p.model = 'percentile_95' THEN CAST(s.sample AS {QUANTITY})
                    ELSE c.quantity END AS quantity,
               coalesce(s.precise, 0) AS precise, coalesce(s.rounded_lines, 0) AS rounded_lines,
               p.rounding_stage, p.quantum, p.rounding_mode, p.power_of_ten
        FROM {table("charges")} c JOIN {table("prices")} p ON p.price_id = c.price_id
        LEFT JOIN sums s ON s.charge_key = c.charge_key AND s.price_id = c.price_id
        ANTI JOIN {table("failures")} f ON f.charge_key = c.charge_key AND f.price_id = c.price_id"""
    whole = rounded("precise", quantum="quantum", mode="rounding_mode")
    amounts = f"""
        SELECT *, CASE rounding_stage WHEN 'per_increment' THEN rounded_lines
                       WHEN 'per_line' THEN {whole} ELSE precise END AS amount
        FROM rated"""
    sql = f"""
        WITH lines AS ({session.lines_sql}), sums AS ({sums}), rated AS ({rated}),
             amounts AS ({amounts})
        SELECT charge_key, price_id, currency, record_count, quantity,
               precise AS precise_amount, amount,
               CASE WHEN rounding_stage = 'per_invoice' THEN NULL
                    ELSE CAST(CAST(amount AS {ROUNDED}) * power_of_ten AS BIGINT) END
                 AS amount_minor
        FROM amounts"""
    return _arrow(session.connection, sql).cast(CHARGE_SCHEMA)


def _columnar_rejects(session: Session) -> pa.Table:
    if not session.failures:
        return REJECT_SCHEMA.empty_table()
    return _arrow(session.connection, _rejects_sql()).cast(REJECT_SCHEMA)


def _arrow(connection: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    found = connection.sql(sql).to_arrow_table()
    assert isinstance(found, pa.Table)
    return found


def _charge_table(charges: Sequence[RatedCharge], stages: Mapping[str, RoundingStage]) -> pa.Table:
    rows = [
        {
            "charge_key": charge.charge_key,
            "price_id": charge.price_id,
            "currency": charge.result.currency.code,
            "record_count": charge.record_count,
            "quantity": charge.result.quantity,
            "precise_amount": charge.result.precise_amount,
            "amount": charge.result.amount.amount,
            "amount_minor": None
            if stages[charge.price_id] is RoundingStage.PER_INVOICE
            else charge.result.amount.to_minor(),
        }
        for charge in charges
    ]
    try:
        return pa.Table.from_pylist(rows, schema=CHARGE_SCHEMA)
    except pa.ArrowInvalid as error:
        raise RatingRangeError(
            f"a charge rated by the reference rater has an amount finer than 50 decimals: {error}"
        ) from error


def _reject_table(rejects: Iterable[RatingReject]) -> pa.Table:
    rows = [
        {
            "charge_key": reject.charge_key,
            "price_id": reject.price_id,
            "record_id": reject.record_id,
            "code": reject.code,
            "message": reject.message,
        }
        for reject in rejects
    ]
    return pa.Table.from_pylist(rows, schema=REJECT_SCHEMA)


def ratable_records(
    usage: UsageSource, *, connection: duckdb.DuckDBPyConnection | None = None
) -> list[RatableRecord]:
    """The usage records as the reference rater reads them (quantities with 9 decimals, start
    times in UTC): `rate_records(ratable_records(usage), prices)` is what the engine must equal."""
    active = connect() if connection is None else connection
    try:
        create_usage_view(active, source_sql(active, usage))
        return list(read_records(active))
    finally:
        active.execute(f"DROP VIEW IF EXISTS {table('usage')}")
        if isinstance(usage, pa.Table):
            active.unregister(table("input"))
        if connection is None:
            active.close()
