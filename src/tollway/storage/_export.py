"""Bill exports: JSON and CSV that are byte-identical for identical bills.

Keys are sorted, numbers are strings (money with its currency's decimals), instants are UTC, and
nothing varies between runs: no export time, no random ids. The order is the order given (a
repository's `stream` gives the numbering order).
"""

import csv
import io
import json
from collections.abc import Iterable
from typing import Any, Final, TextIO

from tollway.billing import CustomerBill
from tollway.storage._documents import bill_document, line_document

CSV_COLUMNS: Final = (
    "bill_id",
    "bill_no",
    "state",
    "category",
    "billing_account_id",
    "currency",
    "billing_period_start",
    "billing_period_end",
    "bill_date",
    "amount_due",
    "line_id",
    "line_billing_account_id",
    "charge_type",
    "name",
    "product_id",
    "circuit_id",
    "price_id",
    "period_start",
    "period_end",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "precise_amount",
    "tax_amount",
    "related_bill_no",
)
"""One CSV row per bill line (a bill without lines still gets one row, its line columns empty)."""

_BILL_COLUMNS: Final = {
    "bill_id": "id",
    "bill_no": "bill_no",
    "state": "state",
    "category": "category",
    "billing_account_id": "billing_account_id",
    "currency": "currency",
    "billing_period_start": "billing_period_start",
    "billing_period_end": "billing_period_end",
    "bill_date": "bill_date",
    "amount_due": "amount_due",
}
_LINE_COLUMNS: Final = {
    "line_id": "id",
    "line_billing_account_id": "billing_account_id",
    **{
        name: name
        for name in CSV_COLUMNS
        if name not in ("line_id", "line_billing_account_id") and name not in _BILL_COLUMNS
    },
}


def write_bills_json(bills: Iterable[CustomerBill], stream: TextIO) -> int:
    """Write bills as one JSON array (each bill an object with sorted keys); return the count."""
    count = 0
    stream.write("[")
    for bill in bills:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(bill_document(bill), indent=2, sort_keys=True, ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def write_bills_csv(bills: Iterable[CustomerBill], stream: TextIO) -> int:
    """Write one CSV row per bill line, with a header; return the number of bills written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for bill in bills:
        for row in _csv_rows(bill):
            writer.writerow(row)
        count += 1
    return count


def bills_json(bills: Iterable[CustomerBill]) -> str:
    """The JSON export as text.

    >>> bills_json([])
    '[]\\n'
    """
    buffer = io.StringIO()
    write_bills_json(bills, buffer)
    return buffer.getvalue()


def bills_csv(bills: Iterable[CustomerBill]) -> str:
    """The CSV export as text."""
    buffer = io.StringIO()
    write_bills_csv(bills, buffer)
    return buffer.getvalue()


def _csv_rows(bill: CustomerBill) -> list[list[str]]:
    document = bill_document(bill)
    head = {column: document[key] for column, key in _BILL_COLUMNS.items()}
    lines = [line_document(line) for line in bill.lines] or [{}]
    rows = []
    for line in lines:
        values: dict[str, Any] = {**head}
        values.update({column: line.get(key) for column, key in _LINE_COLUMNS.items()})
        rows.append(
            ["" if values[column] is None else str(values[column]) for column in CSV_COLUMNS]
        )
    return rows
