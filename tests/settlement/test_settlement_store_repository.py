"""SettlementRepository: equal records back, history never rewritten, accounts that add up.

Runs on SQLite and, with a server, PostgreSQL."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tollway.money import currency
from tollway.settlement import (
    AgreementStatus,
    AgreementVersion,
    Dispute,
    DisputeResolution,
    HistoryIntegrityError,
    MilestoneEvent,
    PartnerCharge,
    PeriodAlreadySettledError,
    Side,
)
from tollway.settlement._ledger import Direction, DisputeRecord, StatementKind
from tollway.settlement.scenarios import (
    milestone_agreement,
    milestone_model,
    milestone_revenue_share,
    project_reciprocal,
    reciprocal_agreement,
    reciprocal_deal,
    settle_revenue_share,
)
from tollway.storage import Database, SettlementConflictError, SettlementRepository
from tollway.storage import _tables as tables

from .test_settlement_store_world import DATABASES, fresh_database

USD = currency("USD")
JUNE_MILESTONE = MilestoneEvent(
    "AG-D2C-2025",
    "one-million-d2c-subscribers",
    datetime(2025, 6, 15, tzinfo=UTC),
    datetime(2025, 6, 18, 9, 30, tzinfo=UTC),
)


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database holding the two scenario agreements and the milestone model."""
    for found in fresh_database(request.param, tmp_path):
        with found.transaction() as session:
            repository = SettlementRepository(session)
            repository.save_model(milestone_model())
            repository.save_agreement(milestone_agreement())
            repository.save_agreement(reciprocal_agreement())
        yield found


def count(database: Database, table: object) -> int:
    with database.transaction() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_agreements_and_models_read_back_equal(database: Database) -> None:
    with database.transaction() as session:
        repository = SettlementRepository(session)
        assert repository.agreement("AG-D2C-2025") == milestone_agreement()
        assert repository.agreement("AG-RECIPROCAL-2025") == reciprocal_agreement()
        assert repository.model("RS-D2C-20") == milestone_model()
        assert repository.agreement("AG-NONE") is None
        assert repository.agreement_ids() == ("AG-D2C-2025", "AG-RECIPROCAL-2025")
        assert repository.agreement_ids(partner_id="SAT-ORBITAL") == ("AG-D2C-2025",)


def test_saving_the_same_agreement_again_adds_nothing(database: Database) -> None:
    with database.transaction() as session:
        repository = SettlementRepository(session)
        assert repository.save_agreement(milestone_agreement()) == 0
        assert repository.save_model(milestone_model()) is False
    assert count(database, tables.partner_agreement_versions) == 2


def test_an_amendment_adds_a_version_and_keeps_the_first(database: Database) -> None:
    deal = milestone_agreement()
    amended = replace(
        deal,
        status=AgreementStatus.TERMINATED,
        versions=(
            *deal.versions,
            replace(deal.versions[0], version=2, valid_from=datetime(2026, 1, 1, tzinfo=UTC)),
        ),
    )
    with database.transaction() as session:
        assert SettlementRepository(session).save_agreement(amended) == 1

    with database.transaction() as session:
        read = SettlementRepository(session).agreement(deal.id)
    assert read == amended
    assert read is not None and [version.version for version in read.versions] == [1, 2]


def test_a_stored_version_is_never_rewritten(database: Database) -> None:
    deal = milestone_agreement()
    rewritten = replace(
        deal, versions=(replace(deal.versions[0], revenue_share_model_id="RS-OTHER"),)
    )

    with database.transaction() as session, pytest.raises(SettlementConflictError) as raised:
        SettlementRepository(session).save_agreement(rewritten)

    assert raised.value.message == (
        "agreement AG-D2C-2025 version 1 differs from the stored version: versions are history; "
        "amend the agreement with a new version"
    )


def test_a_dropped_version_is_refused(database: Database) -> None:
    deal = milestone_agreement()
    later = AgreementVersion(
        2, datetime(2026, 1, 1, tzinfo=UTC), revenue_share_model_id="RS-D2C-20"
    )
    with database.transaction() as session:
        SettlementRepository(session).save_agreement(
            replace(deal, versions=(*deal.versions, later))
        )

    with database.transaction() as session, pytest.raises(SettlementConflictError) as raised:
        SettlementRepository(session).save_agreement(deal)

    assert "version 2 is stored but not given" in raised.value.message


def test_a_stored_model_never_changes(database: Database) -> None:
    model = milestone_model()
    changed = replace(model, name="Twenty-five percent")

    with database.transaction() as session, pytest.raises(SettlementConflictError):
        SettlementRepository(session).save_model(changed)


def test_milestones_are_recorded_once(database: Database) -> None:
    with database.transaction() as session:
        repository = SettlementRepository(session)
        assert repository.record_milestone(JUNE_MILESTONE) is True
        assert repository.record_milestone(JUNE_MILESTONE) is False
        assert repository.milestones("AG-D2C-2025") == (JUNE_MILESTONE,)

    later = replace(JUNE_MILESTONE, occurred_at=datetime(2025, 6, 16, tzinfo=UTC))
    with database.transaction() as session, pytest.raises(SettlementConflictError):
        SettlementRepository(session).record_milestone(later)


def test_charges_and_disputes_read_back_equal(database: Database) -> None:
    jpy = currency("JPY")
    charge = PartnerCharge(
        "ST-04", "C3", "Egress overage", "cloud_services", Decimal("180000.00"), USD,
        date(2025, 4, 1),
    )  # fmt: skip
    yen = PartnerCharge(
        "ST-JP", "C1", "Tokyo racks", "cloud_services", Decimal(1500), jpy, date(2025, 4, 2)
    )
    record = DisputeRecord(
        "DSP-1", "CP-STRATUS", Side.PAYABLE, "ST-04", "C3", Decimal("180000.00"), USD,
        date(2025, 4, 9),
    )  # fmt: skip
    resolution = DisputeResolution(date(2025, 6, 20), Decimal("60000.00"), "metering fault")
    with database.transaction() as session:
        repository = SettlementRepository(session)
        repository.add_charge("CP-STRATUS", charge, import_id="april.csv")
        repository.add_charge("CP-STRATUS", yen, import_id="april.csv")
        repository.save_dispute(record)
        assert repository.charge("CP-STRATUS", "ST-04", "C3") == charge
        repository.save_dispute(replace(record, resolution=resolution))

    with database.transaction() as session:
        repository = SettlementRepository(session)
        assert repository.dispute("DSP-1") == replace(record, resolution=resolution)
        assert repository.charges("CP-STRATUS") == (
            replace(
                charge, dispute=Dispute("DSP-1", Decimal("180000.00"), date(2025, 4, 9), resolution)
            ),
            yen,
        )
        with pytest.raises(SettlementConflictError) as raised:
            repository.save_dispute(
                replace(record, resolution=replace(resolution, accepted_amount=Decimal(0)))
            )
    assert raised.value.message == (
        "dispute DSP-1 was resolved on 2025-06-20 with 60000.00 accepted; a resolution is final"
    )


def test_statements_read_back_equal_in_period_order(database: Database) -> None:
    statements = settle_revenue_share(milestone_revenue_share())
    with database.transaction() as session:
        repository = SettlementRepository(session)
        for statement in reversed(statements):
            assert repository.save_statement(statement) is True

    with database.transaction() as session:
        assert SettlementRepository(session).statements("AG-D2C-2025") == statements


def test_storing_a_statement_again_changes_nothing(database: Database) -> None:
    january = settle_revenue_share(milestone_revenue_share())[0]
    with database.transaction() as session:
        SettlementRepository(session).save_statement(january)

    with database.transaction() as session:
        assert SettlementRepository(session).save_statement(january) is False
    assert count(database, tables.settlement_statements) == 1
    assert count(database, tables.settlement_entries) == 1


def test_another_statement_for_a_stored_period_is_refused(database: Database) -> None:
    january, february = settle_revenue_share(milestone_revenue_share())[:2]
    with database.transaction() as session:
        SettlementRepository(session).save_statement(january)
    other = replace(january, agreement_version=2, digest="")

    with database.transaction() as session, pytest.raises(PeriodAlreadySettledError):
        SettlementRepository(session).save_statement(other)
    assert february.digest != january.digest


def test_a_statement_altered_in_the_database_is_caught_on_reading(database: Database) -> None:
    january = settle_revenue_share(milestone_revenue_share())[0]
    with database.transaction() as session:
        SettlementRepository(session).save_statement(january)
    document = dict(january_document(database))
    document["basis_label"] = "gross"
    with database.transaction() as session:
        session.execute(update(tables.settlement_statements).values(document=document))

    with database.transaction() as session, pytest.raises(HistoryIntegrityError):
        SettlementRepository(session).statements("AG-D2C-2025")


def january_document(database: Database) -> dict[str, object]:
    with database.transaction() as session:
        found = session.execute(select(tables.settlement_statements.c.document)).scalar_one()
    assert isinstance(found, dict)
    return found


def test_netting_statements_post_the_net_owed_by_the_partner(database: Database) -> None:
    april, may = project_reciprocal(reciprocal_deal()).statements[3:5]
    with database.transaction() as session:
        repository = SettlementRepository(session)
        repository.save_netting(april)
        repository.save_netting(may)

    with database.transaction() as session:
        repository = SettlementRepository(session)
        assert repository.netting_statements("AG-RECIPROCAL-2025") == (april, may)
        entries = repository.account_entries("CP-STRATUS")
        assert repository.netted_periods("CP-STRATUS") == (
            (datetime(2025, 4, 1, tzinfo=UTC), datetime(2025, 5, 1, tzinfo=UTC)),
            (datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)),
        )
    # April and May each net 1,400,000.00, paid by Stratus: -1,400,000.00 twice.
    assert [(entry.posting.amount, entry.balance) for entry in entries] == [
        (Decimal("-1400000.00"), Decimal("-1400000.00")),
        (Decimal("-1400000.00"), Decimal("-2800000.00")),
    ]
    assert entries[0].posting.kind is StatementKind.NETTING
    assert entries[0].posting.statement_number == "NET-AG-RECIPROCAL-2025-20250401"
    assert entries[1].balance_direction is Direction.PARTNER_PAYS_OPERATOR


def test_the_account_balance_runs_over_the_statements(database: Database) -> None:
    statements = settle_revenue_share(milestone_revenue_share())
    with database.transaction() as session:
        repository = SettlementRepository(session)
        for statement in statements:
            repository.save_statement(statement)

    with database.transaction() as session:
        entries = SettlementRepository(session).account_entries("SAT-ORBITAL")
    # 5 x 186,000.00, then June's 86,800.00, then nothing: 1,016,800.00 owed to Orbital.
    assert [str(entry.balance) for entry in entries] == [
        "186000.00", "372000.00", "558000.00", "744000.00", "930000.00", "1016800.00",
        "1016800.00", "1016800.00",
    ]  # fmt: skip
    assert {entry.account_id for entry in entries} == {"SA-SAT-ORBITAL-USD"}
    assert entries[-1].direction is Direction.NONE
    assert entries[0].posting.statement_digest == statements[0].digest
