"""`reconcile_stored_cycle`: a cycle too large to hold, reconciled from Parquet to Parquet.

Both sides are read from folders `write_parquet` wrote (`invoices.parquet`, `lines.parquet`,
`taxes.parquet`); the difference rows go to one Parquet file (DIFFERENCE_SCHEMA, the rows and
order `reconcile_cycle` returns), and only the summaries come back. Memory stays bounded by one
part (`tollway.reconcile._partition`), not by the cycle:

1. the parts are planned by DuckDB over the files (DuckDB capped at `plan_memory_limit`,
   spilling to a temporary folder);
2. each input file is cut into one file per part in that folder (one DuckDB pass each);
3. each part is reconciled in turn; its rows are appended to one file per level;
4. the three level files are copied, in level order, into the output file, whose summaries
   DuckDB then computes by streaming it.
"""

from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tollway.reconcile._cycle import (
    cycle_summaries,
    input_currencies,
    reconcile_part,
    register_crosswalk,
)
from tollway.reconcile._engine_sql import connect, text
from tollway.reconcile._parquet import PARQUET_FILES, InvoiceTablesFileError
from tollway.reconcile._partition import (
    LEVELS,
    PartPlan,
    crosswalk_for,
    partition_rows_default,
    plan_memory_limit,
    plan_parts,
)
from tollway.reconcile._tables import CROSSWALK_SCHEMA, DIFFERENCE_SCHEMA, InvoiceTables
from tollway.reconcile.core import CycleSummary, Tolerances

_SYSTEMS: Final = ("legacy", "tollway")


def reconcile_stored_cycle(
    legacy_directory: Path,
    tollway_directory: Path,
    *,
    crosswalk: pa.Table,
    tolerances: Tolerances,
    cycle: str,
    output: Path,
    partition_rows_max: int = partition_rows_default,
) -> tuple[CycleSummary, ...]:
    """Reconcile the stored sides, write every difference row to `output`, return the
    summaries (one per currency), as `reconcile_cycle` would for the same tables.

    >>> import tempfile
    >>> from tollway.reconcile._parquet import write_parquet
    >>> folder = Path(tempfile.mkdtemp())
    >>> for side in ("legacy", "tollway"):
    ...     write_parquet(InvoiceTables.empty(), folder / side)
    >>> summaries = reconcile_stored_cycle(folder / "legacy", folder / "tollway",
    ...     crosswalk=CROSSWALK_SCHEMA.empty_table(), tolerances=Tolerances(), cycle="2026-03",
    ...     output=folder / "differences.parquet")
    >>> [(summary.cycle, summary.lines_compared) for summary in summaries]
    [('2026-03', 0)]
    >>> pq.read_table(folder / "differences.parquet").num_rows
    0
    """
    assert crosswalk.schema.equals(CROSSWALK_SCHEMA), "crosswalk does not have CROSSWALK_SCHEMA"
    assert cycle and cycle == cycle.strip(), "a cycle is named, e.g. 2026-03"
    directories = {"legacy": legacy_directory, "tollway": tollway_directory}
    for directory in directories.values():
        _check_files(directory)
    with TemporaryDirectory(prefix="tollway-reconcile-") as scratch_name:
        scratch = Path(scratch_name)
        plan, currencies = _plan_and_cut(
            directories, crosswalk, scratch, rows_max=partition_rows_max
        )
        levels = {level: scratch / f"level-{level}.parquet" for level in LEVELS}
        writers = {
            level: pq.ParquetWriter(path, DIFFERENCE_SCHEMA) for level, path in levels.items()
        }
        try:
            for part in range(plan.parts):
                legacy, tollway = (_read_part(scratch / system, part) for system in _SYSTEMS)
                differences = reconcile_part(
                    legacy,
                    tollway,
                    crosswalk=crosswalk_for(crosswalk, legacy),
                    tolerances=tolerances,
                    cycle=cycle,
                    currencies=currencies,
                )
                for level, writer in writers.items():
                    writer.write_table(
                        differences.filter(pc.equal(differences.column("level"), level))
                    )
        finally:
            for writer in writers.values():
                writer.close()
        _concatenate(list(levels.values()), output)
    return _summaries_of(output, cycle)


def _check_files(directory: Path) -> None:
    for name, schema in PARQUET_FILES:
        path = directory / f"{name}.parquet"
        if not path.is_file():
            raise InvoiceTablesFileError(f"{path}: no such file")
        try:
            found = pq.read_schema(path).remove_metadata()
        except pa.ArrowInvalid as error:
            raise InvoiceTablesFileError(f"{path.name}: not a Parquet file ({error})") from error
        if not found.equals(schema):
            raise InvoiceTablesFileError(
                f"{path.name}: holds columns {found} where {', '.join(schema.names)} were expected"
            )


def _plan_and_cut(
    directories: dict[str, Path], crosswalk: pa.Table, scratch: Path, *, rows_max: int
) -> tuple[PartPlan, list[str]]:
    """Plan the parts over the files, then write each input's rows to one file per part
    (`scratch/<system>/<table>/part=<n>/`)."""
    connection = connect(memory_limit=plan_memory_limit, temporary_directory=str(scratch / "spill"))
    try:
        for system, directory in directories.items():
            for name, _ in PARQUET_FILES:
                path = text(str(directory / f"{name}.parquet"))
                connection.execute(
                    f"CREATE VIEW {system}_{name} AS SELECT * FROM read_parquet({path})"
                )
        register_crosswalk(connection, crosswalk)
        plan = plan_parts(connection, rows_max=rows_max)
        currencies = input_currencies(connection)
        for system, parts in (("legacy", plan.legacy), ("tollway", plan.tollway)):
            connection.register("part_of_invoice", parts)
            for name, _ in PARQUET_FILES:
                (scratch / system).mkdir(parents=True, exist_ok=True)
                target = text(str(scratch / system / name))
                connection.execute(
                    f"""COPY (SELECT rows.*, p.part FROM {system}_{name} rows
                        JOIN part_of_invoice p USING (invoice_id))
                    TO {target} (FORMAT parquet, PARTITION_BY (part))"""
                )
            connection.unregister("part_of_invoice")
    finally:
        connection.close()
    return plan, currencies


def _read_part(directory: Path, part: int) -> InvoiceTables:
    tables = []
    for name, schema in PARQUET_FILES:
        folder = directory / name / f"part={part}"
        if folder.is_dir():
            tables.append(pq.read_table(folder).cast(schema))
        else:
            tables.append(schema.empty_table())
    return InvoiceTables(*tables)


def _concatenate(sources: list[Path], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(output, DIFFERENCE_SCHEMA, compression="zstd") as writer:
        for source in sources:
            for batch in pq.ParquetFile(source).iter_batches():
                writer.write_batch(batch)


def _summaries_of(output: Path, cycle: str) -> tuple[CycleSummary, ...]:
    connection: duckdb.DuckDBPyConnection = connect()
    try:
        connection.execute(
            f"CREATE VIEW differences AS SELECT * FROM read_parquet({text(str(output))})"
        )
        return cycle_summaries(connection, cycle)
    finally:
        connection.close()
