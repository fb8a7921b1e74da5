"""Invariants of settlement and netting, over many generated inputs.

- a share never exceeds its basis (per line and per item), whatever the rate and rounding;
- a tiered share depends only on the period's total, not on the order of the lines;
- cumulative paid never decreases (revenue only) and never exceeds the cumulative cap;
- a line's basis is split between items and "not shared" without losing a minor unit;
- crediting every line in full, in any number of partial credit notes, takes back exactly what
  was paid (after caps), never more;
- re-running a settlement changes nothing (equal statement, equal digest, equal JSON);
- net = receivables - payables - withheld, and over a year each entry counts once, disputes
  counting only their accepted part once resolved.
"""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tollway.money import Currency, RoundingMode, currency
from tollway.settlement import (
    AccountingBasis,
    Band,
    BandedShare,
    Dispute,
    DisputeResolution,
    EndsOnDate,
    FlatShare,
    Limits,
    MinimumGuarantee,
    PartnerCharge,
    Receivable,
    SettlementHistory,
    ShareItem,
    ShareRate,
    TieredShare,
    net,
    read_statement_json,
    render_statement_json,
    settle,
)

from .settlement_world import agreement, at, line, model, month, settle_months

CURRENCIES = st.sampled_from(["USD", "JPY", "BHD"])
MODES = st.sampled_from(list(RoundingMode))
PERCENTS = st.integers(min_value=0, max_value=10_000).map(
    lambda hundredths: Decimal(hundredths) / 100
)
UNITS = st.integers(min_value=0, max_value=50_000_000)


def amount(units: int, unit: Currency) -> str:
    return str(Decimal(units).scaleb(-unit.minor_units))


@st.composite
def rates(draw: st.DrawFn, unit: Currency) -> ShareRate:
    kind = draw(st.sampled_from(["flat", "tiered", "banded"]))
    if kind == "flat":
        return FlatShare(draw(PERCENTS))
    bounds = sorted(set(draw(st.lists(st.integers(1, 40_000_000), min_size=1, max_size=3))))
    bands = tuple(Band(Decimal(amount(bound, unit)), draw(PERCENTS)) for bound in bounds)
    bands += (Band(None, draw(PERCENTS)),)
    return TieredShare(bands) if kind == "tiered" else BandedShare(bands)


@st.composite
def one_month(draw: st.DrawFn) -> tuple[ShareRate, list, RoundingMode, Currency]:  # type: ignore[type-arg]
    unit = currency(draw(CURRENCIES))
    rate = draw(rates(unit))
    units = draw(st.lists(st.integers(-2_000_000, 50_000_000), min_size=1, max_size=6))
    lines = [
        line(f"INV-{index}", amount(value, unit), billed=date(2025, 1, 1 + index), in_currency=unit)
        for index, value in enumerate(units)
    ]
    return rate, lines, draw(MODES), unit


@given(case=one_month())
def test_a_share_never_exceeds_its_basis(case: tuple) -> None:  # type: ignore[type-arg]
    rate, lines, mode, unit = case
    share_model = model(ShareItem("A", "any", rate), in_currency=unit, rounding_mode=mode)
    [january] = settle_months(agreement(), share_model, lines, [1])
    item = january.item("A")
    for share in item.share_lines:
        assert abs(share.share) <= abs(share.basis)
        assert share.share == 0 or (share.share > 0) == (share.basis > 0)
    if all(each.amount >= 0 for each in lines):
        assert Decimal(0) <= item.earned <= item.basis
    assert item.basis == sum((each.amount for each in lines), Decimal(0))


def integral(bands: tuple[Band, ...], total: Decimal) -> Decimal:
    """The marginal share of a total, band by band (below zero: the first band's rate)."""
    if total <= 0:
        return total * bands[0].percent / 100
    result, lower = Decimal(0), Decimal(0)
    for band in bands:
        upper = total if band.up_to is None else min(total, band.up_to)
        if upper > lower:
            result += (upper - lower) * band.percent / 100
        lower = band.up_to if band.up_to is not None else lower
    return result


@given(case=one_month(), order=st.randoms(use_true_random=False))
def test_a_tiered_share_depends_only_on_the_total(case: tuple, order) -> None:  # type: ignore[no-untyped-def, type-arg]
    rate, lines, _, unit = case
    if not isinstance(rate, TieredShare):
        rate = TieredShare(
            (Band(Decimal(amount(500_000, unit)), Decimal(10)), Band(None, Decimal(25)))
        )
    shuffled = list(lines)
    order.shuffle(shuffled)
    days = sorted(each.bill_date for each in lines)
    reordered = [
        line(each.bill_no, str(each.amount), billed=day, in_currency=unit)
        for each, day in zip(shuffled, days, strict=True)
    ]
    [january] = settle_months(
        agreement(), model(ShareItem("A", "tiers", rate), in_currency=unit), reordered, [1]
    )
    exact = sum((each.share_exact for each in january.item("A").share_lines), Decimal(0))
    assert exact == integral(rate.bands, january.item("A").basis)


@given(
    revenue=st.lists(UNITS, min_size=1, max_size=6),
    period_cap=st.none() | st.integers(0, 3_000_000),
    lifetime_cap=st.none() | st.integers(0, 8_000_000),
    guarantee=st.none() | st.integers(0, 1_000_000),
    percent=PERCENTS,
)
def test_cumulative_paid_is_monotone_and_within_the_cap(
    revenue: list[int],
    period_cap: int | None,
    lifetime_cap: int | None,
    guarantee: int | None,
    percent: Decimal,
) -> None:
    unit = currency("USD")
    if guarantee is not None and period_cap is not None:
        guarantee = min(guarantee, period_cap)
    limits = Limits(
        period_cap=None if period_cap is None else Decimal(amount(period_cap, unit)),
        cumulative_cap=None if lifetime_cap is None else Decimal(amount(lifetime_cap, unit)),
    )
    item = ShareItem(
        "A",
        "capped",
        FlatShare(percent),
        limits=limits,
        guarantee=None if guarantee is None else MinimumGuarantee(Decimal(amount(guarantee, unit))),
    )
    lines = [
        line(f"INV-{index}", amount(units, unit), billed=date(2025, index, 10))
        for index, units in enumerate(revenue, start=1)
    ]
    statements = settle_months(agreement(), model(item), lines, range(1, len(revenue) + 1))
    paid = Decimal(0)
    for statement in statements:
        result = statement.item("A")
        assert result.payable >= 0
        assert result.cumulative_paid == paid + result.payable >= paid
        assert limits.period_cap is None or result.payable <= limits.period_cap
        assert limits.cumulative_cap is None or result.cumulative_paid <= limits.cumulative_cap
        paid = result.cumulative_paid


@given(
    units=UNITS,
    split_s=st.integers(min_value=1, max_value=31 * 86_400 - 1),
    code=CURRENCIES,
)
def test_a_line_split_at_any_instant_keeps_every_minor_unit(
    units: int, split_s: int, code: str
) -> None:
    unit = currency(code)
    item = ShareItem(
        "A", "until", FlatShare(Decimal(20)), ends=(EndsOnDate(at(1) + timedelta(seconds=split_s)),)
    )
    whole = line("INV-1", amount(units, unit), in_currency=unit)
    [january] = settle_months(agreement(), model(item, in_currency=unit), [whole], [1])
    shared = january.item("A").basis
    not_shared = sum((each.amount for each in january.excluded), Decimal(0))
    assert shared + not_shared == whole.amount
    assert shared.scaleb(unit.minor_units) == shared.scaleb(unit.minor_units).to_integral_value()


@given(
    revenue=st.lists(st.integers(1, 50_000_000), min_size=1, max_size=4),
    period_cap=st.none() | st.integers(0, 3_000_000),
    percent=PERCENTS,
    pieces=st.integers(1, 4),
    mode=MODES,
)
def test_crediting_everything_takes_back_exactly_what_was_paid(
    revenue: list[int], period_cap: int | None, percent: Decimal, pieces: int, mode: RoundingMode
) -> None:
    unit = currency("USD")
    cap = None if period_cap is None else Decimal(amount(period_cap, unit))
    item = ShareItem("A", "capped", FlatShare(percent), limits=Limits(period_cap=cap))
    lines = [
        line(f"INV-{index}", amount(units, unit), billed=date(2025, 1, 10))
        for index, units in enumerate(revenue)
    ]
    for index, units in enumerate(revenue):
        parts = [units // pieces] * (pieces - 1) + [units - units // pieces * (pieces - 1)]
        lines += [
            line(
                f"CN-{index}-{number}", amount(-part, unit), line_id=f"L1-cn{number}",
                billed=date(2025, 2, 1 + number), service=(at(1), at(2)),
                credits=(f"INV-{index}", "L1"),
            )
            for number, part in enumerate(parts)
        ]  # fmt: skip
    share_model = model(item, rounding_mode=mode)
    january, february = settle_months(agreement(), share_model, lines, [1, 2])
    assert february.total_payable == -january.total_payable
    assert february.item("A").cumulative_paid == 0
    assert february.item("A").cumulative_basis == 0


@given(case=one_month())
def test_re_running_a_settlement_changes_nothing(case: tuple) -> None:  # type: ignore[type-arg]
    rate, lines, mode, unit = case
    share_model = model(ShareItem("A", "any", rate), in_currency=unit, rounding_mode=mode)
    january, february = settle_months(agreement(), share_model, lines, [1, 2])
    again = settle(
        agreement(),
        share_model,
        lines,
        period=month(2),
        accounting_basis=AccountingBasis.ACCRUAL,
        history=SettlementHistory("AG-1", (january, february)),
    )
    assert again == february and again.digest == february.digest
    assert read_statement_json(render_statement_json(january)) == january
    assert render_statement_json(settle_months(agreement(), share_model, lines, [1])[0]) == (
        render_statement_json(january)
    )


@st.composite
def entries(draw: st.DrawFn) -> tuple[list[Receivable], list[PartnerCharge]]:
    unit = currency("USD")
    receivables, payables = [], []
    for index in range(draw(st.integers(0, 8))):
        value = draw(st.integers(1, 5_000_000))
        day = date(2025, draw(st.integers(1, 12)), draw(st.integers(1, 28)))
        dispute = None
        if draw(st.booleans()):
            disputed = draw(st.integers(1, value))
            resolution = None
            if draw(st.booleans()):
                resolved = day + timedelta(days=draw(st.integers(0, 200)))
                accepted = draw(st.integers(0, disputed))
                resolution = DisputeResolution(resolved, Decimal(amount(accepted, unit)))
            dispute = Dispute(f"D{index}", Decimal(amount(disputed, unit)), day, resolution)
        money = Decimal(amount(value, unit))
        if draw(st.booleans()):
            receivables.append(
                Receivable(f"R{index}", "L", "r", "capacity", money, unit, day, dispute)
            )
        else:
            payables.append(
                PartnerCharge(f"P{index}", "L", "p", "cloud", money, unit, day, dispute)
            )
    return receivables, payables


def counted(entry: Receivable | PartnerCharge, *, until: date) -> Decimal:
    """What an entry contributes to the year's net: its amount, less a dispute's part unless
    resolved before `until`, and then only its accepted part."""
    dispute = entry.dispute
    if dispute is None:
        return entry.amount
    resolution = dispute.resolution
    if resolution is None or resolution.resolved_on >= until:
        return entry.amount - dispute.amount
    return entry.amount - dispute.amount + resolution.accepted_amount


@given(both=entries())
def test_net_is_receivables_minus_payables_minus_withheld(both: tuple) -> None:  # type: ignore[type-arg]
    receivables, payables = both
    total = Decimal(0)
    for number in range(1, 13):
        statement = net(receivables, payables, agreement=agreement(), period=month(number))
        assert statement.net == statement.receivables - statement.payables - statement.withheld
        assert statement.withheld == statement.withheld_receivable - statement.withheld_payable
        total += statement.net
    year_end = date(2026, 1, 1)
    expected = sum((counted(each, until=year_end) for each in receivables), Decimal(0)) - sum(
        (counted(each, until=year_end) for each in payables), Decimal(0)
    )
    assert total == expected
