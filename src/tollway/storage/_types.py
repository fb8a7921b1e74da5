"""Column types that keep numbers and instants exact on every database tollway supports.

- `ExactNumeric`: a Decimal stored as `NUMERIC` (no precision limit) on PostgreSQL and as its
  canonical decimal text on SQLite, whose own NUMERIC affinity would turn it into a binary float.
- `UtcDateTime`: a timezone-aware instant stored as `TIMESTAMP WITH TIME ZONE` on PostgreSQL and as
  fixed-width ISO 8601 text in UTC on SQLite (so text order is time order); read back in UTC.
- `json_dumps` / `json_loads`: the JSON codec of the engine. Keys are sorted (stable documents) and
  a number with a fraction is read back as a Decimal, never a float.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Text
from sqlalchemy.dialects.postgresql import NUMERIC, TIMESTAMP
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

UTC_TEXT_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%f+00:00"
"""How SQLite keeps an instant: always UTC, always microseconds, so text order is time order."""


def decimal_text(value: Decimal) -> str:
    """The canonical text of an exact decimal: plain notation, its scale kept, no negative zero.

    >>> decimal_text(Decimal("1E-9")), decimal_text(Decimal("1.50")), decimal_text(Decimal("-0"))
    ('0.000000001', '1.50', '0')
    """
    assert isinstance(value, Decimal), f"expected a Decimal, got {type(value).__name__}"
    assert value.is_finite(), f"{value} is not a finite number"
    if value.is_zero() and value.is_signed():
        value = value.copy_abs()
    return format(value, "f")


class ExactNumeric(TypeDecorator[Decimal]):
    """An exact Decimal column: NUMERIC on PostgreSQL, canonical decimal text on SQLite."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(NUMERIC(asdecimal=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        text = decimal_text(value)
        return Decimal(text) if dialect.name == "postgresql" else text

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        assert isinstance(value, Decimal | str), f"an exact column held {type(value).__name__}"
        return Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, read back in UTC: TIMESTAMPTZ on PostgreSQL, UTC text on SQLite."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        assert value.tzinfo is not None, f"{value!r} has no time zone; store aware instants only"
        in_utc = value.astimezone(UTC)
        return in_utc if dialect.name == "postgresql" else in_utc.strftime(UTC_TEXT_FORMAT)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime) and value.tzinfo is not None
        return value.astimezone(UTC)


def json_dumps(document: object) -> str:
    """Serialise a stored JSON document: sorted keys, compact, only JSON's own types (no floats
    sneak in because every number tollway stores in a document is already a string or an int).

    >>> json_dumps({"b": "1.10", "a": [1, None]})
    '{"a":[1,null],"b":"1.10"}'
    """
    return _ENCODER.encode(document)


_ENCODER: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""What `json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` builds
on every call, built once (the encoder keeps no state between documents)."""


def json_loads(text: str | bytes) -> Any:
    """Read a stored JSON document; a number with a fraction becomes a Decimal, never a float.

    >>> json_loads('{"rate": 0.1}')
    {'rate': Decimal('0.1')}
    """
    return json.loads(text, parse_float=Decimal)
