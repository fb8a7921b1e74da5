"""Reports for people: a cycle's summary, the trend across cycles and the readiness verdict as
terminal tables (rich). The HTML report is `_html`; the CSV and Parquet detail `_run_directory`.
"""

from collections.abc import Sequence
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from tollway.money import Money, format_money, plain_decimal
from tollway.reconcile.core import CycleSummary, ReadinessVerdict, percent_text, trend


def amount_text(amount: Decimal, currency_code: str) -> str:
    """An amount for people: the currency's format when it is rounded to its minor unit, else
    the exact decimal and the code (a sum of unrounded legacy amounts is shown as it is).

    >>> amount_text(Decimal("1234.5"), "USD"), amount_text(Decimal("0.125"), "USD")
    ('$1,234.50', '0.125 USD')
    >>> amount_text(Decimal("7"), "")
    '7'
    """
    if currency_code:
        money = Money.of(amount, currency_code)
        if money.is_rounded:
            return format_money(money)
        return f"{plain_decimal(amount)} {currency_code}"
    return f"{plain_decimal(amount)}"


def summary_table(summary: CycleSummary) -> Table:
    """A cycle's counts, rates and amounts."""
    money = summary.currency
    table = Table(title=f"Cycle {summary.cycle} ({money or 'no invoices'})", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("invoices compared", str(summary.invoices_compared)),
        (
            "invoices within tolerance",
            f"{summary.invoices_within_tolerance} "
            f"({percent_text(summary.invoices_within_tolerance_percent)} %)",
        ),
        (
            "invoices matched",
            f"{summary.invoices_matched} ({percent_text(summary.invoice_match_rate_percent)} %)",
        ),
        (
            "lines matched",
            f"{summary.lines_matched} of {summary.lines_compared} "
            f"({percent_text(summary.line_match_rate_percent)} %)",
        ),
        ("taxes matched", f"{summary.taxes_matched} of {summary.taxes_compared}"),
        ("match rate by amount", f"{percent_text(summary.amount_match_rate_percent)} %"),
        ("legacy total", amount_text(summary.legacy_total, money)),
        ("tollway total", amount_text(summary.tollway_total, money)),
        ("net variance", amount_text(summary.net_variance, money)),
        ("absolute variance", amount_text(summary.absolute_variance, money)),
        (
            "unexplained variance",
            f"{amount_text(summary.unexplained_variance, money)} "
            f"({percent_text(summary.unexplained_variance_percent)} %)",
        ),
    ]
    for figure, value in rows:
        table.add_row(figure, value)
    return table


def category_table(summary: CycleSummary) -> Table:
    table = Table(title=f"Variance by category, {summary.cycle}")
    for column in ("category", "differences", "net variance", "absolute variance"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for entry in summary.variance_by_category:
        table.add_row(
            entry.category,
            str(entry.differences),
            amount_text(entry.net_variance, summary.currency),
            amount_text(entry.absolute_variance, summary.currency),
        )
    return table


def accounts_table(summary: CycleSummary) -> Table:
    table = Table(title=f"Top accounts by absolute variance, {summary.cycle}")
    for column in ("account", "differences", "net variance", "absolute variance"):
        table.add_column(column, justify="left" if column == "account" else "right")
    for entry in summary.top_accounts:
        table.add_row(
            entry.account_id,
            str(entry.differences),
            amount_text(entry.net_variance, summary.currency),
            amount_text(entry.absolute_variance, summary.currency),
        )
    return table


def trend_table(summaries: Sequence[CycleSummary]) -> Table:
    """The cycles of one currency side by side: the rates and the unexplained variance."""
    currencies = {summary.currency for summary in summaries} - {""}
    assert len(currencies) <= 1, "a trend is in one currency"
    code = currencies.pop() if currencies else ""
    table = Table(title=f"Trend across cycles ({code or 'no invoices'})")
    for column in ("cycle", "invoices within tolerance", "lines matched", "amount matched",
                   "unexplained variance"):  # fmt: skip
        table.add_column(column, justify="left" if column == "cycle" else "right")
    for point in trend(summaries):
        table.add_row(
            point.cycle,
            f"{percent_text(point.invoices_within_tolerance_percent)} %",
            f"{percent_text(point.line_match_rate_percent)} %",
            f"{percent_text(point.amount_match_rate_percent)} %",
            amount_text(point.unexplained_variance, code),
        )
    return table


def readiness_table(verdict: ReadinessVerdict) -> Table:
    state = "[bold green]READY[/]" if verdict.ready else "[bold red]NOT READY[/]"
    judged = ", ".join(verdict.cycles) or "no cycle"
    currency = f" {verdict.currency}" if verdict.currency else ""
    table = Table(title=f"Cutover readiness{currency}: {state} (cycles judged: {judged})")
    table.add_column("gate")
    table.add_column("result")
    table.add_column("figures")
    for gate in verdict.gates:
        table.add_row(gate.gate, "[green]pass[/]" if gate.passed else "[red]fail[/]", gate.detail)
    return table


def print_cycle(summary: CycleSummary, console: Console) -> None:
    """The terminal summary of one reconciled cycle (one currency)."""
    console.print(summary_table(summary))
    if summary.variance_by_category:
        console.print(category_table(summary))
    if summary.top_accounts:
        console.print(accounts_table(summary))


def print_readiness(
    summaries: Sequence[CycleSummary], verdict: ReadinessVerdict, console: Console
) -> None:
    """The trend of a currency's cycles and its readiness verdict."""
    console.print(trend_table(summaries))
    console.print(readiness_table(verdict))
