"""A cycle cut into parts that reconcile independently: bounded memory for any cycle size.

Matching only pairs rows that share a key: invoices by (tollway) account; lines by their line
account, circuit or product (every pass joins on one of the three, translated through the
cross-walk). So the invoice accounts are cut into **ranges**, in the order the difference rows
are sorted by, each range holding about `rows_max` invoice and line rows of both systems; then
ranges that a line key links (a circuit billed under accounts of two ranges, a child account
rolled up onto a parent's invoice in another range) are merged, with every range between them.
Nothing then pairs across two parts, every account lies in exactly one part, and the parts are
in account order: each part's rows, cut by level, concatenate into the cycle's order.

The plan is computed in one DuckDB pass over the whole cycle (the inputs' checks included, so an
invalid cycle is refused with the same message as unpartitioned); each part is then reconciled
on its own connection (`_cycle.reconcile_part`), one at a time.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tollway.reconcile._match import check_inputs, translated
from tollway.reconcile._tables import InvoiceTables

partition_rows_default: Final = 2_000_000
"""Invoice and line rows (both systems together) a part holds, about: a part of 2M rows needs
some 2.5 GiB of DuckDB state. A cycle no larger is reconciled in one piece."""
plan_memory_limit: Final = "3GiB"
"""DuckDB's memory while planning the parts (it groups every line by its keys; it spills to a
temporary folder beyond this)."""
LEVELS: Final = ("invoice", "line", "tax")
"""The difference rows' levels in the order they are sorted (before the account)."""

_LINE_KEYS_SQL: Final = """SELECT min(base) AS low, max(base) AS high
FROM plan_line GROUP BY GROUPING SETS ((account_id), (circuit_id), (product_id))
HAVING min(base) < max(base) AND coalesce(account_id, circuit_id, product_id) IS NOT NULL"""


@dataclass(frozen=True, slots=True)
class PartPlan:
    """Which part each invoice of each system belongs to (parts numbered 0.. in account order)."""

    legacy: pa.Table
    """invoice_id, part"""
    tollway: pa.Table
    parts: int


def total_rows(legacy: InvoiceTables, tollway: InvoiceTables) -> int:
    """The rows a part size counts: invoices and lines of both systems."""
    return sum(side.invoices.num_rows + side.lines.num_rows for side in (legacy, tollway))


def plan_parts(connection: duckdb.DuckDBPyConnection, *, rows_max: int) -> PartPlan:
    """Cut the cycle registered in `connection` (tables `{system}_invoices`, `_lines`, `_taxes`
    and `crosswalk`, as `_cycle.register_inputs` leaves them) into parts of about `rows_max`."""
    assert rows_max > 0
    check_inputs(connection)
    _create_plan_accounts(connection, rows_max=rows_max)
    _create_plan_lines(connection)
    links = connection.execute(f"SELECT DISTINCT low, high FROM ({_LINE_KEYS_SQL})").fetchall()
    ((bases,),) = connection.execute(
        "SELECT coalesce(max(base), -1) + 1 FROM plan_account"
    ).fetchall()
    part_of_base = merge_ranges(int(bases), [(int(low), int(high)) for low, high in links])
    connection.register(
        "plan_part_input",
        pa.table({"base": pa.array(range(len(part_of_base)), pa.int64()), "part": part_of_base}),
    )
    tables = [
        connection.sql(
            f"""SELECT i.invoice_id, p.part FROM plan_invoice i
            JOIN plan_account a USING (account) JOIN plan_part_input p USING (base)
            WHERE i.system = '{system}'"""
        ).to_arrow_table()
        for system in ("legacy", "tollway")
    ]
    connection.unregister("plan_part_input")
    return PartPlan(tables[0], tables[1], max(part_of_base, default=-1) + 1)


def merge_ranges(bases: int, links: Sequence[tuple[int, int]]) -> list[int]:
    """The part of each of `bases` consecutive ranges, once every link (low, high) has merged
    ranges low..high into one part.

    >>> merge_ranges(6, [(1, 2), (4, 5), (2, 3)])
    [0, 1, 1, 1, 2, 2]
    """
    reach = list(range(bases))
    for low, high in links:
        assert 0 <= low < high < bases
        reach[low] = max(reach[low], high)
    parts: list[int] = []
    part, end = 0, -1
    for base in range(bases):
        if base > end and parts:
            part += 1
        end = max(end, reach[base])
        parts.append(part)
    return parts


def _create_plan_accounts(connection: duckdb.DuckDBPyConnection, *, rows_max: int) -> None:
    """`plan_invoice` (system, invoice, its tollway account) and `plan_account` (each account's
    range: its first row's place in account order, divided by `rows_max`)."""
    account, join = translated("account", "i.account_id", alias="x", day="i.period_start")
    connection.execute(
        f"""CREATE TEMP TABLE plan_invoice AS
        SELECT 'legacy' AS system, i.invoice_id, {account} AS account, i.period_start
        FROM legacy_invoices i {join}
        UNION ALL
        SELECT 'tollway', invoice_id, account_id, period_start FROM tollway_invoices"""
    )
    connection.execute(
        f"""CREATE TEMP TABLE plan_account AS
        WITH line_counts AS (
            SELECT 'legacy' AS system, invoice_id, count(*) AS lines FROM legacy_lines GROUP BY ALL
            UNION ALL
            SELECT 'tollway', invoice_id, count(*) FROM tollway_lines GROUP BY ALL),
        weights AS (SELECT i.account, sum(1 + coalesce(c.lines, 0)) AS rows
            FROM plan_invoice i LEFT JOIN line_counts c USING (system, invoice_id) GROUP BY ALL),
        placed AS (SELECT account, (sum(rows) OVER (ORDER BY account ROWS UNBOUNDED PRECEDING)
                - rows) // {rows_max} AS place FROM weights)
        -- Numbered densely: an account larger than a part leaves no empty range behind it.
        SELECT account, CAST(dense_rank() OVER (ORDER BY place) - 1 AS BIGINT) AS base
        FROM placed"""
    )


def _create_plan_lines(connection: duckdb.DuckDBPyConnection) -> None:
    """The view `plan_line`: every line's range and keys, translated as matching translates them."""
    expressions, joins = [], []
    for entity in ("account", "circuit", "product"):
        expression, join = translated(
            entity, f"line.{entity}_id", alias=f"x_{entity}", day="inv.period_start"
        )
        expressions.append(f"{expression} AS {entity}_id")
        joins.append(join)
    sides = (
        ("legacy", ", ".join(expressions), " ".join(joins)),
        ("tollway", "line.account_id, line.circuit_id, line.product_id", ""),
    )
    connection.execute(
        "CREATE TEMP VIEW plan_line AS "
        + " UNION ALL ".join(
            f"""SELECT a.base, {columns} FROM {system}_lines line
            JOIN plan_invoice inv ON inv.system = '{system}' AND inv.invoice_id = line.invoice_id
            JOIN plan_account a ON a.account = inv.account {line_joins}"""
            for system, columns, line_joins in sides
        )
    )


def split_tables(
    tables: InvoiceTables, invoice_parts: pa.Table, parts: int
) -> Iterator[InvoiceTables]:
    """`tables` cut by part (each invoice's part from `invoice_parts`; its lines and taxes
    follow it), one part at a time, in part order; rows keep their input order in a part."""
    cuts = [
        _cut(table, invoice_parts, parts) for table in (tables.invoices, tables.lines, tables.taxes)
    ]
    for part in range(parts):
        yield InvoiceTables(
            *(table.take(order[starts[part] : starts[part + 1]]) for table, order, starts in cuts)
        )


def _cut(
    table: pa.Table, invoice_parts: pa.Table, parts: int
) -> tuple[pa.Table, pa.Array, list[int]]:
    """The table, its row order by part (stable) and where each part starts in that order."""
    place = pc.index_in(table.column("invoice_id"), value_set=invoice_parts.column("invoice_id"))
    assert place.null_count == 0, "every row's invoice is in the plan (check_inputs)"
    part = invoice_parts.column("part").take(place)
    order = pc.sort_indices(part)
    counts = np.bincount(np.asarray(part.to_numpy(), dtype=np.int64), minlength=parts)
    starts = [0, *np.cumsum(counts).tolist()]
    return table, order, starts


def concatenate_by_level(parts: Sequence[pa.Table]) -> pa.Table:
    """Each part's difference rows (sorted) concatenated into the cycle's order: level first,
    then the parts in account order."""
    pieces = [
        part.filter(pc.equal(part.column("level"), level)) for level in LEVELS for part in parts
    ]
    return pa.concat_tables(pieces)


def crosswalk_for(crosswalk: pa.Table, legacy: InvoiceTables) -> pa.Table:
    """The cross-walk rows a part's legacy ids can be translated by, in their given order, and
    the first account row as well: matching tells a cross-walk without accounts (every legacy
    account is taken as tollway's) from one that lacks this account, and a part must see the
    same. The whole cross-walk was checked for overlaps while planning.

    >>> from tollway.reconcile._tables import CROSSWALK_SCHEMA
    >>> entries = pa.Table.from_pylist([
    ...     {"entity": "account", "legacy_id": "LA-1", "tollway_id": "A-1"},
    ...     {"entity": "account", "legacy_id": "LA-2", "tollway_id": "A-2"},
    ...     {"entity": "circuit", "legacy_id": "LC-3", "tollway_id": "C-3"}], CROSSWALK_SCHEMA)
    >>> crosswalk_for(entries, InvoiceTables.empty()).column("legacy_id").to_pylist()
    ['LA-1']
    """
    if crosswalk.num_rows == 0:
        return crosswalk
    used = pa.chunked_array(
        [
            *legacy.invoices.column("account_id").chunks,
            *(
                chunk
                for name in ("account_id", "circuit_id", "product_id")
                for chunk in legacy.lines.column(name).chunks
            ),
        ],
        pa.string(),
    )
    keep = pc.is_in(crosswalk.column("legacy_id"), value_set=pc.unique(used.drop_null()))
    keep_mask = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool).copy()
    accounts = np.flatnonzero(
        np.asarray(pc.equal(crosswalk.column("entity"), "account").to_numpy(zero_copy_only=False))
    )
    if len(accounts):
        keep_mask[accounts[0]] = True
    return crosswalk.filter(pa.array(keep_mask))
