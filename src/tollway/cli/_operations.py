"""Workspace commands: init, load world and usage, bill a cycle, list/show/export invoices, credit notes."""

import json
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from tollway.billing import (
    AppliedTax,
    BillCategory,
    BillState,
    CustomerBill,
    TaxTreatment,
    credit_note_for,
)
from tollway.billrun import (
    BillRunProgress,
    BillRunSummary,
    batch_accounts_limit,
    batch_accounts_max_default,
    discard_run,
    run_cycle,
    workers_limit,
)
from tollway.cli._app import app
from tollway.cli._taxes import store_tax_documents, world_tax_documents
from tollway.cli._workspace import Workspace, WorkspaceOption, create_workspace, open_workspace
from tollway.io import load_world
from tollway.money import Money, TollwayError, format_money, plain_decimal
from tollway.storage import (
    BillQuery,
    BillRepository,
    TaxDocumentRepository,
    WorldRepository,
    bill_document,
    bills_csv,
    bills_json,
)
from tollway.usage import LoadReport, load_usage

console = Console()
invoices_app = typer.Typer(help="List, show and export invoices.", no_args_is_help=True)
app.add_typer(invoices_app, name="invoices")


class CycleError(TollwayError):
    code = "invalid_cycle"


def month_window(month: str) -> tuple[datetime, datetime]:
    """`"2026-02"` → [2026-02-01, 2026-03-01) as whole UTC days, which a bill run reads as those
    calendar dates in each account's own zone: it bills the accounts whose local cycle date falls
    in February, each exactly once across consecutive runs."""
    try:
        year, number = (int(part) for part in month.split("-"))
        start = datetime(year, number, 1, tzinfo=UTC)
    except ValueError:
        raise CycleError(f"cycle {month!r}: expected a month as YYYY-MM, e.g. 2026-02") from None
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


@app.command("init")
def init_command(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    database_url: Annotated[
        str | None, typer.Option(help="A PostgreSQL URL instead of the embedded SQLite file.")
    ] = None,
) -> None:
    """Create a workspace: a database (SQLite by default) and a usage store."""
    workspace = create_workspace(directory, database_url=database_url)
    console.print(
        f"workspace ready at [bold]{workspace.root}[/] ({workspace.database.dialect_name})"
    )


def save_world(workspace: Workspace, directory: Path) -> None:
    inputs = load_world(directory)
    taxes = world_tax_documents(directory, inputs)
    with workspace.database.transaction() as session:
        WorldRepository(session).save(inputs)
        stored = store_tax_documents(TaxDocumentRepository(session), taxes)
    console.print(
        f"loaded {len(inputs.accounts)} billing accounts, {len(inputs.products)} circuits, "
        f"{len(inputs.catalog.offerings)} offerings, {len(inputs.agreements)} agreements; {stored}"
    )


@app.command("load-world")
def load_world_command(
    directory: Annotated[
        Path, typer.Argument(help="Folder with catalog.yaml, customers.yaml, products.jsonl.")
    ],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Load (or replace) the catalog, customers, agreements and circuits."""
    save_world(open_workspace(workspace), directory)


def print_load_report(report: LoadReport) -> None:
    reasons = ", ".join(f"{code} {count}" for code, count in report.rejected_by_reason.items())
    console.print(
        f"load {report.load_id}: {report.submitted} submitted = {report.accepted} accepted + "
        f"{report.rejected} rejected" + (f" ({reasons})" if reasons else "")
    )


@app.command("load-usage")
def load_usage_command(
    files: Annotated[list[Path], typer.Argument(help="CSV, JSON Lines or Parquet usage files.")],
    load_id: Annotated[
        str, typer.Option(help="Names this load; loading the same id again is a no-op.")
    ],
    workspace: WorkspaceOption = Path("."),
    assume_time_zone: Annotated[
        str | None, typer.Option(help="Zone for timestamps that carry no offset.")
    ] = None,
) -> None:
    """Ingest usage records; re-sent records are rejected as duplicates, never billed twice."""
    opened = open_workspace(workspace)
    circuits = known_circuits(opened)
    report = load_usage(
        files,
        store=opened.usage_store,
        load_id=load_id,
        known_circuits=circuits,
        assume_time_zone=assume_time_zone,
    )
    print_load_report(report)


def known_circuits(workspace: Workspace) -> frozenset[str]:
    with workspace.database.transaction() as session:
        inputs = WorldRepository(session).load()
    return frozenset(product.circuit_id for product in inputs.products.values())


def run_bill_cycle(
    workspace: Workspace,
    month: str,
    *,
    run_id: str | None,
    workers: int = 1,
    batch_accounts_max: int = batch_accounts_max_default,
) -> BillRunSummary:
    start, end = month_window(month)
    # Drafting in workers forks this process: no refresh thread may be running then, so the bar
    # is redrawn after each batch instead.
    refreshing = workers == 1
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        auto_refresh=refreshing,
    ) as progress:
        task = progress.add_task(f"bill run {month}", total=None)

        def report(step: BillRunProgress) -> None:
            progress.update(
                task,
                description=f"bill run {month}: {step.phase}",
                completed=step.batch_index + 1,
                total=step.batches_total,
                refresh=not refreshing,
            )

        return run_cycle(
            workspace.database,
            workspace.usage_store,
            period_start=start,
            period_end=end,
            run_id=run_id or f"run-{month}",
            progress=report,
            workers=workers,
            batch_accounts_max=batch_accounts_max,
        )


@app.command("bill")
def bill_command(
    cycle: Annotated[str, typer.Argument(help="The month whose cycle dates to bill, YYYY-MM.")],
    workspace: WorkspaceOption = Path("."),
    run_id: Annotated[str | None, typer.Option(help="Defaults to run-YYYY-MM.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=workers_limit,
            help="Processes computing the drafts while this one saves them, in order: the same "
            "invoices, faster on several cores. Each takes its own memory and database "
            "connection; 1 drafts in-process. They share out the batches: see --batch-accounts.",
        ),
    ] = 1,
    batch_accounts: Annotated[
        int,
        typer.Option(
            min=1,
            max=batch_accounts_limit,
            help="Paying accounts per batch (one transaction each).",
        ),
    ] = batch_accounts_max_default,
) -> None:
    """Run a bill cycle: rate usage, compute, persist and issue invoices (resumable, idempotent)."""
    opened = open_workspace(workspace)
    summary = run_bill_cycle(
        opened, cycle, run_id=run_id, workers=workers, batch_accounts_max=batch_accounts
    )
    console.print(
        f"{summary.run_id}: {summary.bill_count} bills ({summary.drafted_now} drafted and "
        f"{summary.issued_now} issued now), {len(summary.rating_rejects)} usage records not rated"
    )
    print_bills(list(bills_of_run(opened, summary.run_id)))


@app.command("discard-run")
def discard_run_command(
    run_id: Annotated[str, typer.Argument(help="The unfinished bill run to give up.")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Give up an unfinished run that issued nothing (e.g. crashed, then the world was reloaded):
    its drafts are deleted; bill the cycle again under a new run id."""
    summary = discard_run(open_workspace(workspace).database, run_id)
    console.print(f"{summary.run_id}: discarded, {summary.drafts_deleted} draft bills deleted")


def bills_of_run(workspace: Workspace, run_id: str) -> list[CustomerBill]:
    with workspace.database.transaction() as session:
        return list(BillRepository(session).stream(BillQuery(run_id=run_id)))


def print_bills(bills: list[CustomerBill], *, rows_max: int = 15) -> None:
    table = Table(title=f"{len(bills)} bills")
    for column in ("bill no", "account", "period from", "lines", "tax", "amount due"):
        numeric = column in ("lines", "tax", "amount due")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    for bill in bills[:rows_max]:
        table.add_row(
            bill.bill_no or bill.state.value,
            bill.billing_account_id,
            f"{bill.billing_period_start:%Y-%m-%d}",
            str(len(bill.lines)),
            format_money(bill.tax_amount),
            format_money(bill.amount_due),
        )
    if len(bills) > rows_max:
        table.add_row(f"… {len(bills) - rows_max} more", "", "", "", "", "")
    console.print(table)


@invoices_app.command("list")
def invoices_list_command(
    workspace: WorkspaceOption = Path("."),
    run_id: Annotated[str | None, typer.Option(help="Only this bill run's invoices.")] = None,
    account: Annotated[str | None, typer.Option(help="Only this paying billing account.")] = None,
    rows_max: Annotated[int, typer.Option(help="Rows to show.")] = 50,
) -> None:
    """List invoices and credit notes."""
    opened = open_workspace(workspace)
    with opened.database.transaction() as session:
        bills = list(
            BillRepository(session).stream(BillQuery(run_id=run_id, billing_account_id=account))
        )
    print_bills(bills, rows_max=rows_max)


def parse_date(text: str, *, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CycleError(f"{option} {text!r}: expected a date as YYYY-MM-DD") from None


def find_bill(workspace: Workspace, bill_no: str) -> CustomerBill:
    with workspace.database.transaction() as session:
        bill = BillRepository(session).by_number(bill_no)
    if bill is None:
        raise CycleError(f"no invoice numbered {bill_no!r}; see `tollway invoices list`")
    return bill


@invoices_app.command("show")
def invoices_show_command(
    bill_no: Annotated[str, typer.Argument(help="The invoice number, e.g. INV-000001.")],
    workspace: WorkspaceOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="TMF678-shaped JSON.")] = False,
) -> None:
    """Show one invoice with its lines."""
    bill = find_bill(open_workspace(workspace), bill_no)
    if as_json:
        typer.echo(json.dumps(bill_document(bill), indent=2, sort_keys=True))
        return
    table = Table(title=f"{bill.bill_no} · {bill.billing_account_id} · {bill.category.value}")
    for column in ("circuit", "charge", "description", "coverage", "quantity", "amount"):
        table.add_column(column, justify="right" if column in ("quantity", "amount") else "left")
    for line in bill.lines:
        table.add_row(
            line.circuit_id or "",
            line.charge_type.value,
            line.name,
            f"{line.period_start:%m-%d}–{line.period_end:%m-%d}",
            str(line.quantity),
            format_money(line.amount),
        )
    table.add_section()
    table.add_row("", "", "total (tax excluded)", "", "", format_money(bill.tax_excluded_amount))
    for description, measure, amount in tax_rows(bill):
        table.add_row("", "tax", description, "", measure, amount)
    table.add_row("", "", "amount due", "", "", f"[bold]{format_money(bill.amount_due)}[/]")
    console.print(table)


def tax_rows(bill: CustomerBill) -> list[tuple[str, str, str]]:
    """The bill's taxes as printed: one row per tax item (TMF678 taxItem: category and rate),
    named after its lines' taxes, then one row per exemption applied (the amount exempted)."""
    names: dict[tuple[str, Decimal], AppliedTax] = {}
    exempted: dict[tuple[str, str], Money] = {}
    for line in bill.lines:
        for tax in line.taxes:
            if tax.is_billed:
                names.setdefault((tax.tax_category, tax.tax_rate), tax)
            elif tax.treatment is TaxTreatment.EXEMPT:
                key = (tax.name or tax.tax_category, tax.exemption_certificate_id or "")
                exempted[key] = exempted.get(key, Money.zero(bill.currency)) + tax.tax_amount
    rows = []
    for item in bill.tax_items:
        named = names.get((item.tax_category, item.tax_rate))
        name = named.name if named is not None and named.name else item.tax_category
        rows.append((name, _rate_text(item.tax_rate, named), format_money(item.tax_amount)))
    for (name, certificate), amount in sorted(exempted.items()):
        rows.append((f"{name}: exempt ({certificate})", "", f"[dim]{format_money(amount)}[/]"))
    return rows


def _rate_text(rate: Decimal, tax: AppliedTax | None) -> str:
    """A rate as a percentage; a fixed or per-unit fee as its amount per unit."""
    if tax is not None and tax.calculation.startswith(("per_line", "per_minute", "fixed")):
        return f"{plain_decimal(rate)} each"
    return f"{plain_decimal(rate * 100)} %"


@invoices_app.command("export")
def invoices_export_command(
    workspace: WorkspaceOption = Path("."),
    run_id: Annotated[str | None, typer.Option(help="Only this bill run's invoices.")] = None,
    export_format: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    output: Annotated[
        Path | None, typer.Option(help="File to write; standard output if absent.")
    ] = None,
) -> None:
    """Export invoices as JSON (one document per bill) or CSV (one row per line); byte-stable."""
    opened = open_workspace(workspace)
    with opened.database.transaction() as session:
        bills = list(BillRepository(session).stream(BillQuery(run_id=run_id)))
    if export_format == "json":
        text = bills_json(bills)
    elif export_format == "csv":
        text = bills_csv(bills)
    else:
        raise CycleError(f"--format {export_format!r}: choose json or csv")
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(bills)} bills to {output}")


@app.command("credit-note")
def credit_note_command(
    bill_no: Annotated[str, typer.Argument(help="The issued invoice to credit.")],
    reason: Annotated[str, typer.Option(help="Why, as it will read on the credit note.")],
    workspace: WorkspaceOption = Path("."),
    bill_date: Annotated[str | None, typer.Option(help="Credit note date, YYYY-MM-DD.")] = None,
) -> None:
    """Issue a credit note reversing an issued invoice in full (the invoice itself never changes)."""
    opened = open_workspace(workspace)
    bill = find_bill(opened, bill_no)
    if bill.state is not BillState.ISSUED or bill.category is not BillCategory.NORMAL:
        raise CycleError(
            f"{bill_no} is {bill.state.value} {bill.category.value}; only issued invoices are credited"
        )
    when = parse_date(bill_date, option="--bill-date") if bill_date else bill.bill_date
    note = credit_note_for(bill, reason=reason, bill_date=when)
    with opened.database.transaction() as session:
        issued = BillRepository(session).issue_credit_note(note)
    console.print(
        f"issued credit note {issued.bill_no} for {format_money(issued.amount_due)} against {bill_no}"
    )
