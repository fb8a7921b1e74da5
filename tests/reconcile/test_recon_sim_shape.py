"""The simulated legacy copy's shape: split lines, missing ids, re-keyed ids and the cross-walk,
the injection plan, determinism, and invariants that hold for any tables and seed."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollway.reconcile._simulate import (
    INJECTABLE_CATEGORIES,
    InjectionPlan,
    InjectionPlanError,
    SimulatedLegacy,
    simulate_legacy,
)
from tollway.reconcile._tables import Category

from .recon_sim_support import (
    FEBRUARY,
    MARCH,
    invoice,
    line,
    march_tables,
    only,
    rows,
    tables,
    tax,
)

NOTHING = only(Category.RATE, difference_percent=Decimal(0), per_category_min=0)
"""No difference, no split, no missing id, no re-key: legacy is tollway with legacy ids."""


def _fields(plan: InjectionPlan) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in plan.__slots__}


def _plan(**changes: Any) -> InjectionPlan:
    return InjectionPlan(**(_fields(NOTHING) | changes))


def test_with_nothing_injected_legacy_is_tollway_under_legacy_ids() -> None:
    result = simulate_legacy(march_tables(), seed=1, cycle="2026-03", injection=NOTHING)

    assert result.labels.num_rows == 0
    assert result.legacy.invoices.column("invoice_id").to_pylist() == [
        "LEG-INV-ALPHA",
        "LEG-INV-BRAVO",
        "LEG-INV-CHARLIE",
    ]
    assert result.legacy.invoices.column("total_including_tax").to_pylist() == [
        Decimal("1576.47"),
        Decimal(17513),
        Decimal("2720.10"),
    ]
    child = rows(result.legacy.lines, line_id="LEG-L-A5")[0]
    assert (child["account_id"], child["circuit_id"], child["product_id"]) == (
        "LEG-A-ALPHA-BR",
        "LEG-C-B1",
        "LEG-P-B1",
    )
    assert set(result.legacy.lines.column("system").to_pylist()) == {"legacy"}


def test_a_split_line_becomes_two_pieces_that_add_up_to_it() -> None:
    usage = line("INV-ALPHA", "L-A3", "A-ALPHA", "C-A1", "usage", "SD-WAN usage", FEBRUARY, "1000", None, "100.01")  # fmt: skip
    usage_tax = tax("INV-ALPHA", "L-A3", "US-PA", "state_sales", "0.06", "100.01", "6.00")
    tollway = tables(
        [invoice("INV-ALPHA", "A-ALPHA", "USD", ("100.01", "6.00"))], [usage], [usage_tax]
    )

    result = simulate_legacy(tollway, seed=1, cycle="2026-03", injection=_plan(split_lines=1))

    # 40 % of 1000 GB = 400 GB; 40 % of 100.01 = 40.004 → 40.00, the rest 60.01; tax 2.40 + 3.60.
    pieces = [
        (row["line_id"], row["quantity"], row["amount"], row["period_start"])
        for row in result.legacy.lines.to_pylist()
    ]
    assert pieces == [
        ("LEG-L-A3/1", Decimal(400), Decimal("40.00"), date(2026, 2, 1)),
        ("LEG-L-A3/2", Decimal(600), Decimal("60.01"), date(2026, 2, 1)),
    ]
    taxes = [
        (row["line_id"], row["taxable_amount"], row["tax_amount"])
        for row in result.legacy.taxes.to_pylist()
    ]
    assert taxes == [
        ("LEG-L-A3/1", Decimal("40.00"), Decimal("2.40")),
        ("LEG-L-A3/2", Decimal("60.01"), Decimal("3.60")),
    ]
    assert result.labels.num_rows == 0


def test_lines_without_a_circuit_id_and_some_without_a_product_id() -> None:
    result = simulate_legacy(
        march_tables(),
        seed=1,
        cycle="2026-03",
        injection=_plan(lines_without_circuit_percent=Decimal(100)),
    )

    assert set(result.legacy.lines.column("circuit_id").to_pylist()) == {None}
    # Without a product id only where the line stays unique on its invoice by account, charge
    # type, period and description — which every March line is; about half are picked.
    without_product = rows(result.legacy.lines, product_id=None)
    assert 0 < len(without_product) < result.legacy.lines.num_rows


def test_a_product_id_stays_where_two_lines_would_look_alike() -> None:
    twin = [
        line(
            "INV-ALPHA",
            f"L-{number}",
            "A-ALPHA",
            f"C-{number}",
            "recurring",
            "SD-WAN edge",
            MARCH,
            "1",
            "320.00",
            "320.00",
        )
        for number in range(1, 9)
    ]
    tollway = tables([invoice("INV-ALPHA", "A-ALPHA", "USD", ("2560.00", "0"))], twin, [])

    plan = _plan(lines_without_circuit_percent=Decimal(100))
    result = simulate_legacy(tollway, seed=1, cycle="2026-03", injection=plan)

    assert set(result.legacy.lines.column("circuit_id").to_pylist()) == {None}
    assert None not in result.legacy.lines.column("product_id").to_pylist()


def test_re_keyed_ids_change_on_the_re_key_date_with_two_cross_walk_rows() -> None:
    one = tables(
        [invoice("INV-ALPHA", "A-ALPHA", "USD", ("320.00", "0"))],
        [
            line(
                "INV-ALPHA",
                "L-A1",
                "A-ALPHA",
                "C-A1",
                "recurring",
                "SD-WAN edge",
                MARCH,
                "1",
                "320.00",
                "320.00",
            )
        ],
        [],
    )

    def rekeyed_on(day: date) -> SimulatedLegacy:
        plan = _plan(rekeyed_percent=Decimal(100), rekey_date=day)
        return simulate_legacy(one, seed=1, cycle="2026-03", injection=plan)

    # The invoice's period starts on 2026-03-01: before a re-key on the 2nd, from one on the 1st.
    before, on = rekeyed_on(date(2026, 3, 2)), rekeyed_on(date(2026, 3, 1))

    assert before.legacy.invoices.column("account_id").to_pylist() == ["LEG-A-ALPHA"]
    assert on.legacy.invoices.column("account_id").to_pylist() == ["LEGR-A-ALPHA"]
    assert on.legacy.lines.column("circuit_id").to_pylist() == ["LEGR-C-A1"]
    assert rows(on.crosswalk, entity="account") == [
        {
            "entity": "account",
            "legacy_id": "LEG-A-ALPHA",
            "tollway_id": "A-ALPHA",
            "valid_from": None,
            "valid_to": date(2026, 3, 1),
        },
        {
            "entity": "account",
            "legacy_id": "LEGR-A-ALPHA",
            "tollway_id": "A-ALPHA",
            "valid_from": date(2026, 3, 1),
            "valid_to": None,
        },
    ]
    assert on.crosswalk.num_rows == 6  # account, circuit and product, two rows each


def test_the_cross_walk_names_every_account_circuit_and_product_once_when_none_is_re_keyed() -> (
    None
):
    result = simulate_legacy(march_tables(), seed=1, cycle="2026-03", injection=NOTHING)

    by_entity = {
        entity: sorted(row["tollway_id"] for row in rows(result.crosswalk, entity=entity))
        for entity in ("account", "circuit", "product")
    }
    assert by_entity == {
        "account": ["A-ALPHA", "A-ALPHA-BR", "A-BRAVO", "A-CHARLIE"],
        "circuit": ["C-A1", "C-A2", "C-A3", "C-B1", "C-J1", "C-J2", "C-K1", "C-K2"],
        "product": ["P-A1", "P-A2", "P-A3", "P-B1", "P-J1", "P-J2", "P-K1", "P-K2"],
    }


def test_the_same_seed_gives_the_same_legacy_copy_and_another_seed_another() -> None:
    plan = InjectionPlan(difference_percent=Decimal(30), rekeyed_percent=Decimal(30))

    first = simulate_legacy(march_tables(), seed=5, cycle="2026-03", injection=plan)
    again = simulate_legacy(march_tables(), seed=5, cycle="2026-03", injection=plan)
    other = simulate_legacy(march_tables(), seed=6, cycle="2026-03", injection=plan)

    for mine, same in ((first, again),):
        assert mine.legacy.invoices.equals(same.legacy.invoices)
        assert mine.legacy.lines.equals(same.legacy.lines)
        assert mine.legacy.taxes.equals(same.legacy.taxes)
        assert mine.crosswalk.equals(same.crosswalk)
        assert mine.labels.equals(same.labels)
    assert not (first.labels.equals(other.labels) and first.crosswalk.equals(other.crosswalk))


def test_the_plan_spreads_its_share_over_the_categories() -> None:
    plan = InjectionPlan(difference_percent=Decimal(10), per_category_min=1)

    # 10 % of 260 lines = 26 differences over 13 categories: 2 each.
    assert len(INJECTABLE_CATEGORIES) == 13
    assert plan.count_per_category(lines=260) == 2
    # 10 % of 261 = 26.1: rounded up to 27 over 13 → 2.08 → 3 each.
    assert plan.count_per_category(lines=261) == 3
    # Few lines: the minimum.
    assert plan.count_per_category(lines=3) == 1
    assert InjectionPlan(difference_percent=Decimal(0)).count_per_category(lines=1000) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"difference_percent": Decimal(101)},
            "difference_percent must be a Decimal from 0 to 100",
        ),
        ({"rekeyed_percent": Decimal(-1)}, "rekeyed_percent must be a Decimal from 0 to 100"),
        ({"split_lines": -1}, "split_lines must be 0 or more"),
        ({"categories": (Category.MATCHED,)}, "categories must be distinct injectable categories"),
        ({"categories": (Category.RATE, Category.RATE)}, "categories must be distinct"),
    ],
)
def test_a_plan_out_of_bounds_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InjectionPlanError, match=message) as raised:
        InjectionPlan(**changes)
    assert raised.value.code == "invalid_injection_plan"


@pytest.mark.parametrize("category", INJECTABLE_CATEGORIES)
def test_every_category_has_somewhere_to_land_on_the_march_invoices(category: Category) -> None:
    result = simulate_legacy(march_tables(), seed=3, cycle="2026-03", injection=only(category))

    assert set(result.injected()) == {category.value}


AMOUNTS = st.integers(min_value=-5_000, max_value=500_000).map(lambda cents: Decimal(cents) / 100)


@st.composite
def tollway_cycles(draw: st.DrawFn) -> Any:
    """One to four USD invoices of one to five lines, each line taxed at 6 % or not."""
    invoices, lines, taxes = [], [], []
    for number in range(draw(st.integers(1, 4))):
        invoice_id, total, tax_total = f"INV-{number}", Decimal(0), Decimal(0)
        for index in range(draw(st.integers(1, 5))):
            amount = draw(AMOUNTS)
            charge = draw(st.sampled_from(["recurring", "usage", "discount", "one_time"]))
            account = draw(st.sampled_from([f"A-{number}", f"A-{number}-BR"]))
            quantity = str(draw(st.integers(1, 50)))
            line_id, circuit_id = f"L-{number}-{index}", f"C-{number}-{index}"
            service = (invoice_id, line_id, account, circuit_id, charge, "Service", MARCH)
            lines.append(line(*service, quantity, None, str(amount)))
            total += amount
            if draw(st.booleans()):
                place = draw(st.sampled_from(["US-PA", "US-NJ"]))
                tax_amount = (amount * Decimal("0.06")).quantize(Decimal("0.01"))
                rate = ("state_sales", "0.06", str(amount), str(tax_amount))
                taxes.append(tax(invoice_id, line_id, place, *rate))
                tax_total += tax_amount
        invoices.append(invoice(invoice_id, f"A-{number}", "USD", (str(total), str(tax_total))))
    return tables(invoices, lines, taxes)


@given(tollway=tollway_cycles(), seed=st.integers(0, 10_000))
def test_any_cycle_gives_consistent_legacy_invoices_and_a_key_naming_real_rows(
    tollway: Any, seed: int
) -> None:
    plan = InjectionPlan(
        difference_percent=Decimal(40),
        lines_without_circuit_percent=Decimal(20),
        rekeyed_percent=Decimal(20),
    )

    result = simulate_legacy(tollway, seed=seed, cycle="2026-03", injection=plan)

    # Totals are the sums of lines and taxes (asserted inside too: the paired assertion).
    for header in result.legacy.invoices.to_pylist():
        own = rows(result.legacy.lines, invoice_id=header["invoice_id"])
        assert header["total_excluding_tax"] == sum((row["amount"] for row in own), Decimal(0))
    legacy_lines = set(result.legacy.lines.column("line_id").to_pylist())
    tollway_lines = set(tollway.lines.column("line_id").to_pylist())
    labelled = set()
    for label in rows(result.labels, level="line"):
        assert label["legacy_line_id"] is None or label["legacy_line_id"] in legacy_lines
        assert label["tollway_line_id"] is None or label["tollway_line_id"] in tollway_lines
        labelled.add(label["tollway_line_id"])
    # A line nobody labelled is billed the same by legacy, whole or in pieces.
    for tollway_line in tollway.lines.to_pylist():
        if tollway_line["line_id"] in labelled:
            continue
        legacy_id = f"LEG-{tollway_line['line_id']}"
        names = (legacy_id, f"{legacy_id}/1", f"{legacy_id}/2")
        pieces = [row for row in result.legacy.lines.to_pylist() if row["line_id"] in names]
        assert sum((row["amount"] for row in pieces), Decimal(0)) == tollway_line["amount"]
    known = {(row["entity"], row["legacy_id"]) for row in result.crosswalk.to_pylist()}
    for legacy_line in result.legacy.lines.to_pylist():
        assert ("account", legacy_line["account_id"]) in known
        assert legacy_line["circuit_id"] is None or ("circuit", legacy_line["circuit_id"]) in known
