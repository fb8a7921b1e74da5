"""Line SQL of the per-event models: percentage (free units in event order), dynamic prices
carried by the records, and the 95th percentile of bandwidth samples.

Events are ordered as the reference orders them, by (start_time, record_id) with a missing start
first, and numbered per charge (`position`). Free units follow from running totals over that order
(window functions), no loop: event k is free when k is within the free transactions and the running
amount up to and including it is within the free amount (the amount before it still below); the
event that carries the running amount past the free amount pays the part above it.
"""

from typing import Final

from tollway.rating.duckdb._sql import AMOUNT, VALUE, LineQuery, LineSelect, table

EVENT_MODELS: Final = ("percentage", "dynamic", "percentile_95")
_ORDER: Final = "ORDER BY u.start_time ASC NULLS FIRST, u.record_id ASC NULLS FIRST"
_ZERO_AMOUNT: Final = f"CAST(0 AS {AMOUNT})"
_ZERO: Final = f"CAST(0 AS {VALUE})"
_CHARGE: Final = "PARTITION BY e.charge_key, e.price_id"


def event_order_sql(alias: str = "u") -> str:
    """The reference's event order over a usage relation aliased `alias`."""
    return _ORDER.replace("u.", f"{alias}.")


_POSITIONED_MODELS: Final = ("percentage", "dynamic")
"""The per-event models that number their events (the 95th percentile ranks by size instead)."""


def _events_cte() -> str:
    models = ", ".join(f"'{model}'" for model in _POSITIONED_MODELS)
    return f"""
        SELECT u.charge_key, u.price_id, u.record_id, u.quantity, u.amount, u.unit_price,
               u.start_time, p.model,
               row_number() OVER (PARTITION BY u.charge_key, u.price_id {_ORDER}) AS position
        FROM {table("usage")} u JOIN {table("prices")} p ON p.price_id = u.price_id
        WHERE p.model IN ({models})
          AND NOT EXISTS (SELECT 1 FROM {table("failures")} f
                          WHERE f.charge_key = u.charge_key AND f.price_id = u.price_id)"""


def _percentage_ctes() -> list[tuple[str, str]]:
    running = f"""
        SELECT e.charge_key, e.price_id, e.position, CAST(e.amount AS {VALUE}) AS amount,
               CAST(sum(e.amount) OVER ({_CHARGE} ORDER BY e.position
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS {VALUE}) AS running,
               p.rate_fraction, p.fixed_fee, p.free_transactions, p.free_amount,
               CAST(p.per_transaction_min AS {AMOUNT}) AS minimum,
               CAST(p.per_transaction_max AS {AMOUNT}) AS maximum
        FROM events e JOIN {table("prices")} p ON p.price_id = e.price_id
        WHERE e.model = 'percentage'"""
    within_count = "(free_transactions IS NULL OR position <= free_transactions)"
    classified = f"""
        SELECT *,
               (free_transactions IS NOT NULL OR free_amount IS NOT NULL) AND {within_count}
               AND (free_amount IS NULL
                    OR (running <= free_amount AND running - amount < free_amount)) AS is_free,
               free_amount IS NOT NULL AND {within_count}
               AND running - amount < free_amount AND running > free_amount AS is_straddle
        FROM percentage_running"""
    paid = """
        SELECT *, CASE WHEN is_straddle THEN running - free_amount ELSE amount END AS paid,
               (CASE WHEN is_straddle THEN running - free_amount ELSE amount END) * rate_fraction
               + fixed_fee AS fee
        FROM percentage_classified"""
    adjusted = f"""
        SELECT *, CASE WHEN is_free THEN {_ZERO_AMOUNT}
                       WHEN minimum IS NOT NULL AND fee < minimum THEN minimum - fee
                       WHEN maximum IS NOT NULL AND fee > maximum THEN maximum - fee
                       ELSE {_ZERO_AMOUNT} END AS adjustment
        FROM percentage_paid"""
    return [
        ("percentage_running", running),
        ("percentage_classified", classified),
        ("percentage_paid", paid),
        ("percentage_adjusted", adjusted),
        ("percentage_tally", _percentage_tally()),
    ]


def _percentage_tally() -> str:
    exempt = f"CASE WHEN is_free THEN amount WHEN is_straddle THEN amount - paid ELSE {_ZERO} END"
    return f"""
        SELECT charge_key, price_id, any_value(rate_fraction) AS rate_fraction,
               any_value(fixed_fee) AS fixed_fee,
               count(*) FILTER (WHERE is_free) AS free_count,
               sum({exempt}) AS exempt,
               count(*) FILTER (WHERE NOT is_free) AS paid_count,
               coalesce(sum(paid) FILTER (WHERE NOT is_free), {_ZERO}) AS paid_base,
               count(*) FILTER (WHERE adjustment > 0) AS raised_count,
               sum(adjustment) FILTER (WHERE adjustment > 0) AS raised_amount,
               count(*) FILTER (WHERE adjustment < 0) AS capped_count,
               sum(adjustment) FILTER (WHERE adjustment < 0) AS capped_amount,
               CAST(bool_or(is_straddle) AS INTEGER) AS straddled
        FROM percentage_adjusted GROUP BY charge_key, price_id"""


def _percentage_selects() -> list[LineSelect]:
    source = "percentage_tally"
    return [
        LineSelect(
            source,
            {
                "kind": "'free_units'",
                "quantity": "exempt",
                "amount": "0",
                "note_count": "free_count",
                "note_index": "straddled",
            },
            where="free_count > 0 OR exempt <> 0",
        ),
        LineSelect(
            source,
            {
                "line_number": "1",
                "kind": "'percentage'",
                "quantity": "paid_base",
                "unit_price": "rate_fraction",
                "amount": "paid_base * rate_fraction",
                "note_count": "paid_count",
                "note_index": "straddled",
            },
        ),
        LineSelect(
            source,
            {
                "line_number": "2",
                "kind": "'fixed_fee'",
                "quantity": "paid_count",
                "unit_price": "fixed_fee",
                "amount": "paid_count * fixed_fee",
            },
            where="fixed_fee <> 0 AND paid_count > 0",
        ),
        LineSelect(
            source,
            {
                "line_number": "3",
                "kind": "'per_transaction_minimum'",
                "quantity": "raised_count",
                "amount": "raised_amount",
                "note_count": "raised_count",
            },
            where="raised_count > 0",
        ),
        LineSelect(
            source,
            {
                "line_number": "4",
                "kind": "'per_transaction_maximum'",
                "quantity": "capped_count",
                "amount": "capped_amount",
                "note_count": "capped_count",
            },
            where="capped_count > 0",
        ),
    ]


def _dynamic_ctes() -> list[tuple[str, str]]:
    carried = """
        SELECT charge_key, price_id, count(*) AS records, sum(quantity) AS quantity,
               sum(amount) AS amount
        FROM events WHERE model = 'dynamic' AND amount IS NOT NULL
        GROUP BY charge_key, price_id"""
    # One line per distinct unit price, in the order its first record comes.
    by_price = """
        SELECT charge_key, price_id, unit_price, count(*) AS records,
               sum(quantity) AS quantity, min(position) AS first_position
        FROM events WHERE model = 'dynamic' AND amount IS NULL
        GROUP BY charge_key, price_id, unit_price"""
    return [("dynamic_carried", carried), ("dynamic_by_price", by_price)]


def _dynamic_selects() -> list[LineSelect]:
    return [
        LineSelect(
            "dynamic_carried",
            {
                "kind": "'record_amount'",
                "quantity": "quantity",
                "amount": "amount",
                "note_count": "records",
            },
        ),
        LineSelect(
            "dynamic_by_price",
            {
                "line_number": "first_position",
                "kind": "'record_unit_price'",
                "quantity": "quantity",
                "unit_price": "unit_price",
                "amount": "quantity * unit_price",
                "note_count": "records",
            },
        ),
    ]


def _percentile_ctes() -> list[tuple[str, str]]:
    # The billed sample is the (n − discarded)-th smallest by (size, event order): the
    # (discarded + 1)-th largest in the reverse order (size descending, a missing size first;
    # then start and record id descending, missing last). Sorting every sample by that order
    # costs a sort of all samples with their text record ids; instead a top-N aggregate finds
    # the billed *size* (the level), and only the samples of exactly that size are ranked, by
    # (start, record id), after those above it. The window partitions by the charge's row
    # number in `charges` (an integer: cheaper than the text keys).
    discarded = (
        "CAST(c.record_count AS HUGEINT) * CAST(p.discard_units AS HUGEINT) // 100000000000000"
    )
    charges = f"""
        SELECT c.rowid AS charge_number, c.charge_key, c.price_id, c.record_count AS sample_count,
               {discarded} AS discarded, CAST({discarded} AS BIGINT) + 1 AS billed_rank,
               p.committed_rate, p.committed_price, p.burst_price
        FROM {table("charges")} c JOIN {table("prices")} p ON p.price_id = c.price_id
        ANTI JOIN {table("failures")} f ON f.charge_key = c.charge_key AND f.price_id = c.price_id
        WHERE p.model = 'percentile_95'"""
    # max(size, n): the n largest sizes, largest first (missing sizes left out, counted apart).
    top = f"""
        SELECT k.charge_number, k.billed_rank,
               count(*) FILTER (WHERE u.quantity IS NULL) AS missing,
               max(u.quantity, k.billed_rank) AS largest
        FROM {table("usage")} u JOIN percentile_charges k
          ON k.charge_key = u.charge_key AND k.price_id = u.price_id
        WHERE k.billed_rank <= k.sample_count
        GROUP BY k.charge_number, k.billed_rank"""
    # The level is the billed rank's size (missing when the rank falls among the missing
    # sizes); `above` counts the samples ordered before every sample of that size.
    level = """
        SELECT charge_number,
               CASE WHEN billed_rank > missing THEN largest[billed_rank - missing] END AS level,
               CASE WHEN billed_rank > missing
                    THEN missing + list_position(largest, largest[billed_rank - missing]) - 1
                    ELSE 0 END AS above
        FROM percentile_top"""
    sample = f"""
        SELECT k.*, u.quantity, epoch_us(u.start_time) AS start_us,
               CAST(u.quantity AS {VALUE}) - k.committed_rate AS burst
        FROM {table("usage")} u JOIN percentile_charges k
          ON k.charge_key = u.charge_key AND k.price_id = u.price_id
        JOIN percentile_level l ON l.charge_number = k.charge_number
        WHERE u.quantity IS NOT DISTINCT FROM l.level
        QUALIFY row_number() OVER (PARTITION BY k.charge_number
                                   ORDER BY u.start_time DESC NULLS LAST,
                                            u.record_id DESC NULLS LAST)
                = k.billed_rank - l.above"""
    return [
        ("percentile_charges", charges),
        ("percentile_top", top),
        ("percentile_level", level),
        ("percentile_sample", sample),
    ]


def _percentile_selects() -> list[LineSelect]:
    source = "percentile_sample"
    return [
        LineSelect(
            source,
            {
                "kind": "'percentile_sample'",
                "quantity": "quantity",
                "amount": "0",
                "note_count": "sample_count",
                "note_other_count": "discarded",
                "note_time": "start_us",
            },
        ),
        LineSelect(
            source,
            {
                "line_number": "1",
                "kind": "'committed'",
                "quantity": "committed_rate",
                "amount": "committed_price",
            },
        ),
        LineSelect(
            source,
            {
                "line_number": "2",
                "kind": "'burst'",
                "quantity": "burst",
                "unit_price": "burst_price",
                "amount": "burst * burst_price",
            },
            where="burst > 0",
        ),
    ]


def event_line_query() -> LineQuery:
    """Every line of the charges priced event by event (except duration calls)."""
    ctes = [("events", _events_cte()), *_percentage_ctes(), *_dynamic_ctes(), *_percentile_ctes()]
    selects = [*_percentage_selects(), *_dynamic_selects(), *_percentile_selects()]
    return LineQuery(tuple(ctes), tuple(selects))
