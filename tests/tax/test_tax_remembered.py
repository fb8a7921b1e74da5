"""What a `TaxEngine` remembers between lines and bills never changes a tax.

The engine remembers the rules selecting a line (per tax point, customer class, location, service
and charge type) and the taxes of a line taxed by plain rules only (per selection, currency, the
amount, interstate share and minutes as written, and the accounts holding certificates); a bill's
placement remembers where a product, an account chain and a service type are taxed. Each test
taxes two lines that differ in one thing that decides a remembered result, with ONE engine, and
checks that they get different taxes, the same as two fresh engines give them.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from tollway.billing import AppliedBillingRate, ChargeType
from tollway.tax import TaxEngine, parse_tax_account_data
from tollway.tax.core import _engine

from .tax_world import TaxWorld, day, described_taxes, rule, tables

ALLOCATIONS: list[dict[str, Any]] = [
    {"service_type": "sip", "interstate_percent": "64.9"},
    {"service_type": "mpls", "interstate_percent": "5", "private_line": True},
]
RULES: list[dict[str, Any]] = [
    rule("us-usf", "US", "federal_usf", rate_percent="40", rate_cap_percent="36.6",
         service_types=["sip", "mpls"]),
    rule("us-fet", "US", "federal_excise", rate_percent="3", portion="whole",
         service_types=["sip"]),
    rule("pa-sales-q1", "US-PA", "state_sales", rate_percent="6", valid_to="2026-04-15"),
    rule("pa-sales-q2", "US-PA", "state_sales", rate_percent="7", valid_from="2026-04-15"),
    rule("phl-local", "US-PA-PHILADELPHIA", "local_telecom", rate_percent="2",
         charge_types=["recurring"]),
    rule("ny-sales", "US-NY", "state_sales", rate_percent="4"),
    rule("ny-excise", "US-NY", "gross_receipts", rate_percent="2.5", base_taxes=["state_sales"]),
    rule("pa-minutes", "US-PA", "state_usf", "per_minute", amount="0.01", currency="USD",
         charge_types=["usage"]),
    rule("pa-gov", "US-PA", "gov_fee", rate_percent="1", customer_classes=["government"]),
]  # fmt: skip
CERTIFICATES: dict[str, Any] = {
    "exemption_certificates": [
        {"id": "EX-1", "number": "PA-1", "billing_account_id": "EXEMPT",
         "issuing_jurisdiction": "US-PA", "tax_types": ["state_sales"], "levels": ["state"],
         "valid_from": "2026-01-01"},
    ],
    "traffic_studies": [
        {"id": "TS-1", "billing_account_id": "STUDIED", "service_type": "sip",
         "interstate_percent": "10", "valid_from": "2026-01-01"},
    ],
}  # fmt: skip

Bill = tuple[list[AppliedBillingRate], str, date]
"""A bill to tax: its lines, its payer, its date."""
Described = list[list[list[tuple[str, str, str, str, str]]]]
"""Per bill, per line, its taxes (`described_taxes`)."""


def new_engine() -> TaxEngine:
    data = parse_tax_account_data(CERTIFICATES, source="accounts.yaml")
    return TaxEngine(tables(*RULES, allocations=ALLOCATIONS), account_data=data)


@pytest.fixture
def world() -> TaxWorld:
    world = TaxWorld()
    for account_id, customer_class in [
        ("ACME", "business"), ("OTHER", "business"), ("EXEMPT", "business"),
        ("STUDIED", "business"), ("CITY", "government"),
    ]:  # fmt: skip
        world.account(account_id, customer_class=customer_class)
    world.account("YEN", currency_code="JPY")
    world.offering("sip", product_type="sip", usage_unit="min")
    world.offering("sip-yen", product_type="sip", currency_code="JPY")
    world.offering("mpls", product_type="mpls")
    for account_id in ("ACME", "OTHER", "EXEMPT", "STUDIED", "CITY"):
        world.product(f"{account_id}-PHL", account=account_id, offering="sip", site_a="S-PHL")
    world.product("ACME-PHL-2", account="ACME", offering="sip", site_a="S-PHL-2")
    world.product("ACME-PA", account="ACME", offering="sip", site_a="S-PA")
    world.product("ACME-NYC", account="ACME", offering="sip", site_a="S-NYC")
    world.product("ACME-MPLS", account="ACME", offering="mpls", site_a="S-PHL")
    world.product("YEN-PHL", account="YEN", offering="sip-yen", site_a="S-PHL")
    return world


def taxed_alike(world: TaxWorld, bills: list[Bill]) -> Described:
    """The bills' line taxes from one engine, twice over (the second time from what it
    remembers), checked equal to a fresh engine's per bill."""
    shared = new_engine()

    def described(engine: Callable[[], TaxEngine]) -> Described:
        found: Described = []
        for lines, payer, on in bills:
            taxed, _ = world.tax(engine(), lines, on=on, account=payer)
            found.append([described_taxes(line) for line in taxed])
        return found

    once = described(lambda: shared)
    assert described(lambda: shared) == once
    assert described(new_engine) == once
    return once


def test_lines_differing_only_in_how_the_amount_is_written(world: TaxWorld) -> None:
    # 100 and 100.00 are equal numbers, but the taxable amount printed (of the whole) is not.
    lines = [world.line("ACME-PHL", "100.00"), world.line("ACME-PHL", "100")]
    [[first, second]] = taxed_alike(world, [(lines, "ACME", date(2026, 4, 1))])
    assert ("us-fet", "billed", "100.00", "0.03", "3.00") in first
    assert ("us-fet", "billed", "100", "0.03", "3.00") in second


def test_lines_differing_only_in_amount(world: TaxWorld) -> None:
    lines = [world.line("ACME-PHL", "100.00"), world.line("OTHER-PHL", "100.01")]
    [[first], [second]] = taxed_alike(
        world, [(lines[:1], "ACME", date(2026, 4, 1)), (lines[1:], "OTHER", date(2026, 4, 1))]
    )
    assert first != second


def test_lines_differing_only_in_tax_point(world: TaxWorld) -> None:
    # The PA sales tax goes from 6 % to 7 % on April 15: the bill date decides.
    bills: list[Bill] = [
        ([world.line("ACME-PHL", "100.00")], "ACME", date(2026, 4, 14)),
        ([world.line("ACME-PHL", "100.00")], "ACME", date(2026, 4, 15)),
    ]
    [[before], [after]] = taxed_alike(world, bills)
    assert ("pa-sales-q1", "billed", "35.10", "0.06", "2.11") in before
    assert ("pa-sales-q2", "billed", "35.10", "0.07", "2.46") in after


def test_lines_differing_only_in_customer_class(world: TaxWorld) -> None:
    bills: list[Bill] = [
        ([world.line("OTHER-PHL", "100.00")], "OTHER", date(2026, 4, 1)),
        ([world.line("CITY-PHL", "100.00")], "CITY", date(2026, 4, 1)),
    ]
    [[business], [government]] = taxed_alike(world, bills)
    assert {tax[0] for tax in government} - {tax[0] for tax in business} == {"pa-gov"}


@pytest.mark.parametrize(
    ("product", "other"),
    [
        ("ACME-PHL-2", "ACME-NYC"),  # location: Philadelphia or New York City
        ("ACME-PHL-2", "ACME-PA"),  # location: Philadelphia or elsewhere in Pennsylvania
        ("ACME-PHL-2", "ACME-MPLS"),  # service type: sip or mpls (a private line)
    ],
)
def test_lines_differing_only_in_where_and_what_they_are(
    world: TaxWorld, product: str, other: str
) -> None:
    lines = [world.line(product, "100.00"), world.line(other, "100.00")]
    [[first, second]] = taxed_alike(world, [(lines, "ACME", date(2026, 4, 1))])
    assert first != second


def test_lines_differing_only_in_charge_type(world: TaxWorld) -> None:
    # The Philadelphia tax selects recurring charges only.
    lines = [
        world.line("ACME-PHL", "100.00"),
        world.line("ACME-PHL", "100.00", charge_type=ChargeType.ONE_TIME, price_id="sip-mrc"),
    ]
    [[recurring, one_time]] = taxed_alike(world, [(lines, "ACME", date(2026, 4, 1))])
    assert "phl-local" in [tax[0] for tax in recurring]
    assert "phl-local" not in [tax[0] for tax in one_time]


def test_lines_differing_only_in_minutes(world: TaxWorld) -> None:
    period = (day(3, 1), day(4, 1))
    lines = [
        world.line("ACME-PHL", "10.00", charge_type=ChargeType.USAGE, quantity="1000",
                   unit="min", period=period),
        world.line("ACME-PHL", "10.00", charge_type=ChargeType.USAGE, quantity="2000",
                   unit="min", period=period),
    ]  # fmt: skip
    [[fewer, more]] = taxed_alike(world, [(lines, "ACME", date(2026, 4, 1))])
    # 35.1 % of the minutes are intrastate: 351 or 702 minutes at 0.01.
    assert ("pa-minutes", "billed", "3.51", "0.01", "3.51") in fewer
    assert ("pa-minutes", "billed", "3.51", "0.01", "7.02") in more


def test_lines_differing_only_in_interstate_share(world: TaxWorld) -> None:
    # STUDIED's traffic study makes its VoIP 10 % interstate instead of the safe harbour's 64.9 %.
    bills: list[Bill] = [
        ([world.line("OTHER-PHL", "100.00")], "OTHER", date(2026, 4, 1)),
        ([world.line("STUDIED-PHL", "100.00")], "STUDIED", date(2026, 4, 1)),
    ]
    [[safe_harbour], [studied]] = taxed_alike(world, bills)
    assert ("us-usf", "billed", "64.90", "0.366", "23.75") in safe_harbour
    assert ("us-usf", "billed", "10.00", "0.366", "3.66") in studied


def test_lines_differing_only_in_the_certificates_of_their_account(world: TaxWorld) -> None:
    bills: list[Bill] = [
        ([world.line("OTHER-PHL", "100.00")], "OTHER", date(2026, 4, 1)),
        ([world.line("EXEMPT-PHL", "100.00")], "EXEMPT", date(2026, 4, 1)),
    ]
    [[other], [exempt]] = taxed_alike(world, bills)
    assert ("pa-sales-q1", "billed", "35.10", "0.06", "2.11") in other
    assert ("pa-sales-q1", "exempt", "35.10", "0.06", "2.11") in exempt


def test_lines_differing_only_in_currency(world: TaxWorld) -> None:
    # The intrastate part is 35.10 dollars (6 %: 2.106, 2.11), but 35 yen (6 %: 2.1, 2).
    bills: list[Bill] = [
        ([world.line("ACME-PHL", "100")], "ACME", date(2026, 4, 1)),
        ([world.line("YEN-PHL", "100")], "YEN", date(2026, 4, 1)),
    ]
    [[dollars], [yen]] = taxed_alike(world, bills)
    assert ("pa-sales-q1", "billed", "35.10", "0.06", "2.11") in dollars
    assert ("pa-sales-q1", "billed", "35", "0.06", "2") in yen


def test_an_engine_that_forgets_on_every_line_taxes_the_same(
    world: TaxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The caches are emptied when full: with room for one entry, every lookup refills them.
    monkeypatch.setattr(_engine, "selections_max", 1)
    monkeypatch.setattr(_engine, "plain_taxes_max", 1)
    lines = [world.line(product, "100.00") for product in ("ACME-PHL", "ACME-NYC", "ACME-PHL")]
    [[first, new_york, again]] = taxed_alike(world, [(lines, "ACME", date(2026, 4, 1))])
    assert first == again != new_york
