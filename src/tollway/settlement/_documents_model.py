"""Revenue-share models as documents (TMF738-like), read and written in one shape.

```yaml
id: RS-1
name: Tiered share
currency: USD
basis: {net_of: [tax, credits]}      # or: gross
rounding_mode: half_up
items:
  - id: tiered
    name: 10 % to 100,000.00, then 5 %
    rate: {tiered: [{up_to: "100000.00", percent: "10"}, {up_to: null, percent: "5"}],
           measure: period}           # or {flat: "20"}, or {banded: [...]}
    scope: {offering_ids: [OFF-D2C-DATA]}
    ends: [{milestone: one-million-subscribers}]   # or {date: ...}, {cumulative_basis: "..."}
    limits: {period_cap: "50000.00"}
    guarantee: {amount_per_period: "1000.00", recoupable: true}
```
"""

from collections.abc import Mapping
from typing import Any

from tollway.billing import ChargeType
from tollway.money import RoundingMode
from tollway.settlement._document_fields import (
    Fields,
    SettlementDocumentError,
    number_text,
    optional_iso,
    optional_number_text,
)
from tollway.settlement.core import (
    Band,
    BandedShare,
    BandMeasure,
    Basis,
    Deduction,
    EndsOnCumulativeBasis,
    EndsOnDate,
    EndsOnMilestone,
    FlatShare,
    Limits,
    MinimumGuarantee,
    RevenueShareModel,
    Scope,
    SettlementInputError,
    ShareItem,
    ShareRate,
    Termination,
    TieredShare,
)

MODEL_FIELDS = ("id", "name", "currency", "basis", "rounding_mode", "items")
ITEM_FIELDS = (
    "id", "name", "rate", "scope", "effective_from", "effective_until", "ends", "limits",
    "guarantee",
)  # fmt: skip
SCOPE_FIELDS = (
    "product_ids", "offering_ids", "product_types", "billing_account_ids", "usage_types",
    "charge_types",
)  # fmt: skip
LIMIT_FIELDS = ("period_cap", "period_floor", "cumulative_cap", "cumulative_floor")
GROSS = "gross"
_DEDUCTION_ORDER = (Deduction.TAX, Deduction.CREDITS, Deduction.BAD_DEBT)


def parse_model(document: Mapping[str, Any], *, source: str) -> RevenueShareModel:
    """A revenue-share model from its document; the error names `source`, record and field."""
    identifier = document.get("id")
    record = f"revenue-share model {identifier}" if isinstance(identifier, str) else "model"
    fields = Fields.of(document, source=source, record=record)
    fields.allow(*MODEL_FIELDS)
    try:
        return RevenueShareModel(
            id=fields.text("id"),
            name=fields.text("name"),
            currency=fields.money_currency("currency"),
            basis=_basis(fields),
            items=tuple(_item(each) for each in fields.records("items", label="item")),
            rounding_mode=fields.choice("rounding_mode", RoundingMode, RoundingMode.HALF_UP),
        )
    except SettlementInputError as error:
        where = error.record if error.record.startswith(record) else f"{record}: {error.record}"
        raise SettlementDocumentError(source, where, error.field, error.problem) from None


def _basis(fields: Fields) -> Basis:
    value = fields.required("basis")
    if value == GROSS:
        return Basis.gross()
    basis = fields.child("basis")
    if basis is None or isinstance(value, str):
        raise fields.fail("basis", f"expected 'gross' or {{net_of: [...]}}, got {value!r}")
    basis.allow("net_of")
    deductions = []
    for index, name in enumerate(basis.texts("net_of")):
        try:
            deductions.append(Deduction(name))
        except ValueError:
            allowed = ", ".join(each.value for each in Deduction)
            raise basis.fail(f"net_of[{index}]", f"{name!r} is not one of {allowed}") from None
    return Basis.net_of(*deductions)


def _item(fields: Fields) -> ShareItem:
    fields.allow(*ITEM_FIELDS)
    rate = fields.child("rate")
    if rate is None:
        raise fields.fail("rate", "is missing")
    scope = fields.child("scope")
    limits = fields.child("limits")
    guarantee = fields.child("guarantee")
    return ShareItem(
        id=fields.text("id"),
        name=fields.text("name"),
        rate=_rate(rate),
        scope=Scope() if scope is None else _scope(scope),
        effective_from=fields.optional_instant("effective_from"),
        effective_until=fields.optional_instant("effective_until"),
        ends=tuple(_end(each) for each in fields.records("ends", label="end")),
        limits=Limits() if limits is None else _limits(limits),
        guarantee=None if guarantee is None else _guarantee(guarantee),
    )


def _rate(fields: Fields) -> ShareRate:
    kinds = [name for name in ("flat", "tiered", "banded") if fields.has(name)]
    if len(kinds) != 1:
        raise fields.fail("rate", "give exactly one of flat, tiered or banded")
    if kinds == ["flat"]:
        fields.allow("flat")
        return FlatShare(fields.number("flat"))
    fields.allow(kinds[0], "measure")
    bands = []
    for each in fields.records(kinds[0], label="band"):
        each.allow("up_to", "percent")
        bands.append(Band(each.optional_number("up_to"), each.number("percent")))
    measure = fields.choice("measure", BandMeasure, BandMeasure.PERIOD)
    if kinds == ["tiered"]:
        return TieredShare(tuple(bands), measure)
    return BandedShare(tuple(bands), measure)


def _scope(fields: Fields) -> Scope:
    fields.allow(*SCOPE_FIELDS)
    charge_types = []
    for index, name in enumerate(fields.texts("charge_types")):
        try:
            charge_types.append(ChargeType(name))
        except ValueError:
            allowed = ", ".join(each.value for each in ChargeType)
            raise fields.fail(
                f"charge_types[{index}]", f"{name!r} is not one of {allowed}"
            ) from None
    return Scope(
        product_ids=frozenset(fields.texts("product_ids")),
        offering_ids=frozenset(fields.texts("offering_ids")),
        product_types=frozenset(fields.texts("product_types")),
        billing_account_ids=frozenset(fields.texts("billing_account_ids")),
        usage_types=frozenset(fields.texts("usage_types")),
        charge_types=frozenset(charge_types),
    )


def _end(fields: Fields) -> Termination:
    kinds = [name for name in ("milestone", "date", "cumulative_basis") if fields.has(name)]
    if len(kinds) != 1:
        raise fields.fail("ends", "give exactly one of milestone, date or cumulative_basis")
    fields.allow(kinds[0])
    if kinds == ["milestone"]:
        return EndsOnMilestone(fields.text("milestone"))
    if kinds == ["date"]:
        return EndsOnDate(fields.instant("date"))
    return EndsOnCumulativeBasis(fields.number("cumulative_basis"))


def _limits(fields: Fields) -> Limits:
    fields.allow(*LIMIT_FIELDS)
    return Limits(*(fields.optional_number(name) for name in LIMIT_FIELDS))


def _guarantee(fields: Fields) -> MinimumGuarantee:
    fields.allow("amount_per_period", "recoupable")
    return MinimumGuarantee(fields.number("amount_per_period"), fields.flag("recoupable", True))


def model_document(model: RevenueShareModel) -> dict[str, Any]:
    """The model as a document (every field written out, amounts and percentages as text).

    >>> from tollway.settlement.scenarios import milestone_model
    >>> document = model_document(milestone_model())
    >>> document["basis"], document["items"][0]["rate"], document["items"][0]["ends"]
    ({'net_of': ['tax', 'credits']}, {'flat': '20'}, [{'milestone': 'one-million-d2c-subscribers'}])
    """
    deductions = [each.value for each in _DEDUCTION_ORDER if model.basis.deducts(each)]
    return {
        "id": model.id,
        "name": model.name,
        "currency": model.currency.code,
        "basis": {"net_of": deductions} if deductions else GROSS,
        "rounding_mode": model.rounding_mode.value,
        "items": [_item_document(item) for item in model.items],
    }


def _item_document(item: ShareItem) -> dict[str, Any]:
    scope = item.scope
    return {
        "id": item.id,
        "name": item.name,
        "rate": _rate_document(item.rate),
        "scope": {
            "product_ids": sorted(scope.product_ids),
            "offering_ids": sorted(scope.offering_ids),
            "product_types": sorted(scope.product_types),
            "billing_account_ids": sorted(scope.billing_account_ids),
            "usage_types": sorted(scope.usage_types),
            "charge_types": sorted(each.value for each in scope.charge_types),
        },
        "effective_from": optional_iso(item.effective_from),
        "effective_until": optional_iso(item.effective_until),
        "ends": [_end_document(end) for end in item.ends],
        "limits": {name: optional_number_text(getattr(item.limits, name)) for name in LIMIT_FIELDS},
        "guarantee": None
        if item.guarantee is None
        else {
            "amount_per_period": number_text(item.guarantee.amount_per_period),
            "recoupable": item.guarantee.recoupable,
        },
    }


def _rate_document(rate: ShareRate) -> dict[str, Any]:
    if isinstance(rate, FlatShare):
        return {"flat": number_text(rate.percent)}
    kind = "tiered" if isinstance(rate, TieredShare) else "banded"
    bands = [
        {"up_to": optional_number_text(band.up_to), "percent": number_text(band.percent)}
        for band in rate.bands
    ]
    return {kind: bands, "measure": rate.measure.value}


def _end_document(end: Termination) -> dict[str, str]:
    if isinstance(end, EndsOnMilestone):
        return {"milestone": end.name}
    if isinstance(end, EndsOnDate):
        return {"date": end.at.isoformat()}
    return {"cumulative_basis": number_text(end.amount)}
