"""Reading a partner's charges (the lines of its invoices to us) from CSV or JSON Lines.

Columns (CSV header, or the keys of each JSON object): `partner_id`, `partner_invoice_id`,
`line_id`, `description`, `category`, `amount` (tax included, in the currency's decimals),
`currency`, `charge_date` (YYYY-MM-DD). The file is UTF-8 (a byte-order mark is fine); another
encoding refuses the file, naming the line. A row that cannot be used (an amount beyond
`charge_amount_minor_max` too) is rejected with a stable reason code and a message naming the
file, the row and the field; the rest are accepted. Every row is counted once: submitted =
accepted + rejected.
"""

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from tollway.money import TollwayError, UnknownCurrencyError, currency
from tollway.settlement.core import PartnerCharge, SettlementInputError

CHARGE_COLUMNS: Final = (
    "partner_id", "partner_invoice_id", "line_id", "description", "category", "amount",
    "currency", "charge_date",
)  # fmt: skip
charge_file_bytes_max: Final = 256 * 1024 * 1024
charge_rows_max: Final = 1_000_000
charge_amount_minor_max: Final = 999_999_999_999_999
"""The largest amount (in size) of one charge, in minor units: 9,999,999,999,999.99 USD. Stored
money is a 64-bit count of minor units, and balances add charges up: a charge beyond this is a
typing mistake, rejected as its row."""


class ChargeFileError(TollwayError):
    """The file as a whole cannot be read (missing, too big, not CSV or JSON Lines)."""

    code = "invalid_charge_file"


class RejectReason(StrEnum):
    MISSING_FIELD = "missing_field"
    INVALID_ROW = "invalid_row"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_CURRENCY = "invalid_currency"
    INVALID_DATE = "invalid_date"
    DUPLICATE_IN_FILE = "duplicate_in_file"
    UNKNOWN_PARTNER = "unknown_partner"
    ALREADY_IMPORTED = "already_imported"
    CONFLICTS_WITH_STORED = "conflicts_with_stored"
    PERIOD_NETTED = "period_netted"


@dataclass(frozen=True, slots=True)
class ChargeRow:
    """An accepted row: the partner and its charge."""

    row: int
    partner_id: str
    charge: PartnerCharge


@dataclass(frozen=True, slots=True)
class ChargeReject:
    """A rejected row, with what is wrong where."""

    row: int
    reason: RejectReason
    message: str


class _Rejected(Exception):
    def __init__(self, reason: RejectReason, field: str, problem: str) -> None:
        super().__init__(problem)
        self.reason = reason
        self.field = field
        self.problem = problem


def read_charges(path: Path) -> tuple[list[ChargeRow], list[ChargeReject], int]:
    """The file's rows read into charges: (accepted, rejected, submitted). Rows are numbered from
    1 (a CSV's header is not a row). A key repeated in the file is rejected after its first row.
    """
    accepted: list[ChargeRow] = []
    rejected: list[ChargeReject] = []
    seen: set[tuple[str, str, str]] = set()
    submitted = 0
    for number, record in _records(path):
        submitted = number
        try:
            partner_id, charge = _charge(record)
            key = (partner_id, charge.partner_invoice_id, charge.line_id)
            if key in seen:
                raise _Rejected(
                    RejectReason.DUPLICATE_IN_FILE, "line_id", "the same line appears earlier"
                )
            seen.add(key)
            accepted.append(ChargeRow(number, partner_id, charge))
        except _Rejected as problem:
            message = f"{path.name}: row {number}: {problem.field}: {problem.problem}"
            rejected.append(ChargeReject(number, problem.reason, message))
    assert submitted == len(accepted) + len(rejected), "every row is counted once"
    return accepted, rejected, submitted


def _records(path: Path) -> Iterator[tuple[int, Mapping[str, Any] | None]]:
    if not path.is_file():
        raise ChargeFileError(f"{path}: no such file")
    if path.stat().st_size > charge_file_bytes_max:
        raise ChargeFileError(f"{path}: larger than {charge_file_bytes_max} bytes")
    suffix = path.suffix.lower()
    text = _text_of(path)
    if suffix == ".csv":
        rows: Iterator[Mapping[str, Any] | None] = iter(csv.DictReader(io.StringIO(text)))
    elif suffix in (".jsonl", ".ndjson"):
        rows = (_json_object(line) for line in text.splitlines() if line.strip())
    else:
        raise ChargeFileError(f"{path}: unsupported file type {suffix!r}; use .csv or .jsonl")
    for number, row in enumerate(rows, start=1):
        if number > charge_rows_max:
            raise ChargeFileError(f"{path}: more than {charge_rows_max} rows; split the file")
        yield number, row


def _text_of(path: Path) -> str:
    """The file as UTF-8 text; a byte-order mark (Excel's "CSV UTF-8") is dropped."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ChargeFileError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise ChargeFileError(
            f"{path}: line {line} is not UTF-8 text (byte {byte:#04x}); save the file as UTF-8 "
            "(CSV UTF-8)"
        ) from None


def _json_object(line: str) -> Mapping[str, Any] | None:
    try:
        found = json.loads(line, parse_float=Decimal)
    except ValueError:
        return None
    return found if isinstance(found, Mapping) else None


def _charge(record: Mapping[str, Any] | None) -> tuple[str, PartnerCharge]:
    if record is None:
        raise _Rejected(RejectReason.INVALID_ROW, "row", "not a JSON object")
    text = {name: _text(record, name) for name in CHARGE_COLUMNS if name != "amount"}
    try:
        unit = currency(text["currency"])
    except UnknownCurrencyError:
        raise _Rejected(
            RejectReason.INVALID_CURRENCY,
            "currency",
            f"{text['currency']!r} is not an ISO 4217 currency code",
        ) from None
    try:
        charge_date = date.fromisoformat(text["charge_date"])
    except ValueError:
        raise _Rejected(
            RejectReason.INVALID_DATE, "charge_date", f"{text['charge_date']!r} is not YYYY-MM-DD"
        ) from None
    amount = _amount(record)
    try:
        charge = PartnerCharge(
            text["partner_invoice_id"],
            text["line_id"],
            text["description"],
            text["category"],
            amount,
            unit,
            charge_date,
        )
    except SettlementInputError as error:
        raise _Rejected(RejectReason.INVALID_AMOUNT, error.field, error.problem) from None
    problem = size_problem(charge)
    if problem is not None:
        raise _Rejected(RejectReason.INVALID_AMOUNT, "amount", problem)
    return text["partner_id"], charge


def size_problem(charge: PartnerCharge) -> str | None:
    """Why the charge's amount is too large to store, or None.

    >>> from tollway.money import currency
    >>> huge = PartnerCharge("ST-1", "C1", "", "cloud", Decimal("1E+15"), currency("USD"),
    ...     date(2026, 2, 1))
    >>> size_problem(huge)
    '1E+15 is beyond the largest amount stored, 9999999999999.99 USD (in size)'
    """
    unit = charge.currency
    if abs(charge.amount.scaleb(unit.minor_units)) <= charge_amount_minor_max:
        return None
    largest = Decimal(charge_amount_minor_max).scaleb(-unit.minor_units)
    return f"{charge.amount} is beyond the largest amount stored, {largest} {unit.code} (in size)"


def _text(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _Rejected(RejectReason.MISSING_FIELD, name, "is missing or empty")
    return value.strip()


def _amount(record: Mapping[str, Any]) -> Decimal:
    value = record.get("amount")
    if value is None or value == "":
        raise _Rejected(RejectReason.MISSING_FIELD, "amount", "is missing or empty")
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _Rejected(RejectReason.INVALID_AMOUNT, "amount", f"{value!r} is not an amount")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise _Rejected(
            RejectReason.INVALID_AMOUNT, "amount", f"{value!r} is not a number"
        ) from None
    if not amount.is_finite():
        raise _Rejected(RejectReason.INVALID_AMOUNT, "amount", f"{value!r} is not a finite number")
    return amount
