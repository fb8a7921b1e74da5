"""No row is dropped silently: whatever is sent, accepted + rejected = submitted, per file, and
every rejected row has an error naming it."""

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tollway.reconcile._legacy import read_legacy

from .recon_io_files import INVOICE_HEADER, LINE_HEADER, write_directory

GOOD_INVOICE = [
    "I{n}",
    "A1",
    "2026-03-01",
    "2026-04-01",
    "2026-04-01",
    "USD",
    "10.00",
    "0",
    "10.00",
]
GOOD_LINE = [
    "I{n}",
    "L1",
    "",
    "C1",
    "",
    "usage",
    "Data",
    "2026-03-01",
    "2026-04-01",
    "5",
    "2",
    "10.00",
    "USD",
]

# Values that break a field (or, for the last ones, a whole record).
JUNK = ["", " x", "2026-02-30", "1e3", "EUR", "usd", "monthly", "-", "1.0000000001"]


@st.composite
def rows(draw: st.DrawFn, good: list[str], count_max: int) -> list[str]:
    count = draw(st.integers(min_value=0, max_value=count_max))
    found = []
    for _ in range(count):
        fields = [value.replace("{n}", str(draw(st.integers(0, 5)))) for value in good]
        if draw(st.booleans()):
            position = draw(st.integers(0, len(fields) - 1))
            fields[position] = draw(st.sampled_from(JUNK))
        if draw(st.integers(0, 9)) == 0:
            fields = fields[:-1]  # a record one field short
        found.append(",".join(fields))
    return found


@settings(max_examples=40, deadline=None)
@given(invoices=rows(GOOD_INVOICE, 6), lines=rows(GOOD_LINE, 12))
def test_every_submitted_row_is_accepted_or_rejected_with_a_reason(
    invoices: list[str], lines: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        directory = write_directory(
            Path(folder),
            {"invoices.csv": [INVOICE_HEADER, *invoices], "lines.csv": [LINE_HEADER, *lines]},
        )
        result = read_legacy(directory)

    invoice_count, line_count = result.counts[0], result.counts[1]
    assert (invoice_count.submitted, line_count.submitted) == (len(invoices), len(lines))
    assert invoice_count.accepted + invoice_count.rejected == len(invoices)
    assert line_count.accepted + line_count.rejected == len(lines)
    assert result.tables.invoices.num_rows == invoice_count.accepted
    assert result.tables.lines.num_rows == line_count.accepted
    errors = [row for row in result.issues.to_pylist() if row["severity"] == "error"]
    for file, count in (("invoices.csv", invoice_count), ("lines.csv", line_count)):
        rejected_rows = {row["row"] for row in errors if row["file"] == file}
        assert len(rejected_rows) == count.rejected
        assert rejected_rows <= set(range(2, 2 + count.submitted))
    # An accepted line's invoice is accepted, in the line's currency.
    accepted = dict(
        zip(
            result.tables.invoices.column("invoice_id").to_pylist(),
            result.tables.invoices.column("currency").to_pylist(),
            strict=True,
        )
    )
    for line in result.tables.lines.to_pylist():
        assert accepted[line["invoice_id"]] == line["currency"]
