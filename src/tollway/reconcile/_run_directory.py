"""A parallel run on disk: each reconciled cycle's summary (JSON) beside its difference detail
(Parquet and CSV), so the trend and the readiness verdict read every cycle run so far.

```
PARALLEL_RUN/
  cycles/
    2026-03/
      summary.json          {"cycle": "2026-03", "summaries": [one per currency]}
      differences.parquet   DIFFERENCE_SCHEMA, exact decimals
      differences.csv       the same rows for a spreadsheet
```

A cycle reconciled again replaces its folder's files. `summary.json` is written last: a folder
without it (an interrupted save) is not a reconciled cycle. Same result, same bytes.
"""

import json
import re
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from tollway.money import TollwayError
from tollway.reconcile._cycle import CycleResult
from tollway.reconcile._tables import DIFFERENCE_SCHEMA
from tollway.reconcile.core import (
    CycleSummary,
    SummaryFormatError,
    summary_from_mapping,
    summary_to_mapping,
)

SUMMARY_NAME: Final = "summary.json"
PARQUET_NAME: Final = "differences.parquet"
CSV_NAME: Final = "differences.csv"
_CYCLE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
summary_bytes_max: Final = 16 * 1024 * 1024


class ParallelRunError(TollwayError):
    """The parallel-run directory is missing, empty, or holds a file it cannot read."""

    code = "invalid_parallel_run"


def cycle_directory(run_directory: Path, cycle: str) -> Path:
    """Where a cycle's files live; a cycle name that is not a plain folder name is refused."""
    if not _CYCLE_NAME.fullmatch(cycle):
        raise ParallelRunError(
            f"cycle {cycle!r}: use letters, digits, '.', '_' or '-' (e.g. 2026-03)"
        )
    return run_directory / "cycles" / cycle


def write_differences_csv(differences: pa.Table, path: Path) -> None:
    """The difference rows as CSV: a header, then one row each, amounts as exact decimals."""
    assert differences.schema.equals(DIFFERENCE_SCHEMA)
    pa_csv.write_csv(differences, path)


def write_differences_parquet(differences: pa.Table, path: Path) -> None:
    assert differences.schema.equals(DIFFERENCE_SCHEMA)
    pq.write_table(differences, path, compression="zstd")


def save_cycle(result: CycleResult, run_directory: Path) -> Path:
    """Write the cycle's detail and summary under `run_directory`; return the cycle's folder.

    >>> import tempfile
    >>> from tollway.reconcile._tables import InvoiceTables, CROSSWALK_SCHEMA
    >>> from tollway.reconcile._cycle import reconcile_cycle
    >>> from tollway.reconcile.core import Tolerances
    >>> empty = InvoiceTables.empty()
    >>> result = reconcile_cycle(empty, empty, crosswalk=CROSSWALK_SCHEMA.empty_table(),
    ...     tolerances=Tolerances(), cycle="2026-03")
    >>> run = Path(tempfile.mkdtemp())
    >>> sorted(path.name for path in save_cycle(result, run).iterdir())
    ['differences.csv', 'differences.parquet', 'summary.json']
    >>> [summary.cycle for summary in load_summaries(run)]
    ['2026-03']
    """
    folder = cycle_directory(run_directory, result.cycle)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SUMMARY_NAME).unlink(missing_ok=True)
    write_differences_parquet(result.differences, folder / PARQUET_NAME)
    write_differences_csv(result.differences, folder / CSV_NAME)
    document = {
        "cycle": result.cycle,
        "summaries": [summary_to_mapping(summary) for summary in result.summaries],
    }
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (folder / SUMMARY_NAME).write_text(text, encoding="utf-8")
    return folder


def reconciled_cycles(run_directory: Path) -> tuple[str, ...]:
    """The cycles saved under `run_directory`, in name order."""
    cycles = run_directory / "cycles"
    if not cycles.is_dir():
        return ()
    return tuple(
        sorted(
            folder.name
            for folder in cycles.iterdir()
            if folder.is_dir() and (folder / SUMMARY_NAME).is_file()
        )
    )


def load_summaries(run_directory: Path) -> tuple[CycleSummary, ...]:
    """Every saved cycle's summaries (one per currency), by cycle then currency."""
    found: list[CycleSummary] = []
    for cycle in reconciled_cycles(run_directory):
        found.extend(_read_summaries(cycle_directory(run_directory, cycle) / SUMMARY_NAME))
    return tuple(sorted(found, key=lambda summary: (summary.cycle, summary.currency)))


def _read_summaries(path: Path) -> list[CycleSummary]:
    if path.stat().st_size > summary_bytes_max:
        raise ParallelRunError(f"{path}: larger than {summary_bytes_max} bytes")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        items = document["summaries"]
        assert isinstance(items, list)
        summaries = [summary_from_mapping(item) for item in items]
    except (ValueError, KeyError, TypeError, AssertionError) as error:
        raise ParallelRunError(f"{path}: not a cycle summary ({error})") from None
    except SummaryFormatError as error:
        raise ParallelRunError(f"{path}: {error.message}") from None
    if any(summary.cycle != path.parent.name for summary in summaries):
        raise ParallelRunError(f"{path}: holds another cycle than {path.parent.name}")
    return summaries


def load_differences(run_directory: Path, cycle: str) -> pa.Table:
    """A saved cycle's difference rows (DIFFERENCE_SCHEMA)."""
    path = cycle_directory(run_directory, cycle) / PARQUET_NAME
    if not path.is_file():
        raise ParallelRunError(f"cycle {cycle} has not been reconciled in {run_directory}")
    table = pq.read_table(path)
    if not table.schema.equals(DIFFERENCE_SCHEMA):
        raise ParallelRunError(f"{path}: does not hold difference rows")
    return table
