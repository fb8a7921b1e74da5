"""Reconciliation: a parallel-run cycle of synthetic invoice pairs, legacy against tollway.

    .venv/bin/python -m bench.reconcile --size medium [--repeat 2]

Synthesises both systems' invoices directly as Arrow tables, vectorised (numpy, pyarrow compute;
no Python loop per row): per size, tiny 1,000 / small 10,000 / medium 100,000 / large 1,000,000
invoice pairs of 5–15 lines each (about 10 lines on average: large ≈ 10M line pairs) and one
invoice-level state sales tax each. Amounts are drawn as integer cents and cast to DECIMAL(38, 9)
(never through a float). Legacy ids are its own (`L-…`), accounts mapped through a cross-walk of
one row per account. About 1 % of the lines differ: recurring lines at a unit price 5 % higher
(`rate`), usage lines short of a tenth of their quantity (`usage_completeness`); legacy invoice
totals and taxes follow its lines. Then `reconcile_cycle` is timed, and the benchmark checks that
exactly the injected lines are reported as differences.

Inputs are drawn in chunks of `CHUNK_INVOICES` invoices (the first chunk with the seed itself, so
tiny to medium are the tables they always were) and `reconcile_cycle` cuts a cycle larger than
`--part-rows` rows into parts it reconciles one at a time. `--stored` (the default at large)
writes the chunks to Parquet as they are drawn and times `reconcile_stored_cycle` instead, which
reads the parts from those files and writes the difference rows to a Parquet file: then neither
the inputs nor the ~11M difference rows are ever held in memory at once.

    .venv/bin/python -m bench.reconcile --size large            # stored, parts of 2M rows
    .venv/bin/python -m bench.reconcile --size medium --part-rows 0   # in one piece (as before)

Prints invoice and line pairs per second, the time (wall and CPU), and the peak RSS (DuckDB's
included).
"""

import argparse
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench._common import (
    DATA_DIRECTORY,
    SIZE_NAMES,
    Timed,
    duckdb_memory_limit,
    figure,
    load_average,
    peak_rss_mib,
    seed_default,
    timed,
)
from tollway.reconcile._cycle import reconcile_cycle
from tollway.reconcile._cycle_stored import reconcile_stored_cycle
from tollway.reconcile._parquet import PARQUET_FILES
from tollway.reconcile._partition import partition_rows_default
from tollway.reconcile._tables import (
    AMOUNT_TYPE,
    CROSSWALK_SCHEMA,
    INVOICE_SCHEMA,
    LINE_SCHEMA,
    TAX_SCHEMA,
    InvoiceTables,
)
from tollway.reconcile.core import Tolerances

INVOICE_PAIRS: Final = {"tiny": 1_000, "small": 10_000, "medium": 100_000, "large": 1_000_000}
CHUNK_INVOICES: Final = 100_000
"""Invoices drawn (and, stored, written) at a time: the generator's memory is one chunk's."""
LINES_PER_INVOICE_MIN: Final = 5
LINES_PER_INVOICE_MAX: Final = 15
DIFFERENT_LINE_ONE_IN: Final = 100
"""One line in this many (drawn at random) is billed differently by legacy: about 1 %."""
STATE_RATE_BASIS_POINTS: Final = 625
"""6.25 % state sales tax, in hundredths of a percent (integer arithmetic on cents)."""
CYCLE: Final = "2026-03"
MARCH: Final = (date(2026, 3, 1), date(2026, 4, 1))
FEBRUARY: Final = (date(2026, 2, 1), date(2026, 3, 1))
CENT: Final = pa.scalar(Decimal("0.01"), pa.decimal128(3, 2))


@dataclass(frozen=True, slots=True)
class Synthetic:
    """Line-level draws shared by both systems: which invoice, which kind, cents and quantities."""

    first_invoice: int
    invoices: int
    invoice_of_line: np.ndarray
    line_number: np.ndarray
    usage: np.ndarray
    quantity: np.ndarray
    amount_cents: np.ndarray
    differs: np.ndarray


def draw(invoices: int, seed: int, *, first_invoice: int = 0, chunk: int = 0) -> Synthetic:
    """Invoices first_invoice.. (+ invoices); chunk 0 draws from the seed itself."""
    rng = np.random.Generator(np.random.PCG64(seed if chunk == 0 else [seed, chunk]))
    counts = rng.integers(LINES_PER_INVOICE_MIN, LINES_PER_INVOICE_MAX + 1, invoices)
    invoice_of_line = np.repeat(np.arange(invoices, dtype=np.int64) + first_invoice, counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    line_number = np.arange(len(invoice_of_line), dtype=np.int64) - starts
    usage = line_number % 3 == 1
    quantity = np.where(usage, rng.integers(10, 100_000, len(line_number)), 1)
    amount_cents = rng.integers(1_000, 500_000, len(line_number))
    differs = rng.integers(0, DIFFERENT_LINE_ONE_IN, len(line_number)) == 0
    return Synthetic(
        first_invoice,
        invoices,
        invoice_of_line,
        line_number,
        usage,
        quantity,
        amount_cents,
        differs,
    )


def chunks(invoices: int, seed: int) -> Iterator[Synthetic]:
    for chunk, first in enumerate(range(0, invoices, CHUNK_INVOICES)):
        yield draw(min(CHUNK_INVOICES, invoices - first), seed, first_invoice=first, chunk=chunk)


def cents_to_amounts(cents: np.ndarray) -> pa.Array:
    """Integer cents as exact DECIMAL(38, 9) amounts: an integer cast, then × 0.01 in decimal."""
    whole = pa.array(cents, pa.int64()).cast(pa.decimal128(19, 0))
    return pc.multiply(whole, CENT).cast(AMOUNT_TYPE)


def ids(prefix: str, *numbers: np.ndarray) -> pa.Array:
    parts: list[pa.Array | pa.Scalar] = [pa.scalar(prefix)]
    for index, number in enumerate(numbers):
        if index:
            parts.append(pa.scalar("-"))
        parts.append(pa.array(number, pa.int64()).cast(pa.string()))
    return pc.binary_join_element_wise(*parts, "")


def constant(value: object, rows: int, kind: pa.DataType) -> pa.Array:
    return pa.array([value], kind).take(np.zeros(rows, dtype=np.int64))


def side_of(data: Synthetic, *, legacy: bool) -> tuple[InvoiceTables, np.ndarray]:
    """One system's tables, and each invoice's line total in cents."""
    cents, quantity = data.amount_cents, data.quantity
    if legacy:
        recurring_changed = data.differs & ~data.usage
        usage_changed = data.differs & data.usage
        cents = np.where(recurring_changed, cents * 105 // 100, cents)
        cents = np.where(usage_changed, cents * 9 // 10, cents)
        quantity = np.where(usage_changed, quantity * 9 // 10, quantity)
    prefix = "L" if legacy else "T"
    totals = np.add.reduceat(cents, np.flatnonzero(np.r_[True, np.diff(data.invoice_of_line) != 0]))
    lines = _lines(data, prefix, cents, quantity, legacy=legacy)
    taxes_cents = (totals * STATE_RATE_BASIS_POINTS + 5_000) // 10_000
    return InvoiceTables(
        _invoices(data, prefix, totals, taxes_cents),
        lines,
        _taxes(data, prefix, totals, taxes_cents),
    ), totals


def _lines(
    data: Synthetic, prefix: str, cents: np.ndarray, quantity: np.ndarray, *, legacy: bool
) -> pa.Table:
    rows = len(cents)
    usage = pa.array(data.usage)
    starts = pc.if_else(usage, pa.scalar(FEBRUARY[0]), pa.scalar(MARCH[0]))
    ends = pc.if_else(usage, pa.scalar(FEBRUARY[1]), pa.scalar(MARCH[1]))
    unit_price = pc.if_else(usage, pa.scalar(None, AMOUNT_TYPE), cents_to_amounts(cents))
    columns = {
        "system": constant("legacy" if legacy else "tollway", rows, pa.string()),
        "invoice_id": ids(f"{prefix}-", data.invoice_of_line),
        "line_id": ids(f"{prefix}-", data.invoice_of_line, data.line_number),
        "account_id": ids("LA-" if legacy else "A-", data.invoice_of_line),
        "circuit_id": ids("C-", data.invoice_of_line, data.line_number),
        "product_id": ids("P-", data.invoice_of_line, data.line_number),
        "charge_type": pc.if_else(usage, pa.scalar("usage"), pa.scalar("recurring")),
        "description": pc.if_else(usage, pa.scalar("Data usage"), pa.scalar("Port, monthly")),
        "period_start": starts,
        "period_end": ends,
        "quantity": pa.array(quantity, pa.int64()).cast(AMOUNT_TYPE),
        "unit_price": unit_price,
        "amount": cents_to_amounts(cents),
        "currency": constant("USD", rows, pa.string()),
    }
    return pa.table(columns, schema=LINE_SCHEMA)


def _numbers(data: Synthetic) -> np.ndarray:
    return np.arange(data.first_invoice, data.first_invoice + data.invoices, dtype=np.int64)


def _invoices(data: Synthetic, prefix: str, totals: np.ndarray, taxes: np.ndarray) -> pa.Table:
    invoices, numbers = data.invoices, _numbers(data)
    legacy = prefix == "L"
    columns = {
        "system": constant("legacy" if legacy else "tollway", invoices, pa.string()),
        "invoice_id": ids(f"{prefix}-", numbers),
        "account_id": ids("LA-" if legacy else "A-", numbers),
        "period_start": constant(MARCH[0], invoices, pa.date32()),
        "period_end": constant(MARCH[1], invoices, pa.date32()),
        "bill_date": constant(MARCH[1], invoices, pa.date32()),
        "currency": constant("USD", invoices, pa.string()),
        "total_excluding_tax": cents_to_amounts(totals),
        "tax_total": cents_to_amounts(taxes),
        "total_including_tax": cents_to_amounts(totals + taxes),
    }
    return pa.table(columns, schema=INVOICE_SCHEMA)


def _taxes(data: Synthetic, prefix: str, totals: np.ndarray, taxes: np.ndarray) -> pa.Table:
    invoices, numbers = data.invoices, _numbers(data)
    rate = pa.scalar(Decimal("0.0625"), AMOUNT_TYPE)
    columns = {
        "system": constant("legacy" if prefix == "L" else "tollway", invoices, pa.string()),
        "invoice_id": ids(f"{prefix}-", numbers),
        "line_id": constant(None, invoices, pa.string()),
        "jurisdiction_id": constant("US-PA", invoices, pa.string()),
        "tax_type": constant("state_sales", invoices, pa.string()),
        "tax_rate": constant(rate.as_py(), invoices, AMOUNT_TYPE),
        "taxable_amount": cents_to_amounts(totals),
        "tax_amount": cents_to_amounts(taxes),
        "exempt": constant(False, invoices, pa.bool_()),
        "currency": constant("USD", invoices, pa.string()),
    }
    return pa.table(columns, schema=TAX_SCHEMA)


def crosswalk(invoices: int) -> pa.Table:
    numbers = np.arange(invoices, dtype=np.int64)
    columns = {
        "entity": constant("account", invoices, pa.string()),
        "legacy_id": ids("LA-", numbers),
        "tollway_id": ids("A-", numbers),
        "valid_from": constant(None, invoices, pa.date32()),
        "valid_to": constant(None, invoices, pa.date32()),
    }
    return pa.table(columns, schema=CROSSWALK_SCHEMA)


def reported_lines(differences: pa.Table) -> int:
    line_rows = pc.equal(differences.column("level"), "line")
    differing = pc.not_equal(differences.column("category"), "matched")
    return int(pc.sum(pc.and_(line_rows, differing)).as_py() or 0)


@dataclass(frozen=True, slots=True)
class Drawn:
    injected: int
    lines: int


def in_memory(size: str, seed: int) -> tuple[InvoiceTables, InvoiceTables, pa.Table, Drawn]:
    legacy, tollway, injected = [], [], 0
    for data in chunks(INVOICE_PAIRS[size], seed):
        legacy.append(side_of(data, legacy=True)[0])
        tollway.append(side_of(data, legacy=False)[0])
        injected += int(data.differs.sum())
    sides = [
        InvoiceTables(
            *(pa.concat_tables(getattr(part, name) for part in parts) for name, _ in PARQUET_FILES)
        )
        for parts in (legacy, tollway)
    ]
    drawn = Drawn(injected, sides[1].lines.num_rows)
    return sides[0], sides[1], crosswalk(INVOICE_PAIRS[size]), drawn


def stored(size: str, seed: int, directory: Path) -> Drawn:
    """Draw chunk by chunk, appending each chunk's tables to `directory/{legacy,tollway}`."""
    writers: dict[tuple[str, str], pq.ParquetWriter] = {}
    injected = lines = 0
    try:
        for data in chunks(INVOICE_PAIRS[size], seed):
            for system in ("legacy", "tollway"):
                tables = side_of(data, legacy=system == "legacy")[0]
                for name, schema in PARQUET_FILES:
                    key = (system, name)
                    if key not in writers:
                        (directory / system).mkdir(parents=True, exist_ok=True)
                        path = directory / system / f"{name}.parquet"
                        writers[key] = pq.ParquetWriter(path, schema, compression="zstd")
                    writers[key].write_table(getattr(tables, name))
                if system == "tollway":
                    lines += tables.lines.num_rows
            injected += int(data.differs.sum())
    finally:
        for writer in writers.values():
            writer.close()
    return Drawn(injected, lines)


def run(size: str, seed: int, repeat: int, *, rows_max: int, on_disk: bool) -> None:
    invoices = INVOICE_PAIRS[size]
    if on_disk:
        best, drawn, synthesis_seconds = _run_stored(size, seed, repeat, rows_max=rows_max)
    else:
        synthesis = timed(lambda: in_memory(size, seed))
        legacy, tollway, mapping, drawn = synthesis.value
        synthesis_seconds = synthesis.seconds
        runs = [
            timed(
                lambda: reported_lines(
                    reconcile_cycle(
                        legacy,
                        tollway,
                        crosswalk=mapping,
                        tolerances=Tolerances(),
                        cycle=CYCLE,
                        partition_rows_max=rows_max,
                    ).differences
                )
            )
            for _ in range(repeat)
        ]
        best = min(runs, key=lambda found: found.seconds)
    assert best.value == drawn.injected, (
        f"{best.value} differences reported, {drawn.injected} injected"
    )
    figure("reconcile", size, "invoice_pairs", invoices, "pairs")
    figure("reconcile", size, "line_pairs", drawn.lines, "pairs")
    figure("reconcile", size, "lines_different", drawn.injected, "lines")
    figure("reconcile", size, "synthesis_seconds", synthesis_seconds, "s")
    figure("reconcile", size, "reconcile_seconds", best.seconds, "s")
    figure("reconcile", size, "reconcile_cpu_seconds", best.cpu_seconds, "s")
    figure("reconcile", size, "line_pairs_rate", drawn.lines / best.seconds, "line pairs/s")
    figure("reconcile", size, "invoice_pairs_rate", invoices / best.seconds, "invoice pairs/s")
    figure("reconcile", size, "peak_rss", peak_rss_mib(), "MiB")
    shown = "whole" if rows_max >= WHOLE else f"parts of {rows_max:,} rows"
    print(
        f"{'stored' if on_disk else 'in memory'}, {shown}; duckdb memory limit: "
        f"{duckdb_memory_limit()}; load average: {load_average()}"
    )


WHOLE: Final = 10**15
"""--part-rows 0: a part size no cycle reaches (the cycle in one piece)."""


def _run_stored(
    size: str, seed: int, repeat: int, *, rows_max: int
) -> tuple[Timed[int], Drawn, float]:
    directory = DATA_DIRECTORY / f"reconcile-{size}-seed{seed}"
    if directory.exists():
        shutil.rmtree(directory)
    try:
        synthesis = timed(lambda: stored(size, seed, directory / "input"))
        mapping = crosswalk(INVOICE_PAIRS[size])
        output = directory / "differences.parquet"

        def reconcile_files() -> int:
            reconcile_stored_cycle(
                directory / "input" / "legacy",
                directory / "input" / "tollway",
                crosswalk=mapping,
                tolerances=Tolerances(),
                cycle=CYCLE,
                output=output,
                partition_rows_max=rows_max,
            )
            return reported_lines(pq.read_table(output, columns=["level", "category"]))

        runs = [timed(reconcile_files) for _ in range(repeat)]
        return min(runs, key=lambda found: found.seconds), synthesis.value, synthesis.seconds
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def options(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", choices=SIZE_NAMES, default="tiny")
    parser.add_argument("--seed", type=int, default=seed_default)
    parser.add_argument("--repeat", type=int, default=1, help="Runs; the best is printed.")
    parser.add_argument(
        "--part-rows",
        type=int,
        default=partition_rows_default,
        help="Rows (invoices and lines, both systems) per part; 0: the cycle in one piece.",
    )
    parser.add_argument(
        "--stored",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Parquet in, Parquet out (default: only at large).",
    )
    return parser.parse_args()


if __name__ == "__main__":
    given = options(__doc__ or "")
    run(
        given.size,
        given.seed,
        given.repeat,
        rows_max=given.part_rows or WHOLE,
        on_disk=given.size == "large" if given.stored is None else given.stored,
    )
