"""Loading is idempotent: a re-sent record is never stored twice, a re-run load changes nothing."""

import fcntl
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tollway.usage import (
    LoadReport,
    UsageStore,
    UsageStoreBusyError,
    UsageStoreError,
    load_usage,
)

Row = dict[str, object]
WriteFile = Callable[[str, str], Path]
ReadRows = Callable[[str], list[Row]]

HEADER = "record_id,source,circuit_id,usage_type,start_time,quantity,unit"
MARCH = f"""{HEADER}
cdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00+01:00,1.50,GB
cdr-2,switch-a,CIR-1,voice,2024-03-05T11:00:00Z,60,s
cdr-3,switch-a,CIR-2,data,2024-03-06T08:00:00Z,0.25,GB
"""


def test_a_file_loaded_twice_is_stored_once(
    store: UsageStore, write_file: WriteFile, stored_usage: ReadRows, stored_rejects: ReadRows
) -> None:
    usage = write_file("march.csv", MARCH)
    first = load_usage([usage], store=store, load_id="march-1")

    second = load_usage([usage], store=store, load_id="march-2")

    assert (first.accepted, first.rejected) == (3, 0)
    assert second == LoadReport(
        load_id="march-2",
        submitted=3,
        accepted=0,
        rejected=3,
        rejected_by_reason={"duplicate_record": 3},
        periods=(),
    )
    assert [row["record_id"] for row in stored_usage("2024-03")] == ["cdr-1", "cdr-2", "cdr-3"]
    assert [(row["source_row"], row["message"]) for row in stored_rejects("march-2")] == [
        (1, "already stored by load march-1 (period 2024-03) with the same content; not billed twice"),
        (2, "already stored by load march-1 (period 2024-03) with the same content; not billed twice"),
        (3, "already stored by load march-1 (period 2024-03) with the same content; not billed twice"),
    ]  # fmt: skip


def test_a_resend_written_differently_is_still_the_same_record(
    store: UsageStore, write_file: WriteFile
) -> None:
    # 1.5 is 1.50; 09:00Z is 10:00+01:00; JSON Lines instead of CSV.
    load_usage([write_file("march.csv", MARCH)], store=store, load_id="march-1")
    resend = write_file(
        "resend.jsonl",
        '{"record_id": "cdr-1", "source": "switch-a", "circuit_id": "CIR-1", "usage_type": "data",'
        ' "start_time": "2024-03-05T09:00:00Z", "quantity": "1.5", "unit": "GB"}\n',
    )

    report = load_usage([resend], store=store, load_id="march-2")

    assert report.rejected_by_reason == {"duplicate_record": 1}


def test_a_conflicting_resend_is_rejected_and_the_stored_record_stands(
    store: UsageStore,
    write_file: WriteFile,
    stored_usage: ReadRows,
    stored_rejects: ReadRows,
) -> None:
    load_usage([write_file("march.csv", MARCH)], store=store, load_id="march-1")
    corrected = write_file(
        "corrected.csv", f"{HEADER}\ncdr-1,switch-a,CIR-1,data,2024-03-05T10:00:00+01:00,1.75,TB\n"
    )

    report = load_usage([corrected], store=store, load_id="march-2")

    assert report.rejected_by_reason == {"conflicting_duplicate": 1}
    (reject,) = stored_rejects("march-2")
    assert reject["message"] == (
        "already stored by load march-1 (period 2024-03) with a different quantity, unit;"
        " the stored record stands, so send a change as a new record_id"
    )
    assert reject["quantity"] == "1.75"
    (stored,) = [row for row in stored_usage("2024-03") if row["record_id"] == "cdr-1"]
    assert (str(stored["quantity"]), stored["unit"], stored["load_id"]) == (
        "1.500000000",
        "GB",
        "march-1",
    )


def test_loading_a_committed_load_id_again_changes_nothing(
    store: UsageStore, write_file: WriteFile
) -> None:
    usage = write_file("march.csv", MARCH)
    first = load_usage([usage], store=store, load_id="march-1")
    files_before = {path: path.read_bytes() for path in store.root.rglob("*.parquet")}

    # Even with other content under the same name, the committed load is the answer.
    usage.write_text(f"{HEADER}\nnew-1,switch-a,CIR-1,data,2024-04-01T00:00:00Z,9,GB\n")
    again = load_usage([usage], store=store, load_id="march-1")

    assert again == first
    assert {path: path.read_bytes() for path in store.root.rglob("*.parquet")} == files_before
    assert [report.load_id for report in store.reports()] == ["march-1"]


def test_a_killed_load_leaves_nothing_readers_see_and_its_retry_cleans_up(
    store: UsageStore, write_file: WriteFile, tmp_path: Path, stored_usage: ReadRows
) -> None:
    # Simulate a load killed after its files were renamed into place but before its commit: copy
    # the files another store wrote for the same load, and a temporary file it left behind.
    usage = write_file("march.csv", MARCH)
    elsewhere = UsageStore(tmp_path / "elsewhere")
    load_usage([usage], store=elsewhere, load_id="march-1")
    for relative in ("usage/period=2024-03/load-march-1.parquet", "rejects/load-march-1.parquet"):
        (store.root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(elsewhere.root / relative, store.root / relative)
    leftover = store.root / "usage" / "period=2024-03" / ".load-march-1.parquet.tmp"
    leftover.write_bytes(b"half a file")

    assert store.periods() == ()
    assert stored_usage("2024-03") == []

    report = load_usage([usage], store=store, load_id="march-1")

    # The leftovers are not taken for stored records: all three are accepted, once.
    assert (report.accepted, report.rejected) == (3, 0)
    assert len(stored_usage("2024-03")) == 3
    assert not leftover.exists()


def test_a_second_load_while_one_runs_is_refused(store: UsageStore, write_file: WriteFile) -> None:
    usage = write_file("march.csv", MARCH)
    store.root.mkdir(parents=True)
    with store.lock_file.open("a") as running_load:
        fcntl.flock(running_load.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

        with pytest.raises(UsageStoreBusyError, match="another load is writing to"):
            load_usage([usage], store=store, load_id="march-1")

    assert load_usage([usage], store=store, load_id="march-1").accepted == 3


@pytest.mark.parametrize("load_id", ["", "../march", "march 1", "-march", "m" * 129])
def test_a_load_id_must_be_a_safe_file_name(
    store: UsageStore, write_file: WriteFile, load_id: str
) -> None:
    with pytest.raises(UsageStoreError, match="must be 1 to 128 letters, digits"):
        load_usage([write_file("march.csv", MARCH)], store=store, load_id=load_id)


def test_two_files_of_one_load_need_their_own_names(
    store: UsageStore, write_file: WriteFile, tmp_path: Path
) -> None:
    first = write_file("usage.csv", MARCH)
    second = tmp_path / "other" / "usage.csv"
    second.parent.mkdir()
    second.write_text(MARCH)

    with pytest.raises(UsageStoreError, match=r"more than one file named usage\.csv in one load"):
        load_usage([first, second], store=store, load_id="march-1")


def test_a_load_of_nothing_is_committed_with_zero_counts(store: UsageStore) -> None:
    report = load_usage([], store=store, load_id="empty-1")

    assert report == LoadReport("empty-1", 0, 0, 0, {}, ())
    assert store.report("empty-1") == report
