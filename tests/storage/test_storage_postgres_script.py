"""scripts/postgres-for-tests.sh: a throwaway PostgreSQL for the suite, started and stopped."""

import glob
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres-for-tests.sh"
script_timeout_s = 180


def _run(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=script_timeout_s,
        check=False,
    )


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("TOLLWAY_TEST_POSTGRES_URL", "TOLLWAY_TEST_POSTGRES_DIR")
    }
    environment["TOLLWAY_TEST_POSTGRES_STATE"] = str(tmp_path / "postgres.state")
    return {**environment, **extra}


def test_the_script_is_valid_bash() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], check=False).returncode == 0


def test_a_given_server_is_used_as_it_is(tmp_path: Path) -> None:
    given = _environment(tmp_path, TOLLWAY_TEST_POSTGRES_URL="postgresql+psycopg://elsewhere/db")

    started = _run("start", environment=given)

    assert (started.returncode, started.stdout) == (0, "")
    assert "already set" in started.stderr


def test_an_unknown_mode_is_refused(tmp_path: Path) -> None:
    refused = _run("restart", environment=_environment(tmp_path))

    assert refused.returncode == 1
    assert "usage:" in refused.stderr


def test_stopping_when_nothing_runs_is_not_an_error(tmp_path: Path) -> None:
    assert _run("stop", environment=_environment(tmp_path)).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
    reason="PostgreSQL's binaries are not installed here (the script would install them)",
)
def test_it_starts_a_server_tests_can_use_and_stops_it(tmp_path: Path) -> None:
    environment = _environment(tmp_path)
    started = _run("start", environment=environment)
    assert started.returncode == 0, started.stderr
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines()
    )
    directory = Path(shlex.split(exports["TOLLWAY_TEST_POSTGRES_DIR"])[0])
    try:
        engine = create_engine(exports["TOLLWAY_TEST_POSTGRES_URL"])
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_database()")).scalar_one() == (
                "tollway_test"
            )
        engine.dispose()
    finally:
        stopped = _run("stop", environment={**environment, **exports})
    assert stopped.returncode == 0, stopped.stderr
    assert not directory.exists()
