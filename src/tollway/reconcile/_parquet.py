"""A cycle's side stored as Parquet: `invoices.parquet`, `lines.parquet`, `taxes.parquet`.

The files keep the interchange schemas exactly (DECIMAL(38, 9), dates, nullability), so a side
read back is the side written. The same tables give the same bytes.
"""

from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from tollway.money import TollwayError
from tollway.reconcile._tables import INVOICE_SCHEMA, LINE_SCHEMA, TAX_SCHEMA, InvoiceTables

PARQUET_FILES: Final = (
    ("invoices", INVOICE_SCHEMA),
    ("lines", LINE_SCHEMA),
    ("taxes", TAX_SCHEMA),
)


class InvoiceTablesFileError(TollwayError):
    """A stored side is missing a file, or a file does not hold the interchange schema."""

    code = "invoice_tables_file"


def write_parquet(tables: InvoiceTables, directory: Path) -> None:
    """Write the three tables to `directory` (created if needed), replacing earlier files.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_parquet(InvoiceTables.empty(), folder)
    >>> sorted(path.name for path in folder.iterdir())
    ['invoices.parquet', 'lines.parquet', 'taxes.parquet']
    """
    directory.mkdir(parents=True, exist_ok=True)
    for (name, _), table in zip(
        PARQUET_FILES, (tables.invoices, tables.lines, tables.taxes), strict=True
    ):
        pq.write_table(table, directory / f"{name}.parquet", compression="zstd")


def read_parquet(directory: Path) -> InvoiceTables:
    """Read the three tables `write_parquet` wrote.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_parquet(InvoiceTables.empty(), folder)
    >>> read_parquet(folder).invoices.num_rows
    0
    """
    invoices, lines, taxes = (
        _read(directory / f"{name}.parquet", schema) for name, schema in PARQUET_FILES
    )
    return InvoiceTables(invoices=invoices, lines=lines, taxes=taxes)


def _read(path: Path, schema: pa.Schema) -> pa.Table:
    if not path.is_file():
        raise InvoiceTablesFileError(f"{path}: no such file")
    try:
        table = pq.read_table(path)
    except pa.ArrowInvalid as error:
        raise InvoiceTablesFileError(f"{path.name}: not a Parquet file ({error})") from error
    found = table.schema.remove_metadata()
    if not found.equals(schema):
        raise InvoiceTablesFileError(
            f"{path.name}: holds columns {found} where {', '.join(schema.names)} were expected"
        )
    return table.replace_schema_metadata(None)
