"""A load works within its memory limit, spilling to a hidden folder of the store it then removes,
and writes the same bytes whatever the limit."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tollway.usage import LOAD_MEMORY_LIMIT_BYTES, UsageStore, load_usage

RECORDS = 300_000
"""Enough for several Parquet row groups (DuckDB writes 122,880 rows to a group)."""
MEMORY_LIMIT_SMALL_BYTES = 96 * 1024**2


@pytest.fixture(scope="module")
def usage_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300,000 data records of one month, typed as the generator writes them; every 1,000th
    record id is sent twice and every 10,000th quantity is negative."""
    path = tmp_path_factory.mktemp("usage") / "march.parquet"
    indexes = range(RECORDS)
    keys = [index - 1 if index % 1000 == 999 else index for index in indexes]
    start_s = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
    table = pa.table(
        {
            "record_id": [f"cdr-{key}" for key in keys],
            "source": [f"switch-{key % 7}" for key in keys],
            "circuit_id": [f"CIR-{index % 5000}" for index in indexes],
            "usage_type": ["data"] * RECORDS,
            "start_time": pa.array(
                [(start_s + (index * 7919) % 2_592_000) * 1_000_000 for index in indexes],
                pa.timestamp("us", tz="UTC"),
            ),
            "quantity": pa.array(
                [
                    Decimal(-1 if index % 10_000 == 5 else index % 977).scaleb(-3)
                    for index in indexes
                ],
                pa.decimal128(38, 9),
            ),
            "unit": ["GB"] * RECORDS,
        }
    )
    pq.write_table(table, path)
    return path


def test_the_default_limit_is_four_gibibytes() -> None:
    assert LOAD_MEMORY_LIMIT_BYTES == 4 * 1024**3


def test_a_load_within_a_small_memory_limit_writes_what_an_unbounded_one_writes(
    usage_file: Path, tmp_path: Path
) -> None:
    # 300 record ids sent twice (the 1,000th of each thousand); 30 negative quantities, none of
    # them on a repeated record (index 5 of each 10,000).
    bounded, roomy = UsageStore(tmp_path / "bounded"), UsageStore(tmp_path / "roomy")

    report = load_usage(
        [usage_file], store=bounded, load_id="load-1", memory_limit_bytes=MEMORY_LIMIT_SMALL_BYTES
    )
    load_usage([usage_file], store=roomy, load_id="load-1")

    assert (report.submitted, report.accepted) == (300_000, 299_670)
    assert report.rejected_by_reason == {"duplicate_in_load": 300, "negative_quantity": 30}
    written = sorted(path.relative_to(bounded.root) for path in bounded.root.rglob("*"))
    # Nothing hidden is left but the lock file: no spill folder, no temporary file.
    assert [path.name for path in written if path.name.startswith(".")] == [".load.lock"]
    for relative in written:
        if (bounded.root / relative).is_file():
            assert (bounded.root / relative).read_bytes() == (roomy.root / relative).read_bytes()


def test_a_resend_within_a_small_memory_limit_rejects_every_record(
    usage_file: Path, tmp_path: Path
) -> None:
    store = UsageStore(tmp_path / "store")
    load_usage([usage_file], store=store, load_id="load-1")

    report = load_usage(
        [usage_file], store=store, load_id="load-2", memory_limit_bytes=MEMORY_LIMIT_SMALL_BYTES
    )

    assert report.accepted == 0
    assert report.rejected_by_reason == {
        "duplicate_in_load": 300, "duplicate_record": 299_670, "negative_quantity": 30,
    }  # fmt: skip


def test_a_killed_load_leaves_a_spill_folder_its_retry_removes(
    usage_file: Path, tmp_path: Path
) -> None:
    store = UsageStore(tmp_path / "store")
    leftover = store.root / ".spill-load-1" / "temporary" / "duckdb_temp_storage.tmp"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"spilled")

    load_usage([usage_file], store=store, load_id="load-1")

    assert not (store.root / ".spill-load-1").exists()
