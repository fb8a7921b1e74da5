"""A cycle's side stored as Parquet and read back unchanged."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tollway.reconcile._extract import tollway_tables
from tollway.reconcile._parquet import InvoiceTablesFileError, read_parquet, write_parquet
from tollway.reconcile._tables import InvoiceTables

from .test_recon_io_extract import ACCOUNTS, BILL
from .test_recon_io_write import TABLES


@pytest.mark.parametrize(
    "tables",
    [TABLES, tollway_tables([BILL], accounts=ACCOUNTS), InvoiceTables.empty()],
    ids=["legacy", "tollway", "empty"],
)
def test_read_back_what_was_written(tmp_path: Path, tables: InvoiceTables) -> None:
    write_parquet(tables, tmp_path)
    assert read_parquet(tmp_path) == tables


def test_the_same_tables_give_the_same_bytes(tmp_path: Path) -> None:
    write_parquet(TABLES, tmp_path / "one")
    write_parquet(TABLES, tmp_path / "two")
    for name in ("invoices.parquet", "lines.parquet", "taxes.parquet"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_a_missing_file(tmp_path: Path) -> None:
    write_parquet(TABLES, tmp_path)
    (tmp_path / "taxes.parquet").unlink()
    with pytest.raises(InvoiceTablesFileError, match=r"taxes\.parquet: no such file"):
        read_parquet(tmp_path)


def test_a_file_of_other_columns(tmp_path: Path) -> None:
    write_parquet(TABLES, tmp_path)
    pq.write_table(pa.table({"invoice_id": ["I1"]}), tmp_path / "invoices.parquet")
    with pytest.raises(InvoiceTablesFileError, match=r"invoices\.parquet: holds columns"):
        read_parquet(tmp_path)


def test_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    write_parquet(TABLES, tmp_path)
    (tmp_path / "lines.parquet").write_text("invoice_id,line_id\n")
    with pytest.raises(InvoiceTablesFileError, match=r"lines\.parquet: not a Parquet file"):
        read_parquet(tmp_path)
