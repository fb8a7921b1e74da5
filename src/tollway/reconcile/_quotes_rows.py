"""Quote-to-bill findings as difference rows, in the engine's DIFFERENCE_SCHEMA.

A finding (`QuoteDifference`) compares one thing the quote said with what billing holds: the
quoted side sits where a parallel run puts legacy (`legacy_invoice_id` is the order id,
`legacy_line_id` the item, `legacy_amount` the quoted amount), billing where it puts tollway (the
invoice number, the bill line, the billed amount), and `variance` is billed − quoted, a missing
side counting as zero. So the engine's report writers render quote-to-bill like a cycle.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

import pyarrow as pa

from tollway.money import RoundingMode, currency, plain_decimal, round_decimal
from tollway.reconcile._tables import DIFFERENCE_SCHEMA, Category, DifferenceLevel
from tollway.reconcile.core import Tolerances

AMOUNT_PLACES: Final = 9
"""The scale of DIFFERENCE_SCHEMA's amounts (DECIMAL(38, 9))."""


class QuoteCheckKind(StrEnum):
    """What a finding compares, in the order rows of one item are listed. Evidence starts with it."""

    ACCOUNT = "account"
    INVOICE_TOTAL = "first invoice total"
    PRODUCT = "provisioning"
    TERM = "contract term"
    DISCOUNT = "contract discount"
    PRICE = "price in force"
    LINE = "first invoice line"
    TAX = "first invoice tax"
    INVOICE_DISCOUNT = "first invoice discount"
    DISCONNECT = "disconnect"
    UNORDERED = "not ordered"


_KIND_ORDER: Final = {kind: index for index, kind in enumerate(QuoteCheckKind)}
_LEVEL_ORDER: Final = {DifferenceLevel.INVOICE: 0, DifferenceLevel.LINE: 1}


@dataclass(frozen=True, slots=True)
class QuoteDifference:
    """One quote-to-bill comparison (a match too: `category` "matched")."""

    kind: QuoteCheckKind
    level: DifferenceLevel
    account_id: str
    category: str
    quoted_amount: Decimal | None
    billed_amount: Decimal | None
    evidence: str
    currency: str
    order_id: str | None = None
    item_key: str | None = None
    invoice_no: str | None = None
    line_id: str | None = None
    circuit_id: str | None = None
    charge_type: str | None = None
    jurisdiction_id: str | None = None

    def __post_init__(self) -> None:
        assert self.level in _LEVEL_ORDER, "quote-to-bill rows are invoice or line rows"
        assert self.evidence, "a finding says why"

    @property
    def variance(self) -> Decimal:
        return _scaled(self.billed_amount) - _scaled(self.quoted_amount)

    @property
    def sort_key(self) -> tuple[object, ...]:
        return (
            _LEVEL_ORDER[self.level],
            self.account_id,
            self.order_id or "~",
            self.item_key or "",
            _KIND_ORDER[self.kind],
            self.line_id or "",
            self.evidence,
        )


def _scaled(amount: Decimal | None) -> Decimal:
    """An amount at the difference table's scale (9 places; a missing side is zero). Amounts are
    money already rounded to their currency; only a derived price (a tax-inclusive price divided
    by its tax factor) can carry more places, and it is rounded half-even here."""
    if amount is None:
        return Decimal(0)
    return round_decimal(amount, decimals=AMOUNT_PLACES, mode=RoundingMode.HALF_EVEN)


def money_text(amount: Decimal | None, code: str) -> str:
    """An amount with its currency's decimals (more when it has more), and its code.

    >>> money_text(Decimal("12.5"), "USD"), money_text(Decimal("0.125"), "USD")
    ('12.50 USD', '0.125 USD')
    >>> money_text(Decimal("1500"), "JPY"), money_text(None, "JPY")
    ('1500 JPY', 'none')
    """
    if amount is None:
        return "none"
    places = currency(code).minor_units
    plain = plain_decimal(amount)
    exponent = plain.as_tuple().exponent
    assert isinstance(exponent, int)
    shown = plain if -exponent > places else plain.quantize(Decimal(1).scaleb(-places))
    return f"{shown:f} {code}"


def number_text(value: Decimal) -> str:
    """A quantity or percentage without trailing zeros: 100.000 → 100, 8.250 → 8.25."""
    return f"{plain_decimal(value):f}"


def within_limit(
    category: str,
    *,
    quoted: Decimal | None,
    billed: Decimal | None,
    tolerances: Tolerances,
    code: str,
) -> bool:
    """Whether the amounts differ by no more than the line tolerance of `category` (inclusive)."""
    limit_minor = tolerances.line_limit_minor(category)
    variance = (billed or Decimal(0)) - (quoted or Decimal(0))
    return abs(variance) <= currency(code).minor_unit * limit_minor


def judged(
    category: str,
    *,
    facts_differ: bool,
    quoted: Decimal | None,
    billed: Decimal | None,
    tolerances: Tolerances,
    code: str,
) -> str:
    """`category` when a fact differs or the amounts differ beyond the tolerance, else matched."""
    if facts_differ:
        return category
    if within_limit(category, quoted=quoted, billed=billed, tolerances=tolerances, code=code):
        return Category.MATCHED.value
    return category


def differences_table(rows: Sequence[QuoteDifference], *, cycle: str) -> pa.Table:
    """The findings as DIFFERENCE_SCHEMA rows, in a stable order (invoice rows first, then by
    account, order, item and check)."""
    ordered = sorted(rows, key=lambda row: row.sort_key)
    columns: dict[str, list[object]] = {name: [] for name in DIFFERENCE_SCHEMA.names}
    for row in ordered:
        values: dict[str, object] = {
            "cycle": cycle,
            "level": row.level.value,
            "account_id": row.account_id,
            "legacy_invoice_id": row.order_id,
            "tollway_invoice_id": row.invoice_no,
            "legacy_line_id": row.item_key,
            "tollway_line_id": row.line_id,
            "circuit_id": row.circuit_id,
            "charge_type": row.charge_type,
            "jurisdiction_id": row.jurisdiction_id,
            "tax_type": None,
            "category": row.category,
            "legacy_amount": None if row.quoted_amount is None else _scaled(row.quoted_amount),
            "tollway_amount": None if row.billed_amount is None else _scaled(row.billed_amount),
            "variance": row.variance,
            "within_tolerance": row.category == Category.MATCHED.value,
            "evidence": f"{row.kind.value}: {row.evidence}",
            "currency": row.currency,
        }
        for name, value in values.items():
            columns[name].append(value)
    return pa.table(columns, schema=DIFFERENCE_SCHEMA)
