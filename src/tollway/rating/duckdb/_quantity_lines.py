"""Line SQL of the models priced from a charge's totals: flat, per unit, graduated, volume,
stairstep, package, block tiers, graduated percentage, and spend commitments over the first seven.

Everything here starts from the `charges` table (one row per charge key and price, with SUM of the
quantities and of the transaction amounts): records are aggregated first, then the aggregates are
joined with the tier and block tables.
"""

from typing import Final

from tollway.rating.duckdb._sql import (
    AMOUNT,
    LINE_COLUMNS,
    VALUE,
    LineQuery,
    LineSelect,
    ceil_divide,
    floor_divide,
    rounded,
    table,
    unscaled,
)

_ZERO: Final = f"CAST(0 AS {VALUE})"
_TIERED: Final = "('graduated', 'graduated_percentage', 'volume', 'stairstep')"


def _charges_cte() -> str:
    failures = table("failures")
    return f"""
        SELECT c.charge_key, CAST(c.quantity AS {VALUE}) AS total,
               CAST(c.amount_total AS {VALUE}) AS amount_total, p.*
        FROM {table("charges")} c JOIN {table("prices")} p ON p.price_id = c.price_id
        WHERE NOT EXISTS (SELECT 1 FROM {failures} f
                          WHERE f.charge_key = c.charge_key AND f.price_id = c.price_id)"""


def _tier_ctes() -> list[tuple[str, str]]:
    measured = f"""
        SELECT a.charge_key, a.price_id, a.model, a.adjacent, a.flat_fee_at_zero,
               CASE WHEN a.model = 'graduated_percentage' THEN a.amount_total ELSE a.total END
                 AS measure,
               a.lookup_ceil AND a.model IN ('volume', 'stairstep') AS lookup_ceil,
               t.tier_index, t.lower, t.up_to, t.unit_price, t.flat_price
        FROM aggregated a JOIN {table("tiers")} t ON t.price_id = a.price_id
        WHERE a.model IN {_TIERED}"""
    looked = f"""
        SELECT *, CASE WHEN lookup_ceil THEN CAST(ceil(measure) AS {VALUE}) ELSE measure END
                    AS lookup
        FROM measured"""
    reached = """
        SELECT charge_key, price_id, min(tier_index) AS reached_index FROM looked
        WHERE up_to IS NULL OR lookup < up_to OR (lookup = up_to AND NOT adjacent)
        GROUP BY charge_key, price_id"""
    entered = f"""
        SELECT l.*, r.reached_index,
               GREATEST(COALESCE(LEAST(l.measure, l.up_to), l.measure) - l.lower, {_ZERO})
                 AS units
        FROM looked l JOIN reached r ON r.charge_key = l.charge_key AND r.price_id = l.price_id
        WHERE l.tier_index <= r.reached_index"""
    return [("measured", measured), ("looked", looked), ("reached", reached), ("entered", entered)]


def _tier_selects() -> list[LineSelect]:
    graduated = "model IN ('graduated', 'graduated_percentage')"
    top = "model IN ('volume', 'stairstep') AND tier_index = reached_index"
    tier = "tier_index + 1"
    return [
        LineSelect(
            "entered",
            {
                "line_number": "2 * tier_index",
                "kind": "'tier'",
                "tier": tier,
                "quantity": "CASE WHEN model = 'volume' THEN measure ELSE units END",
                "unit_price": "unit_price",
                "amount": "CASE WHEN model = 'volume' THEN measure ELSE units END * unit_price",
            },
            where=f"({graduated} OR ({top} AND model = 'volume'))",
        ),
        LineSelect(
            "entered",
            {
                "line_number": "2 * tier_index + 1",
                "kind": "'tier_flat_fee'",
                "tier": tier,
                "quantity": "1",
                "unit_price": "flat_price",
                "amount": "flat_price",
            },
            # Graduated: every tier after the first is entered when reached; the first (and a
            # volume tier) only with usage, or under flat_fee_at_zero.
            where=(
                f"flat_price <> 0 AND ({graduated} OR ({top} AND model = 'volume')) AND "
                "((model <> 'volume' AND tier_index > 0) OR measure > 0 OR flat_fee_at_zero)"
            ),
        ),
        LineSelect(
            "entered",
            {
                "kind": "'step'",
                "tier": tier,
                "quantity": "measure",
                "amount": f"CASE WHEN measure > 0 OR flat_fee_at_zero THEN flat_price ELSE {_ZERO} END",
            },
            where=f"{top} AND model = 'stairstep'",
        ),
    ]


def _package_ctes() -> list[tuple[str, str]]:
    paid = f"""
        SELECT charge_key, price_id, total, free_units, package_price, package_round_up,
               GREATEST(total - free_units, {_ZERO}) AS paid_units,
               CAST(package_size_units AS HUGEINT) AS size_units
        FROM aggregated WHERE model = 'package'"""
    whole = ceil_divide(unscaled("paid_units"), "size_units")
    complete = floor_divide(unscaled("paid_units"), "size_units")
    packaged = f"""
        SELECT *, CAST(CASE WHEN package_round_up THEN {whole} ELSE {complete} END
                       AS DECIMAL(38,0)) AS packages
        FROM paid"""
    return [("paid", paid), ("packaged", packaged)]


def _package_selects() -> list[LineSelect]:
    return [
        LineSelect(
            "packaged",
            {
                "kind": "'free_units'",
                "quantity": "LEAST(total, free_units)",
                "unit_price": "0",
                "amount": "0",
            },
            where="free_units > 0",
        ),
        LineSelect(
            "packaged",
            {
                "line_number": "1",
                "kind": "'package'",
                "quantity": "packages",
                "unit_price": "package_price",
                "amount": "packages * package_price",
                "note_value": "paid_units",
            },
        ),
    ]


def _block_ctes() -> list[tuple[str, str]]:
    blocked = f"""
        SELECT a.charge_key, a.price_id, a.total, a.block_all_tiers, b.tier_index, b.tier_count,
               CAST(b.size_units AS HUGEINT) AS size_units, b.max_blocks, b.block_price,
               b.capacity, b.capacity_before, a.total - b.capacity_before AS remaining
        FROM aggregated a JOIN {table("blocks")} b ON b.price_id = a.price_id
        WHERE a.model = 'block_tiers'"""
    # A tier is filled only when the usage left for it exceeds its capacity (ceil(r/s) > max
    # exactly when r > max × s), so tier i is reached when the total exceeds the tiers before it.
    filled = f"""
        SELECT *, capacity IS NOT NULL AND remaining > capacity AS is_full,
               CAST({ceil_divide(unscaled("remaining"), "size_units")} AS DECIMAL(38,0))
                 AS blocks_needed
        FROM blocked
        WHERE block_all_tiers AND (tier_index = 0 OR total > capacity_before)"""
    beyond = f"""
        SELECT *, remaining - capacity AS beyond,
               CAST({ceil_divide(unscaled("remaining - capacity"), "size_units")}
                    AS DECIMAL(38,0)) AS blocks
        FROM blocked
        WHERE block_all_tiers AND tier_index = tier_count - 1 AND capacity IS NOT NULL
          AND remaining > capacity"""
    top_reached = """
        SELECT charge_key, price_id,
               coalesce(min(tier_index) FILTER (WHERE capacity IS NULL OR remaining <= capacity),
                        max(tier_index)) AS reached_index
        FROM blocked WHERE NOT block_all_tiers GROUP BY charge_key, price_id"""
    top = f"""
        SELECT b.*, CAST({ceil_divide(unscaled("b.total"), "b.size_units")} AS DECIMAL(38,0))
                      AS blocks
        FROM blocked b JOIN top_reached r
          ON r.charge_key = b.charge_key AND r.price_id = b.price_id
         AND b.tier_index = r.reached_index"""
    return [
        ("blocked", blocked),
        ("filled", filled),
        ("beyond_capacity", beyond),
        ("top_reached", top_reached),
        ("top_tier", top),
    ]


def _block_selects() -> list[LineSelect]:
    blocks = "CASE WHEN is_full THEN CAST(max_blocks AS DECIMAL(38,0)) ELSE blocks_needed END"
    return [
        LineSelect(
            "filled",
            {
                "line_number": "tier_index",
                "kind": "'block_tier'",
                "tier": "tier_index + 1",
                "quantity": blocks,
                "unit_price": "block_price",
                "amount": f"({blocks}) * block_price",
                "note_value": "CASE WHEN is_full THEN capacity ELSE remaining END",
            },
        ),
        LineSelect(
            "beyond_capacity",
            {
                "line_number": "tier_count",
                "kind": "'block_overage'",
                "tier": "tier_count",
                "quantity": "blocks",
                "unit_price": "block_price",
                "amount": "blocks * block_price",
                "note_value": "beyond",
            },
        ),
        LineSelect(
            "top_tier",
            {
                "kind": "'block_tier'",
                "tier": "tier_index + 1",
                "quantity": "blocks",
                "unit_price": "block_price",
                "amount": "blocks * block_price",
                "note_value": "total",
            },
        ),
    ]


def _simple_selects() -> list[LineSelect]:
    return [
        LineSelect(
            "aggregated",
            {"kind": "'flat'", "quantity": "1", "unit_price": "amount", "amount": "amount"},
            where="model = 'flat'",
        ),
        LineSelect(
            "aggregated",
            {
                "kind": "'per_unit'",
                "quantity": "total",
                "unit_price": "unit_price",
                "amount": "total * unit_price",
            },
            where="model = 'per_unit'",
        ),
    ]


def quantity_line_query() -> LineQuery:
    """Every line of the charges priced from their totals (spend commitments' inner lines too)."""
    ctes = [("aggregated", _charges_cte()), *_tier_ctes(), *_package_ctes(), *_block_ctes()]
    selects = [*_simple_selects(), *_tier_selects(), *_package_selects(), *_block_selects()]
    return LineQuery(tuple(ctes), tuple(selects))


def spend_line_query(inner: LineQuery) -> LineQuery:
    """The inner lines plus each spend commitment's true-up, discount and inner rounding lines.

    The bound is compared with the inner price rounded at the price's rounding stage, as the
    model does; under per-line rounding the difference between the rounded and the precise inner
    price becomes an "inner_rounding" line so the breakdown adds up to the bound exactly.
    """
    line_rounded = rounded("l.amount", quantum="p.quantum", mode="p.rounding_mode")
    totals = f"""
        SELECT l.charge_key, l.price_id, sum(l.amount) AS precise,
               sum({line_rounded}) AS rounded_lines
        FROM inner_lines l JOIN {table("prices")} p ON p.price_id = l.price_id
        WHERE p.spend GROUP BY l.charge_key, l.price_id"""
    total_rounded = rounded("t.precise", quantum="p.quantum", mode="p.rounding_mode")
    billed = f"""
        SELECT t.charge_key, t.price_id, t.precise, p.rounding_stage,
               CAST(p.spend_minimum AS {AMOUNT}) AS minimum,
               CAST(p.spend_maximum AS {AMOUNT}) AS maximum,
               CASE p.rounding_stage WHEN 'per_increment' THEN t.rounded_lines
                    WHEN 'per_line' THEN {total_rounded} ELSE t.precise END AS billed
        FROM spend_totals t JOIN {table("prices")} p ON p.price_id = t.price_id"""
    adjusted = """
        SELECT *,
               CASE WHEN minimum IS NOT NULL AND billed < minimum THEN minimum - billed
                    WHEN maximum IS NOT NULL AND billed > maximum THEN maximum - billed
               END AS adjustment,
               CASE WHEN minimum IS NOT NULL AND billed < minimum THEN 'minimum_spend'
                    ELSE 'maximum_spend' END AS adjustment_kind
        FROM spend_billed"""
    everything = {name: name for name, _ in LINE_COLUMNS}
    selects = (
        LineSelect("inner_lines", everything),
        LineSelect(
            "spend_adjusted",
            {"line_stage": "1", "kind": "adjustment_kind", "quantity": "1", "amount": "adjustment"},
            where="adjustment IS NOT NULL",
        ),
        LineSelect(
            "spend_adjusted",
            {
                "line_stage": "1",
                "line_number": "1",
                "kind": "'inner_rounding'",
                "quantity": "1",
                "amount": "billed - precise",
            },
            where="adjustment IS NOT NULL AND rounding_stage = 'per_line' AND billed <> precise",
        ),
    )
    ctes = (
        ("inner_lines", inner.sql()),
        ("spend_totals", totals),
        ("spend_billed", billed),
        ("spend_adjusted", adjusted),
    )
    return LineQuery(ctes, selects)
