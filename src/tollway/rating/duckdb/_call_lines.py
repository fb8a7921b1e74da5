"""Breakdown lines of duration calls, described once per call pattern and stamped per call.

A duration charge's breakdown has lines per call: the connect fee and each rate interval billed.
Calls of one price with the same band and duration bill the same seconds and amounts, so the SQL
prices each distinct (price, band, duration) once (`_duration_lines.patterns_sql`) and this module
describes each pattern's lines once, re-deriving the billed seconds with the pricing core and
asserting them equal to the SQL's (as `_describe` does for every other model). A call's lines
are its pattern's, each description led by the call's record id: one `BreakdownLine` per line,
built from two Arrow columns (name, pattern), with no other Python work per call.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal, DecimalTuple
from typing import Final, NamedTuple

import duckdb

from tollway.money import plain_decimal
from tollway.pricing import BreakdownLine, DurationRating, RateBand, billed_seconds_by_interval
from tollway.rating.duckdb._compile import CompiledPrice
from tollway.rating.duckdb._describe import QUANTITY_EXPONENT, LineRow, shown
from tollway.rating.duckdb._duration_lines import CALL_ORDER
from tollway.rating.duckdb._sql import table


class PatternLine(NamedTuple):
    """One line of a call pattern: everything but the call's name at the head of `suffix`."""

    kind: str
    suffix: str
    quantity: Decimal
    unit_price: Decimal | None
    amount: Decimal


ChargeLines = dict[tuple[str, str], list[BreakdownLine]]
"""(charge key, price id) → the breakdown lines of the charge's calls, in call order."""


def describe_pattern_line(model: DurationRating, row: LineRow) -> PatternLine:
    """The line of a pattern row, its description without the call's name.

    >>> from tollway.pricing import RateBand, pulse_intervals
    >>> model = DurationRating(rates=(RateBand(pulse_intervals("30/6", rate="0.12"), name="UK"),))
    >>> row = LineRow(None, "voice", 0, 7, 2, "increment", None, Decimal("6"), Decimal("0.12"),
    ...               Decimal("0.012"), None, 1, Decimal("31.000000000000"), 0, None, None)
    >>> describe_pattern_line(model, row).suffix
    ': 6 s at 0.12 per 60 s in 6 s increments (UK, interval 1)'
    """
    assert row.note_index is not None
    band = model.rates[row.note_index]
    label = band.name or f"rates[{row.note_index}]"
    if row.kind == "connect_fee":
        return _pattern_line(row, f": connect fee ({label})")
    assert (
        row.kind == "increment" and row.note_value is not None and row.note_other_count is not None
    )
    duration = shown(row.note_value, QUANTITY_EXPONENT)
    interval = band.intervals[row.note_other_count]
    seconds = _billed_seconds(band, duration)[row.note_other_count]
    assert seconds == row.quantity, (
        f"pattern {row.line_group}: SQL billed {row.quantity} s, not {seconds} s"
    )
    suffix = (
        f": {seconds} s at {interval.rate} per {interval.rate_unit_seconds} s "
        f"in {interval.rate_increment_seconds} s increments ({label}, "
        f"interval {row.note_other_count})"
    )
    return _pattern_line(row, suffix)


numbers_shared_max: Final = 65_536
"""Distinct numbers (value and written form) the pattern lines of a process share."""
_shared_numbers: Final[dict[DecimalTuple, Decimal]] = {}
"""Pattern line numbers by written form, shared across rating calls: the batches and re-rated
periods of a bill run bill the same few thousand (seconds, rate, amount), and a bill that finds
the same number objects again needs no copies of its lines (`tollway.billing` keeps lines whose
numbers are already plain as they are)."""
_seconds_by_band: Final[dict[tuple[int, DecimalTuple], tuple[RateBand, tuple[Decimal, ...]]]] = {}
"""The billed seconds by interval of a band (by identity, kept alive here) and a duration."""


def _billed_seconds(band: RateBand, duration: Decimal) -> tuple[Decimal, ...]:
    key = (id(band), duration.as_tuple())
    found = _seconds_by_band.get(key)
    if found is None or found[0] is not band:
        if len(_seconds_by_band) >= numbers_shared_max:
            _seconds_by_band.clear()
        found = _seconds_by_band[key] = (band, billed_seconds_by_interval(band.intervals, duration))
    return found[1]


def _pattern_line(row: LineRow, suffix: str) -> PatternLine:
    # The SQL's fixed scales (60.000000000000 s) written plainly (60 s): equal values, and the
    # form bills keep, so a bill can take the lines as they are.
    unit_price = None if row.unit_price is None else plain_decimal(row.unit_price)
    return PatternLine(
        row.kind, suffix, plain_decimal(row.quantity), unit_price, plain_decimal(row.amount)
    )


def _shared(line: PatternLine) -> PatternLine:
    """The line with each number replaced by the first equal one written alike: patterns that
    bill the same seconds share number objects (cheaper to compare, hash and copy later)."""
    numbers = _shared_numbers
    if len(numbers) >= numbers_shared_max:
        numbers.clear()
    quantity = numbers.setdefault(line.quantity.as_tuple(), line.quantity)
    amount = numbers.setdefault(line.amount.as_tuple(), line.amount)
    unit_price = (
        None
        if line.unit_price is None
        else numbers.setdefault(line.unit_price.as_tuple(), line.unit_price)
    )
    return line._replace(quantity=quantity, unit_price=unit_price, amount=amount)


def _patterns(
    connection: duckdb.DuckDBPyConnection, sql: str, prices: Mapping[str, CompiledPrice]
) -> list[Sequence[PatternLine]]:
    found = connection.execute(f"SELECT count(*) FROM {table('patterns')}").fetchone()
    assert found is not None
    patterns: list[list[PatternLine]] = [[] for _ in range(int(found[0]))]
    cursor = connection.execute(f"SELECT * FROM ({sql}) ORDER BY line_group, line_number")
    for row in map(LineRow._make, cursor.fetchall()):
        model = prices[row.price_id].priced_model
        assert isinstance(model, DurationRating), f"{row.price_id} is not a duration price"
        patterns[row.line_group].append(_shared(describe_pattern_line(model, row)))
    return [tuple(lines) for lines in patterns]


def call_lines(
    connection: duckdb.DuckDBPyConnection,
    pattern_lines_sql: str,
    prices: Mapping[str, CompiledPrice],
) -> ChargeLines:
    """The breakdown lines of every rated duration charge, in call order (start time, then record id)."""
    patterns = _patterns(connection, pattern_lines_sql, prices)
    calls = table("patterned_calls")
    counts = connection.execute(
        f"SELECT charge_key, price_id, count(*) FROM {calls} "
        "GROUP BY charge_key, price_id ORDER BY charge_key, price_id"
    ).fetchall()
    ordered = connection.sql(
        f"SELECT name, pattern FROM {calls} ORDER BY charge_key, price_id, {CALL_ORDER}"
    ).to_arrow_table()
    names = ordered.column("name").to_pylist()
    pattern_ids = ordered.column("pattern").to_pylist()
    assert sum(count for _, _, count in counts) == len(names), "every call is in one charge"
    found: ChargeLines = {}
    start = 0
    for charge_key, price_id, count in counts:
        end = start + count
        found[charge_key, price_id] = [
            BreakdownLine(kind, name + suffix, quantity, unit_price, amount)
            for name, pattern in zip(names[start:end], pattern_ids[start:end], strict=True)
            for kind, suffix, quantity, unit_price, amount in patterns[pattern]
        ]
        start = end
    return found
