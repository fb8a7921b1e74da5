"""Where a charge is taxed and how much of it is interstate: the USF pass-through and its cap,
private lines (within one state, across two, the 10 % rule), traffic studies, exemption
certificates, and sites in jurisdictions the tables do not know.

The tables: VoIP (sip) is 64.9 % interstate by safe harbour; MPLS is a mixed-use private line
estimated at 5 % interstate, under the 10 % rule. Federal rules tax the interstate part, state and
local rules the intrastate part (the federal excise tax here: the whole charge).
"""

from datetime import date
from typing import Any

import pytest

from tollway.billing import TaxTreatment
from tollway.tax import TaxAccountDataError, TaxEngine, TaxError, parse_tax_account_data

from .tax_world import TaxWorld, day, described_taxes, items, rule, tables

ALLOCATIONS: list[dict[str, Any]] = [
    {"service_type": "sip", "interstate_percent": "64.9"},
    {"service_type": "mpls", "interstate_percent": "5", "private_line": True},
]
USF = rule("us-usf", "US", "federal_usf", rate_percent="40", rate_cap_percent="36.6",
           service_types=["sip", "mpls"])  # fmt: skip
"""A 40 % pass-through, capped at the contribution factor of 36.6 %."""
FET = rule("us-fet", "US", "federal_excise", rate_percent="3", portion="whole",
           service_types=["sip"])  # fmt: skip
PA_SALES = rule("pa-sales", "US-PA", "state_sales", rate_percent="6")
PHILADELPHIA = rule("phl-local", "US-PA-PHILADELPHIA", "local_telecom", rate_percent="2")
NY_SALES = rule("ny-sales", "US-NY", "state_sales", rate_percent="4")


def engine(*rules: dict[str, Any], account_data: dict[str, Any] | None = None) -> TaxEngine:
    data = parse_tax_account_data(account_data or {}, source="accounts.yaml")
    return TaxEngine(tables(*rules, allocations=ALLOCATIONS), account_data=data)


@pytest.fixture
def world() -> TaxWorld:
    found = TaxWorld()
    found.account("ACME")
    found.offering("sip", product_type="sip")
    found.offering("mpls", product_type="mpls")
    found.product("SIP-1", account="ACME", offering="sip")
    return found


def test_the_usf_pass_through_is_capped_at_the_contribution_factor(world: TaxWorld) -> None:
    lines, tax_items = world.tax(
        engine(USF, PA_SALES, PHILADELPHIA), [world.line("SIP-1", "100.00")]
    )

    # Interstate 64.9 % = 64.90: at 40 % that would be 25.96, but the cap is 36.6 % -> 23.7534
    # -> 23.75. Intrastate 35.10: 6 % = 2.106 -> 2.11 and 2 % = 0.702 -> 0.70.
    assert described_taxes(lines[0]) == [
        ("us-usf", "billed", "64.90", "0.366", "23.75"),
        ("pa-sales", "billed", "35.10", "0.06", "2.11"),
        ("phl-local", "billed", "35.10", "0.02", "0.70"),
    ]
    assert lines[0].taxes[0].calculation == "rate_capped"
    assert str(lines[0].tax_amount.amount) == "26.56"
    assert items(tax_items) == [
        ("federal_usf", "0.366", "23.75"),
        ("local_telecom", "0.02", "0.70"),
        ("state_sales", "0.06", "2.11"),
    ]


def test_a_pass_through_below_the_cap_is_billed_at_its_own_rate(world: TaxWorld) -> None:
    below = rule("us-usf", "US", "federal_usf", rate_percent="30", rate_cap_percent="36.6")
    lines, _ = world.tax(engine(below), [world.line("SIP-1", "100.00")])

    # 30 % of 64.90 = 19.47.
    assert described_taxes(lines[0]) == [("us-usf", "billed", "64.90", "0.3", "19.47")]
    assert lines[0].taxes[0].calculation == "rate"


def test_a_private_line_spanning_two_states_is_wholly_interstate(world: TaxWorld) -> None:
    world.product("PL-1", account="ACME", offering="mpls", site_a="S-PHL", site_z="S-NYC")
    lines, _ = world.tax(
        engine(USF, PA_SALES, PHILADELPHIA, NY_SALES), [world.line("PL-1", "1000.00")]
    )

    # Philadelphia to New York: all 1000.00 interstate, USF 36.6 % = 366.00; no intrastate part,
    # so neither state's nor the city's taxes apply.
    assert described_taxes(lines[0]) == [("us-usf", "billed", "1000.00", "0.366", "366.00")]


def test_a_private_line_within_one_state_follows_the_ten_percent_rule(world: TaxWorld) -> None:
    world.product("PL-2", account="ACME", offering="mpls", site_a="S-PHL", site_z="S-PA")
    lines, _ = world.tax(engine(USF, PA_SALES, PHILADELPHIA), [world.line("PL-2", "1000.00")])

    # Estimated 5 % interstate: not more than 10 %, so wholly intrastate, taxed at site A.
    assert described_taxes(lines[0]) == [
        ("pa-sales", "billed", "1000.00", "0.06", "60.00"),
        ("phl-local", "billed", "1000.00", "0.02", "20.00"),
    ]


@pytest.mark.parametrize(
    ("interstate_percent", "expected"),
    [
        ("15", [("us-usf", "billed", "1000.00", "0.366", "366.00")]),
        (
            "10",
            [
                ("pa-sales", "billed", "1000.00", "0.06", "60.00"),
                ("phl-local", "billed", "1000.00", "0.02", "20.00"),
            ],
        ),
    ],
)
def test_a_traffic_study_decides_a_private_line_under_the_ten_percent_rule(
    world: TaxWorld, interstate_percent: str, expected: list[tuple[str, ...]]
) -> None:
    world.account("BRANCH", parent="ACME", pays_own_bill=False)
    world.product("PL-3", account="BRANCH", offering="mpls", site_a="S-PHL")
    study = {"id": "TS-1", "billing_account_id": "ACME", "service_type": "mpls",
             "interstate_percent": interstate_percent, "valid_from": "2026-01-01"}  # fmt: skip
    taxes = engine(USF, PA_SALES, PHILADELPHIA, account_data={"traffic_studies": [study]})

    lines, _ = world.tax(taxes, [world.line("PL-3", "1000.00")], account="ACME")

    # The study of ACME covers its branch. 15 % is more than 10 %: wholly interstate. Exactly
    # 10 % is not: wholly intrastate.
    assert described_taxes(lines[0]) == expected


def test_a_traffic_study_replaces_the_safe_harbour_while_it_is_valid(world: TaxWorld) -> None:
    study = {"id": "TS-1", "billing_account_id": "ACME", "service_type": "sip",
             "interstate_percent": "80", "valid_from": "2026-01-01",
             "valid_to": "2026-05-01"}  # fmt: skip
    taxes = engine(USF, PA_SALES, account_data={"traffic_studies": [study]})

    during, _ = world.tax(taxes, [world.line("SIP-1", "100.00")], on=date(2026, 4, 1))
    after, _ = world.tax(taxes, [world.line("SIP-1", "100.00")], on=date(2026, 5, 1))

    # 80 % interstate: USF 36.6 % of 80.00 = 29.28; sales 6 % of 20.00 = 1.20. From May 1 the
    # study has ended: the 64.9 % safe harbour again.
    assert described_taxes(during[0]) == [
        ("us-usf", "billed", "80.00", "0.366", "29.28"),
        ("pa-sales", "billed", "20.00", "0.06", "1.20"),
    ]
    assert described_taxes(after[0]) == [
        ("us-usf", "billed", "64.90", "0.366", "23.75"),
        ("pa-sales", "billed", "35.10", "0.06", "2.11"),
    ]


GOVERNMENT_CERTIFICATE = {
    "id": "EX-1",
    "number": "US-4253I-0007",
    "billing_account_id": "GOV",
    "issuing_jurisdiction": "US",
    "tax_types": ["federal_excise"],
    "levels": ["federal"],
    "valid_from": "2026-01-01",
    "valid_to": "2026-07-01",
}
"""Exempts GOV from the federal excise tax until June 30 (it stops applying on July 1)."""


@pytest.fixture
def government() -> TaxWorld:
    world = TaxWorld()
    world.account("GOV", customer_class="government")
    world.account("GOV-BRANCH", parent="GOV", pays_own_bill=False)
    world.offering("sip", product_type="sip")
    world.product("GOV-1", account="GOV", offering="sip", site_a="S-PA")
    world.product("GOV-2", account="GOV-BRANCH", offering="sip", site_a="S-PA")
    return world


@pytest.mark.parametrize("bill_date", [date(2026, 6, 1), date(2026, 6, 30)])
def test_a_government_certificate_exempts_the_excise_tax_while_valid(
    government: TaxWorld, bill_date: date
) -> None:
    taxes = engine(FET, PA_SALES, account_data={"exemption_certificates": [GOVERNMENT_CERTIFICATE]})
    lines, tax_items = government.tax(
        taxes, [government.line("GOV-1", "100.00"), government.line("GOV-2", "100.00")],
        on=bill_date,
    )  # fmt: skip

    # The excise tax (3 % of 100.00 = 3.00) is exempted and shown as such; the sales tax is not
    # covered: 6 % of the intrastate 35.10 = 2.11. The branch rolls up and is covered too.
    for line in lines:
        assert described_taxes(line) == [
            ("us-fet", "exempt", "100.00", "0.03", "3.00"),
            ("pa-sales", "billed", "35.10", "0.06", "2.11"),
        ]
        assert line.taxes[0].exemption_certificate_id == "EX-1"
        assert str(line.tax_amount.amount) == "2.11"
    assert items(tax_items) == [("state_sales", "0.06", "4.22")]


def test_the_certificate_stops_applying_on_its_end_date(government: TaxWorld) -> None:
    taxes = engine(FET, PA_SALES, account_data={"exemption_certificates": [GOVERNMENT_CERTIFICATE]})
    lines, tax_items = government.tax(
        taxes, [government.line("GOV-1", "100.00")], on=date(2026, 7, 1)
    )

    assert described_taxes(lines[0]) == [
        ("us-fet", "billed", "100.00", "0.03", "3.00"),
        ("pa-sales", "billed", "35.10", "0.06", "2.11"),
    ]
    assert items(tax_items) == [("federal_excise", "0.03", "3.00"), ("state_sales", "0.06", "2.11")]


def test_the_exemption_shows_on_the_computed_invoice() -> None:
    world = TaxWorld()
    world.account("GOV", customer_class="government")
    world.offering("sip", product_type="sip")
    world.product("GOV-1", account="GOV", offering="sip", site_a="S-PA", activated=day(6, 1))
    taxes = engine(FET, PA_SALES, account_data={"exemption_certificates": [GOVERNMENT_CERTIFICATE]})

    bill = world.only_bill(taxes, date(2026, 6, 1))

    # June in advance: 100.00, sales 2.11 billed, excise 3.00 exempt.
    assert [described_taxes(line) for line in bill.lines] == [
        [
            ("us-fet", "exempt", "100.00", "0.03", "3.00"),
            ("pa-sales", "billed", "35.10", "0.06", "2.11"),
        ]
    ]
    assert str(bill.amount_due) == "102.11 USD"


def test_a_certificate_covers_only_its_jurisdiction_tax_types_and_levels(
    government: TaxWorld,
) -> None:
    elsewhere = {**GOVERNMENT_CERTIFICATE, "id": "EX-NY", "issuing_jurisdiction": "US-NY",
                 "tax_types": ["state_sales"], "levels": ["state"], "valid_to": None}  # fmt: skip
    wrong_level = {**GOVERNMENT_CERTIFICATE, "id": "EX-CITY", "issuing_jurisdiction": "US-PA",
                   "tax_types": ["state_sales"], "levels": ["city"], "valid_to": None}  # fmt: skip
    taxes = engine(PA_SALES, account_data={"exemption_certificates": [elsewhere, wrong_level]})

    lines, _ = government.tax(taxes, [government.line("GOV-1", "100.00")])

    assert described_taxes(lines[0]) == [("pa-sales", "billed", "35.10", "0.06", "2.11")]


def test_an_exempted_tax_is_not_part_of_a_tax_on_tax_base() -> None:
    world = TaxWorld()
    world.account("GOV", customer_class="government")
    world.offering("sdwan", product_type="sdwan")
    world.product("GOV-1", account="GOV", offering="sdwan", site_a="S-NYC")
    certificate = {**GOVERNMENT_CERTIFICATE, "issuing_jurisdiction": "US-NY",
                   "tax_types": ["state_sales"], "levels": ["state"]}  # fmt: skip
    excise = rule("ny-excise", "US-NY", "gross_receipts", rate_percent="2.5",
                  base_taxes=["state_sales"])  # fmt: skip
    taxes = engine(NY_SALES, excise, account_data={"exemption_certificates": [certificate]})

    lines, _ = world.tax(taxes, [world.line("GOV-1", "100.00")])

    # The sales tax (4.00) is exempted, so the excise base is the charge alone: 2.5 % = 2.50.
    assert described_taxes(lines[0]) == [
        ("ny-sales", "exempt", "100.00", "0.04", "4.00"),
        ("ny-excise", "billed", "100.00", "0.025", "2.50"),
    ]
    assert lines[0].taxes[0].treatment is TaxTreatment.EXEMPT


def test_a_certificate_of_an_unknown_jurisdiction_is_refused_with_the_engine() -> None:
    certificate = {**GOVERNMENT_CERTIFICATE, "issuing_jurisdiction": "US-ZZ"}

    with pytest.raises(TaxAccountDataError) as error:
        engine(FET, account_data={"exemption_certificates": [certificate]})
    assert error.value.message == (
        "accounts.yaml: exemption_certificates[0].issuing_jurisdiction: unknown jurisdiction "
        "'US-ZZ' (not in test.yaml)"
    )


def test_a_site_in_an_unknown_jurisdiction_is_refused_naming_the_site(world: TaxWorld) -> None:
    world.sites["S-ZZ"] = world.sites["S-PHL"].__class__(
        "S-ZZ", "p", "Nowhere", "US", "ZZ", "", "", "US-ZZ"
    )
    world.product("ZZ-1", account="ACME", offering="sip", site_a="S-ZZ")

    with pytest.raises(TaxError) as error:
        world.tax(engine(PA_SALES), [world.line("ZZ-1", "100.00")])
    assert error.value.message == (
        "site 'S-ZZ' (site A of product 'ZZ-1', circuit CKT-ZZ-1) is in jurisdiction 'US-ZZ', "
        "which the tax tables test.yaml do not list"
    )


def test_a_z_site_missing_from_the_inputs_is_refused(world: TaxWorld) -> None:
    world.product("PL-9", account="ACME", offering="mpls", site_z="S-GONE")

    with pytest.raises(TaxError, match=r"site 'S-GONE' \(site Z of product 'PL-9'"):
        world.tax(engine(PA_SALES), [world.line("PL-9", "100.00")])


def test_a_product_whose_site_is_not_in_the_inputs_is_taxed_at_its_own_jurisdiction(
    world: TaxWorld,
) -> None:
    world.product("ELSEWHERE", account="ACME", offering="sip", site_a="S-UNLISTED")

    lines, _ = world.tax(engine(PA_SALES), [world.line("ELSEWHERE", "100.00")])

    # The product's own jurisdiction (US-PA in this world): 6 % of the intrastate 35.10.
    assert described_taxes(lines[0]) == [("pa-sales", "billed", "35.10", "0.06", "2.11")]
