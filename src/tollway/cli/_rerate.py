"""`tollway rerate CYCLE`: preview the adjustments the bill run of a cycle would carry.

Re-rating is part of every bill run (see docs/billing.md, "Late usage and re-rating"); this
command runs the same comparison on the world and usage stored now and prints what it finds,
writing nothing. Issued bills are corrected only by a bill run's adjustment lines, never off-cycle.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tollway.billing import AppliedBillingRate
from tollway.billrun import RerateOutcome, preview_rerate
from tollway.cli._app import app
from tollway.cli._operations import console, month_window
from tollway.cli._workspace import WorkspaceOption, open_workspace
from tollway.money import Money, format_money, sum_money


@app.command("rerate")
def rerate_command(
    cycle: Annotated[
        str,
        typer.Argument(help="The month whose bill run to preview, YYYY-MM (as `tollway bill`)."),
    ],
    workspace: WorkspaceOption = Path("."),
    rows_max: Annotated[int, typer.Option(help="Adjustment lines to show.")] = 50,
) -> None:
    """Preview re-rating: the adjustments the cycle's bill run would carry for late usage and
    corrected prices, per paying account, without issuing anything. For a cycle already billed,
    what is still outstanding after its bills."""
    opened = open_workspace(workspace)
    start, end = month_window(cycle)
    # The rater `tollway bill` rates with, so the preview is what its next run carries.
    outcome = preview_rerate(
        opened.database,
        opened.usage_store,
        period_start=start,
        period_end=end,
    )
    print_outcome(cycle, outcome, rows_max=rows_max)


def print_outcome(cycle: str, outcome: RerateOutcome, *, rows_max: int) -> None:
    lines = outcome.lines
    rejected = (
        f"; {len(outcome.rejects)} usage records could not be re-rated" if outcome.rejects else ""
    )
    if not lines:
        console.print(
            f"re-rating {cycle}: nothing to adjust: the issued bills agree with the usage and "
            f"prices stored now{rejected}"
        )
        return
    console.print(
        f"re-rating {cycle}: {len(lines)} adjustments for {len(outcome.adjustments)} paying "
        f"accounts, carried by the cycle's bill run (nothing issued now){rejected}"
    )
    table = Table(title=f"adjustments the bill run of {cycle} would carry")
    for column in ("paying account", "account", "circuit", "period", "corrects", "quantity"):
        table.add_column(column, justify="right" if column == "quantity" else "left", no_wrap=True)
    table.add_column("amount", justify="right", no_wrap=True)
    shown = 0
    for payer, found in sorted(outcome.adjustments.items()):
        for line in found:
            if shown < rows_max:
                table.add_row(payer, *_cells(line))
            shown += 1
    if shown > rows_max:
        table.add_row(f"… {shown - rows_max} more", "", "", "", "", "", "")
    table.add_section()
    for total in _totals(lines):
        table.add_row("total", "", "", "", "", "", format_money(total))
    console.print(table)


def _cells(line: AppliedBillingRate) -> tuple[str, ...]:
    return (
        line.billing_account_id,
        line.circuit_id or "",
        f"{line.period_start:%Y-%m-%d}–{line.period_end:%Y-%m-%d}",
        line.related_bill_no or "",
        f"{line.quantity} {line.unit or ''}".strip(),
        format_money(line.amount),
    )


def _totals(lines: Sequence[AppliedBillingRate]) -> list[Money]:
    """The adjustments' total per currency, by currency code."""
    by_currency: dict[str, list[Money]] = {}
    for line in lines:
        by_currency.setdefault(line.amount.currency.code, []).append(line.amount)
    return [sum_money(amounts, amounts[0].currency) for _, amounts in sorted(by_currency.items())]
