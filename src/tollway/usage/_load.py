"""`load_usage`: one idempotent load of usage files into a `UsageStore`."""

from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path

import duckdb

from tollway.usage._deduplicate import deduplicate
from tollway.usage._duckdb import connect
from tollway.usage._errors import UsageStoreError
from tollway.usage._judge import judge_files
from tollway.usage._keys import KEY_HASH_SQL, hash_version, stored_files
from tollway.usage._report import LoadReport
from tollway.usage._store import UsageStore, check_load_id, find_report, read_reports
from tollway.usage._write import (
    exclusive_lock,
    remove_spill,
    remove_uncommitted,
    spill_directory,
    write_load,
)

FILES_PER_LOAD_MAX = 10_000

LOAD_MEMORY_LIMIT_BYTES = 4 * 1024**3
"""Memory a load's DuckDB may use for its tables, sorts and joins before it spills to disk (in a
hidden folder of the store, removed when the load ends). The process peaks above it by DuckDB's
own bookkeeping and Python's; one load of any size stays within a few GiB more."""


def load_usage(
    paths: Sequence[Path],
    *,
    store: UsageStore,
    load_id: str,
    known_circuits: Collection[str] | None = None,
    assume_time_zone: str | None = None,
    memory_limit_bytes: int = LOAD_MEMORY_LIMIT_BYTES,
) -> LoadReport:
    """Load usage files (.csv, .jsonl/.ndjson, .parquet) into `store` as the load `load_id`.

    Every submitted record is accepted (stored under its UTC usage month) or rejected with a reason
    code (kept in the store's rejects); a record whose (source, record_id) is already stored is
    rejected, never stored twice. Loading a committed `load_id` again returns its report and
    changes nothing. `known_circuits`, when given, rejects records naming any other circuit_id;
    `assume_time_zone` (an IANA name) places timestamps sent without a UTC offset;
    `memory_limit_bytes` bounds the memory DuckDB works in before it spills to disk.

    >>> import tempfile
    >>> workspace = tempfile.TemporaryDirectory()
    >>> folder = Path(workspace.name)
    >>> _ = (folder / "march.csv").write_text(
    ...     "record_id,source,circuit_id,usage_type,start_time,quantity,unit\\n"
    ...     "r1,switch-a,C1,data,2024-03-05T10:00:00+01:00,1.5,GB\\n"
    ...     "r2,switch-a,C1,data,2024-03-05T11:00:00+01:00,-2,GB\\n"
    ... )
    >>> store = UsageStore(folder / "store")
    >>> report = load_usage([folder / "march.csv"], store=store, load_id="2024-03-05.a")
    >>> report.accepted, report.rejected_by_reason, report.periods
    (1, {'negative_quantity': 1}, ('2024-03',))
    >>> load_usage([folder / "march.csv"], store=store, load_id="2024-03-05.a") == report
    True
    >>> workspace.cleanup()
    """
    return _load_usage(
        paths, store=store, load_id=load_id, known_circuits=known_circuits,
        assume_time_zone=assume_time_zone, memory_limit_bytes=memory_limit_bytes,
        key_hash_sql=KEY_HASH_SQL,
    )  # fmt: skip


def _load_usage(
    paths: Sequence[Path],
    *,
    store: UsageStore,
    load_id: str,
    known_circuits: Collection[str] | None,
    assume_time_zone: str | None,
    memory_limit_bytes: int,
    key_hash_sql: str,
) -> LoadReport:
    """`load_usage` with the key hash as a seam: `key_hash_sql` hashes (source, record_id).

    Tests force collisions through it (a hash of the source alone, or a constant).
    """
    check_load_id(load_id)
    assert memory_limit_bytes > 0, memory_limit_bytes
    files = list(paths)
    with exclusive_lock(store):
        reports = _committed_reports(store)
        committed = find_report(reports, load_id)
        if committed is not None:
            return committed
        _check_files(files)
        remove_uncommitted(store, load_id)
        spill = spill_directory(store, load_id)
        connection = _connect_bounded(spill, memory_limit_bytes=memory_limit_bytes)
        try:
            return _run_load(
                connection, files, store=store, load_id=load_id, reports=reports,
                known_circuits=known_circuits, assume_time_zone=assume_time_zone,
                key_hash_sql=key_hash_sql, memory_limit_bytes=memory_limit_bytes,
            )  # fmt: skip
        finally:
            connection.close()
            remove_spill(spill)


def _committed_reports(store: UsageStore) -> tuple[LoadReport, ...]:
    connection = connect()
    try:
        return read_reports(connection, store)
    finally:
        connection.close()


def _connect_bounded(spill: Path, *, memory_limit_bytes: int) -> duckdb.DuckDBPyConnection:
    """A usage connection that works within `memory_limit_bytes`, its tables, sorts and joins
    spilling to `spill` beyond it.

    The tables are in memory: DuckDB offloads their blocks to the temporary directory under the
    limit (tested with a 96 MiB limit), and a table in a database file cost twice the CPU to fill
    (0.85 against 0.37 CPU seconds for the 1.17M records of the small benchmark; round 2 in
    docs/ingestion-performance.md), its blocks written to the file whether memory was short or not.
    """
    spill.mkdir(parents=True)
    connection = connect()
    connection.execute(f"SET memory_limit = '{memory_limit_bytes // 1024}KiB'")
    connection.execute("SET temp_directory = ?", [str(spill / "temporary")])
    connection.execute("SET force_compression = 'uncompressed'")
    return connection


def _check_files(files: list[Path]) -> None:
    if len(files) > FILES_PER_LOAD_MAX:
        raise UsageStoreError(
            f"{len(files)} files in one load; split it into loads of at most {FILES_PER_LOAD_MAX}"
        )
    repeated = sorted(
        name for name, count in Counter(path.name for path in files).items() if count > 1
    )
    if repeated:
        raise UsageStoreError(
            f"more than one file named {', '.join(repeated)} in one load; reject rows name their"
            " file, so give each file of a load its own name"
        )


def _run_load(
    connection: duckdb.DuckDBPyConnection,
    files: list[Path],
    *,
    store: UsageStore,
    load_id: str,
    reports: tuple[LoadReport, ...],
    known_circuits: Collection[str] | None,
    assume_time_zone: str | None,
    key_hash_sql: str,
    memory_limit_bytes: int,
) -> LoadReport:
    _check_time_zone(connection, assume_time_zone)
    if known_circuits is not None:
        _register_known_circuits(connection, known_circuits)
    submitted = judge_files(
        connection, files, assume_time_zone=assume_time_zone,
        check_circuits=known_circuits is not None, key_hash_sql=key_hash_sql,
    )  # fmt: skip
    version = hash_version(connection, key_hash_sql=key_hash_sql)
    stored = stored_files(store, reports, version=version)
    deduplicate(connection, stored=stored, key_hash_sql=key_hash_sql)
    report = _summarize(connection, load_id=load_id, submitted=submitted)
    write_load(
        connection, store=store, report=report, source_files=[path.name for path in files],
        assume_time_zone=assume_time_zone, key_version=version,
        memory_limit_bytes=memory_limit_bytes,
    )  # fmt: skip
    return report


def _check_time_zone(connection: duckdb.DuckDBPyConnection, assume_time_zone: str | None) -> None:
    if assume_time_zone is None:
        return
    row = connection.execute(
        "SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [assume_time_zone]
    ).fetchone()
    assert row is not None
    if row[0] == 0:
        raise UsageStoreError(
            f"assume_time_zone {assume_time_zone!r} is not a known time zone;"
            " use an IANA name such as Europe/Paris or UTC"
        )


def _register_known_circuits(
    connection: duckdb.DuckDBPyConnection, known_circuits: Collection[str]
) -> None:
    # One list parameter: DuckDB converts the whole collection at once, not row by row in Python.
    connection.execute(
        "CREATE TABLE known_circuit AS SELECT DISTINCT unnest(?::VARCHAR[]) AS known_circuit_id",
        [list(known_circuits)],
    )


def _summarize(
    connection: duckdb.DuckDBPyConnection, *, load_id: str, submitted: int
) -> LoadReport:
    # Every duplicate is a record that passed the checks, once: no join needed to count.
    row = connection.execute(
        "SELECT (SELECT count(*) FROM passed) - (SELECT count(*) FROM duplicate)"
    ).fetchone()
    assert row is not None
    accepted = int(row[0])
    reasons = connection.execute(
        """
        SELECT reason, count(*) FROM (
            SELECT rejection.reason AS reason FROM judged WHERE rejection IS NOT NULL
            UNION ALL SELECT CAST(reason AS VARCHAR) FROM duplicate
        ) GROUP BY reason ORDER BY reason
        """
    ).fetchall()
    periods = _kept_periods(connection, load_id=load_id) if accepted > 0 else ()
    return LoadReport(
        load_id=load_id,
        submitted=submitted,
        accepted=accepted,
        rejected=submitted - accepted,
        rejected_by_reason={str(reason): int(count) for reason, count in reasons},
        periods=periods,
    )


def _kept_periods(connection: duckdb.DuckDBPyConnection, *, load_id: str) -> tuple[str, ...]:
    """The usage months of the kept records, once no key is kept twice."""
    _assert_keys_distinct(connection, load_id=load_id)
    # The UTC month from the instant's microseconds, without the time zone library.
    rows = connection.execute(
        "SELECT DISTINCT strftime(date_trunc('month', make_timestamp(epoch_us(start_time))),"
        " '%Y-%m') AS period FROM kept ORDER BY period"
    ).fetchall()
    return tuple(str(period) for (period,) in rows)


def _assert_keys_distinct(connection: duckdb.DuckDBPyConnection, *, load_id: str) -> None:
    """No key is kept twice: no hash kept twice proves it; else look at the keys themselves.

    Grouped aggregates, not `count(DISTINCT ...)`: DuckDB's distinct aggregate does not spill, and
    ran out of memory under the load's limit at 116M records (the generator's large size)."""
    row = connection.execute(
        "SELECT count(*) FROM (SELECT key_hash FROM kept GROUP BY key_hash HAVING count(*) > 1)"
    ).fetchone()
    assert row is not None
    if row[0] == 0:
        return
    row = connection.execute(
        "SELECT count(*) FROM (SELECT source, record_id FROM kept"
        " GROUP BY source, record_id HAVING count(*) > 1)"
    ).fetchone()
    assert row is not None
    assert row[0] == 0, f"load {load_id} would store {row[0]} keys twice"
