"""Exact columns: decimals and instants come back exactly as they went in, on every database."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, delete, insert, select, text

from tollway.storage import Database, ExactNumeric, UtcDateTime

scratch_metadata = MetaData()
exact_values = Table(
    "exact_values",
    scratch_metadata,
    Column("id", Integer, primary_key=True),
    Column("number", ExactNumeric),
    Column("instant", UtcDateTime),
)


@pytest.fixture
def scratch(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    scratch_metadata.create_all(database.engine)
    yield database
    database.dispose()


def _round_trip_number(database: Database, value: Decimal | None) -> Decimal | None:
    with database.transaction() as session:
        session.execute(delete(exact_values))
        session.execute(insert(exact_values), [{"id": 1, "number": value}])
    with database.transaction() as session:
        found: Decimal | None = session.execute(select(exact_values.c.number)).scalar_one()
        return found


@pytest.mark.parametrize(
    "written",
    [
        "0.000000001",
        "12345678901234567890.123456789",
        "-12345678901234567890.123456789",
        "99999999999999999999999999999.999999999",
        "1.50",
        "0",
        "100",
        "0.1",
    ],
)
def test_a_decimal_comes_back_exactly(scratch: Database, written: str) -> None:
    found = _round_trip_number(scratch, Decimal(written))

    assert isinstance(found, Decimal)
    assert str(found) == str(Decimal(written)) or found == Decimal(written)
    # Same value and same scale: 1.50 stays 1.50, not 1.5.
    assert found.as_tuple() == Decimal(written).as_tuple()


def test_exponent_notation_is_stored_in_plain_digits(scratch: Database) -> None:
    assert _round_trip_number(scratch, Decimal("1E-9")) == Decimal("0.000000001")
    assert _round_trip_number(scratch, Decimal("1.2E+3")) == Decimal("1200")


def test_negative_zero_is_stored_as_zero(scratch: Database) -> None:
    found = _round_trip_number(scratch, Decimal("-0.00"))

    assert found is not None and found == 0 and not found.is_signed()


def test_null_stays_null(scratch: Database) -> None:
    assert _round_trip_number(scratch, None) is None


def test_sqlite_keeps_decimals_as_text_never_as_real(tmp_path: object) -> None:
    database = Database(f"sqlite:///{tmp_path}/types.db")
    scratch_metadata.create_all(database.engine)
    with database.transaction() as session:
        session.execute(insert(exact_values), [{"id": 1, "number": Decimal("0.1")}])
        stored = session.execute(text("SELECT typeof(number), number FROM exact_values")).one()
    database.dispose()

    assert tuple(stored) == ("text", "0.1")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=9, min_value=-(10**28), max_value=10**28
    )
)
def test_any_decimal_of_38_digits_round_trips(scratch: Database, value: Decimal) -> None:
    found = _round_trip_number(scratch, value)

    assert found == value
    assert found is not None and found.as_tuple().exponent == value.as_tuple().exponent


def test_an_instant_comes_back_as_the_same_instant_in_utc(scratch: Database) -> None:
    new_york_midnight = datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=-5)))
    with scratch.transaction() as session:
        session.execute(insert(exact_values), [{"id": 1, "instant": new_york_midnight}])
    with scratch.transaction() as session:
        found = session.execute(select(exact_values.c.instant)).scalar_one()

    assert found == new_york_midnight
    assert found == datetime(2026, 3, 1, 5, tzinfo=UTC)
    assert found.utcoffset() == timedelta(0)


def test_instants_keep_their_microseconds_and_order(scratch: Database) -> None:
    instants = [
        datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1999, 12, 31, 19, tzinfo=timezone(timedelta(hours=-5))),
    ]
    with scratch.transaction() as session:
        session.execute(
            insert(exact_values),
            [{"id": index, "instant": instant} for index, instant in enumerate(instants)],
        )
    with scratch.transaction() as session:
        found = list(
            session.execute(
                select(exact_values.c.instant).order_by(exact_values.c.instant)
            ).scalars()
        )

    assert found == sorted(instants)


def test_a_naive_instant_is_refused(scratch: Database) -> None:
    with pytest.raises(Exception, match="no time zone"), scratch.transaction() as session:
        session.execute(insert(exact_values), [{"id": 1, "instant": datetime(2026, 3, 1)}])
