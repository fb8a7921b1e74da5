"""Corrections on a later bill: re-rating adjustments and credits for unused prepaid time.

An adjustment (a line naming the issued bill it corrects, `related_bill_no`) is taxed as the line
it corrects: selected by the charge type it corrects, and at the tax point of the bill it
corrects, which was dated at the end of the period the adjustment covers (its `period_end`, a
local date of the account). A credit for unused prepaid time is taxed as the recurring charge it
gives back. Circuits are SIP trunks at S-PA (wholly intrastate in these tables).
"""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tollway.billing import (
    TAX_INCLUSIVE_DISCOUNT_KIND,
    AppliedBillingRate,
    ChargeType,
    rerate_adjustments,
)
from tollway.inventory import LifecycleAction, LifecycleEvent
from tollway.money import Money
from tollway.pricing import BreakdownLine
from tollway.tax import TaxEngine, parse_tax_account_data
from tollway.tax.core._place import is_tax_inclusive

from .tax_world import TaxWorld, day, described_taxes, items, rule, tables

MAY = (day(5, 1), day(6, 1))
"""May's usage, billed in arrears on the bill of June 1."""


@pytest.fixture
def world() -> TaxWorld:
    found = TaxWorld()
    found.account("ACME")
    found.account("GOV", customer_class="government")
    found.offering("trunk", product_type="sip", usage_unit="min")
    found.product("P", account="ACME", offering="trunk", site_a="S-PA")
    found.product("G", account="GOV", offering="trunk", site_a="S-PA")
    return found


def _usage(world: TaxWorld, product: str, amount: str, minutes: str) -> AppliedBillingRate:
    return world.line(product, amount, charge_type=ChargeType.USAGE, quantity=minutes, unit="min",
                      period=MAY)  # fmt: skip


def _adjustment(
    world: TaxWorld, product: str, *, issued: tuple[str, str], corrected: tuple[str, str]
) -> AppliedBillingRate:
    """The adjustment of May's usage of `product` from `issued` to `corrected` (amount, minutes),
    correcting bill INV-0601."""
    (adjustment,) = rerate_adjustments(
        [_usage(world, product, *issued)],
        [_usage(world, product, *corrected)],
        related_bill_no="INV-0601",
    )
    return adjustment


def test_an_adjustment_is_selected_by_the_charge_type_it_corrects(world: TaxWorld) -> None:
    usage_only = rule("pa-usage", "US-PA", "state_sales", rate_percent="6", charge_types=["usage"])
    engine = TaxEngine(tables(usage_only))
    adjustment = _adjustment(world, "P", issued=("100.00", "10000"), corrected=("50.00", "5000"))

    (taxed,), tax_items = world.tax(engine, [adjustment], on=date(2026, 7, 1))

    # The issued 100.00 of usage carried 6.00 of the usage-only tax; re-rated to 50.00 it carries
    # 3.00: the -50.00 adjustment gives back 6 % of 50.00 = -3.00.
    assert (taxed.charge_type, str(taxed.amount.amount)) == (ChargeType.ADJUSTMENT, "-50.00")
    assert described_taxes(taxed) == [("pa-usage", "billed", "-50.00", "0.06", "-3.00")]
    assert items(tax_items) == [("state_sales", "0.06", "-3.00")]


def test_an_adjustment_escapes_no_per_minute_fee_of_the_usage_it_corrects(
    world: TaxWorld,
) -> None:
    per_minute = rule("pa-minutes", "US-PA", "state_usf", "per_minute", amount="0.01",
                      currency="USD", charge_types=["usage"])  # fmt: skip
    adjustment = _adjustment(world, "P", issued=("100.00", "10000"), corrected=("50.00", "5000"))

    (taxed,), _ = world.tax(TaxEngine(tables(per_minute)), [adjustment], on=date(2026, 7, 1))

    # 5000 minutes fewer: 5000 x 0.01 = 50.00 given back.
    assert described_taxes(taxed) == [("pa-minutes", "billed", "-50.00", "0.01", "-50.00")]
    assert taxed.taxes[0].units == Decimal(-5000)


GOVERNMENT_EXCISE = {
    "id": "EX-1",
    "number": "US-4253I-0007",
    "billing_account_id": "GOV",
    "issuing_jurisdiction": "US",
    "tax_types": ["federal_excise"],
    "levels": ["federal"],
    "valid_from": "2026-01-01",
    "valid_to": "2026-06-15",
}
"""Exempts GOV from the federal excise tax on the bills dated up to June 14."""
FET = rule("us-fet", "US", "federal_excise", rate_percent="3", portion="whole")


def test_an_adjustment_is_taxed_at_the_tax_point_of_the_bill_it_corrects(world: TaxWorld) -> None:
    data = parse_tax_account_data({"exemption_certificates": [GOVERNMENT_EXCISE]}, source="acc")
    engine = TaxEngine(tables(FET), account_data=data)
    adjustment = _adjustment(world, "G", issued=("100.00", "10000"), corrected=("50.00", "5000"))

    # May's usage was billed on June 1, while the certificate held: its 3.00 of excise tax was
    # exempted, not billed. The July bill, after the certificate ended, corrects it by -50.00:
    # taxed at the tax point of June 1, the correction is exempt too (-1.50 exempted), instead of
    # refunding 1.50 of a tax never charged.
    (june,), _ = world.tax(engine, [_usage(world, "G", "100.00", "10000")], on=date(2026, 6, 1))
    (taxed,), tax_items = world.tax(engine, [adjustment], on=date(2026, 7, 1))

    assert described_taxes(june) == [("us-fet", "exempt", "100.00", "0.03", "3.00")]
    assert described_taxes(taxed) == [("us-fet", "exempt", "-50.00", "0.03", "-1.50")]
    assert taxed.taxes[0].exemption_certificate_id == "EX-1"
    assert (taxed.tax_amount.is_zero, tax_items) == (True, ())


def test_an_adjustment_is_taxed_with_the_rates_of_the_bill_it_corrects(world: TaxWorld) -> None:
    engine = TaxEngine(
        tables(
            rule("pa-6", "US-PA", "state_sales", rate_percent="6", valid_to="2026-06-15"),
            rule("pa-7", "US-PA", "state_sales", rate_percent="7", valid_from="2026-06-15"),
        )
    )
    adjustment = _adjustment(world, "P", issued=("100.00", "10000"), corrected=("50.00", "5000"))
    later_usage = world.line("P", "20.00", charge_type=ChargeType.USAGE, quantity="2000",
                             unit="min", period=(day(6, 1), day(7, 1)))  # fmt: skip

    lines, _ = world.tax(engine, [adjustment, later_usage], on=date(2026, 7, 1))

    # The adjustment of May (billed June 1 at 6 %): 6 % of -50.00 = -3.00. June's usage, billed on
    # this bill of July 1: 7 % of 20.00 = 1.40.
    assert [described_taxes(line) for line in lines] == [
        [("pa-6", "billed", "-50.00", "0.06", "-3.00")],
        [("pa-7", "billed", "20.00", "0.07", "1.40")],
    ]


TOKYO_RATES = (
    rule("jp-8", "JP-13", "consumption", rate_percent="8", valid_to="2026-07-01"),
    rule("jp-10", "JP-13", "consumption", rate_percent="10", valid_from="2026-07-01",
         valid_to="2026-08-01"),
    rule("jp-12", "JP-13", "consumption", rate_percent="12", valid_from="2026-08-01"),
)  # fmt: skip
"""A consumption tax of 8 % to June 30, 10 % in July, 12 % from August 1."""


def test_the_tax_point_of_an_adjustment_is_a_local_date_of_its_account() -> None:
    world = TaxWorld()
    world.account("TOKYO", currency_code="JPY", time_zone="Asia/Tokyo")
    world.offering("trunk", product_type="sip", usage_unit="min", currency_code="JPY")
    world.product("T", account="TOKYO", offering="trunk", site_a="S-TOKYO")
    engine = TaxEngine(tables(*TOKYO_RATES))
    tokyo = ZoneInfo("Asia/Tokyo")
    june = (datetime(2026, 6, 1, tzinfo=tokyo), datetime(2026, 7, 1, tzinfo=tokyo))
    usage = [
        world.line("T", amount, charge_type=ChargeType.USAGE, quantity=minutes, unit="min",
                   period=june)
        for amount, minutes in (("1000", "100"), ("500", "50"))
    ]  # fmt: skip
    (adjustment,) = rerate_adjustments(usage[:1], usage[1:], related_bill_no="INV-0701")

    (taxed,), _ = world.tax(engine, [adjustment], on=date(2026, 8, 1))

    # June (Tokyo) ends at 2026-07-01 00:00 in Tokyo, 2026-06-30 15:00 UTC: the bill it corrects
    # was dated July 1 (local), at 10 % (not June 30's 8 %, nor this bill's 12 %).
    # 10 % of -500 yen = -50 yen.
    assert described_taxes(taxed) == [("jp-10", "billed", "-500", "0.1", "-50")]


def test_a_credit_for_unused_time_is_taxed_as_the_recurring_charge_it_gives_back() -> None:
    world = TaxWorld()
    world.account("ACME")
    world.offering("trunk", product_type="sip", mrc="3100.00")
    world.product("P", account="ACME", offering="trunk", site_a="S-PA", activated=day(3, 1))
    engine = TaxEngine(
        tables(rule("pa-monthly", "US-PA", "state_sales", rate_percent="6",
                    charge_types=["recurring"]))
    )  # fmt: skip
    march = world.only_bill(engine, date(2026, 3, 1))
    disconnected = LifecycleEvent(day(3, 21), LifecycleAction.DISCONNECT)
    world.products["P"] = replace(
        world.products["P"], events=(*world.products["P"].events, disconnected)
    )

    april = world.only_bill(engine, date(2026, 4, 1), previously_billed=march.lines)

    # March in advance: 3100.00, 6 % = 186.00. Disconnected on March 21: the 11 unused days,
    # -11/31 x 3100.00 = -1100.00, come back with their tax, 6 % = -66.00.
    assert [described_taxes(line) for line in march.lines] == [
        [("pa-monthly", "billed", "3100.00", "0.06", "186.00")]
    ]
    assert [(line.charge_type.value, str(line.amount.amount)) for line in april.lines] == [
        ("credit", "-1100.00")
    ]
    assert described_taxes(april.lines[0]) == [
        ("pa-monthly", "billed", "-1100.00", "0.06", "-66.00")
    ]


def test_a_correction_of_a_tax_inclusive_discount_is_split_like_the_discount() -> None:
    march = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    corrects = BreakdownLine("adjusts_discount", "was -10.00, should be -20.00", Decimal(1), None,
                             Decimal(-10))  # fmt: skip
    mark = BreakdownLine(TAX_INCLUSIVE_DISCOUNT_KIND, "mark", Decimal(0), None, Decimal(0))
    marked = AppliedBillingRate(
        "adj-1", "ACME", ChargeType.ADJUSTMENT, "Adjustment: Bundle discount", *march,
        Decimal(0), Money.of("-10.00", "USD"), Decimal("-10.00"), breakdown=(corrects, mark),
    )  # fmt: skip

    assert is_tax_inclusive(marked, None)
    assert not is_tax_inclusive(replace(marked, breakdown=(corrects,)), None)
