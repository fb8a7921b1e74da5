"""Row-level helpers of the legacy simulator: exact arithmetic in a currency, calendar months,
legacy ids, and Arrow tables to and from row dictionaries.

The simulator works on plain row dictionaries (a generated cycle is thousands of lines, not
millions); every amount stays a Decimal and is rounded only here, at the currency's minor unit,
half up, the way the simulated legacy system rounds.
"""

import calendar
from datetime import date
from decimal import Decimal, localcontext
from typing import Any, Final, TypeAlias

import pyarrow as pa

from tollway.money import MONEY_CONTEXT, RoundingMode, currency, plain_decimal, round_decimal

Row: TypeAlias = dict[str, Any]
"""One table row as a dictionary (Arrow's `to_pylist` shape): Decimals, dates, strings."""

STORED_QUANTUM: Final = Decimal("1e-9")
"""DECIMAL(38, 9): every amount, rate and quantity the tables hold has at most 9 places."""
LEGACY_PREFIX: Final = "LEG-"
"""Legacy ids are tollway's with this prefix (the cross-walk says so, row by row)."""
REKEYED_PREFIX: Final = "LEGR-"
"""The legacy id an entity re-keyed mid-run carries from the re-key date on."""
LEGACY_ROUNDING: Final = RoundingMode.HALF_UP
"""How the simulated legacy system rounds its own exact results to the currency's minor unit."""


def rows_of(table: pa.Table) -> list[Row]:
    return table.to_pylist()  # type: ignore[no-any-return]


def table_of(rows: list[Row], schema: pa.Schema, *, sort_keys: tuple[str, ...]) -> pa.Table:
    """`rows` as a table of `schema`, in a stable order (same inputs, same bytes)."""
    ordered = sorted(rows, key=lambda row: tuple(_sortable(row[key]) for key in sort_keys))
    return pa.Table.from_pylist(ordered, schema=schema)


def _sortable(value: object) -> tuple[int, str]:
    return (0, "") if value is None else (1, str(value))


def stored(value: Decimal) -> Decimal:
    """`value` at the tables' 9 places, half even (a ratio may have more places)."""
    return value.quantize(STORED_QUANTUM, context=MONEY_CONTEXT)


def minor_unit(currency_code: str) -> Decimal:
    """One minor unit of the currency: 0.01 USD, 1 JPY, 0.001 BHD."""
    return currency(currency_code).minor_unit


def minor_units(currency_code: str) -> int:
    """The currency's number of decimals."""
    return currency(currency_code).minor_units


def currency_round(value: Decimal, currency_code: str) -> Decimal:
    """`value` rounded half up to the currency's minor unit (how legacy rounds exact results).

    >>> currency_round(Decimal("1.005"), "USD"), currency_round(Decimal("2.5"), "JPY")
    (Decimal('1.01'), Decimal('3'))
    """
    return round_decimal(value, decimals=minor_units(currency_code), mode=LEGACY_ROUNDING)


def scaled(value: Decimal, *, numerator: Decimal, denominator: Decimal) -> Decimal:
    """value × numerator / denominator, exact to 38 digits (no rounding to a currency)."""
    assert denominator != 0, "scaling by a zero denominator"
    with localcontext(MONEY_CONTEXT):
        return value * numerator / denominator


def product(left: Decimal, right: Decimal) -> Decimal:
    """left × right, exact to 38 digits."""
    with localcontext(MONEY_CONTEXT):
        return left * right


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (earlier when negative), clamped to the
    month's last day.

    >>> add_months(date(2026, 3, 31), -1), add_months(date(2026, 12, 15), 1)
    (datetime.date(2026, 2, 28), datetime.date(2027, 1, 15))
    """
    index = day.year * 12 + day.month - 1 + months
    year, month_index = divmod(index, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


def is_whole_month(start: date | None, end: date | None) -> bool:
    """True when [start, end) is exactly one calendar month (an anniversary month included)."""
    return start is not None and end is not None and end == add_months(start, 1)


def is_partial_month(start: date | None, end: date | None) -> bool:
    """True when [start, end) is shorter than the calendar month that starts with it."""
    return start is not None and end is not None and start < end < add_months(start, 1)


def legacy_id(tollway_id: str) -> str:
    return f"{LEGACY_PREFIX}{tollway_id}"


def shown(value: Decimal | None) -> str:
    """A Decimal for a note: no trailing zeros, never an exponent."""
    return "none" if value is None else str(plain_decimal(value))
