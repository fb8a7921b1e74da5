"""`tollway reconcile quotes`: check billing against CRM quotes and orders (quote-to-bill reconciliation).

`validate` reads a quote file and lists what it rejects; `check` compares the accepted orders with
the workspace's world and issued invoices, prints the differences and, with `--out`, writes the
detail (DIFFERENCE_SCHEMA, CSV and Parquet) and the rejected rows. User mistakes raise
TollwayErrors, which the application's error boundary prints as one line (exit code 2); `check
--fail-on-difference` exits with 1 when anything differs, so a script can gate on it.
"""

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.table import Table

from tollway.billing import BillCategory, BillingInputs, BillState, CustomerBill
from tollway.cli._workspace import open_workspace
from tollway.io import read_document
from tollway.reconcile._legacy import write_rejects_csv
from tollway.reconcile._quotes_check import QuoteCheck, check_quotes
from tollway.reconcile._quotes_crosswalk import read_crosswalk
from tollway.reconcile._quotes_model import QUOTE_CYCLE
from tollway.reconcile._quotes_read import QuoteImport, read_quotes
from tollway.reconcile._quotes_rows import QuoteDifference, money_text
from tollway.reconcile._run_directory import write_differences_csv, write_differences_parquet
from tollway.reconcile.core import Tolerances, tolerances_from_mapping
from tollway.storage import BillQuery, BillRepository, WorldRepository

DIFFERENCES_CSV: Final = "quote-differences.csv"
DIFFERENCES_PARQUET: Final = "quote-differences.parquet"
REJECTS_CSV: Final = "quote-rejects.csv"
exit_code_differences: Final = 1

console = Console()
quotes_app = typer.Typer(
    help="Quote-to-bill: check billing's contracts and first invoices against CRM orders.",
    no_args_is_help=True,
)

QuotesArgument = Annotated[
    Path, typer.Argument(help="The orders: .csv (flat), .jsonl or .json (TMF622 productOrder).")
]
RowsOption = Annotated[int, typer.Option(help="Differences or rejected rows to show.")]


@quotes_app.command("validate")
def validate_command(quotes: QuotesArgument, rows_max: RowsOption = 20) -> None:
    """Read a quote file and list the rows it rejects, without a workspace."""
    print_import(read_quotes(quotes), rows_max=rows_max)


@quotes_app.command("check")
def check_command(
    quotes: QuotesArgument,
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="The workspace folder (see `tollway init`).")
    ] = Path("."),
    crosswalk: Annotated[
        Path | None,
        typer.Option(help="CRM ids onto tollway's: the parallel run's crosswalk.csv."),
    ] = None,
    tolerances: Annotated[
        Path | None, typer.Option(help="Tolerances, a YAML or JSON file (defaults otherwise).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to write the difference detail and rejects to.")
    ] = None,
    cycle: Annotated[str, typer.Option(help="The `cycle` value of the rows.")] = QUOTE_CYCLE,
    rows_max: RowsOption = 50,
    fail_on_difference: Annotated[
        bool, typer.Option(help="Exit with 1 when any comparison differs.")
    ] = False,
) -> None:
    """Compare every accepted order with the world and the issued invoices in the workspace."""
    imported = read_quotes(quotes)
    print_import(imported, rows_max=rows_max)
    inputs, bills = _billing(workspace)
    result = check_quotes(
        imported.orders,
        inputs=inputs,
        bills=bills,
        crosswalk=None if crosswalk is None else read_crosswalk(crosswalk),
        tolerances=(
            Tolerances()
            if tolerances is None
            else tolerances_from_mapping(read_document(tolerances))
        ),
        cycle=cycle,
    )
    print_check(result, rows_max=rows_max)
    if out is not None:
        write_detail(result, imported, out)
        console.print(f"wrote {DIFFERENCES_CSV}, {DIFFERENCES_PARQUET} and {REJECTS_CSV} to {out}")
    if fail_on_difference and result.differing:
        raise typer.Exit(exit_code_differences)


def _billing(workspace: Path) -> tuple[BillingInputs, list[CustomerBill]]:
    opened = open_workspace(workspace)
    with opened.database.transaction() as session:
        inputs = WorldRepository(session).load()
        query = BillQuery(state=BillState.ISSUED, category=BillCategory.NORMAL)
        bills = list(BillRepository(session).stream(query))
    return inputs, bills


def write_detail(result: QuoteCheck, imported: QuoteImport, folder: Path) -> None:
    """The differences (CSV and Parquet, DIFFERENCE_SCHEMA) and the rejected rows (CSV)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_differences_csv(result.differences, folder / DIFFERENCES_CSV)
    write_differences_parquet(result.differences, folder / DIFFERENCES_PARQUET)
    write_rejects_csv(imported.issues, folder / REJECTS_CSV)


def print_import(imported: QuoteImport, *, rows_max: int) -> None:
    console.print(
        f"{imported.file}: {imported.submitted} rows submitted = {imported.accepted} accepted + "
        f"{imported.rejected} rejected; {len(imported.orders)} orders"
    )
    issues = imported.issues.to_pylist()
    if not issues:
        return
    table = Table(title=f"rejected rows of {imported.file}")
    for column in ("row", "field", "code", "message"):
        table.add_column(column, overflow="fold")
    for issue in issues[:rows_max]:
        table.add_row(
            str(issue["row"] or ""), issue["field"] or "", issue["code"], issue["message"]
        )
    if len(issues) > rows_max:
        table.add_row(f"… {len(issues) - rows_max} more", "", "", "")
    console.print(table)


def print_check(result: QuoteCheck, *, rows_max: int) -> None:
    compared, differing = len(result.findings), result.differing
    console.print(
        f"quote-to-bill {result.cycle}: {compared} comparisons, "
        f"{compared - len(differing)} matched, {len(differing)} differ"
    )
    if not differing:
        return
    console.print(category_table(differing))
    table = Table(title="differences")
    for column in ("account", "order", "item", "check", "category", "quoted", "billed"):
        table.add_column(column, no_wrap=column != "check")
    table.add_column("evidence", overflow="fold")
    for row in differing[:rows_max]:
        table.add_row(*_cells(row))
    if len(differing) > rows_max:
        table.add_row(f"… {len(differing) - rows_max} more", *[""] * 7)
    console.print(table)


def category_table(rows: Sequence[QuoteDifference]) -> Table:
    """Per category and currency: how many comparisons differ and the variance (billed −
    quoted), net and absolute."""
    totals: dict[tuple[str, str], tuple[int, Decimal, Decimal]] = {}
    for row in rows:
        count, net, absolute = totals.get((row.category, row.currency), (0, Decimal(0), Decimal(0)))
        totals[(row.category, row.currency)] = (
            count + 1,
            net + row.variance,
            absolute + abs(row.variance),
        )
    table = Table(title="differences by category")
    for column in ("category", "count", "net variance", "absolute variance"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for (category, code), (count, net, absolute) in sorted(totals.items()):
        table.add_row(category, str(count), _amount(net, code), _amount(absolute, code))
    return table


def _amount(amount: Decimal | None, code: str) -> str:
    return "" if amount is None else money_text(amount, code) if code else str(amount)


def _cells(row: QuoteDifference) -> tuple[str, ...]:
    return (
        row.account_id,
        row.order_id or "",
        row.item_key or "",
        row.kind.value,
        row.category,
        _amount(row.quoted_amount, row.currency),
        _amount(row.billed_amount, row.currency),
        row.evidence,
    )
