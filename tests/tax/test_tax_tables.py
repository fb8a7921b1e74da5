"""Reading rate tables and account tax data: what is accepted, and bad tables refused with
messages that name the file and the rows."""

from pathlib import Path
from typing import Any

import pytest

from tollway.io import DocumentError
from tollway.tax import (
    JurisdictionLevel,
    TaxAccountDataError,
    TaxEngine,
    TaxTableError,
    demo_tax_account_data_path,
    demo_tax_tables_path,
    load_tax_account_data,
    load_tax_tables,
    parse_tax_account_data,
    parse_tax_tables,
)

from .tax_world import JURISDICTIONS, rule, tables, tables_document


def problems(*rules: dict[str, Any], **document: Any) -> tuple[str, ...]:
    with pytest.raises(TaxTableError) as error:
        parse_tax_tables({**tables_document(*rules), **document}, source="test.yaml")
    assert error.value.code == "invalid_tax_tables"
    found: tuple[str, ...] = error.value.problems
    assert error.value.message == "\n".join(found)
    return found


def test_rows_of_one_key_in_force_on_the_same_day_are_refused() -> None:
    found = problems(
        rule("pa-sales-a", "US-PA", "state_sales", rate_percent="6", service_types=["sip"],
             customer_classes=["business"]),
        rule("pa-911", "US-PA", "e911", "per_line", amount="1.65", currency="USD"),
        rule("pa-sales-b", "US-PA", "state_sales", rate_percent="7",
             service_types=["mpls", "sip"], valid_from="2026-06-01"),
    )  # fmt: skip

    assert found == (
        "test.yaml: rules[0] and rules[2] overlap for (US-PA, state_sales, sip, business, any, "
        "any): 2026-01-01..open and 2026-06-01..open",
    )


def test_rows_of_one_tax_that_cannot_meet_on_a_line_are_accepted() -> None:
    found = tables(
        # One after the other: the first ends the day the second starts.
        rule("pa-6", "US-PA", "state_sales", rate_percent="6", valid_to="2026-06-01"),
        rule("pa-7", "US-PA", "state_sales", rate_percent="7", valid_from="2026-06-01"),
        # The same days, but for other services, customer classes or charge types.
        rule("ny-voice", "US-NY", "state_sales", rate_percent="4", service_types=["sip"]),
        rule("ny-data", "US-NY", "state_sales", rate_percent="3", service_types=["mpls"]),
        rule("de-business", "US-DE", "e911", rate_percent="1", customer_classes=["business"]),
        rule("de-government", "US-DE", "e911", rate_percent="0.5",
             customer_classes=["government"]),
        rule("de-usage", "US-DE", "state_usf", rate_percent="1", charge_types=["usage"]),
        rule("de-monthly", "US-DE", "state_usf", rate_percent="2", charge_types=["recurring"]),
    )  # fmt: skip

    assert len(found.rules) == 8


def test_a_wholesale_row_and_a_retail_row_cannot_meet_on_a_line() -> None:
    # A wholesale customer always buys for resale, so no line is both of a wholesale customer and
    # a retail sale: the rows are accepted.
    found = tables(
        rule("pa-wholesale", "US-PA", "state_sales", rate_percent="1",
             customer_classes=["wholesale"]),
        rule("pa-retail", "US-PA", "state_sales", rate_percent="6", sale_types=["retail"]),
    )  # fmt: skip

    assert [rule.id for rule in found.rules] == ["pa-retail", "pa-wholesale"]


def test_a_wholesale_row_and_a_resale_row_overlap() -> None:
    found = problems(
        rule("pa-wholesale", "US-PA", "state_sales", rate_percent="1",
             customer_classes=["wholesale", "business"]),
        rule("pa-resale", "US-PA", "state_sales", rate_percent="2", sale_types=["resale"]),
    )  # fmt: skip

    # Only a wholesale customer's lines are sales for resale: that is where the rows meet.
    assert found == (
        "test.yaml: rules[0] and rules[1] overlap for (US-PA, state_sales, any, wholesale, "
        "resale, any): 2026-01-01..open and 2026-01-01..open",
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"cap_per_line": "0.125", "currency": "USD"},
         "rules[0].cap_per_line: 0.125 has more decimals than USD's 2"),
        ({"cap_per_invoice": "10.5", "currency": "JPY"},
         "rules[0].cap_per_invoice: 10.5 has more decimals than JPY's 0"),
    ],
)  # fmt: skip
def test_a_cap_finer_than_the_currency_is_refused(fields: dict[str, str], expected: str) -> None:
    found = problems(rule("pa", "US-PA", "state_sales", rate_percent="6", **fields))

    assert found == (f"test.yaml: {expected}",)


def test_a_fixed_amount_finer_than_the_currency_is_refused() -> None:
    found = problems(
        rule("fee", "US-PA", "invoice_fee", "fixed_per_invoice", amount="1.005", currency="USD"),
        rule("brackets", "US-PA", "license_fee", "bracket", currency="USD",
             brackets=[{"up_to": "50", "amount": "1.001"}, {"up_to": None, "amount": "2.50"}]),
        # Per-line and per-minute amounts are rates per unit: their tax is rounded at the line.
        rule("minutes", "US-PA", "minutes_fee", "per_minute", amount="0.0025", currency="USD"),
    )  # fmt: skip

    assert found == (
        "test.yaml: rules[0].amount: 1.005 has more decimals than USD's 2",
        "test.yaml: rules[1].brackets[0].amount: 1.001 has more decimals than USD's 2",
    )


def test_a_tax_on_tax_cycle_is_refused_naming_the_rows() -> None:
    found = problems(
        rule("sales", "US-PA", "state_sales", rate_percent="6", base_taxes=["gross_receipts"]),
        rule("grt", "US-PA", "gross_receipts", rate_percent="5", base_taxes=["state_sales"]),
    )

    assert found == (
        "test.yaml: rules: tax-on-tax cycle: gross_receipts -> state_sales -> gross_receipts "
        "(rules[1], rules[0])",
    )


def test_a_tax_in_its_own_base_is_a_cycle() -> None:
    found = problems(rule("grt", "US-PA", "gross_receipts", rate_percent="5",
                          base_taxes=["gross_receipts"]))  # fmt: skip

    assert found == ("test.yaml: rules: tax-on-tax cycle: gross_receipts -> gross_receipts "
                     "(rules[0])",)  # fmt: skip


def test_a_rule_in_an_unknown_jurisdiction_is_refused() -> None:
    found = problems(
        rule("pa-sales", "US-PA", "state_sales", rate_percent="6"),
        rule("zz-sales", "US-ZZ", "state_sales", rate_percent="6"),
    )

    assert found == ("test.yaml: rules[1].jurisdiction: unknown jurisdiction 'US-ZZ'",)


def test_every_problem_of_the_rules_is_reported_together() -> None:
    found = problems(
        rule("float", "US-PA", "a", rate_percent=6.5),
        rule("calc", "US-PA", "b", "percent", rate_percent="6"),
        rule("no-amount", "US-PA", "c", "per_line", currency="USD"),
        rule("two-calcs", "US-PA", "d", rate_percent="6", amount="1.00", currency="USD"),
        rule("exempt", "US-PA", "e", rate_percent="6", treatment="exempt"),
        rule("reversed", "US-PA", "f", rate_percent="6", valid_from="2026-02-01",
             valid_to="2026-01-01"),
        rule("base", "US-PA", "g", rate_percent="6", base_taxes=["nothing"]),
        rule("brackets", "US-PA", "h", "bracket", currency="USD",
             brackets=[{"up_to": "100", "amount": "1"}, {"up_to": "50", "amount": "2"},
                       {"up_to": "200", "amount": "3"}]),
        rule("float", "US-PA", "i", rate_percent="101", valid_from="2026-13-01"),
        rule("fee", "US-PA", "j", "fixed_per_invoice", amount="-1", currency="XXY",
             base_taxes=["a"]),
        rule("calc", "US-PA", "k", rate_percent="1"),
    )  # fmt: skip

    assert found == (
        'test.yaml: rules[0].rate_percent: 6.5 is a float; give it as a string such as "6.5"',
        "test.yaml: rules[1].calculation: 'percent' is not one of rate, fixed_per_invoice, "
        "per_line, per_minute, bracket, tiered",
        "test.yaml: rules[2].amount: missing; a per_line rule needs it",
        "test.yaml: rules[3].amount: not used by a rate rule",
        "test.yaml: rules[4].treatment: exempt comes from exemption certificates, not from a rule",
        "test.yaml: rules[5].valid_to: 2026-01-01 is not after valid_from 2026-02-01",
        "test.yaml: rules[7].brackets: the last step must be unbounded (up_to: null), found 200",
        "test.yaml: rules[7].brackets: up_to must rise from step to step",
        "test.yaml: rules[8].valid_from: expected a date such as 2026-01-01, found '2026-13-01'",
        "test.yaml: rules[8].rate_percent: 101 is more than 100",
        "test.yaml: rules[8].id: 'float' is already rules[0]",
        "test.yaml: rules[9].base_taxes: a fixed_per_invoice rule is not computed on an amount",
        "test.yaml: rules[9].amount: must not be negative, found -1",
        "test.yaml: rules[9].currency: unknown currency 'XXY': expected an active ISO 4217 code "
        "such as USD, EUR or JPY",
        "test.yaml: rules[10].id: 'calc' is already rules[1]",
        "test.yaml: rules[6].base_taxes: no rule levies tax type 'nothing'",
    )


def test_an_unknown_field_is_refused() -> None:
    (found,) = problems(rule("pa", "US-PA", "state_sales", rate_percent="6", rates="6"))

    assert found.startswith("test.yaml: rules[0].rates: unknown field; expected one of id, ")


def test_jurisdictions_form_a_tree_from_federal_down() -> None:
    found = problems(
        jurisdictions=[
            *JURISDICTIONS,
            {"id": "US-PA", "level": "state", "name": "Again", "parent": "US"},
            {"id": "US-XX", "level": "state", "name": "Orphan"},
            {
                "id": "US-PA-COUNTY",
                "level": "county",
                "name": "County",
                "parent": "US-PA-PHILADELPHIA",
            },
            {"id": "US-YY", "level": "state", "name": "Lost", "parent": "US-QQ"},
            {"id": "US-ZZ", "level": "province", "name": "Province", "parent": "US"},
        ]
    )

    assert found == (
        "test.yaml: jurisdictions[8].id: 'US-PA' is already jurisdictions[1]",
        "test.yaml: jurisdictions[12].level: 'province' is not one of federal, state, county, "
        "city, unincorporated",
        "test.yaml: jurisdictions[9]: a state jurisdiction needs a parent",
        "test.yaml: jurisdictions[10].parent: a county jurisdiction cannot lie inside the city "
        "jurisdiction 'US-PA-PHILADELPHIA'",
        "test.yaml: jurisdictions[11].parent: unknown jurisdiction 'US-QQ'",
    )


def test_interstate_allocations_are_percentages_given_once() -> None:
    found = problems(
        interstate_allocation=[
            {"service_type": "sip", "interstate_percent": "64.9"},
            {"service_type": "sip", "interstate_percent": "50"},
            {"service_type": "mpls", "interstate_percent": "110", "private_line": True},
        ]
    )

    assert found == (
        "test.yaml: interstate_allocation[1].service_type: 'sip' is allocated twice",
        "test.yaml: interstate_allocation[2].interstate_percent: 110 is more than 100",
    )


def test_rules_come_in_evaluation_order_with_their_defaults() -> None:
    found = tables(
        rule("ny-excise", "US-NY", "gross_receipts", rate_percent="2.5",
             base_taxes=["state_sales"]),
        rule("nyc-sales", "US-NY-NEW-YORK", "local_sales", rate_percent="4.5"),
        rule("ny-sales", "US-NY", "state_sales", rate_percent="4"),
        rule("us-usf", "US", "federal_usf", rate_percent="38", rate_cap_percent="36.6"),
    )  # fmt: skip

    # Taxes in no base first, outer jurisdictions first; the excise after the sales tax it
    # includes. Federal rules tax the interstate part by default, the others the intrastate part.
    assert [(rule.id, rule.portion.value, rule.treatment.value) for rule in found.rules] == [
        ("us-usf", "interstate", "billed"),
        ("ny-sales", "intrastate", "billed"),
        ("nyc-sales", "intrastate", "billed"),
        ("ny-excise", "intrastate", "billed"),
    ]
    assert [j.id for j in found.chain("US-NY-NEW-YORK")] == ["US-NY-NEW-YORK", "US-NY", "US"]
    assert found.rules[1].rounding.value == "half_up"


def _account_problems(document: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(TaxAccountDataError) as error:
        parse_tax_account_data(document, source="accounts.yaml")
    assert error.value.code == "invalid_tax_account_data"
    found: tuple[str, ...] = error.value.problems
    return found


def test_account_data_problems_name_the_rows() -> None:
    certificate = {"id": "EX-1", "number": "N-1", "billing_account_id": "GOV",
                   "issuing_jurisdiction": "US", "tax_types": ["federal_excise"],
                   "levels": ["federal"], "valid_from": "2026-01-01"}  # fmt: skip
    study = {"id": "TS-1", "billing_account_id": "ACME", "service_type": "mpls",
             "interstate_percent": "20", "valid_from": "2026-01-01"}  # fmt: skip

    found = _account_problems(
        {
            "exemption_certificates": [
                certificate,
                {**certificate, "tax_types": [], "levels": ["national"]},
            ],
            "traffic_studies": [
                study,
                {**study, "id": "TS-2", "valid_from": "2026-03-01", "valid_to": "2026-06-01"},
                {**study, "id": "TS-3", "interstate_percent": "120", "billing_account_id": "X"},
            ],
        }
    )

    assert found == (
        "accounts.yaml: exemption_certificates[1].levels: 'national' is not one of federal, "
        "state, county, city, unincorporated",
        "accounts.yaml: exemption_certificates[1].tax_types: missing or empty; list what the "
        "certificate covers",
        "accounts.yaml: traffic_studies[2].interstate_percent: 120 is more than 100",
        "accounts.yaml: traffic_studies[0] and traffic_studies[1] overlap for (ACME, mpls): "
        "2026-01-01..open and 2026-03-01..2026-06-01",
    )


def test_account_data_reads_certificates_and_studies() -> None:
    found = parse_tax_account_data(
        {
            "exemption_certificates": [
                {"id": "EX-1", "number": "N-1", "billing_account_id": "GOV",
                 "issuing_jurisdiction": "US-PA", "tax_types": ["state_sales", "e911"],
                 "levels": ["state", "city"], "valid_from": "2026-01-01",
                 "valid_to": "2027-01-01", "reason": "public agency"},
            ],
        },
        source="accounts.yaml",
    )  # fmt: skip

    (certificate,) = found.certificates
    assert (certificate.tax_types, certificate.levels, certificate.reason) == (
        frozenset({"state_sales", "e911"}),
        frozenset({JurisdictionLevel.STATE, JurisdictionLevel.CITY}),
        "public agency",
    )
    assert found.traffic_studies == ()


def test_files_are_read_exactly_and_problems_name_the_file(tmp_path: Path) -> None:
    good = tmp_path / "rates.yaml"
    good.write_text(
        "name: rates\njurisdictions:\n  - {id: US, level: federal, name: United States}\n"
        "rules:\n  - {id: fet, jurisdiction: US, tax_type: federal_excise, name: FET,\n"
        "     calculation: rate, rate_percent: 3.25, valid_from: 2026-01-01}\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "bad", "jurisdictions": [], "rules": 7}', encoding="utf-8")
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n", encoding="utf-8")

    # An unquoted 3.25 in YAML is read as the exact decimal it shows.
    assert str(load_tax_tables(good).rules[0].rate_percent) == "3.25"
    with pytest.raises(TaxTableError, match=r"^bad\.json: rules: expected a list, found int$"):
        load_tax_tables(bad)
    with pytest.raises(TaxTableError, match=r"^list\.yaml: expected a mapping"):
        load_tax_tables(listed)
    with pytest.raises(DocumentError, match="no such file"):
        load_tax_tables(tmp_path / "missing.yaml")


def test_the_demo_tables_are_labelled_dated_and_cover_every_structure() -> None:
    demo = load_tax_tables(demo_tax_tables_path())
    by_type = {(rule.tax_type, rule.jurisdiction_id): rule for rule in demo.rules}

    assert demo.notice.startswith("ILLUSTRATIVE — not legal rates")
    assert "ILLUSTRATIVE — not legal rates" in demo_tax_tables_path().read_text(encoding="utf-8")
    assert all(rule.valid_from.year == 2026 for rule in demo.rules)
    assert by_type[("federal_usf", "US")].rate_cap_percent is not None
    assert by_type[("federal_excise", "US")].calculation.value == "rate"
    assert by_type[("gross_receipts", "US-NY")].base_taxes == ("state_sales",)
    assert {units.voice_line_type for units in by_type[("e911", "US-DE")].line_units} == {
        "pri",
        "centrex",
    }
    assert {rule.level.value for rule in demo.rules} >= {"federal", "state", "city"}


def test_the_demo_account_data_fits_the_demo_tables() -> None:
    data = load_tax_account_data(demo_tax_account_data_path())
    engine = TaxEngine(load_tax_tables(demo_tax_tables_path()), account_data=data)

    assert [certificate.id for certificate in engine.account_data.certificates] == [
        "EXC-0001",
        "EXC-0002",
    ]
