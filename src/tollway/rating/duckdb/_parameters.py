"""The numbers of a definition as the SQL holds them: checked to fit the engine's decimals."""

from decimal import Decimal
from typing import Any, Final

from tollway.money import MONEY_CONTEXT
from tollway.rating.duckdb._sql import VALUE_DECIMALS

magnitude_max: Final = Decimal(10) ** 14
"""Every number of a definition rated in SQL stays below this (and every line amount too)."""
increment_price_decimals_max: Final = 24

Rows = dict[str, list[dict[str, Any]]]
"""Parameter table rows by table name."""


class NotExact(Exception):
    """A definition number the SQL cannot hold exactly: the price goes to the reference rater."""


def value(number: Decimal | None, *, field: str, decimals: int = VALUE_DECIMALS) -> Decimal | None:
    """`number` if the SQL holds it exactly at `decimals` decimals below `magnitude_max`."""
    if number is None:
        return None
    if not number.is_finite() or abs(number) >= magnitude_max:
        raise NotExact(f"{field} {number} is beyond the engine's range (below 10^14)")
    quantum = Decimal(1).scaleb(-decimals)
    if number.quantize(quantum, context=MONEY_CONTEXT) != number:
        raise NotExact(f"{field} {number} has more than {decimals} decimals")
    return number


def units(number: Decimal, *, field: str) -> Decimal:
    """A positive size as the integer count of 10^-12 units (for integer division in SQL)."""
    checked = value(number, field=field)
    assert checked is not None
    return checked.scaleb(VALUE_DECIMALS).to_integral_value()
