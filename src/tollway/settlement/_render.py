"""Statements for people and machines: plain text, CSV, JSON (and back), TMF737-like report JSON.

Every renderer is byte-deterministic: JSON has sorted keys and amounts as strings (never numbers,
never exponent form); CSV rows follow the statement's own order; text tables are padded from
their content. JSON round-trips: `read_statement_json(render_statement_json(s)) == s`, and the
digest is checked on reading.
"""

import csv
import io
import json
import types
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from tollway.money import Currency, UnknownCurrencyError, currency
from tollway.settlement.core import (
    ItemSettlement,
    NettingStatement,
    SettlementInputError,
    SettlementStatement,
)

JSON_INDENT = 2


def to_document(value: object) -> Any:
    """A statement (or any part of one) as plain JSON-ready data: amounts as strings."""
    if isinstance(value, Currency):
        return value.code
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_document(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, tuple | list):
        return [to_document(each) for each in value]
    if isinstance(value, frozenset | set):
        return sorted(to_document(each) for each in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    assert value is None or isinstance(value, str | int | bool), f"cannot render {value!r}"
    return value


def _dumps(document: object) -> str:
    return json.dumps(document, sort_keys=True, indent=JSON_INDENT, ensure_ascii=False) + "\n"


def render_statement_json(statement: SettlementStatement) -> str:
    """The statement as JSON: every field, sorted keys, amounts as strings."""
    return _dumps(to_document(statement))


def render_netting_json(statement: NettingStatement) -> str:
    return _dumps(to_document(statement))


def read_statement_json(text: str) -> SettlementStatement:
    """A statement read back from `render_statement_json`; its digest is checked."""
    built = _build(SettlementStatement, json.loads(text), "statement")
    assert isinstance(built, SettlementStatement)
    return built


def read_netting_json(text: str) -> NettingStatement:
    built = _build(NettingStatement, json.loads(text), "netting statement")
    assert isinstance(built, NettingStatement)
    return built


def _build(kind: Any, data: Any, path: str) -> Any:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if data is None:
            return None
        options = [each for each in get_args(kind) if each is not type(None)]
        assert len(options) == 1, f"{path}: only optional fields are read back"
        return _build(options[0], data, path)
    if origin in (tuple, frozenset):
        if not isinstance(data, list):
            raise SettlementInputError("statement document", path, "expected a list")
        items = [
            _build(get_args(kind)[0], each, f"{path}[{index}]") for index, each in enumerate(data)
        ]
        return tuple(items) if origin is tuple else frozenset(items)
    if is_dataclass(kind) and kind is not Currency:
        return _build_record(kind, data, path)
    return _build_scalar(kind, data, path)


def _build_record(kind: Any, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise SettlementInputError("statement document", path, "expected an object")
    hints = get_type_hints(kind)
    values = {}
    for item in fields(kind):
        if item.name not in data:
            raise SettlementInputError("statement document", f"{path}.{item.name}", "missing")
        values[item.name] = _build(hints[item.name], data[item.name], f"{path}.{item.name}")
    return kind(**values)


def _build_scalar(kind: Any, data: Any, path: str) -> Any:
    try:
        if kind is Decimal and isinstance(data, str):
            return Decimal(data)
        if kind is datetime and isinstance(data, str):
            return datetime.fromisoformat(data)
        if kind is date and isinstance(data, str):
            return date.fromisoformat(data)
        if kind is Currency and isinstance(data, str):
            return currency(data)
        if isinstance(kind, type) and issubclass(kind, Enum):
            return kind(data)
    except (InvalidOperation, ValueError, UnknownCurrencyError):
        raise SettlementInputError("statement document", path, f"{data!r} is unusable") from None
    if kind in (str, int, bool) and type(data) is kind:
        return data
    raise SettlementInputError("statement document", path, f"{data!r} is not a {kind}")


# CSV.

STATEMENT_CSV_COLUMNS = (
    "record", "item_id", "kind", "bill_no", "line_id", "service_start", "service_end",
    "line_basis", "basis", "band", "percent", "share_exact", "amount", "description",
)  # fmt: skip


def _csv(rows: list[dict[str, str]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _text(value: object) -> str:
    rendered = to_document(value)
    return "" if rendered is None else str(rendered)


def render_statement_csv(statement: SettlementStatement) -> str:
    """One row per share line, adjustment, item total and excluded line, then the total."""
    rows: list[dict[str, str]] = []
    for item in statement.items:
        rows.extend(_item_rows(item))
    for line in statement.excluded:
        rows.append(
            {
                "record": "excluded",
                "kind": line.reason.value,
                "bill_no": line.bill_no,
                "line_id": line.line_id,
                "service_start": _text(line.service_start),
                "service_end": _text(line.service_end),
                "basis": _text(line.amount),
                "description": f"{line.currency.code}: {line.detail}",
            }
        )
    rows.append(
        {"record": "total", "amount": _text(statement.total_payable), "description": "payable"}
    )
    return _csv(rows, STATEMENT_CSV_COLUMNS)


def _item_rows(item: ItemSettlement) -> list[dict[str, str]]:
    rows = []
    for line in item.share_lines:
        rows.append(
            {
                "record": "share",
                "item_id": item.item_id,
                "bill_no": line.bill_no,
                "line_id": line.line_id,
                "service_start": _text(line.service_start),
                "service_end": _text(line.service_end),
                "line_basis": _text(line.line_basis),
                "basis": _text(line.basis),
                "band": _text(line.band),
                "percent": _text(line.percent),
                "share_exact": _text(line.share_exact),
                "amount": _text(line.share),
            }
        )
    for adjustment in item.adjustments:
        rows.append(
            {
                "record": "adjustment",
                "item_id": item.item_id,
                "kind": adjustment.kind.value,
                "bill_no": adjustment.bill_no or "",
                "line_id": adjustment.line_id or "",
                "basis": _text(adjustment.basis),
                "amount": _text(adjustment.amount),
                "description": adjustment.description,
            }
        )
    rows.append(
        {
            "record": "item_total",
            "item_id": item.item_id,
            "basis": _text(item.basis),
            "amount": _text(item.payable),
            "description": f"earned {_text(item.earned)}",
        }
    )
    return rows


NETTING_CSV_COLUMNS = (
    "record", "side", "kind", "document_id", "line_id", "category", "date", "invoiced", "amount",
    "withheld", "dispute_id", "note",
)  # fmt: skip


def render_netting_csv(statement: NettingStatement) -> str:
    """One row per netted line and excluded entry, then the totals."""
    rows = [
        {
            "record": "line",
            "side": line.side.value,
            "kind": line.kind.value,
            "document_id": line.document_id,
            "line_id": line.line_id,
            "category": line.category,
            "date": _text(line.entry_date),
            "invoiced": _text(line.invoiced),
            "amount": _text(line.amount),
            "withheld": _text(line.withheld),
            "dispute_id": line.dispute_id or "",
            "note": line.note,
        }
        for line in statement.lines
    ]
    for entry in statement.excluded:
        rows.append(
            {
                "record": "excluded",
                "side": entry.side.value,
                "document_id": entry.document_id,
                "line_id": entry.line_id,
                "amount": _text(entry.amount),
                "note": f"{entry.currency.code}: {entry.reason}",
            }
        )
    for name in ("receivables", "payables", "withheld", "net"):
        rows.append({"record": "total", "kind": name, "amount": _text(getattr(statement, name))})
    return _csv(rows, NETTING_CSV_COLUMNS)


# TMF737-like report.


def _money(value: Decimal, unit: Currency) -> dict[str, str]:
    return {"unit": unit.code, "value": format(value, "f")}


def render_tmf737_report(statement: SettlementStatement) -> str:
    """The statement as a TMF737-like `partyRevSharingReport` (JSON, sorted keys)."""
    unit = statement.currency
    report = {
        "@type": "PartyRevSharingReport",
        "id": statement.number,
        "status": "settled",
        "agreement": {
            "id": statement.agreement_id,
            "version": str(statement.agreement_version),
            "@referredType": "Agreement",
        },
        "partyRevSharingModel": {"id": statement.model_id, "@referredType": "PartyRevSharingModel"},
        "relatedParty": [
            {"id": statement.operator_id, "role": "operator", "@referredType": "Organization"},
            {"id": statement.partner_id, "role": "partner", "@referredType": "Organization"},
        ],
        "settlementPeriod": {
            "startDateTime": statement.period_start.isoformat(),
            "endDateTime": statement.period_end.isoformat(),
        },
        "accountingBasis": statement.accounting_basis.value,
        "revenueBasis": statement.basis_label,
        "money": _money(statement.total_payable, unit),
        "payer": statement.payer_id,
        "partyRevSharingReportItem": [_report_item(item, unit) for item in statement.items],
        "digest": statement.digest,
    }
    return _dumps(report)


def _report_item(item: ItemSettlement, unit: Currency) -> dict[str, object]:
    return {
        "id": item.item_id,
        "name": item.name,
        "state": "ended" if item.ended is not None else "active",
        "basisMoney": _money(item.basis, unit),
        "earnedMoney": _money(item.earned, unit),
        "money": _money(item.payable, unit),
        "revenueItem": [
            {
                "billNo": line.bill_no,
                "billLineId": line.line_id,
                "servicePeriod": {
                    "startDateTime": line.service_start.isoformat(),
                    "endDateTime": line.service_end.isoformat(),
                },
                "basis": _money(line.basis, unit),
                "band": line.band,
                "sharePercent": format(line.percent, "f"),
                "money": _money(line.share, unit),
            }
            for line in item.share_lines
        ],
        "adjustment": [
            {
                "type": line.kind.value,
                "money": _money(line.amount, unit),
                "description": line.description,
                "relatedBillNo": line.bill_no,
                "relatedBillLineId": line.line_id,
            }
            for line in item.adjustments
        ],
    }
