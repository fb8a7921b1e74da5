"""Line classification, in DuckDB: every paired, split or unpaired line gets one root-cause
category, the amount at stake (variance = tollway − legacy) and evidence in words.

Precedence for lines, first match wins (docs/parallel-run.md explains each):

1. `unexplained` — the legacy account is not in the cross-walk, or the currencies differ;
2. unpaired: `discount` for a discount or credit line, else `missing_in_new` (legacy only) or
   `extra_in_new` (tollway only);
3. `hierarchy` — the pair is on invoices of different accounts (a roll-up);
4. `timing` — the pair's periods do not overlap (billed in another period window; an empty
   period [d, d), a one-time charge, counts as the day d);
5. `matched` — no attribute differs and the amounts are equal;
6. `rounding` — no attribute differs and |variance| ≤ the rounding threshold;
7. `discount` — a discount or credit line whose amount differs;
8. `proration` — the periods overlap but differ;
9. `rate` — the unit prices differ;
10. `usage_completeness` — a usage line's quantity differs at the same rate;
11. `quantity` — the quantity differs at the same rate;
12. `proration` — the amounts stand in a day-count ratio (28–31 days, 360–366 days);
13. `rate` — same quantity, no unit price on one side, the amount per unit differs;
14. `unexplained` — or `matched` when |variance| is within the line tolerance.

Attributes compared: the invoice's account, the period, quantity and unit price (a null on one
side compares as unknown, never as different). Descriptions are not compared.
"""

from itertools import permutations
from typing import Final

import duckdb

from tollway.reconcile._engine_sql import AMOUNT, ZERO

_COLUMNS: Final = {
    "invoice_id": "VARCHAR",
    "line_id": "VARCHAR",
    "inv_row": "BIGINT",
    "invoice_account_id": "VARCHAR",
    "account_known": "BOOLEAN",
    "legacy_account_id": "VARCHAR",
    "circuit_id": "VARCHAR",
    "charge_type": "VARCHAR",
    "period_start": "DATE",
    "period_end": "DATE",
    "quantity": AMOUNT,
    "unit_price": AMOUNT,
    "amount": AMOUNT,
    "currency": "VARCHAR",
}
_DAY_COUNTS: Final = ((28, 29, 30, 31), (360, 365, 366))

METHOD_TEXT: Final = {
    "circuit_id_overlap": "the circuit over an overlapping period",
    "circuit_id_any_period": "the circuit in another period",
    "circuit_id_other_account": "the circuit on another account",
    "product_id_period": "the product and period",
    "product_id_overlap": "the product over an overlapping period",
    "product_id_any_period": "the product in another period",
    "product_id_other_account": "the product on another account",
    "description": "charge type and amount or description within the account (no circuit or "
    "product id)",
}
"""How evidence names a fuzzy pairing; exact pairings (circuit and period) and splits say
nothing or speak for themselves."""


def _side(prefix: str, alias: str | None) -> str:
    return ", ".join(
        f"{alias}.{column} AS {prefix}_{column}"
        if alias is not None
        else f"CAST(NULL AS {kind}) AS {prefix}_{column}"
        for column, kind in _COLUMNS.items()
    )


def create_line_compare(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the view `line_compare`: one row per 1:1 pair, per split (legacy pieces combined), and per
    unpaired line, with the legacy (`l_*`) and tollway (`t_*`) attributes side by side."""
    _create_split_sides(connection)
    connection.execute(
        # A view: line_result reads it once, through line_flags.
        f"""CREATE TEMP VIEW line_compare AS
        SELECT 'pair' AS kind, p.method, 1 AS pieces, CAST(NULL AS VARCHAR) AS pieces_text,
            {_side("l", "l")}, {_side("t", "t")}
        FROM line_pair p JOIN l_line l ON l.line_row = p.legacy_row
        JOIN t_line t ON t.line_row = p.tollway_row WHERE p.method <> 'split'
        UNION ALL
        SELECT 'split', 'split', s.pieces, s.pieces_text, {_side("l", "s")}, {_side("t", "t")}
        FROM l_split s JOIN t_line t ON t.line_row = s.tollway_row
        UNION ALL
        SELECT 'legacy_only', NULL, 1, NULL, {_side("l", "l")}, {_side("t", None)}
        FROM l_line l ANTI JOIN line_pair p ON p.legacy_row = l.line_row
        UNION ALL
        SELECT 'tollway_only', NULL, 1, NULL, {_side("l", None)}, {_side("t", "t")}
        FROM t_line t ANTI JOIN line_pair p ON p.tollway_row = t.line_row"""
    )


def _create_split_sides(connection: duckdb.DuckDBPyConnection) -> None:
    """`l_split`: each split's legacy pieces as one line (the first piece's ids; sums; the common
    unit price if every piece has the same one) and `split_secondary`: the other pieces."""
    connection.execute(
        """CREATE OR REPLACE TEMP TABLE l_split AS SELECT p.tollway_row,
            arg_min(l.invoice_id, l.line_id) AS invoice_id, min(l.line_id) AS line_id,
            arg_min(l.inv_row, l.line_id) AS inv_row,
            arg_min(l.invoice_account_id, l.line_id) AS invoice_account_id,
            bool_and(l.account_known) AS account_known,
            arg_min(l.legacy_account_id, l.line_id) AS legacy_account_id,
            arg_min(l.circuit_id, l.line_id) AS circuit_id,
            arg_min(l.charge_type, l.line_id) AS charge_type,
            min(l.period_start) AS period_start, max(l.period_end) AS period_end,
            -- Pieces that each bill tollway's quantity (a port for each half of the month)
            -- share it; otherwise (minutes split in two batches) their quantities add up.
            CASE WHEN count(l.quantity) < count(*) THEN NULL
                WHEN min(l.quantity) = max(l.quantity) AND min(l.quantity) = any_value(t.quantity)
                THEN min(l.quantity) ELSE sum(l.quantity) END AS quantity,
            CASE WHEN count(l.unit_price) = count(*) AND min(l.unit_price) = max(l.unit_price)
                THEN min(l.unit_price) END AS unit_price,
            sum(l.amount) AS amount, arg_min(l.currency, l.line_id) AS currency,
            count(*) AS pieces,
            string_agg(l.line_id || ' ' || num(l.amount), ' + ' ORDER BY l.line_id) AS pieces_text
        FROM line_pair p JOIN l_line l ON l.line_row = p.legacy_row
        JOIN t_line t ON t.line_row = p.tollway_row
        WHERE p.method = 'split' GROUP BY p.tollway_row"""
    )
    connection.execute(
        """CREATE OR REPLACE TEMP TABLE split_secondary AS SELECT
            l.invoice_id AS legacy_invoice_id, l.line_id AS legacy_line_id, l.amount,
            s.line_id AS primary_line_id, s.pieces, t.invoice_id AS tollway_invoice_id,
            t.line_id AS tollway_line_id
        FROM line_pair p JOIN l_line l ON l.line_row = p.legacy_row
        JOIN l_split s ON s.tollway_row = p.tollway_row
        JOIN t_line t ON t.line_row = p.tollway_row
        WHERE p.method = 'split' AND l.line_id <> s.line_id"""
    )


def _day_ratio() -> str:
    """A CASE naming the first day-count ratio the amounts stand in, NULL when none does.

    Legacy × legacy days = tollway × tollway days, up to the rounding of both amounts to the
    minor unit (half a unit each, times its days); and only when the amount is large enough for
    the ratio to stand out from that rounding tenfold (else a cent would pass for 365 vs 366)."""
    branches = [
        f"WHEN abs(l_amount) * {abs(legacy_days - tollway_days)} "
        f">= minor_unit * {5 * (legacy_days + tollway_days)} "
        f"AND abs(l_amount * {legacy_days} - t_amount * {tollway_days}) * 2 "
        f"<= minor_unit * {legacy_days + tollway_days} "
        f"THEN '{legacy_days} (legacy) vs {tollway_days} (tollway) days'"
        for counts in _DAY_COUNTS
        for legacy_days, tollway_days in permutations(counts, 2)
    ]
    return "CASE WHEN l_amount = 0 OR t_amount = 0 THEN NULL " + " ".join(branches) + " END"


def create_line_flags(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the view `line_flags`: line_compare with what differs between the two sides."""
    connection.execute(
        f"""CREATE TEMP VIEW line_flags AS
        WITH base AS (SELECT c.*, c.l_amount IS NOT NULL AS has_l, c.t_amount IS NOT NULL AS has_t,
            coalesce(c.t_charge_type, c.l_charge_type) AS charge_type,
            coalesce(c.t_currency, c.l_currency) AS currency,
            coalesce(c.t_amount, {ZERO}) - coalesce(c.l_amount, {ZERO}) AS variance,
            coalesce(c.l_period_start IS NOT NULL AND c.l_period_end IS NOT NULL
                AND c.t_period_start IS NOT NULL AND c.t_period_end IS NOT NULL, FALSE)
                AS periods_known
            FROM line_compare c),
        flagged AS (SELECT b.*, m.minor_units, m.minor_unit, m.rounding_limit,
            has_l AND has_t AND l_invoice_account_id <> t_invoice_account_id AS account_differs,
            periods_known AND (span_end(l_period_start, l_period_end) <= t_period_start
                OR span_end(t_period_start, t_period_end) <= l_period_start) AS disjoint,
            periods_known AND (l_period_start <> t_period_start OR l_period_end <> t_period_end)
                AS period_differs,
            coalesce(l_quantity <> t_quantity, FALSE) AS quantity_differs,
            coalesce(l_unit_price <> t_unit_price, FALSE) AS price_differs,
            has_l AND NOT l_account_known AS account_unknown,
            has_l AND has_t AND l_currency <> t_currency AS currency_differs,
            charge_type IN ('discount', 'credit') AS discount_line
            FROM base b JOIN limits m ON m.currency = b.currency)
        SELECT f.*, account_differs OR period_differs OR quantity_differs OR price_differs
                AS attributes_differ,
            -- Equal amounts never stand in a day-count ratio (the ratio needs a gap of at least
            -- 5 minor units per day counted, and allows at most half of one): skip the twelve
            -- DECIMAL(38, 9) tests on the (many) lines that agree.
            CASE WHEN has_l AND has_t AND l_amount <> t_amount THEN {_day_ratio()} END
                AS day_ratio,
            coalesce(l_quantity = t_quantity AND l_quantity <> 0
                AND (l_unit_price IS NULL OR t_unit_price IS NULL), FALSE) AS unit_price_unknown
        FROM flagged f"""
    )


_LINE_CATEGORY: Final = """CASE
    WHEN account_unknown OR currency_differs THEN 'unexplained'
    WHEN NOT has_t THEN CASE WHEN discount_line THEN 'discount' ELSE 'missing_in_new' END
    WHEN NOT has_l THEN CASE WHEN discount_line THEN 'discount' ELSE 'extra_in_new' END
    WHEN account_differs THEN 'hierarchy'
    WHEN disjoint THEN 'timing'
    WHEN NOT attributes_differ AND variance = 0 THEN 'matched'
    WHEN NOT attributes_differ AND abs(variance) <= rounding_limit THEN 'rounding'
    WHEN discount_line THEN 'discount'
    WHEN period_differs THEN 'proration'
    WHEN price_differs THEN 'rate'
    WHEN quantity_differs AND charge_type = 'usage' THEN 'usage_completeness'
    WHEN quantity_differs THEN 'quantity'
    WHEN day_ratio IS NOT NULL THEN 'proration'
    WHEN unit_price_unknown THEN 'rate'
    ELSE 'unexplained' END"""


def _money(column: str) -> str:
    return f"money({column}, minor_units)"


_L: Final = "' (legacy) vs '"
_T: Final = "' (tollway)'"


def _line_label(side: str) -> str:
    return (
        f"'{side} line ' || {side[0]}_line_id || ' (' || charge_type "
        f"|| coalesce(', circuit ' || {side[0]}_circuit_id, '') || ', ' "
        f"|| period({side[0]}_period_start, {side[0]}_period_end) || ', ' "
        f"|| {_money(side[0] + '_amount')} || ')'"
    )


def _evidence() -> str:
    """The evidence CASE, keyed on the row's raw category."""
    amounts = f"versus({_money('l_amount')}, {_money('t_amount')})"
    quantities = "versus(num(l_quantity), num(t_quantity))"
    return f"""CASE
    WHEN account_unknown THEN 'legacy account ' || l_legacy_account_id
        || ' is not in the cross-walk on its invoice''s period start'
    WHEN currency_differs THEN 'currency ' || l_currency || {_L} || t_currency || {_T}
    WHEN NOT has_t AND discount_line THEN 'discount line only in legacy: ' || {_line_label("legacy")}
    WHEN NOT has_l AND discount_line THEN 'discount line only in tollway: '
        || {_line_label("tollway")}
    WHEN NOT has_t THEN {_line_label("legacy")} || ' has no tollway counterpart'
    WHEN NOT has_l THEN {_line_label("tollway")} || ' has no legacy counterpart'
    WHEN raw_category = 'hierarchy' THEN 'on account ' || l_invoice_account_id || '''s invoice '
        || l_invoice_id || ' in legacy but on account ' || t_invoice_account_id
        || '''s invoice ' || t_invoice_id || ' in tollway (hierarchy roll-up); ' || {amounts}
    WHEN raw_category = 'timing' THEN 'billed for ' || period(l_period_start, l_period_end)
        || ' by legacy but for ' || period(t_period_start, t_period_end)
        || ' by tollway (another period window); ' || {amounts}
    WHEN raw_category = 'matched' THEN 'amounts agree: ' || {_money("t_amount")}
    WHEN raw_category = 'rounding' THEN 'only the amount differs: ' || {amounts}
        || ', within the rounding threshold ' || {_money("rounding_limit")}
    WHEN raw_category = 'discount' THEN 'discount ' || {amounts}
    WHEN raw_category = 'proration' AND period_differs THEN 'period coverage '
        || period(l_period_start, l_period_end) || {_L}
        || period(t_period_start, t_period_end) || {_T} || '; ' || {amounts}
    WHEN raw_category = 'proration' THEN 'amounts ' || {amounts}
        || ' stand in a day-count ratio: ' || day_ratio
    WHEN raw_category = 'rate' AND price_differs THEN 'unit price ' || num(l_unit_price) || {_L}
        || num(t_unit_price) || {_T} || '; quantity ' || {quantities} || '; ' || {amounts}
    WHEN raw_category = 'rate' THEN 'same quantity ' || num(t_quantity) || ' but ' || {amounts}
        || ': the amount per unit differs (no unit price on one side)'
    WHEN raw_category = 'usage_completeness' THEN 'usage quantity ' || {quantities}
        || ' at the same rate: ' || CASE WHEN t_quantity < l_quantity THEN 'tollway' ELSE 'legacy'
        END || ' is short ' || num(abs(t_quantity - l_quantity)) || '; ' || {amounts}
    WHEN raw_category = 'quantity' THEN 'quantity ' || {quantities} || ' at unit price '
        || num(coalesce(t_unit_price, l_unit_price)) || '; ' || {amounts}
    ELSE 'amount ' || {amounts} || ' while quantity, unit price and period agree' END"""


def create_line_result(connection: duckdb.DuckDBPyConnection) -> None:
    """Create `line_result`: the category, tolerance verdict and evidence of every compared line."""
    method_cases = " ".join(
        f"WHEN '{method}' THEN ' [paired on {text}]'" for method, text in METHOD_TEXT.items()
    )
    connection.execute(
        f"""CREATE TABLE line_result AS
        WITH raw AS (SELECT f.*, {_LINE_CATEGORY} AS raw_category FROM line_flags f),
        judged AS (SELECT r.*, abs(r.variance) <= c.line_limit AS within_tolerance,
            c.line_limit FROM raw r
            JOIN category_limits c ON c.currency = r.currency AND c.category = r.raw_category)
        SELECT j.*,
            CASE WHEN raw_category = 'unexplained' AND within_tolerance AND has_l AND has_t
                AND NOT account_unknown AND NOT currency_differs THEN 'matched'
                ELSE raw_category END AS category,
            CASE WHEN kind = 'split' THEN 'legacy split this line in ' || pieces || ' ('
                || pieces_text || ' = ' || {_money("l_amount")} || '), compared as one: '
                ELSE '' END
            || CASE WHEN raw_category = 'unexplained' AND within_tolerance AND has_l AND has_t
                AND NOT account_unknown AND NOT currency_differs
                THEN 'amounts ' || {_money("l_amount")} || {_L} || {_money("t_amount")} || {_T}
                    || ' differ by ' || {_money("abs(variance)")}
                    || ', within the line tolerance ' || {_money("line_limit")}
                ELSE {_evidence()} END
            || CASE method {method_cases} ELSE '' END AS evidence
        FROM judged j"""
    )
