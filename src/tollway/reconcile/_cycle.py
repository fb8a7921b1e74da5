"""`reconcile_cycle`: one cycle of a parallel run, legacy against tollway, in one DuckDB pass.

The differences come back as an Arrow table of DIFFERENCE_SCHEMA: one row per invoice pair or
unpaired invoice, per line pair or unpaired line, and per tax group (invoice, jurisdiction, tax
type). A line legacy split in pieces is compared once, on the row of its first piece (legacy
amount = the pieces' sum); each other piece gets a row of its own with no amounts, no tollway
line id, variance 0 and the first piece's category, whose evidence points to that row. Every input line
appears in exactly one line row on its side; the money invariants (variances add up to the
difference of the two systems' totals) are asserted before the result is returned.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from tempfile import TemporaryDirectory
from typing import Final

import duckdb
import pyarrow as pa

from tollway.money import TollwayError, plain_decimal
from tollway.reconcile._classify import create_line_compare, create_line_flags, create_line_result
from tollway.reconcile._classify_invoices import (
    create_invoice_result,
    create_tax_flags,
    create_tax_result,
)
from tollway.reconcile._engine_sql import connect, create_limits, text
from tollway.reconcile._match import (
    LINE_PASSES,
    check_inputs,
    create_translated,
    group_taxes,
    pair_invoices,
    pair_lines,
)
from tollway.reconcile._partition import (
    concatenate_by_level,
    crosswalk_for,
    partition_rows_default,
    plan_memory_limit,
    plan_parts,
    split_tables,
    total_rows,
)
from tollway.reconcile._tables import CROSSWALK_SCHEMA, DIFFERENCE_SCHEMA, InvoiceTables
from tollway.reconcile.core import (
    CATEGORIES,
    AccountVariance,
    CategoryVariance,
    CycleSummary,
    Tolerances,
    top_accounts_max,
)

_ORDER: Final = (
    "level_order, account_id, legacy_invoice_id NULLS LAST, tollway_invoice_id NULLS LAST, "
    "legacy_line_id NULLS LAST, tollway_line_id NULLS LAST, jurisdiction_id NULLS LAST, "
    "tax_type NULLS LAST"
)
_DIFFERENCES_SQL: Final = """CREATE TABLE differences AS
SELECT 0 AS level_order, 'invoice' AS level, account_id, l_invoice_id AS legacy_invoice_id,
    t_invoice_id AS tollway_invoice_id, CAST(NULL AS VARCHAR) AS legacy_line_id,
    CAST(NULL AS VARCHAR) AS tollway_line_id, CAST(NULL AS VARCHAR) AS circuit_id,
    CAST(NULL AS VARCHAR) AS charge_type, CAST(NULL AS VARCHAR) AS jurisdiction_id,
    CAST(NULL AS VARCHAR) AS tax_type, category, l_total AS legacy_amount,
    t_total AS tollway_amount, variance, within_tolerance, evidence, currency
FROM invoice_result
UNION ALL
SELECT 1, 'line', coalesce(t_invoice_account_id, l_invoice_account_id), l_invoice_id,
    t_invoice_id, l_line_id, t_line_id, coalesce(t_circuit_id, l_circuit_id), charge_type, NULL,
    NULL, category, l_amount, t_amount, variance, within_tolerance, evidence, currency
FROM line_result
UNION ALL
SELECT 1, 'line', coalesce(r.t_invoice_account_id, r.l_invoice_account_id), s.legacy_invoice_id,
    s.tollway_invoice_id, s.legacy_line_id, NULL,
    coalesce(r.t_circuit_id, r.l_circuit_id), r.charge_type, NULL, NULL, r.category, NULL, NULL,
    CAST(0 AS DECIMAL(38, 9)), r.within_tolerance,
    'piece of a legacy split (' || s.legacy_line_id || ' ' || money(s.amount, r.minor_units)
        || '), compared as one with ' || s.primary_line_id || ' against tollway line '
        || s.tollway_line_id, r.currency
FROM split_secondary s JOIN line_result r ON r.kind = 'split' AND r.l_line_id = s.primary_line_id
    AND r.t_invoice_id = s.tollway_invoice_id AND r.t_line_id = s.tollway_line_id
UNION ALL
SELECT 2, 'tax', coalesce(t_invoice_account_id, l_invoice_account_id), l_invoice_id,
    t_invoice_id, NULL, NULL, NULL, NULL, coalesce(t_jurisdiction_id, l_jurisdiction_id),
    coalesce(t_tax_type, l_tax_type), category, l_billed, t_billed, variance, within_tolerance,
    evidence, currency
FROM tax_result"""


class MixedCurrencyError(TollwayError):
    """A cycle's summary needs one currency; the tables hold several."""

    code = "mixed_currencies"


@dataclass(frozen=True, slots=True)
class CycleResult:
    """One reconciled cycle: every compared row (DIFFERENCE_SCHEMA) and its summary per
    currency (amounts of different currencies are never added up)."""

    cycle: str
    differences: pa.Table
    summaries: tuple[CycleSummary, ...]

    def __post_init__(self) -> None:
        assert self.differences.schema.equals(DIFFERENCE_SCHEMA)
        assert self.summaries, "a cycle has at least one (possibly empty) summary"
        assert all(summary.cycle == self.cycle for summary in self.summaries)
        currencies = [summary.currency for summary in self.summaries]
        assert currencies == sorted(set(currencies)), "one summary per currency, sorted"

    @property
    def summary(self) -> CycleSummary:
        """The cycle's summary, when it is in one currency (else use `summaries`)."""
        if len(self.summaries) > 1:
            currencies = ", ".join(summary.currency for summary in self.summaries)
            raise MixedCurrencyError(
                f"cycle {self.cycle} holds invoices in {currencies}: it has one summary per "
                "currency (CycleResult.summaries)"
            )
        return self.summaries[0]


def reconcile_cycle(
    legacy: InvoiceTables,
    tollway: InvoiceTables,
    *,
    crosswalk: pa.Table,
    tolerances: Tolerances,
    cycle: str,
    partition_rows_max: int = partition_rows_default,
) -> CycleResult:
    """Match legacy against tollway invoices, classify every difference, summarise the cycle.

    A cycle of more than `partition_rows_max` invoice and line rows (both systems) is reconciled
    in parts of about that size that nothing pairs across (`tollway.reconcile._partition`), one
    at a time: the same rows in the same order, in memory bounded by a part.

    Legacy account, circuit and product ids are translated to tollway's through `crosswalk`
    (CROSSWALK_SCHEMA) as valid on each legacy invoice's period start; an id it does not know is
    kept. See `tollway.reconcile._classify` for the categories' precedence.

    >>> from datetime import date
    >>> from tollway.reconcile._tables import INVOICE_SCHEMA, LINE_SCHEMA, TAX_SCHEMA
    >>> def side(system: str, invoice_id: str, amount: str) -> InvoiceTables:
    ...     period = {"period_start": date(2026, 3, 1), "period_end": date(2026, 4, 1)}
    ...     money = {"currency": "USD"}
    ...     invoice = {"system": system, "invoice_id": invoice_id, "account_id": "ACC-1",
    ...         "bill_date": date(2026, 4, 1), "total_excluding_tax": Decimal(amount),
    ...         "tax_total": Decimal(0), "total_including_tax": Decimal(amount), **period, **money}
    ...     line = {"system": system, "invoice_id": invoice_id, "line_id": "1",
    ...         "account_id": "ACC-1", "circuit_id": "CKT-1", "charge_type": "recurring",
    ...         "description": "Port", "quantity": Decimal(1), "unit_price": Decimal(amount),
    ...         "amount": Decimal(amount), **period, **money}
    ...     return InvoiceTables(pa.Table.from_pylist([invoice], INVOICE_SCHEMA),
    ...         pa.Table.from_pylist([line], LINE_SCHEMA), TAX_SCHEMA.empty_table())
    >>> result = reconcile_cycle(side("legacy", "L-1", "100.00"), side("tollway", "T-1", "105.00"),
    ...     crosswalk=CROSSWALK_SCHEMA.empty_table(), tolerances=Tolerances(), cycle="2026-03")
    >>> [(row["level"], row["category"], str(row["variance"]))
    ...     for row in result.differences.to_pylist()]
    [('invoice', 'rate', '5.000000000'), ('line', 'rate', '5.000000000')]
    >>> result.summary.unexplained_variance, result.summary.net_variance
    (Decimal('0'), Decimal('5'))
    """
    assert crosswalk.schema.equals(CROSSWALK_SCHEMA), "crosswalk does not have CROSSWALK_SCHEMA"
    assert cycle and cycle == cycle.strip(), "a cycle is named, e.g. 2026-03"
    if total_rows(legacy, tollway) > partition_rows_max:
        return _reconcile_in_parts(
            legacy,
            tollway,
            crosswalk=crosswalk,
            tolerances=tolerances,
            cycle=cycle,
            rows_max=partition_rows_max,
        )
    connection = connect()
    try:
        register_inputs(connection, legacy, tollway, crosswalk)
        _match(connection, tolerances, currencies=input_currencies(connection))
        _classify(connection, tolerances, cycle)
        _check_invariants(connection)
        summaries = cycle_summaries(connection, cycle)
        differences = _sorted_differences(connection)
    finally:
        connection.close()
    return CycleResult(cycle, differences, summaries)


def _reconcile_in_parts(
    legacy: InvoiceTables,
    tollway: InvoiceTables,
    *,
    crosswalk: pa.Table,
    tolerances: Tolerances,
    cycle: str,
    rows_max: int,
) -> CycleResult:
    with TemporaryDirectory(prefix="tollway-reconcile-") as spill:
        connection = connect(memory_limit=plan_memory_limit, temporary_directory=spill)
        try:
            register_inputs(connection, legacy, tollway, crosswalk)
            plan = plan_parts(connection, rows_max=rows_max)
            currencies = input_currencies(connection)
        finally:
            connection.close()
    parts = zip(
        split_tables(legacy, plan.legacy, plan.parts),
        split_tables(tollway, plan.tollway, plan.parts),
        strict=True,
    )
    differences = concatenate_by_level(
        [
            reconcile_part(
                legacy_part,
                tollway_part,
                crosswalk=crosswalk_for(crosswalk, legacy_part),
                tolerances=tolerances,
                cycle=cycle,
                currencies=currencies,
            )
            for legacy_part, tollway_part in parts
        ]
        or [DIFFERENCE_SCHEMA.empty_table()]
    )
    connection = connect()
    try:
        connection.register("differences", differences)
        summaries = cycle_summaries(connection, cycle)
    finally:
        connection.close()
    return CycleResult(cycle, differences, summaries)


def reconcile_part(
    legacy: InvoiceTables,
    tollway: InvoiceTables,
    *,
    crosswalk: pa.Table,
    tolerances: Tolerances,
    cycle: str,
    currencies: Sequence[str],
) -> pa.Table:
    """The difference rows (DIFFERENCE_SCHEMA, in the cycle's order) of one part of a cycle that
    no line or invoice outside it can pair with (`tollway.reconcile._partition` cuts such
    parts); `currencies` are the whole cycle's, so the tolerance limits are the same in every
    part. The summaries are left to the caller, who sees every part."""
    assert crosswalk.schema.equals(CROSSWALK_SCHEMA), "crosswalk does not have CROSSWALK_SCHEMA"
    connection = connect()
    try:
        register_inputs(connection, legacy, tollway, crosswalk)
        _match(connection, tolerances, currencies=currencies)
        _classify(connection, tolerances, cycle)
        _check_invariants(connection)
        return _sorted_differences(connection)
    finally:
        connection.close()


def _sorted_differences(connection: duckdb.DuckDBPyConnection) -> pa.Table:
    differences = connection.sql(
        f"SELECT {', '.join(DIFFERENCE_SCHEMA.names)} FROM differences ORDER BY {_ORDER}"
    ).to_arrow_table()
    return differences.cast(DIFFERENCE_SCHEMA)


def input_currencies(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Every currency code the registered input tables name (refused later if unknown)."""
    rows = connection.execute(
        " UNION ".join(
            f"SELECT currency FROM {system}_{rows}"
            for system in ("legacy", "tollway")
            for rows in ("invoices", "lines", "taxes")
        )
    ).fetchall()
    return [str(row[0]) for row in rows]


def register_inputs(
    connection: duckdb.DuckDBPyConnection,
    legacy: InvoiceTables,
    tollway: InvoiceTables,
    crosswalk: pa.Table,
) -> None:
    for system, tables in (("legacy", legacy), ("tollway", tollway)):
        connection.register(f"{system}_invoices", tables.invoices)
        connection.register(f"{system}_lines", tables.lines)
        connection.register(f"{system}_taxes", tables.taxes)
    register_crosswalk(connection, crosswalk)


def register_crosswalk(connection: duckdb.DuckDBPyConnection, crosswalk: pa.Table) -> None:
    """The table `crosswalk`: the cross-walk's rows numbered in their given order."""
    connection.register("crosswalk_input", crosswalk)
    connection.execute(
        "CREATE TABLE crosswalk AS SELECT row_number() OVER () AS entry, * FROM crosswalk_input"
    )


def _match(
    connection: duckdb.DuckDBPyConnection, tolerances: Tolerances, *, currencies: Sequence[str]
) -> None:
    check_inputs(connection)
    create_limits(connection, currencies, tolerances)
    create_translated(connection)
    pair_invoices(connection)
    pair_lines(connection, passes=LINE_PASSES)
    group_taxes(connection)


def _classify(connection: duckdb.DuckDBPyConnection, tolerances: Tolerances, cycle: str) -> None:
    create_line_compare(connection)
    create_line_flags(connection)
    create_line_result(connection)
    create_tax_flags(connection)
    create_tax_result(connection)
    create_invoice_result(connection, relative_percent=tolerances.invoice_relative_percent)
    connection.execute(_DIFFERENCES_SQL)
    connection.execute(f"ALTER TABLE differences ADD COLUMN cycle VARCHAR DEFAULT {text(cycle)}")


def _one(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[object, ...]:
    # fetchall, not fetchone: DuckDB refuses other work while a result is left unfinished.
    (row,) = connection.execute(sql).fetchall()
    return tuple(row)


def _check_invariants(connection: duckdb.DuckDBPyConnection) -> None:
    """Every input row is accounted for once, and the variances add up (paired assertions)."""
    for side, system in (("legacy", "legacy"), ("tollway", "tollway")):
        rows, distinct, lines = _one(
            connection,
            f"""SELECT count(*), count(DISTINCT ({side}_invoice_id, {side}_line_id)),
                (SELECT count(*) FROM {system}_lines)
            FROM differences WHERE level = 'line' AND {side}_line_id IS NOT NULL""",
        )
        assert rows == distinct == lines, f"{system} lines: {rows} rows, {lines} submitted"
        rows, invoices = _one(
            connection,
            f"""SELECT count(*), (SELECT count(*) FROM {system}_invoices) FROM differences
            WHERE level = 'invoice' AND {side}_invoice_id IS NOT NULL""",
        )
        assert rows == invoices, f"{system} invoices: {rows} rows, {invoices} submitted"
    checks = {
        "line": "(SELECT coalesce(sum(amount), 0) FROM tollway_lines) "
        "- (SELECT coalesce(sum(amount), 0) FROM legacy_lines)",
        "tax": "(SELECT coalesce(sum(tax_amount) FILTER (WHERE NOT exempt), 0) FROM tollway_taxes)"
        " - (SELECT coalesce(sum(tax_amount) FILTER (WHERE NOT exempt), 0) FROM legacy_taxes)",
        "invoice": "(SELECT coalesce(sum(total_including_tax), 0) FROM tollway_invoices) "
        "- (SELECT coalesce(sum(total_including_tax), 0) FROM legacy_invoices)",
    }
    for level, expected in checks.items():
        found, wanted = _one(
            connection,
            f"SELECT coalesce(sum(variance), 0), {expected} FROM differences "
            f"WHERE level = '{level}'",
        )
        assert found == wanted, f"{level} variances add up to {found}, not {wanted}"


def cycle_summaries(connection: duckdb.DuckDBPyConnection, cycle: str) -> tuple[CycleSummary, ...]:
    """The cycle's summaries, one per currency, over the relation `differences` (a table, or a
    view over every part's rows)."""
    currencies = [
        str(row[0])
        for row in connection.execute(
            "SELECT DISTINCT currency FROM differences ORDER BY 1"
        ).fetchall()
    ]
    return tuple(_summary(connection, cycle, code) for code in currencies or [""])


def _summary(connection: duckdb.DuckDBPyConnection, cycle: str, code: str) -> CycleSummary:
    where = f"currency = {text(code)}"
    counts = [_count(value) for value in _one(connection, _COUNTS_SQL.format(where=where))]
    amounts = [
        plain_decimal(_decimal(value))
        for value in _one(connection, _AMOUNTS_SQL.format(where=where))
    ]
    return CycleSummary(
        cycle=cycle,
        currency=code,
        invoices_compared=counts[0],
        invoices_matched=counts[1],
        invoices_within_tolerance=counts[2],
        lines_compared=counts[3],
        lines_matched=counts[4],
        lines_within_tolerance=counts[5],
        taxes_compared=counts[6],
        taxes_matched=counts[7],
        legacy_total=amounts[0],
        tollway_total=amounts[1],
        amount_compared=amounts[2],
        amount_matched=amounts[3],
        absolute_variance=amounts[4],
        unexplained_variance=amounts[5],
        variance_by_category=_by_category(connection, where),
        top_accounts=_top_accounts(connection, where),
    )


def _decimal(value: object) -> Decimal:
    assert isinstance(value, Decimal), f"expected a DECIMAL, got {value!r}"
    return value


def _count(value: object) -> int:
    assert isinstance(value, int)
    return value


_DIFFERING: Final = "level IN ('line', 'tax') AND category <> 'matched'"
_COUNTS_SQL: Final = """SELECT
    count(*) FILTER (WHERE level = 'invoice'),
    count(*) FILTER (WHERE level = 'invoice' AND category = 'matched'),
    count(*) FILTER (WHERE level = 'invoice' AND within_tolerance),
    count(*) FILTER (WHERE level = 'line'),
    count(*) FILTER (WHERE level = 'line' AND category = 'matched'),
    count(*) FILTER (WHERE level = 'line' AND within_tolerance),
    count(*) FILTER (WHERE level = 'tax'),
    count(*) FILTER (WHERE level = 'tax' AND category = 'matched')
FROM differences WHERE {where}"""
_SIZE: Final = "greatest(abs(coalesce(legacy_amount, 0)), abs(coalesce(tollway_amount, 0)))"
_AMOUNTS_SQL: Final = f"""SELECT
    coalesce(sum(legacy_amount) FILTER (WHERE level = 'invoice'), 0),
    coalesce(sum(tollway_amount) FILTER (WHERE level = 'invoice'), 0),
    coalesce(sum({_SIZE}) FILTER (WHERE level IN ('line', 'tax')), 0),
    coalesce(sum({_SIZE}) FILTER (WHERE level IN ('line', 'tax') AND category = 'matched'), 0),
    coalesce(sum(abs(variance)) FILTER (WHERE {_DIFFERING}), 0),
    coalesce(sum(abs(variance)) FILTER (WHERE {_DIFFERING} AND category = 'unexplained'), 0)
FROM differences WHERE {{where}}"""


def _by_category(connection: duckdb.DuckDBPyConnection, where: str) -> tuple[CategoryVariance, ...]:
    rows = connection.execute(
        f"""SELECT category, count(*), sum(variance), sum(abs(variance)) FROM differences
        WHERE {_DIFFERING} AND {where} GROUP BY category"""
    ).fetchall()
    entries = [
        CategoryVariance(
            str(category),
            _count(count),
            plain_decimal(_decimal(net)),
            plain_decimal(_decimal(absolute)),
        )
        for category, count, net, absolute in rows
    ]
    return tuple(sorted(entries, key=lambda entry: CATEGORIES.index(entry.category)))


def _top_accounts(connection: duckdb.DuckDBPyConnection, where: str) -> tuple[AccountVariance, ...]:
    rows = connection.execute(
        f"""SELECT account_id, count(*), sum(variance), sum(abs(variance)) AS size
        FROM differences WHERE {_DIFFERING} AND {where} GROUP BY account_id
        ORDER BY size DESC, account_id LIMIT {top_accounts_max}"""
    ).fetchall()
    return tuple(
        AccountVariance(
            str(account),
            _count(count),
            plain_decimal(_decimal(net)),
            plain_decimal(_decimal(absolute)),
        )
        for account, count, net, absolute in rows
    )
