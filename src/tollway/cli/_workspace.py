"""A workspace: one folder holding the embedded database and the usage store.

```
WORKSPACE/
  workspace.json   {"database_url": "sqlite:///…/tollway.sqlite"}  (or a PostgreSQL URL)
  tollway.sqlite   the embedded database (SQLite), unless the URL names another
  usage/           the usage store: Parquet partitioned by period
```
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final

import typer

from tollway.money import TollwayError
from tollway.storage import Database
from tollway.usage import UsageStore

CONFIG_NAME: Final = "workspace.json"
DATABASE_NAME: Final = "tollway.sqlite"

WorkspaceOption = Annotated[
    Path, typer.Option("--workspace", "-w", help="The workspace folder (see `tollway init`).")
]


class WorkspaceError(TollwayError):
    code = "invalid_workspace"


@dataclass(frozen=True, slots=True)
class Workspace:
    root: Path
    database_url: str

    @property
    def database(self) -> Database:
        return Database(self.database_url)

    @property
    def usage_store(self) -> UsageStore:
        return UsageStore(self.root / "usage")


def create_workspace(root: Path, *, database_url: str | None = None) -> Workspace:
    """Create (or reopen) a workspace and bring its database schema up to date."""
    root = root.resolve()
    config = root / CONFIG_NAME
    if config.exists():
        workspace = open_workspace(root)
    else:
        if root.exists() and any(root.iterdir()):
            raise WorkspaceError(f"{root} exists and is not empty; choose a new folder")
        root.mkdir(parents=True, exist_ok=True)
        url = database_url or f"sqlite:///{root / DATABASE_NAME}"
        config.write_text(json.dumps({"database_url": url}, indent=2) + "\n", encoding="utf-8")
        workspace = Workspace(root, url)
    workspace.database.migrate()
    (root / "usage").mkdir(exist_ok=True)
    return workspace


def open_workspace(root: Path) -> Workspace:
    config = root.resolve() / CONFIG_NAME
    if not config.is_file():
        raise WorkspaceError(
            f"{root} is not a tollway workspace (no {CONFIG_NAME}); create one with `tollway init {root}`"
        )
    try:
        settings = json.loads(config.read_text(encoding="utf-8"))
        url = settings["database_url"]
    except (ValueError, KeyError, TypeError):
        raise WorkspaceError(f"{config}: expected a JSON object with a database_url") from None
    if not isinstance(url, str) or not url:
        raise WorkspaceError(f"{config}: database_url must be a non-empty string")
    return Workspace(root.resolve(), url)
