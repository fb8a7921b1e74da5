"""`tollway bill CYCLE --workers N`: drafts in N worker processes, the same invoices as 1."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tollway.cli._app import app
from tollway.cli._operations import bill_command
from tollway.cli._workspace import Workspace, create_workspace
from tollway.storage import WorldRepository

from .rerate_world import JANUARY_USAGE, load, make_world

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def _workspace(root: Path) -> Workspace:
    """A workspace holding the operator of `rerate_world` and its January usage."""
    opened = create_workspace(root / "ws")
    with opened.database.transaction() as session:
        WorldRepository(session).save(make_world())
    load(opened.usage_store, root, JANUARY_USAGE, load_id="2026-01")
    return opened


def _bill_and_export(root: Path, *options: str) -> tuple[str, str]:
    """What `tollway bill 2026-02` with `options` says after its progress bar (which counts the
    batches), and the JSON export it left."""
    workspace = str(_workspace(root).root)
    billed = runner.invoke(app, ["bill", "2026-02", "-w", workspace, *options], env=WIDE)
    assert billed.exit_code == 0, billed.output
    exported = runner.invoke(app, ["invoices", "export", "-w", workspace])
    assert exported.exit_code == 0, exported.output
    said = billed.output[billed.output.index("run-2026-02: ") :]
    return said, exported.output


def test_the_command_is_registered() -> None:
    assert any(command.callback is bill_command for command in app.registered_commands)


def test_bill_with_workers_issues_the_same_invoices(tmp_path: Path) -> None:
    in_process = _bill_and_export(tmp_path / "one")

    # One account a batch, so that three batches are drafted in three workers.
    in_workers = _bill_and_export(tmp_path / "three", "--workers", "3", "--batch-accounts", "1")

    assert "run-2026-02: 3 bills (3 drafted and 3 issued now)" in in_process[0]
    assert in_workers == in_process


@pytest.mark.parametrize(
    ("workers", "reason"),
    [
        ("0", "greater than or equal to 1"),
        ("65", "less than or equal to 64"),
        ("two", "should be a valid integer"),
    ],
)
def test_bill_refuses_a_workers_count_out_of_range(
    tmp_path: Path, workers: str, reason: str
) -> None:
    workspace = str(_workspace(tmp_path).root)

    done = runner.invoke(app, ["bill", "2026-02", "-w", workspace, "--workers", workers], env=WIDE)

    assert done.exit_code == 2
    said = " ".join(done.output.split())
    assert "Invalid value for '--workers'" in said
    assert reason in said


def test_bill_refuses_a_batch_size_out_of_range(tmp_path: Path) -> None:
    workspace = str(_workspace(tmp_path).root)

    done = runner.invoke(
        app, ["bill", "2026-02", "-w", workspace, "--batch-accounts", "0"], env=WIDE
    )

    assert done.exit_code == 2
    assert "Invalid value for '--batch-accounts'" in " ".join(done.output.split())
