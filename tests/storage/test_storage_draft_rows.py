"""A draft rendered to its rows (`render_draft`, pure: a drafting worker's part) then inserted
(`BillRepository.insert_draft`: the saving process's part) is stored row for row as `save_draft`
stores it, and inserting makes every check saving makes: the same draft again, another run's,
other content, a draft saved by an earlier version."""

import pickle
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from tollway.billing import AppliedBillingRate, ChargeType, CustomerBill
from tollway.money import Money
from tollway.pricing import BreakdownLine
from tollway.storage import BillConflictError, BillRepository, Database
from tollway.storage import _tables as tables
from tollway.storage._documents import draft_document_digest
from tollway.storage._draft_rows import DraftRows, render_draft

from .test_storage_bills import acme_bill, bills, line

_Saving = Callable[[BillRepository, CustomerBill], bool]
_TABLES = ("customer_bills", "applied_billing_rates", "tax_items")


def _saved(repository: BillRepository, draft: CustomerBill) -> bool:
    return repository.save_draft(draft, invoice_series="JP")


def _rendered_then_inserted(repository: BillRepository, draft: CustomerBill) -> bool:
    dialect = repository.session.get_bind().dialect
    rows = render_draft(draft, invoice_series="JP", dialect=dialect)
    # As a drafting worker sends it.
    sent = pickle.loads(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
    return repository.insert_draft(sent)


def _stored_rows(database: Database, draft: CustomerBill, saving: _Saving) -> list[Any]:
    """Every row saving `draft` stores, as the driver reads it back (no type processing), in
    a transaction rolled back afterwards."""
    session = Session(database.engine)
    try:
        session.begin()
        assert saving(BillRepository(session), draft) is True
        found: list[Any] = []
        for table in _TABLES:
            key = "id" if table == "customer_bills" else "bill_id"
            order = "" if table == "customer_bills" else " ORDER BY position"
            statement = text(f"SELECT * FROM {table} WHERE {key} = :id{order}")
            found.append([tuple(row) for row in session.execute(statement, {"id": draft.id})])
        session.rollback()
    finally:
        session.close()
    return found


def _with_every_kind_of_line(draft: CustomerBill) -> CustomerBill:
    """Acme's bill with a line covering the same instants written in UTC+5, a tax-inclusive line
    with a unit price, and a usage line with a breakdown per call."""
    zoned = timezone(timedelta(hours=5))
    calls = tuple(
        BreakdownLine("call", f'call {number}: "60 s"', Decimal("60"), None, Decimal("0.10"))
        for number in range(3)
    )
    return replace(
        draft,
        lines=(
            *draft.lines,
            replace(
                line("L4", "0.30", charge_type=ChargeType.USAGE, breakdown=calls),
                period_start=draft.lines[0].period_start.astimezone(zoned),
                period_end=draft.lines[0].period_end.astimezone(zoned),
            ),
            replace(line("L5", "3.00"), tax_inclusive=True, unit_price=Decimal("1.50")),
        ),
    )


def test_render_then_insert_stores_what_save_draft_stores(database: Database) -> None:
    draft = _with_every_kind_of_line(acme_bill())

    rendered = _stored_rows(database, draft, _rendered_then_inserted)

    assert rendered == _stored_rows(database, draft, _saved)
    assert [len(rows) for rows in rendered] == [1, 5, 1]


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=40
)
@given(bills())
def test_any_drawn_bill_rendered_then_inserted_is_stored_as_saved(
    database: Database, draft: CustomerBill
) -> None:
    rendered = _stored_rows(database, draft, _rendered_then_inserted)

    assert rendered == _stored_rows(database, draft, _saved)


def test_rendered_rows_carry_no_bill_objects(database: Database) -> None:
    draft = _with_every_kind_of_line(acme_bill())
    rows = render_draft(draft, invoice_series="INV", dialect=database.engine.dialect)

    sent = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)

    # Only plain values cross from a worker: no class of tollway's is pickled but DraftRows.
    assert sent.count(b"tollway") == 1
    assert rows.id == draft.id and rows.billing_account_id == draft.billing_account_id
    if database.engine.dialect.name == "sqlite":
        # SQLite's line values are already bound as its driver takes them.
        values = {type(value) for row in rows.lines for value in row}
        assert values <= {str, int, type(None)}


def _insert(database: Database, rows: DraftRows) -> bool:
    with database.transaction() as session:
        return BillRepository(session).insert_draft(rows)


def _render(database: Database, draft: CustomerBill) -> DraftRows:
    return render_draft(draft, invoice_series="INV", dialect=database.engine.dialect)


def test_inserting_the_same_rows_again_changes_nothing(database: Database) -> None:
    draft = acme_bill()
    assert _insert(database, _render(database, draft)) is True

    assert _insert(database, _render(database, draft)) is False
    with database.transaction() as session:
        assert BillRepository(session).save_draft(draft, invoice_series="INV") is False
        assert BillRepository(session).get(draft.id) == draft


def _changed(draft: CustomerBill) -> CustomerBill:
    first: AppliedBillingRate = draft.lines[0]
    return replace(draft, lines=(replace(first, amount=Money.of("999.00", "USD")),))


def test_inserting_other_content_or_another_runs_draft_is_refused(database: Database) -> None:
    draft = acme_bill()
    assert _insert(database, _render(database, draft)) is True

    with pytest.raises(BillConflictError, match="different content"):
        _insert(database, _render(database, _changed(draft)))
    with pytest.raises(BillConflictError, match="already saved by bill run 'RUN-2026-04'"):
        _insert(database, _render(database, replace(draft, run_id="RUN-OTHER")))


def _saved_by_an_earlier_version(database: Database, draft: CustomerBill) -> None:
    with database.transaction() as session:
        BillRepository(session).save_draft(draft, invoice_series="INV")
        session.execute(
            update(tables.customer_bills)
            .where(tables.customer_bills.c.id == draft.id)
            .values(draft_digest=draft_document_digest(draft))
        )


def test_rows_of_a_draft_saved_with_the_earlier_digest_are_recognised(
    database: Database,
) -> None:
    draft = _with_every_kind_of_line(acme_bill())
    _saved_by_an_earlier_version(database, draft)

    assert _insert(database, _render(database, draft)) is False
    with pytest.raises(BillConflictError, match="different content"):
        _insert(database, _render(database, _changed(draft)))


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=25
)
@given(bills())
def test_any_drawn_draft_saved_with_the_earlier_digest_is_recognised_from_its_rows(
    database: Database, draft: CustomerBill
) -> None:
    with database.transaction() as session:
        BillRepository(session).delete_drafts("RUN-2026-04")
    _saved_by_an_earlier_version(database, draft)

    assert _insert(database, _render(database, draft)) is False
