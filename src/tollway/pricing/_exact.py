"""Exact arithmetic for the pricing core: nothing is rounded except at a named point.

`MONEY_CONTEXT` holds 38 significant digits and silently rounds a result that needs more (the
default context keeps only 28). A price is rounded only where the conventions name it, so the core
adds, subtracts and multiplies through these helpers, which refuse a result 38 digits cannot hold
with a `UsageError` (the definition's own numbers are bounded at the schema, see `_limits`, so it is
the usage that went too far). Whole packages, blocks and increments are counted by integer
division, never by rounding a quotient.

A cost no decimal holds (1 s at 0.10 per 60 s is 0.001666...) stays an exact `Fraction` until
`decimal_amounts` turns a list of costs into amounts that add up to their exact total rounded once
to 38 significant digits, so a sum of such costs never lands a hair off a half-cent tie.
"""

import decimal
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Final, TypeAlias

from tollway.money import MONEY_CONTEXT, RoundingMode, round_decimal
from tollway.pricing._errors import UsageError

significant_digits_max: Final = MONEY_CONTEXT.prec

_EXACT: Final = MONEY_CONTEXT.copy()
_EXACT.traps[decimal.Inexact] = True

_BEYOND_EXACT: Final = (decimal.Inexact, decimal.Overflow)
"""What a finite result signals when 38 digits (or the exponent range) cannot hold it exactly."""

# A cost kept as a Fraction lies within these. Numbers within the pricing limits (at most 10^24,
# 12 decimals) give costs between 10^-45 and 10^48; anything beyond is refused (no amount above
# 10^24 is ever priced, and a cost below 10^-76 only comes from numbers far outside the limits),
# which keeps every Fraction's numerator and denominator small.
_fraction_magnitude_max: Final = Decimal(10) ** (2 * significant_digits_max)
_fraction_magnitude_min: Final = Decimal(10) ** -(2 * significant_digits_max)

Cost: TypeAlias = Decimal | Fraction
"""An exact cost: a Decimal when one holds it, else the Fraction it is."""


def _too_long(operation: str) -> UsageError:
    return UsageError(
        f"{operation} needs more than {significant_digits_max} significant digits to stay exact; "
        "tollway never rounds an amount at an unnamed point, so this usage cannot be priced "
        "(check for quantities or prices far beyond what is billed, or with very many decimals)"
    )


def exact_add(left: Decimal, right: Decimal) -> Decimal:
    """`left + right`, refused rather than rounded when 38 digits cannot hold it.

    >>> exact_add(Decimal("0.4999999999999999999999999999999"), Decimal(1))
    Decimal('1.4999999999999999999999999999999')
    """
    try:
        return _EXACT.add(left, right)
    except _BEYOND_EXACT:
        raise _too_long(f"{left} + {right}") from None


def exact_subtract(left: Decimal, right: Decimal) -> Decimal:
    """`left - right`, refused rather than rounded when 38 digits cannot hold it."""
    try:
        return _EXACT.subtract(left, right)
    except _BEYOND_EXACT:
        raise _too_long(f"{left} - {right}") from None


def exact_multiply(left: Decimal, right: Decimal) -> Decimal:
    """`left × right`, refused rather than rounded when 38 digits cannot hold it.

    >>> exact_multiply(Decimal("0.5"), Decimal("0.0099999999999999999999999999999"))
    Decimal('0.00499999999999999999999999999995')
    """
    try:
        return _EXACT.multiply(left, right)
    except _BEYOND_EXACT:
        raise _too_long(f"{left} × {right}") from None


def exact_divide(dividend: Decimal, divisor: Decimal) -> Decimal:
    """`dividend / divisor` for a quotient known to terminate (a percentage: a division by 100)."""
    assert divisor != 0, "exact_divide by zero"
    try:
        return _EXACT.divide(dividend, divisor)
    except _BEYOND_EXACT:
        raise _too_long(f"{dividend} / {divisor}") from None


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The sum of `values`, every digit kept (refused rather than rounded beyond 38 digits).

    >>> exact_sum([Decimal("0.0049999999999999999999999999999"), Decimal(1)])
    Decimal('1.0049999999999999999999999999999')
    """
    total = Decimal(0)
    for value in values:
        total = exact_add(total, value)
    return total


def whole_divisions(quantity: Decimal, size: Decimal, *, round_up: bool) -> Decimal:
    """How many `size`s fit in `quantity` (>= 0), a partial one counted when `round_up`.

    Integer division and remainder are exact, unlike a rounded quotient.

    >>> whole_divisions(Decimal("250"), Decimal("100"), round_up=True)
    Decimal('3')
    >>> whole_divisions(Decimal("250"), Decimal("100"), round_up=False)
    Decimal('2')
    """
    assert quantity >= 0 and size > 0
    try:
        whole = _EXACT.divide_int(quantity, size)
        if round_up and _EXACT.remainder(quantity, size) != 0:
            whole = _EXACT.add(whole, 1)
    except (*_BEYOND_EXACT, decimal.InvalidOperation):
        # InvalidOperation: the integer quotient itself has more than 38 digits.
        raise _too_long(f"{quantity} / {size}") from None
    return whole


def decimals_of(value: Decimal) -> int:
    """How many decimals `value` needs, trailing zeros not counted.

    >>> decimals_of(Decimal("0.10")), decimals_of(Decimal("1E+3")), decimals_of(Decimal("2.125"))
    (1, 0, 3)
    """
    assert value.is_finite()
    if value == 0:
        return 0
    digits, exponent = value.as_tuple().digits, value.as_tuple().exponent
    assert isinstance(exponent, int)
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


# --- rational costs -----------------------------------------------------------------------------


def exact_quotient(dividend: Decimal, divisor: Decimal) -> Cost:
    """`dividend / divisor` exactly: a Decimal when one holds it, else the Fraction.

    >>> exact_quotient(Decimal("0.30"), Decimal(60))
    Decimal('0.005')
    >>> exact_quotient(Decimal("0.10"), Decimal(60))
    Fraction(1, 600)
    """
    assert divisor != 0, "exact_quotient by zero"
    try:
        return _EXACT.divide(dividend, divisor)
    except _BEYOND_EXACT:
        pass
    try:
        approximate = MONEY_CONTEXT.divide(dividend, divisor).copy_abs()
    except decimal.Overflow:
        approximate = _fraction_magnitude_max
    if not _fraction_magnitude_min <= approximate < _fraction_magnitude_max:
        raise _too_long(f"{dividend} / {divisor}")
    return Fraction(dividend) / Fraction(divisor)


def round_cost(value: Cost, *, decimals: int, mode: RoundingMode) -> Decimal:
    """Round an exact cost to `decimals` places with a named mode, from its exact value.

    >>> round_cost(Fraction(1, 240), decimals=3, mode=RoundingMode.HALF_UP)
    Decimal('0.004')
    >>> round_cost(Fraction(1, 200), decimals=2, mode=RoundingMode.HALF_EVEN)
    Decimal('0.00')
    """
    if isinstance(value, Decimal):
        try:
            return round_decimal(value, decimals=decimals, mode=mode)
        except decimal.InvalidOperation:
            # The rounded value itself has more than 38 digits.
            raise _too_long(f"{value} rounded to {decimals} decimals") from None
    scaled = value * 10**decimals
    whole = math.trunc(scaled)
    rest = abs(scaled - whole)
    if rest and _rounds_away(rest, odd=whole % 2 == 1, mode=mode):
        whole += 1 if scaled > 0 else -1
    try:
        return Decimal(whole).scaleb(-decimals, context=_EXACT)
    except _BEYOND_EXACT:
        raise _too_long(f"{value} rounded to {decimals} decimals") from None


def _rounds_away(rest: Fraction, *, odd: bool, mode: RoundingMode) -> bool:
    """Whether a value `rest` (0 < rest < 1) past a whole number rounds away from zero."""
    half = Fraction(1, 2)
    if mode is RoundingMode.UP:
        return True
    if mode is RoundingMode.DOWN:
        return False
    if mode is RoundingMode.HALF_UP:
        return rest >= half
    return rest > half or (rest == half and odd)


def decimal_amounts(costs: Sequence[Cost]) -> list[Decimal]:
    """Decimal amounts for non-negative exact costs, adding up to their exact total.

    Decimal costs are kept as they are. When some cost is a Fraction, every running total is the
    exact running total rounded half-even at one exponent (38 significant digits of the whole
    total), and each amount is the step between two running totals: the amounts then add up to
    the exact total rounded once, and each differs from its cost by less than that last digit.

    >>> amounts = decimal_amounts([Fraction(1, 600)] * 3)  # three 1 s calls at 0.10 per 60 s
    >>> amounts[0]
    Decimal('0.0016666666666666666666666666666666666667')
    >>> exact_sum(amounts)
    Decimal('0.0050000000000000000000000000000000000000')
    """
    assert all(cost >= 0 for cost in costs), "decimal_amounts takes non-negative costs"
    if all(isinstance(cost, Decimal) for cost in costs):
        return [cost for cost in costs if isinstance(cost, Decimal)]
    total = sum((Fraction(cost) for cost in costs), Fraction(0))
    exponent = _exponent_for(total)
    per_unit = Fraction(10) ** -exponent
    amounts: list[Decimal] = []
    running = Fraction(0)
    previous_units = 0
    for cost in costs:
        running += Fraction(cost)
        units = round(running * per_unit)
        step = Decimal(units - previous_units).scaleb(exponent, context=MONEY_CONTEXT)
        amounts.append(cost if isinstance(cost, Decimal) and cost == step else step)
        previous_units = units
    return amounts


def _exponent_for(total: Fraction) -> int:
    """The exponent of the last of 38 significant digits of `total` (> 0)."""
    assert total > 0, "a Fraction cost is never zero"
    approximate = MONEY_CONTEXT.divide(Decimal(total.numerator), Decimal(total.denominator))
    return approximate.adjusted() - (significant_digits_max - 1)
