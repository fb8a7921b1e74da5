"""Checks shared by the settlement records: aware instants, whole minor units, percentages."""

from datetime import datetime
from decimal import Decimal

from tollway.money import Currency
from tollway.settlement.core._errors import SettlementInputError

PERCENT_MAX = Decimal(100)


def require_aware(value: datetime, *, record: str, field: str) -> None:
    """Refuse a naive datetime: an instant without a zone is ambiguous."""
    assert isinstance(value, datetime), f"{record}: {field} must be a datetime"
    if value.tzinfo is None or value.utcoffset() is None:
        raise SettlementInputError(record, field, f"{value.isoformat()} has no time zone")


def require_whole_minor(value: Decimal, currency: Currency, *, record: str, field: str) -> None:
    """Refuse an amount with more decimals than the currency's minor unit (JPY 0, USD 2)."""
    assert isinstance(value, Decimal), f"{record}: {field} must be a Decimal, not {value!r}"
    scaled = value.scaleb(currency.minor_units)
    if not value.is_finite() or scaled != scaled.to_integral_value():
        raise SettlementInputError(
            record, field, f"{value} is not a whole number of {currency.code} minor units"
        )


def require_percent(value: Decimal, *, record: str, field: str) -> None:
    """Refuse a percentage outside [0, 100]: a share never exceeds what it is a share of."""
    assert isinstance(value, Decimal), f"{record}: {field} must be a Decimal, not {value!r}"
    if not Decimal(0) <= value <= PERCENT_MAX:
        raise SettlementInputError(record, field, f"{value} is not a percentage from 0 to 100")


def require_not_negative(value: Decimal, *, record: str, field: str) -> None:
    assert isinstance(value, Decimal), f"{record}: {field} must be a Decimal, not {value!r}"
    if value < 0:
        raise SettlementInputError(record, field, f"{value} is negative")


def require_ordered(start: datetime, end: datetime | None, *, record: str, field: str) -> None:
    """Refuse an interval whose end is not after its start."""
    if end is not None and end <= start:
        raise SettlementInputError(
            record, field, f"{end.isoformat()} is not after the start {start.isoformat()}"
        )
