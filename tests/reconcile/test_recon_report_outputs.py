"""The reports: the parallel-run folder (summary JSON beside Parquet and CSV detail), the
terminal tables, and the self-contained HTML report with its charts, byte for byte stable."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from tollway.reconcile._cycle import CycleResult
from tollway.reconcile._html import render_html
from tollway.reconcile._report import print_cycle, print_readiness
from tollway.reconcile._run_directory import (
    ParallelRunError,
    cycle_directory,
    load_differences,
    load_summaries,
    save_cycle,
)
from tollway.reconcile.core import ReadinessGates, readiness_by_currency

from .recon_engine_tables import Invoice, Line, Side, reconcile


def march() -> CycleResult:
    # One matched port, one rate difference (+3.00), one line legacy bills alone (−5.00).
    return reconcile(
        Side(
            [Invoice("L-1", "ACC-1")],
            [
                Line("L-1", "1", "100.00", circuit_id="CKT-1", unit_price="100.00"),
                Line("L-1", "2", "40.00", circuit_id="CKT-2", unit_price="40.00"),
                Line("L-1", "3", "5.00", circuit_id="CKT-3"),
            ],
        ),
        Side(
            [Invoice("T-1", "ACC-1")],
            [
                Line("T-1", "1", "100.00", circuit_id="CKT-1", unit_price="100.00"),
                Line("T-1", "2", "43.00", circuit_id="CKT-2", unit_price="43.00"),
            ],
        ),
    )


def test_a_saved_cycle_reads_back_the_same(tmp_path: Path) -> None:
    result = march()
    folder = save_cycle(result, tmp_path)
    assert folder == tmp_path / "cycles" / "2026-03"
    assert load_summaries(tmp_path) == result.summaries
    assert load_differences(tmp_path, "2026-03").equals(result.differences)
    document = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert document["summaries"][0]["legacy_total"] == "145"
    assert document["summaries"][0]["variance_by_category"] == [
        {"absolute_variance": "3", "category": "rate", "differences": 1, "net_variance": "3"},
        {
            "absolute_variance": "5",
            "category": "missing_in_new",
            "differences": 1,
            "net_variance": "-5",
        },
    ]


def test_the_csv_detail_has_one_row_per_difference(tmp_path: Path) -> None:
    folder = save_cycle(march(), tmp_path)
    lines = (folder / "differences.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        '"cycle","level","account_id","legacy_invoice_id","tollway_invoice_id","legacy_line_id",'
        '"tollway_line_id","circuit_id","charge_type","jurisdiction_id","tax_type","category",'
        '"legacy_amount","tollway_amount","variance","within_tolerance","evidence","currency"'
    )
    # 1 invoice row and 3 line rows.
    assert len(lines) == 5
    assert lines[3].startswith(
        '"2026-03","line","ACC-1","L-1","T-1","2","2","CKT-2","recurring",,,"rate",'
        "40.000000000,43.000000000,3.000000000,false,"
    )


def test_saving_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    first = save_cycle(march(), tmp_path / "first")
    second = save_cycle(march(), tmp_path / "second")
    for name in ("summary.json", "differences.parquet", "differences.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_a_damaged_summary_is_a_readable_error(tmp_path: Path) -> None:
    folder = save_cycle(march(), tmp_path)
    (folder / "summary.json").write_text('{"summaries": [{"cycle": "2026-03"}]}', encoding="utf-8")
    with pytest.raises(
        ParallelRunError, match=r"summary.json: variance_by_category: expected a list"
    ):
        load_summaries(tmp_path)


def test_a_cycle_name_must_be_a_plain_folder_name(tmp_path: Path) -> None:
    with pytest.raises(ParallelRunError, match="use letters, digits"):
        cycle_directory(tmp_path, "../2026-03")


def test_an_unreconciled_cycle_has_no_detail(tmp_path: Path) -> None:
    with pytest.raises(ParallelRunError, match="cycle 2026-04 has not been reconciled"):
        load_differences(tmp_path, "2026-04")


def test_the_terminal_summary_shows_the_figures() -> None:
    result = march()
    console = Console(record=True, width=120)
    print_cycle(result.summary, console)
    verdicts = readiness_by_currency(result.summaries, ReadinessGates())
    print_readiness(result.summaries, verdicts[0], console)
    text = console.export_text()
    assert "invoices compared" in text
    assert "$145.00" in text  # legacy total: 100 + 40 + 5
    assert "$143.00" in text  # tollway total
    assert "missing_in_new" in text
    assert "NOT READY" in text
    assert "1 cycle(s) reconciled, 3 consecutive required" in text


def render(result: CycleResult) -> str:
    verdicts = readiness_by_currency(result.summaries, ReadinessGates())
    return render_html(result.summaries, verdicts, differences=result.differences)


def test_the_html_report_is_the_same_bytes_each_time() -> None:
    first, second = render(march()), render(march())
    assert first.encode("utf-8") == second.encode("utf-8")


def test_the_html_report_is_self_contained_with_three_charts() -> None:
    document = render(march())
    assert document.startswith("<!DOCTYPE html>")
    assert document.count("<svg") == 3  # trend, variance by category, top accounts
    assert "<script" not in document
    # The only URLs are XML namespaces inside the SVG, never fetched.
    assert set(re.findall(r'(?:src|href)="(https?://[^"]*)"', document)) == set()
    assert "Cutover readiness" in document
    assert "missing_in_new" in document
    # No clock: no year other than the cycle's appears in the SVG metadata.
    assert "<dc:date>" not in document


def test_the_html_report_lists_the_largest_differences_first() -> None:
    document = render(march())
    table = document[document.index("Largest differences") :]
    assert table.index("missing_in_new") < table.index("rate")
    assert "-5 USD" in table and "3 USD" in table


def test_the_html_report_escapes_what_it_shows() -> None:
    result = reconcile(
        Side([Invoice("L-<1>", "ACC-&")], [Line("L-<1>", "1", "1.00", circuit_id="C")]),
        Side([], []),
    )
    document = render(result)
    assert "L-&lt;1&gt;" in document and "ACC-&amp;" in document
    assert "L-<1>" not in document


def test_an_amount_the_currency_cannot_show_keeps_its_decimals() -> None:
    from tollway.reconcile._report import amount_text

    assert amount_text(Decimal("-2.5"), "JPY") == "-2.5 JPY"
    assert amount_text(Decimal("-2"), "JPY") == "-¥2"
