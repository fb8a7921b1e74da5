"""The key index: 64-bit hashes of the stored records' keys, so a load finds re-sent records fast.

Beside each committed load's usage file of a month, the store keeps a key index file: the
(key_hash, content_hash, source, record_id) of the records that file holds, in the same order.
A load first compares its records' key hashes with the stored ones (8 bytes a record); only where
two hashes match does it compare the real keys. Two different keys that share a hash (a collision)
are two records, and both are kept: a hash never decides alone that a record is a re-send.

The content hash (of every content column, as stored) tells a re-send that is the stored record
unchanged (`duplicate_record`) from one that differs (`conflicting_duplicate`); where it differs,
the stored record itself is read to name the fields that differ. Either way the record is
rejected: a content hash can only change which of the two duplicate reasons a re-sent record gets,
and only if two different contents of the same key shared a 64-bit hash.

DuckDB does not promise that `hash` stays the same across versions, so the index files live in a
folder named after the hashes of a fixed probe record. After an upgrade that changes the hash,
that folder is new and empty, and the keys of every earlier load are hashed again from its usage
file on each load: slower, never wrong. The same happens for a load stored before the index existed.
"""

from dataclasses import dataclass
from pathlib import Path

import duckdb

from tollway.usage._duckdb import sql_path_list
from tollway.usage._record import CONTENT_COLUMNS
from tollway.usage._report import LoadReport
from tollway.usage._store import UsageStore, check_load_id, check_period

KEY_HASH_SQL = "hash(source, record_id)"
"""The key hash of a relation with the columns source and record_id (a UBIGINT)."""

CONTENT_HASH_SQL = f"hash({', '.join(name for name, _ in CONTENT_COLUMNS)})"
"""The content hash of a relation with the stored content columns (a UBIGINT)."""

KEY_INDEX_COLUMNS: tuple[tuple[str, str], ...] = (
    ("key_hash", "UBIGINT"),
    ("content_hash", "UBIGINT"),
    ("source", "VARCHAR"),
    ("record_id", "VARCHAR"),
)
"""Columns of a key index file, in order; its rows are in the order of its usage file (a reader
joins on the hashes and needs no order; sorting them cost twice the write)."""

_PROBE_SQL = """
    SELECT 'switch-a' AS source, 'cdr-0001' AS record_id, 'CIR-1' AS circuit_id,
           NULL::VARCHAR AS service_id, 'data' AS usage_type,
           TIMESTAMPTZ '2024-03-05 09:00:00+00' AS start_time,
           TIMESTAMPTZ '2024-03-05 09:30:00.5+00' AS end_time, 1.25::DECIMAL(38, 9) AS quantity,
           'GB' AS unit, 'rg-10' AS rating_group, '+4420' AS origin, '+3314' AS destination,
           MAP {'site': 'LON1'} AS characteristics
"""


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One committed load's records of one month: its usage file and its key index file.

    `indexed` says whether the key index file exists; without it, keys are hashed from the usage file.
    """

    load_id: str
    period: str
    usage_file: Path
    key_file: Path
    indexed: bool

    @property
    def key_source(self) -> Path:
        """The file this load's keys of the month are read from."""
        return self.key_file if self.indexed else self.usage_file


def hash_version(connection: duckdb.DuckDBPyConnection, *, key_hash_sql: str) -> str:
    """The name of the key index folder for these hash functions: their hashes of a probe record.

    >>> from tollway.usage._duckdb import connect
    >>> hash_version(connect(), key_hash_sql="0::UBIGINT")[:21]
    'hash-0000000000000000'
    """
    row = connection.execute(
        f"SELECT {key_hash_sql}, {CONTENT_HASH_SQL} FROM ({_PROBE_SQL})"
    ).fetchone()
    assert row is not None
    key_probe, content_probe = row
    return f"hash-{int(key_probe):016x}-{int(content_probe):016x}"


def key_index_file(store: UsageStore, period: str, *, load_id: str, version: str) -> Path:
    """The key index file of one load's records of one month, for one hash version.

    >>> key_index_file(
    ...     UsageStore(Path("/srv/store")), "2024-03", load_id="l1", version="hash-1-2"
    ... ).as_posix()
    '/srv/store/keys/hash-1-2/period=2024-03/load-l1.parquet'
    """
    check_period(period)
    check_load_id(load_id)
    return store.root / "keys" / version / f"period={period}" / f"load-{load_id}.parquet"


def stored_files(
    store: UsageStore, reports: tuple[LoadReport, ...], *, version: str
) -> tuple[StoredFile, ...]:
    """Every committed usage file, with its key index file for `version` where there is one."""
    files = []
    for report in reports:
        for period in report.periods:
            key_file = key_index_file(store, period, load_id=report.load_id, version=version)
            files.append(
                StoredFile(
                    load_id=report.load_id,
                    period=period,
                    usage_file=store.usage_file(period, load_id=report.load_id),
                    key_file=key_file,
                    indexed=key_file.is_file(),
                )
            )
    return tuple(files)


def register_stored_files(
    connection: duckdb.DuckDBPyConnection, files: tuple[StoredFile, ...]
) -> None:
    """The table `stored_file`: a number for each stored file, the file its keys are read from,
    and the load and month it holds."""
    connection.execute(
        "CREATE TABLE stored_file AS SELECT generate_subscripts(file_names, 1) AS file_number,"
        " unnest(file_names) AS file_name, unnest(load_ids) AS load_id, unnest(periods) AS period"
        " FROM (SELECT ?::VARCHAR[] AS file_names, ?::VARCHAR[] AS load_ids,"
        " ?::VARCHAR[] AS periods)",
        [
            [str(file.key_source) for file in files],
            [file.load_id for file in files],
            [file.period for file in files],
        ],
    )


def stored_keys_sql(files: tuple[StoredFile, ...], *, key_hash_sql: str) -> str | None:
    """A query over every stored record's key_hash, content_hash, source, record_id and file_name.

    Reads the key index where it exists, and hashes the usage file where it does not. None when
    nothing is stored.
    """
    indexed = [file.key_file for file in files if file.indexed]
    unindexed = [file.usage_file for file in files if not file.indexed]
    parts = []
    if indexed:
        parts.append(
            "SELECT key_hash, content_hash, source, record_id, filename AS file_name"
            f" FROM read_parquet({sql_path_list(indexed)}, filename = true,"
            " hive_partitioning = false)"
        )
    if unindexed:
        parts.append(
            f"SELECT {key_hash_sql} AS key_hash, {CONTENT_HASH_SQL} AS content_hash, source,"
            " record_id, filename AS file_name"
            f" FROM read_parquet({sql_path_list(unindexed)}, filename = true,"
            " hive_partitioning = false)"
        )
    return " UNION ALL ".join(parts) if parts else None
