"""Reading a quote file: CSV, JSON Lines or a JSON array of TMF622 productOrders.

`read_quotes` reads one file (the encoding is its suffix: `.csv`, `.jsonl`, `.json`) into the
accepted `QuoteOrder`s and one issue row per problem (ISSUE_SCHEMA: file, row, field, code,
message, severity), with accepted + rejected = submitted rows. A file that cannot be read at all is
a `QuoteFileError`; anything wrong inside a readable file is an issue row. docs/quote-to-bill.md
describes the formats.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa

from tollway.reconcile._legacy_format import ISSUE_SCHEMA
from tollway.reconcile._quotes_assemble import Assembly, assemble
from tollway.reconcile._quotes_fields import QUOTE_COLUMNS, REQUIRED_COLUMNS, FlatRow, Problem
from tollway.reconcile._quotes_json import flatten_order, parse_json
from tollway.reconcile._quotes_model import QuoteFileError, QuoteIssueCode, QuoteOrder

QUOTE_FILE_BYTES_MAX: Final = 64 * 1024 * 1024
"""The largest quote file read: quotes are few; a bigger file is a mistake, not a quote export."""

SUFFIXES: Final = (".csv", ".jsonl", ".json")


@dataclass(frozen=True, slots=True)
class QuoteImport:
    """The accepted orders of a quote file, its issues (ISSUE_SCHEMA) and its row counts.

    A row is a CSV record (the header is row 1), a JSON Lines line, or an order's position in a
    JSON array (the first is row 1)."""

    file: str
    orders: tuple[QuoteOrder, ...]
    issues: pa.Table
    submitted: int
    accepted: int
    rejected: int

    def __post_init__(self) -> None:
        assert self.issues.schema.equals(ISSUE_SCHEMA)
        assert self.accepted + self.rejected == self.submitted


def read_quotes(path: Path) -> QuoteImport:
    """Read and check the orders in `path`.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "quotes.csv").write_text(
    ...     "order_id,order_date,billing_account_id,currency,item_id,action,"
    ...     "product_offering_id,price_type,amount\\n"
    ...     "ORD-1,2026-03-02,CRM-7,USD,1,add,port,recurring,100.00\\n"
    ...     "ORD-2,2026-03-02,CRM-8,USD,1,add,port,recurring,1e2\\n")
    >>> quotes = read_quotes(folder / "quotes.csv")
    >>> [order.id for order in quotes.orders], quotes.submitted, quotes.rejected
    (['ORD-1'], 2, 1)
    >>> [(issue["row"], issue["field"], issue["code"]) for issue in quotes.issues.to_pylist()]
    [(3, 'amount', 'bad_decimal')]
    """
    text = _text(path)
    if path.suffix == ".csv":
        assembly = _read_csv(path.name, text)
    elif path.suffix == ".jsonl":
        assembly = _read_json_lines(path.name, text)
    else:
        assembly = _read_json_array(path.name, text)
    return QuoteImport(
        file=path.name,
        orders=assembly.orders,
        issues=pa.Table.from_pylist(list(assembly.issues), schema=ISSUE_SCHEMA),
        submitted=assembly.submitted,
        accepted=assembly.accepted,
        rejected=assembly.rejected,
    )


def _text(path: Path) -> str:
    if path.suffix not in SUFFIXES:
        raise QuoteFileError(
            f"{path}: a quote file is {', '.join(SUFFIXES)}; the suffix says which encoding"
        )
    if not path.is_file():
        raise QuoteFileError(f"{path}: no such quote file")
    if path.stat().st_size > QUOTE_FILE_BYTES_MAX:
        raise QuoteFileError(
            f"{path}: larger than {QUOTE_FILE_BYTES_MAX} bytes; split the export by order date"
        )
    try:
        # utf-8-sig: a byte-order mark (spreadsheets write one) is not part of the first column.
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise QuoteFileError(f"{path}: not UTF-8 text (byte {error.start})") from None


def _read_csv(file_name: str, text: str) -> Assembly:
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise QuoteFileError(f"{file_name}: not readable as CSV ({error})") from None
    if not records or not records[0]:
        raise QuoteFileError(f"{file_name}: no header row; the first row names the columns")
    header = records[0]
    _check_header(file_name, header)
    flat_rows: list[FlatRow] = []
    record_problems: dict[int, list[Problem]] = {}
    submitted: list[int] = []
    for index, record in enumerate(records[1:]):
        row = index + 2
        if not record or all(cell == "" for cell in record):
            continue
        submitted.append(row)
        if len(record) != len(header):
            record_problems[row] = [
                Problem(
                    None,
                    QuoteIssueCode.BAD_STRUCTURE,
                    f"{len(record)} fields, but the header has {len(header)}",
                )
            ]
            continue
        values = dict(zip(header, record, strict=True))
        order_id = values["order_id"]
        flat_rows.append(
            FlatRow(
                row=row,
                values=values,
                locations={},
                order_key=f"order {order_id}" if order_id else f"row {row}",
                item_key=values["item_id"],
            )
        )
    return assemble(
        file_name, submitted_rows=submitted, flat_rows=flat_rows, record_problems=record_problems
    )


def _check_header(file_name: str, header: Sequence[str]) -> None:
    unknown = [name for name in header if name not in QUOTE_COLUMNS]
    if unknown:
        raise QuoteFileError(
            f"{file_name}: unknown column {unknown[0]!r}; the columns are "
            + ", ".join(QUOTE_COLUMNS)
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise QuoteFileError(f"{file_name}: column {repeated[0]!r} is given twice")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise QuoteFileError(f"{file_name}: no {missing[0]!r} column; the file needs one")


def _read_json_lines(file_name: str, text: str) -> Assembly:
    submitted: list[int] = []
    flat_rows: list[FlatRow] = []
    record_problems: dict[int, list[Problem]] = {}
    for index, line in enumerate(text.splitlines()):
        row = index + 1
        if not line.strip():
            continue
        submitted.append(row)
        try:
            order = parse_json(line)
        except ValueError as error:
            record_problems[row] = [
                Problem(None, QuoteIssueCode.BAD_JSON, f"not a JSON order ({error})")
            ]
            continue
        flat, problems = flatten_order(row, order)
        flat_rows.extend(flat)
        if problems:
            record_problems[row] = problems
    return assemble(
        file_name, submitted_rows=submitted, flat_rows=flat_rows, record_problems=record_problems
    )


def _read_json_array(file_name: str, text: str) -> Assembly:
    try:
        document = parse_json(text)
    except ValueError as error:
        raise QuoteFileError(f"{file_name}: not JSON ({error})") from None
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise QuoteFileError(f"{file_name}: expected a JSON array of productOrder objects")
    flat_rows: list[FlatRow] = []
    record_problems: dict[int, list[Problem]] = {}
    for index, order in enumerate(document):
        flat, problems = flatten_order(index + 1, order)
        flat_rows.extend(flat)
        if problems:
            record_problems[index + 1] = problems
    return assemble(
        file_name,
        submitted_rows=range(1, len(document) + 1),
        flat_rows=flat_rows,
        record_problems=record_problems,
    )
