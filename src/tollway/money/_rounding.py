"""Named rounding modes and rounding stages, and the decimal context tollway computes in.

Rounding happens only at named points (`RoundingStage`) with a named mode (`RoundingMode`).
`UP` and `DOWN` are away from zero and toward zero, so a credit rounds like the charge it mirrors.
"""

import decimal
from decimal import Decimal
from enum import StrEnum
from typing import Final

# 38 significant digits: the widest exact decimal DuckDB (and PostgreSQL NUMERIC casts) hold, so the
# reference maths and the engines agree. FloatOperation is trapped: a float mixed into a Decimal
# constructor or comparison raises instead of silently becoming 0.1000000000000000055...
MONEY_CONTEXT: Final = decimal.Context(
    prec=38,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[
        decimal.FloatOperation,
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
    ],
)


class RoundingMode(StrEnum):
    """How an amount is rounded to a number of decimals."""

    HALF_UP = "half_up"
    """0.5 goes away from zero (1.005 → 1.01). Lago, Kill Bill."""
    HALF_EVEN = "half_even"
    """0.5 goes to the even neighbour (banker's rounding; 1.005 → 1.00, 1.015 → 1.02)."""
    UP = "up"
    """Away from zero whenever anything is left over (1.001 → 1.01). CGRateS' `*up`."""
    DOWN = "down"
    """Toward zero: truncation (1.009 → 1.00)."""

    @property
    def decimal_rounding(self) -> str:
        return _DECIMAL_ROUNDING[self]


_DECIMAL_ROUNDING: Final[dict[RoundingMode, str]] = {
    RoundingMode.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingMode.UP: decimal.ROUND_UP,
    RoundingMode.DOWN: decimal.ROUND_DOWN,
}


class RoundingStage(StrEnum):
    """Where amounts are rounded to the currency's minor unit."""

    PER_INCREMENT = "per_increment"
    """Every breakdown step (tier, block, rating increment, event) is rounded, then summed."""
    PER_LINE = "per_line"
    """The unrounded breakdown is summed and the line's total is rounded once (Lago, Kill Bill)."""
    PER_INVOICE = "per_invoice"
    """Lines stay unrounded; only the invoice total is rounded."""


def round_decimal(value: Decimal, *, decimals: int, mode: RoundingMode) -> Decimal:
    """Round `value` to `decimals` places with `mode`.

    >>> round_decimal(Decimal("1.005"), decimals=2, mode=RoundingMode.HALF_UP)
    Decimal('1.01')
    >>> round_decimal(Decimal("1.005"), decimals=2, mode=RoundingMode.HALF_EVEN)
    Decimal('1.00')
    >>> round_decimal(Decimal("-1.001"), decimals=2, mode=RoundingMode.UP)
    Decimal('-1.01')
    """
    assert isinstance(value, Decimal), f"round_decimal needs a Decimal, got {type(value).__name__}"
    assert decimals >= 0, "decimals must not be negative"
    quantum = Decimal(1).scaleb(-decimals)
    return value.quantize(quantum, rounding=mode.decimal_rounding, context=MONEY_CONTEXT)


def plain_decimal(value: Decimal) -> Decimal:
    """The same value without trailing zeros and never in exponent form, for display and storage.

    >>> plain_decimal(Decimal("120.400000000")), plain_decimal(Decimal("100.000000000"))
    (Decimal('120.4'), Decimal('100'))
    >>> plain_decimal(Decimal("0E-9"))
    Decimal('0')
    """
    assert isinstance(value, Decimal), "plain_decimal needs a Decimal"
    # MONEY_CONTEXT's 38 digits hold any DECIMAL(38, s) exactly; the default context's 28 do not.
    if value == value.to_integral_value():
        return value.quantize(Decimal(1), context=MONEY_CONTEXT)
    return value.normalize(context=MONEY_CONTEXT)
