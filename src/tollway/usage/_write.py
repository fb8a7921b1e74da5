"""Writing a judged load to the store: all files or none visible, never a half-written file.

Each file is written under a hidden temporary name beside its final place, synced, then renamed
(an atomic step on one file system). The loads log row goes last: it commits the load. A load killed
before that leaves only uncommitted files, which the next attempt with the same load_id removes;
readers, and the key index lookups of later loads, go through the log and never see them.

Each month's usage file and its key index file keep the records in the order they were sent (by
file as the load names them, then by row): a sort on two integers, deterministic whatever the
threads or the memory limit, and far cheaper than one on (start_time, source, record_id), which no
reader needs (each orders what it reads). The rejects keep every field as the text that was sent.
"""

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tollway.usage._duckdb import sql_path_list, sql_text
from tollway.usage._errors import UsageStoreBusyError
from tollway.usage._keys import key_index_file
from tollway.usage._record import REJECT_COLUMNS, STORED_COLUMNS, TEXT_FIELDS
from tollway.usage._report import LoadReport
from tollway.usage._store import (
    LOG_COLUMNS,
    UsageStore,
    check_load_id,
    check_period,
    empty_relation_sql,
)

PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd"

SENT_ORDER_SQL = "file_index, source_row"
"""The order of stored rows: as sent, by file (in the load's order) and row. Measured at 1.17M
records (docs/ingestion-performance.md, round 2): the usage file's sort and write took 1.30 CPU
seconds in this order against 1.82 by (start_time, source, record_id), and its file 22 % smaller
(the generator, like most senders, writes a circuit's records together)."""

REJECT_ROW_MEMORY_BYTES = 2048
"""Memory to allow for each reject row when the rejects are gathered and sorted in one statement
(about four times what one takes): beyond memory_limit / this, they are gathered into a table
first, which costs a pass more but never runs out of memory."""


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
        f"keys/*/period=*/load-{load_id}.parquet",
        f"keys/*/period=*/.load-{load_id}.parquet.tmp",
        f"rejects/load-{load_id}.parquet",
        f"rejects/.load-{load_id}.parquet.tmp",
        f".loads-{load_id}.parquet.tmp",
    )
    for pattern in patterns:
        for leftover in store.root.glob(pattern):
            leftover.unlink()
    remove_spill(spill_directory(store, load_id))


def spill_directory(store: UsageStore, load_id: str) -> Path:
    """The hidden folder a load's DuckDB spills to when its work outgrows its memory limit."""
    check_load_id(load_id)
    return store.root / f".spill-{load_id}"


def remove_spill(directory: Path) -> None:
    """Remove a spill folder and what DuckDB left in it (nothing in it is ever read again)."""
    if directory.is_dir():
        shutil.rmtree(directory)


def write_load(
    connection: duckdb.DuckDBPyConnection,
    *,
    store: UsageStore,
    report: LoadReport,
    source_files: list[str],
    assume_time_zone: str | None,
    key_version: str,
    memory_limit_bytes: int,
) -> None:
    """Write the kept and the rejected records of a judged load, then commit it in the log.

    Per month of `report.periods`: the usage file and its key index file (for `key_version`).
    `memory_limit_bytes` is the connection's memory limit.
    """
    usage_files = [
        _write_usage_period(connection, store=store, report=report, period=period)
        for period in report.periods
    ]
    key_files = [
        _write_key_index(connection, store=store, report=report, period=period, version=key_version)
        for period in report.periods
    ]
    rejects_file = _write_rejects(
        connection, store=store, report=report, memory_limit_bytes=memory_limit_bytes
    )
    _check_written(
        connection, report=report, usage_files=[written.temporary for written in usage_files],
        key_files=[written.temporary for written in key_files],
        rejects_file=rejects_file.temporary,
    )  # fmt: skip
    for written in (*usage_files, *key_files, rejects_file):
        _publish(written)
    _publish(
        _write_log(
            connection, store=store, report=report, source_files=source_files,
            assume_time_zone=assume_time_zone,
        )
    )  # fmt: skip


def period_filter_sql(period: str) -> str:
    """A condition on `start_time`: the instant falls in the usage month `period` (UTC).

    >>> period_filter_sql("2024-12")
    "start_time >= TIMESTAMPTZ '2024-12-01 00:00:00+00' AND start_time < TIMESTAMPTZ '2025-01-01 00:00:00+00'"
    """
    check_period(period)
    year, month = (int(part) for part in period.split("-"))
    following = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return (
        f"start_time >= TIMESTAMPTZ '{period}-01 00:00:00+00'"
        f" AND start_time < TIMESTAMPTZ '{following}-01 00:00:00+00'"
    )


def _pending_file(final: Path) -> _PendingFile:
    final.parent.mkdir(parents=True, exist_ok=True)
    # A leading dot keeps DuckDB globs and Spark from reading a file that is still being written.
    return _PendingFile(temporary=final.with_name(f".{final.name}.tmp"), final=final)


def _write_usage_period(
    connection: duckdb.DuckDBPyConnection, *, store: UsageStore, report: LoadReport, period: str
) -> _PendingFile:
    target = _pending_file(store.usage_file(period, load_id=report.load_id))
    columns = ", ".join(
        f"{sql_text(report.load_id)} AS load_id" if name == "load_id" else name
        for name, _ in STORED_COLUMNS
    )
    connection.execute(
        f"COPY (SELECT {columns} FROM kept WHERE {period_filter_sql(period)}"
        f" ORDER BY {SENT_ORDER_SQL})"
        f" TO {sql_text(str(target.temporary))} ({PARQUET_OPTIONS})"
    )
    return target


def _write_key_index(
    connection: duckdb.DuckDBPyConnection,
    *,
    store: UsageStore,
    report: LoadReport,
    period: str,
    version: str,
) -> _PendingFile:
    target = _pending_file(key_index_file(store, period, load_id=report.load_id, version=version))
    connection.execute(
        "COPY (SELECT key_hash, content_hash, source, record_id FROM kept"
        f" WHERE {period_filter_sql(period)} ORDER BY {SENT_ORDER_SQL})"
        f" TO {sql_text(str(target.temporary))} ({PARQUET_OPTIONS})"
    )
    return target


def _write_rejects(
    connection: duckdb.DuckDBPyConnection,
    *,
    store: UsageStore,
    report: LoadReport,
    memory_limit_bytes: int,
) -> _PendingFile:
    target = _pending_file(store.rejects_file(report.load_id))
    columns = ", ".join(
        _reject_column_sql(name, load_id=report.load_id) for name, _ in REJECT_COLUMNS
    )
    if report.rejected <= memory_limit_bytes // REJECT_ROW_MEMORY_BYTES:
        connection.execute(
            f"COPY (SELECT {columns} FROM rejected ORDER BY file_index, source_row)"
            f" TO {sql_text(str(target.temporary))} ({PARQUET_OPTIONS})"
        )
        return target
    # Put together first, then sorted: one statement doing both the joins that gather the
    # duplicates and the sort of millions of them ran out of memory.
    connection.execute(
        f"CREATE TABLE reject_row AS SELECT file_index AS file_order, source_row AS row_order,"
        f" {columns} FROM rejected"
    )
    connection.execute(
        "COPY (SELECT * EXCLUDE (file_order, row_order) FROM reject_row"
        " ORDER BY file_order, row_order)"
        f" TO {sql_text(str(target.temporary))} ({PARQUET_OPTIONS})"
    )
    return target


def _reject_column_sql(name: str, *, load_id: str) -> str:
    """A rejects column from `judged`: every field as the text that was sent."""
    if name == "load_id":
        return f"{sql_text(load_id)} AS load_id"
    if name in ("reason", "message"):
        return f"rejection.{name} AS {name}"
    if name in ("start_time", "end_time"):
        return f"coalesce(sent_{name}, utc_text({name})) AS {name}"
    if name == "quantity":
        return "coalesce(sent_quantity, quantity_text(quantity)) AS quantity"
    if name == "characteristics":
        return "sent_characteristics AS characteristics"
    if name in TEXT_FIELDS:
        return (
            f"CASE WHEN sent_text IS NULL THEN {name} ELSE sent_text ->> '$.{name}' END AS {name}"
        )
    return name


def _check_written(
    connection: duckdb.DuckDBPyConnection,
    *,
    report: LoadReport,
    usage_files: list[Path],
    key_files: list[Path],
    rejects_file: Path,
) -> None:
    """Read the written files back: every kept and rejected record is there, quantities exact."""
    written_usage = (
        "SELECT count(*) AS records, sum(quantity) AS quantity"
        f" FROM read_parquet({sql_path_list(usage_files)})"
        if usage_files
        else "SELECT 0 AS records, NULL AS quantity"
    )
    written_keys = (
        f"SELECT count(*) FROM read_parquet({sql_path_list(key_files)})"
        if key_files
        else "SELECT 0"
    )
    row = connection.execute(
        f"""
        SELECT written.records, written.quantity, ({written_keys}) AS keys,
               ({"SELECT sum(quantity) FROM kept" if report.accepted else "SELECT NULL"})
                   AS kept_quantity,
               (SELECT count(*) FROM read_parquet({sql_text(str(rejects_file))})) AS rejects
        FROM ({written_usage}) AS written
        """
    ).fetchone()
    assert row is not None
    records, quantity, keys, kept_quantity, rejects = row
    assert records == report.accepted, f"wrote {records} usage records, accepted {report.accepted}"
    assert keys == report.accepted, f"wrote {keys} keys, accepted {report.accepted}"
    assert quantity == kept_quantity, f"wrote quantity {quantity}, accepted {kept_quantity}"
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
