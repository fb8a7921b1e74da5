"""Vectorized usage: the records of every circuit's active windows, written per cycle as Parquet.

No Python loop runs per record: circuits are processed in chunks, and each chunk's records are
drawn with numpy (counts per window, then start times, quantities, destinations as arrays) and
assembled with pyarrow. Quantities are drawn as integers (kB, seconds, events, kbit/s) and stored
exactly as DECIMAL(38, 9), the usage store's type; no quantity is ever a float.

What a cycle file holds besides the cycle's own records, for ingestion to deal with:
- late records: about 0.4 % of a cycle's records arrive in the next cycle's file;
- duplicates: about 0.2 % are sent twice in the same file (`duplicate_in_load`) and about 0.1 %
  are re-sent in the next file (`duplicate_record`);
- bad records: about 0.05 % are copies with a new id and one defect, in turn a negative quantity,
  an end before the start, an unknown circuit, or a missing usage type.
The first cycle's first voice records (at most `csv_records_max`) come from a second session
border controller as a small CSV file instead, to exercise CSV ingestion.
"""

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from tollway.generator._products import USAGE_KINDS, UsagePlan
from tollway.generator._sizes import SizeProfile

QUANTITY_TYPE: Final = pa.decimal128(38, 9)
QUANTITY_SCALE: Final = 10**9
TIME_TYPE: Final = pa.timestamp("us", tz="UTC")
USAGE_SCHEMA: Final = pa.schema(
    [
        ("record_id", pa.string()),
        ("source", pa.string()),
        ("circuit_id", pa.string()),
        ("usage_type", pa.string()),
        ("start_time", TIME_TYPE),
        ("end_time", TIME_TYPE),
        ("quantity", QUANTITY_TYPE),
        ("unit", pa.string()),
        ("origin", pa.string()),
        ("destination", pa.string()),
    ]
)
"""The columns of the usage files, named and typed as docs/usage-records.md documents them."""
SOURCES: Final = ("sdwan-orchestrator", "sbc-core-1", "siem-collector", "snmp-poller-1")
UNITS: Final = ("GB", "s", "events", "Mbit/s")
CSV_SOURCE: Final = "sbc-edge-2"
UNKNOWN_CIRCUIT_ID: Final = "99.ZZZZ.9999999..XX"
BAD_KINDS: Final = ("negative_quantity", "end_before_start", "unknown_circuit", "missing_field")
circuits_per_chunk: Final = 10_000
csv_records_max: Final = 500
sample_interval_s: Final = 300
late_share: Final = 0.004
duplicate_share: Final = 0.002
resent_share: Final = 0.001
bad_share: Final = 0.0005
_RECORDS_FACTOR: Final = (1.6, 2.2, 1.0, 0.0)
"""Mean records per circuit and cycle, per usage kind, as a multiple of the profile's mean."""
_BENCHMARK_RECORDS_PER_CIRCUIT: Final = 50.0
_ZONES: Final = ("+1", "+44", "+447", "+49", "+33", "+52", "+81", "+91", "+61", "+55")
_ZONE_WEIGHTS: Final = (0.72, 0.06, 0.03, 0.04, 0.03, 0.04, 0.02, 0.03, 0.02, 0.01)
_DATA, _VOICE, _EVENTS, _SAMPLE = range(4)


@dataclass(slots=True)
class FileCounts:
    """What one cycle's usage file holds, by origin of the rows."""

    records: int = 0
    late: int = 0
    duplicates_in_file: int = 0
    resent: int = 0
    bad: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAD_KINDS, 0))


@dataclass(frozen=True, slots=True)
class _Circuits:
    """One chunk's circuits: their usage kind, rates, ids and calling numbers."""

    kind: np.ndarray
    committed_kbps: np.ndarray
    port_kbps: np.ndarray
    ids: pa.Array
    origins: pa.Array


@dataclass(frozen=True, slots=True)
class _Records:
    """A chunk's records as columns; `circuit` indexes the chunk's circuits."""

    circuit: np.ndarray
    kind: np.ndarray
    cycle: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    quantity: np.ndarray
    """Unscaled: the quantity × 10^9, as the DECIMAL(38, 9) stores it."""
    destination: pa.Array
    ordinal: np.ndarray


def decimal_array(unscaled: np.ndarray) -> pa.Array:
    """A DECIMAL(38, 9) array from int64 values × 10^9, built from its 16-byte words (no floats).

    >>> decimal_array(np.array([1_500_000_000, -2], dtype=np.int64)).to_pylist()
    [Decimal('1.500000000'), Decimal('-2E-9')]
    """
    assert sys.byteorder == "little", "DECIMAL128 words are little-endian"
    words = np.empty((len(unscaled), 2), dtype=np.int64)
    words[:, 0] = unscaled
    words[:, 1] = unscaled >> 63  # the high word extends the sign
    return pa.Array.from_buffers(
        QUANTITY_TYPE, len(unscaled), [None, pa.py_buffer(words.tobytes())]
    )


def _window_counts(
    windows: dict[str, np.ndarray],
    kinds: np.ndarray,
    profile: SizeProfile,
    cycle_seconds: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Records per window: Poisson around the kind's mean for the window's share of its cycle;
    one per 5-minute slot for bandwidth samples."""
    kind = kinds[windows["circuit"]]
    length = windows["end"] - windows["start"]
    mean = np.asarray(_RECORDS_FACTOR)[kind] * profile.usage_records_per_circuit
    counts = rng.poisson(mean * length / cycle_seconds[windows["cycle"]])
    first_slot = -(-windows["start"] // sample_interval_s) * sample_interval_s
    slots = np.maximum(0, -(-(windows["end"] - first_slot) // sample_interval_s))
    per_window: np.ndarray = np.where(kind == _SAMPLE, slots, counts).astype(np.int64)
    return per_window


def _quantities(
    kind: np.ndarray,
    scale: np.ndarray,
    diurnal: np.ndarray,
    committed_kbps: np.ndarray,
    port_kbps: np.ndarray,
    rng: np.random.Generator,
    *,
    volume_per_record: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(quantity × 10^9, duration in seconds) per record, drawn as integers of each kind's unit.

    Data and event volumes per record grow as records get fewer (`volume_per_record`), so a
    circuit's monthly volume, which the tiers and allowances price, is the same at every size."""
    count = len(kind)
    # Floats only shape the distributions; every quantity is an integer of its unit before it
    # is scaled to the DECIMAL's 9 decimals, so the stored values are exact.
    kilobytes = np.floor(rng.lognormal(14.5, 1.0, count) * scale * volume_per_record)
    kilobytes = np.clip(kilobytes, 1, 5_000_000_000).astype(np.int64)
    seconds = np.clip(np.floor(rng.lognormal(4.6, 1.1, count)), 0, 14_400).astype(np.int64)
    seconds[rng.random(count) < 0.05] = 0  # unanswered calls
    events = 1 + rng.poisson(300 * scale * volume_per_record).astype(np.int64)
    load = np.clip(scale * (0.7 + 0.3 * diurnal) + rng.normal(0, 0.08, count), 0.02, None)
    kbps = np.minimum(np.floor(committed_kbps * load).astype(np.int64), port_kbps)
    quantity: np.ndarray = np.select(
        [kind == _DATA, kind == _VOICE, kind == _EVENTS],
        [kilobytes * 1_000, seconds * QUANTITY_SCALE, events * QUANTITY_SCALE],
        kbps * 1_000_000,
    )
    duration: np.ndarray = np.select(
        [kind == _VOICE, kind == _SAMPLE], [seconds, np.int64(sample_interval_s)], np.int64(3_600)
    )
    assert quantity.dtype == np.int64 and duration.dtype == np.int64
    return quantity, duration


def _destinations(is_voice: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """E.164 numbers for calls (mostly domestic, some international); null for other records."""
    zone = rng.choice(len(_ZONES), size=len(is_voice), p=_ZONE_WEIGHTS)
    national = np.where(
        zone == 0,
        rng.integers(2_000_000_000, 10_000_000_000, len(is_voice)),
        rng.integers(100_000_000, 1_000_000_000, len(is_voice)),
    )
    numbers = pc.binary_join_element_wise(
        pa.array(_ZONES).take(pa.array(zone)), pc.cast(pa.array(national), pa.string()), ""
    )
    return pc.if_else(pa.array(is_voice), numbers, pa.scalar(None, pa.string()))


def _chunk_records(
    circuits: _Circuits,
    windows: dict[str, np.ndarray],
    profile: SizeProfile,
    cycle_seconds: np.ndarray,
    rng: np.random.Generator,
) -> _Records:
    counts = _window_counts(windows, circuits.kind, profile, cycle_seconds, rng)
    window = np.repeat(np.arange(len(counts)), counts)
    position = np.arange(len(window)) - np.repeat(np.cumsum(counts) - counts, counts)
    circuit = windows["circuit"][window]
    kind = circuits.kind[circuit]
    start, length = windows["start"][window], (windows["end"] - windows["start"])[window]
    first_slot = -(-start // sample_interval_s) * sample_interval_s
    start_s = np.where(
        kind == _SAMPLE,
        first_slot + sample_interval_s * position,
        start + np.floor(rng.random(len(window)) * length).astype(np.int64),
    )
    circuit_scale = rng.lognormal(0.0, 0.6, len(circuits.kind))
    diurnal = np.sin(2 * np.pi * ((start_s % 86_400) / 86_400 - 0.375))
    quantity, duration = _quantities(
        kind,
        circuit_scale[circuit],
        diurnal,
        circuits.committed_kbps[circuit],
        circuits.port_kbps[circuit],
        rng,
        volume_per_record=_BENCHMARK_RECORDS_PER_CIRCUIT / profile.usage_records_per_circuit,
    )
    return _Records(
        circuit,
        kind,
        windows["cycle"][window],
        start_s,
        start_s + duration,
        quantity,
        _destinations(kind == _VOICE, rng),
        np.arange(len(window)),
    )


def _table(records: _Records, rows: np.ndarray, circuits: _Circuits, *, chunk: int) -> pa.Table:
    """The usage-file rows of `records` at `rows` (a row number may repeat: a duplicate)."""
    kind = pa.array(records.kind[rows])
    circuit = pa.array(records.circuit[rows])
    ordinal = pc.utf8_lpad(pc.cast(pa.array(records.ordinal[rows]), pa.string()), 9, "0")
    no_text = pa.scalar(None, pa.string())
    columns = {
        "record_id": pc.binary_join_element_wise(f"{chunk:05d}-", ordinal, ""),
        "source": pa.array(SOURCES).take(kind),
        "circuit_id": circuits.ids.take(circuit),
        "usage_type": pa.array(USAGE_KINDS).take(kind),
        "start_time": pa.array(records.start_s[rows] * 1_000_000, TIME_TYPE),
        "end_time": pa.array(records.end_s[rows] * 1_000_000, TIME_TYPE),
        "quantity": decimal_array(records.quantity[rows]),
        "unit": pa.array(UNITS).take(kind),
        "origin": pc.if_else(pc.equal(kind, _VOICE), circuits.origins.take(circuit), no_text),
        "destination": records.destination.take(pa.array(rows)),
    }
    return pa.table(columns, schema=USAGE_SCHEMA)


def _bad_table(
    records: _Records, rows: np.ndarray, circuits: _Circuits, *, chunk: int, first_number: int
) -> tuple[pa.Table, np.ndarray]:
    """Copies of the records at `rows` with a new id and one defect each, defects taken in turn;
    returns the table and the count of each defect (in `BAD_KINDS` order)."""
    table = _table(records, rows, circuits, chunk=chunk)
    numbers = np.arange(first_number, first_number + len(rows))
    defect = numbers % len(BAD_KINDS)
    quantity, start_s = records.quantity[rows], records.start_s[rows]
    text_numbers = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), 7, "0")
    changed = {
        "record_id": pc.binary_join_element_wise(f"{chunk:05d}-bad-", text_numbers, ""),
        "quantity": decimal_array(np.where(defect == 0, -quantity - QUANTITY_SCALE, quantity)),
        "end_time": pa.array(
            np.where(defect == 1, start_s - 60, records.end_s[rows]) * 1_000_000, TIME_TYPE
        ),
        "circuit_id": pc.if_else(pa.array(defect == 2), UNKNOWN_CIRCUIT_ID, table["circuit_id"]),
        "usage_type": pc.if_else(
            pa.array(defect == 3), pa.scalar(None, pa.string()), table["usage_type"]
        ),
    }
    for name, column in changed.items():
        table = table.set_column(USAGE_SCHEMA.get_field_index(name), name, column)
    return table, np.bincount(defect, minlength=len(BAD_KINDS))


def _pick(rows: np.ndarray, share: float, minimum: int, rng: np.random.Generator) -> np.ndarray:
    """About `share` of `rows`, at least `minimum` of them (so a tiny world has some of each), in
    file order."""
    count = max(min(minimum, len(rows)), int(rng.binomial(len(rows), share)))
    return rows[np.sort(rng.choice(len(rows), size=count, replace=False))]


def _late(cycle: np.ndarray, cycles: int, rng: np.random.Generator) -> np.ndarray:
    """1 for the records that arrive a cycle late: about `late_share` of each cycle's but the last,
    at least one of each."""
    late = np.zeros(len(cycle), dtype=np.int64)
    for earlier in range(cycles - 1):
        late[_pick(np.flatnonzero(cycle == earlier), late_share, 1, rng)] = 1
    return late


@dataclass(slots=True)
class UsageWriter:
    """Writes every cycle's Parquet file chunk by chunk, and the one CSV file."""

    directory: Path
    plan: UsagePlan
    profile: SizeProfile
    seed: np.random.SeedSequence
    periods_s: Sequence[int]
    counts: list[FileCounts] = field(default_factory=list)
    csv_records: int = 0

    @property
    def cycles(self) -> int:
        return len(self.periods_s) - 1

    def write(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.counts = [FileCounts() for _ in range(self.cycles)]
        chunk_count = -(-len(self.plan.circuit_ids) // circuits_per_chunk)
        seeds = self.seed.spawn(chunk_count)
        windows = {
            name: np.asarray(values, dtype=np.int64)
            for name, values in (
                ("circuit", self.plan.window_circuit),
                ("cycle", self.plan.window_cycle),
                ("start", self.plan.window_start_s),
                ("end", self.plan.window_end_s),
            )
        }
        writers = [
            pq.ParquetWriter(
                self.directory / cycle_file_name(cycle), USAGE_SCHEMA, compression="zstd"
            )
            for cycle in range(self.cycles)
        ]
        try:
            for chunk in range(chunk_count):
                rng = np.random.Generator(np.random.PCG64(seeds[chunk]))
                self._write_chunk(chunk, rng, writers, self._chunk(chunk, windows))
        finally:
            for writer in writers:
                writer.close()
        if chunk_count == 0:
            empty = {name: pa.array([], pa.string()) for name in USAGE_SCHEMA.names}
            pa_csv.write_csv(pa.table(empty), self.directory / CSV_FILE_NAME)

    def _chunk(
        self, chunk: int, windows: dict[str, np.ndarray]
    ) -> tuple[_Circuits, dict[str, np.ndarray]]:
        """The chunk's circuits, and their windows with circuits numbered within the chunk."""
        low = chunk * circuits_per_chunk
        high = min(low + circuits_per_chunk, len(self.plan.circuit_ids))
        first, last = np.searchsorted(windows["circuit"], [low, high])
        chunk_windows = {name: values[first:last] for name, values in windows.items()}
        chunk_windows["circuit"] = chunk_windows["circuit"] - low
        circuits = _Circuits(
            kind=np.asarray(self.plan.kinds[low:high], dtype=np.int64),
            committed_kbps=np.asarray(self.plan.committed_kbps[low:high], dtype=np.int64),
            port_kbps=np.asarray(self.plan.port_kbps[low:high], dtype=np.int64),
            ids=pa.array(self.plan.circuit_ids[low:high], pa.string()),
            origins=pa.array(self.plan.origins[low:high], pa.string()),
        )
        return circuits, chunk_windows

    def _write_chunk(
        self,
        chunk: int,
        rng: np.random.Generator,
        writers: list[pq.ParquetWriter],
        chunk_data: tuple[_Circuits, dict[str, np.ndarray]],
    ) -> None:
        circuits, windows = chunk_data
        cycle_seconds = np.diff(np.asarray(self.periods_s, dtype=np.int64))
        records = _chunk_records(circuits, windows, self.profile, cycle_seconds, rng)
        file_cycle = records.cycle + _late(records.cycle, self.cycles, rng)
        previous_rows = np.zeros(0, dtype=np.int64)
        bad_numbers = 0
        for cycle in range(self.cycles):
            rows = np.flatnonzero(file_cycle == cycle)
            if chunk == 0 and cycle == 0:
                rows = self._write_csv(records, rows, circuits)
            duplicates = _pick(rows, duplicate_share, 1, rng)
            resent = _pick(previous_rows, resent_share, 1, rng)
            bad_rows = _pick(rows, bad_share, len(BAD_KINDS), rng)
            table = _table(
                records, np.concatenate([rows, duplicates, resent]), circuits, chunk=chunk
            )
            bad_table, bad_counts = _bad_table(
                records, bad_rows, circuits, chunk=chunk, first_number=bad_numbers
            )
            writers[cycle].write_table(pa.concat_tables([table, bad_table]))
            bad_numbers += len(bad_rows)
            counts = self.counts[cycle]
            counts.records += table.num_rows + bad_table.num_rows
            counts.late += int(np.count_nonzero(records.cycle[rows] < cycle))
            counts.duplicates_in_file += len(duplicates)
            counts.resent += len(resent)
            for kind, count in zip(BAD_KINDS, bad_counts.tolist(), strict=True):
                counts.bad[kind] += count
            previous_rows = rows

    def _write_csv(self, records: _Records, rows: np.ndarray, circuits: _Circuits) -> np.ndarray:
        """Move the first voice records of the first cycle into a CSV file from a second border
        controller; returns the rows left for the Parquet file."""
        is_csv = records.kind[rows] == _VOICE
        is_csv &= np.cumsum(is_csv) <= min(csv_records_max, np.count_nonzero(is_csv) // 4)
        table = _table(records, rows[is_csv], circuits, chunk=0)
        text = {
            name: table[name]
            for name in ("record_id", "circuit_id", "usage_type", "unit", "origin", "destination")
        }
        for name in ("start_time", "end_time"):
            text[name] = pc.strftime(
                pc.cast(table[name], pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ"
            )
        text["quantity"] = pc.cast(
            pa.array(records.quantity[rows[is_csv]] // QUANTITY_SCALE), pa.string()
        )
        text["source"] = pa.array([CSV_SOURCE] * table.num_rows, pa.string())
        ordered = pa.table({name: text[name] for name in USAGE_SCHEMA.names})
        pa_csv.write_csv(ordered, self.directory / CSV_FILE_NAME)
        self.csv_records = ordered.num_rows
        left: np.ndarray = rows[~is_csv]
        return left


CSV_FILE_NAME: Final = f"cycle-01-{CSV_SOURCE}.csv"


def cycle_file_name(cycle: int) -> str:
    """`cycle-01.parquet` for the first cycle (counted from 0 here, from 1 in the name)."""
    return f"cycle-{cycle + 1:02d}.parquet"
