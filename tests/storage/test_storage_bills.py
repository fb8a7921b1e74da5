"""Bills: drafts saved once, numbers gapless per series, voids, credit notes, listing."""

import itertools
import threading
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillCategory,
    BillState,
    ChargeType,
    CustomerBill,
    TaxItem,
)
from tollway.money import Money, currency
from tollway.pricing import BreakdownLine
from tollway.storage import (
    BillConflictError,
    BillNotFoundError,
    BillQuery,
    BillRepository,
    BillStateError,
    Database,
    OverCreditError,
    StorageError,
    bills_json,
)
from tollway.storage import _tables as tables

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def line(
    line_id: str,
    amount: str,
    *,
    code: str = "USD",
    account: str = "ACME-HQ",
    charge_type: ChargeType = ChargeType.RECURRING,
    quantity: str = "1",
    precise: str | None = None,
    taxes: tuple[AppliedTax, ...] = (),
    breakdown: tuple[BreakdownLine, ...] = (),
) -> AppliedBillingRate:
    return AppliedBillingRate(
        id=line_id,
        billing_account_id=account,
        charge_type=charge_type,
        name=f"charge {line_id}",
        period_start=MARCH,
        period_end=APRIL,
        quantity=Decimal(quantity),
        amount=Money.of(amount, code),
        precise_amount=Decimal(precise or amount),
        breakdown=breakdown,
        taxes=taxes,
    )


def bill(
    bill_id: str,
    *lines: AppliedBillingRate,
    account: str = "ACME-HQ",
    code: str = "USD",
    run_id: str | None = "RUN-2026-04",
    tax_items: tuple[TaxItem, ...] = (),
) -> CustomerBill:
    return CustomerBill(
        id=bill_id,
        billing_account_id=account,
        currency=currency(code),
        billing_period_start=MARCH,
        billing_period_end=APRIL,
        bill_date=date(2026, 4, 1),
        lines=lines,
        tax_items=tax_items,
        run_id=run_id,
    )


def acme_bill() -> CustomerBill:
    """Acme's March bill: a port MRC with 6 % tax, a usage line with its tier breakdown, a credit.

    Tax: 412.50 × 6 % = 24.75. Usage: 100 GB × 0.10 + 20.5 GB × 0.08 = 10 + 1.64 = 11.64.
    Total excluding tax: 412.50 + 11.64 − 125.50 = 298.64; with tax 323.39.
    """
    tax = AppliedTax(
        "sales", "US-PA", Decimal("0.06"), Money.of("412.50", "USD"), Money.of("24.75", "USD")
    )
    tiers = (
        BreakdownLine("tier", "first 100 GB", Decimal("100"), Decimal("0.10"), Decimal("10.00"), 0),
        BreakdownLine("tier", "over 100 GB", Decimal("20.5"), Decimal("0.08"), Decimal("1.640"), 1),
    )
    return bill(
        "B-ACME-2026-04",
        line("L1", "412.50", taxes=(tax,)),
        line(
            "L2",
            "11.64",
            charge_type=ChargeType.USAGE,
            quantity="120.5",
            precise="11.640",
            breakdown=tiers,
        ),
        line("L3", "-125.50", account="ACME-NYC", charge_type=ChargeType.CREDIT),
        tax_items=(TaxItem("sales", Decimal("0.06"), Money.of("24.75", "USD")),),
    )


def _save(database: Database, *bills: CustomerBill, series: str = "INV") -> list[bool]:
    with database.transaction() as session:
        repository = BillRepository(session)
        return [repository.save_draft(found, invoice_series=series) for found in bills]


def _issue(database: Database, *bill_ids: str) -> list[str]:
    with database.transaction() as session:
        return [issued.bill_no for issued in BillRepository(session).issue(bill_ids)]


def _get(database: Database, bill_id: str) -> CustomerBill:
    with database.transaction() as session:
        found = BillRepository(session).get(bill_id)
    assert found is not None
    return found


def _count(database: Database, table: object) -> int:
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


# --- drafts -------------------------------------------------------------------------------------


def test_a_saved_draft_loads_back_equal(database: Database) -> None:
    draft = acme_bill()
    _save(database, draft)

    loaded = _get(database, draft.id)

    assert loaded == draft
    assert loaded.tax_excluded_amount == Money.of("298.64", "USD")
    assert loaded.amount_due == Money.of("323.39", "USD")
    assert loaded.lines[1].breakdown[1].amount == Decimal("1.640")


def test_jpy_and_bhd_bills_keep_their_minor_units(database: Database) -> None:
    # JPY has no decimals: ¥15,000 is 15000 minor units. BHD has three: 12.345 BHD is 12345.
    yen = bill(
        "B-JPY", line("L1", "15000", code="JPY", account="NIPPON"), account="NIPPON", code="JPY"
    )
    dinar = bill(
        "B-BHD", line("L1", "12.345", code="BHD", account="GULF"), account="GULF", code="BHD"
    )
    _save(database, yen, dinar)

    with database.transaction() as session:
        rows = session.execute(
            select(tables.customer_bills.c.id, tables.customer_bills.c.tax_included_amount_minor)
        )
        stored = {bill_id: amount_minor for bill_id, amount_minor in rows}

    assert stored == {"B-JPY": 15000, "B-BHD": 12345}
    assert _get(database, "B-JPY") == yen
    assert _get(database, "B-BHD").amount_due == Money.of("12.345", "BHD")


def test_saving_the_same_draft_twice_changes_nothing(database: Database) -> None:
    assert _save(database, acme_bill()) == [True]
    assert _save(database, acme_bill()) == [False]

    assert _count(database, tables.customer_bills) == 1
    assert _count(database, tables.applied_billing_rates) == 3
    assert _count(database, tables.tax_items) == 1


def test_saving_other_content_under_a_saved_id_is_refused(database: Database) -> None:
    _save(database, acme_bill())
    changed = replace(acme_bill(), lines=acme_bill().lines[:2], tax_items=())

    with pytest.raises(BillConflictError, match="B-ACME-2026-04"):
        _save(database, changed)


def test_a_bill_saved_again_after_it_was_issued_changes_nothing(database: Database) -> None:
    _save(database, acme_bill())
    _issue(database, "B-ACME-2026-04")

    assert _save(database, acme_bill()) == [False]
    assert _get(database, "B-ACME-2026-04").bill_no == "INV-00000001"


def test_a_bill_with_no_lines_is_a_zero_bill(database: Database) -> None:
    empty = bill("B-EMPTY")
    _save(database, empty)

    assert _get(database, "B-EMPTY") == empty
    assert _get(database, "B-EMPTY").amount_due == Money.of("0", "USD")


# --- numbering ----------------------------------------------------------------------------------


def test_issuing_numbers_drafts_in_the_order_given(database: Database) -> None:
    _save(database, bill("B-A"), bill("B-B"), bill("B-C"))

    assert _issue(database, "B-C", "B-A", "B-B") == ["INV-00000001", "INV-00000002", "INV-00000003"]
    assert _get(database, "B-C").bill_no == "INV-00000001"
    assert _get(database, "B-C").state is BillState.ISSUED


def test_each_series_counts_on_its_own(database: Database) -> None:
    _save(database, bill("B-A"), bill("B-B"))
    _save(database, bill("B-J", account="NIPPON"), series="JP")

    assert _issue(database, "B-A", "B-J", "B-B") == ["INV-00000001", "JP-00000001", "INV-00000002"]
    with database.transaction() as session:
        repository = BillRepository(session)
        assert (repository.next_number("INV"), repository.next_number("JP")) == (3, 2)
        assert repository.next_number("NEVER-USED") == 1


def test_issuing_again_changes_nothing(database: Database) -> None:
    _save(database, bill("B-A"), bill("B-B"))
    _issue(database, "B-A", "B-B")

    assert _issue(database, "B-B", "B-A") == []
    assert _get(database, "B-A").bill_no == "INV-00000001"
    _save(database, bill("B-C"))
    assert _issue(database, "B-C") == ["INV-00000003"]


def test_a_transaction_that_fails_uses_no_number(database: Database) -> None:
    _save(database, bill("B-A"), bill("B-B"))

    def issue_then_crash() -> None:
        with database.transaction() as session:
            issued = BillRepository(session).issue(["B-A"])
            assert [found.bill_no for found in issued] == ["INV-00000001"]
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError, match="crash"):
        issue_then_crash()

    assert _get(database, "B-A").state is BillState.DRAFT
    assert _issue(database, "B-B", "B-A") == ["INV-00000001", "INV-00000002"]


def test_issuing_an_unknown_bill_is_an_error(database: Database) -> None:
    with pytest.raises(BillNotFoundError, match="'B-NOPE'"):
        _issue(database, "B-NOPE")


def test_issue_drafts_numbers_them_in_account_order(database: Database) -> None:
    _save(
        database,
        bill("B-3", account="ZETA"),
        bill("B-1", account="ALPHA"),
        bill("B-2", account="MIKE", run_id="OTHER-RUN"),
    )

    with database.transaction() as session:
        issued = BillRepository(session).issue_drafts(BillQuery(run_id="RUN-2026-04"))

    assert [(found.bill_id, found.bill_no) for found in issued] == [
        ("B-1", "INV-00000001"),
        ("B-3", "INV-00000002"),
    ]
    assert _get(database, "B-2").state is BillState.DRAFT


def test_concurrent_issuers_never_skip_or_repeat_a_number(database_url: str) -> None:
    """Four workers, each with its own connection, issue 15 bills one transaction at a time."""
    setup = Database(database_url)
    setup.migrate()
    workers, bills_each = 4, 15
    _save(
        setup,
        *(
            bill(f"B-{worker}-{index:02d}")
            for worker in range(workers)
            for index in range(bills_each)
        ),
    )
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        database = Database(database_url)
        try:
            for index in range(bills_each):
                _issue(database, f"B-{worker}-{index:02d}")
        except BaseException as error:  # handed to the main thread, which fails the test
            failures.append(error)
        finally:
            database.dispose()

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with setup.transaction() as session:
        numbers = sorted(session.execute(select(tables.customer_bills.c.bill_number)).scalars())
    setup.dispose()

    assert failures == []
    assert numbers == list(range(1, workers * bills_each + 1))


# --- voids and credit notes ---------------------------------------------------------------------


def test_a_void_bill_keeps_its_number(database: Database) -> None:
    _save(database, bill("B-A"), bill("B-B"))
    _issue(database, "B-A")

    with database.transaction() as session:
        voided = BillRepository(session).void("B-A")

    assert (voided.state, voided.bill_no) == (BillState.VOID, "INV-00000001")
    assert _get(database, "B-A") == voided
    assert _issue(database, "B-B") == ["INV-00000002"]
    with database.transaction() as session:
        assert BillRepository(session).void("B-A") == voided


def test_a_draft_cannot_be_voided(database: Database) -> None:
    _save(database, bill("B-A"))

    with pytest.raises(BillStateError, match="'B-A' is a draft"), database.transaction() as session:
        BillRepository(session).void("B-A")
    with pytest.raises(BillNotFoundError), database.transaction() as session:
        BillRepository(session).void("B-NOPE")


def credit_note_for_acme(*, note_id: str = "CN-B-ACME-2026-04") -> CustomerBill:
    """Credits the port charge of INV-00000001 in full: −412.50 and its −24.75 tax."""
    tax = AppliedTax(
        "sales", "US-PA", Decimal("0.06"), Money.of("-412.50", "USD"), Money.of("-24.75", "USD")
    )
    credited = replace(line("CL1", "-412.50", taxes=(tax,)), related_bill_no="INV-00000001")
    return replace(
        bill(note_id, credited, run_id=None),
        category=BillCategory.CREDIT_NOTE,
        related_bill_no="INV-00000001",
    )


def test_a_credit_note_gets_its_own_number_in_the_cn_series(database: Database) -> None:
    _save(database, acme_bill())
    _issue(database, "B-ACME-2026-04")

    with database.transaction() as session:
        note = BillRepository(session).issue_credit_note(credit_note_for_acme())

    assert (note.state, note.bill_no, note.category) == (
        BillState.ISSUED,
        "CN-00000001",
        BillCategory.CREDIT_NOTE,
    )
    assert note.amount_due == Money.of("-437.25", "USD")
    assert note.related_bill_no == "INV-00000001"


def test_a_credit_note_can_share_the_invoice_series(database: Database) -> None:
    _save(database, acme_bill())
    _issue(database, "B-ACME-2026-04")

    with database.transaction() as session:
        note = BillRepository(session).issue_credit_note(
            credit_note_for_acme(), invoice_series="INV"
        )

    assert note.bill_no == "INV-00000002"


def test_issuing_a_credit_note_twice_changes_nothing(database: Database) -> None:
    _save(database, acme_bill())
    _issue(database, "B-ACME-2026-04")
    with database.transaction() as session:
        first = BillRepository(session).issue_credit_note(credit_note_for_acme())
    with database.transaction() as session:
        second = BillRepository(session).issue_credit_note(credit_note_for_acme())

    assert first == second
    assert _count(database, tables.customer_bills) == 2


def test_a_credit_note_must_name_an_existing_bill(database: Database) -> None:
    with pytest.raises(BillNotFoundError, match="INV-00000001"), database.transaction() as session:
        BillRepository(session).issue_credit_note(credit_note_for_acme())
    orphan = replace(credit_note_for_acme(), related_bill_no=None)
    with pytest.raises(StorageError, match="does not name"), database.transaction() as session:
        BillRepository(session).issue_credit_note(orphan)


# --- listing ------------------------------------------------------------------------------------


def test_find_filters_and_orders_numbered_bills_first(database: Database) -> None:
    _save(
        database,
        bill("B-1", account="BETA"),
        bill("B-2", account="ALPHA"),
        bill("B-3", account="ALPHA", run_id="RUN-2026-05"),
    )
    _issue(database, "B-1")

    with database.transaction() as session:
        repository = BillRepository(session)
        everything = [found.id for found in repository.find()]
        drafts = [found.id for found in repository.find(BillQuery(state=BillState.DRAFT))]
        of_alpha_in_april = [
            found.id
            for found in repository.find(
                BillQuery(billing_account_id="ALPHA", run_id="RUN-2026-04")
            )
        ]
        first_two = [found.id for found in repository.find(limit=2)]
        streamed = [found.id for found in repository.stream()]
        by_number = repository.by_number("INV-00000001")

    assert everything == ["B-1", "B-2", "B-3"]
    assert drafts == ["B-2", "B-3"]
    assert of_alpha_in_april == ["B-2"]
    assert first_two == ["B-1", "B-2"]
    assert streamed == everything
    assert by_number is not None and by_number.id == "B-1"


# --- properties ---------------------------------------------------------------------------------

_drawn_bill_numbers = itertools.count(1)
exact_quantities = st.decimals(
    min_value=0, max_value=10**20, places=9, allow_nan=False, allow_infinity=False
)


@st.composite
def bills(draw: st.DrawFn) -> CustomerBill:
    """A draft with 0-5 lines in USD, JPY or BHD: amounts in whole minor units, exact quantities."""
    code = draw(st.sampled_from(["USD", "JPY", "BHD"]))
    found = currency(code)
    lines = []
    for index in range(draw(st.integers(min_value=0, max_value=5))):
        amount = Money.from_minor(draw(st.integers(min_value=-(10**12), max_value=10**12)), found)
        lines.append(
            replace(
                line(f"L{index}", "0", code=code),
                quantity=draw(exact_quantities),
                amount=amount,
                precise_amount=amount.amount
                + draw(st.decimals(min_value=-1, max_value=1, places=9)),
                unit_price=draw(st.none() | exact_quantities),
            )
        )
    return bill("B-DRAWN", *lines, code=code)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(bills())
def test_any_bill_loads_back_equal_and_exports_the_same(
    database: Database, draft: CustomerBill
) -> None:
    # One database serves every example: each drawn bill gets an id of its own.
    draft = replace(draft, id=f"B-DRAWN-{next(_drawn_bill_numbers)}")
    _save(database, draft)

    loaded = _get(database, draft.id)

    assert loaded == draft
    assert bills_json([loaded]) == bills_json([draft])
    assert loaded.tax_excluded_amount == draft.tax_excluded_amount


def test_a_line_cannot_be_credited_twice_under_another_note(database: Database) -> None:
    # INV-00000001's port line charged 412.50; CN-1 reversed it, so a second note doing the same
    # (another id, e.g. a retyped reason) would return the money twice.
    _save(database, acme_bill())
    _issue(database, "B-ACME-2026-04")
    with database.transaction() as session:
        BillRepository(session).issue_credit_note(credit_note_for_acme())
    again = credit_note_for_acme(note_id="CN-AGAIN")
    with (
        pytest.raises(OverCreditError, match="would reverse it more than once"),
        database.transaction() as session,
    ):
        BillRepository(session).issue_credit_note(again)
    assert _count(database, tables.customer_bills) == 2


def test_a_credit_note_for_a_line_the_bill_lacks_is_refused(database: Database) -> None:
    _save(database, acme_bill())
    _issue(database, "B-ACME-2026-04")
    stranger = replace(
        line("CLX", "-5.00"), price_id="not-on-the-bill", related_bill_no="INV-00000001"
    )
    note = replace(credit_note_for_acme(), lines=(stranger,))
    with pytest.raises(OverCreditError, match="does not have"), database.transaction() as session:
        BillRepository(session).issue_credit_note(note)
