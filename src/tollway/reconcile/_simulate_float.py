"""The one place in tollway where money meets binary floating point, on purpose.

Many legacy billing systems multiply quantity by rate in IEEE-754 doubles and round the result
with their language's round(). The simulator reproduces that to inject genuine float-rounding
differences: a product that is exactly halfway in decimal (1.005) is a hair below halfway in binary
(1.00499999999999989...), so the legacy system rounds it down where tollway's exact half-up rounding
goes up. Nothing outside the simulator may call this: tollway itself never computes with floats.
"""

import decimal
from decimal import Decimal

from tollway.money import MONEY_CONTEXT


def legacy_float_amount(quantity: Decimal, rate: Decimal, *, decimals: int) -> Decimal:
    """`float(quantity) * float(rate)` rounded with Python's round() to `decimals` places, as a
    Decimal: what a float-based legacy system bills.

    >>> legacy_float_amount(Decimal("78.25"), Decimal("0.06"), decimals=2)  # exact: 4.695
    Decimal('4.69')
    >>> legacy_float_amount(Decimal("3"), Decimal("0.335"), decimals=2)  # exact: 1.005
    Decimal('1.01')
    """
    # The simulator deliberately mixes floats into the arithmetic (that is the legacy behaviour
    # it reproduces); FloatOperation is trapped everywhere else (pytest, MONEY_CONTEXT), so the
    # trap is lifted for this block only, in a local context that ends with it.
    with decimal.localcontext(MONEY_CONTEXT) as context:
        context.traps[decimal.FloatOperation] = False
        binary = round(float(quantity) * float(rate), decimals)
        return Decimal(binary).quantize(Decimal(1).scaleb(-decimals))
