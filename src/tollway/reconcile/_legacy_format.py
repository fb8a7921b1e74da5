"""The legacy interchange format: which files, which columns, and the reasons a row is refused.

A legacy system hands over one directory with `invoices`, `lines` and optionally `taxes` and
`crosswalk`, each as `NAME.csv` or `NAME.jsonl`. The columns are the interchange schemas of
`_tables` without `system` (an imported row is the legacy system's). docs/legacy-interchange.md
describes the format for the people who write the files.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

import pyarrow as pa

from tollway.money import TollwayError
from tollway.reconcile._tables import (
    CROSSWALK_SCHEMA,
    INVOICE_SCHEMA,
    LINE_SCHEMA,
    TAX_SCHEMA,
)

LegacyEncoding = Literal["csv", "jsonl"]
"""The two encodings of the same columns: CSV (RFC 4180, header row) and JSON Lines."""

ENCODINGS: Final[tuple[LegacyEncoding, ...]] = ("csv", "jsonl")

ID_LENGTH_MAX: Final = 200
"""Characters in an id; a longer one is a column mix-up, not an id."""

DECIMAL_INTEGER_DIGITS_MAX: Final = 29
DECIMAL_PLACES_MAX: Final = 9
"""DECIMAL(38, 9): 29 digits before the point, 9 after."""

VALUE_SHOWN_CHARACTERS_MAX: Final = 40
"""How much of an offending value a message quotes."""


class LegacyFileError(TollwayError):
    """A legacy file cannot be read at all (absent, not UTF-8, no header): nothing to validate."""

    code = "legacy_file"


class ColumnKind(StrEnum):
    ID = "id"
    TEXT = "text"
    """Free text; may be empty."""
    DATE = "date"
    DECIMAL = "decimal"
    CURRENCY = "currency"
    CHARGE_TYPE = "charge_type"
    ENTITY = "entity"
    BOOLEAN = "boolean"


class Severity(StrEnum):
    ERROR = "error"
    """The row is rejected."""
    WARNING = "warning"
    """The row is accepted; the warning says what a person should still look at."""


class IssueCode(StrEnum):
    """Why a row (or a whole file) was rejected or accepted with a warning. Stable: match on it."""

    MISSING_COLUMN = "missing_column"
    UNKNOWN_COLUMN = "unknown_column"
    BAD_ROW = "bad_row"
    BAD_JSON = "bad_json"
    MISSING_VALUE = "missing_value"
    BAD_ID = "bad_id"
    BAD_VALUE = "bad_value"
    BAD_DATE = "bad_date"
    BAD_DECIMAL = "bad_decimal"
    FLOAT_IN_JSON = "float_in_json"
    BAD_BOOLEAN = "bad_boolean"
    UNKNOWN_CHARGE_TYPE = "unknown_charge_type"
    UNKNOWN_CURRENCY = "unknown_currency"
    UNKNOWN_ENTITY = "unknown_entity"
    PERIOD_REVERSED = "period_reversed"
    DUPLICATE_ID = "duplicate_id"
    CROSSWALK_OVERLAP = "crosswalk_overlap"
    UNKNOWN_INVOICE = "unknown_invoice"
    UNKNOWN_LINE = "unknown_line"
    CURRENCY_MISMATCH = "currency_mismatch"
    INCOMPLETE_INVOICE = "incomplete_invoice"
    INVOICE_REJECTED = "invoice_rejected"
    TOTALS_MISMATCH = "totals_mismatch"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a legacy file. `required`: the column must be there and never empty."""

    name: str
    kind: ColumnKind
    required: bool


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One legacy file: its base name, whether a directory must have it, and its columns."""

    name: str
    required: bool
    columns: tuple[ColumnSpec, ...]
    schema: pa.Schema

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)


def _columns(
    schema: pa.Schema, kinds: dict[str, ColumnKind], required: set[str]
) -> tuple[ColumnSpec, ...]:
    names = [name for name in schema.names if name != "system"]
    assert set(names) == set(kinds), f"column kinds do not cover {sorted(set(names) ^ set(kinds))}"
    return tuple(ColumnSpec(name, kinds[name], name in required) for name in names)


_INVOICE_KINDS: Final = {
    "invoice_id": ColumnKind.ID,
    "account_id": ColumnKind.ID,
    "period_start": ColumnKind.DATE,
    "period_end": ColumnKind.DATE,
    "bill_date": ColumnKind.DATE,
    "currency": ColumnKind.CURRENCY,
    "total_excluding_tax": ColumnKind.DECIMAL,
    "tax_total": ColumnKind.DECIMAL,
    "total_including_tax": ColumnKind.DECIMAL,
}
_LINE_KINDS: Final = {
    "invoice_id": ColumnKind.ID,
    "line_id": ColumnKind.ID,
    "account_id": ColumnKind.ID,
    "circuit_id": ColumnKind.ID,
    "product_id": ColumnKind.ID,
    "charge_type": ColumnKind.CHARGE_TYPE,
    "description": ColumnKind.TEXT,
    "period_start": ColumnKind.DATE,
    "period_end": ColumnKind.DATE,
    "quantity": ColumnKind.DECIMAL,
    "unit_price": ColumnKind.DECIMAL,
    "amount": ColumnKind.DECIMAL,
    "currency": ColumnKind.CURRENCY,
}
_TAX_KINDS: Final = {
    "invoice_id": ColumnKind.ID,
    "line_id": ColumnKind.ID,
    "jurisdiction_id": ColumnKind.ID,
    "tax_type": ColumnKind.ID,
    "tax_rate": ColumnKind.DECIMAL,
    "taxable_amount": ColumnKind.DECIMAL,
    "tax_amount": ColumnKind.DECIMAL,
    "exempt": ColumnKind.BOOLEAN,
    "currency": ColumnKind.CURRENCY,
}
_CROSSWALK_KINDS: Final = {
    "entity": ColumnKind.ENTITY,
    "legacy_id": ColumnKind.ID,
    "tollway_id": ColumnKind.ID,
    "valid_from": ColumnKind.DATE,
    "valid_to": ColumnKind.DATE,
}

INVOICES: Final = FileSpec(
    "invoices", True, _columns(INVOICE_SCHEMA, _INVOICE_KINDS, set(_INVOICE_KINDS)), INVOICE_SCHEMA
)
LINES: Final = FileSpec(
    "lines",
    True,
    _columns(
        LINE_SCHEMA,
        _LINE_KINDS,
        {"invoice_id", "line_id", "charge_type", "amount", "currency"},
    ),
    LINE_SCHEMA,
)
"""`account_id` may be left out (the invoice's account), `description` too (empty)."""
TAXES: Final = FileSpec(
    "taxes",
    False,
    _columns(
        TAX_SCHEMA,
        _TAX_KINDS,
        {"invoice_id", "jurisdiction_id", "tax_type", "tax_amount", "currency"},
    ),
    TAX_SCHEMA,
)
"""`exempt` may be left out: false."""
CROSSWALK: Final = FileSpec(
    "crosswalk",
    False,
    _columns(CROSSWALK_SCHEMA, _CROSSWALK_KINDS, {"entity", "legacy_id", "tollway_id"}),
    CROSSWALK_SCHEMA,
)

FILE_SPECS: Final = (INVOICES, LINES, TAXES, CROSSWALK)
"""In the order files are read, checked and reported."""

ISSUE_SCHEMA: Final = pa.schema(
    [
        pa.field("file", pa.string(), nullable=False),
        pa.field("row", pa.int64()),
        pa.field("field", pa.string()),
        pa.field("code", pa.string(), nullable=False),
        pa.field("message", pa.string(), nullable=False),
        pa.field("severity", pa.string(), nullable=False),
    ]
)
"""One problem found on import. `row` counts records as a spreadsheet shows them (a CSV header is
row 1, its first record row 2; in JSON Lines the line number); null for a whole-file problem.
`field` is the column, null when the problem is the whole row. `code` is an IssueCode value,
`severity` a Severity value."""
