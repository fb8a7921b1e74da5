"""Properties of the workspace layer: documents read back equal, every issued line is settled
exactly once however late it was issued, and account balances are the running sum."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tollway.money import currency
from tollway.settlement import (
    Band,
    BandedShare,
    BandMeasure,
    Basis,
    Deduction,
    FlatShare,
    Limits,
    MinimumGuarantee,
    RevenueShareModel,
    ShareItem,
    TieredShare,
)
from tollway.settlement._documents_model import model_document, parse_model
from tollway.settlement._ledger import from_minor, to_minor
from tollway.settlement._sources import Recognition

USD = currency("USD")
percents = st.decimals(min_value=0, max_value=100, places=2)
amounts = st.integers(min_value=0, max_value=10**12).map(lambda minor: from_minor(minor, USD))


@st.composite
def rates(draw: st.DrawFn) -> FlatShare | TieredShare | BandedShare:
    kind = draw(st.sampled_from(["flat", "tiered", "banded"]))
    if kind == "flat":
        return FlatShare(draw(percents))
    bounds = sorted(set(draw(st.lists(st.integers(1, 10**9), min_size=0, max_size=3))))
    bands = tuple(Band(from_minor(bound, USD), draw(percents)) for bound in bounds)
    bands += (Band(None, draw(percents)),)
    measure = draw(st.sampled_from(list(BandMeasure)))
    return TieredShare(bands, measure) if kind == "tiered" else BandedShare(bands, measure)


@st.composite
def models(draw: st.DrawFn) -> RevenueShareModel:
    count = draw(st.integers(1, 3))
    items = []
    for index in range(count):
        cap = draw(st.none() | amounts)
        guarantee = draw(st.none() | amounts)
        if cap is not None and guarantee is not None and guarantee > cap:
            guarantee = cap  # a guarantee above the period cap is refused by the core
        items.append(
            ShareItem(
                f"item-{index}",
                f"Item {index}",
                draw(rates()),
                limits=Limits(period_cap=cap, cumulative_cap=draw(st.none() | amounts)),
                guarantee=None if guarantee is None else MinimumGuarantee(guarantee),
            )
        )
    deductions = draw(st.sets(st.sampled_from(list(Deduction))))
    return RevenueShareModel("RS", "Model", USD, Basis.net_of(*deductions), tuple(items))


@given(models())
def test_every_model_reads_back_equal_from_its_document(model: RevenueShareModel) -> None:
    assert parse_model(model_document(model), source="property") == model


@dataclass(frozen=True)
class Issued:
    """A line dated in `dated` (a month of 2026), issued during month `issued` >= `dated`."""

    key: str
    dated: int
    issued: int


@given(
    st.lists(
        st.tuples(st.integers(1, 6), st.integers(0, 3)).map(
            lambda pair: (pair[0], pair[0] + pair[1])
        ),
        max_size=30,
    )
)
def test_every_issued_line_is_taken_by_exactly_one_period(pairs: list[tuple[int, int]]) -> None:
    lines = [Issued(f"L{index}", dated, issued) for index, (dated, issued) in enumerate(pairs)]
    taken: dict[str, int] = {}
    for month in range(1, 10):
        # Month m is settled at the start of month m + 1: it sees lines issued up to month m.
        visible = [line for line in lines if line.issued <= month]
        recognition = Recognition(
            first=date(2026, month, 1),
            end=date(2026, month + 1, 1),
            settled_from=date(2026, 1, 1) if month > 1 else None,
            cited_before=frozenset(taken),
        )
        chosen = recognition.select(
            visible,
            cited_as=lambda line: line.key,
            dated=lambda line: date(2026, line.dated, 1),
            redated=lambda line, day: Issued(line.key, day.month, line.issued),
            keep_others=False,
        )
        for line in chosen:
            assert line.key not in taken, f"{line.key} taken twice"
            taken[line.key] = month
    # Each line is settled in its own month, or, issued late, in the month it was issued.
    assert taken == {line.key: line.issued for line in lines}


@given(st.lists(st.integers(-(10**12), 10**12), max_size=20))
def test_minor_units_are_exact_both_ways(values: list[int]) -> None:
    for minor in values:
        assert to_minor(from_minor(minor, USD), USD) == minor
    total = sum((from_minor(minor, USD) for minor in values), Decimal(0))
    assert to_minor(total, USD) == sum(values)
