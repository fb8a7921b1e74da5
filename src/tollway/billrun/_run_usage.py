"""A bill run's usage split by batch once, so that each batch reads its own records, not the month.

Rating a batch selects the records of the batch's circuits; read straight from the usage store,
that is a scan of the whole month for every batch (the store is ordered by time, not by circuit),
so a run of B batches reads the month B times: a cost that grows with the square of the accounts
billed. When a run has many batches to draft, the records of the months its closed periods touch
are instead copied once into Parquet files partitioned by batch (a circuit in two batches goes to
both), in a temporary folder that lives as long as the draft phase. Each batch then rates through
a `BatchUsage`: its partition for these months, the store itself for every other (re-rating's
earlier periods).

The partition holds exactly the store's records of the batch's circuits, so the raters, which
select those circuits anyway, see the same records and give the same bills.
"""

import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa

from tollway.usage import UsageStore, connect_duckdb

batches_partitioned_min: Final = 24
"""A run with fewer batches to draft reads the store directly. Measured on the medium world
(11.5M records a month, 2 vCPU): copying the month into batch partitions costs 15-19 s, reading
one batch's circuits straight from the month 0.75 s, so the copy pays from about 24 batches on
(the large world's 100,000 accounts are 200 batches of 500)."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class BatchUsage(UsageStore):
    """One batch's view of the usage store: the store's records of the batch's circuits in the
    partitioned months (read from `root`, the batch's partition), the store itself otherwise."""

    source: UsageStore
    partitioned: frozenset[str]
    """The months copied into the partition: every other month is read from `source`."""

    def periods(self) -> tuple[str, ...]:
        return self.source.periods()

    def scan_sql(self, period: str) -> str:
        """The batch's records of `period` (the columns of `UsageStore.scan_sql`)."""
        if period not in self.partitioned:
            return self.source.scan_sql(period)
        folder = self.root / f"period={period}"
        if not folder.is_dir():  # no record of the batch's circuits that month
            return f"SELECT * FROM ({self.source.scan_sql(period)}) WHERE false"
        files = _literal(str(folder / "*.parquet"))
        return (
            f"SELECT *, {_literal(period)} AS period "
            f"FROM read_parquet({files}, hive_partitioning = false)"
        )


@contextmanager
def partitioned_usage(
    store: UsageStore,
    circuits: Mapping[int, Sequence[str]],
    periods: Sequence[str],
    *,
    batches_min: int = batches_partitioned_min,
) -> Iterator[dict[int, UsageStore]]:
    """The usage each batch (by index; `circuits` gives its circuit ids) rates from: its
    `BatchUsage` over the stored months among `periods` when there are at least `batches_min`
    batches, else the store. The partition is removed when the block ends."""
    stored = sorted(set(periods) & set(store.periods()))
    if len(circuits) < batches_min or not stored:
        yield dict.fromkeys(circuits, store)
        return
    directory = Path(tempfile.mkdtemp(prefix="tollway-run-usage-"))
    try:
        _write_partitions(store, directory, circuits, stored)
        yield {
            index: BatchUsage(directory / f"batch={index}", store, frozenset(stored))
            for index in circuits
        }
    finally:
        shutil.rmtree(directory)


def _write_partitions(
    store: UsageStore, directory: Path, circuits: Mapping[int, Sequence[str]], periods: list[str]
) -> None:
    rows = [(circuit, index) for index, found in circuits.items() for circuit in found]
    batches = pa.table(
        {
            "circuit_id": pa.array([circuit for circuit, _ in rows], pa.string()),
            "batch": pa.array([index for _, index in rows], pa.int32()),
        }
    )
    usage = " UNION ALL ".join(f"({store.scan_sql(period)})" for period in periods)
    connection = connect_duckdb()
    try:
        connection.register("circuit_batches", batches)
        connection.execute(
            f"""
            COPY (
                SELECT u.*, b.batch FROM ({usage}) AS u
                JOIN circuit_batches AS b ON b.circuit_id = u.circuit_id
            ) TO {_literal(str(directory))} (FORMAT parquet, PARTITION_BY (batch, period),
                                             OVERWRITE_OR_IGNORE true)
            """
        )
    finally:
        connection.close()
