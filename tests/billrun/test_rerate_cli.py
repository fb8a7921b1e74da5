"""`tollway rerate CYCLE`: a preview for finance of the adjustments a bill run would carry."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tollway.cli._app import app
from tollway.cli._rerate import rerate_command
from tollway.cli._workspace import Workspace, create_workspace
from tollway.storage import WorldRepository

from .rerate_world import JANUARY_USAGE, bill_month, load, make_world, usage_csv

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A workspace holding the operator of `rerate_world`, January billed on Feb 1."""
    opened = create_workspace(tmp_path / "ws")
    with opened.database.transaction() as session:
        WorldRepository(session).save(make_world())
    load(opened.usage_store, tmp_path, JANUARY_USAGE, load_id="2026-01")
    bill_month(opened.database, opened.usage_store, 2)
    return opened


def test_the_command_is_registered() -> None:
    assert any(command.callback is rerate_command for command in app.registered_commands)


def test_rerate_previews_the_adjustments_of_the_next_bill_run(
    workspace: Workspace, tmp_path: Path
) -> None:
    late = usage_csv("a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB")
    load(workspace.usage_store, tmp_path, late, load_id="late")

    done = runner.invoke(app, ["rerate", "2026-03", "-w", str(workspace.root)], env=WIDE)

    assert done.exit_code == 0, done.output
    assert "re-rating 2026-03: 1 adjustments for 1 paying accounts" in done.output
    # January re-rated: 105 GB = 10.25, billed 9.50 on INV-00000001: +0.75.
    row = next(line for line in done.output.splitlines() if "INV-00000001" in line)
    assert [cell.strip() for cell in row.split("│")[1:-1]] == [
        "ACME",
        "ACME",
        "CKT-ACME",
        "2026-01-01–2026-02-01",
        "INV-00000001",
        "10 GB",
        "$0.75",
    ]
    with workspace.database.transaction() as session:
        assert WorldRepository(session).load() == make_world()


def test_rerate_says_when_there_is_nothing_to_adjust(workspace: Workspace) -> None:
    done = runner.invoke(app, ["rerate", "2026-03", "-w", str(workspace.root)], env=WIDE)

    assert done.exit_code == 0, done.output
    assert "re-rating 2026-03: nothing to adjust" in done.output
