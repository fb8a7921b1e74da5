"""`tollway demo`: generate a small operator, then bill three consecutive cycles end to end."""

import shutil
from collections import Counter
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.table import Table

from tollway.billing import CustomerBill
from tollway.cli._app import app
from tollway.cli._demo_parallel import run_parallel_demo
from tollway.cli._operations import (
    bills_of_run,
    console,
    known_circuits,
    print_bills,
    print_load_report,
    run_bill_cycle,
    save_world,
)
from tollway.cli._settlement import settlement_demo
from tollway.cli._workspace import Workspace, create_workspace
from tollway.generator import generate
from tollway.money import Money, TollwayError, format_money, sum_money
from tollway.usage import load_usage

DEMO_MARKER: Final = ".tollway-demo"
DEMO_CYCLES: Final = 3
PARALLEL_RUN_CYCLES: Final = 5
"""A parallel run needs three consecutive clean cycles after the first ones converge."""


class DemoError(TollwayError):
    code = "demo_folder_in_use"


def _fresh_folder(directory: Path) -> Path:
    """The demo folder, emptied if an earlier demo made it; never someone else's folder."""
    if directory.exists():
        if not (directory / DEMO_MARKER).exists():
            raise DemoError(
                f"{directory} exists and was not made by `tollway demo`; choose --directory"
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / DEMO_MARKER).write_text("made by tollway demo; safe to delete\n", encoding="utf-8")
    return directory


def _next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def _total(bills: list[CustomerBill]) -> str:
    by_currency: dict[str, list[Money]] = {}
    for bill in bills:
        by_currency.setdefault(bill.currency.code, []).append(bill.amount_due)
    return ", ".join(
        format_money(sum_money(amounts, code)) for code, amounts in sorted(by_currency.items())
    )


@app.command("demo")
def demo_command(
    directory: Annotated[
        Path, typer.Option(help="Where the demo's world and workspace go.")
    ] = Path("tollway-demo"),
    size: Annotated[
        str, typer.Option(help="tiny, small (1M records/cycle), medium, large.")
    ] = "tiny",
    seed: Annotated[int, typer.Option(help="Same seed, same operator, same invoices.")] = 7,
    parallel_run: Annotated[
        bool,
        typer.Option(
            "--parallel-run",
            help="Also run a parallel run against a simulated legacy system: bills five "
            "cycles, reconciles each, judges cutover readiness, writes an HTML report.",
        ),
    ] = False,
    settlement: Annotated[
        bool,
        typer.Option(
            "--settlement",
            help="Also settle the two partner deals (a reciprocal cloud deal netted over twelve "
            "months; a 20 % revenue share until a milestone) in their own workspace.",
        ),
    ] = False,
) -> None:
    """Generate a synthetic operator and bill three cycles: usage in, invoices (with taxes) out."""
    root = _fresh_folder(directory)
    cycles = PARALLEL_RUN_CYCLES if parallel_run else DEMO_CYCLES
    world = generate(root / "world", size=size, seed=seed, cycles=cycles, first_period="2026-01")  # type: ignore[arg-type]
    console.print(
        f"[bold]generated[/] {world.billing_accounts} billing accounts, {world.products} circuits, "
        f"{world.usage_records} usage records over {len(world.cycles)} cycles (seed {seed})"
    )
    workspace = create_workspace(root / "workspace")
    save_world(workspace, world.directory)
    summary = Table(title=f"{len(world.cycles)} bill cycles")
    for column in ("cycle", "usage in", "rejected", "bills", "lines by charge", "invoiced"):
        summary.add_column(column, no_wrap=column != "lines by charge")
    for index, cycle in enumerate(world.cycles):
        summary.add_row(
            *_bill_one_cycle(
                workspace, world.directory, cycle.file, cycle.period, index, world.csv_file
            )
        )
    console.print(summary)
    if parallel_run:
        months = [_next_month(cycle.period) for cycle in world.cycles]
        report = run_parallel_demo(workspace, months, seed=seed)
        console.print(f"parallel-run report: {report}")
    if settlement:
        typer.echo(settlement_demo(root / "settlement"))
    console.print(
        f"workspace: {workspace.root}\nnext: tollway invoices list -w {workspace.root}\n"
        "(from a checkout, `tollway` is .venv/bin/tollway)"
    )


def _bill_one_cycle(
    workspace: Workspace,
    world_directory: Path,
    usage_file: str,
    period: str,
    index: int,
    csv_file: str,
) -> tuple[str, ...]:
    files = [world_directory / usage_file]
    if index == 0 and csv_file:
        files.append(world_directory / csv_file)
    report = load_usage(
        files,
        store=workspace.usage_store,
        load_id=f"usage-{period}",
        known_circuits=known_circuits(workspace),
    )
    print_load_report(report)
    month = _next_month(period)
    run = run_bill_cycle(workspace, month, run_id=f"run-{month}")
    bills = bills_of_run(workspace, run.run_id)
    print_bills(bills, rows_max=5)
    kinds = Counter(line.charge_type.value for bill in bills for line in bill.lines)
    return (
        month,
        str(report.accepted),
        str(report.rejected),
        str(len(bills)),
        ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())),
        _total(bills),
    )
