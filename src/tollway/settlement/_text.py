"""Statements as plain-text tables for a terminal or a finance reader (no colours, no clock).

Columns are padded from their content, amounts keep their currency decimals and group thousands,
instants at midnight show as dates: the same statement always gives the same bytes.
"""

from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal

from tollway.settlement.core import (
    ItemSettlement,
    NettingStatement,
    SettlementStatement,
)

INDENT = "  "


def _amount(value: Decimal) -> str:
    return format(value, ",f")


def _instant(value: datetime) -> str:
    return value.date().isoformat() if value.time() == time(0) else value.isoformat()


def _span(start: datetime, end: datetime) -> str:
    return _instant(start) if start == end else f"{_instant(start)} to {_instant(end)}"


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, right: frozenset[int]
) -> list[str]:
    every = [header, *rows]
    widths = [max(len(row[index]) for row in every) for index in range(len(header))]
    lines = []
    for row in every:
        cells = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append((INDENT + "  ".join(cells)).rstrip())
    return lines


def render_statement_text(statement: SettlementStatement) -> str:
    """The statement as a readable plain-text report."""
    unit = statement.currency.code
    lines = [
        f"Revenue-share statement {statement.number}",
        f"Agreement   {statement.agreement_id} version {statement.agreement_version} "
        f"(model {statement.model_id})",
        f"Parties     operator {statement.operator_id}, partner {statement.partner_id}",
        f"Period      {_span(statement.period_start, statement.period_end)} (end excluded)",
        f"Basis       {statement.accounting_basis.value} basis, {statement.basis_label}; {unit}; "
        f"share lines rounded {statement.rounding_mode.value}",
    ]
    for event in statement.milestones:
        lines.append(
            f"Milestone   {event.name} occurred {event.occurred_at.isoformat()}, "
            f"recorded {event.recorded_at.isoformat()}"
        )
    for item in statement.items:
        lines.extend(["", *_item_text(item)])
    if statement.excluded:
        lines.extend(["", "Not shared", *_excluded_text(statement)])
    payer = statement.payer_id
    if payer is None:
        direction = "nothing to pay"
    else:
        payee = statement.partner_id if payer == statement.operator_id else statement.operator_id
        direction = f"{payer} pays {payee}"
    lines.extend(
        [
            "",
            f"Total payable {_amount(statement.total_payable)} {unit}: {direction}",
            f"Digest {statement.digest}",
        ]
    )
    return "\n".join(lines) + "\n"


def _item_text(item: ItemSettlement) -> list[str]:
    state = "in effect at the period start" if item.in_effect else "not in effect at the start"
    lines = [f"Item {item.item_id}: {item.name} ({state})"]
    if item.ended is not None:
        when = item.ended.at.isoformat() if item.ended.at else "cumulative"
        lines.append(f"{INDENT}ended {when}: {item.ended.reason}")
    if item.share_lines:
        rows = [
            (
                line.bill_no,
                line.line_id,
                _span(line.service_start, line.service_end),
                _amount(line.line_basis),
                _amount(line.basis),
                "-" if line.band is None else str(line.band),
                format(line.percent, "f"),
                _amount(line.share),
            )
            for line in item.share_lines
        ]
        titles = ("Bill", "Line", "Service", "Line basis", "Basis", "Band", "Rate %", "Share")
        lines.extend(_table(titles, rows, right=frozenset({3, 4, 5, 6, 7})))
    if item.adjustments:
        adjustments = [
            (line.kind.value, _amount(line.amount), line.description) for line in item.adjustments
        ]
        header = ("Adjustment", "Amount", "Description")
        lines.extend(_table(header, adjustments, right=frozenset({1})))
    lines.append(
        f"{INDENT}Basis {_amount(item.basis)}; earned {_amount(item.earned)}; "
        f"payable {_amount(item.payable)}"
    )
    lines.append(
        f"{INDENT}Since the start: basis {_amount(item.cumulative_basis)}, paid "
        f"{_amount(item.cumulative_paid)}, guarantee outstanding "
        f"{_amount(item.guarantee_outstanding)}"
    )
    return lines


def _excluded_text(statement: SettlementStatement) -> list[str]:
    rows = [
        (
            line.bill_no,
            line.line_id,
            _span(line.service_start, line.service_end),
            f"{_amount(line.amount)} {line.currency.code}",
            f"{line.reason.value}: {line.detail}",
        )
        for line in statement.excluded
    ]
    header = ("Bill", "Line", "Service", "Amount", "Reason")
    return _table(header, rows, right=frozenset({3}))


def render_netting_text(statement: NettingStatement) -> str:
    """The netting statement: gross both ways, withheld, net and who pays whom."""
    unit = statement.currency.code
    scope = ", ".join(sorted(statement.scope.categories)) or "every category"
    lines = [
        f"Netting statement {statement.agreement_id} {_instant(statement.period_start)}",
        f"Agreement   {statement.agreement_id} version {statement.agreement_version}",
        f"Parties     operator {statement.operator_id}, partner {statement.partner_id}",
        f"Period      {_span(statement.period_start, statement.period_end)} (end excluded)",
        f"Scope       {scope}; {unit}",
        "",
    ]
    rows = [
        (
            line.side.value,
            line.kind.value,
            line.document_id,
            line.line_id,
            line.entry_date.isoformat(),
            line.description,
            _amount(line.amount),
            _amount(line.withheld),
            line.note,
        )
        for line in statement.lines
    ]
    header = (
        "Side",
        "Kind",
        "Document",
        "Line",
        "Date",
        "Description",
        "Amount",
        "Withheld",
        "Note",
    )
    lines.extend(_table(header, rows, right=frozenset({6, 7})))
    for entry in statement.excluded:
        lines.append(
            f"{INDENT}not netted: {entry.side.value} {entry.document_id}/{entry.line_id} "
            f"{_amount(entry.amount)} {entry.currency.code} ({entry.reason})"
        )
    lines.extend(["", *_netting_totals(statement)])
    return "\n".join(lines) + "\n"


def _netting_totals(statement: NettingStatement) -> list[str]:
    unit = statement.currency.code
    rows = [
        ("Receivables (we invoiced)", _amount(statement.receivables)),
        ("Payables (partner invoiced)", _amount(statement.payables)),
        ("Withheld receivable", _amount(statement.withheld_receivable)),
        ("Withheld payable", _amount(statement.withheld_payable)),
        ("Net (receivables - payables - withheld)", _amount(statement.net)),
    ]
    lines = _table(("Total", unit), rows, right=frozenset({1}))
    if statement.payer_id is None:
        lines.append(f"{INDENT}Nothing changes hands.")
    else:
        lines.append(
            f"{INDENT}{statement.payer_id} pays {statement.payee_id} "
            f"{_amount(statement.net_amount)} {unit}"
        )
    lines.append(f"{INDENT}Digest {statement.digest}")
    return lines
