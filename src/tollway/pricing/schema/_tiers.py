"""Schema of the quantity models: flat, per unit, graduated, volume, stairstep, package, block tiers.

Tiers may be written in either of two forms, one form per table:

- the **up_to form** (Stripe, OpenMeter): `{up_to, unit_price, flat_price}`; the last tier's
  `up_to` is null or "inf";
- the **range form** (Lago): `{from_value, to_value, per_unit_amount, flat_amount}`; the first
  range starts at 0 and the last one's `to_value` is null. Each next `from_value` equals the
  previous `to_value` + 1 (inclusive integer ranges 0–10, 11–20) or the previous `to_value`
  itself (adjacent ranges 0–0.1, 0.1–1). Ranges become `up_to` bounds (the `to_value`s).

Either form only fixes the bounds: which tier a usage exactly on a bound belongs to is the
`tier_bounds` convention (`inclusive_integer` for Lago's integer ranges). Stairstep steps are
written `{up_to, amount}` or `{from_value, to_value, amount}` the same way.

Checks that need more than one field (forms, missing form fields, ranges that overlap or leave a
gap) happen in `build()` and raise `PriceDefinitionError` with paths relative to the model
(`tiers[1].from_value`); every other domain rule lives in the dataclasses.

>>> stripe = GraduatedSpec.model_validate({"model": "graduated", "tiers": [
...     {"up_to": 10, "unit_price": "1"}, {"up_to": "inf", "unit_price": "0.5"}]})
>>> lago = GraduatedSpec.model_validate({"model": "graduated", "tiers": [
...     {"from_value": 0, "to_value": 10, "per_unit_amount": "1"},
...     {"from_value": 11, "to_value": None, "per_unit_amount": "0.5"}]})
>>> stripe.build() == lago.build()
True
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, StrictInt

from tollway.money import MONEY_CONTEXT
from tollway.pricing._blocks import BlockTier, BlockTierMode, BlockTiers
from tollway.pricing._errors import PriceDefinitionError
from tollway.pricing._package import Flat, Package, PerUnit
from tollway.pricing._tiers import Graduated, Stairstep, Step, Tier, Volume
from tollway.pricing.schema._common import BoundedCount, ExactDecimal, SpecBase, TierBound


def _lower_case(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


# --- untiered models ----------------------------------------------------------------------------


class FlatSpec(SpecBase):
    """`{model: flat, amount}`: a fixed amount whatever the usage."""

    model: Literal["flat"]
    amount: ExactDecimal

    def build(self) -> Flat:
        return Flat(amount=self.amount)


class PerUnitSpec(SpecBase):
    """`{model: per_unit, unit_price}`: quantity x unit_price."""

    model: Literal["per_unit"]
    unit_price: ExactDecimal

    def build(self) -> PerUnit:
        return PerUnit(unit_price=self.unit_price)


class PackageSpec(SpecBase):
    """`{model: package, package_size, package_price, free_units}`."""

    model: Literal["package"]
    package_size: ExactDecimal
    package_price: ExactDecimal
    free_units: ExactDecimal = Decimal(0)

    def build(self) -> Package:
        return Package(
            package_size=self.package_size,
            package_price=self.package_price,
            free_units=self.free_units,
        )


# --- forms and ranges ---------------------------------------------------------------------------

_Form = Literal["up_to", "range"]


def _form_of(
    spec: SpecBase, *, field: str, up_to_fields: Sequence[str], range_fields: Sequence[str]
) -> _Form:
    given = spec.model_fields_set
    uses_up_to = [name for name in up_to_fields if name in given]
    uses_range = [name for name in range_fields if name in given]
    if uses_up_to and uses_range:
        raise PriceDefinitionError(
            field,
            f"mixes the up_to form ({', '.join(uses_up_to)}) with the range form "
            f"({', '.join(uses_range)}); write it one way",
        )
    if not uses_up_to and not uses_range:
        raise PriceDefinitionError(
            field,
            f"give either {', '.join(up_to_fields)} (up_to form) or {', '.join(range_fields)} "
            "(range form)",
        )
    return "up_to" if uses_up_to else "range"


def _table_form(
    specs: Sequence[SpecBase],
    *,
    collection: str,
    up_to_fields: Sequence[str],
    range_fields: Sequence[str],
) -> _Form:
    """The one form every row of a table is written in."""
    forms = [
        _form_of(
            spec,
            field=f"{collection}[{index}]",
            up_to_fields=up_to_fields,
            range_fields=range_fields,
        )
        for index, spec in enumerate(specs)
    ]
    for index, form in enumerate(forms):
        if form != forms[0]:
            raise PriceDefinitionError(
                f"{collection}[{index}]",
                f"is written in the {form} form but {collection}[0] in the {forms[0]} form; "
                "write every row the same way",
            )
    return forms[0]


def _given(spec: SpecBase, name: str, *, field: str, hint: str = "") -> Any:
    """A field the chosen form needs: present (it may be an explicit null where allowed)."""
    if name not in spec.model_fields_set:
        raise PriceDefinitionError(field, f"is required but missing{hint}")
    return getattr(spec, name)


def _number(spec: SpecBase, name: str, *, field: str) -> Decimal:
    value = _given(spec, name, field=field)
    if value is None:
        raise PriceDefinitionError(field, "must be a number, not null")
    assert isinstance(value, Decimal)
    return value


def _check_contiguous(
    *, previous_to: Decimal, from_value: Decimal, field: str, previous: str
) -> None:
    """A range starts where the previous one ends (adjacent) or one past it (integer ranges)."""
    if from_value == previous_to:
        return
    integral = previous_to == previous_to.to_integral_value()
    next_integer = MONEY_CONTEXT.add(previous_to, Decimal(1))
    if integral and from_value == next_integer:
        return
    expected = f"{previous_to} (adjacent ranges)"
    if integral:
        expected = f"{next_integer} (inclusive integer ranges) or {expected}"
    fault = "overlaps" if from_value < previous_to else "leaves a gap after"
    raise PriceDefinitionError(
        field, f"{from_value} {fault} {previous} (to_value {previous_to}); start at {expected}"
    )


def _range_bound(*, index: int, last_index: int, to_value: Decimal | None, collection: str) -> None:
    field = f"{collection}[{index}].to_value"
    if to_value is None and index != last_index:
        raise PriceDefinitionError(
            field, "only the last range may be open-ended (to_value null); give this range an end"
        )
    if to_value is not None and index == last_index:
        raise PriceDefinitionError(
            field, f"the last range must be open-ended: set to_value to null, not {to_value}"
        )


def _bounds_from_ranges(
    ranges: Sequence[tuple[Decimal, Decimal | None]], *, collection: str
) -> list[Decimal | None]:
    """Lago-style ranges → up_to bounds, refusing ranges that overlap, leave gaps or go backwards."""
    bounds: list[Decimal | None] = []
    previous_to = Decimal(0)
    for index, (from_value, to_value) in enumerate(ranges):
        where = f"{collection}[{index}]"
        if index == 0 and from_value != 0:
            raise PriceDefinitionError(
                f"{where}.from_value", f"the first range must start at 0, got {from_value}"
            )
        if index > 0:
            _check_contiguous(
                previous_to=previous_to,
                from_value=from_value,
                field=f"{where}.from_value",
                previous=f"{collection}[{index - 1}]",
            )
        _range_bound(
            index=index, last_index=len(ranges) - 1, to_value=to_value, collection=collection
        )
        if to_value is not None:
            if to_value < from_value or to_value <= previous_to:
                floor = max(from_value, previous_to)
                relation = "at least" if to_value < from_value else "greater than"
                raise PriceDefinitionError(
                    f"{where}.to_value", f"must be {relation} {floor}, got {to_value}"
                )
            previous_to = to_value
        bounds.append(to_value)
    return bounds


# --- tier tables --------------------------------------------------------------------------------

_TIER_UP_TO_FIELDS = ("up_to", "unit_price", "flat_price")
_TIER_RANGE_FIELDS = ("from_value", "to_value", "per_unit_amount", "flat_amount")
_UP_TO_HINT = ' (null or "inf" for the last tier)'


class TierSpec(SpecBase):
    """One tier, in the up_to form or the range form (see the module docstring)."""

    up_to: TierBound = None
    unit_price: ExactDecimal | None = None
    flat_price: ExactDecimal | None = None
    from_value: ExactDecimal | None = None
    to_value: TierBound = None
    per_unit_amount: ExactDecimal | None = None
    flat_amount: ExactDecimal | None = None


def _tiers_from_specs(specs: Sequence[TierSpec]) -> tuple[Tier, ...]:
    if not specs:
        return ()  # the dataclass says a table needs at least one tier
    form = _table_form(
        specs,
        collection="tiers",
        up_to_fields=_TIER_UP_TO_FIELDS,
        range_fields=_TIER_RANGE_FIELDS,
    )
    if form == "up_to":
        return tuple(_up_to_tier(spec, f"tiers[{index}]") for index, spec in enumerate(specs))
    ranges = [
        (
            _number(spec, "from_value", field=f"tiers[{index}].from_value"),
            _given(spec, "to_value", field=f"tiers[{index}].to_value", hint=" (null: no end)"),
        )
        for index, spec in enumerate(specs)
    ]
    bounds = _bounds_from_ranges(ranges, collection="tiers")
    return tuple(
        Tier(
            up_to=bound,
            unit_price=_number(spec, "per_unit_amount", field=f"tiers[{index}].per_unit_amount"),
            flat_price=spec.flat_amount if spec.flat_amount is not None else Decimal(0),
        )
        for index, (spec, bound) in enumerate(zip(specs, bounds, strict=True))
    )


def _up_to_tier(spec: TierSpec, where: str) -> Tier:
    up_to = _given(spec, "up_to", field=f"{where}.up_to", hint=_UP_TO_HINT)
    return Tier(
        up_to=up_to,
        unit_price=_number(spec, "unit_price", field=f"{where}.unit_price"),
        flat_price=spec.flat_price if spec.flat_price is not None else Decimal(0),
    )


class GraduatedSpec(SpecBase):
    """`{model: graduated, tiers: [...]}`: each tier's units at that tier's price."""

    model: Literal["graduated"]
    tiers: tuple[TierSpec, ...]

    def build(self) -> Graduated:
        return Graduated(tiers=_tiers_from_specs(self.tiers))


class VolumeSpec(SpecBase):
    """`{model: volume, tiers: [...]}`: every unit at the price of the tier reached."""

    model: Literal["volume"]
    tiers: tuple[TierSpec, ...]

    def build(self) -> Volume:
        return Volume(tiers=_tiers_from_specs(self.tiers))


# --- stairstep ----------------------------------------------------------------------------------


class StepSpec(SpecBase):
    """One step: `{up_to, amount}` or `{from_value, to_value, amount}`."""

    up_to: TierBound = None
    from_value: ExactDecimal | None = None
    to_value: TierBound = None
    amount: ExactDecimal


class StairstepSpec(SpecBase):
    """`{model: stairstep, steps: [...]}`: a flat amount for the step the quantity falls in."""

    model: Literal["stairstep"]
    steps: tuple[StepSpec, ...]

    def build(self) -> Stairstep:
        if not self.steps:
            return Stairstep(steps=())
        form = _table_form(
            self.steps,
            collection="steps",
            up_to_fields=("up_to",),
            range_fields=("from_value", "to_value"),
        )
        if form == "up_to":
            bounds = [spec.up_to for spec in self.steps]
        else:
            ranges = [
                (
                    _number(spec, "from_value", field=f"steps[{index}].from_value"),
                    _given(spec, "to_value", field=f"steps[{index}].to_value"),
                )
                for index, spec in enumerate(self.steps)
            ]
            bounds = _bounds_from_ranges(ranges, collection="steps")
        steps = (
            Step(up_to=bound, amount=spec.amount)
            for spec, bound in zip(self.steps, bounds, strict=True)
        )
        return Stairstep(steps=tuple(steps))


# --- block tiers --------------------------------------------------------------------------------


class BlockTierSpec(SpecBase):
    """`{block_size, max_blocks, block_price}`; max_blocks null (last tier only): no limit."""

    block_size: ExactDecimal
    max_blocks: Annotated[StrictInt, BoundedCount] | None = None
    block_price: ExactDecimal

    def build(self) -> BlockTier:
        return BlockTier(
            block_size=self.block_size, max_blocks=self.max_blocks, block_price=self.block_price
        )


class BlockTiersSpec(SpecBase):
    """`{model: block_tiers, mode: all_tiers | top_tier, tiers: [...]}` (Kill Bill usage blocks)."""

    model: Literal["block_tiers"]
    tiers: tuple[BlockTierSpec, ...]
    mode: Annotated[BlockTierMode, BeforeValidator(_lower_case)] = BlockTierMode.ALL_TIERS

    def build(self) -> BlockTiers:
        return BlockTiers(tiers=tuple(tier.build() for tier in self.tiers), mode=self.mode)


SPECS = (
    FlatSpec,
    PerUnitSpec,
    GraduatedSpec,
    VolumeSpec,
    StairstepSpec,
    PackageSpec,
    BlockTiersSpec,
)
"""The schema classes of this module, for the `model`-discriminated union of all pricing specs."""
