"""Reading the fields of an agreement or model document, with errors naming file, record, field.

Documents come from YAML or JSON files (`tollway.io.read_document`: numbers with a fraction are
Decimals) or from the database's JSON columns. Numbers may be written as numbers or as strings and
are read exactly; a float is refused. Instants carry their offset; a bare date means midnight UTC.
Unknown fields are refused, so a misspelt field never silently falls back to a default.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from tollway.money import Currency, TollwayError, UnknownCurrencyError, currency

_Enum = TypeVar("_Enum", bound=StrEnum)


class SettlementDocumentError(TollwayError):
    """An agreement, model or charge document is unusable; the message names the file, the record
    and the field.

    >>> str(SettlementDocumentError("deals.yaml", "agreement AG-1", "start", "is missing"))
    'deals.yaml: agreement AG-1: start: is missing'
    """

    code = "invalid_settlement_document"

    def __init__(self, source: str, record: str, field: str, problem: str) -> None:
        super().__init__(f"{source}: {record}: {field}: {problem}")
        self.source = source
        self.record = record
        self.field = field
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Fields:
    """The fields of one record of a document (a mapping), read with typed accessors."""

    source: str
    record: str
    data: Mapping[str, Any]

    @classmethod
    def of(cls, value: object, *, source: str, record: str, field: str = "") -> "Fields":
        if not isinstance(value, Mapping):
            where = field or "record"
            raise SettlementDocumentError(source, record, where, "expected a mapping of fields")
        return cls(source, record, value)

    def fail(self, field: str, problem: str) -> SettlementDocumentError:
        return SettlementDocumentError(self.source, self.record, field, problem)

    def allow(self, *names: str) -> None:
        """Refuse fields other than `names` (a misspelt field is an error, not a default)."""
        unknown = sorted(str(key) for key in self.data if key not in names)
        if unknown:
            raise self.fail(unknown[0], f"unknown field; expected one of {', '.join(names)}")

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def required(self, name: str) -> Any:
        if name not in self.data or self.data[name] is None:
            raise self.fail(name, "is missing")
        return self.data[name]

    def text(self, name: str, default: str | None = None) -> str:
        if default is not None and not self.has(name):
            return default
        value = self.required(name)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"expected a non-empty text, got {value!r}")
        return value

    def free_text(self, name: str) -> str:
        """Any text, empty included; absent is empty."""
        value = self.data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.fail(name, f"expected a text, got {value!r}")
        return value

    def optional_text(self, name: str) -> str | None:
        return self.text(name) if self.has(name) else None

    def number(self, name: str) -> Decimal:
        return exact_number(self.required(name), fields=self, name=name)

    def optional_number(self, name: str) -> Decimal | None:
        return self.number(name) if self.has(name) else None

    def integer(self, name: str) -> int:
        value = self.required(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"expected a whole number, got {value!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        if not self.has(name):
            return default
        value = self.data[name]
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {value!r}")
        return value

    def instant(self, name: str) -> datetime:
        return instant_of(self.required(name), fields=self, name=name)

    def optional_instant(self, name: str) -> datetime | None:
        return self.instant(name) if self.has(name) else None

    def day(self, name: str) -> date:
        value = self.required(name)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(name, f"expected a date as YYYY-MM-DD, got {value!r}")

    def optional_day(self, name: str) -> date | None:
        return self.day(name) if self.has(name) else None

    def money_currency(self, name: str) -> Currency:
        code = self.text(name)
        try:
            return currency(code)
        except UnknownCurrencyError:
            raise self.fail(name, f"{code!r} is not an ISO 4217 currency code") from None

    def choice(self, name: str, kind: type[_Enum], default: _Enum | None = None) -> _Enum:
        if default is not None and not self.has(name):
            return default
        value = self.required(name)
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise self.fail(name, f"{value!r} is not one of {allowed}") from None

    def texts(self, name: str) -> tuple[str, ...]:
        values = self.sequence(name)
        for index, value in enumerate(values):
            if not isinstance(value, str) or not value:
                raise self.fail(f"{name}[{index}]", f"expected a non-empty text, got {value!r}")
        return tuple(values)

    def sequence(self, name: str) -> Sequence[Any]:
        if not self.has(name):
            return ()
        value = self.data[name]
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise self.fail(name, "expected a list")
        return value

    def records(self, name: str, *, label: str) -> list["Fields"]:
        """The list of mappings under `name`, each named `label[index]` (or by its id)."""
        found = []
        for index, value in enumerate(self.sequence(name)):
            where = f"{self.record} {name}[{index}]"
            child = Fields.of(value, source=self.source, record=where, field=name)
            identifier = child.data.get("id")
            if isinstance(identifier, str):
                child = Fields(self.source, f"{where} ({label} {identifier})", child.data)
            found.append(child)
        return found

    def child(self, name: str) -> "Fields | None":
        if not self.has(name):
            return None
        return Fields.of(
            self.data[name], source=self.source, record=f"{self.record} {name}", field=name
        )


def exact_number(value: object, *, fields: Fields, name: str) -> Decimal:
    """A number written as a number or a string, read exactly; floats and booleans are refused."""
    if isinstance(value, bool | float):
        raise fields.fail(name, f"{value!r} is not an exact number; write it as text, e.g. '0.10'")
    if isinstance(value, Decimal | int):
        found = Decimal(value)
    elif isinstance(value, str):
        try:
            found = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise fields.fail(name, f"{value!r} is not a number") from None
    else:
        raise fields.fail(name, f"expected a number, got {value!r}")
    if not found.is_finite():
        raise fields.fail(name, f"{value!r} is not a finite number")
    return found


def instant_of(value: object, *, fields: Fields, name: str) -> datetime:
    """An aware instant from ISO text or a YAML timestamp; a bare date is midnight UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            raise fields.fail(name, f"{value!r} is not an ISO 8601 date or instant") from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise fields.fail(name, f"{value.isoformat()} has no offset; add one, e.g. +00:00")
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    raise fields.fail(name, f"expected an instant, got {value!r}")


def number_text(value: Decimal) -> str:
    """A Decimal as document text: plain notation, its scale kept.

    >>> number_text(Decimal("2E+1")), number_text(Decimal("0.50"))
    ('20', '0.50')
    """
    return format(value, "f")


def optional_number_text(value: Decimal | None) -> str | None:
    return None if value is None else number_text(value)


def optional_iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()
