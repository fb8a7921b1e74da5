"""Reading a cross-walk file on its own, for quote-to-bill: CRM ids onto tollway's.

The file is the parallel run's `crosswalk.csv` (docs/legacy-interchange.md): a header, then
`entity,legacy_id,tollway_id,valid_from,valid_to` rows, the dates optional. A cross-walk decides
which account every order is checked against, so it is read strictly: any bad row refuses the
whole file with a `QuoteFileError` naming the row and field (a wrong mapping must not pass
quietly into a check).
"""

import csv
import io
from datetime import date
from pathlib import Path
from typing import Final

import pyarrow as pa

from tollway.reconcile._quotes_fields import ID_LENGTH_MAX
from tollway.reconcile._quotes_model import QuoteFileError
from tollway.reconcile._tables import CROSSWALK_SCHEMA, CrosswalkEntity

CROSSWALK_COLUMNS: Final = ("entity", "legacy_id", "tollway_id", "valid_from", "valid_to")
CROSSWALK_ROWS_MAX: Final = 1_000_000
"""More rows than any operator has accounts and circuits: a bigger file is a mistake."""


def read_crosswalk(path: Path) -> pa.Table:
    """The cross-walk in `path` as a CROSSWALK_SCHEMA table, in file order.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "crosswalk.csv").write_text(
    ...     "entity,legacy_id,tollway_id,valid_from,valid_to\\n"
    ...     "account,CRM-7,ACME,,2026-06-01\\n")
    >>> read_crosswalk(folder / "crosswalk.csv").to_pylist()[0]["valid_to"]
    datetime.date(2026, 6, 1)
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise QuoteFileError(f"{path}: no such cross-walk file") from None
    except UnicodeDecodeError:
        raise QuoteFileError(f"{path}: not UTF-8 text") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise QuoteFileError(f"{path}: not readable as CSV ({error})") from None
    if not records or tuple(records[0][:3]) != CROSSWALK_COLUMNS[:3]:
        raise QuoteFileError(f"{path}: the header must be {','.join(CROSSWALK_COLUMNS)}")
    header = records[0]
    if len(header) > len(CROSSWALK_COLUMNS) or tuple(header) != CROSSWALK_COLUMNS[: len(header)]:
        raise QuoteFileError(f"{path}: the header must be {','.join(CROSSWALK_COLUMNS)}")
    if len(records) - 1 > CROSSWALK_ROWS_MAX:
        raise QuoteFileError(f"{path}: more than {CROSSWALK_ROWS_MAX} rows")
    rows = [
        _entry(path, index + 2, dict(zip(header, record, strict=False)), len(header), record)
        for index, record in enumerate(records[1:])
        if record
    ]
    return pa.Table.from_pylist(rows, schema=CROSSWALK_SCHEMA)


def _entry(
    path: Path, row: int, values: dict[str, str], width: int, record: list[str]
) -> dict[str, object]:
    if len(record) != width:
        raise QuoteFileError(f"{path} row {row}: {len(record)} fields, but the header has {width}")
    entity = values["entity"]
    if entity not in {member.value for member in CrosswalkEntity}:
        allowed = ", ".join(member.value for member in CrosswalkEntity)
        raise QuoteFileError(f"{path} row {row}: entity {entity!r} is not one of {allowed}")
    for name in ("legacy_id", "tollway_id"):
        value = values[name]
        if not value or value != value.strip() or len(value) > ID_LENGTH_MAX:
            raise QuoteFileError(f"{path} row {row}: {name} {value!r} is not an id")
    return {
        "entity": entity,
        "legacy_id": values["legacy_id"],
        "tollway_id": values["tollway_id"],
        "valid_from": _day(path, row, "valid_from", values.get("valid_from", "")),
        "valid_to": _day(path, row, "valid_to", values.get("valid_to", "")),
    }


def _day(path: Path, row: int, name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        if len(value) != len("2026-01-31"):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise QuoteFileError(
            f"{path} row {row}: {name} {value!r} is not a date written YYYY-MM-DD"
        ) from None
