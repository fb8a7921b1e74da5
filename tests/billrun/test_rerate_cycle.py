"""Late usage and price corrections in the bill run: adjustment lines on the next bill, naming the
bill they correct; issued bills never change, and nothing is ever adjusted twice.

The operator is `rerate_world`'s: ACME (USD), KAISHA (JPY) and MANAMA (BHD), January billed on the
bills dated Feb 1 (INV-00000001, JP-00000001, BH-00000001), each usage just below its first tier's
bound of 100.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tollway.billing import BillState, ChargeType
from tollway.billrun import BillRunProgress, preview_rerate, run_cycle
from tollway.money import Money
from tollway.storage import BillRepository, Database, WorldRepository
from tollway.storage import _tables as tables
from tollway.usage import UsageStore

from .rerate_world import (
    JANUARY_USAGE,
    adjustments_of,
    bill_month,
    bill_of,
    export,
    load,
    make_world,
    usage_csv,
    without_prices,
)

JANUARY_COVERAGE = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
MARCH_WINDOW = {
    "period_start": datetime(2026, 3, 1, tzinfo=UTC),
    "period_end": datetime(2026, 3, 2, tzinfo=UTC),
}


@pytest.fixture
def store(tmp_path: Path) -> UsageStore:
    return UsageStore(tmp_path / "usage-store")


@pytest.fixture
def billed(database_url: str, store: UsageStore, tmp_path: Path) -> Iterator[Database]:
    """A database holding the operator, with January's usage billed on the bills dated Feb 1."""
    database = Database(database_url)
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(make_world())
    assert load(store, tmp_path, JANUARY_USAGE, load_id="2026-01").accepted == 5
    bill_month(database, store, 2)
    yield database
    database.dispose()


def _late(store: UsageStore, tmp_path: Path, *rows: str) -> None:
    """Records loaded after January was billed (a load of their own)."""
    report = load(store, tmp_path, usage_csv(*rows), load_id="late")
    assert (report.accepted, report.rejected) == (len(rows), 0)


def _adjustment_summary(
    database: Database, account_id: str, month: int
) -> list[tuple[object, ...]]:
    """The adjustment lines of the account's bill of that month: what a reader checks."""
    return [
        (
            line.billing_account_id,
            line.circuit_id,
            line.name,
            (line.period_start, line.period_end),
            line.quantity,
            line.amount,
            line.related_bill_no,
        )
        for line in adjustments_of(bill_of(database, account_id, month))
    ]


def test_the_january_bills_as_issued(billed: Database) -> None:
    january = {name: bill_of(billed, name, 2) for name in ("ACME", "KAISHA", "MANAMA")}
    usage = {
        name: [
            (line.quantity, line.amount)
            for line in bill.lines
            if line.charge_type is ChargeType.USAGE
        ]
        for name, bill in january.items()
    }
    assert {name: bill.bill_no for name, bill in january.items()} == {
        "ACME": "INV-00000001",
        "KAISHA": "JP-00000001",
        "MANAMA": "BH-00000001",
    }
    assert usage == {
        # 95 GB x 0.10 = 9.50
        "ACME": [(Decimal(95), Money.of("9.50", "USD"))],
        # 99.5 min x ¥3 = ¥298.5, rounded half up to ¥299
        "KAISHA": [(Decimal("99.5"), Money.of("299", "JPY"))],
        # 99.9 GB x 0.125 = 12.4875, rounded half up to 12.488 BHD
        "MANAMA": [(Decimal("99.9"), Money.of("12.488", "BHD"))],
    }


def test_a_late_record_is_adjusted_on_the_next_bill_at_its_tier_position(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    _late(store, tmp_path, "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB")
    february = usage_csv("a4,edge,CKT-ACME,data,2026-02-10T08:00:00+00:00,20,GB")
    load(store, tmp_path, february, load_id="2026-02")

    bill_month(billed, store, 3)

    march = bill_of(billed, "ACME", 3)
    lines = [
        (
            line.charge_type,
            line.period_start.date(),
            line.quantity,
            line.amount,
            line.related_bill_no,
        )
        for line in march.lines
    ]
    usd = "USD"
    assert lines == [
        # March in advance; February was billed in advance on Feb 1 and nothing changed.
        (
            ChargeType.RECURRING,
            datetime(2026, 3, 1).date(),
            Decimal(1),
            Money.of("100.00", usd),
            None,
        ),
        # February's 20 GB x 0.10 = 2.00.
        (ChargeType.USAGE, datetime(2026, 2, 1).date(), Decimal(20), Money.of("2.00", usd), None),
        # January is now 105 GB = 100 x 0.10 + 5 x 0.05 = 10.25; billed 9.50: +0.75. (The late
        # 10 GB alone at the first tier's price would have been 1.00.)
        (
            ChargeType.ADJUSTMENT,
            datetime(2026, 1, 1).date(),
            Decimal(10),
            Money.of("0.75", usd),
            "INV-00000001",
        ),
    ]
    adjustment = march.lines[2]
    assert (adjustment.period_start, adjustment.period_end) == JANUARY_COVERAGE
    assert (adjustment.name, adjustment.price_id, adjustment.circuit_id) == (
        "Adjustment: Data",
        "port-data-2026-01",
        "CKT-ACME",
    )
    assert [(step.kind, step.description) for step in adjustment.breakdown] == [
        ("adjusts_usage", "was 9.50, should be 10.25")
    ]
    assert str(march.amount_due) == "102.75 USD"


def test_late_records_in_yen_and_dinars_are_rounded_on_the_periods_whole_total(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    _late(
        store,
        tmp_path,
        "k3,switch,CKT-KAISHA,voice,2026-01-30T09:00:00+00:00,1,min",
        "m2,edge,CKT-MANAMA,data,2026-01-30T12:00:00+00:00,0.2,GB",
    )

    bill_month(billed, store, 3)

    assert _adjustment_summary(billed, "KAISHA", 3) == [
        # 100.5 min = 100 x ¥3 + 0.5 x ¥2 = ¥301; billed ¥299: +¥2. (Alone, the late minute
        # would be 0.5 x ¥3 + 0.5 x ¥2 = ¥2.5, rounded to ¥3.)
        (
            "KAISHA",
            "CKT-KAISHA",
            "Adjustment: Voice",
            JANUARY_COVERAGE,
            Decimal(1),
            Money.of("2", "JPY"),
            "JP-00000001",
        )
    ]
    assert _adjustment_summary(billed, "MANAMA", 3) == [
        # 100.1 GB = 100 x 0.125 + 0.1 x 0.075 = 12.5075 -> 12.508; billed 12.488: +0.020 BHD.
        (
            "MANAMA",
            "CKT-MANAMA",
            "Adjustment: Data",
            JANUARY_COVERAGE,
            Decimal("0.2"),
            Money.of("0.020", "BHD"),
            "BH-00000001",
        )
    ]
    assert adjustments_of(bill_of(billed, "ACME", 3)) == []


@pytest.mark.parametrize(
    ("late_gb", "amount", "precise"),
    [
        # 100 GB, exactly on the bound, all at the first tier: 10.00 - 9.50.
        ("5", "0.50", "0.50"),
        # 95.001 GB x 0.10 = 9.5001, still 9.50 rounded: the quantity is corrected, the amount not.
        ("0.001", "0.00", "0.0001"),
        # 200 GB = 10.00 + 100 x 0.05 = 15.00: +5.50.
        ("105", "5.50", "5.50"),
    ],
)
def test_late_records_on_a_bound_or_fractional(
    billed: Database, store: UsageStore, tmp_path: Path, late_gb: str, amount: str, precise: str
) -> None:
    _late(store, tmp_path, f"a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,{late_gb},GB")

    bill_month(billed, store, 3)

    (adjustment,) = adjustments_of(bill_of(billed, "ACME", 3))
    assert (adjustment.quantity, adjustment.amount, adjustment.precise_amount) == (
        Decimal(late_gb),
        Money.of(amount, "USD"),
        Decimal(precise),
    )


def test_usage_of_a_period_billed_without_any_is_charged_whole(
    database_url: str, store: UsageStore, tmp_path: Path
) -> None:
    database = Database(database_url)
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(make_world())
    bill_month(database, store, 2)
    assert [line.charge_type for line in bill_of(database, "ACME", 2).lines] == [
        ChargeType.RECURRING,
        ChargeType.RECURRING,
    ]
    _late(store, tmp_path, "a1,edge,CKT-ACME,data,2026-01-05T10:00:00+00:00,120,GB")

    bill_month(database, store, 3)

    # No January usage was billed; it is 100 x 0.10 + 20 x 0.05 = 11.00.
    assert [
        (line.quantity, line.amount) for line in adjustments_of(bill_of(database, "ACME", 3))
    ] == [(Decimal(120), Money.of("11.00", "USD"))]
    database.dispose()


def test_a_price_correction_gives_a_negative_adjustment_citing_the_january_bill(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    february = usage_csv("a4,edge,CKT-ACME,data,2026-02-10T08:00:00+00:00,20,GB")
    load(store, tmp_path, february, load_id="2026-02")
    # January's data price is corrected from 0.10 to 0.08 a GB and the world loaded again.
    with billed.transaction() as session:
        WorldRepository(session).save(make_world(january_first_tier="0.08"))

    bill_month(billed, store, 3)

    march = bill_of(billed, "ACME", 3)
    assert _adjustment_summary(billed, "ACME", 3) == [
        # 95 GB x 0.08 = 7.60; billed 95 GB x 0.10 = 9.50: -1.90, no quantity changed.
        (
            "ACME",
            "CKT-ACME",
            "Adjustment: Data",
            JANUARY_COVERAGE,
            Decimal(0),
            Money.of("-1.90", "USD"),
            "INV-00000001",
        )
    ]
    # February's data has its own price, which was not corrected: 20 GB x 0.10 = 2.00.
    # 100.00 + 2.00 - 1.90 = 100.10
    assert str(march.amount_due) == "100.10 USD"
    assert adjustments_of(bill_of(billed, "KAISHA", 3)) == []


def test_running_again_adds_nothing_and_later_cycles_do_not_adjust_twice(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    _late(store, tmp_path, "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB")
    with billed.transaction() as session:
        WorldRepository(session).save(make_world(january_first_tier="0.08"))
    bill_month(billed, store, 3)
    march = export(billed, 3)

    again = bill_month(billed, store, 3)
    bill_month(billed, store, 4)

    assert (again.drafted_now, again.issued_now) == (0, 0)
    assert export(billed, 3) == march
    # January was adjusted once, on the March bill: 105 GB = 100 x 0.08 + 5 x 0.05 = 8.25,
    # billed 9.50: -1.25. The April bill carries April in advance only.
    assert _adjustment_summary(billed, "ACME", 3) == [
        (
            "ACME",
            "CKT-ACME",
            "Adjustment: Data",
            JANUARY_COVERAGE,
            Decimal(10),
            Money.of("-1.25", "USD"),
            "INV-00000001",
        )
    ]
    april = bill_of(billed, "ACME", 4)
    assert [(line.charge_type, line.amount) for line in april.lines] == [
        (ChargeType.RECURRING, Money.of("100.00", "USD"))
    ]
    assert preview_rerate(billed, store, **MARCH_WINDOW).adjustments == {}


def test_a_second_late_record_is_adjusted_net_of_the_first_adjustment(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    _late(store, tmp_path, "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB")
    bill_month(billed, store, 3)
    later = usage_csv("a5,edge,CKT-ACME,data,2026-01-31T23:30:00+00:00,4,GB")
    assert load(store, tmp_path, later, load_id="later").accepted == 1

    bill_month(billed, store, 4)

    # 109 GB = 10.00 + 9 x 0.05 = 10.45; billed 9.50 + 0.75 = 10.25: +0.20.
    assert _adjustment_summary(billed, "ACME", 4) == [
        (
            "ACME",
            "CKT-ACME",
            "Adjustment: Data",
            JANUARY_COVERAGE,
            Decimal(4),
            Money.of("0.20", "USD"),
            "INV-00000001",
        )
    ]


def test_issued_bills_never_change(billed: Database, store: UsageStore, tmp_path: Path) -> None:
    january = export(billed, 2)
    _late(store, tmp_path, "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB")
    with billed.transaction() as session:
        WorldRepository(session).save(make_world(january_first_tier="0.08"))

    bill_month(billed, store, 3)
    bill_month(billed, store, 4)

    assert export(billed, 2) == january
    assert len(adjustments_of(bill_of(billed, "ACME", 3))) == 1


def test_a_usage_file_loaded_again_changes_nothing_on_any_bill(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    january = export(billed, 2)

    again = load(store, tmp_path, JANUARY_USAGE, load_id="2026-01-resent")
    same_load = load(store, tmp_path, JANUARY_USAGE, load_id="2026-01")
    bill_month(billed, store, 3)

    assert (again.accepted, again.rejected, again.rejected_by_reason) == (
        0,
        5,
        {"duplicate_record": 5},
    )
    assert same_load.accepted == 5  # the report of the load already committed: nothing new
    assert export(billed, 2) == january
    for name in ("ACME", "KAISHA", "MANAMA"):
        assert adjustments_of(bill_of(billed, name, 3)) == []


def test_the_preview_shows_what_the_run_will_carry_and_writes_nothing(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    _late(store, tmp_path, "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB")
    counted = (tables.customer_bills, tables.applied_billing_rates, tables.bill_runs)
    with billed.transaction() as session:
        rows = [
            session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in counted
        ]

    preview = preview_rerate(billed, store, **MARCH_WINDOW)

    with billed.transaction() as session:
        assert [
            session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in counted
        ] == rows
    # +0.75 for ACME's January (see the test of the late record).
    assert {
        payer: [str(line.amount) for line in lines] for payer, lines in preview.adjustments.items()
    } == {"ACME": ["0.75 USD"]}
    bill_month(billed, store, 3)
    carried = adjustments_of(bill_of(billed, "ACME", 3))
    assert [(line.amount, line.precise_amount, line.breakdown) for line in carried] == [
        (line.amount, line.precise_amount, line.breakdown) for line in preview.lines
    ]


def test_a_voided_bill_is_not_re_rated(billed: Database, store: UsageStore, tmp_path: Path) -> None:
    with billed.transaction() as session:
        BillRepository(session).void(bill_of(billed, "ACME", 2).id)
    _late(store, tmp_path, "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB")

    bill_month(billed, store, 3)

    assert bill_of(billed, "ACME", 2).state is BillState.VOID
    assert adjustments_of(bill_of(billed, "ACME", 3)) == []


def test_a_period_whose_records_cannot_be_rated_is_left_as_billed(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    _late(store, tmp_path, "k3,switch,CKT-KAISHA,voice,2026-01-30T09:00:00+00:00,1,min")
    with billed.transaction() as session:
        WorldRepository(session).save(without_prices(make_world(), "port-jpy"))

    summary = bill_month(billed, store, 3)

    # Without a voice price KAISHA's January cannot be re-rated: never credited back to zero.
    assert adjustments_of(bill_of(billed, "KAISHA", 3)) == []
    assert sorted((reject.record_id, reject.code) for reject in summary.rerating_rejects) == [
        ("switch:k1", "unknown_price"),
        ("switch:k2", "unknown_price"),
        ("switch:k3", "unknown_price"),
    ]


def test_late_usage_older_than_the_look_back_is_not_billed(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    for month in (3, 4, 5):
        bill_month(billed, store, month)
    _late(store, tmp_path, "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB")

    bill_month(billed, store, 6)

    # The June bill re-rates March, April and May; January is four periods back.
    assert adjustments_of(bill_of(billed, "ACME", 6)) == []


def test_the_last_period_in_the_look_back_is_re_rated(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    for month in (3, 4):
        bill_month(billed, store, month)
    _late(store, tmp_path, "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB")

    bill_month(billed, store, 5)

    # The May bill re-rates April, March and February's bills' periods: January is the third.
    assert [str(line.amount) for line in adjustments_of(bill_of(billed, "ACME", 5))] == ["0.75 USD"]


class _Crash(Exception):
    """Stands for a process dying right after a batch committed."""


def _crash_after(batches: int) -> Callable[[BillRunProgress], None]:
    seen: list[BillRunProgress] = []

    def on_batch(report: BillRunProgress) -> None:
        seen.append(report)
        if len(seen) == batches:
            raise _Crash(f"crashed after batch {batches}")

    return on_batch


def test_a_resumed_run_carries_the_same_adjustments_in_any_batches(
    billed: Database, store: UsageStore, tmp_path: Path
) -> None:
    late = (
        "a3,edge,CKT-ACME,data,2026-01-31T23:00:00+00:00,10,GB",
        "k3,switch,CKT-KAISHA,voice,2026-01-30T09:00:00+00:00,1,min",
        "m2,edge,CKT-MANAMA,data,2026-01-30T12:00:00+00:00,0.2,GB",
    )
    _late(store, tmp_path, *late)
    clean = Database(f"sqlite:///{tmp_path / 'clean.db'}")
    clean.migrate()
    with clean.transaction() as session:
        WorldRepository(session).save(make_world())
    clean_store = UsageStore(tmp_path / "clean-store")
    load(clean_store, tmp_path, JANUARY_USAGE, load_id="2026-01")
    bill_month(clean, clean_store, 2, batch_accounts_max=3)
    load(clean_store, tmp_path, usage_csv(*late), load_id="late-clean")
    bill_month(clean, clean_store, 3, batch_accounts_max=3)

    with pytest.raises(_Crash):
        _bill_march_crashing(billed, store, after_batches=2)
    resumed = bill_month(billed, store, 3, batch_accounts_max=1)

    assert (resumed.drafted_now, resumed.issued_now) == (1, 3)
    assert export(billed, 3) == export(clean, 3)
    carried = [
        str(line.amount)
        for name in ("ACME", "KAISHA", "MANAMA")
        for line in adjustments_of(bill_of(billed, name, 3))
    ]
    assert carried == ["0.75 USD", "2 JPY", "0.020 BHD"]
    clean.dispose()


def _bill_march_crashing(database: Database, store: UsageStore, *, after_batches: int) -> None:
    run_cycle(
        database,
        store,
        **MARCH_WINDOW,
        bill_date=date(2026, 3, 1),
        run_id="RUN-2026-03",
        batch_accounts_max=1,
        progress=_crash_after(after_batches),
    )


def test_a_branchs_late_usage_goes_on_its_payers_bill(
    database: Database, usage_store: UsageStore, tmp_path: Path, april_run: dict[str, Any]
) -> None:
    # The bill-run world of conftest.py: ALPHA pays for its branch ALPHA-BR.
    run_cycle(database, usage_store, **april_run)
    late = usage_csv("b2,edge,CKT-ALPHA-BR-1,data,2026-03-20T00:00:00+00:00,5,GB")
    assert load(usage_store, tmp_path, late, load_id="late-branch").accepted == 1

    bill_month(database, usage_store, 5)

    may = bill_of(database, "A-ALPHA", 5)
    # The branch's March 0.000000001 GB was billed 0.00 on ALPHA's April bill; March is now
    # 5.000000001 GB x 0.10 = 0.5000000001 -> 0.50: +0.50, exactly +0.5 before rounding.
    assert [
        (
            line.billing_account_id,
            line.quantity,
            line.amount,
            line.precise_amount,
            line.related_bill_no,
        )
        for line in adjustments_of(may)
    ] == [("A-ALPHA-BR", Decimal(5), Money.of("0.50", "USD"), Decimal("0.5"), "INV-00000001")]
