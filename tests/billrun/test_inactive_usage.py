"""Usage where its circuit is not active is rejected as `circuit_not_active`, never billed.

The operator is `rerate_world`'s (ACME in USD, KAISHA in JPY, MANAMA in BHD, all billed on the 1st
in UTC), with January lifecycles that leave each circuit inactive for a while:

- ACME's port is disconnected on 2026-01-20 (nothing is active from that instant on), and ACME has
  a second circuit, CKT-ACME-2, that was ordered but never activated;
- KAISHA's port is ordered on 2026-01-02 and only activated on 2026-01-10;
- MANAMA's port is suspended on 2026-01-10 and resumed on 2026-01-15.

The run of 2026-02-01 rates January. Both raters of the bill run are checked, and checked equal.
"""

import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tollway.billing import BillingInputs, ChargeType
from tollway.billrun import UsageRater, rate_with_duckdb_engine, rate_with_reference
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import Money
from tollway.rating.reference import RatingOutcome
from tollway.storage import Database, WorldRepository
from tollway.usage import UsageStore

from .rerate_world import bill_month, bill_of, load, make_world, usage_csv

FEBRUARY_RUN: Final = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC))
RATERS: Final = pytest.mark.parametrize(
    "rater", [rate_with_reference, rate_with_duckdb_engine], ids=["reference", "duckdb"]
)
JANUARY_USAGE: Final = usage_csv(
    "a1,edge,CKT-ACME,data,2026-01-05T10:00:00+00:00,60,GB",
    "a2,edge,CKT-ACME,data,2026-01-19T23:59:59+00:00,10.5,GB",
    "a3,edge,CKT-ACME,data,2026-01-20T00:00:00+00:00,5,GB",
    "a4,edge,CKT-ACME,data,2026-01-25T08:00:00+00:00,0,GB",
    "n1,edge,CKT-ACME-2,data,2026-01-06T00:00:00+00:00,3,GB",
    "k1,switch,CKT-KAISHA,voice,2026-01-06T09:00:00+00:00,60,min",
    "k2,switch,CKT-KAISHA,voice,2026-01-10T00:00:00+00:00,40,min",
    "m1,edge,CKT-MANAMA,data,2026-01-08T12:00:00+00:00,99.9,GB",
    "m2,edge,CKT-MANAMA,data,2026-01-12T12:00:00+00:00,50,GB",
    "m3,edge,CKT-MANAMA,data,2026-01-15T00:00:00+00:00,0.1,GB",
    "m4,edge,CKT-MANAMA,data,2026-01-31T23:00:00+00:00,1,GB",
)


def _day(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


def _events(*events: tuple[int, LifecycleAction]) -> tuple[LifecycleEvent, ...]:
    return tuple(LifecycleEvent(_day(day), action) for day, action in events)


def interrupted_world() -> BillingInputs:
    world = make_world()
    products = dict(world.products)
    products["P-ACME"] = replace(
        products["P-ACME"],
        events=_events((1, LifecycleAction.ACTIVATE), (20, LifecycleAction.DISCONNECT)),
    )
    products["P-ACME-2"] = _never_activated(world)
    products["P-KAISHA"] = replace(
        products["P-KAISHA"],
        events=_events((2, LifecycleAction.ORDER), (10, LifecycleAction.ACTIVATE)),
    )
    products["P-MANAMA"] = replace(
        products["P-MANAMA"],
        events=_events(
            (1, LifecycleAction.ACTIVATE),
            (10, LifecycleAction.SUSPEND),
            (15, LifecycleAction.RESUME),
        ),
    )
    return replace(world, products=products)


@pytest.fixture
def store(tmp_path: Path) -> UsageStore:
    found = UsageStore(tmp_path / "usage-store")
    assert load(found, tmp_path, JANUARY_USAGE, load_id="january").accepted == 11
    return found


def _rate(rater: UsageRater, store: UsageStore, world: BillingInputs) -> RatingOutcome:
    start, end = FEBRUARY_RUN
    return rater(store, world, period_start=start, period_end=end)


@RATERS
def test_usage_where_the_circuit_is_not_active_is_rejected(
    rater: UsageRater, store: UsageStore
) -> None:
    outcome = _rate(rater, store, interrupted_world())

    rejected = {reject.record_id: (reject.code, reject.message) for reject in outcome.rejects}
    code = "circuit_not_active"
    assert rejected == {
        # Exactly at the disconnect instant, and a zero-quantity record after it.
        "edge:a3": (
            code,
            "circuit CKT-ACME is not active at 2026-01-20T00:00:00+00:00: "
            "disconnected on 2026-01-20",
        ),
        "edge:a4": (
            code,
            "circuit CKT-ACME is not active at 2026-01-25T08:00:00+00:00: "
            "disconnected on 2026-01-20",
        ),
        "edge:n1": (
            code,
            "circuit CKT-ACME-2 is not active at 2026-01-06T00:00:00+00:00: never activated",
        ),
        "switch:k1": (
            code,
            "circuit CKT-KAISHA is not active at 2026-01-06T09:00:00+00:00: "
            "not activated until 2026-01-10",
        ),
        "edge:m2": (
            code,
            "circuit CKT-MANAMA is not active at 2026-01-12T12:00:00+00:00: "
            "suspended on 2026-01-10",
        ),
    }
    # The reject names the charge and price the record would have been billed under.
    (disconnected,) = (reject for reject in outcome.rejects if reject.record_id == "edge:a3")
    assert disconnected.charge_key == "ACME|P-ACME|data|2026-01-01T00:00:00+00:00"
    assert disconnected.price_id == "port-data-2026-01"


@RATERS
def test_usage_in_active_time_is_billed_as_before(rater: UsageRater, store: UsageStore) -> None:
    outcome = _rate(rater, store, interrupted_world())

    charged = {
        charge.charge_key.split("|")[1]: (charge.record_count, charge.result.amount)
        for charge in outcome.charges
    }
    assert charged == {
        # 60 + 10.5 GB before the disconnect (the last second before it counts): 70.5 x 0.10.
        "P-ACME": (2, Money.of("7.05", "USD")),
        # 40 minutes from the activation instant on: 40 x ¥3.
        "P-KAISHA": (1, Money.of("120", "JPY")),
        # 99.9 + 0.1 GB (from the resume instant on) + 1 GB:
        # 100 x 0.125 + 1 x 0.075 = 12.500 + 0.075.
        "P-MANAMA": (3, Money.of("12.575", "BHD")),
    }


@RATERS
def test_without_the_interruptions_every_record_is_billed(
    rater: UsageRater, store: UsageStore
) -> None:
    world = make_world()
    world = replace(world, products={**world.products, "P-ACME-2": _never_activated(world)})

    outcome = _rate(rater, store, world)

    assert [reject.record_id for reject in outcome.rejects] == ["edge:n1"]
    charged = {charge.charge_key.split("|")[1]: charge.result.amount for charge in outcome.charges}
    assert charged == {
        # 60 + 10.5 + 5 + 0 = 75.5 GB x 0.10.
        "P-ACME": Money.of("7.55", "USD"),
        # 60 + 40 = 100 minutes x ¥3.
        "P-KAISHA": Money.of("300", "JPY"),
        # 99.9 + 50 + 0.1 + 1 = 151 GB: 100 x 0.125 + 51 x 0.075 = 12.500 + 3.825.
        "P-MANAMA": Money.of("16.325", "BHD"),
    }


def _never_activated(world: BillingInputs) -> Product:
    return replace(
        world.products["P-ACME"],
        id="P-ACME-2",
        circuit_id="CKT-ACME-2",
        events=_events((2, LifecycleAction.ORDER)),
    )


def test_both_raters_agree_on_the_interrupted_world(store: UsageStore) -> None:
    world = interrupted_world()

    assert _rate(rate_with_duckdb_engine, store, world) == _rate(rate_with_reference, store, world)


def test_the_bill_run_reports_the_rejects_and_bills_the_rest(
    store: UsageStore, tmp_path: Path
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'tollway.db'}")
    database.migrate()
    with database.transaction() as session:
        WorldRepository(session).save(interrupted_world())

    summary = bill_month(database, store, 2)

    assert sorted((reject.record_id, reject.code) for reject in summary.rating_rejects) == [
        ("edge:a3", "circuit_not_active"),
        ("edge:a4", "circuit_not_active"),
        ("edge:m2", "circuit_not_active"),
        ("edge:n1", "circuit_not_active"),
        ("switch:k1", "circuit_not_active"),
    ]
    usage = [
        (line.quantity, line.amount)
        for line in bill_of(database, "ACME", 2).lines
        if line.charge_type is ChargeType.USAGE
    ]
    # 60 + 10.5 GB, before the disconnect, at 0.10.
    assert usage == [(Decimal("70.5"), Money.of("7.05", "USD"))]
    database.dispose()


_ACTIONS: Final = st.sampled_from(
    [LifecycleAction.SUSPEND, LifecycleAction.RESUME, LifecycleAction.DISCONNECT]
)


@st.composite
def _lifecycles(draw: st.DrawFn) -> tuple[LifecycleEvent, ...]:
    """A valid lifecycle around January: activation, then suspensions, resumes, a disconnect."""
    hours = sorted(draw(st.sets(st.integers(-48, 32 * 24), min_size=1, max_size=6)))
    events = [LifecycleEvent(_day(1) + timedelta(hours=hours[0]), LifecycleAction.ACTIVATE)]
    suspended = False
    for hour in hours[1:]:
        action = draw(_ACTIONS)
        if action is LifecycleAction.SUSPEND and suspended:
            action = LifecycleAction.RESUME
        elif action is LifecycleAction.RESUME and not suspended:
            action = LifecycleAction.SUSPEND
        events.append(LifecycleEvent(_day(1) + timedelta(hours=hour), action))
        if action is LifecycleAction.DISCONNECT:
            break
        suspended = action is LifecycleAction.SUSPEND
    return tuple(events)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lifecycle=_lifecycles(),
    usage_hours=st.lists(st.integers(0, 31 * 24 - 1), min_size=1, max_size=8),
)
def test_the_raters_agree_on_any_lifecycle(
    lifecycle: tuple[LifecycleEvent, ...], usage_hours: list[int]
) -> None:
    world = make_world()
    acme = replace(world.products["P-ACME"], events=lifecycle)
    world = replace(world, products={**world.products, "P-ACME": acme})
    rows = [
        f"r{index},edge,CKT-ACME,data,{(_day(1) + timedelta(hours=hour)).isoformat()},{hour},GB"
        for index, hour in enumerate(usage_hours)
    ]
    with tempfile.TemporaryDirectory() as directory:
        store = UsageStore(Path(directory) / "usage-store")
        load(store, Path(directory), usage_csv(*rows), load_id="january")
        reference = _rate(rate_with_reference, store, world)
        vectorized = _rate(rate_with_duckdb_engine, store, world)
    assert vectorized == reference
    assert reference.record_count == len(usage_hours)
