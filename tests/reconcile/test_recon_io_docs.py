"""The examples in docs/legacy-interchange.md are real: they import as the document says."""

import re
from pathlib import Path

from tollway.reconcile._legacy import read_legacy, write_rejects_csv

DOCUMENT = Path(__file__).parents[2] / "docs" / "legacy-interchange.md"
FILE_BLOCK = re.compile(r"<!-- file: (\S+) -->\n```\w+\n(.*?)```", re.DOTALL)


def example_files() -> dict[str, str]:
    return dict(FILE_BLOCK.findall(DOCUMENT.read_text(encoding="utf-8")))


def text_block_after(heading: str) -> str:
    """The first ```text block after `heading` in the document."""
    text = DOCUMENT.read_text(encoding="utf-8")
    start = text.index(heading)
    return text[start:].split("```text\n", 1)[1].split("```", 1)[0]


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir()
    for name, content in files.items():
        (directory / name).write_text(content, encoding="utf-8")
    return directory


def test_the_example_files_import_without_a_problem(tmp_path: Path) -> None:
    files = {name: text for name, text in example_files().items() if name.endswith(".csv")}
    assert sorted(files) == ["crosswalk.csv", "invoices.csv", "lines.csv", "taxes.csv"]

    imported = read_legacy(write(tmp_path / "csv", files))

    assert imported.issues.num_rows == 0
    table = "file           submitted  accepted  rejected\n" + "".join(
        f"{count.file:<14} {count.submitted:>9} {count.accepted:>9} {count.rejected:>9}\n"
        for count in imported.counts
    )
    assert table == text_block_after("## Example of the result")


def test_the_json_lines_example_is_the_csv_example(tmp_path: Path) -> None:
    files = example_files()
    from_csv = read_legacy(
        write(tmp_path / "csv", {name: files[name] for name in ("invoices.csv", "lines.csv")})
    )
    from_json = read_legacy(
        write(tmp_path / "json", {name: files[name] for name in ("invoices.csv", "lines.jsonl")})
    )
    assert from_json.tables.lines == from_csv.tables.lines


def test_the_rejects_example(tmp_path: Path) -> None:
    files = {name: text for name, text in example_files().items() if name.endswith(".csv")}
    files["lines.csv"] = files["lines.csv"].replace(",50.00,USD", ',"50,00",USD')

    imported = read_legacy(write(tmp_path / "csv", files))
    write_rejects_csv(imported.issues, tmp_path / "rejects.csv")

    documented = text_block_after("If the second line's amount")
    assert (tmp_path / "rejects.csv").read_text(encoding="utf-8") == documented
