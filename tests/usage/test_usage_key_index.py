"""Deduplication on a 64-bit key hash never makes two records one, and reads a key index.

The key hash is a seam of the private `_load_usage`: these tests force keys onto one hash (a
constant, or a hash of the source alone) and check that every record is still judged by its real
(source, record_id), in a load and across loads.
"""

import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from tollway.usage import LoadReport, UsageStore, load_usage
from tollway.usage._keys import KEY_HASH_SQL
from tollway.usage._load import LOAD_MEMORY_LIMIT_BYTES, _load_usage

Row = dict[str, object]
WriteFile = Callable[[str, str], Path]
ReadRows = Callable[[str], list[Row]]

HEADER = "record_id,source,circuit_id,usage_type,start_time,quantity,unit"
ONE_HASH = "0::UBIGINT"
"""Every key on one hash: each pair of records collides."""
SOURCE_HASH = "hash(source)"
"""Every key of a source on one hash."""


def load(paths: list[Path], store: UsageStore, load_id: str, *, key_hash_sql: str) -> LoadReport:
    return _load_usage(
        paths, store=store, load_id=load_id, known_circuits=None, assume_time_zone=None,
        memory_limit_bytes=LOAD_MEMORY_LIMIT_BYTES, key_hash_sql=key_hash_sql,
    )  # fmt: skip


def test_records_whose_keys_share_a_hash_are_all_stored(
    store: UsageStore, write_file: WriteFile, stored_usage: ReadRows
) -> None:
    march = write_file(
        "march.csv",
        f"""{HEADER}
cdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00Z,1,GB
cdr-2,switch-a,CIR-1,data,2024-03-05T11:00:00Z,2,GB
cdr-1,switch-b,CIR-1,data,2024-03-05T12:00:00Z,3,GB
""",
    )
    april = write_file(
        "april.csv", f"{HEADER}\ncdr-3,switch-a,CIR-1,data,2024-03-06T10:00:00Z,4,GB\n"
    )

    first = load([march], store, "load-1", key_hash_sql=ONE_HASH)
    second = load([april], store, "load-2", key_hash_sql=ONE_HASH)

    assert (first.accepted, first.rejected) == (3, 0)
    assert (second.accepted, second.rejected) == (1, 0)
    assert [(row["source"], row["record_id"]) for row in stored_usage("2024-03")] == [
        ("switch-a", "cdr-1"), ("switch-a", "cdr-2"), ("switch-b", "cdr-1"), ("switch-a", "cdr-3"),
    ]  # fmt: skip


def test_real_duplicates_are_found_among_colliding_keys(
    store: UsageStore, write_file: WriteFile, stored_rejects: ReadRows
) -> None:
    # Rows 1 and 3 are one key; row 4 re-sends row 2's key with another quantity.
    first_file = write_file(
        "first.csv",
        f"""{HEADER}
cdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00Z,1,GB
cdr-2,switch-a,CIR-1,data,2024-03-05T11:00:00Z,2,GB
cdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00Z,1,GB
""",
    )
    second_file = write_file(
        "second.csv",
        f"""{HEADER}
cdr-9,switch-a,CIR-1,data,2024-03-05T10:00:00Z,1,GB
cdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00Z,1,GB
cdr-2,switch-a,CIR-1,data,2024-03-05T11:00:00Z,2.5,GB
""",
    )

    first = load([first_file], store, "load-1", key_hash_sql=ONE_HASH)
    second = load([second_file], store, "load-2", key_hash_sql=ONE_HASH)

    assert (first.accepted, first.rejected_by_reason) == (2, {"duplicate_in_load": 1})
    assert (second.accepted, second.rejected_by_reason) == (
        1,
        {"conflicting_duplicate": 1, "duplicate_record": 1},
    )
    assert [(row["source_row"], row["message"]) for row in stored_rejects("load-2")] == [
        (2, "already stored by load load-1 (period 2024-03) with the same content; not billed twice"),
        (3, "already stored by load load-1 (period 2024-03) with a different quantity; the stored"
            " record stands, so send a change as a new record_id"),
    ]  # fmt: skip


KEYS = st.tuples(st.sampled_from(["switch-a", "switch-b"]), st.sampled_from(["1", "2", "3", "4"]))


@settings(max_examples=15, deadline=None)
@given(
    loads=st.lists(st.lists(KEYS, min_size=0, max_size=6), min_size=1, max_size=3),
    key_hash_sql=st.sampled_from([ONE_HASH, SOURCE_HASH, "hash(record_id) % 2"]),
)
def test_colliding_hashes_decide_nothing_the_real_keys_do_not(
    tmp_path_factory: object, loads: list[list[tuple[str, str]]], key_hash_sql: str
) -> None:
    folder = Path(tmp_path_factory.mktemp("collide"))  # type: ignore[attr-defined]
    stored: set[tuple[str, str]] = set()
    for number, keys in enumerate(loads):
        lines = [HEADER] + [
            f"{record_id},{source},CIR-1,data,2024-03-05T10:00:00Z,1,GB"
            for source, record_id in keys
        ]
        usage = folder / f"load-{number}.csv"
        usage.write_text("\n".join(lines) + "\n")
        # The model: a key is accepted once, the first time it is sent; re-sent, it is rejected.
        expected_new = list(dict.fromkeys(key for key in keys if key not in stored))

        colliding = load([usage], UsageStore(folder / "colliding"), f"load-{number}",
                         key_hash_sql=key_hash_sql)  # fmt: skip
        real = load(
            [usage], UsageStore(folder / "real"), f"load-{number}", key_hash_sql=KEY_HASH_SQL
        )

        assert colliding == real
        assert colliding.accepted == len(expected_new)
        assert colliding.rejected_by_reason.get("duplicate_in_load", 0) == len(keys) - len(
            dict.fromkeys(keys)
        )
        stored.update(expected_new)


def test_the_key_index_holds_each_stored_key_sorted_by_hash(
    store: UsageStore, write_file: WriteFile
) -> None:
    usage = write_file(
        "march.csv",
        f"""{HEADER}
cdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00Z,1,GB
cdr-2,switch-a,CIR-1,data,2024-04-05T10:00:00Z,2,GB
cdr-3,switch-a,CIR-1,data,2024-03-07T10:00:00Z,-3,GB
""",
    )

    load_usage([usage], store=store, load_id="load-1")

    (version,) = (store.root / "keys").iterdir()
    march = pq.read_table(version / "period=2024-03" / "load-load-1.parquet")
    april = pq.read_table(version / "period=2024-04" / "load-load-1.parquet")
    assert march.column_names == ["key_hash", "content_hash", "source", "record_id"]
    assert march.column("record_id").to_pylist() == ["cdr-1"]
    assert april.column("record_id").to_pylist() == ["cdr-2"]


def test_a_store_without_a_key_index_is_deduplicated_from_its_usage_files(
    store: UsageStore, write_file: WriteFile, stored_rejects: ReadRows
) -> None:
    # As a store written before the key index existed, or after DuckDB changed its hash.
    march = f"{HEADER}\ncdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00Z,1,GB\n"
    load_usage([write_file("march.csv", march)], store=store, load_id="load-1")
    shutil.rmtree(store.root / "keys")
    resend = write_file(
        "resend.csv",
        f"""{HEADER}
cdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00Z,1.0,GB
cdr-2,switch-a,CIR-1,data,2024-03-05T11:00:00Z,2,GB
""",
    )

    report = load_usage([resend], store=store, load_id="load-2")

    assert (report.accepted, report.rejected_by_reason) == (1, {"duplicate_record": 1})
    (reject,) = stored_rejects("load-2")
    assert reject["message"] == (
        "already stored by load load-1 (period 2024-03) with the same content; not billed twice"
    )


def test_keys_indexed_under_another_hash_are_read_from_the_usage_files(
    store: UsageStore, write_file: WriteFile
) -> None:
    # Loads under two different hash functions: the second finds no index of its own for the first.
    usage = write_file(
        "march.csv", f"{HEADER}\ncdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00Z,1,GB\n"
    )
    load([usage], store, "load-1", key_hash_sql=SOURCE_HASH)

    report = load([usage], store, "load-2", key_hash_sql=KEY_HASH_SQL)

    assert report.rejected_by_reason == {"duplicate_record": 1}
    assert len(list((store.root / "keys").iterdir())) == 1
