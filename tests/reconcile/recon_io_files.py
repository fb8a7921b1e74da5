"""Small legacy directories for the importer tests, written out as the files a legacy system sends."""

from pathlib import Path

INVOICE_HEADER = (
    "invoice_id,account_id,period_start,period_end,bill_date,currency,"
    "total_excluding_tax,tax_total,total_including_tax"
)
LINE_HEADER = (
    "invoice_id,line_id,account_id,circuit_id,product_id,charge_type,description,"
    "period_start,period_end,quantity,unit_price,amount,currency"
)
TAX_HEADER = (
    "invoice_id,line_id,jurisdiction_id,tax_type,tax_rate,taxable_amount,tax_amount,exempt,currency"
)
CROSSWALK_HEADER = "entity,legacy_id,tollway_id,valid_from,valid_to"

# One invoice of 100.00 USD + 6 % state sales tax on its one line: 106.00.
ONE_INVOICE = {
    "invoices.csv": [
        INVOICE_HEADER,
        "I1,A1,2026-03-01,2026-04-01,2026-04-01,USD,100.00,6.00,106.00",
    ],
    "lines.csv": [
        LINE_HEADER,
        "I1,L1,A1,C1,P1,recurring,Port,2026-03-01,2026-04-01,1,100.00,100.00,USD",
    ],
    "taxes.csv": [TAX_HEADER, "I1,L1,US-PA,state_sales,0.06,100.00,6.00,false,USD"],
    "crosswalk.csv": [CROSSWALK_HEADER, "account,A1,ACC-1,,"],
}


def write_directory(directory: Path, files: dict[str, list[str]]) -> Path:
    """Write each file's lines (joined by newlines, ending in one) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (directory / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return directory


def with_rows(file: str, *rows: str) -> dict[str, list[str]]:
    """ONE_INVOICE with `file`'s data rows replaced by `rows` (its header kept)."""
    files = dict(ONE_INVOICE)
    files[file] = [ONE_INVOICE[file][0], *rows]
    return files
