"""How large and how fine the numbers tollway prices may be.

- Every number of a price definition (prices, rates, fees, bounds, sizes, commitments): at most
  10^24 in absolute value and at most 12 decimals. Checked where a definition is read
  (`schema.ExactDecimal`), naming the field.
- Every usage quantity and transaction amount: at most 10^24 and at most 9 decimals; a unit price
  carried by a record: at most 10^24 and 12 decimals. Checked by `price()`, naming the record.
- Every amount priced, line by line and in total: at most 10^24. Checked by `finalize`.

Why these: 10^24 with 12 decimals is 37 digits, so a definition's numbers fit the DECIMAL(38, 12)
columns the DuckDB engine and storage keep prices in, and usage fits DECIMAL(38, 9) as the usage
store keeps it, each with room for sums; an amount of at most 10^24 rounded to a currency's (at
most 4) decimals stays within 38 digits. 10^24 is far beyond any real tariff, usage or invoice, so
a larger number is a mistake (a unit slip, a corrupted record) to refuse, not to price. The limits
do not make every product fit 38 digits (10^24 × 10^24 does not): the core's arithmetic refuses
a result it cannot hold exactly (`_exact`) instead of rounding it.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from tollway.pricing._errors import UsageError
from tollway.pricing._exact import decimals_of
from tollway.pricing._usage import UsageEvent, describe_record

magnitude_max: Final = Decimal(10) ** 24
"""The largest absolute value of any number priced: definition numbers, usage, amounts."""
definition_decimals_max: Final = 12
"""Decimals a price definition's numbers may have (DECIMAL(38, 12))."""
usage_decimals_max: Final = 9
"""Decimals a usage quantity or transaction amount may have (DECIMAL(38, 9), as stored)."""
record_unit_price_decimals_max: Final = 12
"""Decimals a unit price carried by a usage record may have (a price: DECIMAL(38, 12))."""

_magnitude_words: Final = "10^24"


def limit_problem(value: Decimal, *, decimals_max: int) -> str | None:
    """What is wrong with `value` against the limits, or None when it is within them.

    >>> limit_problem(Decimal("1e40"), decimals_max=12)
    'must be at most 10^24 in absolute value'
    >>> limit_problem(Decimal("0.0000000000001"), decimals_max=12)
    'must have at most 12 decimals (it has 13)'
    >>> limit_problem(Decimal("0.10000000000000"), decimals_max=12) is None
    True
    """
    if value.copy_abs() > magnitude_max:
        return f"must be at most {_magnitude_words} in absolute value"
    decimals = decimals_of(value)
    if decimals > decimals_max:
        return f"must have at most {decimals_max} decimals (it has {decimals})"
    return None


def check_quantity(quantity: Decimal) -> None:
    """A bare usage quantity handed to `price()`: within the usage limits, else a UsageError."""
    problem = limit_problem(quantity, decimals_max=usage_decimals_max)
    if problem is not None:
        raise UsageError(f"quantity {quantity} {problem}")


def check_usage(events: Sequence[UsageEvent]) -> None:
    """Every record's numbers within the usage limits, else a UsageError naming the record."""
    for index, event in enumerate(events):
        for field, value, decimals_max in (
            ("quantity", event.quantity, usage_decimals_max),
            ("amount", event.amount, usage_decimals_max),
            ("unit_price", event.unit_price, record_unit_price_decimals_max),
        ):
            if value is None:
                continue
            problem = limit_problem(value, decimals_max=decimals_max)
            if problem is not None:
                raise UsageError(f"{describe_record(event, index)}: {field} {value} {problem}")


def check_amount(amount: Decimal) -> None:
    """A priced amount within 10^24, else a UsageError: the usage priced to more than that."""
    if amount.copy_abs() > magnitude_max:
        raise UsageError(
            f"amount {amount} is beyond what tollway prices: an amount must be at most "
            f"{_magnitude_words} in absolute value (check the usage and the price for a unit slip)"
        )
