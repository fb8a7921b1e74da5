"""Invariants of the quantity models over random tier tables, usage and conventions.

Numbers come from integers and fixed-place decimals, never floats.
"""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tollway.conventions import Conventions, PackageRounding, TierBounds, VolumeTierLookup, profile
from tollway.money import Currency, RoundingMode, RoundingStage, currency
from tollway.pricing import PriceResult, UsageEvent
from tollway.pricing._blocks import BlockTier, BlockTierMode, BlockTiers
from tollway.pricing._package import Package, PerUnit
from tollway.pricing._tiers import Graduated, Stairstep, Step, Tier, Volume

TOLLWAY = profile("tollway")

unit_prices = st.decimals(min_value=0, max_value=100, places=4)
flat_prices = st.decimals(min_value=0, max_value=1000, places=2)
tier_widths = st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2)
quantities = st.decimals(min_value=0, max_value=10_000, places=3)
currencies = st.sampled_from([currency("USD"), currency("JPY"), currency("BHD")])


@st.composite
def bounds_tables(draw: st.DrawFn, *, widths: st.SearchStrategy[Decimal]) -> list[Decimal | None]:
    """Strictly increasing bounds from 0, the last one unbounded."""
    count = draw(st.integers(min_value=1, max_value=5))
    bounds: list[Decimal | None] = []
    total = Decimal(0)
    for width in draw(st.lists(widths, min_size=count - 1, max_size=count - 1)):
        total += width
        bounds.append(total)
    return [*bounds, None]


@st.composite
def tier_tables(draw: st.DrawFn, *, flat_fees: bool = True) -> tuple[Tier, ...]:
    bounds = draw(bounds_tables(widths=tier_widths))
    return tuple(
        Tier(
            up_to=bound,
            unit_price=draw(unit_prices),
            flat_price=draw(flat_prices) if flat_fees else Decimal(0),
        )
        for bound in bounds
    )


@st.composite
def conventions(draw: st.DrawFn) -> Conventions:
    return TOLLWAY.replace(
        rounding_mode=draw(st.sampled_from(RoundingMode)),
        rounding_stage=draw(st.sampled_from(RoundingStage)),
        tier_bounds=draw(st.sampled_from(TierBounds)),
        volume_tier_lookup=draw(st.sampled_from(VolumeTierLookup)),
        flat_fee_at_zero=draw(st.booleans()),
    )


def charge(
    model: Graduated | Volume | Stairstep | Package | PerUnit | BlockTiers,
    quantity: Decimal,
    *,
    in_currency: Currency,
    rules: Conventions,
) -> PriceResult:
    return model.price([UsageEvent(quantity=quantity)], currency=in_currency, conventions=rules)


def assert_rounding_within_bounds(result: PriceResult, rules: Conventions) -> None:
    """Each rounding point moves the amount by at most half a minor unit (half modes) or by less
    than one minor unit (up, down); no rounding point, no difference."""
    difference = abs(result.amount.amount - result.precise_amount)
    points = result.rounding_points
    minor_unit = result.currency.minor_unit
    if points == 0:
        assert difference == 0
    elif rules.rounding_mode in (RoundingMode.HALF_UP, RoundingMode.HALF_EVEN):
        assert difference <= points * minor_unit / 2
    else:
        assert difference < points * minor_unit


@given(tier_tables(), quantities, quantities, currencies, conventions())
def test_graduated_totals_never_decrease_as_usage_grows(
    tiers: tuple[Tier, ...],
    first: Decimal,
    second: Decimal,
    in_currency: Currency,
    rules: Conventions,
) -> None:
    smaller, larger = sorted((first, second))
    low = charge(Graduated(tiers), smaller, in_currency=in_currency, rules=rules)
    high = charge(Graduated(tiers), larger, in_currency=in_currency, rules=rules)
    assert low.precise_amount <= high.precise_amount
    assert low.amount <= high.amount


@given(tier_tables(), quantities, conventions())
def test_graduated_per_tier_units_sum_to_the_quantity(
    tiers: tuple[Tier, ...], quantity: Decimal, rules: Conventions
) -> None:
    result = charge(Graduated(tiers), quantity, in_currency=currency("USD"), rules=rules)
    units = [line.quantity for line in result.lines if line.kind == "tier"]
    assert sum(units, Decimal(0)) == quantity
    assert all(unit >= 0 for unit in units)


@given(tier_tables(), quantities)
def test_graduated_units_per_tier_do_not_depend_on_the_bound_convention(
    tiers: tuple[Tier, ...], quantity: Decimal
) -> None:
    def units_by_tier(rule: TierBounds) -> dict[int | None, Decimal]:
        rules = TOLLWAY.replace(tier_bounds=rule)
        result = charge(Graduated(tiers), quantity, in_currency=currency("USD"), rules=rules)
        return {line.tier: line.quantity for line in result.lines if line.kind == "tier"}

    # Adjacent bounds may enter the next tier with 0 units on a bound; units are the same.
    inclusive = units_by_tier(TierBounds.UP_TO_INCLUSIVE)
    adjacent = units_by_tier(TierBounds.ADJACENT)
    assert {tier: units for tier, units in adjacent.items() if units or tier == 1} == inclusive


@given(
    tier_tables(),
    st.lists(
        st.tuples(bounds_tables(widths=tier_widths), flat_prices),
        min_size=1,
        max_size=1,
    ),
    quantities,
    currencies,
    conventions(),
)
def test_no_model_charges_a_negative_amount(
    tiers: tuple[Tier, ...],
    steps_drawn: list[tuple[list[Decimal | None], Decimal]],
    quantity: Decimal,
    in_currency: Currency,
    rules: Conventions,
) -> None:
    bounds, amount = steps_drawn[0]
    steps = tuple(Step(up_to=bound, amount=amount) for bound in bounds)
    blocks = tuple(
        BlockTier(block_size=tier.flat_price + 1, max_blocks=index + 1, block_price=tier.unit_price)
        for index, tier in enumerate(tiers)
    )
    models = (
        Graduated(tiers),
        Volume(tiers),
        Stairstep(steps),
        Package(package_size=Decimal(7), package_price=tiers[0].unit_price, free_units=Decimal(3)),
        BlockTiers(blocks, BlockTierMode.ALL_TIERS),
        BlockTiers(blocks, BlockTierMode.TOP_TIER),
    )
    for model in models:
        result = charge(model, quantity, in_currency=in_currency, rules=rules)
        assert all(line.amount >= 0 for line in result.lines), model
        assert result.precise_amount >= 0
        assert not result.amount.is_negative


@given(tier_tables(), quantities, currencies, conventions())
def test_rounding_stays_within_half_a_minor_unit_per_rounding_point(
    tiers: tuple[Tier, ...], quantity: Decimal, in_currency: Currency, rules: Conventions
) -> None:
    for model in (Graduated(tiers), Volume(tiers)):
        result = charge(model, quantity, in_currency=in_currency, rules=rules)
        assert_rounding_within_bounds(result, rules)


@given(unit_prices, quantities, currencies, conventions())
def test_volume_with_one_tier_equals_per_unit(
    unit_price: Decimal, quantity: Decimal, in_currency: Currency, rules: Conventions
) -> None:
    volume = Volume((Tier(up_to=None, unit_price=unit_price),))
    per_unit = PerUnit(unit_price=unit_price)
    by_volume = charge(volume, quantity, in_currency=in_currency, rules=rules)
    by_unit = charge(per_unit, quantity, in_currency=in_currency, rules=rules)
    assert by_volume.precise_amount == by_unit.precise_amount
    assert by_volume.amount == by_unit.amount


@given(
    bounds_tables(widths=st.integers(min_value=1, max_value=500).map(Decimal)),
    st.data(),
    st.integers(min_value=0, max_value=3000).map(Decimal),
)
def test_block_tiers_of_single_units_equal_graduated_tiers(
    bounds: list[Decimal | None], data: st.DataObject, quantity: Decimal
) -> None:
    prices = [data.draw(unit_prices) for _ in bounds]
    graduated = Graduated(
        tuple(
            Tier(up_to=bound, unit_price=price) for bound, price in zip(bounds, prices, strict=True)
        )
    )
    lower_bounds = [Decimal(0), *(bound for bound in bounds if bound is not None)]
    blocks = BlockTiers(
        tuple(
            BlockTier(
                block_size=Decimal(1),
                max_blocks=None if bound is None else int(bound - lower),
                block_price=price,
            )
            for bound, lower, price in zip(bounds, lower_bounds, prices, strict=True)
        ),
        BlockTierMode.ALL_TIERS,
    )
    usd = currency("USD")
    by_tiers = charge(graduated, quantity, in_currency=usd, rules=TOLLWAY)
    by_blocks = charge(blocks, quantity, in_currency=usd, rules=TOLLWAY)
    assert by_blocks.precise_amount == by_tiers.precise_amount


@given(
    st.decimals(min_value=Decimal("0.5"), max_value=500, places=1),
    st.decimals(min_value=0, max_value=100, places=1),
    quantities,
    st.sampled_from(PackageRounding),
)
def test_packages_cover_the_paid_units_when_rounding_up_and_never_exceed_them_rounding_down(
    size: Decimal, free_units: Decimal, quantity: Decimal, rounding: PackageRounding
) -> None:
    package = Package(package_size=size, package_price=Decimal(1), free_units=free_units)
    rules = TOLLWAY.replace(package_rounding=rounding)
    result = charge(package, quantity, in_currency=currency("USD"), rules=rules)
    packages = result.lines[-1].quantity
    paid_units = max(quantity - free_units, Decimal(0))
    assert packages == packages.to_integral_value() and packages >= 0
    if rounding is PackageRounding.UP:
        assert packages * size >= paid_units > (packages - 1) * size or packages == paid_units == 0
    else:
        assert packages * size <= paid_units < (packages + 1) * size
