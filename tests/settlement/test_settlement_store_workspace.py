"""Settlement in a workspace, end to end through issued bills: bill runs, settle, credit notes,
netting with imported charges and disputes, the settlement accounts.

The world is `tiny_world`: Fleet Co pays 1,000.00 a month for d2c-data and 200.00 for PRI voice;
Stratus pays 4,000.00 a month for a wavelength. Orbital gets 20 % of d2c-data revenue.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tollway.billing import credit_note_for
from tollway.periods import BillingPeriod, Cadence, period_containing
from tollway.settlement import (
    AccountingBasis,
    AdjustmentKind,
    MilestoneEvent,
    PeriodAlreadySettledError,
    SettlementInputError,
    SettlementOrderError,
    Side,
    render_statement_text,
)
from tollway.settlement._disputes import DisputedLine, raise_dispute, resolve_dispute
from tollway.settlement._workspace import (
    SettlementWorkspaceError,
    account_history,
    import_charges,
    load_agreements,
    net_period,
    record_milestone,
    settle_period,
)
from tollway.storage import BillRepository, Database, SettlementRepository, WorldRepository
from tollway.storage import _tables as tables

from .test_settlement_store_world import (
    AGREEMENTS_YAML,
    DATABASES,
    bill_month,
    fresh_database,
    line_of,
    tiny_world,
)

ACCRUAL = AccountingBasis.ACCRUAL


def month(number: int) -> BillingPeriod:
    return period_containing(
        datetime(2026, number, 1, tzinfo=UTC), cadence=Cadence.MONTHLY, time_zone=UTC
    )


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The tiny world billed for February and March 2026, with the agreements loaded."""
    for found in fresh_database(request.param, tmp_path):
        with found.transaction() as session:
            WorldRepository(session).save(tiny_world())
        bill_month(found, tmp_path / "usage", 2)
        bill_month(found, tmp_path / "usage", 3)
        agreements = tmp_path / "deals.yaml"
        agreements.write_text(AGREEMENTS_YAML, encoding="utf-8")
        loaded = load_agreements(found, agreements)
        assert (loaded.agreements, loaded.versions_added, loaded.models_added) == (2, 2, 1)
        yield found


def rows(database: Database, table: object) -> int:
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def settle_month(database: Database, number: int) -> object:
    return settle_period(
        database, agreement_id="AG-D2C", period=month(number), accounting_basis=ACCRUAL
    )


def test_a_period_shares_the_issued_lines_in_scope(database: Database) -> None:
    run = settle_period(database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL)

    statement = run.statement
    shares = statement.item("d2c-20").share_lines
    # INV-00000001 (Fleet, February): d2c-data 1,000.00 is shared at 20 % = 200.00; the voice
    # line and Stratus's wavelength are out of the model's scope and not even listed.
    assert [(line.bill_no, str(line.basis), str(line.share)) for line in shares] == [
        ("INV-00000001", "1000.00", "200.00")
    ]
    assert statement.excluded == ()
    assert str(statement.total_payable) == "200.00"
    assert run.stored_now is True


def test_re_running_a_settlement_changes_nothing(database: Database) -> None:
    first = settle_period(
        database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL
    )
    before = [
        rows(database, table) for table in (tables.settlement_statements, tables.settlement_entries)
    ]

    again = settle_period(
        database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL
    )

    assert again.stored_now is False
    assert again.statement == first.statement
    assert again.statement.digest == first.statement.digest
    after = [
        rows(database, table) for table in (tables.settlement_statements, tables.settlement_entries)
    ]
    assert after == before == [1, 1]
    assert [str(entry.balance) for entry in account_history(database, "SAT-ORBITAL")] == ["200.00"]


def test_a_different_result_for_a_settled_period_is_refused(database: Database) -> None:
    settle_period(database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL)

    with pytest.raises(PeriodAlreadySettledError):
        settle_period(
            database,
            agreement_id="AG-D2C",
            period=month(2),
            accounting_basis=AccountingBasis.CASH,
        )


def test_a_credit_note_after_settlement_is_clawed_back_next_period(database: Database) -> None:
    settle_period(database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL)
    with database.transaction() as session:
        bills = BillRepository(session)
        february = bills.by_number("INV-00000001")
        assert february is not None
        credited = line_of(february, "P-1")
        # Dated like `tollway credit-note` by default: the invoice's own date, in settled February.
        note = bills.issue_credit_note(
            credit_note_for(february, lines=[credited.id], reason="plan never delivered")
        )
    assert note.bill_no == "CN-00000001" and note.bill_date == date(2026, 2, 1)

    march = settle_period(
        database, agreement_id="AG-D2C", period=month(3), accounting_basis=ACCRUAL
    )

    item = march.statement.item("d2c-20")
    # March: INV-00000003's d2c-data 1,000.00 at 20 % = 200.00; the credit note takes back
    # February's 200.00 share of INV-00000001's line: payable 0.00.
    assert [(line.bill_no, str(line.share)) for line in item.share_lines] == [
        ("INV-00000003", "200.00")
    ]
    assert [
        (line.kind, line.bill_no, line.line_id, line.source, str(line.amount))
        for line in item.adjustments
    ] == [
        (
            AdjustmentKind.CREDIT_CLAWBACK,
            "INV-00000001",
            credited.id,
            f"CN-00000001/{credited.id}-cn",
            "-200.00",
        )
    ]
    assert str(march.statement.total_payable) == "0.00"
    assert "credit_clawback" in render_statement_text(march.statement)
    balances = [str(entry.balance) for entry in account_history(database, "SAT-ORBITAL")]
    assert balances == ["200.00", "200.00"]


def test_re_running_a_period_ignores_bills_issued_for_it_later(database: Database) -> None:
    settle_period(database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL)
    with database.transaction() as session:
        bills = BillRepository(session)
        february = bills.by_number("INV-00000001")
        assert february is not None
        bills.issue_credit_note(credit_note_for(february, reason="duplicate invoice"))

    again = settle_period(
        database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL
    )

    assert again.stored_now is False
    assert str(again.statement.total_payable) == "200.00"


def test_re_running_a_period_after_a_later_milestone_changes_nothing(
    database: Database,
) -> None:
    first = settle_period(
        database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL
    )
    # Recorded after February was settled, and occurring in March: nothing in February changes.
    record_milestone(
        database,
        MilestoneEvent(
            "AG-D2C",
            "one-million-d2c-subscribers",
            datetime(2026, 3, 11, tzinfo=UTC),
            datetime(2026, 3, 12, 9, 30, tzinfo=UTC),
        ),
    )

    again = settle_period(
        database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL
    )

    assert again.stored_now is False
    assert again.statement == first.statement
    assert again.statement.milestones == ()


def test_a_period_is_settled_only_after_the_one_before(database: Database) -> None:
    settle_month(database, 3)

    # February comes before the settled March: refused, nothing stored.
    with pytest.raises(SettlementOrderError) as raised:
        settle_month(database, 2)

    assert raised.value.message == (
        "agreement AG-D2C: the period from 2026-02-01T00:00:00+00:00 comes before the last "
        "settled one (to 2026-04-01T00:00:00+00:00): periods are settled in order"
    )
    assert rows(database, tables.settlement_statements) == 1


def test_the_milestone_stops_the_share_mid_period(database: Database) -> None:
    settle_period(database, agreement_id="AG-D2C", period=month(2), accounting_basis=ACCRUAL)
    record_milestone(
        database,
        MilestoneEvent(
            "AG-D2C",
            "one-million-d2c-subscribers",
            datetime(2026, 3, 11, tzinfo=UTC),
            datetime(2026, 3, 12, tzinfo=UTC),
        ),
    )

    march = settle_period(
        database, agreement_id="AG-D2C", period=month(3), accounting_basis=ACCRUAL
    )

    # 10 of March's 31 days come before the milestone: 1,000.00 x 10/31 = 322.58, 20 % = 64.52.
    shares = march.statement.item("d2c-20").share_lines
    assert [(str(line.basis), str(line.share)) for line in shares] == [("322.58", "64.52")]
    assert [str(line.amount) for line in march.statement.excluded] == ["677.42"]


def test_cash_basis_recognises_nothing_without_payments(database: Database) -> None:
    run = settle_period(
        database, agreement_id="AG-D2C", period=month(2), accounting_basis=AccountingBasis.CASH
    )

    assert run.statement.item("d2c-20").share_lines == ()
    assert str(run.statement.total_payable) == "0.00"


def test_an_unknown_agreement_is_a_plain_error(database: Database) -> None:
    with pytest.raises(SettlementWorkspaceError) as raised:
        settle_period(database, agreement_id="AG-NOPE", period=month(2), accounting_basis=ACCRUAL)

    assert raised.value.message == (
        "no partner agreement 'AG-NOPE' (stored: AG-D2C, AG-SWAP); load it with "
        "`tollway settlement load-agreements FILE`"
    )


def test_a_netting_agreement_is_not_settled(database: Database) -> None:
    with pytest.raises(SettlementWorkspaceError) as raised:
        settle_period(database, agreement_id="AG-SWAP", period=month(2), accounting_basis=ACCRUAL)

    assert "has no revenue-share model: it is netted" in raised.value.message


def import_cloud_charges(database: Database, folder: Path) -> None:
    path = folder / "stratus.csv"
    path.write_text(
        "partner_id,partner_invoice_id,line_id,description,category,amount,currency,charge_date\n"
        "CP-STRATUS,ST-02,C1,Compute,cloud_services,2600.00,USD,2026-02-01\n"
        "CP-STRATUS,ST-02,C2,Egress overage,cloud_services,300.00,USD,2026-02-01\n"
        "CP-STRATUS,ST-03,C1,Compute,cloud_services,2600.00,USD,2026-03-01\n",
        encoding="utf-8",
    )
    report = import_charges(database, path)
    assert (report.submitted, len(report.accepted), len(report.rejected)) == (3, 3, 0)


def test_netting_withholds_a_disputed_charge_until_resolved(
    database: Database, tmp_path: Path
) -> None:
    import_cloud_charges(database, tmp_path)
    overage = DisputedLine("CP-STRATUS", Side.PAYABLE, "ST-02", "C2")
    raise_dispute(database, "DSP-7", overage, amount=Decimal("300.00"), raised_on=date(2026, 2, 9))

    february = net_period(database, agreement_id="AG-SWAP", period=month(2)).statement
    resolve_dispute(
        database, "DSP-7", accepted=Decimal("100.00"), resolved_on=date(2026, 3, 4), note="meter"
    )
    march = net_period(database, agreement_id="AG-SWAP", period=month(3)).statement

    # February: we invoiced 4,000.00 (INV-00000002); Stratus 2,900.00, of which 300.00 disputed:
    # net = 4,000.00 - 2,900.00 - (0 - 300.00) = 1,400.00, paid by Stratus.
    assert (str(february.receivables), str(february.payables), str(february.withheld)) == (
        "4000.00",
        "2900.00",
        "-300.00",
    )
    assert (str(february.net), february.payer_id) == ("1400.00", "CP-STRATUS")
    # March: 4,000.00 - (2,600.00 + 100.00 released) = 1,300.00.
    assert (str(march.payables), str(march.net)) == ("2700.00", "1300.00")
    assert [entry.category for entry in february.lines if entry.side is Side.RECEIVABLE] == [
        "network_capacity"
    ]
    balances = [str(entry.balance) for entry in account_history(database, "CP-STRATUS")]
    assert balances == ["-1400.00", "-2700.00"]


def test_a_netted_period_never_changes(database: Database, tmp_path: Path) -> None:
    import_cloud_charges(database, tmp_path)
    net_period(database, agreement_id="AG-SWAP", period=month(2))
    overage = DisputedLine("CP-STRATUS", Side.PAYABLE, "ST-02", "C2")

    with pytest.raises(SettlementWorkspaceError) as raised:
        raise_dispute(
            database, "DSP-8", overage, amount=Decimal("300.00"), raised_on=date(2026, 3, 2)
        )
    assert raised.value.message == (
        "the disputed line (2026-02-01) falls in the period netted from 2026-02-01: a netted "
        "period never changes; date it in an open period"
    )

    again = net_period(database, agreement_id="AG-SWAP", period=month(2))
    assert again.stored_now is False
    assert rows(database, tables.settlement_entries) == 1


def test_netting_runs_period_after_period(database: Database, tmp_path: Path) -> None:
    import_cloud_charges(database, tmp_path)
    net_period(database, agreement_id="AG-SWAP", period=month(2))

    # April before March would leave March's entries to April as "late" and net them twice.
    with pytest.raises(SettlementOrderError) as skipped:
        net_period(database, agreement_id="AG-SWAP", period=month(4))
    # January, before the netted February, is refused as well.
    with pytest.raises(SettlementOrderError) as earlier:
        net_period(database, agreement_id="AG-SWAP", period=month(1))

    assert skipped.value.message == (
        "agreement AG-SWAP: net the period from 2026-03-01T00:00:00+00:00 before the one from "
        "2026-04-01T00:00:00+00:00"
    )
    assert earlier.value.message == (
        "agreement AG-SWAP: the period from 2026-01-01T00:00:00+00:00 comes before the last "
        "netted one (to 2026-03-01T00:00:00+00:00): periods are netted in order"
    )
    assert rows(database, tables.settlement_entries) == 1
    # In order, each entry is netted once: February 4,000.00 - (2,600.00 + 300.00) = 1,100.00,
    # then March 4,000.00 - 2,600.00 = 1,400.00. Re-running February is still allowed.
    march = net_period(database, agreement_id="AG-SWAP", period=month(3)).statement
    assert str(march.net) == "1400.00"
    assert net_period(database, agreement_id="AG-SWAP", period=month(2)).stored_now is False
    balances = [str(entry.balance) for entry in account_history(database, "CP-STRATUS")]
    assert balances == ["-1100.00", "-2500.00"]


def test_a_dispute_on_our_own_invoice_withholds_a_receivable(database: Database) -> None:
    with database.transaction() as session:
        stratus_february = BillRepository(session).by_number("INV-00000002")
    assert stratus_february is not None
    wavelength = DisputedLine(
        "CP-STRATUS", Side.RECEIVABLE, "INV-00000002", line_of(stratus_february, "P-3").id
    )
    raise_dispute(
        database, "DSP-9", wavelength, amount=Decimal("500.00"), raised_on=date(2026, 2, 5)
    )

    february = net_period(database, agreement_id="AG-SWAP", period=month(2)).statement

    # 4,000.00 - 0 - (500.00 withheld receivable) = 3,500.00.
    assert (str(february.withheld_receivable), str(february.net)) == ("500.00", "3500.00")


def test_a_dispute_larger_than_its_line_is_refused(database: Database, tmp_path: Path) -> None:
    import_cloud_charges(database, tmp_path)
    overage = DisputedLine("CP-STRATUS", Side.PAYABLE, "ST-02", "C2")

    with pytest.raises(SettlementInputError) as raised:
        raise_dispute(
            database, "DSP-1", overage, amount=Decimal("300.01"), raised_on=date(2026, 2, 9)
        )

    assert raised.value.message == (
        "partner charge ST-02/C2: dispute.amount: 300.01 is not a part of the line's 300.00"
    )
    with database.transaction() as session:
        assert SettlementRepository(session).disputes("CP-STRATUS") == ()
