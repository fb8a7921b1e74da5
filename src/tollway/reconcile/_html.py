"""The parallel run as one self-contained HTML file: readiness, trend, the latest cycle's variance
by category and top accounts (matplotlib charts inlined as SVG), and its largest differences.

No network (no scripts, fonts or styles fetched), no clock: the same summaries and differences
give the same bytes (matplotlib's SVG ids are salted with a fixed string per chart, its metadata
carries no date). Amounts are converted to floats only to draw them.
"""

import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import duckdb
import matplotlib
import pyarrow as pa
from matplotlib.figure import Figure

from tollway.reconcile._report import amount_text
from tollway.reconcile._tables import DIFFERENCE_SCHEMA
from tollway.reconcile.core import (
    CycleSummary,
    ReadinessVerdict,
    percent_text,
    trend,
)

largest_differences_max: Final = 50
"""How many of the latest cycle's differences (by absolute variance) the report lists."""

_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.ready { color: #1a7f37; } .not-ready { color: #cf222e; }
.pass { color: #1a7f37; } .fail { color: #cf222e; }
figure { margin: 0; }
"""


def _svg(figure: Figure, *, salt: str) -> str:
    """The figure as inline SVG markup (no XML prolog), deterministic for a given salt."""
    buffer = io.StringIO()
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": f"tollway-{salt}",
            "font.size": 9.0,
            "axes.titlesize": 10.0,
        }
    ):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "tollway"})
    markup = buffer.getvalue()
    return markup[markup.index("<svg") :]


def _trend_chart(summaries: Sequence[CycleSummary], *, salt: str) -> str:
    points = trend(summaries)
    figure = Figure(figsize=(7.0, 3.0))
    axes = figure.add_subplot()
    positions = list(range(len(points)))
    series = (
        ("invoices within tolerance", [p.invoices_within_tolerance_percent for p in points]),
        ("lines matched", [p.line_match_rate_percent for p in points]),
        ("amount matched", [p.amount_match_rate_percent for p in points]),
    )
    for label, values in series:
        axes.plot(positions, [float(value) for value in values], marker="o", label=label)
    axes.set_xticks(positions, [point.cycle for point in points])
    axes.set_ylabel("percent")
    axes.set_title("Match rate by cycle")
    axes.legend(loc="lower right")
    figure.tight_layout()
    return _svg(figure, salt=salt)


def _bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, salt: str) -> str:
    figure = Figure(figsize=(7.0, 0.6 + 0.3 * len(labels)))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    axes.barh(positions, list(values), color="#4c72b0")
    axes.set_yticks(positions, list(labels))
    axes.invert_yaxis()
    axes.set_title(title)
    figure.tight_layout()
    return _svg(figure, salt=salt)


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], *, numbers_from: int) -> str:
    """An HTML table; columns from `numbers_from` on are right-aligned figures."""
    head = "".join(f"<th>{_escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="number">{_escape(cell)}</td>'
            if index >= numbers_from
            else f"<td>{_escape(cell)}</td>"
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _readiness_section(verdict: ReadinessVerdict) -> str:
    state = (
        '<span class="ready">ready</span>'
        if verdict.ready
        else ('<span class="not-ready">not ready</span>')
    )
    rows = [(gate.gate, "pass" if gate.passed else "fail", gate.detail) for gate in verdict.gates]
    cycles = ", ".join(verdict.cycles) or "none"
    return f"<h2>Cutover readiness: {state}</h2><p>Cycles judged: {_escape(cycles)}.</p>" + _table(
        ("gate", "result", "figures"), rows, numbers_from=3
    )


def _trend_section(summaries: Sequence[CycleSummary], code: str) -> str:
    rows = [
        (
            point.cycle,
            f"{percent_text(point.invoices_within_tolerance_percent)} %",
            f"{percent_text(point.line_match_rate_percent)} %",
            f"{percent_text(point.amount_match_rate_percent)} %",
            amount_text(point.unexplained_variance, code),
        )
        for point in trend(summaries)
    ]
    header = ("cycle", "invoices within tolerance", "lines matched", "amount matched",
              "unexplained variance")  # fmt: skip
    chart = _trend_chart(summaries, salt=f"trend-{code}") if summaries else ""
    return f"<h2>Trend</h2><figure>{chart}</figure>" + _table(header, rows, numbers_from=1)


def _cycle_section(summary: CycleSummary) -> str:
    code = summary.currency
    figures = [
        ("invoices compared", str(summary.invoices_compared)),
        ("invoices within tolerance", f"{summary.invoices_within_tolerance} ({percent_text(summary.invoices_within_tolerance_percent)} %)"),
        ("invoices matched", f"{summary.invoices_matched} ({percent_text(summary.invoice_match_rate_percent)} %)"),
        ("lines matched", f"{summary.lines_matched} of {summary.lines_compared} ({percent_text(summary.line_match_rate_percent)} %)"),
        ("taxes matched", f"{summary.taxes_matched} of {summary.taxes_compared}"),
        ("match rate by amount", f"{percent_text(summary.amount_match_rate_percent)} %"),
        ("legacy total", amount_text(summary.legacy_total, code)),
        ("tollway total", amount_text(summary.tollway_total, code)),
        ("net variance", amount_text(summary.net_variance, code)),
        ("unexplained variance", amount_text(summary.unexplained_variance, code)),
    ]  # fmt: skip
    parts = [
        f"<h2>Cycle {_escape(summary.cycle)}</h2>",
        _table(("figure", "value"), figures, numbers_from=1),
    ]
    categories = summary.variance_by_category
    if categories:
        parts.append("<h3>Variance by category</h3>")
        parts.append(
            "<figure>"
            + _bar_chart(
                [entry.category for entry in categories],
                [float(entry.absolute_variance) for entry in categories],
                title=f"Absolute variance by category ({code})",
                salt=f"categories-{code}",
            )
            + "</figure>"
        )
        rows = [
            (entry.category, str(entry.differences), amount_text(entry.net_variance, code),
             amount_text(entry.absolute_variance, code))
            for entry in categories
        ]  # fmt: skip
        parts.append(_table(("category", "differences", "net", "absolute"), rows, numbers_from=1))
    accounts = summary.top_accounts
    if accounts:
        parts.append("<h3>Top accounts by absolute variance</h3>")
        parts.append(
            "<figure>"
            + _bar_chart(
                [entry.account_id for entry in accounts],
                [float(entry.absolute_variance) for entry in accounts],
                title=f"Absolute variance by account ({code})",
                salt=f"accounts-{code}",
            )
            + "</figure>"
        )
        rows = [
            (entry.account_id, str(entry.differences), amount_text(entry.net_variance, code),
             amount_text(entry.absolute_variance, code))
            for entry in accounts
        ]  # fmt: skip
        parts.append(_table(("account", "differences", "net", "absolute"), rows, numbers_from=1))
    return "".join(parts)


def _largest_differences(differences: pa.Table) -> str:
    assert differences.schema.equals(DIFFERENCE_SCHEMA)
    connection = duckdb.connect(":memory:")
    try:
        connection.register("differences", differences)
        rows = connection.execute(
            f"""SELECT level, account_id, coalesce(legacy_invoice_id, ''),
                coalesce(tollway_invoice_id, ''),
                coalesce(legacy_line_id, jurisdiction_id, ''),
                coalesce(tollway_line_id, tax_type, ''), category, currency,
                CAST(variance AS VARCHAR), evidence
            FROM differences WHERE category <> 'matched' AND level <> 'invoice'
            ORDER BY abs(variance) DESC, account_id, legacy_invoice_id NULLS LAST,
                tollway_invoice_id NULLS LAST, legacy_line_id NULLS LAST,
                tollway_line_id NULLS LAST, jurisdiction_id NULLS LAST, tax_type NULLS LAST
            LIMIT {largest_differences_max}"""
        ).fetchall()
    finally:
        connection.close()
    shown = [
        (
            *(str(cell) for cell in row[:7]),
            f"{row[8].rstrip('0').rstrip('.')} {row[7]}",
            str(row[9]),
        )
        for row in rows
    ]
    header = ("level", "account", "legacy invoice", "tollway invoice", "legacy line / jurisdiction",
              "tollway line / tax type", "category", "variance", "evidence")  # fmt: skip
    return f"<h2>Largest differences (at most {largest_differences_max})</h2>" + _table(
        header, shown, numbers_from=7
    )


def render_html(
    summaries: Sequence[CycleSummary],
    verdicts: Sequence[ReadinessVerdict],
    *,
    differences: pa.Table | None = None,
    title: str = "Parallel run: legacy against tollway",
) -> str:
    """The report as one HTML document: per currency its readiness verdict, trend and latest
    cycle; then the largest differences of `differences` (a cycle's rows) when given."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_escape(title)}</h1>",
        f"<p>Cycles reconciled: {_escape(', '.join(sorted({s.cycle for s in summaries})) or 'none')}.</p>",
    ]
    for verdict in verdicts:
        history = [s for s in summaries if s.currency in (verdict.currency, "")]
        if verdict.currency:
            parts.append(f"<h2>{_escape(verdict.currency)}</h2>")
        parts.append(_readiness_section(verdict))
        parts.append(_trend_section(history, verdict.currency))
        if history:
            parts.append(_cycle_section(max(history, key=lambda summary: summary.cycle)))
    if differences is not None:
        parts.append(_largest_differences(differences))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_html(path: Path, document: str) -> None:
    path.write_text(document, encoding="utf-8")
