"""The command line as a user meets it: real processes, exit codes, no stack traces."""

import json
import subprocess
import sys
from pathlib import Path

PRICES = """\
prices:
  - id: sdwan-data
    currency: USD
    unit: GB
    pricing:
      model: graduated
      tiers:
        - {up_to: 100, unit_price: 0.10, flat_price: 5}
        - {up_to: 1000, unit_price: 0.08}
        - {up_to: inf, unit_price: 0.05}
  - id: voice
    currency: JPY
    pricing: {model: per_unit, unit_price: 2.5}
"""


def tollway(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tollway", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_price_prints_json_with_exact_amounts(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES, encoding="utf-8")
    done = tollway("price", str(path), "1250.5", "--price-id", "sdwan-data", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["amount"] == "99.53"
    assert document["precise_amount"] == "99.525"
    assert [line["amount"] for line in document["lines"]] == ["10.00", "5", "72.00", "12.525"]


def test_price_table_shows_the_breakdown(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES, encoding="utf-8")
    done = tollway("price", str(path), "3", "--price-id", "voice")
    assert done.returncode == 0, done.stderr
    assert "¥8" in done.stdout


def test_user_mistakes_exit_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES, encoding="utf-8")
    for arguments, message in [
        ((str(path), "abc", "--price-id", "voice"), "quantity: 'abc' is not a number"),
        ((str(path), "1"), "the file holds several prices; choose one with --price-id"),
        ((str(tmp_path / "none.yaml"), "1"), "no such file"),
        ((str(path), "1", "--price-id", "voice", "--profile", "zuora"), "unknown profile 'zuora'"),
    ]:
        done = tollway("price", *arguments)
        assert done.returncode == 2, (arguments, done.stderr)
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_profiles_lists_every_profile() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tollway", "profiles"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    for name in ("tollway", "lago", "killbill", "stripe", "openmeter", "cgrates"):
        assert name in done.stdout
