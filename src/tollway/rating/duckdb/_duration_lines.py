"""Duration rating in SQL: band choice per call, billed seconds per rate interval, connect fees.

1. `calls` (a temp table, one row per call): the local start time comes from a table of the UTC
   offsets of the conventions' time zone, computed with `zoneinfo` (the zone data the pricing
   core uses), joined on the zone and the stretch holding the start; the candidate bands come
   from an equality join on the destination's prefixes of the lengths the bands use (no scan of
   every band per call); the most specific covering band wins, as in the model. A call no band
   covers gets a status naming why. A call's place in its charge's event order is only numbered
   where it is shown (a call without a record id, the first failing call).
2. Calls of one price with the same band and duration bill the same: the distinct (price, band,
   duration) are numbered as call *patterns* (`patterns`, and `patterned_calls` gives each rated
   call its pattern), and each pattern is billed once.
3. Billed seconds: interval after interval (the chain is unrolled to the longest interval list),
   the usage inside an interval rounded up to whole increments on scaled integers, the position
   moving to where the last increment ends.
4. Each interval costs `increments × increment price` (the price compiled exactly in Python),
   rounded with the band's decimals and mode when the band sets them.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from tollway.rating.duckdb._sql import (
    VALUE,
    LineQuery,
    LineSelect,
    ceil_divide,
    rounded,
    table,
    unscaled,
)

_HOUR_US: Final = 3_600_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_BAND_INDEX_UNITS: Final = 2**17
"""Band indexes are below 100 000 (the model's limit), so 2^17 slots order them in one key."""
_NOT_FAILED: Final = f"""NOT EXISTS (SELECT 1 FROM {table("failures")} f
                          WHERE f.charge_key = c.charge_key AND f.price_id = c.price_id)"""


# --- time zones ---------------------------------------------------------------------------------


def _offset_us(zone: ZoneInfo, instant_us: int) -> int:
    offset = (_EPOCH + timedelta(microseconds=instant_us)).astimezone(zone).utcoffset()
    assert offset is not None
    return offset // timedelta(microseconds=1)


def utc_offsets(zone: ZoneInfo, *, first_us: int, last_us: int) -> Iterator[tuple[int, int]]:
    """(from epoch µs, UTC offset µs) rows covering [first_us, last_us] for `zone`.

    The zone is sampled every hour and each change is narrowed to the microsecond it happens,
    so the engine's local times are the ones `zoneinfo` gives the reference rater.

    >>> # London moves to summer time at 01:00 UTC on 31 March 2024.
    >>> midnight_us = 1711843200000000  # 2024-03-31 00:00 UTC
    >>> rows = utc_offsets(ZoneInfo("Europe/London"), first_us=midnight_us,
    ...                    last_us=midnight_us + 3 * 3_600_000_000)
    >>> [(str(_EPOCH + timedelta(microseconds=start)), offset // 3_600_000_000)
    ...  for start, offset in rows]
    [('2024-03-31 00:00:00+00:00', 0), ('2024-03-31 01:00:00+00:00', 1)]
    """
    start = first_us - first_us % _HOUR_US
    current = _offset_us(zone, start)
    yield start, current
    while start < last_us:
        following = start + _HOUR_US
        if _offset_us(zone, following) != current:
            changed_at = _first_change(zone, low=start, high=following, offset=current)
            current = _offset_us(zone, changed_at)
            yield changed_at, current
        start = following


def _first_change(zone: ZoneInfo, *, low: int, high: int, offset: int) -> int:
    """The first instant in (low, high] whose offset differs from `offset` (at `low`)."""
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_us(zone, middle) == offset:
            low = middle
        else:
            high = middle
    return high


def offsets_table(connection: duckdb.DuckDBPyConnection) -> pa.Table:
    """The offsets of every time zone a timed duration price rates calls in, over their span: one
    row per stretch [from_us, until_us) of one offset (the last one open-ended)."""
    spans = connection.execute(
        f"SELECT p.time_zone, min(epoch_us(u.start_time)), max(epoch_us(u.start_time)) "
        f"FROM {table('usage')} u JOIN {table('prices')} p ON p.price_id = u.price_id "
        "WHERE p.model = 'duration' AND p.timed AND u.start_time IS NOT NULL GROUP BY 1"
    ).fetchall()
    zones: list[str] = []
    starts: list[int] = []
    untils: list[int | None] = []
    offsets: list[int] = []
    for zone_name, first_us, last_us in spans:
        found = list(utc_offsets(ZoneInfo(zone_name), first_us=first_us, last_us=last_us))
        for index, (start, offset) in enumerate(found):
            zones.append(zone_name)
            starts.append(start)
            untils.append(found[index + 1][0] if index + 1 < len(found) else None)
            offsets.append(offset)
    return pa.table(
        {"zone": pa.array(zones, pa.string()), "from_us": pa.array(starts, pa.int64()),
         "until_us": pa.array(untils, pa.int64()), "offset_us": pa.array(offsets, pa.int64())}
    )  # fmt: skip


# --- calls and their bands ----------------------------------------------------------------------


def _strip_plus(column: str) -> str:
    # E.164 numbers may come with or without one leading "+"; prefixes are written without it.
    return f"CASE WHEN starts_with(u.{column}, '+') THEN substr(u.{column}, 2) ELSE u.{column} END"


def _dated_ctes() -> list[tuple[str, str]]:
    # `call_id` numbers the calls of this run (in no particular order): the band choice groups by
    # it. Event order (start time, then record id) is taken only where it is needed.
    called = f"""
        SELECT u.charge_key, u.price_id, u.record_id, CAST(u.quantity AS {VALUE}) AS duration,
               u.origin, u.destination, epoch_us(u.start_time) AS start_us,
               row_number() OVER () AS call_id,
               {_strip_plus("destination")} AS dialled, {_strip_plus("origin")} AS calling,
               p.timed, p.time_zone
        FROM {table("usage")} u JOIN {table("prices")} p ON p.price_id = u.price_id
        WHERE p.model = 'duration'"""
    # The offsets of a zone are consecutive stretches [from_us, until_us): at most one holds a
    # start (an equality join on the zone, not an AS OF join, which sorts every call).
    localised = f"""
        SELECT c.*, CASE WHEN c.timed THEN c.start_us + o.offset_us END AS local_us
        FROM called c LEFT JOIN {table("offsets")} o
          ON o.zone = c.time_zone AND c.start_us >= o.from_us
         AND (o.until_us IS NULL OR c.start_us < o.until_us)"""
    day = "isodow(make_timestamp(l.local_us))"
    dated = f"""
        SELECT l.*, CAST(make_timestamp(l.local_us) AS TIME) AS clock,
               CASE WHEN l.local_us IS NULL THEN NULL WHEN h.holiday IS NOT NULL THEN 'holiday'
                    WHEN {day} = 6 THEN 'saturday' WHEN {day} = 7 THEN 'sunday'
                    ELSE 'weekday' END AS day_type
        FROM localised l LEFT JOIN {table("holidays")} h
          ON h.price_id = l.price_id AND h.holiday = CAST(make_timestamp(l.local_us) AS DATE)"""
    return [("called", called), ("localised", localised), ("dated", dated)]


_CANDIDATE_COLUMNS: Final = (
    "d.call_id, d.calling, d.clock, d.day_type, d.local_us, "
    "b.band_index, b.zone_length, b.origin_zone, b.origin_length, b.timed, b.from_time, "
    "b.to_time, b.wraps, b.any_day, b.on_weekday, b.on_saturday, b.on_sunday, b.on_holiday, "
    "b.restrictions"
)


def _band_ctes() -> list[tuple[str, str]]:
    bands = table("bands")
    # Each call's destination prefixes of the lengths the price's bands use, then an equality
    # join with the bands on (price, length, prefix).
    prefixes = f"""
        SELECT d.*, z.zone_length AS prefix_length, substr(d.dialled, 1, z.zone_length) AS prefix
        FROM dated d JOIN {table("zone_lengths")} z
          ON z.price_id = d.price_id AND z.zone_length <= length(d.dialled)"""
    candidates = f"""
        SELECT {_CANDIDATE_COLUMNS}
        FROM dialled_prefixes d
        JOIN {bands} b ON b.price_id = d.price_id AND b.zone_length = d.prefix_length
                      AND b.zone = d.prefix
        UNION ALL
        SELECT {_CANDIDATE_COLUMNS}
        FROM dated d JOIN {bands} b ON b.price_id = d.price_id AND b.zone IS NULL"""
    on_day = (
        "(any_day OR (day_type = 'weekday' AND on_weekday) OR (day_type = 'saturday' AND "
        "on_saturday) OR (day_type = 'sunday' AND on_sunday) OR (day_type = 'holiday' AND "
        "on_holiday))"
    )
    on_clock = (
        "(from_time IS NULL OR CASE WHEN wraps THEN clock >= from_time OR clock < to_time "
        "ELSE clock >= from_time AND clock < to_time END)"
    )
    zoned = f"""
        SELECT *, NOT timed OR (local_us IS NOT NULL AND {on_day} AND {on_clock}) AS covers,
               ((CAST(zone_length AS HUGEINT) * 4 + restrictions) * 1048576 + origin_length)
               * {_BAND_INDEX_UNITS} + ({_BAND_INDEX_UNITS - 1} - band_index) AS specificity
        FROM band_candidates
        WHERE origin_zone IS NULL OR (calling IS NOT NULL AND starts_with(calling, origin_zone))"""
    # The most specific covering band: longest destination prefix, more time restrictions,
    # longest origin prefix, then the band listed first.
    chosen = """
        SELECT call_id, count(*) AS zoned_count,
               min(band_index) FILTER (WHERE timed) AS first_timed,
               arg_max(band_index, specificity) FILTER (WHERE covers) AS band_index
        FROM zoned_bands GROUP BY call_id"""
    return [
        ("dialled_prefixes", prefixes),
        ("band_candidates", candidates),
        ("zoned_bands", zoned),
        ("chosen_bands", chosen),
    ]


def calls_sql() -> str:
    """One row per duration call: its band, or the status saying why no band rates it."""
    ctes = [*_dated_ctes(), *_band_ctes()]
    status = """CASE WHEN d.duration < 0 THEN 'negative'
                     WHEN s.zoned_count IS NULL THEN 'no_band'
                     WHEN s.first_timed IS NOT NULL AND d.local_us IS NULL THEN 'no_start'
                     WHEN s.band_index IS NULL THEN 'no_match' ELSE 'ok' END"""
    return (
        "WITH " + ", ".join(f"{name} AS ({body})" for name, body in ctes) + " "
        "SELECT d.charge_key, d.price_id, d.call_id, d.record_id, d.duration, d.start_us, "
        "d.origin, d.destination, d.day_type, s.first_timed, s.band_index, "
        f"{status} AS status "
        "FROM dated d LEFT JOIN chosen_bands s ON s.call_id = d.call_id"
    )


CALL_ORDER: Final = "start_us ASC NULLS FIRST, record_id ASC NULLS FIRST"
"""The reference's event order over the `calls` table (start time, missing first; record id)."""


def _positions_sql(*, where: str) -> str:
    """Each call's position (from 1, in event order) in its charge, for the charges with a call
    for which `where` holds: only they need one."""
    calls = table("calls")
    return f"""
        SELECT c.call_id,
               row_number() OVER (PARTITION BY c.charge_key, c.price_id ORDER BY {CALL_ORDER})
                 AS position
        FROM {calls} c SEMI JOIN (SELECT DISTINCT charge_key, price_id FROM {calls} WHERE {where}) s
          ON s.charge_key = c.charge_key AND s.price_id = c.price_id"""


FIRST_FAILED_CALLS: Final = f"""
    WITH positions AS ({_positions_sql(where="status <> 'ok'")})
    SELECT c.charge_key, c.price_id, p.position, c.record_id, c.duration, c.start_us, c.origin,
           c.destination, c.day_type, c.first_timed, c.status
    FROM {table("calls")} c JOIN positions p ON p.call_id = c.call_id WHERE c.status <> 'ok'
    QUALIFY row_number() OVER (PARTITION BY c.charge_key, c.price_id ORDER BY p.position) = 1"""


# --- billed seconds and lines -------------------------------------------------------------------
#
# Calls of one price with the same band and the same duration bill the same seconds and costs, so
# the intervals are billed once per distinct (price, band, duration): a call *pattern*. The
# `patterns` table numbers them; `patterned_calls` gives every call its pattern.

_PATTERN_KEY: Final = "pattern, price_id, band_index, duration"


def patterns_sql() -> str:
    """The distinct (price, band, duration) of the calls that are rated, numbered from 0."""
    return f"""
        SELECT row_number() OVER (ORDER BY price_id, band_index, duration) - 1 AS pattern,
               price_id, band_index, duration
        FROM (SELECT DISTINCT c.price_id, c.band_index, c.duration
              FROM {table("calls")} c WHERE c.status = 'ok' AND {_NOT_FAILED})"""


def patterned_calls_sql() -> str:
    """Every rated call (of a charge no call failed) with its pattern, its start and the name its
    breakdown lines carry: its record id, else its position ("events[0]" for the first)."""
    name = (
        "CASE WHEN c.record_id IS NULL OR c.record_id = '' "
        "THEN 'events[' || CAST(n.position - 1 AS VARCHAR) || ']' ELSE c.record_id END"
    )
    return f"""
        WITH positions AS ({_positions_sql(where="record_id IS NULL OR record_id = ''")})
        SELECT c.charge_key, c.price_id, c.start_us, c.record_id, {name} AS name, p.pattern
        FROM {table("calls")} c JOIN {table("patterns")} p
          ON p.price_id = c.price_id AND p.band_index = c.band_index AND p.duration = c.duration
        LEFT JOIN positions n ON n.call_id = c.call_id
        WHERE c.status = 'ok' AND {_NOT_FAILED}"""


def _interval_step(index: int) -> tuple[list[tuple[str, str]], str]:
    """The CTEs billing rate interval `index` of every pattern still inside its band's intervals,
    and the SELECT of the seconds and cost it bills."""
    end = "COALESCE(i.next_start, s.duration)"  # the last interval runs to the call's end
    usage = f"GREATEST(LEAST(s.duration, {end}) - s.elapsed, CAST(0 AS {VALUE}))"
    whole = ceil_divide(unscaled("usage"), "step_units")
    located = f"""
        SELECT s.*, i.interval_index, i.step, i.rate, i.increment_price,
               CAST(i.step_units AS HUGEINT) AS step_units, {usage} AS usage
        FROM state_{index} s JOIN {table("intervals")} i
          ON i.price_id = s.price_id AND i.band_index = s.band_index
         AND i.interval_index = {index}"""
    billed = f"""
        SELECT *, CAST(CASE WHEN usage > 0 THEN {whole} ELSE 0 END AS DECIMAL(38,0)) AS increments
        FROM usage_{index}"""
    # The next interval starts where this one's last increment ends.
    moved = f"""
        SELECT {_PATTERN_KEY}, elapsed + increments * step AS elapsed
        FROM billed_{index}"""
    ctes = [(f"usage_{index}", located), (f"billed_{index}", billed), (f"state_{index + 1}", moved)]
    costs = (
        f"SELECT {_PATTERN_KEY}, interval_index, "
        "rate, increments * step AS seconds, increments * increment_price AS cost "
        f"FROM billed_{index} WHERE increments > 0"
    )
    return ctes, costs


def _interval_ctes(interval_count: int) -> list[tuple[str, str]]:
    """Billed seconds interval after interval (unrolled), then every interval's cost."""
    first = f"""
        SELECT {_PATTERN_KEY}, CAST(0 AS {VALUE}) AS elapsed FROM {table("patterns")}"""
    ctes: list[tuple[str, str]] = [("state_0", first)]
    costs: list[str] = []
    for index in range(interval_count):
        step_ctes, step_costs = _interval_step(index)
        ctes.extend(step_ctes)
        costs.append(step_costs)
    costed = f"""
        SELECT x.*, b.rounding_quantum, b.rounding_mode
        FROM ({" UNION ALL ".join(costs)}) x JOIN {table("bands")} b
          ON b.price_id = x.price_id AND b.band_index = x.band_index"""
    return [*ctes, ("interval_costs", costed)]


def _pattern_notes(**columns: str) -> dict[str, str]:
    return {
        "charge_key": "NULL",
        "line_group": "pattern",
        "note_index": "band_index",
        "note_value": "duration",
        **columns,
    }


def duration_pattern_query(interval_count: int) -> LineQuery:
    """Connect fee and increment lines of every call pattern, in line order within a pattern
    (`line_group` is the pattern, `line_number` 0 the connect fee, k + 1 interval k)."""
    assert interval_count >= 1
    connect = f"""
        SELECT t.pattern, t.price_id, t.band_index, t.duration, b.connect_fee,
               p.connect_fee_on_zero
        FROM {table("patterns")} t
        JOIN {table("bands")} b ON b.price_id = t.price_id AND b.band_index = t.band_index
        JOIN {table("prices")} p ON p.price_id = t.price_id"""
    band_rounded = rounded("cost", quantum="rounding_quantum", mode="rounding_mode")
    selects = (
        LineSelect(
            "connected_patterns",
            _pattern_notes(
                kind="'connect_fee'", quantity="1", unit_price="connect_fee", amount="connect_fee"
            ),
            where="connect_fee > 0 AND (duration > 0 OR connect_fee_on_zero)",
        ),
        LineSelect(
            "interval_costs",
            _pattern_notes(
                line_number="interval_index + 1",
                kind="'increment'",
                quantity="seconds",
                unit_price="rate",
                amount=f"CASE WHEN rounding_quantum IS NULL THEN cost ELSE {band_rounded} END",
                note_other_count="interval_index",
            ),
        ),
    )
    ctes = (("connected_patterns", connect), *_interval_ctes(interval_count))
    return LineQuery(ctes, selects)


def duration_line_query(interval_count: int) -> LineQuery:
    """Connect fee and increment lines of every call of a charge that no call failed: each call's
    pattern lines, under the call's charge, position and record id."""
    patterns = duration_pattern_query(interval_count)
    calls = f"""
        SELECT c.charge_key, c.price_id, c.record_id, l.line_number, l.kind, l.quantity,
               l.unit_price, l.amount, l.note_index, l.note_other_count, l.note_value
        FROM {table("patterned_calls")} c JOIN pattern_lines l ON l.line_group = c.pattern"""
    select = LineSelect(
        "call_lines",
        {
            "line_number": "line_number",
            "kind": "kind",
            "quantity": "quantity",
            "unit_price": "unit_price",
            "amount": "amount",
            "note_text": "record_id",
            "note_index": "note_index",
            "note_other_count": "note_other_count",
            "note_value": "note_value",
        },
    )
    return LineQuery((("pattern_lines", patterns.sql()), ("call_lines", calls)), (select,))
