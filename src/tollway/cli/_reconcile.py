"""`tollway reconcile`: a parallel run from the command line — reconcile a cycle, report, judge
cutover readiness.

The parallel-run folder (default `WORKSPACE/parallel-run`) keeps each cycle's summary and
difference detail; `report` and `readiness` read every cycle saved there. User mistakes raise
TollwayErrors, which the application's error boundary prints as one line (exit code 2).
`readiness` exits with 1 when the run is not ready, so a script can gate on it.
"""

from datetime import datetime
from pathlib import Path
from typing import Annotated, Final
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from tollway.billing import BillCategory, BillState, CustomerBill
from tollway.cli._operations import month_window
from tollway.cli._workspace import Workspace, open_workspace
from tollway.io import read_document
from tollway.money import TollwayError
from tollway.reconcile._cycle import CycleResult, reconcile_cycle
from tollway.reconcile._extract import tollway_tables
from tollway.reconcile._html import render_html, write_html
from tollway.reconcile._legacy import LegacyImport, read_legacy, write_rejects_csv
from tollway.reconcile._parquet import read_parquet
from tollway.reconcile._report import print_cycle, print_readiness
from tollway.reconcile._run_directory import (
    ParallelRunError,
    load_differences,
    load_summaries,
    reconciled_cycles,
    save_cycle,
)
from tollway.reconcile._tables import InvoiceTables
from tollway.reconcile.core import (
    ReadinessGates,
    ReadinessVerdict,
    Tolerances,
    gates_from_mapping,
    readiness_by_currency,
    tolerances_from_mapping,
)
from tollway.storage import BillQuery, BillRepository, WorldRepository

RUN_FOLDER: Final = "parallel-run"
REJECTS_NAME: Final = "legacy-rejects.csv"
rejects_shown_max: Final = 5

console = Console()
reconcile_app = typer.Typer(
    help="Parallel run: reconcile a legacy system's invoices against tollway's, cycle by cycle.",
    no_args_is_help=True,
)

WorkspaceOption = Annotated[
    Path, typer.Option("--workspace", "-w", help="The workspace folder (see `tollway init`).")
]
RunOption = Annotated[
    Path | None,
    typer.Option("--run-dir", help="The parallel-run folder [default: WORKSPACE/parallel-run]."),
]
GatesOption = Annotated[
    Path | None,
    typer.Option("--gates", help="Readiness gates, a YAML or JSON file (defaults otherwise)."),
]


class ReconcileCommandError(TollwayError):
    code = "invalid_reconcile_command"


def _run_directory(run_dir: Path | None, workspace: Path) -> Path:
    if run_dir is not None:
        return run_dir
    return open_workspace(workspace).root / RUN_FOLDER


def _tolerances(path: Path | None) -> Tolerances:
    return Tolerances() if path is None else tolerances_from_mapping(read_document(path))


def _gates(path: Path | None) -> ReadinessGates:
    return ReadinessGates() if path is None else gates_from_mapping(read_document(path))


def issued_cycle_tables(workspace: Workspace, cycle: str) -> InvoiceTables:
    """Tollway's side of a cycle as interchange tables (see `_issued_bills`)."""
    return _issued_bills(workspace, cycle)[1]


def local_cycle_month(period_start: datetime, *, time_zone: str) -> str:
    """The bill cycle (YYYY-MM) of a bill whose period starts at `period_start`: the month of that
    instant's local date in the paying account's time zone, as the bill run reads its window.

    >>> from datetime import UTC
    >>> local_cycle_month(datetime(2026, 2, 28, 15, tzinfo=UTC), time_zone="Asia/Tokyo")
    '2026-03'
    """
    return period_start.astimezone(ZoneInfo(time_zone)).date().strftime("%Y-%m")


def _issued_bills(workspace: Workspace, cycle: str) -> tuple[list[CustomerBill], InvoiceTables]:
    """Tollway's issued invoices of the cycle: the normal bills whose period starts, on the paying
    account's own calendar, in the month (the bills `tollway bill CYCLE` issued)."""
    month_window(cycle)  # refuses a cycle that is not YYYY-MM
    with workspace.database.transaction() as session:
        accounts = WorldRepository(session).load().accounts
        query = BillQuery(state=BillState.ISSUED, category=BillCategory.NORMAL)
        bills = [
            bill
            for bill in BillRepository(session).stream(query)
            if local_cycle_month(
                bill.billing_period_start,
                time_zone=accounts[bill.billing_account_id].time_zone,
            )
            == cycle
        ]
    return bills, tollway_tables(bills, accounts=accounts)


def _report_import(imported: LegacyImport, folder: Path) -> None:
    console.print(
        f"legacy: {imported.tables.invoices.num_rows} invoices, "
        f"{imported.tables.lines.num_rows} lines, {imported.tables.taxes.num_rows} taxes, "
        f"{imported.crosswalk.num_rows} cross-walk entries accepted; "
        f"{imported.rejected_count} of {imported.submitted_count} rows rejected"
    )
    if imported.issues.num_rows == 0:
        return
    folder.mkdir(parents=True, exist_ok=True)
    write_rejects_csv(imported.issues, folder / REJECTS_NAME)
    for issue in imported.issues.slice(0, rejects_shown_max).to_pylist():
        console.print(f"  {issue['file']} row {issue['row']}: {issue['code']}")
    console.print(f"every issue is listed in {folder / REJECTS_NAME}")


@reconcile_app.command("cycle")
def cycle_command(
    legacy: Annotated[
        Path, typer.Option("--legacy", help="The legacy system's files for the cycle.")
    ],
    cycle: Annotated[str, typer.Option("--cycle", help="The bill cycle month, YYYY-MM.")],
    tolerances: Annotated[
        Path | None, typer.Option("--tolerances", help="Tolerances, a YAML or JSON file.")
    ] = None,
    tollway: Annotated[
        Path | None,
        typer.Option(
            "--tollway",
            help="Tollway's side as Parquet (invoices/lines/taxes) instead of the workspace's "
            "issued bills.",
        ),
    ] = None,
    workspace: WorkspaceOption = Path("."),
    run_dir: RunOption = None,
) -> None:
    """Reconcile one cycle: legacy invoices against tollway's, every difference classified."""
    month_window(cycle)
    settings = _tolerances(tolerances)
    if not legacy.is_dir():
        raise ReconcileCommandError(f"{legacy}: no such folder of legacy files")
    run_directory = _run_directory(run_dir, workspace)
    if tollway is not None:
        tollway_side = read_parquet(tollway)
    else:
        bills, tollway_side = _issued_bills(open_workspace(workspace), cycle)
        console.print(f"tollway: {len(bills)} issued invoices for cycle {cycle}")
    imported = read_legacy(legacy)
    _report_import(imported, run_directory / "cycles" / cycle)
    result = reconcile_cycle(
        imported.tables,
        tollway_side,
        crosswalk=imported.crosswalk,
        tolerances=settings,
        cycle=cycle,
    )
    folder = save_cycle(result, run_directory)
    _print_result(result)
    console.print(f"difference detail: {folder / 'differences.csv'} (and .parquet)")


def _print_result(result: CycleResult) -> None:
    for summary in result.summaries:
        print_cycle(summary, console)


def _verdicts(run_directory: Path, gates: ReadinessGates) -> tuple[ReadinessVerdict, ...]:
    summaries = load_summaries(run_directory)
    if not summaries:
        raise ParallelRunError(
            f"no reconciled cycle in {run_directory}; run `tollway reconcile cycle` first"
        )
    return readiness_by_currency(summaries, gates)


@reconcile_app.command("readiness")
def readiness_command(
    gates: GatesOption = None,
    workspace: WorkspaceOption = Path("."),
    run_dir: RunOption = None,
) -> None:
    """Judge cutover readiness over the cycles reconciled so far (exit 1 when not ready)."""
    run_directory = _run_directory(run_dir, workspace)
    verdicts = _verdicts(run_directory, _gates(gates))
    summaries = load_summaries(run_directory)
    for verdict in verdicts:
        history = [s for s in summaries if s.currency in (verdict.currency, "")]
        print_readiness(history, verdict, console)
    if not all(verdict.ready for verdict in verdicts):
        raise typer.Exit(code=1)


@reconcile_app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    cycle: Annotated[
        str | None,
        typer.Option("--cycle", help="Whose largest differences to list [default: the latest]."),
    ] = None,
    gates: GatesOption = None,
    workspace: WorkspaceOption = Path("."),
    run_dir: RunOption = None,
) -> None:
    """Write the parallel run's HTML report: readiness, trend, variance by category, top
    accounts and the largest differences, charts included (one file, no network)."""
    run_directory = _run_directory(run_dir, workspace)
    verdicts = _verdicts(run_directory, _gates(gates))
    chosen = cycle or reconciled_cycles(run_directory)[-1]
    document = render_html(
        load_summaries(run_directory),
        verdicts,
        differences=load_differences(run_directory, chosen),
    )
    if not out.parent.is_dir():
        raise ReconcileCommandError(f"{out.parent}: no such folder for the report")
    write_html(out, document)
    console.print(f"report written to {out}")
