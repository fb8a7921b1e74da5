"""Matching, in DuckDB: legacy ids through the cross-walk, then invoices, lines and tax groups
paired with tollway's, set at a time (never a Python loop per row).

Tables this module leaves in the connection (all amounts DECIMAL(38, 9)):

- `l_inv`, `t_inv`: invoices with tollway account ids (`account_known` false for a legacy
  account the cross-walk does not know); `invoice_pair(legacy_inv, tollway_inv)`.
- `l_line`, `t_line`: lines with translated ids and the invoice's account;
  `line_pair(legacy_row, tollway_row, method)`: one row per pair, and one per piece when legacy
  split one line in several (method `split`, the tollway row repeated).
- `l_tax`, `t_tax`: taxes grouped by (invoice, jurisdiction, tax type).

Only rows in one currency pair (an invoice or line in another currency stays unpaired).
Pairing is "mutual best": each round pairs a legacy and a tollway row that rank each other first
among the candidates of a key, so the outcome does not depend on row order, and every row is in
at most one pair. Passes go from the strictest key to the fuzziest; each sees only rows no earlier
pass paired.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import duckdb

from tollway.money import TollwayError

pairing_rounds_max: Final = 256
"""Rounds of mutual-best pairing per pass at most. Each round pairs every group of tied best
candidates at once, so identical lines take one round; a pass still pairing after this many
rounds is refused (PairingRoundsExceededError), never cut short silently."""
description_similarity_min: Final = "0.8"
"""Jaro-Winkler similarity of lower-cased descriptions above which two lines without circuit or
product ids may be paired (a score, not an amount)."""

_VALID_ON: Final = (
    "(x.valid_from IS NULL OR x.valid_from <= {day}) AND (x.valid_to IS NULL OR {day} < x.valid_to)"
)


class ReconcileInputError(TollwayError):
    """The tables handed to reconciliation contradict themselves (duplicate ids, orphan rows,
    overlapping cross-walk entries)."""

    code = "invalid_reconcile_input"


class PairingRoundsExceededError(TollwayError):
    """A pairing pass did not settle within `pairing_rounds_max` rounds: some key holds more
    distinct, competing lines than the engine is built to pair."""

    code = "pairing_rounds_exceeded"


@dataclass(frozen=True, slots=True)
class LinePass:
    """One pairing pass over the lines still unpaired: a join condition between legacy `l` and
    tollway `t`, the ranking of candidates (expressions, descending or not; best first), and the
    method name evidence reports."""

    method: str
    condition: str
    ranking: tuple[tuple[str, bool], ...]


_AMOUNT_GAP: Final = ("abs(l.amount - t.amount)", False)
_START_GAP_SQL: Final = "abs(coalesce(l.period_start - t.period_start, 0))"
_START_GAP: Final = (_START_GAP_SQL, False)
_L_END: Final = "span_end(l.period_start, l.period_end)"
_T_END: Final = "span_end(t.period_start, t.period_end)"
# An empty period [d, d) (a one-time charge) overlaps as the day d: see span_end.
_OVERLAP: Final = f"l.period_start < {_T_END} AND t.period_start < {_L_END}"
_OVERLAP_DAYS_SQL: Final = f"(least({_L_END}, {_T_END}) - greatest(l.period_start, t.period_start))"
_NO_IDS: Final = "({side}.circuit_id IS NULL AND {side}.product_id IS NULL)"


_SIMILARITY: Final = "coalesce(jaro_winkler_similarity(l.description, t.description), 0)"
_SAME_DESCRIPTION: Final = ("coalesce(l.description = t.description, FALSE)", True)


def _agreement(service: str) -> tuple[tuple[str, bool], ...]:
    """Ranks that prefer the candidate agreeing on the other id, then on the description (exact,
    then similar), before the amount: two products of one circuit pair by product, not by
    whichever amounts happen to lie closest."""
    other = "product_id" if service == "circuit_id" else "circuit_id"
    return (
        (f"coalesce(l.{other} = t.{other}, FALSE)", True),
        _SAME_DESCRIPTION,
        (_SIMILARITY, True),
    )


def _service_passes(service: str) -> tuple[LinePass, ...]:
    same = f"l.{service} = t.{service} AND l.charge_type = t.charge_type"
    agreement = _agreement(service)
    return (
        LinePass(
            f"{service}_period",
            f"{same} AND l.account_id = t.account_id AND l.start_key = t.start_key "
            "AND l.end_key = t.end_key",
            (*agreement, _AMOUNT_GAP),
        ),
        LinePass(
            f"{service}_overlap",
            f"{same} AND l.account_id = t.account_id AND {_OVERLAP}",
            (agreement[0], (_OVERLAP_DAYS_SQL, True), *agreement[1:], _AMOUNT_GAP),
        ),
        LinePass(
            f"{service}_any_period",
            f"{same} AND l.account_id = t.account_id",
            (agreement[0], _START_GAP, *agreement[1:], _AMOUNT_GAP),
        ),
    )


def _other_account_pass(service: str) -> LinePass:
    agreement = _agreement(service)
    return LinePass(
        f"{service}_other_account",
        f"l.{service} = t.{service} AND l.charge_type = t.charge_type",
        (agreement[0], _START_GAP, *agreement[1:], _AMOUNT_GAP),
    )


LINE_PASSES: Final = (
    *_service_passes("circuit_id"),
    *_service_passes("product_id"),
    _other_account_pass("circuit_id"),
    _other_account_pass("product_id"),
    LinePass(
        "description",
        f"l.account_id = t.account_id AND l.charge_type = t.charge_type "
        f"AND ({_NO_IDS.format(side='l')} OR {_NO_IDS.format(side='t')}) "
        f"AND (l.amount = t.amount OR {_SIMILARITY} >= {description_similarity_min})",
        (
            ("l.amount = t.amount", True),
            ("l.start_key = t.start_key", True),
            (_SIMILARITY, True),
            _AMOUNT_GAP,
        ),
    ),
)
"""The line passes, strictest first: circuit then product with the same period, an overlapping
period (proration), any period (timing); the same circuit or product on another account
(hierarchy); lines lacking ids by charge type and amount or description within the account."""


def _fail_on_rows(connection: duckdb.DuckDBPyConnection, sql: str, message: str) -> None:
    found = connection.execute(sql + " LIMIT 3").fetchall()
    if found:
        shown = "; ".join(", ".join(str(value) for value in row) for row in found)
        raise ReconcileInputError(f"{message}: {shown}")


def check_inputs(connection: duckdb.DuckDBPyConnection) -> None:
    """Refuse duplicate ids, lines or taxes of unknown invoices, and a cross-walk that maps one
    legacy id to two tollway ids on the same day."""
    for system in ("legacy", "tollway"):
        _fail_on_rows(
            connection,
            f"SELECT invoice_id FROM {system}_invoices GROUP BY ALL HAVING count(*) > 1 ORDER BY 1",
            f"{system} invoice ids appear more than once",
        )
        _fail_on_rows(
            connection,
            f"SELECT invoice_id, line_id FROM {system}_lines GROUP BY ALL HAVING count(*) > 1 "
            "ORDER BY ALL",
            f"{system} line ids appear more than once on one invoice",
        )
        for rows in ("lines", "taxes"):
            _fail_on_rows(
                connection,
                f"SELECT DISTINCT invoice_id FROM {system}_{rows} ANTI JOIN {system}_invoices "
                "USING (invoice_id) ORDER BY 1",
                f"{system} {rows} name invoices that are not in the invoice table",
            )
    _fail_on_rows(
        connection,
        "SELECT a.entity, a.legacy_id FROM crosswalk a JOIN crosswalk b "
        "ON a.entity = b.entity AND a.legacy_id = b.legacy_id AND a.entry < b.entry "
        "AND (a.valid_to IS NULL OR b.valid_from IS NULL OR b.valid_from < a.valid_to) "
        "AND (b.valid_to IS NULL OR a.valid_from IS NULL OR a.valid_from < b.valid_to) "
        "ORDER BY ALL",
        "the cross-walk maps these legacy ids twice over overlapping dates",
    )


def translated(entity: str, column: str, *, alias: str, day: str) -> tuple[str, str]:
    """The SELECT expression and LEFT JOIN translating `column` through the cross-walk."""
    join = (
        f"LEFT JOIN crosswalk {alias} ON {alias}.entity = '{entity}' "
        f"AND {alias}.legacy_id = {column} AND "
        + _VALID_ON.replace("x.", f"{alias}.").format(day=day)
    )
    return f"coalesce({alias}.tollway_id, {column})", join


def create_translated(connection: duckdb.DuckDBPyConnection) -> None:
    """Create l_inv, t_inv, l_line, t_line: tollway ids on both sides, integer row keys."""
    account, join = translated("account", "i.account_id", alias="x", day="i.period_start")
    connection.execute(
        f"""CREATE TABLE l_inv AS SELECT row_number() OVER (ORDER BY i.invoice_id) AS inv_row,
        i.*, i.account_id AS legacy_account_id, {account} AS tollway_account_id,
        (x.tollway_id IS NOT NULL OR NOT EXISTS
            (SELECT 1 FROM crosswalk WHERE entity = 'account')) AS account_known
        FROM legacy_invoices i {join}"""
    )
    connection.execute(
        """CREATE TABLE t_inv AS SELECT row_number() OVER (ORDER BY i.invoice_id) AS inv_row,
        i.*, i.account_id AS legacy_account_id, i.account_id AS tollway_account_id,
        TRUE AS account_known FROM tollway_invoices i"""
    )
    _create_lines(connection, "legacy", "l", translate=True)
    _create_lines(connection, "tollway", "t", translate=False)


def _create_lines(
    connection: duckdb.DuckDBPyConnection, system: str, side: str, *, translate: bool
) -> None:
    expressions: dict[str, str] = {}
    joins: list[str] = []
    for entity, column in (("account", "account_id"), ("circuit", "circuit_id"), ("product", "product_id")):  # fmt: skip
        if translate:
            expressions[column], join = translated(
                entity, f"line.{column}", alias=f"x_{entity}", day="inv.period_start"
            )
            joins.append(join)
        else:
            expressions[column] = f"line.{column}"
    connection.execute(
        f"""CREATE TABLE {side}_line AS SELECT
            row_number() OVER (ORDER BY line.invoice_id, line.line_id) AS line_row,
            line.invoice_id, line.line_id, inv.inv_row, inv.legacy_account_id,
            inv.tollway_account_id AS invoice_account_id, inv.account_known,
            {expressions["account_id"]} AS account_id,
            {expressions["circuit_id"]} AS circuit_id,
            {expressions["product_id"]} AS product_id,
            line.charge_type, lower(line.description) AS description,
            line.period_start, line.period_end,
            coalesce(line.period_start, DATE '0001-01-01') AS start_key,
            coalesce(line.period_end, DATE '0001-01-01') AS end_key,
            line.quantity, line.unit_price, line.amount, line.currency
        FROM {system}_lines line JOIN {side}_inv inv ON inv.invoice_id = line.invoice_id
        {" ".join(joins)}"""
    )


def _mutual_best_round(
    connection: duckdb.DuckDBPyConnection, *, pairs: str, ranking: str, method: str
) -> int:
    """Insert candidates (in `candidates`) that rank each other first; return how many.

    Ties pair in bulk: rows that tie as each other's best (identical licence lines) form a group,
    keyed by the lowest tollway row its legacy rows tie with; the k-th legacy row of a group pairs
    with its k-th tollway row when those two are tied best candidates, so one round pairs a
    whole group of identical lines, not one pair of it."""
    inserted = connection.execute(
        f"""INSERT INTO {pairs} SELECT legacy_row, tollway_row, '{method}' FROM (
            SELECT legacy_row, tollway_row, row_number() OVER (
                PARTITION BY tollway_row ORDER BY legacy_row) AS tollway_once
            FROM (
                SELECT legacy_row, tollway_row,
                    dense_rank() OVER (PARTITION BY tie_group ORDER BY legacy_row) AS legacy_index,
                    dense_rank() OVER (PARTITION BY tie_group ORDER BY tollway_row)
                        AS tollway_index
                FROM (
                    SELECT legacy_row, tollway_row,
                        min(tollway_row) OVER (PARTITION BY legacy_row) AS tie_group
                    FROM (
                        SELECT c.legacy_row, c.tollway_row,
                            rank() OVER (PARTITION BY c.legacy_row ORDER BY {ranking})
                                AS legacy_rank,
                            rank() OVER (PARTITION BY c.tollway_row ORDER BY {ranking})
                                AS tollway_rank
                        FROM candidates c
                        ANTI JOIN {pairs} p ON p.legacy_row = c.legacy_row
                        ANTI JOIN {pairs} q ON q.tollway_row = c.tollway_row
                    ) WHERE legacy_rank = 1 AND tollway_rank = 1
                )
            ) WHERE legacy_index = tollway_index
        ) WHERE tollway_once = 1"""
    ).fetchone()
    assert inserted is not None
    return int(inserted[0])


def _pair_in_rounds(
    connection: duckdb.DuckDBPyConnection, *, pairs: str, ranking: str, method: str
) -> None:
    for _ in range(pairing_rounds_max):
        if _mutual_best_round(connection, pairs=pairs, ranking=ranking, method=method) == 0:
            return
    raise PairingRoundsExceededError(
        f"pass {method} still pairs rows after {pairing_rounds_max} rounds: a key holds more "
        "distinct competing lines than the engine pairs; raise pairing_rounds_max"
    )


def pair_invoices(connection: duckdb.DuckDBPyConnection) -> None:
    """Pair invoices of the same (tollway) account and currency whose periods overlap, the most
    overlap first (amounts in two currencies are never subtracted)."""
    connection.execute(
        "CREATE TABLE invoice_pair (legacy_row BIGINT, tollway_row BIGINT, method VARCHAR)"
    )
    connection.execute(
        f"""CREATE OR REPLACE TEMP TABLE candidates AS SELECT
            l.inv_row AS legacy_row, t.inv_row AS tollway_row,
            {_OVERLAP_DAYS_SQL} AS overlap_days, {_START_GAP_SQL} AS start_gap
        FROM l_inv l JOIN t_inv t ON l.tollway_account_id = t.tollway_account_id
            AND l.currency = t.currency AND {_OVERLAP}"""
    )
    _pair_in_rounds(
        connection,
        pairs="invoice_pair",
        ranking="c.overlap_days DESC, c.start_gap",
        method="account_period",
    )


def pair_lines(connection: duckdb.DuckDBPyConnection, *, passes: Sequence[LinePass]) -> None:
    """Pair lines: legacy splits first, then each pass in turn over the rows still unpaired."""
    connection.execute(
        "CREATE TABLE line_pair (legacy_row BIGINT, tollway_row BIGINT, method VARCHAR)"
    )
    pair_splits(connection)
    for line_pass in passes:
        keys = ", ".join(
            f"{expression} AS rank_{index}"
            for index, (expression, _) in enumerate(line_pass.ranking)
        )
        connection.execute(
            f"""CREATE OR REPLACE TEMP TABLE candidates AS SELECT
                l.line_row AS legacy_row, t.line_row AS tollway_row, {keys}
            FROM (SELECT * FROM l_line ANTI JOIN line_pair p ON p.legacy_row = l_line.line_row) l
            JOIN (SELECT * FROM t_line ANTI JOIN line_pair p ON p.tollway_row = t_line.line_row) t
            ON l.currency = t.currency AND ({line_pass.condition})"""
        )
        ranking = ", ".join(
            f"c.rank_{index}{' DESC' if descending else ''}"
            for index, (_, descending) in enumerate(line_pass.ranking)
        )
        _pair_in_rounds(connection, pairs="line_pair", ranking=ranking, method=line_pass.method)
    connection.execute("DROP TABLE IF EXISTS candidates")


_SPLIT_SERVICE: Final = "coalesce({side}.circuit_id, {side}.product_id)"
_SPLIT_KEY: Final = (
    "{a}.account_id = {b}.account_id AND {a}.charge_type = {b}.charge_type "
    "AND {a}.currency = {b}.currency "
    "AND {a_service} = {b_service} "
    "AND ({a}.circuit_id IS NULL OR {b}.circuit_id IS NULL OR {a}.circuit_id = {b}.circuit_id) "
    "AND ({a}.product_id IS NULL OR {b}.product_id IS NULL OR {a}.product_id = {b}.product_id)"
)


def _split_key(a: str, b: str) -> str:
    """Same account, charge type, circuit and product (an id one side lacks does not count)."""
    return _SPLIT_KEY.format(
        a=a,
        b=b,
        a_service=_SPLIT_SERVICE.format(side=a),
        b_service=_SPLIT_SERVICE.format(side=b),
    )


def pair_splits(connection: duckdb.DuckDBPyConnection) -> None:
    """Pair a tollway line with the two or more legacy lines it was split into.

    Pieces share the tollway line's account, circuit, product and charge type, one description,
    and lie inside its period. They are accepted when their amounts add up to the tollway amount
    within the line tolerance and either the tollway line is the only one of its key over that
    period or the pieces tile its period exactly; or, for the only line of its key, when they
    tile its period (the sum is then compared like any pair). Each legacy line joins at most one
    split: the one whose sum agrees, then whose description is the tollway line's.
    """
    _create_split_groups(connection)
    connection.execute(
        """INSERT INTO line_pair SELECT p.legacy_row, p.tollway_row, 'split'
        FROM split_piece p JOIN split_chosen g
            ON g.tollway_row = p.tollway_row AND g.description IS NOT DISTINCT FROM p.description
        ORDER BY p.tollway_row, p.legacy_row"""
    )
    connection.execute("DROP TABLE split_piece")
    connection.execute("DROP TABLE split_chosen")


def _create_split_groups(connection: duckdb.DuckDBPyConnection) -> None:
    """`split_piece` (candidate pieces per tollway line) and `split_chosen` (the accepted
    (tollway line, piece description) groups, no legacy line in two of them)."""
    connection.execute(
        f"""CREATE OR REPLACE TEMP TABLE split_piece AS SELECT
            t.line_row AS tollway_row, l.line_row AS legacy_row, l.amount, l.description,
            l.period_start, l.period_end,
            NOT EXISTS (SELECT 1 FROM t_line other WHERE {_split_key("other", "t")}
                AND other.line_row <> t.line_row
                AND ((other.start_key < t.end_key AND t.start_key < other.end_key)
                    OR (other.start_key = t.start_key AND other.end_key = t.end_key)))
                AS sole_line
        FROM l_line l JOIN t_line t ON {_split_key("l", "t")}
            AND l.start_key >= t.start_key AND l.end_key <= t.end_key"""
    )
    connection.execute(
        """CREATE OR REPLACE TEMP TABLE split_chosen AS
        WITH groups AS (
            SELECT g.tollway_row, g.description, g.pieces,
                abs(g.amount - t.amount) <= c.line_limit AS sum_agrees,
                coalesce(g.description = t.description, FALSE) AS same_description,
                g.sole_line, (g.first_start = t.period_start AND g.last_end = t.period_end
                    AND g.piece_days = t.period_end - t.period_start) AS tiles
            FROM (SELECT tollway_row, description, count(*) AS pieces, sum(amount) AS amount,
                    min(period_start) AS first_start, max(period_end) AS last_end,
                    sum(period_end - period_start) AS piece_days, bool_and(sole_line) AS sole_line
                FROM split_piece GROUP BY tollway_row, description HAVING count(*) >= 2) g
            JOIN t_line t ON t.line_row = g.tollway_row
            JOIN limits c ON c.currency = t.currency),
        accepted AS (
            SELECT *, row_number() OVER (PARTITION BY tollway_row
                ORDER BY sum_agrees DESC, same_description DESC, description) AS choice
            FROM groups
            WHERE coalesce(sum_agrees AND (sole_line OR tiles) OR sole_line AND tiles, FALSE)),
        claimed AS (
            SELECT p.legacy_row, a.tollway_row, a.description, a.pieces, row_number() OVER (
                PARTITION BY p.legacy_row
                ORDER BY a.sum_agrees DESC, a.same_description DESC, a.tollway_row) AS claim
            FROM accepted a JOIN split_piece p
                ON p.tollway_row = a.tollway_row AND p.description IS NOT DISTINCT FROM a.description
            WHERE a.choice = 1)
        SELECT tollway_row, description FROM claimed
        GROUP BY tollway_row, description, pieces HAVING count(*) FILTER (WHERE claim = 1) = pieces"""
    )


def _create_tax_groups(connection: duckdb.DuckDBPyConnection, system: str, side: str) -> None:
    zero = "CAST(0 AS DECIMAL(38, 9))"
    connection.execute(
        f"""CREATE TABLE {side}_tax AS SELECT
            inv.inv_row, tax.invoice_id, inv.tollway_account_id AS invoice_account_id,
            inv.account_known, tax.jurisdiction_id, tax.tax_type,
            any_value(tax.currency ORDER BY tax.currency) AS currency,
            coalesce(sum(tax.tax_amount) FILTER (WHERE NOT tax.exempt), {zero}) AS billed,
            coalesce(sum(tax.tax_amount) FILTER (WHERE tax.exempt), {zero}) AS exempted,
            sum(tax.taxable_amount) AS taxable, min(tax.tax_rate) AS rate_min,
            max(tax.tax_rate) AS rate_max, bool_or(tax.exempt) AS any_exempt,
            bool_and(tax.exempt) AS all_exempt, count(*) AS tax_rows
        FROM {system}_taxes tax JOIN {side}_inv inv ON inv.invoice_id = tax.invoice_id
        GROUP BY ALL"""
    )


def group_taxes(connection: duckdb.DuckDBPyConnection) -> None:
    """Create l_tax and t_tax: one row per (invoice, jurisdiction, tax type) and system."""
    _create_tax_groups(connection, "legacy", "l")
    _create_tax_groups(connection, "tollway", "t")
