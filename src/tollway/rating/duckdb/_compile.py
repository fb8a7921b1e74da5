"""Compile price definitions into the rows of small parameter tables the rating SQL joins.

Each price becomes one row of `prices` (its model, currency rounding and conventions, scalar
parameters) plus rows of child tables: `tiers` (graduated, volume, stairstep, graduated
percentage), `blocks` (block tiers), `bands`, `intervals`, `holidays` and `zone_lengths` (duration).

A price the SQL cannot rate exactly is marked for the reference rater with the reason (see
`FALLBACK_REASONS` in the package docs); a price whose definition fails when priced at all (a
spend bound finer than the currency, an unknown time zone) is marked with that error, which
rejects every charge of the price, as the reference does.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import pyarrow as pa

from tollway.conventions import Conventions, PackageRounding, TierBounds, VolumeTierLookup
from tollway.money import MONEY_CONTEXT, TollwayError
from tollway.pricing import (
    BlockTierMode,
    BlockTiers,
    DurationRating,
    Dynamic,
    Flat,
    Graduated,
    GraduatedPercentage,
    Package,
    Percentage,
    Percentile95,
    PerUnit,
    PriceDefinition,
    PriceDefinitionError,
    PricingModel,
    SpendCommitment,
    Stairstep,
    Volume,
)
from tollway.rating.duckdb._duration_compile import duration_rows
from tollway.rating.duckdb._parameters import NotExact, Rows, units, value
from tollway.rating.duckdb._sql import VALUE_DECIMALS

AGGREGATING_MODELS: Final = frozenset(
    {"flat", "per_unit", "graduated", "volume", "stairstep", "package", "block_tiers"}
)
"""Models priced from the charge's summed quantity alone (what a spend commitment may wrap)."""

_DEC12: Final = pa.decimal128(38, VALUE_DECIMALS)
_DEC24: Final = pa.decimal128(38, 24)
_DEC0: Final = pa.decimal128(38, 0)

SCHEMAS: Final[dict[str, dict[str, pa.DataType]]] = {
    "prices": {
        "price_id": pa.string(), "model": pa.string(), "spend": pa.bool_(),
        "currency": pa.string(), "minor_units": pa.int32(), "quantum": _DEC24,
        "power_of_ten": pa.int64(), "rounding_mode": pa.string(), "rounding_stage": pa.string(),
        "adjacent": pa.bool_(), "lookup_ceil": pa.bool_(), "flat_fee_at_zero": pa.bool_(),
        "package_round_up": pa.bool_(), "amount": _DEC12, "unit_price": _DEC12,
        "package_size_units": _DEC0, "package_price": _DEC12, "free_units": _DEC12,
        "block_all_tiers": pa.bool_(), "spend_minimum": _DEC12, "spend_maximum": _DEC12,
        "rate_fraction": _DEC12, "fixed_fee": _DEC12, "free_transactions": pa.int64(),
        "free_amount": _DEC12, "per_transaction_min": _DEC12, "per_transaction_max": _DEC12,
        "committed_rate": _DEC12, "committed_price": _DEC12, "burst_price": _DEC12,
        "discard_units": _DEC0, "time_zone": pa.string(), "timed": pa.bool_(),
        "connect_fee_on_zero": pa.bool_(),
    },
    "tiers": {
        "price_id": pa.string(), "tier_index": pa.int32(), "lower": _DEC12, "up_to": _DEC12,
        "unit_price": _DEC12, "flat_price": _DEC12,
    },
    "blocks": {
        "price_id": pa.string(), "tier_index": pa.int32(), "tier_count": pa.int32(),
        "size_units": _DEC0, "max_blocks": pa.int64(), "block_price": _DEC12,
        "capacity": _DEC12, "capacity_before": _DEC12,
    },
    "bands": {
        "price_id": pa.string(), "band_index": pa.int32(), "zone": pa.string(),
        "zone_length": pa.int32(), "origin_zone": pa.string(), "origin_length": pa.int32(),
        "timed": pa.bool_(), "from_time": pa.time64("us"), "to_time": pa.time64("us"),
        "wraps": pa.bool_(), "any_day": pa.bool_(), "on_weekday": pa.bool_(),
        "on_saturday": pa.bool_(), "on_sunday": pa.bool_(), "on_holiday": pa.bool_(),
        "restrictions": pa.int32(), "connect_fee": _DEC12, "rounding_quantum": _DEC24,
        "rounding_mode": pa.string(),
    },
    "intervals": {
        "price_id": pa.string(), "band_index": pa.int32(), "interval_index": pa.int32(),
        "next_start": _DEC12, "step_units": _DEC0, "step": _DEC12, "rate": _DEC12,
        "increment_price": _DEC24,
    },
    "holidays": {"price_id": pa.string(), "holiday": pa.date32()},
    "zone_lengths": {"price_id": pa.string(), "zone_length": pa.int32()},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CompiledPrice:
    """How one price is rated: `model` in SQL, or by the reference (`fallback_reason`), or every
    charge rejected with `price_error`."""

    definition: PriceDefinition
    conventions: Conventions | None
    model: str | None = None
    spend: SpendCommitment | None = None
    fallback_reason: str | None = None
    price_error: TollwayError | None = None

    @property
    def priced_model(self) -> PricingModel:
        """The model the SQL rates: a spend commitment's inner model, else the price's own."""
        return self.spend.inner if self.spend is not None else self.definition.pricing


@dataclass(frozen=True, slots=True)
class Catalog:
    prices: Mapping[str, CompiledPrice]
    tables: Mapping[str, pa.Table]

    def ids_where(self, predicate: Callable[[CompiledPrice], bool]) -> list[str]:
        return sorted(price_id for price_id, price in self.prices.items() if predicate(price))

    @property
    def models(self) -> frozenset[str]:
        return frozenset(price.model for price in self.prices.values() if price.model)


def compile_catalog(prices: Mapping[str, PriceDefinition], default: Conventions) -> Catalog:
    """Compile every price; the tables hold the rows of the prices rated in SQL."""
    rows: Rows = {name: [] for name in SCHEMAS}
    compiled = {
        price_id: _compile(price_id, price, default, rows) for price_id, price in prices.items()
    }
    tables = {name: _table(name, rows[name]) for name in SCHEMAS}
    return Catalog(prices=compiled, tables=tables)


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = pa.schema(list(SCHEMAS[name].items()))
    columns = {column: [row.get(column) for row in rows] for column in schema.names}
    return pa.table(columns, schema=schema)


def _compile(
    price_id: str, definition: PriceDefinition, default: Conventions, rows: Rows
) -> CompiledPrice:
    try:
        conventions = definition.conventions(default)
    except TollwayError as error:
        return CompiledPrice(definition, None, price_error=error)
    try:
        # Pricing no usage raises exactly the definition errors that pricing any usage raises
        # first (a spend bound finer than the currency, an unknown time zone).
        definition.pricing.price((), currency=definition.currency, conventions=conventions)
    except PriceDefinitionError as error:
        return CompiledPrice(definition, None, price_error=error)
    pricing, spend = definition.pricing, None
    if isinstance(pricing, SpendCommitment):
        spend, pricing = pricing, pricing.inner
        if pricing.model not in AGGREGATING_MODELS:
            reason = f"a spend commitment over {pricing.model} is rated by the reference"
            return CompiledPrice(definition, conventions, fallback_reason=reason)
    local: Rows = {name: [] for name in SCHEMAS}
    try:
        local["prices"].append(_price_row(price_id, definition, conventions, pricing, spend))
        _model_rows(price_id, pricing, conventions, local)
    except NotExact as reason:
        return CompiledPrice(definition, conventions, fallback_reason=str(reason))
    for name, found in local.items():
        rows[name].extend(found)
    return CompiledPrice(definition, conventions, model=pricing.model, spend=spend)


def _price_row(
    price_id: str,
    definition: PriceDefinition,
    conventions: Conventions,
    pricing: PricingModel,
    spend: SpendCommitment | None,
) -> dict[str, Any]:
    minor_units = definition.currency.minor_units
    return {
        "price_id": price_id,
        "model": pricing.model,
        "spend": spend is not None,
        "currency": definition.currency.code,
        "minor_units": minor_units,
        "quantum": Decimal(1).scaleb(-minor_units),
        "power_of_ten": 10**minor_units,
        "rounding_mode": conventions.rounding_mode.value,
        "rounding_stage": conventions.rounding_stage.value,
        "adjacent": conventions.tier_bounds is TierBounds.ADJACENT,
        "lookup_ceil": conventions.volume_tier_lookup is VolumeTierLookup.CEIL,
        "flat_fee_at_zero": conventions.flat_fee_at_zero,
        "package_round_up": conventions.package_rounding is PackageRounding.UP,
        "spend_minimum": value(spend.minimum_amount if spend else None, field="minimum_amount"),
        "spend_maximum": value(spend.maximum_amount if spend else None, field="maximum_amount"),
        "time_zone": conventions.time_zone,
    }


def _model_rows(price_id: str, pricing: PricingModel, conventions: Conventions, rows: Rows) -> None:
    price = rows["prices"][-1]
    if isinstance(pricing, Flat):
        price["amount"] = value(pricing.amount, field="amount")
    elif isinstance(pricing, PerUnit):
        price["unit_price"] = value(pricing.unit_price, field="unit_price")
    elif isinstance(pricing, Graduated | Volume):
        rows["tiers"].extend(_tier_rows(price_id, pricing))
    elif isinstance(pricing, Stairstep):
        rows["tiers"].extend(_step_rows(price_id, pricing))
    elif isinstance(pricing, Package):
        price.update(_package_fields(pricing))
    elif isinstance(pricing, BlockTiers):
        price["block_all_tiers"] = pricing.mode is BlockTierMode.ALL_TIERS
        rows["blocks"].extend(_block_rows(price_id, pricing))
    elif isinstance(pricing, Percentage):
        price.update(_percentage_fields(pricing))
    elif isinstance(pricing, GraduatedPercentage):
        rows["tiers"].extend(_percentage_tier_rows(price_id, pricing))
    elif isinstance(pricing, Percentile95):
        price.update(_percentile_fields(pricing))
    elif isinstance(pricing, DurationRating):
        duration_rows(price_id, pricing, conventions, rows)
    elif not isinstance(pricing, Dynamic):
        raise NotExact(f"the {pricing.model} model has no SQL form yet")


def _tier_rows(price_id: str, pricing: Graduated | Volume) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    lower = Decimal(0)
    for index, tier in enumerate(pricing.tiers):
        where = f"tiers[{index}]"
        result.append(
            {
                "price_id": price_id,
                "tier_index": index,
                "lower": lower,
                "up_to": value(tier.up_to, field=f"{where}.up_to"),
                "unit_price": value(tier.unit_price, field=f"{where}.unit_price"),
                "flat_price": value(tier.flat_price, field=f"{where}.flat_price"),
            }
        )
        lower = tier.up_to if tier.up_to is not None else lower
    return result


def _step_rows(price_id: str, pricing: Stairstep) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    lower = Decimal(0)
    for index, step in enumerate(pricing.steps):
        where = f"steps[{index}]"
        result.append(
            {
                "price_id": price_id,
                "tier_index": index,
                "lower": lower,
                "up_to": value(step.up_to, field=f"{where}.up_to"),
                "flat_price": value(step.amount, field=f"{where}.amount"),
            }
        )
        lower = step.up_to if step.up_to is not None else lower
    return result


def _percentage_tier_rows(price_id: str, pricing: GraduatedPercentage) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    lower = Decimal(0)
    for index, tier in enumerate(pricing.tiers):
        where = f"tiers[{index}]"
        result.append(
            {
                "price_id": price_id,
                "tier_index": index,
                "lower": lower,
                "up_to": value(tier.up_to, field=f"{where}.up_to"),
                "unit_price": _rate_fraction(tier.rate, field=f"{where}.rate"),
                "flat_price": value(tier.flat_fee, field=f"{where}.flat_fee"),
            }
        )
        lower = tier.up_to if tier.up_to is not None else lower
    return result


def _rate_fraction(rate: Decimal, *, field: str) -> Decimal | None:
    """A percentage as the exact fraction the SQL multiplies by (2.5 → 0.025): never divided in SQL."""
    return value(MONEY_CONTEXT.divide(rate, Decimal(100)), field=f"{field} / 100")


def _package_fields(pricing: Package) -> dict[str, Any]:
    return {
        "package_size_units": units(pricing.package_size, field="package_size"),
        "package_price": value(pricing.package_price, field="package_price"),
        "free_units": value(pricing.free_units, field="free_units"),
    }


def _block_rows(price_id: str, pricing: BlockTiers) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    before = Decimal(0)
    for index, tier in enumerate(pricing.tiers):
        where = f"tiers[{index}]"
        capacity = value(tier.capacity, field=f"{where} capacity")
        result.append(
            {
                "price_id": price_id,
                "tier_index": index,
                "tier_count": len(pricing.tiers),
                "size_units": units(tier.block_size, field=f"{where}.block_size"),
                "max_blocks": tier.max_blocks,
                "block_price": value(tier.block_price, field=f"{where}.block_price"),
                "capacity": capacity,
                "capacity_before": value(before, field=f"{where} capacity before"),
            }
        )
        before = before + capacity if capacity is not None else before
    return result


def _percentage_fields(pricing: Percentage) -> dict[str, Any]:
    return {
        "rate_fraction": _rate_fraction(pricing.rate, field="rate"),
        "fixed_fee": value(pricing.fixed_fee_per_transaction, field="fixed_fee_per_transaction"),
        # 0 turns either free-unit limit off, as in the model.
        "free_transactions": pricing.free_transactions or None,
        "free_amount": value(pricing.free_amount or None, field="free_amount"),
        "per_transaction_min": value(pricing.per_transaction_min, field="per_transaction_min"),
        "per_transaction_max": value(pricing.per_transaction_max, field="per_transaction_max"),
    }


def _percentile_fields(pricing: Percentile95) -> dict[str, Any]:
    discarded_share = value(Decimal(100) - pricing.percentile, field="100 - percentile")
    assert discarded_share is not None
    return {
        "committed_rate": value(pricing.committed_rate_mbps, field="committed_rate_mbps"),
        "committed_price": value(pricing.committed_price, field="committed_price"),
        "burst_price": value(pricing.burst_price_per_mbps, field="burst_price_per_mbps"),
        # floor(n × (100 − p) / 100) = n × discard_units // (100 × 10^12), on integers.
        "discard_units": discarded_share.scaleb(VALUE_DECIMALS).to_integral_value(),
    }
