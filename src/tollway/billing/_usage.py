"""Usage on bills: the charge-key convention rating engines group usage under, and usage lines.

A usage charge key is `"{billing_account_id}|{product_id}|{usage_type}|{period_start_iso}"`: the
rating engines aggregate a circuit's records of one usage type in one billing period under it (so
tiers apply to the period's total), and the bill computation reads the account, product and period
back from it. The period start is written in UTC ISO 8601 (`2026-03-01T00:00:00+00:00`), so one
period has one key whatever zone the caller's datetime was in.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Final

from tollway.billing._bill import ChargeType
from tollway.billing._charges import BillingError, Charge
from tollway.billing._prices import AccountContext, price_name
from tollway.catalog import ChargeKind
from tollway.inventory import Product
from tollway.money import plain_decimal
from tollway.periods import BillingPeriod, Cadence, period_containing
from tollway.pricing import BreakdownLine
from tollway.rating.reference import RatedCharge

KEY_SEPARATOR: Final = "|"
_KEY_PARTS: Final = 4
plain_numbers_cached_max: Final = 65_536
"""Distinct (quantity, unit price, amount) triples of breakdown lines whose plain form is kept:
a month of calls repeats a few thousand (same band, same duration)."""
plain_lines_cached_max: Final = 100_000
"""Breakdown number triples, by the identity of their objects, whose plain form is kept."""
periods_cached_max: Final = 4_096
"""Distinct (period start, its zone, account zone, bill-cycle day) whose billing period is kept."""


class UsageChargeKeyError(BillingError):
    """A usage charge key is malformed, or a part of it cannot be written into a key."""

    code = "invalid_usage_charge_key"


@dataclass(frozen=True, slots=True)
class UsageChargeKey:
    """The parts of a usage charge key."""

    billing_account_id: str
    product_id: str
    usage_type: str
    period_start: datetime

    def __str__(self) -> str:
        return usage_charge_key(
            billing_account_id=self.billing_account_id,
            product_id=self.product_id,
            usage_type=self.usage_type,
            period_start=self.period_start,
        )


def _checked_part(name: str, value: str) -> str:
    if not value or KEY_SEPARATOR in value:
        raise UsageChargeKeyError(
            f"usage charge key: {name} {value!r} must be non-empty and free of {KEY_SEPARATOR!r}"
        )
    return value


def usage_charge_key(
    *, billing_account_id: str, product_id: str, usage_type: str, period_start: datetime
) -> str:
    """The charge key rating engines group a circuit's usage of one type and period under.

    >>> from datetime import timezone, timedelta
    >>> usage_charge_key(billing_account_id="ACME", product_id="P1", usage_type="data_gb",
    ...     period_start=datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=-5))))
    'ACME|P1|data_gb|2026-03-01T05:00:00+00:00'
    """
    if period_start.tzinfo is None:
        raise UsageChargeKeyError(
            f"usage charge key: period start {period_start.isoformat()} needs a time zone"
        )
    parts = (
        _checked_part("billing account id", billing_account_id),
        _checked_part("product id", product_id),
        _checked_part("usage type", usage_type),
        period_start.astimezone(UTC).isoformat(),
    )
    return KEY_SEPARATOR.join(parts)


def parse_usage_charge_key(key: str) -> UsageChargeKey:
    """The parts of a usage charge key; a malformed key raises `UsageChargeKeyError`.

    >>> parsed = parse_usage_charge_key("ACME|P1|data_gb|2026-03-01T05:00:00+00:00")
    >>> parsed.product_id, parsed.period_start.isoformat()
    ('P1', '2026-03-01T05:00:00+00:00')
    """
    parts = key.split(KEY_SEPARATOR)
    if len(parts) != _KEY_PARTS or not all(parts):
        raise UsageChargeKeyError(
            f"usage charge key {key!r}: expected "
            "'billing_account_id|product_id|usage_type|period_start_iso'"
        )
    account_id, product_id, usage_type, start_text = parts
    try:
        period_start = datetime.fromisoformat(start_text)
    except ValueError:
        raise UsageChargeKeyError(
            f"usage charge key {key!r}: {start_text!r} is not an ISO 8601 date-time"
        ) from None
    if period_start.tzinfo is None:
        raise UsageChargeKeyError(f"usage charge key {key!r}: the period start has no time zone")
    return UsageChargeKey(account_id, product_id, usage_type, period_start)


def _usage_product(key: UsageChargeKey, raw_key: str, context: AccountContext) -> Product:
    product = context.inputs.products.get(key.product_id)
    if product is None or product.billing_account_id != key.billing_account_id:
        raise BillingError(
            f"rated charge {raw_key!r}: billing account {key.billing_account_id!r} has no "
            f"product {key.product_id!r}"
        )
    return product


def _coverage(
    key: UsageChargeKey, raw_key: str, context: AccountContext
) -> tuple[datetime, datetime]:
    """The usage's coverage, from the key's period start (in the bill's zone) to the end of the
    bill's period holding it; that period must have closed by the bill-cycle date."""
    if key.period_start >= context.cycle.cycle_date:
        raise BillingError(
            f"rated charge {raw_key!r}: its period starts on or after the bill-cycle date "
            f"{context.cycle.cycle_date.isoformat()}; usage is billed once its period has closed"
        )
    period = _period_holding(
        key.period_start,
        (key.period_start.tzinfo, key.period_start.fold),
        time_zone=context.cycle.time_zone,
        bill_cycle_day=context.cycle.bill_cycle_day,
    )
    return key.period_start.astimezone(period.time_zone), period.end


@lru_cache(maxsize=periods_cached_max)
def _period_holding(
    period_start: datetime,
    written_in: tuple[tzinfo | None, int],
    *,
    time_zone: str,
    bill_cycle_day: int,
) -> BillingPeriod:
    """`period_containing` the usage's period start, computed once per distinct input: an
    account's rated charges mostly share one period start. `written_in` (the start's own zone and
    fold) is part of the key, so one instant written in two zones never shares a result, nor do
    two local times that compare equal across a DST fold."""
    return period_containing(
        period_start, cadence=Cadence.MONTHLY, time_zone=time_zone, bill_cycle_day=bill_cycle_day
    )


def usage_charges(rated: Sequence[RatedCharge], context: AccountContext) -> list[Charge]:
    """One USAGE line per rated charge of the account (each already priced by the rater).

    The line's amount is the rated amount (rounded at the price's own stage) rounded once more
    with the account's rounding mode, which only changes it when the price left it unrounded.
    """
    found: list[Charge] = []
    for charge in rated:
        key = parse_usage_charge_key(charge.charge_key)
        product = _usage_product(key, charge.charge_key, context)
        period_start, period_end = _coverage(key, charge.charge_key, context)
        result = charge.result
        if result.currency != context.currency:
            raise BillingError(
                f"rated charge {charge.charge_key!r} is in {result.currency}, but billing "
                f"account {context.account.id!r} bills in {context.currency}"
            )
        offering_price = context.price_index.get(charge.price_id)
        found.append(
            Charge(
                billing_account_id=key.billing_account_id,
                charge_type=ChargeType.USAGE,
                name=key.usage_type if offering_price is None else price_name(offering_price),
                period_start=period_start,
                period_end=period_end,
                # Engines may carry a fixed scale (120.400000000); the line shows the plain value.
                quantity=plain_decimal(result.quantity),
                precise_amount=plain_decimal(result.precise_amount),
                amount=context.rounded(result.amount.amount),
                product_id=product.id,
                circuit_id=product.circuit_id,
                price_id=charge.price_id,
                unit=None if offering_price is None else offering_price.price.unit,
                breakdown=tuple(_plain_line(line) for line in result.lines),
                kind=ChargeKind.USAGE,
                detail=key.usage_type,
            )
        )
    return found


def _plain_line(line: BreakdownLine) -> BreakdownLine:
    """A breakdown line with its numbers in plain form: equal values, one representation, so the
    stored bill does not depend on which rating engine computed it (or at what fixed scale).

    A line whose numbers are already written plainly is returned as it is (the DuckDB rater's
    per-call lines are: a month of calls gets no copies).

    >>> line = BreakdownLine("increment", "r1: 60 s", Decimal("60.000"), None, Decimal("1.20"))
    >>> plain = _plain_line(line)
    >>> plain.quantity, plain.amount, _plain_line(plain) is plain
    (Decimal('60'), Decimal('1.2'), True)
    """
    key = (id(line.quantity), id(line.unit_price), id(line.amount))
    known = _plain_lines.get(key)
    if known is None:
        if len(_plain_lines) >= plain_lines_cached_max:
            _plain_lines.clear()
        known = _plain_lines[key] = _PlainLineNumbers.of(line)
    if known.already_plain:
        return line
    quantity, unit_price, amount = known.plain
    return BreakdownLine(line.kind, line.description, quantity, unit_price, amount, line.tier)


@dataclass(frozen=True, slots=True)
class _PlainLineNumbers:
    """A breakdown line's numbers (kept, so that the identities they are cached under are never
    reused while cached), their plain form, and whether they already were plain."""

    found: tuple[Decimal, Decimal | None, Decimal]
    plain: tuple[Decimal, Decimal | None, Decimal]
    already_plain: bool

    @classmethod
    def of(cls, line: BreakdownLine) -> "_PlainLineNumbers":
        quantity, unit_price, amount = _plain_numbers(line.quantity, line.unit_price, line.amount)
        already_plain = (
            _written_alike(quantity, line.quantity)
            and _written_alike(amount, line.amount)
            and (
                unit_price is line.unit_price
                or (
                    unit_price is not None
                    and line.unit_price is not None
                    and _written_alike(unit_price, line.unit_price)
                )
            )
        )
        return cls(
            (line.quantity, line.unit_price, line.amount),
            (quantity, unit_price, amount),
            already_plain,
        )


_plain_lines: dict[tuple[int, int, int], _PlainLineNumbers] = {}
"""The plain form of breakdown numbers by the identity of their objects: a rater's per-call
lines share the number objects of their call pattern, so each pattern is checked once."""


def _written_alike(plain: Decimal, found: Decimal) -> bool:
    return plain is found or plain.as_tuple() == found.as_tuple()


_PlainNumbers = tuple[Decimal, Decimal | None, Decimal]


@lru_cache(maxsize=plain_numbers_cached_max)
def _cached_plain_numbers(numbers: _PlainNumbers) -> _PlainNumbers:
    """The plain form of three nonzero numbers, cached by value: equal values have one plain
    form. A number already plain is kept as the very object (the caller then sees it is)."""
    return (
        _kept_if_plain(numbers[0]),
        None if numbers[1] is None else _kept_if_plain(numbers[1]),
        _kept_if_plain(numbers[2]),
    )


def _kept_if_plain(value: Decimal) -> Decimal:
    plain = plain_decimal(value)
    return value if plain.as_tuple() == value.as_tuple() else plain


def _plain_numbers(quantity: Decimal, unit_price: Decimal | None, amount: Decimal) -> _PlainNumbers:
    if not quantity or not amount or (unit_price is not None and not unit_price):
        # A zero may be signed (-0): equal to 0 but written apart, so it is never cached.
        return (
            plain_decimal(quantity),
            None if unit_price is None else plain_decimal(unit_price),
            plain_decimal(amount),
        )
    return _cached_plain_numbers((quantity, unit_price, amount))
