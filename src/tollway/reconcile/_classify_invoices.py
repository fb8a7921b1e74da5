"""Tax and invoice classification, in DuckDB.

Taxes are compared per (invoice pair, jurisdiction, tax type). Precedence, first match wins:

1. `unexplained` — the legacy account is not in the cross-walk;
2. `missing_in_new` / `extra_in_new` — the invoice itself has no counterpart;
3. one side only: `tax_exemption` when that side's rows are all exempt, else `tax_jurisdiction`
   (the evidence names the other side's jurisdictions for the same tax type);
4. `tax_exemption` — one side exempt (wholly or partly), the other not;
5. `rate` — the tax rates differ;
6. `tax_base` — same rate, different taxable amount;
7. `matched`, `rounding`, `unexplained` (or `matched` within the line tolerance), as for lines.

An invoice's category is its dominant difference: the category of its line and tax rows with the
largest absolute variance (ties by CATEGORIES order); `matched` when every row matched and the
totals agree; `unexplained` when the totals disagree although every row matched. Invoice
tolerance: |variance| ≤ the absolute materiality OR ≤ the relative share of the legacy total.
"""

from decimal import Decimal
from typing import Final

import duckdb

from tollway.reconcile._engine_sql import AMOUNT, ZERO

_L: Final = "' (legacy) vs '"
_T: Final = "' (tollway)'"

_TAX_COLUMNS: Final = (
    "inv_row", "invoice_id", "invoice_account_id", "account_known", "jurisdiction_id",
    "tax_type", "currency", "billed", "exempted", "taxable", "rate_min", "rate_max",
    "any_exempt", "all_exempt",
)  # fmt: skip


def _tax_side(prefix: str) -> str:
    return ", ".join(f"{prefix}.{column} AS {prefix}_{column}" for column in _TAX_COLUMNS)


def create_tax_flags(connection: duckdb.DuckDBPyConnection) -> None:
    """Create `tax_flags`: legacy and tollway tax groups side by side (full outer join within
    the invoice pair), with the other side's unpaired jurisdictions for the same tax type."""
    connection.execute(
        f"""CREATE TABLE tax_flags AS
        WITH l AS (SELECT g.*, p.tollway_row AS partner_inv FROM l_tax g
                LEFT JOIN invoice_pair p ON p.legacy_row = g.inv_row),
            t AS (SELECT g.*, p.legacy_row AS partner_inv FROM t_tax g
                LEFT JOIN invoice_pair p ON p.tollway_row = g.inv_row),
            joined AS (SELECT {_tax_side("l")}, {_tax_side("t")},
                l.partner_inv AS l_partner_inv, t.partner_inv AS t_partner_inv
                FROM l FULL OUTER JOIN t ON l.partner_inv = t.inv_row
                AND l.jurisdiction_id = t.jurisdiction_id AND l.tax_type = t.tax_type),
            base AS (SELECT j.*, l_billed IS NOT NULL AS has_l, t_billed IS NOT NULL AS has_t,
                coalesce(t_currency, l_currency) AS currency,
                coalesce(t_billed, {ZERO}) - coalesce(l_billed, {ZERO}) AS variance FROM joined j),
            legacy_alone AS (SELECT l_partner_inv AS t_inv, l_tax_type AS tax_type,
                string_agg(l_jurisdiction_id, ', ' ORDER BY l_jurisdiction_id) AS jurisdictions
                FROM base WHERE NOT has_t AND l_partner_inv IS NOT NULL GROUP BY ALL),
            tollway_alone AS (SELECT t_partner_inv AS l_inv, t_tax_type AS tax_type,
                string_agg(t_jurisdiction_id, ', ' ORDER BY t_jurisdiction_id) AS jurisdictions
                FROM base WHERE NOT has_l AND t_partner_inv IS NOT NULL GROUP BY ALL)
        SELECT b.*, m.minor_units, m.rounding_limit,
            has_l AND NOT l_account_known AS account_unknown,
            (has_l AND l_partner_inv IS NULL) OR (has_t AND t_partner_inv IS NULL)
                AS invoice_unpaired,
            coalesce(l_any_exempt <> t_any_exempt OR l_all_exempt <> t_all_exempt, FALSE)
                AS exemption_differs,
            coalesce(l_rate_min <> t_rate_min OR l_rate_max <> t_rate_max, FALSE) AS rate_differs,
            coalesce(l_taxable <> t_taxable, FALSE) AS base_differs,
            CASE WHEN has_l THEN ta.jurisdictions ELSE la.jurisdictions END AS other_jurisdictions
        FROM base b JOIN limits m ON m.currency = b.currency
        LEFT JOIN legacy_alone la ON NOT b.has_l AND la.t_inv = b.t_inv_row
            AND la.tax_type = b.t_tax_type
        LEFT JOIN tollway_alone ta ON NOT b.has_t AND ta.l_inv = b.l_inv_row
            AND ta.tax_type = b.l_tax_type"""
    )


_TAX_CATEGORY: Final = """CASE
    WHEN account_unknown THEN 'unexplained'
    WHEN invoice_unpaired THEN CASE WHEN has_l THEN 'missing_in_new' ELSE 'extra_in_new' END
    WHEN NOT (has_l AND has_t) THEN CASE WHEN coalesce(l_all_exempt, t_all_exempt)
        THEN 'tax_exemption' ELSE 'tax_jurisdiction' END
    WHEN exemption_differs THEN 'tax_exemption'
    WHEN rate_differs THEN 'rate'
    WHEN base_differs THEN 'tax_base'
    WHEN variance = 0 THEN 'matched'
    WHEN abs(variance) <= rounding_limit THEN 'rounding'
    ELSE 'unexplained' END"""


def _rates(side: str) -> str:
    return (
        f"CASE WHEN {side}_rate_min = {side}_rate_max THEN num({side}_rate_min) "
        f"ELSE num({side}_rate_min) || '–' || num({side}_rate_max) END"
    )


def _tax_evidence() -> str:
    amounts = f"money(l_billed, minor_units) || {_L} || money(t_billed, minor_units) || {_T}"
    group = "coalesce(t_tax_type, l_tax_type) || ' in ' || coalesce(t_jurisdiction_id, l_jurisdiction_id)"
    exemption = (
        "'legacy billed ' || money(l_billed, minor_units) || ' and exempted ' "
        "|| money(l_exempted, minor_units) || ', tollway billed ' || money(t_billed, minor_units) "
        "|| ' and exempted ' || money(t_exempted, minor_units)"
    )
    return f"""CASE
    WHEN account_unknown THEN 'legacy account of invoice ' || l_invoice_id
        || ' is not in the cross-walk'
    WHEN invoice_unpaired AND has_l THEN {group} || ' on legacy invoice ' || l_invoice_id
        || ', which has no tollway invoice: ' || money(l_billed, minor_units)
    WHEN invoice_unpaired THEN {group} || ' on tollway invoice ' || t_invoice_id
        || ', which has no legacy invoice: ' || money(t_billed, minor_units)
    WHEN raw_category = 'tax_exemption' AND NOT has_t THEN {group}
        || ' exempted only in legacy (' || money(l_exempted, minor_units) || ' exempted)'
    WHEN raw_category = 'tax_exemption' AND NOT has_l THEN {group}
        || ' exempted only in tollway (' || money(t_exempted, minor_units) || ' exempted)'
    WHEN NOT has_t THEN {group} || ' only in legacy (' || money(l_billed, minor_units)
        || '); tollway taxes ' || l_tax_type || ' on this invoice in '
        || coalesce(other_jurisdictions, 'no other jurisdiction')
    WHEN NOT has_l THEN {group} || ' only in tollway (' || money(t_billed, minor_units)
        || '); legacy taxes ' || t_tax_type || ' on this invoice in '
        || coalesce(other_jurisdictions, 'no other jurisdiction')
    WHEN raw_category = 'tax_exemption' THEN {group} || ': ' || {exemption}
    WHEN raw_category = 'rate' THEN {group} || ': tax rate ' || {_rates("l")} || {_L}
        || {_rates("t")} || {_T} || ' on taxable ' || money(l_taxable, minor_units) || ' / '
        || money(t_taxable, minor_units) || '; tax ' || {amounts}
    WHEN raw_category = 'tax_base' THEN {group} || ': taxable amount '
        || money(l_taxable, minor_units) || {_L} || money(t_taxable, minor_units) || {_T}
        || ' at rate ' || {_rates("t")} || '; tax ' || {amounts}
    WHEN raw_category = 'matched' THEN {group} || ': tax agrees: ' || money(t_billed, minor_units)
    WHEN raw_category = 'rounding' THEN {group} || ': only the tax amount differs: ' || {amounts}
        || ', within the rounding threshold ' || money(rounding_limit, minor_units)
    ELSE {group} || ': tax ' || {amounts} || ' while rate, base and exemption agree' END"""


def create_tax_result(connection: duckdb.DuckDBPyConnection) -> None:
    """Create `tax_result`: category, tolerance verdict and evidence of every tax group."""
    connection.execute(
        f"""CREATE TABLE tax_result AS
        WITH raw AS (SELECT f.*, {_TAX_CATEGORY} AS raw_category FROM tax_flags f),
        judged AS (SELECT r.*, abs(r.variance) <= c.line_limit AS within_tolerance, c.line_limit
            FROM raw r JOIN category_limits c
            ON c.currency = r.currency AND c.category = r.raw_category)
        SELECT j.*, CASE WHEN raw_category = 'unexplained' AND within_tolerance
                AND NOT account_unknown AND has_l AND has_t THEN 'matched'
                ELSE raw_category END AS category,
            CASE WHEN raw_category = 'unexplained' AND within_tolerance
                AND NOT account_unknown AND has_l AND has_t
                THEN coalesce(t_tax_type, l_tax_type) || ' in '
                    || coalesce(t_jurisdiction_id, l_jurisdiction_id) || ': tax '
                    || money(l_billed, minor_units) || {_L} || money(t_billed, minor_units)
                    || {_T} || ' differs by ' || money(abs(variance), minor_units)
                    || ', within the line tolerance ' || money(line_limit, minor_units)
                ELSE {_tax_evidence()} END AS evidence
        FROM judged j"""
    )


def create_invoice_result(
    connection: duckdb.DuckDBPyConnection, *, relative_percent: Decimal
) -> None:
    """Create `invoice_result`: one row per invoice pair or unpaired invoice, with its dominant
    category, the invoice tolerance verdict, and the breakdown of its differences as evidence."""
    connection.execute(
        """CREATE TEMP TABLE invoice_compare AS
        SELECT row_number() OVER (ORDER BY l.inv_row, t.inv_row) AS invoice_key,
            l.inv_row AS l_inv_row, t.inv_row AS t_inv_row,
            l.invoice_id AS l_invoice_id, t.invoice_id AS t_invoice_id,
            l.legacy_account_id AS l_legacy_account_id, l.account_known AS l_account_known,
            coalesce(t.tollway_account_id, l.tollway_account_id) AS account_id,
            l.period_start AS l_period_start, l.period_end AS l_period_end,
            t.period_start AS t_period_start, t.period_end AS t_period_end,
            l.currency AS l_currency, t.currency AS t_currency,
            l.total_including_tax AS l_total, t.total_including_tax AS t_total
        FROM (SELECT l_inv.*, p.tollway_row FROM l_inv
            LEFT JOIN invoice_pair p ON p.legacy_row = l_inv.inv_row) l
        FULL OUTER JOIN t_inv t ON t.inv_row = l.tollway_row"""
    )
    _add_other_currencies(connection)
    _create_dominant(connection)
    percent = f"CAST('{relative_percent:f}' AS {AMOUNT})"
    connection.execute(_INVOICE_RESULT_SQL.replace("{relative_percent}", percent))


def _add_other_currencies(connection: duckdb.DuckDBPyConnection) -> None:
    """`invoice_compare.other_currencies`: for an unpaired invoice, the currencies the other
    system bills the account in over an overlapping period (why the two were not paired)."""
    connection.execute(
        """CREATE OR REPLACE TEMP TABLE invoice_compare AS
        WITH other AS (
            SELECT l.inv_row AS l_row, t.inv_row AS t_row, l.currency AS l_currency,
                t.currency AS t_currency
            FROM l_inv l JOIN t_inv t ON l.tollway_account_id = t.tollway_account_id
                AND l.currency <> t.currency AND l.period_start < span_end(t.period_start,
                t.period_end) AND t.period_start < span_end(l.period_start, l.period_end)),
        legacy_side AS (SELECT l_row, string_agg(DISTINCT t_currency, ', ' ORDER BY t_currency)
                AS currencies FROM other GROUP BY l_row),
        tollway_side AS (SELECT t_row, string_agg(DISTINCT l_currency, ', ' ORDER BY l_currency)
                AS currencies FROM other GROUP BY t_row)
        SELECT ic.*, CASE WHEN ic.t_inv_row IS NULL THEN ls.currencies
                WHEN ic.l_inv_row IS NULL THEN ts.currencies END AS other_currencies
        FROM invoice_compare ic
        LEFT JOIN legacy_side ls ON ls.l_row = ic.l_inv_row
        LEFT JOIN tollway_side ts ON ts.t_row = ic.t_inv_row
        ORDER BY ic.invoice_key"""
    )


def _create_dominant(connection: duckdb.DuckDBPyConnection) -> None:
    """`dominant`: per invoice row, the category with the largest absolute variance among its
    differing line and tax rows, and the breakdown by category as text."""
    # A table, not a CTE: the row numbers must be the same each time the rows are read.
    connection.execute(
        """CREATE TEMP TABLE children AS SELECT row_number() OVER () AS child_key, * FROM (
            SELECT 'line' AS level, category, variance, l_inv_row, t_inv_row, minor_units
            FROM line_result WHERE category <> 'matched'
            UNION ALL
            SELECT 'tax', category, variance, l_inv_row, t_inv_row, minor_units
            FROM tax_result WHERE category <> 'matched')"""
    )
    connection.execute(
        """CREATE TEMP TABLE dominant AS
        WITH links AS (
            SELECT i.invoice_key, c.category, abs(c.variance) AS size, c.minor_units
            FROM (SELECT ic.invoice_key, c.child_key FROM children c
                    JOIN invoice_compare ic ON ic.l_inv_row = c.l_inv_row
                UNION SELECT ic.invoice_key, c.child_key FROM children c
                    JOIN invoice_compare ic ON ic.t_inv_row = c.t_inv_row) i
            JOIN children c ON c.child_key = i.child_key),
        by_category AS (SELECT invoice_key, category, count(*) AS differences, sum(size) AS size,
                any_value(minor_units) AS minor_units
            FROM links GROUP BY ALL),
        ranked AS (SELECT b.*, p.precedence, row_number() OVER (PARTITION BY invoice_key
                ORDER BY size DESC, p.precedence) AS place
            FROM by_category b JOIN precedence p USING (category))
        SELECT invoice_key, arg_min(category, place) AS category,
            string_agg(category || ' ' || differences || ' row(s) ' || money(size, minor_units),
                '; ' ORDER BY place) AS breakdown
        FROM ranked GROUP BY invoice_key"""
    )


_INVOICE_RESULT_SQL: Final = f"""CREATE TABLE invoice_result AS
WITH base AS (SELECT ic.*, d.category AS dominant, d.breakdown,
        l_invoice_id IS NOT NULL AS has_l, t_invoice_id IS NOT NULL AS has_t,
        coalesce(t_currency, l_currency) AS currency,
        coalesce(t_total, {ZERO}) - coalesce(l_total, {ZERO}) AS variance
    FROM invoice_compare ic LEFT JOIN dominant d USING (invoice_key)),
flagged AS (SELECT b.*, m.minor_units, m.invoice_limit,
        coalesce(has_l AND NOT l_account_known, FALSE) AS account_unknown,
        coalesce(l_currency <> t_currency, FALSE) AS currency_differs,
        abs(variance) <= m.invoice_limit
            OR abs(variance) * 100 <= {{relative_percent}} * abs(coalesce(l_total, {ZERO}))
            AS within_tolerance
    FROM base b JOIN limits m ON m.currency = b.currency)
SELECT f.*, CASE
        WHEN account_unknown OR currency_differs THEN 'unexplained'
        WHEN dominant IS NOT NULL THEN dominant
        WHEN NOT has_t THEN 'missing_in_new'
        WHEN NOT has_l THEN 'extra_in_new'
        WHEN variance = 0 THEN 'matched'
        ELSE 'unexplained' END AS category,
    CASE
        WHEN account_unknown THEN 'legacy account ' || l_legacy_account_id
            || ' is not in the cross-walk on ' || CAST(l_period_start AS VARCHAR)
            || '; its invoice cannot be paired'
        WHEN currency_differs THEN 'currency ' || l_currency || {_L} || t_currency || {_T}
        WHEN NOT has_t THEN 'legacy invoice ' || l_invoice_id || ' (' || account_id || ', '
            || period(l_period_start, l_period_end)
            || ') has no tollway invoice for the account over its period; total '
            || money(l_total, minor_units)
            || coalesce('; currency differs: tollway bills it in ' || other_currencies, '')
        WHEN NOT has_l THEN 'tollway invoice ' || t_invoice_id || ' (' || account_id || ', '
            || period(t_period_start, t_period_end)
            || ') has no legacy invoice for the account over its period; total '
            || money(t_total, minor_units)
            || coalesce('; currency differs: legacy bills it in ' || other_currencies, '')
        WHEN dominant IS NULL AND variance = 0 THEN 'totals agree ('
            || money(t_total, minor_units) || ') and every line and tax matches'
        WHEN dominant IS NULL THEN 'totals ' || money(l_total, minor_units) || {_L}
            || money(t_total, minor_units) || {_T} || ' differ while every line and tax matches'
        ELSE 'total ' || money(l_total, minor_units) || {_L} || money(t_total, minor_units)
            || {_T} END
    || coalesce('; differences: ' || breakdown, '') AS evidence
FROM flagged f"""
