"""The demo's parallel run: legacy invoices simulated from tollway's, reconciled cycle by cycle.

The legacy side comes from the simulator (`tollway.reconcile._scenario`): the first cycle carries
differences of every category, the second a few, the later ones only float-rounding cents within
tolerance. Each cycle is reconciled exactly as `tollway reconcile cycle` does it, the classifier's
accuracy is measured against the simulator's answer key, and the readiness gates judge the run.
"""

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from rich.table import Table

from tollway.cli._operations import console
from tollway.cli._reconcile import RUN_FOLDER, issued_cycle_tables
from tollway.cli._workspace import Workspace
from tollway.money import plain_decimal
from tollway.reconcile._accuracy import measure_accuracy
from tollway.reconcile._cycle import reconcile_cycle
from tollway.reconcile._html import render_html, write_html
from tollway.reconcile._legacy import read_legacy
from tollway.reconcile._report import print_readiness
from tollway.reconcile._run_directory import load_differences, load_summaries, save_cycle
from tollway.reconcile._scenario import convergence_scenario
from tollway.reconcile.core import ReadinessGates, Tolerances, readiness_by_currency

REPORT_NAME = "parallel-run-report.html"


def _percent(value: Decimal) -> str:
    """A percentage for the table, to two places (display only; the summary keeps it exact)."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)} %"


def run_parallel_demo(workspace: Workspace, months: list[str], *, seed: int) -> Path:
    """Simulate, reconcile and judge the parallel run over `months`; return the report's path."""
    tollway_cycles = {month: issued_cycle_tables(workspace, month) for month in months}
    legacy_root = workspace.root.parent / "legacy"
    written = convergence_scenario(tollway_cycles, legacy_root, seed=seed)
    run_directory = workspace.root / RUN_FOLDER
    table = Table(title="Parallel run: legacy against tollway, cycle by cycle")
    for column in (
        "cycle",
        "invoices",
        "in tolerance",
        "lines ok",
        "amount ok",
        "differences",
        "unexplained",
        "classified right",
    ):
        table.add_column(column, justify="left" if column == "cycle" else "right")
    for cycle in written:
        imported = read_legacy(cycle.directory)
        result = reconcile_cycle(
            imported.tables,
            tollway_cycles[cycle.cycle],
            crosswalk=imported.crosswalk,
            tolerances=Tolerances(),
            cycle=cycle.cycle,
        )
        save_cycle(result, run_directory)
        accuracy = measure_accuracy(result.differences, cycle.simulated.labels)
        summary = result.summary
        differing = summary.lines_compared - summary.lines_matched
        table.add_row(
            cycle.cycle,
            str(summary.invoices_compared),
            _percent(summary.invoices_within_tolerance_percent),
            _percent(summary.line_match_rate_percent),
            _percent(summary.amount_match_rate_percent),
            str(differing),
            str(plain_decimal(summary.unexplained_variance)),
            f"{accuracy.right}/{accuracy.injected}, {accuracy.false_differences.num_rows} false",
        )
    console.print(table)
    summaries = load_summaries(run_directory)
    verdicts = readiness_by_currency(summaries, ReadinessGates())
    for verdict in verdicts:
        print_readiness(
            [found for found in summaries if found.currency in (verdict.currency, "")],
            verdict,
            console,
        )
    report = workspace.root.parent / REPORT_NAME
    document = render_html(
        summaries, verdicts, differences=load_differences(run_directory, written[0].cycle)
    )
    write_html(report, document)
    return report
