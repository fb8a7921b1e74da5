"""The pure core stays pure: no I/O, no database, no clock, no randomness.

Walks every module of the core packages and fails on an import of an I/O or engine library, or a
call that reads the wall clock. Engines (DuckDB), storage (SQLAlchemy) and adapters (CLI, files)
live outside the core and may import the core, never the other way round.
"""

import ast
from pathlib import Path

import pytest

SOURCE_ROOT = Path(__file__).resolve().parents[1] / "src" / "tollway"
CORE_PACKAGES = (
    "money",
    "conventions",
    "periods",
    "pricing",
    "rating/reference",
    "accounts",
    "catalog",
    "contracts",
    "inventory",
    "billing",
    "tax/core",
    "settlement/core",
    "reconcile/core",
)
FORBIDDEN_IMPORTS = {
    "os", "io", "pathlib", "shutil", "tempfile", "glob", "sqlite3", "socket", "ssl", "http",
    "urllib", "subprocess", "multiprocessing", "threading", "asyncio", "random", "time",
    "logging", "pickle", "csv", "json", "yaml", "duckdb", "pyarrow", "sqlalchemy", "alembic",
    "psycopg", "typer", "rich", "requests", "httpx", "numpy",
}  # fmt: skip
FORBIDDEN_CALLS = {"now", "utcnow", "today", "open", "perf_counter", "monotonic", "time_ns"}
CORE_MAY_NOT_IMPORT = ("tollway.cli", "tollway.storage", "tollway.engines", "tollway.io")


def _core_modules() -> list[Path]:
    found: list[Path] = []
    for package in CORE_PACKAGES:
        root = SOURCE_ROOT / package
        found.extend(sorted(root.rglob("*.py")) if root.is_dir() else [])
    return found


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            names = []
        for name in names:
            if name.split(".")[0] in FORBIDDEN_IMPORTS or name.startswith(CORE_MAY_NOT_IMPORT):
                problems.append(f"{path.name}:{node.lineno} imports {name}")
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in FORBIDDEN_CALLS:
                problems.append(f"{path.name}:{node.lineno} calls {called}()")
    return problems


def test_core_packages_exist() -> None:
    assert len(_core_modules()) > 5


@pytest.mark.parametrize(
    "path", _core_modules(), ids=lambda path: str(path.relative_to(SOURCE_ROOT))
)
def test_core_module_is_pure(path: Path) -> None:
    assert _violations(path) == []


def test_checker_catches_an_io_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import duckdb\nfrom pathlib import Path\nx = datetime.now()\nopen('f')\n")
    assert _violations(bad) == [
        "bad.py:1 imports duckdb",
        "bad.py:2 imports pathlib",
        "bad.py:3 calls now()",
        "bad.py:4 calls open()",
    ]
