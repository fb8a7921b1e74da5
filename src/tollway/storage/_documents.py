"""Bills as plain, JSON-able documents: the shape of the JSON columns, the exports and the digest.

Every number is a string (`decimal_text`: plain notation, scale kept); money is written with its
currency's minor-unit decimals; instants are ISO 8601 in UTC. So two equal bills give the same
document byte for byte, whichever database they were read back from.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Final

from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillState,
    CustomerBill,
    TaxItem,
    TaxTreatment,
)
from tollway.money import MONEY_CONTEXT, Currency, Money
from tollway.pricing import BreakdownLine
from tollway.storage._types import decimal_text, json_dumps


def instant_text(value: datetime) -> str:
    """An instant in ISO 8601, in UTC.

    >>> from datetime import timedelta, timezone
    >>> instant_text(datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=-5))))
    '2026-03-01T05:00:00+00:00'
    """
    assert value.tzinfo is not None, f"{value!r} has no time zone"
    return value.astimezone(UTC).isoformat()


def money_text(amount: Money) -> str:
    """A money amount with its currency's decimals (12.5 USD → "12.50"); an unrounded amount keeps
    all of its digits.

    >>> money_text(Money.of("12.5", "USD")), money_text(Money.of("7", "BHD"))
    ('12.50', '7.000')
    """
    if amount.is_rounded:
        return decimal_text(
            amount.amount.quantize(amount.currency.minor_unit, context=MONEY_CONTEXT)
        )
    return decimal_text(amount.amount)


_json_text = json.encoder.encode_basestring
"""A string as `json_dumps` writes it (non-ASCII kept, quotes and control characters escaped)."""


def _optional_decimal(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _optional_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def breakdown_document(lines: tuple[BreakdownLine, ...]) -> list[dict[str, Any]]:
    return [
        {
            "kind": line.kind,
            "description": line.description,
            "quantity": decimal_text(line.quantity),
            "unit_price": _optional_decimal(line.unit_price),
            "amount": decimal_text(line.amount),
            "tier": line.tier,
        }
        for line in lines
    ]


def breakdown_from_document(document: list[dict[str, Any]]) -> tuple[BreakdownLine, ...]:
    return tuple(
        BreakdownLine(
            kind=item["kind"],
            description=item["description"],
            quantity=_decimal_read(item["quantity"]),
            unit_price=None if item["unit_price"] is None else _decimal_read(item["unit_price"]),
            amount=_decimal_read(item["amount"]),
            tier=item["tier"],
        )
        for item in document
    )


decimals_read_cached_max: Final = 65_536
"""Distinct number texts of breakdowns read back whose Decimal is kept: a month of per-call lines
repeats a few thousand numbers."""
_decimals_read: dict[str, Decimal] = {}


def _decimal_read(text: Any) -> Decimal:
    """`Decimal(text)`, one object per distinct text (Decimals are immutable, and one text is
    one value written one way, so sharing it changes nothing). Numbers are stored as strings; any
    other value (1 and 1.0 are equal keys) is converted without the cache."""
    if type(text) is not str:
        return Decimal(text)
    found = _decimals_read.get(text)
    if found is None:
        if len(_decimals_read) >= decimals_read_cached_max:
            _decimals_read.clear()
        found = _decimals_read[text] = Decimal(text)
    return found


def taxes_document(taxes: tuple[AppliedTax, ...]) -> list[dict[str, Any]]:
    return [
        {
            "tax_category": tax.tax_category,
            "jurisdiction_id": tax.jurisdiction_id,
            "jurisdiction_level": tax.jurisdiction_level,
            "name": tax.name,
            "rule_id": tax.rule_id,
            "treatment": tax.treatment.value,
            "calculation": tax.calculation,
            "tax_rate": decimal_text(tax.tax_rate),
            "units": _optional_decimal(tax.units),
            "taxable_amount": money_text(tax.taxable_amount),
            "tax_amount": money_text(tax.tax_amount),
            "exemption_certificate_id": tax.exemption_certificate_id,
        }
        for tax in taxes
    ]


def taxes_from_document(
    document: list[dict[str, Any]], *, currency: Currency
) -> tuple[AppliedTax, ...]:
    return tuple(
        AppliedTax(
            tax_category=item["tax_category"],
            jurisdiction_id=item["jurisdiction_id"],
            tax_rate=Decimal(item["tax_rate"]),
            taxable_amount=Money(Decimal(item["taxable_amount"]), currency),
            tax_amount=Money(Decimal(item["tax_amount"]), currency),
            jurisdiction_level=item.get("jurisdiction_level", ""),
            name=item.get("name", ""),
            rule_id=item.get("rule_id"),
            treatment=TaxTreatment(item.get("treatment", TaxTreatment.BILLED.value)),
            calculation=item.get("calculation", "rate"),
            units=None if item.get("units") is None else Decimal(item["units"]),
            exemption_certificate_id=item.get("exemption_certificate_id"),
        )
        for item in document
    )


def line_document(line: AppliedBillingRate) -> dict[str, Any]:
    return {
        "id": line.id,
        "billing_account_id": line.billing_account_id,
        "charge_type": line.charge_type.value,
        "name": line.name,
        "period_start": instant_text(line.period_start),
        "period_end": instant_text(line.period_end),
        "quantity": decimal_text(line.quantity),
        "unit": line.unit,
        "unit_price": _optional_decimal(line.unit_price),
        "amount": money_text(line.amount),
        "precise_amount": decimal_text(line.precise_amount),
        "tax_amount": money_text(line.tax_amount),
        "tax_inclusive": line.tax_inclusive,
        "product_id": line.product_id,
        "circuit_id": line.circuit_id,
        "price_id": line.price_id,
        "related_bill_no": line.related_bill_no,
        "breakdown": breakdown_document(line.breakdown),
        "taxes": taxes_document(line.taxes),
    }


def tax_item_document(item: TaxItem) -> dict[str, Any]:
    return {
        "tax_category": item.tax_category,
        "tax_rate": decimal_text(item.tax_rate),
        "tax_amount": money_text(item.tax_amount),
    }


def bill_document(bill: CustomerBill) -> dict[str, Any]:
    """A bill as a plain document (TMF678 field meanings, snake_case names), totals included.

    >>> from tollway.money import currency
    >>> bill = CustomerBill("B1", "A1", currency("JPY"), datetime(2026, 3, 1, tzinfo=UTC),
    ...                     datetime(2026, 4, 1, tzinfo=UTC), date(2026, 4, 1), lines=())
    >>> document = bill_document(bill)
    >>> document["amount_due"], document["state"], document["billing_period_start"]
    ('0', 'draft', '2026-03-01T00:00:00+00:00')
    """
    return {
        "id": bill.id,
        "bill_no": bill.bill_no,
        "state": bill.state.value,
        "category": bill.category.value,
        "billing_account_id": bill.billing_account_id,
        "consolidated_account_ids": list(bill.consolidated_account_ids),
        "currency": bill.currency.code,
        "billing_period_start": instant_text(bill.billing_period_start),
        "billing_period_end": instant_text(bill.billing_period_end),
        "bill_date": bill.bill_date.isoformat(),
        "payment_due_date": _optional_date(bill.payment_due_date),
        "related_bill_no": bill.related_bill_no,
        "run_id": bill.run_id,
        "extra": dict(sorted(bill.extra.items())),
        "tax_excluded_amount": money_text(bill.tax_excluded_amount),
        "tax_amount": money_text(bill.tax_amount),
        "tax_included_amount": money_text(bill.tax_included_amount),
        "amount_due": money_text(bill.amount_due),
        "lines": [line_document(line) for line in bill.lines],
        "tax_items": [tax_item_document(item) for item in bill.tax_items],
    }


# --- drafts: their JSON columns rendered once, and their digest ------------------------------------


def breakdown_json(lines: Sequence[BreakdownLine]) -> str:
    """`json_dumps(breakdown_document(lines))`, written directly: a usage line of a month of calls
    has a breakdown line per call, and a number shared by many lines is written once.

    >>> line = BreakdownLine("increment", 'r1: "60 s"', Decimal("60"), None, Decimal("0.10"))
    >>> breakdown_json((line,)) == json_dumps(breakdown_document((line,)))
    True
    >>> print(breakdown_json((line,)))
    [{"amount":"0.10","description":"r1: \\"60 s\\"","kind":"increment","quantity":"60","tier":null,"unit_price":null}]
    """
    return _BreakdownWriter().json(lines)


_ShapeKey = tuple[int, int, int, int, int | None]
_Shape = tuple[str, str, BreakdownLine]

shapes_cached_max: Final = 100_000
"""Breakdown shapes kept between bills (a shape is two short strings): the call patterns of a
month of calls recur across bills, so a shape is written once per run, not once per bill."""


class _BreakdownWriter:
    """Writes breakdowns as `json_dumps` does. Lines that differ only in their description (every
    call of one band and duration) share the rest of their text, written once: keyed by the
    identity of their numbers. Each shape keeps the line it was written from, so the numbers it is
    keyed by stay alive and their identities are never reused while the shape is kept; the shapes
    are shared by every writer (cleared when `shapes_cached_max` is reached)."""

    shapes: ClassVar[dict[_ShapeKey, _Shape]] = {}

    def json(self, lines: Sequence[BreakdownLine]) -> str:
        shapes = self.shapes
        parts = []
        for line in lines:
            key = (
                id(line.amount),
                id(line.quantity),
                id(line.unit_price),
                id(line.kind),
                line.tier,
            )
            shape = shapes.get(key)
            if shape is None:
                if len(shapes) >= shapes_cached_max:
                    shapes.clear()
                shape = shapes[key] = (*_shape(line), line)
            parts.append(shape[0] + _json_text(line.description) + shape[1])
        return "[" + ",".join(parts) + "]"


def _shape(line: BreakdownLine) -> tuple[str, str]:
    """A breakdown line's JSON before and after its description."""
    assert line.tier is None or type(line.tier) is int, f"tier {line.tier!r} is not an int"
    tier = "null" if line.tier is None else str(line.tier)
    unit_price = "null" if line.unit_price is None else f'"{decimal_text(line.unit_price)}"'
    return (
        f'{{"amount":"{decimal_text(line.amount)}","description":',
        f',"kind":{_json_text(line.kind)},"quantity":"{decimal_text(line.quantity)}",'
        f'"tier":{tier},"unit_price":{unit_price}}}',
    )


def taxes_json(taxes: tuple[AppliedTax, ...]) -> str:
    """`json_dumps(taxes_document(taxes))`, written directly (an untaxed line's is `[]`).

    >>> tax = AppliedTax("sales", "US-PA", Decimal("0.06"), Money.of("10.00", "USD"),
    ...                  Money.of("0.60", "USD"), name='State "sales" tax')
    >>> taxes_json((tax,)) == json_dumps(taxes_document((tax,)))
    True
    """
    if not taxes:
        return "[]"
    return "[" + ",".join(_tax_json(tax) for tax in taxes) + "]"


def _json_value(text: str | None) -> str:
    return "null" if text is None else _json_text(text)


def _tax_json(tax: AppliedTax) -> str:
    """One tax as `taxes_document` writes it, its keys in sorted order."""
    units = "null" if tax.units is None else f'"{decimal_text(tax.units)}"'
    return (
        f'{{"calculation":{_json_text(tax.calculation)},'
        f'"exemption_certificate_id":{_json_value(tax.exemption_certificate_id)},'
        f'"jurisdiction_id":{_json_text(tax.jurisdiction_id)},'
        f'"jurisdiction_level":{_json_text(tax.jurisdiction_level)},'
        f'"name":{_json_text(tax.name)},'
        f'"rule_id":{_json_value(tax.rule_id)},'
        f'"tax_amount":"{money_text(tax.tax_amount)}",'
        f'"tax_category":{_json_text(tax.tax_category)},'
        f'"tax_rate":"{decimal_text(tax.tax_rate)}",'
        f'"taxable_amount":"{money_text(tax.taxable_amount)}",'
        f'"treatment":{_json_text(tax.treatment.value)},'
        f'"units":{units}}}'
    )


@dataclass(frozen=True, slots=True)
class RenderedDraft:
    """A draft's lines' JSON columns, rendered once for both its digest and its rows."""

    breakdowns: tuple[str, ...]
    taxes: tuple[str, ...]

    @classmethod
    def of(cls, bill: CustomerBill) -> "RenderedDraft":
        writer = _BreakdownWriter()
        return cls(
            tuple(writer.json(line.breakdown) for line in bill.lines),
            tuple(taxes_json(line.taxes) for line in bill.lines),
        )


def draft_digest(bill: CustomerBill, rendered: RenderedDraft | None = None) -> str:
    """SHA-256 of the bill's content as a draft (state and number left out): two saves of one bill
    id must carry the same digest, whatever happened to the bill since. Equal bills give equal
    digests, bills that differ in anything stored give different ones.

    The content is written compactly: the bill's fields as one JSON document, then per line a JSON
    list of its fields and its breakdown and taxes as stored, each part after a record separator
    (JSON escapes that control character inside strings, so the parts never run together).

    >>> from tollway.money import currency
    >>> bill = CustomerBill("B1", "A1", currency("JPY"), datetime(2026, 3, 1, tzinfo=UTC),
    ...                     datetime(2026, 4, 1, tzinfo=UTC), date(2026, 4, 1), lines=())
    >>> draft_digest(bill) == draft_digest(replace(bill, state=BillState.ISSUED, bill_no="I-1"))
    True
    >>> draft_digest(bill) == draft_digest(replace(bill, bill_date=date(2026, 4, 2)))
    False
    """
    found = RenderedDraft.of(bill) if rendered is None else rendered
    assert len(found.breakdowns) == len(bill.lines) == len(found.taxes)
    parts = [json_dumps(_draft_head(bill))]
    instants: dict[tuple[datetime, int], str] = {}
    for line, breakdown, taxes in zip(bill.lines, found.breakdowns, found.taxes, strict=True):
        parts.extend((_line_fields_json(line, instants), breakdown, taxes))
    return hashlib.sha256(_RECORD_SEPARATOR.join(parts).encode("utf-8")).hexdigest()


_RECORD_SEPARATOR: Final = "\x1e"


def _draft_head(bill: CustomerBill) -> dict[str, Any]:
    return {
        "id": bill.id,
        "category": bill.category.value,
        "billing_account_id": bill.billing_account_id,
        "consolidated_account_ids": list(bill.consolidated_account_ids),
        "currency": bill.currency.code,
        "billing_period_start": instant_text(bill.billing_period_start),
        "billing_period_end": instant_text(bill.billing_period_end),
        "bill_date": bill.bill_date.isoformat(),
        "payment_due_date": _optional_date(bill.payment_due_date),
        "related_bill_no": bill.related_bill_no,
        "run_id": bill.run_id,
        "extra": dict(sorted(bill.extra.items())),
        "line_count": len(bill.lines),
        "tax_items": [tax_item_document(item) for item in bill.tax_items],
    }


def _line_fields_json(line: AppliedBillingRate, instants: dict[tuple[datetime, int], str]) -> str:
    """Every field of the line but its breakdown and taxes (its tax amount is theirs), as a JSON
    list. `instants` keeps the text of the instants written so far (a bill's lines share a few)."""
    texts = (
        line.id,
        line.billing_account_id,
        line.charge_type.value,
        line.name,
        _instant_text_kept(line.period_start, instants),
        _instant_text_kept(line.period_end, instants),
        decimal_text(line.quantity),
        line.unit,
        _optional_decimal(line.unit_price),
        money_text(line.amount),
        decimal_text(line.precise_amount),
        line.product_id,
        line.circuit_id,
        line.price_id,
        line.related_bill_no,
    )
    written = ",".join(["null" if text is None else _json_text(text) for text in texts])
    return f"[{written},{'true' if line.tax_inclusive else 'false'}]"


def _instant_text_kept(value: datetime, instants: dict[tuple[datetime, int], str]) -> str:
    """`instant_text(value)`, kept in `instants`: equal aware datetimes are one instant, except
    two local times of one zone across a DST fold, which the fold in the key tells apart."""
    key = (value, value.fold)
    text = instants.get(key)
    if text is None:
        text = instants[key] = instant_text(value)
    return text


def draft_document_digest(bill: CustomerBill) -> str:
    """The digest drafts were saved with before `draft_digest` (SHA-256 of the whole bill
    document): a draft saved by an earlier version is recognised by it."""
    as_draft = replace(bill, state=BillState.DRAFT, bill_no=None)
    return hashlib.sha256(json_dumps(bill_document(as_draft)).encode("utf-8")).hexdigest()
