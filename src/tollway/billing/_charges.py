"""Charges: bill lines before they have an id, and the rules that turn them into bill lines.

Every step of the bill computation (recurring, one-time, usage, discounts, penalties, credits)
produces `Charge`s with an exact amount and the amount rounded once, per line, with the billed
account's rounding mode. Assembly then gives each charge a deterministic id derived from its key
and sorts the lines by that key.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from tollway.billing._bill import AppliedBillingRate, ChargeType
from tollway.catalog import ChargeKind
from tollway.conventions import Conventions
from tollway.money import MONEY_CONTEXT, Currency, Money, TollwayError, round_decimal
from tollway.pricing import BreakdownLine

line_id_hex_digits: Final = 16
"""Hex digits of the SHA-256 of a line's key kept in its id (64 bits: no collision in practice;
a collision within one bill is still caught by an assertion)."""

PERCENT: Final = Decimal(100)

_CHARGE_TYPE_ORDER: Final = {charge_type: index for index, charge_type in enumerate(ChargeType)}


class BillingError(TollwayError):
    """The bill of a cycle cannot be computed from the inputs given; the message says what to fix."""

    code = "billing_input_invalid"


@dataclass(frozen=True, slots=True)
class Charge:
    """One future bill line: what it charges, for which account and circuit, over which period.

    `precise_amount` is exact; `amount` is it rounded once to the currency's minor unit with the
    account's rounding mode (for usage, the rated amount the pricing core already rounded at its
    stage). `kind` is the catalog charge kind it comes from (commitments count by kind);
    `discountable` marks recurring charges and the credits that reverse them; `detail` tells apart
    two charges with the same key (a bundle and a contract discount of one circuit).
    """

    billing_account_id: str
    charge_type: ChargeType
    name: str
    period_start: datetime
    period_end: datetime
    quantity: Decimal
    precise_amount: Decimal
    amount: Decimal
    product_id: str | None = None
    circuit_id: str | None = None
    price_id: str | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    breakdown: tuple[BreakdownLine, ...] = ()
    kind: ChargeKind | None = None
    discountable: bool = False
    detail: str = ""
    related_bill_no: str | None = None

    def __post_init__(self) -> None:
        assert isinstance(self.precise_amount, Decimal) and isinstance(self.amount, Decimal)
        assert self.period_start <= self.period_end, f"{self.name}: period coverage is reversed"

    def sort_key(self, identity: str | None = None) -> tuple[str, str, int, datetime, str, str]:
        """Account, circuit, charge type, period start, price id, then the rest of the key.
        `identity`, when given, is this charge's `identity()` already built (it is the costly
        part, and assembly needs it again for the line id)."""
        return (
            self.billing_account_id,
            self.circuit_id or "",
            _CHARGE_TYPE_ORDER[self.charge_type],
            self.period_start,
            self.price_id or "",
            self.identity() if identity is None else identity,
        )

    def identity(self) -> str:
        """Everything that makes this charge a different line from every other on its bill
        (instants in UTC, so an id never depends on the zone a datetime was written in)."""
        return "|".join(
            (
                self.billing_account_id,
                self.product_id or "",
                self.charge_type.value,
                self.period_start.astimezone(UTC).isoformat(),
                self.period_end.astimezone(UTC).isoformat(),
                self.price_id or "",
                self.detail,
            )
        )


def line_id(bill_id: str, identity: str) -> str:
    """A line id derived from the bill and the line's key: the same inputs give the same id.

    >>> line_id("ACME/2026-04-01", "ACME|P1|recurring|...")
    'acbr-40cc27ff4938ed90'
    """
    digest = hashlib.sha256(f"{bill_id}#{identity}".encode()).hexdigest()
    return f"acbr-{digest[:line_id_hex_digits]}"


def rounded(amount: Decimal, *, currency: Currency, conventions: Conventions) -> Decimal:
    """`amount` rounded to the currency's minor unit with the conventions' rounding mode."""
    return round_decimal(amount, decimals=currency.minor_units, mode=conventions.rounding_mode)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """The exact `percent` % of `amount` (a division by 100 is exact in decimal)."""
    return MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(amount, percent), PERCENT)


def to_line(
    charge: Charge, *, bill_id: str, currency: Currency, identity: str | None = None
) -> AppliedBillingRate:
    """The bill line of a charge, with its deterministic id (`identity`, when given, is the
    charge's `identity()` already built)."""
    return AppliedBillingRate(
        id=line_id(bill_id, charge.identity() if identity is None else identity),
        billing_account_id=charge.billing_account_id,
        charge_type=charge.charge_type,
        name=charge.name,
        period_start=charge.period_start,
        period_end=charge.period_end,
        quantity=charge.quantity,
        amount=Money(charge.amount, currency),
        precise_amount=charge.precise_amount,
        product_id=charge.product_id,
        circuit_id=charge.circuit_id,
        price_id=charge.price_id,
        unit=charge.unit,
        unit_price=charge.unit_price,
        breakdown=charge.breakdown,
        related_bill_no=charge.related_bill_no,
    )
