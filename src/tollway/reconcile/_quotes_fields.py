"""The flat quote row and the checks on its fields.

Both encodings of a quote file come down to flat rows, one per item price (or per item without a
price), with the columns of the CSV variant: the CSV file is read as it is, a JSON order is taken
apart into such rows (`_quotes_json`), each field remembering where it came from (a CSV column, a
JSON path) so a problem names what a person must fix. `FieldReader` reads one row's fields into
typed values and collects every problem; nothing here decides whether a row is accepted.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar

from tollway.money import UnknownCurrencyError, currency
from tollway.reconcile._quotes_model import QuoteIssueCode

ORDER_COLUMNS: Final = (
    "order_id",
    "order_date",
    "billing_account_id",
    "currency",
    "expected_first_invoice_total",
)
ITEM_COLUMNS: Final = (
    "item_id",
    "action",
    "quantity",
    "product_offering_id",
    "circuit_id",
    "bandwidth_mbps",
    "term_months",
    "term_start",
)
PRICE_COLUMNS: Final = (
    "price_type",
    "product_offering_price_id",
    "recurring_charge_period",
    "unit_price",
    "amount",
    "tax_included_amount",
    "tax_treatment",
    "tax_rate_percent",
    "tax_jurisdiction_id",
    "discount_percent",
    "discount_amount",
    "discount_periods",
)
QUOTE_COLUMNS: Final = ORDER_COLUMNS + ITEM_COLUMNS + PRICE_COLUMNS
"""The columns of the flat (CSV) variant, in the order a written file has them."""
REQUIRED_COLUMNS: Final = ("order_id", "order_date", "billing_account_id", "item_id", "action")
"""Columns a CSV file must have (the others may be left out when never used)."""

ID_LENGTH_MAX: Final = 200
"""Characters in an id; a longer one is a column mix-up, not an id."""
AMOUNT_PLACES_MAX: Final = 9
"""Decimal places of an amount, rate or percentage (the interchange tables' DECIMAL(38, 9))."""
AMOUNT_INTEGER_DIGITS_MAX: Final = 20
"""Digits before the point: 10^20 is far beyond any quote, and well inside DECIMAL(38, 9)."""
COUNT_MAX: Final = 100_000
"""The largest quantity, term in months or discount duration a row may give."""
VALUE_SHOWN_CHARACTERS_MAX: Final = 40
"""How much of an offending value a message quotes."""

Choice = TypeVar("Choice", bound=StrEnum)

_DECIMAL_TEXT: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_INTEGER_TEXT: Final = re.compile(r"[0-9]+")
_DATE_TEXT: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T.+)?")


@dataclass(frozen=True, slots=True)
class FlatRow:
    """One flat row before any check: raw values by column (None or "" when empty), where each
    came from, the `row` issues name, and the keys that group rows into orders and items (a CSV
    row is grouped by its ids; a JSON order by its record and item position)."""

    row: int
    values: Mapping[str, object]
    locations: Mapping[str, str]
    order_key: str
    item_key: str


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a row: the field (a column or JSON path; None for the whole row)."""

    field: str | None
    code: QuoteIssueCode
    message: str


def shown(value: object) -> str:
    """`value` quoted for a message, cut at VALUE_SHOWN_CHARACTERS_MAX characters."""
    text = str(value)
    if len(text) > VALUE_SHOWN_CHARACTERS_MAX:
        text = text[:VALUE_SHOWN_CHARACTERS_MAX] + "…"
    return f'"{text}"'


@dataclass(slots=True)
class FieldReader:
    """Reads typed values out of one flat row, collecting a `Problem` for every bad field.

    Each reader returns None for an empty field (and records `missing_value` when the field is
    required) or for a bad one (recording why), so the caller can go on and report every problem
    of the row at once.
    """

    flat: FlatRow
    problems: list[Problem] = field(default_factory=list)

    def where(self, column: str) -> str:
        return self.flat.locations.get(column, column)

    def fail(self, column: str | None, code: QuoteIssueCode, message: str) -> None:
        location = None if column is None else self.where(column)
        prefix = "" if location is None else f"{location}: "
        self.problems.append(Problem(location, code, prefix + message))

    def raw(self, column: str, *, required: bool = False) -> object | None:
        value = self.flat.values.get(column)
        if value is None or value == "":
            if required:
                self.fail(column, QuoteIssueCode.MISSING_VALUE, "required, but empty")
            return None
        return value

    def is_given(self, column: str) -> bool:
        return self.flat.values.get(column) not in (None, "")

    def text_id(self, column: str, *, required: bool = False) -> str | None:
        value = self.raw(column, required=required)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or value != value.strip() or len(value) > ID_LENGTH_MAX:
            self.fail(
                column,
                QuoteIssueCode.BAD_ID,
                f"{shown(value)} is not an id (text without leading or trailing spaces, at most "
                f"{ID_LENGTH_MAX} characters)",
            )
            return None
        return value

    def day(self, column: str, *, required: bool = False) -> date | None:
        value = self.raw(column, required=required)
        if value is None:
            return None
        if isinstance(value, str) and _DATE_TEXT.fullmatch(value):
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                pass
        self.fail(
            column,
            QuoteIssueCode.BAD_DATE,
            f"{shown(value)} is not a date written YYYY-MM-DD (a date-time counts by its date)",
        )
        return None

    def decimal(
        self,
        column: str,
        *,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
        required: bool = False,
    ) -> Decimal | None:
        value = self.raw(column, required=required)
        if value is None:
            return None
        number = _decimal_of(value)
        if number is None:
            self.fail(
                column,
                QuoteIssueCode.BAD_DECIMAL,
                f"{shown(value)} is not a decimal number such as 1234.50 (no exponent, spaces, "
                f"plus sign or thousands separators; at most {AMOUNT_PLACES_MAX} decimal places)",
            )
            return None
        return self._within(column, number, minimum=minimum, maximum=maximum)

    def integer(self, column: str, *, minimum: int = 1, required: bool = False) -> int | None:
        value = self.raw(column, required=required)
        if value is None:
            return None
        number = _integer_of(value)
        if number is None:
            self.fail(column, QuoteIssueCode.BAD_INTEGER, f"{shown(value)} is not a whole number")
            return None
        if not minimum <= number <= COUNT_MAX:
            self.fail(
                column,
                QuoteIssueCode.OUT_OF_RANGE,
                f"{number} is outside {minimum} to {COUNT_MAX}",
            )
            return None
        return number

    def choice(self, column: str, kind: type[Choice], *, required: bool = False) -> Choice | None:
        value = self.raw(column, required=required)
        if value is None:
            return None
        for member in kind:
            if value == member.value:
                return member
        allowed = ", ".join(member.value for member in kind)
        self.fail(column, QuoteIssueCode.BAD_VALUE, f"{shown(value)} is not one of {allowed}")
        return None

    def currency_code(self, column: str, *, required: bool = False) -> str | None:
        value = self.raw(column, required=required)
        if value is None:
            return None
        try:
            if not isinstance(value, str) or value != value.strip().upper():
                raise UnknownCurrencyError(str(value))
            return currency(value).code
        except UnknownCurrencyError:
            self.fail(
                column,
                QuoteIssueCode.UNKNOWN_CURRENCY,
                f"{shown(value)} is not an active ISO 4217 currency code in capitals, such as USD",
            )
            return None

    def _within(
        self,
        column: str,
        number: Decimal,
        *,
        minimum: Decimal | None,
        maximum: Decimal | None,
    ) -> Decimal | None:
        too_small = minimum is not None and number < minimum
        too_large = maximum is not None and number > maximum
        if too_small or too_large:
            bounds = f"from {minimum}" if minimum is not None else ""
            bounds += f" to {maximum}" if maximum is not None else " or more"
            self.fail(column, QuoteIssueCode.OUT_OF_RANGE, f"{number} must be {bounds.strip()}")
            return None
        return number


def _decimal_of(value: object) -> Decimal | None:
    """An exact Decimal of a text, a JSON integer or a JSON number read as Decimal; None when it
    is not one, or has more places or digits than an amount may."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        number = Decimal(value)
    else:
        return None
    if not number.is_finite():
        return None
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > AMOUNT_PLACES_MAX or abs(number) >= Decimal(10) ** AMOUNT_INTEGER_DIGITS_MAX:
        return None
    return number


def _integer_of(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None
