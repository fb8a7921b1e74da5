"""`load_usage`: one idempotent load of usage files into a `UsageStore`."""

from collections import Counter
from collections.abc import Collection, Sequence
from pathlib import Path

import duckdb

from tollway.usage._classify import classify_records
from tollway.usage._duckdb import connect, sql_text
from tollway.usage._errors import UsageStoreError
from tollway.usage._read import stage_raw_records
from tollway.usage._record import RECORD_FIELDS, STORED_COLUMNS
from tollway.usage._report import LoadReport
from tollway.usage._store import (
    UsageStore,
    check_load_id,
    find_report,
    read_reports,
    usage_relation_sql,
)
from tollway.usage._write import exclusive_lock, remove_uncommitted, write_load

FILES_PER_LOAD_MAX = 10_000


def load_usage(
    paths: Sequence[Path],
    *,
    store: UsageStore,
    load_id: str,
    known_circuits: Collection[str] | None = None,
    assume_time_zone: str | None = None,
) -> LoadReport:
    """Load usage files (.csv, .jsonl/.ndjson, .parquet) into `store` as the load `load_id`.

    Every submitted record is accepted (stored under its UTC usage month) or rejected with a reason
    code (kept in the store's rejects); a record whose (source, record_id) is already stored is
    rejected, never stored twice. Loading a committed `load_id` again returns its report and
    changes nothing. `known_circuits`, when given, rejects records naming any other circuit_id;
    `assume_time_zone` (an IANA name) places timestamps sent without a UTC offset.

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
    check_load_id(load_id)
    files = list(paths)
    with exclusive_lock(store):
        connection = connect()
        try:
            reports = read_reports(connection, store)
            committed = find_report(reports, load_id)
            if committed is not None:
                return committed
            _check_files(files)
            remove_uncommitted(store, load_id)
            return _run_load(
                connection, files, store=store, load_id=load_id,
                stored_usage_sql=usage_relation_sql(store, reports),
                known_circuits=known_circuits, assume_time_zone=assume_time_zone,
            )  # fmt: skip
        finally:
            connection.close()


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
    stored_usage_sql: str,
    known_circuits: Collection[str] | None,
    assume_time_zone: str | None,
) -> LoadReport:
    _check_time_zone(connection, assume_time_zone)
    submitted = stage_raw_records(connection, files)
    if known_circuits is not None:
        _register_known_circuits(connection, known_circuits)
    classify_records(
        connection,
        stored_usage_sql=stored_usage_sql,
        assume_time_zone=assume_time_zone,
        check_circuits=known_circuits is not None,
    )
    _split_outcome(connection, load_id=load_id)
    report = _summarize(connection, load_id=load_id, submitted=submitted)
    write_load(
        connection, store=store, report=report, source_files=[path.name for path in files],
        assume_time_zone=assume_time_zone,
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


def _split_outcome(connection: duckdb.DuckDBPyConnection, *, load_id: str) -> None:
    """Tables `accepted` (stored columns and `period`) and `rejected` (raw fields and reason)."""
    stored = ", ".join(
        sql_text(load_id) + " AS load_id" if name == "load_id" else name
        for name, _ in STORED_COLUMNS
    )
    connection.execute(
        f"""
        CREATE TABLE accepted AS
        SELECT {stored}, strftime(timezone('UTC', start_time), '%Y-%m') AS period
        FROM outcome WHERE rejection IS NULL
        """
    )
    raw_fields = ", ".join(f"raw_record.{field}" for field in RECORD_FIELDS)
    connection.execute(
        f"""
        CREATE TABLE rejected AS
        SELECT raw_record.file_index, {sql_text(load_id)} AS load_id, raw_record.source_file,
               raw_record.source_row, outcome.rejection.reason AS reason,
               outcome.rejection.message AS message, raw_record.raw_line, {raw_fields}
        FROM outcome
        JOIN raw_record ON raw_record.file_index = outcome.file_index
            AND raw_record.source_row = outcome.source_row
        WHERE outcome.rejection IS NOT NULL
        """
    )


def _summarize(
    connection: duckdb.DuckDBPyConnection, *, load_id: str, submitted: int
) -> LoadReport:
    counts = connection.execute(
        "SELECT (SELECT count(*) FROM accepted), (SELECT count(*) FROM rejected),"
        " (SELECT count(*) - count(DISTINCT (source, record_id)) FROM accepted)"
    ).fetchone()
    assert counts is not None
    accepted, rejected, repeated_keys = counts
    assert repeated_keys == 0, f"load {load_id} would store {repeated_keys} keys twice"
    reasons = connection.execute(
        "SELECT reason, count(*) FROM rejected GROUP BY reason ORDER BY reason"
    ).fetchall()
    periods = connection.execute("SELECT DISTINCT period FROM accepted ORDER BY period").fetchall()
    return LoadReport(
        load_id=load_id,
        submitted=submitted,
        accepted=accepted,
        rejected=rejected,
        rejected_by_reason={str(reason): int(count) for reason, count in reasons},
        periods=tuple(str(period) for (period,) in periods),
    )
