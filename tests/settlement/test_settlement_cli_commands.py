"""`tollway settlement ...` as an operator runs it: real processes on a billed workspace.

The workspace holds `tiny_world` billed for February and March 2026 (INV-00000001 and -03 to
Fleet Co, with 1,000.00 of d2c-data each; INV-00000002 and -04 to Stratus, 4,000.00 each).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tollway.cli._workspace import create_workspace
from tollway.storage import WorldRepository

from .test_settlement_store_world import AGREEMENTS_YAML, bill_month, tiny_world

CHARGES_CSV = (
    "partner_id,partner_invoice_id,line_id,description,category,amount,currency,charge_date\n"
    "CP-STRATUS,ST-02,C1,Compute,cloud_services,2600.00,USD,2026-02-01\n"
    "CP-STRATUS,ST-02,C2,Egress overage,cloud_services,300.00,USD,2026-02-01\n"
    "CP-STRATUS,ST-03,C1,Compute,cloud_services,2600.005,USD,2026-03-01\n"
)


def tollway(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tollway", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )


def ok(*arguments: str) -> str:
    done = tollway(*arguments)
    assert done.returncode == 0, f"{arguments}: {done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace with the tiny world billed for February and March, and the agreements file."""
    made = create_workspace(tmp_path / "ws")
    database = made.database
    with database.transaction() as session:
        WorldRepository(session).save(tiny_world())
    bill_month(database, made.root / "usage", 2)
    bill_month(database, made.root / "usage", 3)
    database.dispose()
    (tmp_path / "deals.yaml").write_text(AGREEMENTS_YAML, encoding="utf-8")
    return made.root


def test_load_settle_rerun_credit_and_claw_back(workspace: Path, tmp_path: Path) -> None:
    w = ("-w", str(workspace))
    loaded = ok("settlement", "load-agreements", str(tmp_path / "deals.yaml"), *w)
    assert loaded == (
        "deals.yaml: 2 agreements (2 versions added), 1 revenue-share models (1 added)\n"
    )

    february = ok("settlement", "run", "--agreement", "AG-D2C", "--period", "2026-02", *w)
    assert "Total payable 200.00 USD: OP-NORTHWIND pays SAT-ORBITAL" in february
    assert february.endswith("RSS-AG-D2C-20260201: stored\n")
    again = ok("settlement", "run", "--agreement", "AG-D2C", "--period", "2026-02", *w)
    assert again.endswith("already settled: the stored statement is unchanged\n")
    assert again.splitlines()[:-1] == february.splitlines()[:-1]

    ok("credit-note", "INV-00000001", "--reason", "plan never delivered", *w)
    march = ok("settlement", "run", "--agreement", "AG-D2C", "--period", "2026-03", *w)
    assert "credit_clawback  -200.00" in march
    assert "Total payable 0.00 USD: nothing to pay" in march

    rows = ok(
        "settlement", "statement", "--agreement", "AG-D2C", "--period", "2026-03",
        "--format", "csv", *w,
    ).splitlines()  # fmt: skip
    assert rows[0].startswith("record,item_id,kind,bill_no,line_id")
    assert rows[-1] == "total,,,,,,,,,,,,0.00,payable"
    report = tmp_path / "report.json"
    written = ok(
        "settlement", "statement", "--agreement", "AG-D2C", "--period", "2026-02",
        "--format", "tmf737", "--out", str(report), *w,
    )  # fmt: skip
    assert written == f"wrote the tmf737 statement to {report}\n"
    assert json.loads(report.read_text())["@type"] == "PartyRevSharingReport"


def test_import_dispute_net_resolve_and_the_account(workspace: Path, tmp_path: Path) -> None:
    w = ("-w", str(workspace))
    ok("settlement", "load-agreements", str(tmp_path / "deals.yaml"), *w)
    charges = tmp_path / "stratus.csv"
    charges.write_text(CHARGES_CSV, encoding="utf-8")

    imported = ok("settlement", "import-charges", str(charges), *w).splitlines()
    assert imported == [
        "stratus.csv: 3 submitted = 2 accepted + 1 rejected",
        "  rejected (invalid_amount) stratus.csv: row 3: amount: 2600.005 is not a whole number "
        "of USD minor units",
    ]
    ok(
        "settlement", "dispute", "DSP-7", "--partner", "CP-STRATUS", "--document", "ST-02",
        "--line", "C2", "--amount", "300.00", "--raised-on", "2026-02-09", *w,
    )  # fmt: skip
    netted = ok("settlement", "net", "--agreement", "AG-SWAP", "--period", "2026-02", *w)
    # 4,000.00 we invoiced - 2,900.00 they invoiced - (0 - 300.00 withheld) = 1,400.00.
    assert "CP-STRATUS pays OP-NORTHWIND 1,400.00 USD" in netted
    resolved = ok(
        "settlement", "resolve", "DSP-7", "--accepted", "100.00", "--resolved-on", "2026-03-04",
        *w,
    )  # fmt: skip
    assert resolved == "dispute DSP-7: resolved 2026-03-04, 100.00 of 300.00 USD accepted\n"
    march = ok("settlement", "net", "--agreement", "AG-SWAP", "--period", "2026-03", *w)
    # 4,000.00 - 100.00 released (the ST-03 line was rejected) = 3,900.00.
    assert "CP-STRATUS pays OP-NORTHWIND 3,900.00 USD" in march

    account = ok("settlement", "account", "CP-STRATUS", *w)
    assert "Account SA-CP-STRATUS-USD (USD)" in account
    assert account.splitlines()[-1] == "  Balance -5,300.00 USD: partner owes operator"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("run", "--agreement", "AG-D2C", "--period", "2026-13"),
            "error (invalid_settlement_command): --period '2026-13': expected a month as "
            "YYYY-MM, e.g. 2025-06",
        ),
        (
            ("run", "--agreement", "AG-NOPE", "--period", "2026-02"),
            "error (settlement_workspace): no partner agreement 'AG-NOPE' (stored: none yet); "
            "load it with `tollway settlement load-agreements FILE`",
        ),
        (
            ("milestone", "AG-D2C", "launch", "--occurred-at", "2026-03-11", "--recorded-at", "x"),
            "error (invalid_settlement_command): --occurred-at '2026-03-11': expected an ISO "
            "8601 instant with its offset, e.g. 2025-06-15T00:00:00+00:00",
        ),
    ],
)
def test_mistakes_are_one_line_errors(
    workspace: Path, arguments: tuple[str, ...], message: str
) -> None:
    done = tollway("settlement", *arguments, "-w", str(workspace))

    assert done.returncode == 2, done.stderr
    assert done.stderr == message + "\n"


def test_a_bad_agreements_file_names_the_file_and_the_record(
    workspace: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(AGREEMENTS_YAML.replace('rate: {flat: "20"}', 'rate: {flat: "120"}'))

    done = tollway("settlement", "load-agreements", str(bad), "-w", str(workspace))

    assert done.returncode == 2
    assert done.stderr == (
        "error (invalid_settlement_document): bad.yaml: revenue-share model RS-D2C-20 items[0] "
        "(d2c-20): rate.percent: 120 is not a percentage from 0 to 100\n"
    )


def test_the_demo_command_runs_in_its_own_folder(tmp_path: Path) -> None:
    folder = tmp_path / "demo"

    shown = ok("settlement", "demo", "--directory", str(folder))

    assert "= 21,540,000.00 USD" in shown
    assert (folder / "workspace" / "workspace.json").is_file()
    assert (folder / ".tollway-settlement-demo").is_file()


def test_file_mistakes_are_one_line_errors_or_rejected_rows(
    workspace: Path, tmp_path: Path
) -> None:
    w = ("-w", str(workspace))
    ok("settlement", "load-agreements", str(tmp_path / "deals.yaml"), *w)
    ok("settlement", "run", "--agreement", "AG-D2C", "--period", "2026-02", *w)
    header = CHARGES_CSV.splitlines()[0]
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        f"{header}\n".encode() + b"CP-STRATUS,ST-08,C1,Caf\xe9,cloud,1.00,USD,2026-02-01\n"
    )
    huge = tmp_path / "huge.csv"
    huge.write_text(f"{header}\nCP-STRATUS,ST-07,C1,Compute,cloud,1E+30,USD,2026-02-01\n")
    missing = tmp_path / "nowhere" / "x.txt"

    not_utf8 = tollway("settlement", "import-charges", str(latin), *w)
    too_big = tollway("settlement", "import-charges", str(huge), *w)
    unwritable = tollway(
        "settlement", "statement", "--agreement", "AG-D2C", "--period", "2026-02",
        "--out", str(missing), *w,
    )  # fmt: skip

    assert (not_utf8.returncode, not_utf8.stderr) == (
        2,
        f"error (invalid_charge_file): {latin}: line 2 is not UTF-8 text (byte 0xe9); save the "
        "file as UTF-8 (CSV UTF-8)\n",
    )
    assert (too_big.returncode, too_big.stderr) == (0, "")
    assert too_big.stdout.splitlines() == [
        "huge.csv: 1 submitted = 0 accepted + 1 rejected",
        "  rejected (invalid_amount) huge.csv: row 1: amount: 1E+30 is beyond the largest amount "
        "stored, 9999999999999.99 USD (in size)",
    ]
    assert (unwritable.returncode, unwritable.stderr) == (
        2,
        f"error (invalid_settlement_command): --out {missing}: the folder {missing.parent} does "
        "not exist\n",
    )
