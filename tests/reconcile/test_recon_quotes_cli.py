"""`tollway quotes` on a workspace: Acme's world stored, its first invoice billed by a real bill
run and issued, and the CRM's order file checked against them."""

import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tollway.billing import compute_bills
from tollway.cli._quotes import quotes_app
from tollway.cli._workspace import create_workspace
from tollway.reconcile._tables import DIFFERENCE_SCHEMA
from tollway.storage import BillRepository, WorldRepository

from .test_recon_quotes_read import ACME_ORDER
from .test_recon_quotes_support import at, world

runner = CliRunner()


def _untaxed(monthly: str) -> dict[str, object]:
    """Acme's order without tax rates (this bill run has no tax calculator) at a month's price;
    first invoice 516.13 + 1,000.00 + 500.00 − 151.61 = 1,864.52 at 1,000.00."""
    document = json.loads(json.dumps(ACME_ORDER))
    document["expectedFirstInvoiceTotal"]["value"] = "1864.52"
    item = document["productOrderItem"][0]
    for price in item["itemPrice"]:
        del price["price"]["taxRate"]
        price.pop("taxJurisdictionId", None)
    item["itemPrice"][0]["price"]["dutyFreeAmount"]["value"] = monthly
    return document


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    opened = create_workspace(root)
    inputs = world()
    with opened.database.transaction() as session:
        WorldRepository(session).save(inputs)
    (draft,) = compute_bills(
        inputs,
        period_start=at(4, 1),
        period_end=at(4, 2),
        bill_date=date(2026, 4, 1),
        rated_usage=(),
        run_id="run-2026-04",
    )
    with opened.database.transaction() as session:
        bills = BillRepository(session)
        bills.save_draft(draft, invoice_series="INV")
        bills.issue([draft.id])
    return root


def _files(tmp_path: Path, monthly: str) -> tuple[Path, Path]:
    quotes = tmp_path / "orders.jsonl"
    quotes.write_text(json.dumps(_untaxed(monthly)) + "\n", encoding="utf-8")
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text(
        "entity,legacy_id,tollway_id,valid_from,valid_to\naccount,CRM-ACME,ACME,,\n",
        encoding="utf-8",
    )
    return quotes, crosswalk


def test_check_a_quote_that_agrees(tmp_path: Path, workspace: Path) -> None:
    quotes, crosswalk = _files(tmp_path, "1000.00")
    out = tmp_path / "out"
    arguments = ["check", str(quotes), "-w", str(workspace), "--crosswalk", str(crosswalk)]
    done = runner.invoke(quotes_app, [*arguments, "--out", str(out), "--fail-on-difference"])
    assert done.exit_code == 0, done.output
    assert "orders.jsonl: 1 rows submitted = 1 accepted + 0 rejected; 1 orders" in done.output
    assert "quote-to-bill quote-to-bill: 13 comparisons, 13 matched, 0 differ" in done.output
    assert sorted(path.name for path in out.iterdir()) == [
        "quote-differences.csv",
        "quote-differences.parquet",
        "quote-rejects.csv",
    ]
    detail = pq.read_table(out / "quote-differences.parquet")
    assert detail.schema.equals(DIFFERENCE_SCHEMA)
    assert detail.num_rows == 13
    header = (out / "quote-differences.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.replace('"', "").split(",") == DIFFERENCE_SCHEMA.names


def test_check_fails_on_a_difference_when_asked(tmp_path: Path, workspace: Path) -> None:
    quotes, crosswalk = _files(tmp_path, "900.00")
    arguments = ["check", str(quotes), "-w", str(workspace), "--crosswalk", str(crosswalk)]
    done = runner.invoke(quotes_app, [*arguments, "--fail-on-difference"])
    assert done.exit_code == 1, done.output
    # The price and both recurring lines differ (the expected total is still 1,864.52).
    assert "13 comparisons, 10 matched, 3 differ" in done.output
    assert "differences by category" in done.output
    relaxed = runner.invoke(quotes_app, arguments)
    assert relaxed.exit_code == 0


def test_validate_lists_the_rejected_rows(tmp_path: Path) -> None:
    broken = json.loads(json.dumps(ACME_ORDER))
    broken["orderDate"] = "02/03/2026"
    quotes = tmp_path / "orders.jsonl"
    quotes.write_text(json.dumps(broken) + "\n", encoding="utf-8")
    done = runner.invoke(quotes_app, ["validate", str(quotes)])
    assert done.exit_code == 0, done.output
    assert "1 rows submitted = 0 accepted + 1 rejected; 0 orders" in done.output
    assert "bad_date" in done.output
