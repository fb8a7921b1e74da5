"""The workspace workflow as an operator runs it: real `tollway` processes from init to credit note."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tollway.generator import generate


def tollway(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tollway", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )


def ok(*arguments: str) -> str:
    done = tollway(*arguments)
    assert done.returncode == 0, f"{arguments}: {done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("world")
    generate(directory, size="tiny", seed=11, cycles=1, first_period="2026-01")
    return directory


def bill_one_cycle(workspace: Path, world: Path) -> str:
    ok("init", str(workspace))
    ok("load-world", str(world), "-w", str(workspace))
    load = ok(
        "load-usage",
        str(world / "usage" / "cycle-01.parquet"),
        "--load-id",
        "jan",
        "-w",
        str(workspace),
    )
    assert "submitted =" in load
    return ok("bill", "2026-02", "-w", str(workspace))


def test_init_load_bill_list_show_export(tmp_path: Path, world: Path) -> None:
    workspace = tmp_path / "ws"
    billed = bill_one_cycle(workspace, world)
    assert "run-2026-02:" in billed
    exported = json.loads(ok("invoices", "export", "-w", str(workspace), "--format", "json"))
    assert exported, "the cycle produced bills"
    bill_numbers = [bill["bill_no"] for bill in exported]
    first = bill_numbers[0]
    shown = ok("invoices", "show", first, "-w", str(workspace))
    assert first in shown
    assert "amount due" in shown
    document = json.loads(ok("invoices", "show", first, "-w", str(workspace), "--json"))
    assert document["bill_no"] == first
    csv_text = ok("invoices", "export", "-w", str(workspace), "--format", "csv")
    assert csv_text.splitlines()[0].startswith("bill_no") or "," in csv_text.splitlines()[0]


def test_loading_the_same_usage_again_bills_nothing_twice(tmp_path: Path, world: Path) -> None:
    workspace = tmp_path / "ws"
    bill_one_cycle(workspace, world)
    before = ok("invoices", "export", "-w", str(workspace), "--format", "json")
    again = ok(
        "load-usage",
        str(world / "usage" / "cycle-01.parquet"),
        "--load-id",
        "jan-resent",
        "-w",
        str(workspace),
    )
    assert " 0 accepted" in again
    rerun = ok("bill", "2026-02", "-w", str(workspace))
    assert "0 drafted and 0 issued now" in rerun
    assert ok("invoices", "export", "-w", str(workspace), "--format", "json") == before


def test_two_workspaces_bill_byte_identical_invoices(tmp_path: Path, world: Path) -> None:
    exports = []
    for name in ("a", "b"):
        workspace = tmp_path / name
        bill_one_cycle(workspace, world)
        exports.append(ok("invoices", "export", "-w", str(workspace), "--format", "json"))
    assert exports[0] == exports[1]


def test_credit_note_reverses_an_issued_invoice(tmp_path: Path, world: Path) -> None:
    workspace = tmp_path / "ws"
    bill_one_cycle(workspace, world)
    (bill, *_rest) = json.loads(ok("invoices", "export", "-w", str(workspace)))
    done = ok("credit-note", bill["bill_no"], "--reason", "goodwill", "-w", str(workspace))
    assert "issued credit note CN-" in done
    notes = [
        document
        for document in json.loads(ok("invoices", "export", "-w", str(workspace)))
        if document["category"] == "creditNote"
    ]
    assert len(notes) == 1
    assert notes[0]["related_bill_no"] == bill["bill_no"]
    assert Decimal(notes[0]["amount_due"]) == -Decimal(bill["amount_due"])
    # A second full credit, even under another reason, would return the money twice.
    again = tollway("credit-note", bill["bill_no"], "--reason", "goodwill.", "-w", str(workspace))
    assert again.returncode == 2
    assert "more than once" in again.stderr
    assert "Traceback" not in again.stderr
    bad_date = tollway(
        "credit-note",
        bill["bill_no"],
        "--reason",
        "x",
        "--bill-date",
        "2026-13-01",
        "-w",
        str(workspace),
    )
    assert bad_date.returncode == 2
    assert "--bill-date '2026-13-01': expected a date as YYYY-MM-DD" in bad_date.stderr


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    for arguments, message in [
        (("bill", "2026-02", "-w", str(tmp_path)), "is not a tollway workspace"),
        (("bill", "February", "-w", str(tmp_path)), "is not a tollway workspace"),
        (("invoices", "show", "INV-404", "-w", str(tmp_path)), "is not a tollway workspace"),
    ]:
        done = tollway(*arguments)
        assert done.returncode == 2, done.stderr
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_demo_bills_three_cycles(tmp_path: Path) -> None:
    done = tollway("demo", "--directory", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    assert "3 bill cycles" in done.stdout
    for month in ("2026-02", "2026-03", "2026-04"):
        assert month in done.stdout


def test_a_finished_run_cannot_be_discarded(tmp_path: Path, world: Path) -> None:
    bill_one_cycle(tmp_path / "ws", world)
    done = tollway("discard-run", "run-2026-02", "-w", str(tmp_path / "ws"))
    assert done.returncode == 2, done.stderr
    assert "bill run 'run-2026-02' is finished; only an unfinished run is discarded" in done.stderr
    assert "Traceback" not in done.stderr


def test_demo_parallel_run_converges_to_readiness(tmp_path: Path) -> None:
    done = tollway("demo", "--directory", str(tmp_path / "demo"), "--parallel-run")
    assert done.returncode == 0, done.stderr
    assert "5 bill cycles" in done.stdout
    # The first cycle carries injected differences of every category, all classified right;
    # the last three are clean, so the default gates (three consecutive cycles) say READY.
    assert "Cutover readiness USD: READY (cycles judged: 2026-04, 2026-05, 2026-06)" in done.stdout
    assert " 0 false" in done.stdout or "0 false" in done.stdout.replace("\n", " ")
    report = (tmp_path / "demo" / "parallel-run-report.html").read_text(encoding="utf-8")
    assert report.count("<svg") >= 3


def test_demo_settlement_settles_both_deals(tmp_path: Path) -> None:
    done = tollway("demo", "--directory", str(tmp_path / "demo"), "--settlement")
    assert done.returncode == 0, done.stderr
    # The reciprocal deal's twelve months and its savings; the revenue share stops at the
    # milestone declared mid-June: 20 % of the revenue before 15 June only.
    assert "= 21,540,000.00 USD" in done.stdout
    assert "Total payable 86,800.00 USD: OP-NORTHWIND pays SAT-ORBITAL" in done.stdout
    assert "exclusive in US until 2032-12-31" in done.stdout


def test_tax_detail_exports_the_billed_and_exempt_taxes(tmp_path: Path, world: Path) -> None:
    workspace = tmp_path / "ws"
    bill_one_cycle(workspace, world)
    out = tmp_path / "taxes.csv"
    ok("tax-detail", "--out", str(out), "-w", str(workspace))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "currency,jurisdiction_id,jurisdiction_level,tax_category,treatment,"
        "taxable_amount,tax_amount,line_count"
    )
    # The generated world carries the demonstration tables: federal USF is billed somewhere.
    assert any(",US,federal,federal_usf,billed," in line for line in lines[1:])
    done = tollway("tax-detail", "--out", str(tmp_path / "missing" / "x.csv"), "-w", str(workspace))
    assert done.returncode == 2, done.stderr
    assert "no such folder for the tax detail file" in done.stderr
    assert "Traceback" not in done.stderr
