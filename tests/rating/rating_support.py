"""Helpers shared by the rating tests: usage tables written out record by record, and comparisons
of the DuckDB engine's outputs with the reference rater's that say what differs."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import pyarrow as pa

from tollway.conventions import Conventions
from tollway.money import RoundingStage
from tollway.pricing import PriceDefinition
from tollway.pricing.schema import parse_price_definition
from tollway.rating.duckdb import (
    ColumnarRating,
    ratable_records,
    rate_with_duckdb,
    rate_with_duckdb_columnar,
)
from tollway.rating.reference import RatingOutcome, rate_records

USAGE_SCHEMA = pa.schema(
    [
        ("charge_key", pa.string()),
        ("price_id", pa.string()),
        ("record_id", pa.string()),
        ("quantity", pa.decimal128(38, 9)),
        ("start_time", pa.timestamp("us", tz="UTC")),
        ("amount", pa.decimal128(38, 9)),
        ("unit_price", pa.decimal128(38, 12)),
        ("origin", pa.string()),
        ("destination", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class Record:
    """One usage record as a test writes it: numbers as strings, never floats."""

    charge_key: str | None
    price_id: str
    record_id: str | None
    quantity: str
    start_time: datetime | None = None
    amount: str | None = None
    unit_price: str | None = None
    origin: str | None = None
    destination: str | None = None


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def usage_table(records: Iterable[Record]) -> pa.Table:
    rows = [
        {
            "charge_key": record.charge_key,
            "price_id": record.price_id,
            "record_id": record.record_id,
            "quantity": Decimal(record.quantity),
            "start_time": record.start_time,
            "amount": _number(record.amount),
            "unit_price": _number(record.unit_price),
            "origin": record.origin,
            "destination": record.destination,
        }
        for record in records
    ]
    return pa.Table.from_pylist(rows, schema=USAGE_SCHEMA)


def catalog(*documents: Mapping[str, object]) -> dict[str, PriceDefinition]:
    """Price definitions by id, parsed from price documents."""
    parsed = [parse_price_definition(document) for document in documents]
    return {definition.id: definition for definition in parsed}


@dataclass
class Comparison:
    reference: RatingOutcome
    engine: RatingOutcome
    columnar: ColumnarRating
    problems: list[str] = field(default_factory=list)


def compare(
    usage: pa.Table, prices: Mapping[str, PriceDefinition], conventions: Conventions
) -> Comparison:
    """Rate `usage` with the reference, the engine and its columnar form; list every difference."""
    reference = rate_records(ratable_records(usage), prices, conventions=conventions)
    engine = rate_with_duckdb(usage, prices, conventions=conventions)
    columnar = rate_with_duckdb_columnar(usage, prices, conventions=conventions)
    comparison = Comparison(reference, engine, columnar)
    comparison.problems.extend(_outcome_differences(engine, reference))
    stages = {
        price_id: definition.conventions(conventions).rounding_stage
        for price_id, definition in prices.items()
    }
    comparison.problems.extend(_columnar_differences(columnar, reference, stages))
    return comparison


def _outcome_differences(engine: RatingOutcome, reference: RatingOutcome) -> list[str]:
    problems: list[str] = []
    if len(engine.charges) != len(reference.charges):
        problems.append(f"{len(engine.charges)} charges, reference {len(reference.charges)}")
    for got, want in zip(engine.charges, reference.charges, strict=False):
        if got != want:
            problems.append(
                f"charge {want.charge_key}/{want.price_id}:\n  engine    {got}\n  reference {want}"
            )
    if engine.rejects != reference.rejects:
        problems.append(f"rejects:\n  engine    {engine.rejects}\n  reference {reference.rejects}")
    return problems


def _columnar_differences(
    columnar: ColumnarRating, reference: RatingOutcome, stages: Mapping[str, RoundingStage]
) -> list[str]:
    want = [
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
        for charge in reference.charges
    ]
    got = columnar.charges.to_pylist()
    problems = [] if got == want else [f"columnar charges:\n  engine    {got}\n  reference {want}"]
    rejects = [
        (reject.charge_key, reject.price_id, reject.record_id, reject.code, reject.message)
        for reject in reference.rejects
    ]
    got_rejects = [tuple(row.values()) for row in columnar.rejects.to_pylist()]
    if sorted(got_rejects, key=str) != sorted(rejects, key=str):
        problems.append(f"columnar rejects:\n  engine    {got_rejects}\n  reference {rejects}")
    return problems
