"""The fast paths of saving and reading bills give exactly what the general paths give: the rows
SQLite's driver receives equal those SQLAlchemy binds, a read of some charge types equals the full
read filtered, and breakdowns render the same whichever bill rendered a shape first."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, update

from tollway.billing import AppliedBillingRate, AppliedTax, ChargeType, CustomerBill, TaxTreatment
from tollway.money import Money, currency
from tollway.pricing import BreakdownLine
from tollway.storage import BillRepository, Database
from tollway.storage import _tables as tables
from tollway.storage._bill_rows import line_row
from tollway.storage._documents import (
    RenderedDraft,
    _line_fields_json,
    breakdown_document,
    breakdown_from_document,
    taxes_document,
    taxes_json,
)
from tollway.storage._types import json_dumps

from .test_storage_bills import _get, acme_bill, bill, bills, line

PLUS_FIVE = timezone(timedelta(hours=5))


def _raw_lines(database: Database, bill_id: str) -> list[tuple[Any, ...]]:
    """The stored line rows as SQLite holds them (no result processing)."""
    with database.transaction() as session:
        rows = session.connection().exec_driver_sql(
            "SELECT * FROM applied_billing_rates WHERE bill_id = ? ORDER BY position", (bill_id,)
        )
        return [tuple(row) for row in rows]


def _stored_through_sqlalchemy(database: Database, draft: CustomerBill) -> list[tuple[Any, ...]]:
    """The draft's lines written with SQLAlchemy's own INSERT (every value bound by its column
    type), under another bill id, read back raw with the bill id put back."""
    other = f"{draft.id}-general"
    with database.transaction() as session:
        BillRepository(session).save_draft(replace(draft, id=other), invoice_series="INV")
        session.execute(
            tables.applied_billing_rates.delete().where(
                tables.applied_billing_rates.c.bill_id == other
            )
        )
        if draft.lines:
            session.execute(
                insert(tables.applied_billing_rates),
                [line_row(other, position, found) for position, found in enumerate(draft.lines)],
            )
    return [(draft.id, *row[1:]) for row in _raw_lines(database, other)]


def _zoned(found: AppliedBillingRate) -> AppliedBillingRate:
    """The line with its coverage written in UTC+5: the same instants."""
    return replace(
        found,
        period_start=found.period_start.astimezone(PLUS_FIVE),
        period_end=found.period_end.astimezone(PLUS_FIVE),
    )


def test_sqlite_lines_are_stored_as_sqlalchemy_binds_them(database: Database) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the driver-level INSERT is SQLite's; PostgreSQL binds through SQLAlchemy")
    draft = acme_bill()
    # The same instants written in two zones share one cached text; a tax-inclusive line too.
    draft = replace(
        draft,
        lines=(
            draft.lines[0],
            _zoned(draft.lines[1]),
            replace(draft.lines[2], tax_inclusive=True, unit_price=Decimal("1.50")),
        ),
    )
    with database.transaction() as session:
        assert BillRepository(session).save_draft(draft, invoice_series="INV")

    assert _raw_lines(database, draft.id) == _stored_through_sqlalchemy(database, draft)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=40
)
@given(bills())
def test_any_drawn_bill_is_stored_as_sqlalchemy_binds_it(
    database: Database, draft: CustomerBill
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the driver-level INSERT is SQLite's")
    draft = replace(draft, id=f"B-RAW-{id(draft)}-{len(draft.lines)}")
    with database.transaction() as session:
        session.execute(
            tables.applied_billing_rates.delete().where(
                tables.applied_billing_rates.c.bill_id.like(f"{draft.id}%")
            )
        )
        session.execute(
            tables.customer_bills.delete().where(tables.customer_bills.c.id.like(f"{draft.id}%"))
        )
        BillRepository(session).save_draft(draft, invoice_series="INV")

    assert _raw_lines(database, draft.id) == _stored_through_sqlalchemy(database, draft)


def _issued_acme(database: Database) -> None:
    with database.transaction() as session:
        repository = BillRepository(session)
        repository.save_draft(acme_bill(), invoice_series="INV")
        repository.issue([acme_bill().id])


MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 1, tzinfo=UTC)


def test_reading_some_charge_types_equals_the_full_read_filtered(database: Database) -> None:
    _issued_acme(database)
    with database.transaction() as session:
        repository = BillRepository(session)
        every = repository.issued_lines(["ACME-HQ"], period_start=MARCH, period_end=APRIL)
        recurring = repository.issued_lines(
            ["ACME-HQ"], period_start=MARCH, period_end=APRIL, charge_types=[ChargeType.RECURRING]
        )
        usage_and_credits = repository.issued_lines(
            ["ACME-HQ"],
            period_start=MARCH,
            period_end=APRIL,
            charge_types=[ChargeType.CREDIT, ChargeType.USAGE],
        )

    assert [found.id for found in every] == ["L1", "L2", "L3"]
    assert recurring == tuple(found for found in every if found.charge_type is ChargeType.RECURRING)
    assert usage_and_credits == (every[1], every[2])


def test_a_partial_read_still_checks_the_bill_total(database: Database) -> None:
    _issued_acme(database)
    with database.transaction() as session:
        session.execute(
            update(tables.customer_bills)
            .where(tables.customer_bills.c.id == acme_bill().id)
            .values(tax_excluded_amount_minor=1)
        )
    with database.transaction() as session, pytest.raises(AssertionError, match="lines"):
        BillRepository(session).issued_lines(
            ["ACME-HQ"], period_start=MARCH, period_end=APRIL, charge_types=[ChargeType.RECURRING]
        )


def test_breakdowns_render_alike_whichever_bill_rendered_a_shape_first() -> None:
    shared = BreakdownLine("increment", "r1: 60 s", Decimal("60"), None, Decimal("0.10"))
    first = bill("B1", line("L1", "0.10", breakdown=(shared,)))
    # Equal values written otherwise (60.0, 0.100) are another shape, not the first one's.
    other = BreakdownLine("increment", "r2: 60 s", Decimal("60.0"), None, Decimal("0.100"))
    second = bill("B2", line("L1", "0.10", breakdown=(shared, other)))

    rendered = [RenderedDraft.of(found) for found in (first, second, first)]

    for draft, found in zip((first, second, first), rendered, strict=True):
        expected = tuple(json_dumps(breakdown_document(each.breakdown)) for each in draft.lines)
        assert found.breakdowns == expected
    assert '"quantity":"60.0"' in rendered[1].breakdowns[0]


def test_breakdown_numbers_read_back_as_written() -> None:
    lines = (
        BreakdownLine("tier", "first", Decimal("100"), Decimal("0.10"), Decimal("10.00"), 0),
        BreakdownLine("tier", "again", Decimal("100.0"), Decimal("0.10"), Decimal("10.0"), 1),
    )

    read = breakdown_from_document(breakdown_document(lines))

    assert read == lines
    assert [str(found.quantity) for found in read] == ["100", "100.0"]
    assert [str(found.amount) for found in read] == ["10.00", "10.0"]
    assert read[0].unit_price is read[1].unit_price  # one Decimal per distinct text


def _across_the_fold() -> CustomerBill:
    """Two lines starting at 01:30 New York time on 2026-11-01, once before the clocks go back
    (05:30 UTC) and once after (06:30 UTC): equal as datetimes of one zone, two instants."""
    new_york = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 1, 30, tzinfo=new_york)
    second = first.replace(fold=1)
    assert first == second and first.astimezone(UTC) != second.astimezone(UTC)
    return bill(
        "B-FOLD",
        replace(line("L1", "1.00"), period_start=first, period_end=DECEMBER),
        replace(line("L2", "2.00"), period_start=second, period_end=DECEMBER),
    )


def test_instants_across_a_dst_fold_are_stored_and_digested_apart(database: Database) -> None:
    draft = _across_the_fold()
    with database.transaction() as session:
        BillRepository(session).save_draft(draft, invoice_series="INV")

    loaded = _get(database, draft.id)

    assert [found.period_start.isoformat() for found in loaded.lines] == [
        "2026-11-01T05:30:00+00:00",
        "2026-11-01T06:30:00+00:00",
    ]
    if database.engine.dialect.name == "sqlite":
        assert _raw_lines(database, draft.id) == _stored_through_sqlalchemy(database, draft)
    instants: dict[tuple[datetime, int], str] = {}
    assert [_line_fields_json(found, instants) for found in draft.lines] == [
        _line_fields_json(found, {}) for found in draft.lines
    ]


texts = st.text(max_size=12)
numbers = st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False)


@st.composite
def applied_taxes(draw: st.DrawFn) -> AppliedTax:
    code = draw(st.sampled_from(["USD", "JPY", "BHD"]))
    return AppliedTax(
        tax_category=draw(texts),
        jurisdiction_id=draw(texts),
        tax_rate=draw(numbers),
        taxable_amount=Money(draw(numbers), currency(code)),
        tax_amount=Money.from_minor(draw(st.integers(-(10**9), 10**9)), code),
        jurisdiction_level=draw(texts),
        name=draw(texts),
        rule_id=draw(st.none() | texts),
        treatment=draw(st.sampled_from(TaxTreatment)),
        calculation=draw(texts),
        units=draw(st.none() | numbers),
        exemption_certificate_id=draw(st.none() | texts),
    )


@given(st.lists(applied_taxes(), max_size=3))
def test_taxes_are_written_as_json_dumps_writes_their_document(taxes: list[AppliedTax]) -> None:
    assert taxes_json(tuple(taxes)) == json_dumps(taxes_document(tuple(taxes)))
