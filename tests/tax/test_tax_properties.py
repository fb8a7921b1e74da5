"""Invariants of the engine over random tables and lines: tax items are the billed line taxes,
tax-inclusive prices split exactly, credits mirror charges, the order of the rows in the file
does not matter, and the same inputs give the same taxes."""

import random
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tollway.billing import AppliedBillingRate
from tollway.money import Money
from tollway.tax import TaxEngine

from .tax_world import TaxWorld, rule, tables

RATES = st.decimals(min_value=0, max_value=30, places=3)
MODES = st.sampled_from(["half_up", "half_even", "up", "down"])
AMOUNTS_MINOR = st.integers(min_value=-(10**9), max_value=10**9)


@st.composite
def rule_sets(draw: st.DrawFn, *, with_fees: bool = True) -> tuple[list[dict[str, Any]], str]:
    """Rate rules at three levels with a tax on tax and a capped pass-through, perhaps a per-line
    fee; and the interstate percentage of VoIP."""
    usf_rate, usf_cap = draw(RATES), draw(RATES)
    rules = [
        rule("us-usf", "US", "federal_usf", rate_percent=str(usf_rate),
             rate_cap_percent=str(usf_cap), rounding=draw(MODES)),
        rule("pa-sales", "US-PA", "state_sales", rate_percent=str(draw(RATES)),
             rounding=draw(MODES)),
        rule("pa-grt", "US-PA", "gross_receipts", rate_percent=str(draw(RATES)),
             base_taxes=["state_sales"], treatment=draw(st.sampled_from(
                 ["billed", "compliance_only", "carrier_absorbed"]))),
        rule("phl-local", "US-PA-PHILADELPHIA", "local_telecom", "tiered",
             tiers=[{"up_to": "100", "rate_percent": str(draw(RATES))},
                    {"up_to": None, "rate_percent": str(draw(RATES))}]),
    ]  # fmt: skip
    if with_fees and draw(st.booleans()):
        rules.append(
            rule("pa-911", "US-PA", "e911", "per_line", currency="USD", charge_types=["recurring"],
                 amount=str(draw(st.decimals(min_value=0, max_value=5, places=2))),
                 line_units=[{"voice_line_type": "pri", "channels_per_group": 23,
                              "units_per_group": "5"}])
        )  # fmt: skip
    percent = draw(st.decimals(min_value=0, max_value=100, places=2))
    return rules, str(percent)


def _world(*, channels: int = 0, tax_inclusive: bool = False) -> TaxWorld:
    world = TaxWorld()
    world.account("ACME")
    world.offering("sip", product_type="sip", tax_inclusive=tax_inclusive)
    world.product("SIP-1", account="ACME", offering="sip", voice_channels=channels,
                  voice_line_type="pri")  # fmt: skip
    return world


def _engine(rules: list[dict[str, Any]], percent: str) -> TaxEngine:
    return TaxEngine(tables(*rules, allocations=[{"service_type": "sip",
                                                  "interstate_percent": percent}]))  # fmt: skip


def _amount(amount_minor: int) -> str:
    return str(Money.from_minor(amount_minor, "USD").amount)


def _billed_signs(line: AppliedBillingRate) -> set[int]:
    return {(tax.tax_amount.amount > 0) - (tax.tax_amount.amount < 0) for tax in line.taxes}


@given(rule_sets(), st.lists(AMOUNTS_MINOR, min_size=1, max_size=6), st.integers(0, 60))
def test_tax_items_are_the_billed_line_taxes(
    drawn: tuple[list[dict[str, Any]], str], amounts_minor: list[int], channels: int
) -> None:
    world = _world(channels=channels)
    lines, found = world.tax(
        _engine(*drawn), [world.line("SIP-1", _amount(amount)) for amount in amounts_minor]
    )

    billed = sum((line.tax_amount.amount for line in lines), Decimal(0))
    assert sum((item.tax_amount.amount for item in found), Decimal(0)) == billed
    assert [(item.tax_category, item.tax_rate) for item in found] == sorted(
        {(tax.tax_category, tax.tax_rate) for line in lines for tax in line.taxes if tax.is_billed}
    )
    assert all(tax.tax_amount.is_rounded and tax.rule_id for line in lines for tax in line.taxes)


@given(rule_sets(), AMOUNTS_MINOR, st.integers(0, 60))
def test_an_inclusive_price_splits_exactly_into_net_and_taxes(
    drawn: tuple[list[dict[str, Any]], str], priced_minor: int, channels: int
) -> None:
    world = _world(channels=channels, tax_inclusive=True)
    priced = world.line("SIP-1", _amount(priced_minor))
    (line,), _ = world.tax(_engine(*drawn), [priced])

    assert line.tax_inclusive
    assert line.amount + line.tax_amount == priced.amount
    sign = (priced_minor > 0) - (priced_minor < 0)
    assert {sign, 0} >= _billed_signs(line)
    assert line.amount.amount * sign >= 0


@given(rule_sets(with_fees=False), st.integers(min_value=1, max_value=10**9))
def test_a_credit_mirrors_the_charge_and_no_tax_of_a_charge_is_negative(
    drawn: tuple[list[dict[str, Any]], str], amount_minor: int
) -> None:
    world = _world()
    lines, _ = world.tax(
        _engine(*drawn),
        [world.line("SIP-1", _amount(amount_minor)), world.line("SIP-1", _amount(-amount_minor))],
    )
    charge, credit = lines

    assert all(tax.tax_amount.amount >= 0 for tax in charge.taxes)
    assert [(tax.rule_id, -tax.tax_amount) for tax in charge.taxes] == [
        (tax.rule_id, tax.tax_amount) for tax in credit.taxes
    ]


@given(rule_sets(), st.lists(AMOUNTS_MINOR, min_size=1, max_size=4), st.randoms())
def test_the_order_of_rows_does_not_change_the_taxes(
    drawn: tuple[list[dict[str, Any]], str], amounts_minor: list[int], shuffler: random.Random
) -> None:
    rules, percent = drawn
    shuffled = list(rules)
    shuffler.shuffle(shuffled)
    world = _world(channels=23)
    lines = [world.line("SIP-1", _amount(amount)) for amount in amounts_minor]

    assert world.tax(_engine(rules, percent), lines) == world.tax(_engine(shuffled, percent), lines)


@given(
    st.decimals(min_value=0, max_value=100, places=3),
    st.lists(AMOUNTS_MINOR, min_size=1, max_size=6),
    st.integers(min_value=0, max_value=10**7),
    st.randoms(),
)
def test_an_invoice_cap_bounds_the_net_tax_of_the_bill_in_any_order(
    rate: Decimal, amounts_minor: list[int], cap_minor: int, shuffler: random.Random
) -> None:
    cap = _amount(cap_minor)
    capped = rule("pa-capped", "US-PA", "state_sales", rate_percent=str(rate),
                  cap_per_invoice=cap, currency="USD")  # fmt: skip
    world = _world()
    lines = [world.line("SIP-1", _amount(amount)) for amount in amounts_minor]
    shuffled = list(lines)
    shuffler.shuffle(shuffled)
    uncapped, _ = world.tax(_engine([rule("pa", "US-PA", "state_sales", rate_percent=str(rate))],
                                    "0"), lines)  # fmt: skip

    def net(taxed: tuple[AppliedBillingRate, ...]) -> Decimal:
        return sum((line.tax_amount.amount for line in taxed), Decimal(0))

    in_order, _ = world.tax(_engine([capped], "0"), lines)
    reordered, _ = world.tax(_engine([capped], "0"), shuffled)

    # The capped net total is the uncapped one, or the cap when that is less, in any order; no
    # line's tax grows and no credit's tax shrinks.
    assert net(in_order) == net(reordered) == min(net(uncapped), Decimal(cap))
    for before, after in zip(uncapped, in_order, strict=True):
        assert abs(after.tax_amount.amount) <= abs(before.tax_amount.amount)
        assert after.tax_amount.amount < 0 or before.tax_amount.amount >= 0


@given(rule_sets(), AMOUNTS_MINOR)
def test_the_interstate_and_intrastate_parts_add_up_to_the_charge(
    drawn: tuple[list[dict[str, Any]], str], amount_minor: int
) -> None:
    world = _world()
    (line,), _ = world.tax(_engine(*drawn), [world.line("SIP-1", _amount(amount_minor))])

    # us-usf taxes the interstate part, phl-local (a tiered tax, no base taxes) the rest; a rule
    # is left off the line when its part is zero.
    parts = {tax.rule_id: tax.taxable_amount.amount for tax in line.taxes}
    interstate, intrastate = parts.get("us-usf", Decimal(0)), parts.get("phl-local", Decimal(0))
    assert interstate + intrastate == line.amount.amount
