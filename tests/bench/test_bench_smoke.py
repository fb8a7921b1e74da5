"""The benchmarks still run: `python -m bench all --size tiny` exits 0 and prints every figure.

No timing is asserted (CI machines vary); this only keeps bench/ from rotting. The tiny world is
generated into a temporary folder, not the bench/data cache.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
EXPECTED_FIGURES = (
    "ingest tiny parquet_first_load_rate",
    "ingest tiny parquet_second_load_rate",
    "ingest tiny csv_first_load_rate",
    "ingest tiny csv_second_load_rate",
    "ingest tiny peak_rss",
    "rate tiny rating_rate",
    "rate tiny bare_group_by_rate",
    "rate tiny ratio_to_bare_group_by",
    "rate tiny peak_rss",
    "billrun tiny accounts_rate",
    "billrun tiny bills_rate",
    "billrun tiny peak_rss",
    "scaling tiny->tiny data_ratio",
    "scaling tiny->tiny ingest_rate_time_ratio",
    "scaling tiny->tiny billrun_time_ratio",
    "reconcile tiny line_pairs_rate",
    "reconcile tiny invoice_pairs_rate",
    "reconcile tiny peak_rss",
)
timeout_s = 120


@pytest.mark.slow
def test_every_benchmark_runs_at_tiny_and_prints_its_figures(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "all", "--size", "tiny"],
        cwd=REPOSITORY,
        env={**os.environ, "TOLLWAY_BENCH_DATA": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    figures = [line for line in completed.stdout.splitlines() if line.startswith("FIGURE ")]
    printed = {line.removeprefix("FIGURE ").split(" = ")[0] for line in figures}
    missing = [name for name in EXPECTED_FIGURES if name not in printed]
    assert not missing, f"figures not printed: {missing}\n{completed.stdout}"
