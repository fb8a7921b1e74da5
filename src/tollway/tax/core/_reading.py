"""Reading plain documents (parsed YAML or JSON) field by field, collecting every problem with the
place it was found (`rules[4].rate_percent: ...`) instead of stopping at the first."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar

from tollway.money import TollwayError, to_decimal

EnumType = TypeVar("EnumType", bound=StrEnum)

problems_max: Final = 50
"""At most this many problems are reported; the rest are summarised in one line."""


class Problems:
    """The problems found in one document, each prefixed with the document's name."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.found.append(
            f"{self.source}: {where}: {message}" if where else f"{self.source}: {message}"
        )

    def reported(self) -> tuple[str, ...]:
        if len(self.found) <= problems_max:
            return tuple(self.found)
        hidden = len(self.found) - problems_max
        return (*self.found[:problems_max], f"{self.source}: ... and {hidden} more problems")


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


class Fields:
    """One mapping of a document at `where`: typed readers that record a problem and return None
    when a field is missing or unusable. `ok` stays True while no field of it failed."""

    def __init__(
        self, document: object, where: str, problems: Problems, *, allowed: Sequence[str]
    ) -> None:
        self.where = where
        self.problems = problems
        self.ok = True
        self.values: Mapping[str, object] = {}
        self.is_mapping = isinstance(document, Mapping)
        if not isinstance(document, Mapping):
            self.problem("", f"expected a mapping, found {_kind(document)}")
            return
        self.values = document
        for name in sorted(str(key) for key in document if key not in allowed):
            self.problem(name, f"unknown field; expected one of {', '.join(allowed)}")

    def problem(self, name: str, message: str) -> None:
        self.ok = False
        place = f"{self.where}.{name}" if name and self.where else (name or self.where)
        self.problems.add(place, message)

    def _get(self, name: str, *, required: bool) -> object:
        value = self.values.get(name)
        if value is None and required and self.is_mapping:
            self.problem(name, "missing")
        return value

    def text(self, name: str, *, required: bool = True) -> str | None:
        value = self._get(name, required=required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(name, f"expected a non-empty text, found {value!r}")
            return None
        return value.strip()

    def texts(self, name: str) -> tuple[str, ...]:
        """A list of texts; missing or null is the empty tuple."""
        value = self._get(name, required=False)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item.strip() for item in value
        ):
            self.problem(name, f"expected a list of texts, found {value!r}")
            return ()
        return tuple(item.strip() for item in value)

    def decimal(self, name: str, *, required: bool = True) -> Decimal | None:
        """An exact number, 0 or more (a float is refused: write it as a string)."""
        value = self._get(name, required=required)
        if value is None:
            return None
        try:
            found = to_decimal(value, field=name)
        except TollwayError as error:
            self.problem(name, error.message.removeprefix(f"{name}: "))
            return None
        if found < 0:
            self.problem(name, f"must not be negative, found {found}")
            return None
        return found

    def whole_number(self, name: str, *, required: bool = True) -> int | None:
        """A whole number, 1 or more."""
        value = self._get(name, required=required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(name, f"expected a whole number, 1 or more, found {value!r}")
            return None
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self._get(name, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(name, f"expected true or false, found {value!r}")
            return default
        return value

    def day(self, name: str, *, required: bool = True) -> date | None:
        """A calendar date: a YAML date or an ISO text such as 2026-01-01."""
        value = self._get(name, required=required)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(name, f"expected a date such as 2026-01-01, found {value!r}")
        return None

    def choice(
        self, name: str, kind: type[EnumType], *, default: EnumType | None
    ) -> EnumType | None:
        value = self._get(name, required=default is None)
        if value is None:
            return default
        if isinstance(value, str) and value in kind._value2member_map_:
            return kind(value)
        expected = ", ".join(member.value for member in kind)
        self.problem(name, f"{value!r} is not one of {expected}")
        return default

    def choices(self, name: str, kind: type[EnumType]) -> frozenset[EnumType]:
        """A list of choices; missing or null is the empty set (meaning: every one)."""
        found: set[EnumType] = set()
        for item in self.texts(name):
            try:
                found.add(kind(item))
            except ValueError:
                expected = ", ".join(member.value for member in kind)
                self.problem(name, f"{item!r} is not one of {expected}")
        return frozenset(found)

    def rows(self, name: str, *, required: bool = True) -> list[object]:
        """A list of mappings (each read with its own `Fields`)."""
        value = self._get(name, required=required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(name, f"expected a list, found {_kind(value)}")
            return []
        return value

    def place(self, name: str, index: int) -> str:
        """Where the `index`-th item of list `name` is: `rules[4]`."""
        return f"{self.where}.{name}[{index}]" if self.where else f"{name}[{index}]"
