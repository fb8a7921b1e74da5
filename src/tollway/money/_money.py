"""`Money`: an exact amount in one ISO 4217 currency.

An amount is a `Decimal` built from a string, an int or a Decimal, never from a float. It may carry
more decimals than the currency's minor unit (a precise, unrounded rated amount, as Lago keeps beside
the rounded fee); `rounded()` brings it to the minor unit with a named mode, and only rounded amounts
convert to integer minor units for storage.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Self, TypeAlias

from tollway.money._currency import Currency, currency
from tollway.money._errors import CurrencyMismatchError, FloatNotAllowedError, InvalidAmountError
from tollway.money._rounding import MONEY_CONTEXT, RoundingMode, round_decimal

DecimalLike: TypeAlias = Decimal | int | str
"""What an amount, rate or quantity may be built from: never a float."""


def to_decimal(value: object, *, field: str = "amount") -> Decimal:
    """Convert a user-supplied number to an exact, finite Decimal, naming `field` if it is unusable.

    >>> to_decimal("12.50")
    Decimal('12.50')
    >>> to_decimal(0.1)
    Traceback (most recent call last):
    ...
    tollway.money._errors.FloatNotAllowedError: amount: 0.1 is a float; give it as a string such as "0.1"
    """
    if isinstance(value, float):
        raise FloatNotAllowedError(
            f'{field}: {value!r} is a float; give it as a string such as "{value!r}"'
        )
    if isinstance(value, bool):
        raise InvalidAmountError(f"{field}: {value!r} is a boolean, not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise InvalidAmountError(f"{field}: {value!r} is not a number") from None
    else:
        raise InvalidAmountError(f"{field}: {value!r} ({type(value).__name__}) is not a number")
    if not result.is_finite():
        raise InvalidAmountError(f"{field}: {value!r} is not a finite number")
    return result


def _as_currency(value: Currency | str) -> Currency:
    return value if isinstance(value, Currency) else currency(value)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency.

    >>> price = Money.of("19.99", "USD")
    >>> (price * 3).amount
    Decimal('59.97')
    >>> Money.of("10", "JPY") + Money.of("0.5", "JPY")
    Money(amount=Decimal('10.5'), currency=JPY)
    >>> Money.of("1.0005", "BHD").rounded(RoundingMode.HALF_UP).to_minor()
    1001
    """

    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        assert isinstance(self.amount, Decimal), "Money.amount must be a Decimal (use Money.of)"
        assert self.amount.is_finite(), "Money.amount must be finite"
        assert isinstance(self.currency, Currency), "Money.currency must be a Currency"

    def __repr__(self) -> str:
        return f"Money(amount={self.amount!r}, currency={self.currency.code})"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency.code}"

    @classmethod
    def of(cls, amount: DecimalLike, currency_code: Currency | str) -> Self:
        return cls(to_decimal(amount), _as_currency(currency_code))

    @classmethod
    def zero(cls, currency_code: Currency | str) -> Self:
        return cls(Decimal(0), _as_currency(currency_code))

    @classmethod
    def from_minor(cls, amount_minor: int, currency_code: Currency | str) -> Self:
        """Build from integer minor units: `from_minor(1234, "USD")` is 12.34 USD."""
        assert isinstance(amount_minor, int) and not isinstance(amount_minor, bool)
        found = _as_currency(currency_code)
        return cls(Decimal(amount_minor).scaleb(-found.minor_units), found)

    def to_minor(self) -> int:
        """The amount in integer minor units; the amount must already be rounded."""
        if not self.is_rounded:
            raise InvalidAmountError(
                f"{self} has more decimals than {self.currency.code}'s {self.currency.minor_units}; "
                "round it first"
            )
        return int(self.amount.scaleb(self.currency.minor_units))

    @property
    def is_rounded(self) -> bool:
        """True when the amount is a whole number of minor units."""
        scaled = self.amount.scaleb(self.currency.minor_units)
        return scaled == scaled.to_integral_value()

    def rounded(self, mode: RoundingMode, *, decimals: int | None = None) -> "Money":
        """Round to the currency's minor unit (or to `decimals` places) with a named mode."""
        places = self.currency.minor_units if decimals is None else decimals
        return Money(round_decimal(self.amount, decimals=places, mode=mode), self.currency)

    def _same_currency(self, other: "Money", operation: str) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {operation} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot {operation} {self.currency.code} and {other.currency.code} amounts"
            )

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other, "add")
        return Money(MONEY_CONTEXT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other, "subtract")
        return Money(MONEY_CONTEXT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> "Money":
        # copy_negate is exact; unary minus would round to the thread's context (28 digits).
        return Money(self.amount.copy_negate(), self.currency)

    def __abs__(self) -> "Money":
        return Money(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: Decimal | int) -> "Money":
        if isinstance(factor, float):
            raise FloatNotAllowedError("cannot multiply Money by a float; use a Decimal")
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            return NotImplemented
        return Money(MONEY_CONTEXT.multiply(self.amount, Decimal(factor)), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: "Money") -> bool:
        self._same_currency(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: "Money") -> bool:
        self._same_currency(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: "Money") -> bool:
        self._same_currency(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: "Money") -> bool:
        self._same_currency(other, "compare")
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def allocate(self, weights: Sequence[DecimalLike], mode: RoundingMode) -> tuple["Money", ...]:
        """Split a rounded amount by weights into rounded parts that sum exactly to it.

        Each part is rounded with `mode`; the minor units left over are handed out one at a time
        to the parts with the largest remainders, earliest first (deterministic).

        >>> [str(m) for m in Money.of("100", "USD").allocate(["1", "1", "1"], RoundingMode.DOWN)]
        ['33.34 USD', '33.33 USD', '33.33 USD']
        """
        decimals = [to_decimal(weight, field="weight") for weight in weights]
        assert decimals, "allocate needs at least one weight"
        assert all(weight >= 0 for weight in decimals) and sum(decimals) > 0
        assert self.is_rounded, "allocate splits a rounded amount"
        total_weight = sum(decimals, Decimal(0))
        exact = [MONEY_CONTEXT.divide(self.amount * weight, total_weight) for weight in decimals]
        parts = [
            round_decimal(value, decimals=self.currency.minor_units, mode=mode) for value in exact
        ]
        leftover_minor = int(
            (self.amount - sum(parts, Decimal(0))).scaleb(self.currency.minor_units)
        )
        step = self.currency.minor_unit if leftover_minor > 0 else -self.currency.minor_unit
        order = sorted(
            range(len(parts)), key=lambda index: (-(abs(exact[index] - parts[index])), index)
        )
        for index in order[: abs(leftover_minor)]:
            parts[index] += step
        result = tuple(Money(part, self.currency) for part in parts)
        assert sum((part.amount for part in result), Decimal(0)) == self.amount
        return result


def sum_money(amounts: Sequence[Money], currency_code: Currency | str) -> Money:
    """Sum amounts of one currency; an empty sequence sums to zero of `currency_code`."""
    total = Money.zero(currency_code)
    for amount in amounts:
        total = total + amount
    return total
