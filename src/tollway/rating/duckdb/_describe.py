"""Line rows from SQL → the `BreakdownLine`s and `PriceResult` the reference rater returns.

The SQL computes every number; this module only writes the descriptions a finance reader sees,
per charge. A description shows decimals exactly as the pricing core prints them, and the core's
`Decimal` arithmetic decides how many trailing zeros a figure carries (250.000000000 − 100 prints
as 150.000000000), so each figure shown is re-derived here with the core's own operations from the
charge's totals and the definition, then checked equal to the SQL value (the money invariant
asserted twice). Amounts are never taken from this side: `finalize` sums the SQL amounts.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, NamedTuple

from tollway.conventions import PackageRounding
from tollway.money import MONEY_CONTEXT, Money, RoundingStage, round_decimal
from tollway.pricing import (
    BlockTierMode,
    BlockTiers,
    BreakdownLine,
    DurationRating,
    Dynamic,
    Flat,
    Graduated,
    GraduatedPercentage,
    Package,
    Percentage,
    Percentile95,
    PerUnit,
    PriceResult,
    Stairstep,
    Volume,
    finalize,
)
from tollway.rating.duckdb._compile import CompiledPrice
from tollway.rating.duckdb._records import start_time

ZERO: Final = Decimal(0)
QUANTITY_EXPONENT: Final = -9
"""Quantities and transaction amounts arrive as DECIMAL(38,9): the core sees nine decimals."""


class LineRow(NamedTuple):
    """One row of the line query (see `_sql.LINE_COLUMNS`)."""

    charge_key: str
    price_id: str
    line_stage: int
    line_group: int
    line_number: int
    kind: str
    tier: int | None
    quantity: Decimal
    unit_price: Decimal | None
    amount: Decimal
    note_count: int | None
    note_other_count: int | None
    note_value: Decimal | None
    note_index: int | None
    note_text: str | None
    note_time: int | None


@dataclass(frozen=True, slots=True)
class ChargeTotals:
    """What the `charges` aggregate knows of one charge: SUM(quantity) and SUM(amount)."""

    record_count: int
    quantity: Decimal
    amount_total: Decimal | None


def shown(value: Decimal, exponent: int) -> Decimal:
    """`value` written with `exponent` as its last place, as the core's arithmetic writes it.

    >>> shown(Decimal("1.500000000000"), -9)
    Decimal('1.500000000')
    """
    written = value.quantize(Decimal(1).scaleb(exponent), context=MONEY_CONTEXT)
    assert written == value, f"{value} does not fit {exponent} decimals"
    return written


def _line(row: LineRow, description: str, *, amount: Decimal | None = None) -> BreakdownLine:
    """A breakdown line from a SQL row; `amount`, when given, is the core-written equal of the
    SQL amount (a spend commitment prints the inner total, so its zeros matter)."""
    if amount is not None:
        assert amount == row.amount, f"{row.kind}: SQL amount {row.amount} is not {amount}"
    written = row.amount if amount is None else amount
    return BreakdownLine(row.kind, description, row.quantity, row.unit_price, written, row.tier)


def _span(lower: Decimal, up_to: Decimal | None) -> str:
    return f"{lower} to {up_to}" if up_to is not None else f"above {lower}"


def _lower(bounds: Sequence[Decimal | None], index: int) -> Decimal:
    bound = ZERO if index == 0 else bounds[index - 1]
    assert bound is not None, "only the last tier is unbounded"
    return bound


# --- the models priced from totals --------------------------------------------------------------


def _describe_flat(model: Flat, row: LineRow, totals: ChargeTotals) -> BreakdownLine:
    return _line(row, f"flat fee {model.amount}", amount=model.amount)


def _describe_per_unit(model: PerUnit, row: LineRow, totals: ChargeTotals) -> BreakdownLine:
    amount = MONEY_CONTEXT.multiply(totals.quantity, model.unit_price)
    return _line(row, f"{totals.quantity} units at {model.unit_price}", amount=amount)


def _describe_tiers(model: Graduated | Volume, row: LineRow, totals: ChargeTotals) -> BreakdownLine:
    assert row.tier is not None
    index = row.tier - 1
    tier = model.tiers[index]
    if row.kind == "tier_flat_fee":
        return _line(row, f"tier {row.tier} flat fee", amount=tier.flat_price)
    lower = _lower([each.up_to for each in model.tiers], index)
    units = totals.quantity
    if isinstance(model, Graduated):
        top = totals.quantity if tier.up_to is None else min(totals.quantity, tier.up_to)
        units = max(MONEY_CONTEXT.subtract(top, lower), ZERO)
    assert units == row.quantity, f"tier {row.tier}: SQL units {row.quantity} are not {units}"
    description = (
        f"tier {row.tier} ({_span(lower, tier.up_to)}): {units} units at {tier.unit_price}"
    )
    return _line(row, description, amount=MONEY_CONTEXT.multiply(units, tier.unit_price))


def _describe_step(
    model: Stairstep, row: LineRow, totals: ChargeTotals, *, charged: bool
) -> BreakdownLine:
    assert row.tier is not None
    step = model.steps[row.tier - 1]
    lower = _lower([each.up_to for each in model.steps], row.tier - 1)
    note = "" if charged else " (no usage: not charged)"
    description = f"step {row.tier} ({_span(lower, step.up_to)}): {totals.quantity} units{note}"
    return _line(row, description, amount=step.amount if charged else ZERO)


def _describe_package(
    model: Package, row: LineRow, totals: ChargeTotals, *, round_up: bool
) -> BreakdownLine:
    if row.kind == "free_units":
        used = min(totals.quantity, model.free_units)
        return _line(row, f"{used} of {model.free_units} free units", amount=ZERO)
    paid_units = max(MONEY_CONTEXT.subtract(totals.quantity, model.free_units), ZERO)
    packages = Decimal(int(row.quantity))  # an integer quotient: exponent 0, as the core's
    rounding = "a started package counts" if round_up else "only complete packages count"
    description = (
        f"{packages} packages of {model.package_size} units at {model.package_price} "
        f"({paid_units} paid units; {rounding})"
    )
    return _line(row, description, amount=MONEY_CONTEXT.multiply(packages, model.package_price))


def block_units(model: BlockTiers, total: Decimal) -> list[Decimal]:
    """The units each all-tiers line counts, written as the core writes them; the last entry is
    what is left beyond the last tier's capacity (zero when nothing is)."""
    units_by_line: list[Decimal] = []
    remaining = total
    for index, tier in enumerate(model.tiers):
        if index > 0 and remaining == 0:
            break
        units = remaining
        if tier.capacity is not None and remaining > tier.capacity:
            units = tier.capacity
        units_by_line.append(units)
        remaining = MONEY_CONTEXT.subtract(remaining, units)
    return [*units_by_line, remaining]


def _describe_blocks(model: BlockTiers, row: LineRow, totals: ChargeTotals) -> BreakdownLine:
    assert row.tier is not None
    tier = model.tiers[row.tier - 1]
    if model.mode is BlockTierMode.TOP_TIER:
        units = totals.quantity
    else:
        every = block_units(model, totals.quantity)
        units = every[-1] if row.kind == "block_overage" else every[row.tier - 1]
    assert row.note_value == units, f"block tier {row.tier}: SQL units {row.note_value} not {units}"
    blocks = Decimal(int(row.quantity))
    note = " beyond its capacity" if row.kind == "block_overage" else ""
    description = (
        f"tier {row.tier}{note}: {blocks} blocks of {tier.block_size} units at "
        f"{tier.block_price} ({units} units, a partial block counts)"
    )
    return _line(row, description, amount=MONEY_CONTEXT.multiply(blocks, tier.block_price))


def _describe_graduated_percentage(
    model: GraduatedPercentage, row: LineRow, totals: ChargeTotals
) -> BreakdownLine:
    assert row.tier is not None and totals.amount_total is not None
    index = row.tier - 1
    tier = model.tiers[index]
    if row.kind == "tier_flat_fee":
        return _line(row, f"tier {row.tier}: flat fee")
    lower = _lower([each.up_to for each in model.tiers], index)
    total = totals.amount_total
    top = total if tier.up_to is None else min(total, tier.up_to)
    in_tier = max(top - lower, ZERO)
    assert in_tier == row.quantity, f"tier {row.tier}: SQL {row.quantity} is not {in_tier}"
    return _line(row, f"tier {row.tier}: {tier.rate} % of {in_tier}")


# --- the per-event models -----------------------------------------------------------------------


def _describe_percentage(model: Percentage, row: LineRow, totals: ChargeTotals) -> BreakdownLine:
    # Running sums start at Decimal(0) and add nine-decimal amounts; only the part of a
    # transaction above the free amount can carry the free amount's finer decimals.
    straddled = bool(row.note_index)
    exponent = QUANTITY_EXPONENT
    if straddled:
        exponent = min(exponent, int(model.free_amount.as_tuple().exponent))
    if row.kind == "free_units":
        exempt = shown(row.quantity, exponent)
        return _line(
            row,
            f"free units: {row.note_count} free transactions, "
            f"{exempt} of transaction amount exempt",
        )
    if row.kind == "percentage":
        paid_base = shown(row.quantity, exponent if row.note_count else 0)
        return _line(row, f"{model.rate} % of {paid_base} ({row.note_count} transactions)")
    if row.kind == "fixed_fee":
        count = int(row.quantity)
        fee = model.fixed_fee_per_transaction
        return _line(row, f"fixed fee {fee} × {count} paid transactions")
    if row.kind == "per_transaction_minimum":
        minimum = model.per_transaction_min
        return _line(row, f"{row.note_count} transactions raised to the minimum fee {minimum}")
    assert row.kind == "per_transaction_maximum", row.kind
    maximum = model.per_transaction_max
    return _line(row, f"{row.note_count} transactions capped at the maximum fee {maximum}")


def _describe_dynamic(model: Dynamic, row: LineRow, totals: ChargeTotals) -> BreakdownLine:
    if row.kind == "record_amount":
        return _line(row, f"{row.note_count} records carrying their own amount")
    quantity = shown(row.quantity, QUANTITY_EXPONENT)
    return _line(row, f"{row.note_count} records: {quantity} × {row.unit_price}")


def _describe_percentile(
    model: Percentile95, row: LineRow, totals: ChargeTotals, *, billed_mbps: Decimal
) -> BreakdownLine:
    if row.kind == "committed":
        return _line(row, f"committed {model.committed_rate_mbps} Mbps")
    if row.kind == "burst":
        burst = billed_mbps - model.committed_rate_mbps
        committed = model.committed_rate_mbps
        return _line(row, f"burst {burst} Mbps above the committed {committed}")
    assert row.kind == "percentile_sample", row.kind
    taken_at = start_time(row.note_time)
    taken = f" taken {taken_at.isoformat()}" if taken_at is not None else ""
    description = (
        f"{model.percentile}th percentile of {row.note_count} samples ({row.note_other_count} "
        f"highest discarded): {billed_mbps} Mbps{taken}"
    )
    return _line(row, description)


# --- charges ------------------------------------------------------------------------------------

Describer = Callable[[LineRow], BreakdownLine]


def _describer(price: CompiledPrice, totals: ChargeTotals, billed_mbps: Decimal) -> Describer:
    model: Any = price.priced_model
    conventions = price.conventions
    assert conventions is not None
    if isinstance(model, Stairstep):
        charged = totals.quantity > 0 or conventions.flat_fee_at_zero
        return lambda row: _describe_step(model, row, totals, charged=charged)
    if isinstance(model, Package):
        round_up = conventions.package_rounding is PackageRounding.UP
        return lambda row: _describe_package(model, row, totals, round_up=round_up)
    if isinstance(model, Percentile95):
        return lambda row: _describe_percentile(model, row, totals, billed_mbps=billed_mbps)
    describe = _DESCRIBERS[type(model)]
    return lambda row: describe(model, row, totals)


_DESCRIBERS: Final[dict[type, Callable[[Any, LineRow, ChargeTotals], BreakdownLine]]] = {
    Flat: _describe_flat,
    PerUnit: _describe_per_unit,
    Graduated: _describe_tiers,
    Volume: _describe_tiers,
    BlockTiers: _describe_blocks,
    Percentage: _describe_percentage,
    GraduatedPercentage: _describe_graduated_percentage,
    Dynamic: _describe_dynamic,
}


def charge_quantity(price: CompiledPrice, totals: ChargeTotals, rows: Sequence[LineRow]) -> Decimal:
    """The quantity a `PriceResult` reports: summed amounts for percentages, the billed sample for
    the 95th percentile, the summed quantity otherwise."""
    model = price.priced_model
    if isinstance(model, Percentage | GraduatedPercentage):
        assert totals.amount_total is not None
        return totals.amount_total
    if isinstance(model, Percentile95):
        sample = next(row for row in rows if row.kind == "percentile_sample")
        return shown(sample.quantity, QUANTITY_EXPONENT)
    return totals.quantity


def build_result(
    price: CompiledPrice, totals: ChargeTotals, rows: Sequence[LineRow]
) -> PriceResult:
    """The charge's `PriceResult` from its SQL line rows (in line order); duration charges come
    with their lines already built (`call_result`)."""
    assert price.conventions is not None
    assert not isinstance(price.priced_model, DurationRating), "duration lines come per call"
    quantity = charge_quantity(price, totals, rows)
    describe = _describer(price, totals, quantity)
    lines = [describe(row) for row in rows if row.line_stage == 0]
    if price.spend is not None:
        lines.extend(_spend_lines(price, lines, [row for row in rows if row.line_stage == 1]))
    currency = price.definition.currency
    return finalize(lines, quantity=quantity, currency=currency, conventions=price.conventions)


def call_result(
    price: CompiledPrice, totals: ChargeTotals, lines: Sequence[BreakdownLine]
) -> PriceResult:
    """A duration charge's `PriceResult` from its calls' lines (see `_call_lines`)."""
    assert price.conventions is not None and isinstance(price.priced_model, DurationRating)
    return finalize(
        lines,
        quantity=totals.quantity,
        currency=price.definition.currency,
        conventions=price.conventions,
    )


def _spend_lines(
    price: CompiledPrice, inner: Sequence[BreakdownLine], rows: Sequence[LineRow]
) -> list[BreakdownLine]:
    spend, conventions = price.spend, price.conventions
    assert spend is not None and conventions is not None
    currency = price.definition.currency
    precise = sum((line.amount for line in inner), ZERO)
    billed = round_decimal(precise, decimals=currency.minor_units, mode=conventions.rounding_mode)
    lines: list[BreakdownLine] = []
    for row in rows:
        if row.kind == "minimum_spend":
            assert spend.minimum_amount is not None
            bound = Money(spend.minimum_amount, currency)
            lines.append(_line(row, f"minimum spend {bound}: true-up of the shortfall"))
        elif row.kind == "maximum_spend":
            assert spend.maximum_amount is not None
            bound = Money(spend.maximum_amount, currency)
            lines.append(_line(row, f"maximum spend {bound}: discount of the excess"))
        else:
            assert row.kind == "inner_rounding"
            assert conventions.rounding_stage is RoundingStage.PER_LINE
            lines.append(_line(row, f"inner price {precise} rounded to the invoiced {billed}"))
    return lines
