"""The examples in docs/usage-records.md load as the document says: one record set, three formats."""

import re
from pathlib import Path

import pytest

import tollway.usage
from tollway.usage import UsageStore, connect_duckdb, load_usage

DOCUMENT = Path(__file__).parents[2] / "docs" / "usage-records.md"


def example(language: str) -> str:
    """The one fenced example of `language` in the document."""
    (block,) = re.findall(rf"```{language}\n(.*?)```", DOCUMENT.read_text(encoding="utf-8"), re.S)
    return str(block)


def test_the_csv_and_json_lines_examples_are_the_same_three_records(
    store: UsageStore, tmp_path: Path
) -> None:
    csv_example = tmp_path / "example.csv"
    csv_example.write_text(example("csv"), encoding="utf-8")
    json_lines_example = tmp_path / "example.jsonl"
    json_lines_example.write_text(example("jsonl"), encoding="utf-8")

    from_csv = load_usage([csv_example], store=store, load_id="csv")
    from_json_lines = load_usage([json_lines_example], store=store, load_id="jsonl")

    assert (from_csv.accepted, from_csv.rejected) == (3, 0)
    # Re-sent as JSON Lines, every record is recognised as the one already stored.
    assert from_json_lines.rejected_by_reason == {"duplicate_record": 3}


def test_the_parquet_example_is_the_first_record_again(
    store: UsageStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv_example = tmp_path / "example.csv"
    csv_example.write_text(example("csv"), encoding="utf-8")
    load_usage([csv_example], store=store, load_id="csv")
    monkeypatch.chdir(tmp_path)
    connection = connect_duckdb()
    connection.execute(example("sql"))
    connection.close()

    report = load_usage([tmp_path / "usage.parquet"], store=store, load_id="parquet")

    assert report.rejected_by_reason == {"duplicate_record": 1}


def test_the_public_surface_is_pinned() -> None:
    assert tollway.usage.__all__ == [
        "LOAD_MEMORY_LIMIT_BYTES",
        "RECORD_FIELDS",
        "REQUIRED_FIELDS",
        "LoadReport",
        "RejectReason",
        "UsageFileError",
        "UsageStore",
        "UsageStoreBusyError",
        "UsageStoreError",
        "connect_duckdb",
        "load_usage",
    ]
    assert all(hasattr(tollway.usage, name) for name in tollway.usage.__all__)
