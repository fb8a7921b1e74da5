"""`UsageStore`: where usage lives on disk, and how readers find the committed part of it.

Layout under the store's root:

    usage/period=YYYY-MM/load-<load_id>.parquet   accepted records, one file per load and month
    keys/hash-<probe>/period=YYYY-MM/load-<load_id>.parquet
                                                  their key index (`tollway.usage._keys`)
    rejects/load-<load_id>.parquet                rejected records, one file per load
    loads.parquet                                 the loads log: one row per committed load
    .spill-<load_id>/                             a running load's spilled tables, sorts and joins

The loads log is the commit record. A load writes its files first and its log row last, so readers
that go through the log (`scan_sql`, `periods`) never see a load that did not finish.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tollway.usage._duckdb import connect, sql_path_list, sql_text
from tollway.usage._errors import UsageStoreError
from tollway.usage._record import REJECT_COLUMNS, STORED_COLUMNS
from tollway.usage._report import LoadReport

PERIOD_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
LOAD_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
"""A load_id becomes part of file names: letters, digits, '_', '.', '-'; at most 128 characters."""

LOG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sequence", "BIGINT"),
    ("load_id", "VARCHAR"),
    ("submitted", "BIGINT"),
    ("accepted", "BIGINT"),
    ("rejected", "BIGINT"),
    ("rejected_by_reason", "MAP(VARCHAR, BIGINT)"),
    ("periods", "VARCHAR[]"),
    ("source_files", "VARCHAR[]"),
    ("assume_time_zone", "VARCHAR"),
)


def check_load_id(load_id: str) -> None:
    """Refuse a load_id that could not safely name a file.

    >>> check_load_id("2024-03-05.switch-a")
    >>> check_load_id("../etc")
    Traceback (most recent call last):
    ...
    tollway.usage._errors.UsageStoreError: load_id '../etc' must be 1 to 128 letters, digits, '_', '.' or '-', starting with a letter or digit
    """
    if not LOAD_ID_PATTERN.fullmatch(load_id):
        raise UsageStoreError(
            f"load_id {load_id!r} must be 1 to 128 letters, digits, '_', '.' or '-',"
            " starting with a letter or digit"
        )


def check_period(period: str) -> None:
    """Refuse a period that is not a usage month written `YYYY-MM`."""
    if not PERIOD_PATTERN.fullmatch(period):
        raise UsageStoreError(f"period {period!r} must be a month written YYYY-MM, such as 2024-03")


def empty_relation_sql(columns: tuple[tuple[str, str], ...]) -> str:
    """A query with `columns` and no rows: what a reader gets where nothing is stored yet.

    >>> empty_relation_sql((("record_id", "VARCHAR"),))
    'SELECT CAST(NULL AS VARCHAR) AS record_id WHERE false'
    """
    typed_nulls = ", ".join(f"CAST(NULL AS {type_sql}) AS {name}" for name, type_sql in columns)
    return f"SELECT {typed_nulls} WHERE false"


@dataclass(frozen=True, slots=True)
class UsageStore:
    """Usage records kept as Parquet under `root`, partitioned by usage month (UTC) of start_time.

    DuckDB and Spark read the files in place; readers should go through `scan_sql`, which reads
    only committed loads. Creating a store touches nothing on disk.

    >>> store = UsageStore(Path("/srv/tollway/usage-store"))
    >>> store.usage_file("2024-03", load_id="switch-a.0042").as_posix()
    '/srv/tollway/usage-store/usage/period=2024-03/load-switch-a.0042.parquet'
    >>> store.periods()
    ()
    """

    root: Path

    @property
    def loads_log(self) -> Path:
        return self.root / "loads.parquet"

    @property
    def lock_file(self) -> Path:
        return self.root / ".load.lock"

    def usage_file(self, period: str, *, load_id: str) -> Path:
        """The file holding one load's accepted records of one usage month."""
        check_period(period)
        check_load_id(load_id)
        return self.root / "usage" / f"period={period}" / f"load-{load_id}.parquet"

    def rejects_file(self, load_id: str) -> Path:
        """The file holding one load's rejected records."""
        check_load_id(load_id)
        return self.root / "rejects" / f"load-{load_id}.parquet"

    def reports(self) -> tuple[LoadReport, ...]:
        """Every committed load's report, in the order the loads were committed."""
        connection = connect()
        try:
            return read_reports(connection, self)
        finally:
            connection.close()

    def report(self, load_id: str) -> LoadReport | None:
        """The report of a committed load, or None when no load with that id was committed."""
        return find_report(self.reports(), load_id)

    def periods(self) -> tuple[str, ...]:
        """The usage months (`YYYY-MM`, UTC) holding committed records, oldest first."""
        return tuple(sorted({period for report in self.reports() for period in report.periods}))

    def scan_sql(self, period: str) -> str:
        """A DuckDB query over one usage month's committed records (no rows if there are none).

        Columns: those of `STORED_COLUMNS` and `period`. Use it as a subquery:
        `SELECT sum(quantity) FROM (<scan_sql>) WHERE circuit_id = 'C1'`.

        >>> UsageStore(Path("/srv/empty")).scan_sql("2024-03").endswith("WHERE false")
        True
        """
        check_period(period)
        return usage_relation_sql(self, self.reports(), period=period)

    def rejects_sql(self, load_id: str) -> str:
        """A DuckDB query over one committed load's rejected records, file by file, row by row."""
        if self.report(load_id) is None:
            raise UsageStoreError(f"no committed load {load_id!r} in {self.root}")
        columns = ", ".join(name for name, _ in REJECT_COLUMNS)
        return f"SELECT {columns} FROM read_parquet({sql_text(str(self.rejects_file(load_id)))})"


def read_reports(
    connection: duckdb.DuckDBPyConnection, store: UsageStore
) -> tuple[LoadReport, ...]:
    """Every committed load's report, read from the loads log on `connection`."""
    if not store.loads_log.is_file():
        return ()
    rows = connection.execute(
        "SELECT load_id, submitted, accepted, rejected, rejected_by_reason, periods"
        f" FROM read_parquet({sql_text(str(store.loads_log))}) ORDER BY sequence"
    ).fetchall()
    return tuple(_report_from_row(row) for row in rows)


def find_report(reports: tuple[LoadReport, ...], load_id: str) -> LoadReport | None:
    found = [report for report in reports if report.load_id == load_id]
    assert len(found) <= 1, f"load {load_id} committed {len(found)} times"
    return found[0] if found else None


def usage_relation_sql(
    store: UsageStore, reports: tuple[LoadReport, ...], *, period: str | None = None
) -> str:
    """A query over the records the committed `reports` stored: of one month, or of all."""
    files = [
        store.usage_file(stored_period, load_id=report.load_id)
        for report in reports
        for stored_period in report.periods
        if period in (None, stored_period)
    ]
    if not files:
        return empty_relation_sql((*STORED_COLUMNS, ("period", "VARCHAR")))
    columns = ", ".join(name for name, _ in STORED_COLUMNS)
    return (
        f"SELECT {columns}, period FROM read_parquet({sql_path_list(files)},"
        " hive_partitioning = true, hive_types = {'period': VARCHAR})"
    )


def _report_from_row(row: tuple[object, ...]) -> LoadReport:
    load_id, submitted, accepted, rejected, rejected_by_reason, periods = row
    assert isinstance(load_id, str) and isinstance(rejected_by_reason, dict)
    assert isinstance(submitted, int) and isinstance(accepted, int) and isinstance(rejected, int)
    assert isinstance(periods, list)
    return LoadReport(
        load_id=load_id,
        submitted=submitted,
        accepted=accepted,
        rejected=rejected,
        rejected_by_reason={
            str(reason): int(count) for reason, count in sorted(rejected_by_reason.items())
        },
        periods=tuple(str(period) for period in periods),
    )
