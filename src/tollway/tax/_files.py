"""Tax files: rate tables and account tax data read from YAML or JSON, the shipped demonstration
tables, and the tax detail export written as CSV."""

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Final, TextIO

from tollway.io import read_document
from tollway.money import MONEY_CONTEXT, Money
from tollway.tax.core import (
    TaxAccountData,
    TaxAccountDataError,
    TaxDetailRow,
    TaxTableError,
    TaxTables,
    parse_tax_account_data,
    parse_tax_tables,
)

DATA_DIRECTORY: Final = Path(__file__).parent / "data"
DEMO_TABLES_FILE: Final = "demo-us-2026.yaml"
DEMO_ACCOUNTS_FILE: Final = "demo-us-2026-accounts.yaml"
TAX_DETAIL_COLUMNS: Final = (
    "currency",
    "jurisdiction_id",
    "jurisdiction_level",
    "tax_category",
    "treatment",
    "taxable_amount",
    "tax_amount",
    "line_count",
)


def demo_tax_tables_path() -> Path:
    """The shipped demonstration tables (ILLUSTRATIVE, not legal rates).

    >>> demo_tax_tables_path().name
    'demo-us-2026.yaml'
    """
    return DATA_DIRECTORY / DEMO_TABLES_FILE


def demo_tax_account_data_path() -> Path:
    """The demonstration account data: a government account's exemption certificate and a traffic
    study, for the accounts of `tollway.generator.generate(size=12, seed=2026)`."""
    return DATA_DIRECTORY / DEMO_ACCOUNTS_FILE


def load_tax_tables(path: Path) -> TaxTables:
    """Read and check rate tables from a .yaml, .yml or .json file; problems name the file.

    >>> tables = load_tax_tables(demo_tax_tables_path())
    >>> tables.notice.startswith("ILLUSTRATIVE"), tables.chain("US-PA-PHILADELPHIA")[-1].id
    (True, 'US')
    """
    document = read_document(path)
    if not isinstance(document, dict):
        raise TaxTableError((f"{path.name}: expected a mapping of tables at the top",))
    return parse_tax_tables(document, source=path.name)


def load_tax_account_data(path: Path) -> TaxAccountData:
    """Read exemption certificates and traffic studies from a .yaml, .yml or .json file."""
    document = read_document(path)
    if not isinstance(document, dict):
        raise TaxAccountDataError((f"{path.name}: expected a mapping at the top",))
    return parse_tax_account_data(document, source=path.name)


def _money_text(amount: Money) -> str:
    """The amount with its currency's decimals, or every digit it has when it has more."""
    if amount.is_rounded:
        return f"{amount.amount.quantize(amount.currency.minor_unit, context=MONEY_CONTEXT):f}"
    return f"{amount.amount:f}"


def write_tax_detail_csv(rows: Iterable[TaxDetailRow], stream: TextIO) -> int:
    """Write the tax detail export (a header, then one row per `TaxDetailRow`, in order) and
    return the number of rows written. Amounts are exact decimals, never exponents.

    >>> import io
    >>> buffer = io.StringIO()
    >>> write_tax_detail_csv([], buffer), buffer.getvalue().splitlines()[0].split(",")[:3]
    (0, ['currency', 'jurisdiction_id', 'jurisdiction_level'])
    """
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(TAX_DETAIL_COLUMNS)
    written = 0
    for row in rows:
        writer.writerow(
            (
                row.currency.code,
                row.jurisdiction_id,
                row.jurisdiction_level,
                row.tax_category,
                row.treatment.value,
                _money_text(row.taxable_amount),
                _money_text(row.tax_amount),
                row.line_count,
            )
        )
        written += 1
    return written
