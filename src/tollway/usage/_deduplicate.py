"""Deduplicating judged records on a hash of their key, comparing real keys wherever hashes match.

After judging, the records that passed every check (the view `passed`) are checked for keys
(source, record_id) seen twice: first within the load (the first record counts, by file and row),
then against the store's committed records (`tollway.usage._keys`). A repeated key becomes a row
of the table `duplicate`, with its reason (`duplicate_in_load`, `duplicate_record` or
`conflicting_duplicate`) and what its message names; the view `kept` then holds exactly the
records to store, and the view `rejected` every rejected record with its rejection.

Hashes only narrow the search: records are grouped, and stored keys matched, on the real
(source, record_id) among those whose hashes match, so a hash collision never makes two records
one. Almost every record of a load of new usage has a hash no other record has, and is done with
after a hash aggregate and a semi-join on 8-byte hashes.
"""

import duckdb

from tollway.usage._duckdb import sql_path_list
from tollway.usage._keys import StoredFile, register_stored_files, stored_keys_sql
from tollway.usage._record import CONTENT_COLUMNS, STORED_COLUMNS
from tollway.usage._report import RejectReason

_STORED_NAMES = ", ".join(
    name for name, _ in STORED_COLUMNS if name not in ("load_id", "source_file")
)

_PASSED_VIEW_SQL = f"""
    CREATE VIEW passed AS
    SELECT judged.file_index, key_hash, content_hash, {_STORED_NAMES}, load_file.source_file
    FROM judged JOIN load_file ON load_file.file_index = judged.file_index
    WHERE rejection IS NULL
"""

_DUPLICATE_REASONS = (
    RejectReason.DUPLICATE_IN_LOAD,
    RejectReason.DUPLICATE_RECORD,
    RejectReason.CONFLICTING_DUPLICATE,
)


def deduplicate(
    connection: duckdb.DuckDBPyConnection, *, stored: tuple[StoredFile, ...], key_hash_sql: str
) -> None:
    """Reject every record whose key passed earlier in the load or is already stored.

    Reads the tables `judged` and `load_file`; leaves the table `duplicate` and the views `kept`
    (the records to store, in the stored columns but `load_id`) and `rejected` (the rows of
    `judged` rejected, with their rejection, duplicates included).
    """
    connection.execute(_PASSED_VIEW_SQL)
    connection.execute(_IN_LOAD_DUPLICATES_SQL)
    register_stored_files(connection, stored)
    _match_stored(connection, stored_keys_sql(stored, key_hash_sql=key_hash_sql))
    _find_conflicts(connection, stored)
    reasons = ", ".join(f"'{reason.value}'" for reason in _DUPLICATE_REASONS)
    connection.execute(f"CREATE TYPE duplicate_reason AS ENUM ({reasons})")
    connection.execute(_DUPLICATES_SQL)
    connection.execute(_KEPT_VIEW_SQL)
    connection.execute(_REJECTED_VIEW_SQL)


# Only keys whose hash passed more than once can be repeated; among those, the real keys decide.
_IN_LOAD_DUPLICATES_SQL = """
    CREATE TABLE in_load_duplicate AS
    WITH repeated AS (SELECT key_hash FROM passed GROUP BY key_hash HAVING count(*) > 1),
    ranked AS (
        SELECT file_index, source_row,
               row_number() OVER key_window AS occurrence,
               first_value(file_index) OVER key_window AS first_file_index,
               first_value(source_row) OVER key_window AS first_row
        FROM passed
        WHERE key_hash IN (SELECT key_hash FROM repeated)
        WINDOW key_window AS (PARTITION BY source, record_id ORDER BY file_index, source_row)
    )
    SELECT file_index, source_row, first_file_index, first_row FROM ranked WHERE occurrence > 1
"""


def _match_stored(connection: duckdb.DuckDBPyConnection, stored_keys: str | None) -> None:
    """The table `stored_match`: each passed first occurrence whose key is stored, and where."""
    connection.execute(
        "CREATE TABLE stored_match (file_index INTEGER, source_row BIGINT,"
        " file_number BIGINT, content_differs BOOLEAN)"
    )
    if stored_keys is None:
        return
    # First the 8-byte hashes alone; the stored keys' text is read only if some hash matches.
    connection.execute(
        f"""
        CREATE TABLE stored_candidate AS
        SELECT file_index, source_row, key_hash, content_hash, source, record_id
        FROM passed
        WHERE key_hash IN (SELECT key_hash FROM ({stored_keys}))
            AND NOT EXISTS (
                SELECT 1 FROM in_load_duplicate AS repeat
                WHERE repeat.file_index = passed.file_index AND repeat.source_row = passed.source_row
            )
        """
    )
    row = connection.execute("SELECT count(*) FROM stored_candidate").fetchone()
    assert row is not None
    if row[0] == 0:
        return
    connection.execute(
        f"""
        INSERT INTO stored_match
        SELECT candidate.file_index, candidate.source_row, stored_file.file_number,
               stored_key.content_hash <> candidate.content_hash
        FROM stored_candidate AS candidate
        JOIN ({stored_keys}) AS stored_key ON stored_key.key_hash = candidate.key_hash
            AND stored_key.source = candidate.source AND stored_key.record_id = candidate.record_id
        JOIN stored_file ON stored_file.file_name = stored_key.file_name
        """
    )
    # A grouped aggregate spills under the load's memory limit; `count(DISTINCT ...)` does not.
    row = connection.execute(
        "SELECT count(*) FROM (SELECT file_index, source_row FROM stored_match"
        " GROUP BY file_index, source_row HAVING count(*) > 1)"
    ).fetchone()
    assert row is not None
    assert row[0] == 0, f"{row[0]} stored keys are stored more than once"


def _differences_sql() -> str:
    """The content columns in which a record differs from the stored one with its key."""
    names = [
        f"CASE WHEN ranked.{column} IS DISTINCT FROM stored.{column} THEN '{column}' END"
        for column, _ in CONTENT_COLUMNS
    ]
    return f"concat_ws(', ', {', '.join(names)})"


def _find_conflicts(connection: duckdb.DuckDBPyConnection, stored: tuple[StoredFile, ...]) -> None:
    """The table `conflict`: the content columns that differ, for matches whose hashes differ."""
    connection.execute(
        "CREATE TABLE conflict (file_index INTEGER, source_row BIGINT, differences VARCHAR)"
    )
    numbers = {
        int(number)
        for (number,) in connection.execute(
            "SELECT DISTINCT file_number FROM stored_match WHERE content_differs"
        ).fetchall()
    }
    if not numbers:
        return
    # stored_file numbers its rows from 1, in the order of `stored`.
    files = [file.usage_file for number, file in enumerate(stored, start=1) if number in numbers]
    columns = ", ".join(name for name, _ in STORED_COLUMNS)
    connection.execute(
        f"""
        INSERT INTO conflict
        SELECT match.file_index, match.source_row, {_differences_sql()}
        FROM stored_match AS match
        JOIN passed AS ranked
            ON ranked.file_index = match.file_index AND ranked.source_row = match.source_row
        JOIN (SELECT {columns} FROM read_parquet({sql_path_list(files)}, hive_partitioning = false))
            AS stored ON stored.source = ranked.source AND stored.record_id = ranked.record_id
        WHERE match.content_differs
        """
    )


# A content hash that differs while no column does (a hash that changed) counts as the same.
_DUPLICATES_SQL = f"""
    CREATE TABLE duplicate AS
    SELECT file_index, source_row, '{RejectReason.DUPLICATE_IN_LOAD.value}'::duplicate_reason AS reason,
           first_file_index, first_row, NULL::BIGINT AS file_number, NULL::VARCHAR AS differences
    FROM in_load_duplicate
    UNION ALL
    SELECT match.file_index, match.source_row,
           CASE WHEN coalesce(conflict.differences, '') = ''
               THEN '{RejectReason.DUPLICATE_RECORD.value}'
               ELSE '{RejectReason.CONFLICTING_DUPLICATE.value}' END::duplicate_reason,
           NULL, NULL, match.file_number, conflict.differences
    FROM stored_match AS match
    LEFT JOIN conflict
        ON conflict.file_index = match.file_index AND conflict.source_row = match.source_row
"""

_KEPT_VIEW_SQL = """
    CREATE VIEW kept AS SELECT * FROM passed ANTI JOIN duplicate USING (file_index, source_row)
"""

# The messages are put together here, as the rejects are written, not kept for every duplicate.
_DUPLICATE_MESSAGE_SQL = f"""CASE duplicate.reason
    WHEN '{RejectReason.DUPLICATE_IN_LOAD.value}' THEN format(
        'same source and record_id as {{}} row {{}} earlier in this load; only the first is kept',
        first_file.source_file, duplicate.first_row)
    WHEN '{RejectReason.DUPLICATE_RECORD.value}' THEN format(
        'already stored by load {{}} (period {{}}) with the same content; not billed twice',
        stored_file.load_id, stored_file.period)
    ELSE format('already stored by load {{}} (period {{}}) with a different {{}};'
        ' the stored record stands, so send a change as a new record_id',
        stored_file.load_id, stored_file.period, duplicate.differences)
    END"""

_REJECTED_VIEW_SQL = f"""
    CREATE VIEW rejected AS
    SELECT judged.*, load_file.source_file
    FROM judged JOIN load_file ON load_file.file_index = judged.file_index
    WHERE rejection IS NOT NULL
    UNION ALL
    SELECT judged.* REPLACE (
               {{'reason': CAST(duplicate.reason AS VARCHAR), 'message': {_DUPLICATE_MESSAGE_SQL}}}
               AS rejection),
           load_file.source_file
    FROM judged
    JOIN duplicate
        ON duplicate.file_index = judged.file_index AND duplicate.source_row = judged.source_row
    JOIN load_file ON load_file.file_index = judged.file_index
    LEFT JOIN load_file AS first_file ON first_file.file_index = duplicate.first_file_index
    LEFT JOIN stored_file ON stored_file.file_number = duplicate.file_number
"""
