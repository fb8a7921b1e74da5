"""Typed errors of the money package: expected mistakes a user can act on, each with a stable code."""


class TollwayError(Exception):
    """Base of every expected, user-actionable tollway error.

    `code` is stable (safe to match on, log and show); the message says what to fix.
    Programming errors are `AssertionError`s instead and never derive from this class.
    """

    code: str = "tollway_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownCurrencyError(TollwayError):
    code = "unknown_currency"


class CurrencyMismatchError(TollwayError):
    code = "currency_mismatch"


class FloatNotAllowedError(TollwayError, TypeError):
    """A float reached an amount, rate or billed quantity. Use a string, int or Decimal."""

    code = "float_not_allowed"


class InvalidAmountError(TollwayError, ValueError):
    code = "invalid_amount"
