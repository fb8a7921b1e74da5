"""Writing a judged load to the store: all files or none visible, never a half-written file.

Each file is written under a hidden temporary name beside its final place, synced, then renamed
(an atomic step on one file system). The loads log row goes last: it commits the load. A load killed
before that leaves only uncommitted files, which the next attempt with the same load_id removes.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tollway.usage._duckdb import sql_path_list, sql_text
from tollway.usage._errors import UsageStoreBusyError
from tollway.usage._record import REJECT_COLUMNS, STORED_COLUMNS
from tollway.usage._report import LoadReport
from tollway.usage._store import LOG_COLUMNS, UsageStore, check_load_id, empty_relation_sql

PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd"


@dataclass(frozen=True, slots=True)
class _PendingFile:
    temporary: Path
    final: Path


@contextmanager
def exclusive_lock(store: UsageStore) -> Iterator[None]:
    """Hold the store's write lock; another load running on the store raises instead of waiting.

    The operating system drops the lock when the process ends, so a killed load leaves none behind.
    """
    store.root.mkdir(parents=True, exist_ok=True)
    with store.lock_file.open("a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageStoreBusyError(
                f"another load is writing to {store.root}; run loads of one store one at a time"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def remove_uncommitted(store: UsageStore, load_id: str) -> None:
    """Remove what a killed attempt at `load_id` left; the caller has checked it is not committed."""
    check_load_id(load_id)
    patterns = (
        f"usage/period=*/load-{load_id}.parquet",
        f"usage/period=*/.load-{load_id}.parquet.tmp",
        f"rejects/load-{load_id}.parquet",
        f"rejects/.load-{load_id}.parquet.tmp",
        f".loads-{load_id}.parquet.tmp",
    )
    for pattern in patterns:
        for leftover in store.root.glob(pattern):
            leftover.unlink()


def write_load(
    connection: duckdb.DuckDBPyConnection,
    *,
    store: UsageStore,
    report: LoadReport,
    source_files: list[str],
    assume_time_zone: str | None,
) -> None:
    """Write the tables `accepted` and `rejected` of a judged load, then commit it in the log."""
    usage_files = [
        _write_usage_period(connection, store=store, report=report, period=period)
        for period in report.periods
    ]
    rejects_file = _write_rejects(connection, store=store, report=report)
    _check_written(
        connection, report=report, usage_files=[written.temporary for written in usage_files],
        rejects_file=rejects_file.temporary,
    )  # fmt: skip
    for written in (*usage_files, rejects_file):
        _publish(written)
    _publish(
        _write_log(
            connection, store=store, report=report, source_files=source_files,
            assume_time_zone=assume_time_zone,
        )
    )  # fmt: skip


def _pending_file(final: Path) -> _PendingFile:
    final.parent.mkdir(parents=True, exist_ok=True)
    # A leading dot keeps DuckDB globs and Spark from reading a file that is still being written.
    return _PendingFile(temporary=final.with_name(f".{final.name}.tmp"), final=final)


def _write_usage_period(
    connection: duckdb.DuckDBPyConnection, *, store: UsageStore, report: LoadReport, period: str
) -> _PendingFile:
    target = _pending_file(store.usage_file(period, load_id=report.load_id))
    columns = ", ".join(name for name, _ in STORED_COLUMNS)
    connection.execute(
        f"COPY (SELECT {columns} FROM accepted WHERE period = {sql_text(period)}"
        " ORDER BY start_time, source, record_id)"
        f" TO {sql_text(str(target.temporary))} ({PARQUET_OPTIONS})"
    )
    return target


def _write_rejects(
    connection: duckdb.DuckDBPyConnection, *, store: UsageStore, report: LoadReport
) -> _PendingFile:
    target = _pending_file(store.rejects_file(report.load_id))
    columns = ", ".join(name for name, _ in REJECT_COLUMNS)
    connection.execute(
        f"COPY (SELECT {columns} FROM rejected ORDER BY file_index, source_row)"
        f" TO {sql_text(str(target.temporary))} ({PARQUET_OPTIONS})"
    )
    return target


def _check_written(
    connection: duckdb.DuckDBPyConnection,
    *,
    report: LoadReport,
    usage_files: list[Path],
    rejects_file: Path,
) -> None:
    """Read the written files back: every accepted and rejected record is there, quantities exact."""
    written_usage = (
        "SELECT count(*) AS records, sum(quantity) AS quantity"
        f" FROM read_parquet({sql_path_list(usage_files)})"
        if usage_files
        else "SELECT 0 AS records, NULL AS quantity"
    )
    row = connection.execute(
        f"""
        SELECT written.records, written.quantity,
               (SELECT sum(quantity) FROM accepted) AS accepted_quantity,
               (SELECT count(*) FROM read_parquet({sql_text(str(rejects_file))})) AS rejects
        FROM ({written_usage}) AS written
        """
    ).fetchone()
    assert row is not None
    records, quantity, accepted_quantity, rejects = row
    assert records == report.accepted, f"wrote {records} usage records, accepted {report.accepted}"
    assert quantity == accepted_quantity, f"wrote quantity {quantity}, accepted {accepted_quantity}"
    assert rejects == report.rejected, f"wrote {rejects} rejects, rejected {report.rejected}"


def _write_log(
    connection: duckdb.DuckDBPyConnection,
    *,
    store: UsageStore,
    report: LoadReport,
    source_files: list[str],
    assume_time_zone: str | None,
) -> _PendingFile:
    target = _PendingFile(
        temporary=store.root / f".loads-{report.load_id}.parquet.tmp", final=store.loads_log
    )
    columns = ", ".join(name for name, _ in LOG_COLUMNS)
    committed = (
        f"SELECT {columns} FROM read_parquet({sql_text(str(store.loads_log))})"
        if store.loads_log.is_file()
        else empty_relation_sql(LOG_COLUMNS)
    )
    connection.execute(f"CREATE TABLE load_log AS {committed}")
    reasons = list(report.rejected_by_reason)
    connection.execute(
        "INSERT INTO load_log SELECT (SELECT coalesce(max(sequence), 0) + 1 FROM load_log),"
        " ?, ?, ?, ?, map(?::VARCHAR[], ?::BIGINT[]), ?::VARCHAR[], ?::VARCHAR[], ?",
        [
            report.load_id, report.submitted, report.accepted, report.rejected, reasons,
            [report.rejected_by_reason[reason] for reason in reasons], list(report.periods),
            source_files, assume_time_zone,
        ],
    )  # fmt: skip
    connection.execute(
        f"COPY (SELECT * FROM load_log ORDER BY sequence)"
        f" TO {sql_text(str(target.temporary))} ({PARQUET_OPTIONS})"
    )
    return target


def _publish(written: _PendingFile) -> None:
    """Make a fully written file visible under its final name, durably."""
    _sync(written.temporary)
    os.replace(written.temporary, written.final)
    _sync(written.final.parent)


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
