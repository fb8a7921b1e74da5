"""The operator's world on disk: catalog.yaml, customers.yaml and products.jsonl.

A small world — an MPLS port with a monthly charge by bandwidth step, an SD-WAN edge with data
usage, a bundle; a head office paying for a branch; an agreement with a negotiated price; a
circuit upgraded mid-cycle — is written, read back, and then broken one field at a time: every
problem must name the file, the record and the field.
"""

import copy
import re
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollway.accounts import CustomerClass, paying_account_of
from tollway.catalog import ChargeKind, QuantityBasis
from tollway.contracts import CommitmentPeriod
from tollway.inventory import LifecycleAction
from tollway.io._world import (
    CATALOG_FILE,
    CUSTOMERS_FILE,
    PRODUCTS_FILE,
    WorldDocuments,
    WorldFileError,
    load_world,
    write_world,
)
from tollway.money import Money, TollwayError
from tollway.pricing import price

DOCS = Path(__file__).resolve().parents[2] / "docs" / "input-formats.md"
JANUARY = "2025-01-01T00:00:00+00:00"


def world() -> dict[str, Any]:
    """The documents of a small, valid world."""
    catalog = {
        "offerings": [
            {"id": "mpls-port", "name": "MPLS port", "product_type": "mpls", "prices": [
                {"id": "mpls-port-mrc", "kind": "recurring_advance", "valid_from": JANUARY,
                 "quantity_basis": "bandwidth_mbps",
                 "price": {"currency": "USD", "pricing": {"model": "stairstep", "steps": [
                     {"up_to": 10, "amount": "350.00"}, {"up_to": None, "amount": "850.00"}]}}},
                {"id": "mpls-port-install", "kind": "one_time", "valid_from": JANUARY,
                 "price": {"currency": "USD", "pricing": {"model": "flat", "amount": "500.00"}}},
            ]},
            {"id": "sdwan-edge", "name": "SD-WAN edge", "product_type": "sdwan", "prices": [
                {"id": "sdwan-edge-data", "kind": "usage", "usage_type": "data",
                 "valid_from": JANUARY,
                 "price": {"currency": "USD", "pricing": {"model": "per_unit", "unit_price": "0.05"}}},
            ]},
        ],
        "bundles": [{"id": "secure-wan", "name": "Secure WAN", "offering_ids": ["sdwan-edge"],
                     "discount_percent": "10"}],
    }  # fmt: skip
    customers = {
        "parties": [{"id": "PTY-1", "name": "Keystone Health", "customer_class": "business"}],
        "sites": [
            {"id": "SITE-1", "party_id": "PTY-1", "name": "HQ", "country": "US", "region": "PA",
             "city": "Philadelphia", "postal_code": "19103", "jurisdiction_id": "US-PA-PHILADELPHIA"},
        ],
        "billing_accounts": [
            {"id": "BA-1", "party_id": "PTY-1", "name": "Head office", "currency": "USD",
             "bill_cycle_day": 1, "time_zone": "America/New_York"},
            {"id": "BA-2", "party_id": "PTY-1", "name": "Branch", "currency": "USD",
             "bill_cycle_day": 1, "time_zone": "America/New_York", "parent_id": "BA-1",
             "pays_own_bill": False},
        ],
        "agreements": [
            {"id": "AGR-1", "billing_account_id": "BA-1", "name": "MSA", "start": JANUARY,
             "term_months": 36,
             "commitments": [{"id": "min", "period": "monthly", "minimum_amount": "1000.00"}],
             "early_termination": {"percent_of_remaining": "75"},
             "price_overrides": [{"offering_price_id": "mpls-port-mrc", "price": {
                 "currency": "USD", "pricing": {"model": "flat", "amount": "700.00"}}}],
             "discount_percent": "5"},
        ],
        "credits": [{"id": "CRD-1", "billing_account_id": "BA-1", "amount": "25.00",
                     "reason": "SLA credit", "effective_at": "2026-01-20T00:00:00+00:00"}],
    }  # fmt: skip
    products = [
        {"id": "PRD-1", "circuit_id": "12.KQXN.000001..TW", "billing_account_id": "BA-2",
         "offering_id": "mpls-port", "bandwidth_mbps": "10", "site_a_id": "SITE-1",
         "jurisdiction_id": "US-PA-PHILADELPHIA", "agreement_id": "AGR-1",
         "events": [{"at": "2025-06-01T00:00:00+00:00", "action": "activate"},
                    {"at": "2026-01-15T12:00:00+00:00", "action": "change", "bandwidth_mbps": "100"}]},
        {"id": "PRD-2", "circuit_id": "12.VLXP.000002..TW", "billing_account_id": "BA-1",
         "offering_id": "sdwan-edge", "bandwidth_mbps": "500", "site_a_id": "SITE-1",
         "jurisdiction_id": "US-PA-PHILADELPHIA", "bundle_id": "secure-wan",
         "events": [{"at": "2025-12-20T00:00:00Z", "action": "order"},
                    {"at": "2026-01-10T00:00:00Z", "action": "activate"}]},
    ]  # fmt: skip
    return {"catalog": catalog, "customers": customers, "products": products}


def write(directory: Path, documents: dict[str, Any]) -> Path:
    write_world(WorldDocuments(**documents), directory)
    return directory


def problems(directory: Path, documents: dict[str, Any]) -> list[str]:
    with pytest.raises(WorldFileError) as caught:
        load_world(write(directory, documents))
    return [str(problem) for problem in caught.value.problems]


def changed(path: str, value: object) -> dict[str, Any]:
    """The world with one value set (or removed, for `...`) at a path like `customers.sites[0].id`."""
    documents = world()
    parts = [int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", path)]
    target: Any = documents
    for part in parts[:-1]:
        target = target[part]
    if value is ...:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return documents


# --- reading --------------------------------------------------------------------------------------


def test_the_world_reads_into_frozen_records(tmp_path: Path) -> None:
    inputs = load_world(write(tmp_path, world()))

    assert inputs.parties["PTY-1"].customer_class is CustomerClass.BUSINESS
    install, monthly = inputs.catalog.prices_at("mpls-port", datetime(2026, 1, 1, tzinfo=UTC))
    assert (install.id, install.kind) == ("mpls-port-install", ChargeKind.ONE_TIME)
    assert monthly.quantity_basis is QuantityBasis.BANDWIDTH_MBPS
    # A 10 Mbps port is still in the first step: 350.00 a month.
    assert price(monthly.price, "10").amount == Money.of("350.00", "USD")
    assert inputs.catalog.bundles["secure-wan"].discount_percent == Decimal("10")

    agreement = inputs.agreements["AGR-1"]
    assert agreement.commitments[0].period is CommitmentPeriod.MONTHLY
    assert agreement.commitments[0].minimum_amount == Decimal("1000.00")
    override = agreement.override_for("mpls-port-mrc")
    assert override is not None and price(override, "10").amount == Money.of("700.00", "USD")

    port = inputs.products["PRD-1"]
    assert [event.action for event in port.events] == [
        LifecycleAction.ACTIVATE,
        LifecycleAction.CHANGE,
    ]
    assert port.events[1].bandwidth_mbps == Decimal("100")
    assert inputs.credits[0].amount == Money.of("25.00", "USD")


def test_a_branch_that_does_not_pay_rolls_up_onto_the_head_office(tmp_path: Path) -> None:
    inputs = load_world(write(tmp_path, world()))
    assert paying_account_of("BA-2", inputs.accounts).id == "BA-1"


def test_a_price_document_without_id_takes_the_id_of_its_record(tmp_path: Path) -> None:
    inputs = load_world(write(tmp_path, world()))
    assert inputs.catalog.offerings["sdwan-edge"].prices[0].price.id == "sdwan-edge-data"
    assert inputs.agreements["AGR-1"].price_overrides[0].price.id == "mpls-port-mrc"


@pytest.mark.parametrize(
    ("currency_code", "amount", "minor_units"),
    [("USD", "25.00", 2), ("JPY", "1500", 0), ("BHD", "12.345", 3)],
)
def test_a_credit_is_in_its_account_currency(
    tmp_path: Path, currency_code: str, amount: str, minor_units: int
) -> None:
    documents = changed("customers.billing_accounts[0].currency", currency_code)
    documents["customers"]["billing_accounts"][1]["currency"] = currency_code
    documents["customers"]["agreements"] = []
    documents["customers"]["credits"][0]["amount"] = amount
    del documents["products"][0]["agreement_id"]
    credit = load_world(write(tmp_path, documents)).credits[0]
    assert credit.amount == Money.of(amount, currency_code)
    assert credit.amount.currency.minor_units == minor_units


def test_instants_keep_their_offset_and_compare_as_instants(tmp_path: Path) -> None:
    documents = changed("customers.credits[0].effective_at", "2026-01-19T19:00:00-05:00")
    effective_at = load_world(write(tmp_path, documents)).credits[0].effective_at
    assert effective_at.utcoffset() == timedelta(hours=-5)
    assert effective_at.tzinfo == timezone(timedelta(hours=-5))
    assert effective_at == datetime(2026, 1, 20, tzinfo=UTC)


def test_yaml_numbers_and_json_numbers_are_read_exactly(tmp_path: Path) -> None:
    write(tmp_path, world())
    catalog = (tmp_path / CATALOG_FILE).read_text(encoding="utf-8")
    (tmp_path / CATALOG_FILE).write_text(catalog.replace("'0.05'", "0.05"), encoding="utf-8")
    products = (tmp_path / PRODUCTS_FILE).read_text(encoding="utf-8")
    (tmp_path / PRODUCTS_FILE).write_text(products.replace('"500"', "500.1"), encoding="utf-8")

    inputs = load_world(tmp_path)

    # 0.05 and 500.1 have no exact binary float; read exactly, they stay 0.05 and 500.1.
    data_price = inputs.catalog.offerings["sdwan-edge"].prices[0].price
    assert price(data_price, "3").amount == Money.of("0.15", "USD")
    assert inputs.products["PRD-2"].bandwidth_mbps == Decimal("500.1")


def test_the_documented_examples_load(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- file: (\S+) -->\n```\w+\n(.*?)```", text, flags=re.DOTALL)
    assert [name for name, _ in blocks] == [CATALOG_FILE, CUSTOMERS_FILE, PRODUCTS_FILE]
    for name, body in blocks:
        (tmp_path / name).write_text(body, encoding="utf-8")

    inputs = load_world(tmp_path)

    assert sorted(inputs.products) == ["PRD-1", "PRD-2", "PRD-3"]
    assert [credit.amount for credit in inputs.credits] == [
        Money.of("250.00", "USD"),
        Money.of("1500", "JPY"),
    ]
    assert paying_account_of("BA-2", inputs.accounts).id == "BA-1"


# --- problems name the file, the record and the field ---------------------------------------------

PROBLEMS = [
    ("catalog.offerings[0].prices[1].kind", "monthly",
     "catalog.yaml: offerings[0] 'mpls-port': prices[1].kind: Input should be 'recurring_advance'"),
    ("catalog.offerings[0].prices[1].valid_from", "2025-01-01T00:00:00",
     "catalog.yaml: offerings[0] 'mpls-port': prices[1].valid_from: Input should have timezone info"),
    ("catalog.offerings[0].prices[1].valid_from", 1735689600,
     "catalog.yaml: offerings[0] 'mpls-port': prices[1].valid_from: must be an ISO 8601 date-time"),
    ("catalog.offerings[0].prices[1].valid_to", "2024-12-31T00:00:00+00:00",
     "catalog.yaml: offerings[0] 'mpls-port': prices[1].valid_to: must be after valid_from"),
    ("catalog.offerings[0].prices[1].usage_type", "data",
     "catalog.yaml: offerings[0] 'mpls-port': prices[1].usage_type: is required for usage prices, "
     "and only for them"),
    ("catalog.offerings[0].prices[0].price.pricing.steps[1].up_to", 5,
     "catalog.yaml: offerings[0] 'mpls-port': prices[0].price: pricing.steps[1].up_to: "),
    ("catalog.offerings[0].prices[1].price.currency", "XYZ",
     "catalog.yaml: offerings[0] 'mpls-port': prices[1].price: currency: unknown currency 'XYZ'"),
    ("catalog.offerings[0].prices[1].amount", "500",
     "catalog.yaml: offerings[0] 'mpls-port': prices[1].amount: is not a known field"),
    ("catalog.offerings[1].prices[0].id", "mpls-port-mrc",
     "catalog.yaml: offerings[1] 'sdwan-edge' prices[0]: id: 'mpls-port-mrc' repeats the id of "
     "offerings[0] 'mpls-port' prices[0]"),
    ("catalog.bundles[0].offering_ids", ["sdwan-edge", "firewall"],
     "catalog.yaml: bundles[0] 'secure-wan': offering_ids[1]: unknown offering 'firewall'"),
    ("catalog.bundles[0].discount_percent", "110",
     "catalog.yaml: bundles[0] 'secure-wan': discount_percent: Input should be less than or equal to 100"),
    ("customers.billing_accounts[1].parent_id", "BA-9",
     "customers.yaml: billing_accounts[1] 'BA-2': parent_id: unknown billing account 'BA-9'"),
    ("customers.billing_accounts[1].parent_id", "BA-2",
     "customers.yaml: billing_accounts[1] 'BA-2': parent_id: an account cannot be its own parent"),
    ("customers.billing_accounts[1].parent_id", ...,
     "customers.yaml: billing_accounts[1] 'BA-2': pays_own_bill: is false, so a parent_id to roll "
     "up to is required"),
    ("customers.billing_accounts[1].currency", "EUR",
     "customers.yaml: billing_accounts[1] 'BA-2': parent_id: rolls up onto 'BA-1', billed in USD, "
     "but bills in EUR: a consolidated bill has one currency"),
    ("customers.billing_accounts[0].currency", "ABC",
     "customers.yaml: billing_accounts[0] 'BA-1': currency: unknown currency 'ABC'"),
    ("customers.billing_accounts[0].time_zone", "Mars/Olympus",
     "customers.yaml: billing_accounts[0] 'BA-1': time_zone: unknown time zone 'Mars/Olympus'"),
    ("customers.billing_accounts[0].bill_cycle_day", 32,
     "customers.yaml: billing_accounts[0] 'BA-1': bill_cycle_day: Input should be less than or equal to 31"),
    ("customers.billing_accounts[0].profile", "zuora",
     "customers.yaml: billing_accounts[0] 'BA-1': profile: unknown profile 'zuora'"),
    ("customers.billing_accounts[0].party_id", "PTY-9",
     "customers.yaml: billing_accounts[0] 'BA-1': party_id: unknown party 'PTY-9'"),
    ("customers.sites[0].party_id", "PTY-9",
     "customers.yaml: sites[0] 'SITE-1': party_id: unknown party 'PTY-9'"),
    ("customers.billing_accounts[0].name", ...,
     "customers.yaml: billing_accounts[0] 'BA-1': name: is required but missing"),
    ("customers.agreements[0].billing_account_id", "BA-9",
     "customers.yaml: agreements[0] 'AGR-1': billing_account_id: unknown billing account 'BA-9'"),
    ("customers.agreements[0].price_overrides[0].offering_price_id", "dia-mrc",
     "customers.yaml: agreements[0] 'AGR-1': price_overrides[0].offering_price_id: unknown catalog "
     "price 'dia-mrc'"),
    ("customers.agreements[0].price_overrides[0].price.currency", "EUR",
     "customers.yaml: agreements[0] 'AGR-1': price_overrides[0].price.currency: is EUR, but the "
     "account bills in USD"),
    ("customers.agreements[0].commitments[0].shortfall_percent", "-5",
     "customers.yaml: agreements[0] 'AGR-1': commitments[0].shortfall_percent: Input should be "
     "greater than or equal to 0"),
    ("customers.credits[0].amount", "0",
     "customers.yaml: credits[0] 'CRD-1': amount: Input should be greater than 0"),
    ("customers.credits[0].billing_account_id", "BA-9",
     "customers.yaml: credits[0] 'CRD-1': billing_account_id: unknown billing account 'BA-9'"),
    ("products[0].billing_account_id", "BA-9",
     "products.jsonl: line 1 'PRD-1': billing_account_id: unknown billing account 'BA-9'"),
    ("products[0].offering_id", "dia",
     "products.jsonl: line 1 'PRD-1': offering_id: unknown offering 'dia'"),
    ("products[0].site_a_id", "SITE-9",
     "products.jsonl: line 1 'PRD-1': site_a_id: unknown site 'SITE-9'"),
    ("products[1].agreement_id", "AGR-9",
     "products.jsonl: line 2 'PRD-2': agreement_id: unknown agreement 'AGR-9'"),
    ("products[0].bundle_id", "secure-wan",
     "products.jsonl: line 1 'PRD-1': bundle_id: bundle 'secure-wan' does not include offering "
     "'mpls-port'"),
    ("products[0].bandwidth_mbps", "0",
     "products.jsonl: line 1 'PRD-1': bandwidth_mbps: Input should be greater than 0"),
    ("products[0].events[1].at", "2025-05-01T00:00:00+00:00",
     "products.jsonl: line 1 'PRD-1': events[1].at: must be after the previous event's time "
     "2025-06-01T00:00:00+00:00"),
    ("products[0].events[1].at", "2026-01-15 12:00",
     "products.jsonl: line 1 'PRD-1': events[1].at: Input should have timezone info"),
    ("products[0].events[1].action", "resume",
     "products.jsonl: line 1 'PRD-1': events[1]: a change carries offering_id and/or bandwidth_mbps; "
     "no other event does"),
    ("products[1].events[0].action", "resume",
     "products.jsonl: line 2 'PRD-2': events[0].action: cannot resume a product that is not "
     "activated yet"),
    ("products[1].events[1].action", "disconnect",
     "products.jsonl: line 2 'PRD-2': events[1].action: cannot disconnect a product that is ordered"),
    ("products[0].events[0].action", "launch",
     "products.jsonl: line 1 'PRD-1': events[0].action: Input should be 'order', 'activate'"),
    ("products[1].circuit_id", "12.KQXN.000001..TW",
     "products.jsonl: line 2 'PRD-2': circuit_id: '12.KQXN.000001..TW' repeats the circuit_id of "
     "line 1 'PRD-1'"),
    ("products[1].id", "PRD-1",
     "products.jsonl: line 2 'PRD-1': id: 'PRD-1' repeats the id of line 1 'PRD-1'"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "expected"), PROBLEMS, ids=[p[2][:70] for p in PROBLEMS])
def test_a_problem_names_file_record_and_field(
    tmp_path: Path, path: str, value: object, expected: str
) -> None:
    found = problems(tmp_path, changed(path, value))
    assert any(problem.startswith(expected) for problem in found), found


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    documents = changed("customers.billing_accounts[0].time_zone", "Nowhere/Town")
    documents["customers"]["credits"][0]["billing_account_id"] = "BA-9"
    with pytest.raises(WorldFileError) as caught:
        load_world(write(tmp_path, documents))
    # Shape problems stop a file before its references are checked: the time zone comes first.
    assert [problem.field for problem in caught.value.problems] == ["time_zone"]

    documents = changed("customers.credits[0].billing_account_id", "BA-9")
    documents["customers"]["sites"][0]["party_id"] = "PTY-9"
    found = problems(tmp_path, documents)
    assert [problem.split(": ")[2] for problem in found] == ["party_id", "billing_account_id"]


def test_a_duplicate_id_names_both_records(tmp_path: Path) -> None:
    documents = world()
    documents["customers"]["billing_accounts"].append(
        {**documents["customers"]["billing_accounts"][0], "name": "Another head office"}
    )
    assert problems(tmp_path, documents) == [
        "customers.yaml: billing_accounts[2] 'BA-1': id: 'BA-1' repeats the id of "
        "billing_accounts[0] 'BA-1'"
    ]


def test_a_cycle_in_the_hierarchy_is_refused(tmp_path: Path) -> None:
    documents = changed("customers.billing_accounts[0].parent_id", "BA-2")
    found = problems(tmp_path, documents)
    assert (
        "customers.yaml: billing_accounts[0] 'BA-1': parent_id: the hierarchy above 'BA-1' is a cycle"
        in found
    )


def test_two_prices_in_force_at_once_are_refused(tmp_path: Path) -> None:
    documents = world()
    monthly = copy.deepcopy(documents["catalog"]["offerings"][0]["prices"][0])
    documents["catalog"]["offerings"][0]["prices"].append(
        {**monthly, "id": "mpls-port-mrc-2026", "valid_from": "2026-01-01T00:00:00+00:00"}
    )
    assert problems(tmp_path, documents) == [
        "catalog.yaml: offerings[0] 'mpls-port': prices: 'mpls-port-mrc-2026' and 'mpls-port-mrc' "
        "are both recurring_advance prices in force at once"
    ]


def test_a_price_that_ends_before_the_next_begins_is_fine(tmp_path: Path) -> None:
    documents = changed("catalog.offerings[0].prices[0].valid_to", "2026-01-01T00:00:00+00:00")
    prices = documents["catalog"]["offerings"][0]["prices"]
    later = {key: value for key, value in prices[0].items() if key != "valid_to"}
    prices.append({**later, "id": "mpls-port-mrc-2026", "valid_from": "2026-01-01T00:00:00+00:00"})

    catalog = load_world(write(tmp_path, documents)).catalog

    def in_force(instant: datetime) -> list[str]:
        return [price.id for price in catalog.prices_at("mpls-port", instant)]

    assert in_force(datetime(2025, 12, 31, 23, 59, tzinfo=UTC)) == [
        "mpls-port-install",
        "mpls-port-mrc",
    ]
    assert in_force(datetime(2026, 1, 1, tzinfo=UTC)) == ["mpls-port-install", "mpls-port-mrc-2026"]


def test_an_agreement_of_another_account_is_refused(tmp_path: Path) -> None:
    documents = world()
    documents["customers"]["billing_accounts"].append(
        {"id": "BA-3", "party_id": "PTY-1", "name": "Other", "currency": "USD",
         "bill_cycle_day": 1, "time_zone": "UTC"}
    )  # fmt: skip
    documents["products"][0]["billing_account_id"] = "BA-3"
    assert problems(tmp_path, documents) == [
        "products.jsonl: line 1 'PRD-1': agreement_id: agreement 'AGR-1' belongs to 'BA-1', "
        "not to 'BA-3' or a parent"
    ]


def test_a_site_of_another_party_is_refused(tmp_path: Path) -> None:
    documents = world()
    documents["customers"]["parties"].append(
        {"id": "PTY-2", "name": "Other", "customer_class": "government"}
    )
    documents["customers"]["sites"][0]["party_id"] = "PTY-2"
    found = problems(tmp_path, documents)
    assert found[0] == (
        "products.jsonl: line 1 'PRD-1': site_a_id: site 'SITE-1' belongs to party 'PTY-2', not "
        "to the account's party 'PTY-1'"
    )


def test_unreadable_product_lines_are_named_by_line(tmp_path: Path) -> None:
    write(tmp_path, world())
    lines = (tmp_path / PRODUCTS_FILE).read_text(encoding="utf-8").splitlines()
    text = "\n".join([lines[0], "", "[1, 2]", '{"id": "PRD-3",', lines[1]]) + "\n"
    (tmp_path / PRODUCTS_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(WorldFileError) as caught:
        load_world(tmp_path)
    found = [str(problem) for problem in caught.value.problems]
    assert found[0] == "products.jsonl: line 3: (line): must be a JSON object: one product per line"
    assert found[1].startswith("products.jsonl: line 4: (line): not valid JSON: ")
    assert len(found) == 2


@pytest.mark.parametrize("missing", [CATALOG_FILE, CUSTOMERS_FILE, PRODUCTS_FILE])
def test_a_missing_file_is_named(tmp_path: Path, missing: str) -> None:
    write(tmp_path, world())
    (tmp_path / missing).unlink()
    with pytest.raises(WorldFileError, match=f"^{re.escape(missing)}: ") as caught:
        load_world(tmp_path)
    assert isinstance(caught.value, TollwayError)
    assert caught.value.code == "invalid_world_file"


def test_a_file_that_is_not_yaml_is_named_without_a_stack_trace(tmp_path: Path) -> None:
    write(tmp_path, world())
    (tmp_path / CUSTOMERS_FILE).write_text("parties: [unclosed\n", encoding="utf-8")
    with pytest.raises(WorldFileError, match=r"^customers.yaml: \(document\): \(file\): "):
        load_world(tmp_path)


def test_a_section_of_the_wrong_shape_is_named(tmp_path: Path) -> None:
    documents = changed("customers.parties", {"id": "PTY-1"})
    assert problems(tmp_path, documents)[0].startswith(
        "customers.yaml: (document): parties: Input should be a valid list"
    )


# --- writing ---------------------------------------------------------------------------------------


def test_written_files_are_byte_identical_for_the_same_documents(tmp_path: Path) -> None:
    first, second = write(tmp_path / "a", world()), write(tmp_path / "b", world())
    for name in (CATALOG_FILE, CUSTOMERS_FILE, PRODUCTS_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_decimals_and_instants_are_written_as_text_and_floats_refused(tmp_path: Path) -> None:
    documents = changed("customers.credits[0].amount", Decimal("25.10"))
    documents["customers"]["credits"][0]["effective_at"] = datetime(2026, 1, 20, tzinfo=UTC)
    write(tmp_path, documents)
    text = (tmp_path / CUSTOMERS_FILE).read_text(encoding="utf-8")
    assert "amount: '25.10'" in text
    assert "effective_at: '2026-01-20T00:00:00+00:00'" in text

    with pytest.raises(AssertionError, match="floats"):
        write(tmp_path / "float", changed("customers.credits[0].amount", 25.1))


@given(
    amount=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e12"), places=3),
    bandwidth=st.decimals(min_value=Decimal("0.1"), max_value=Decimal("400000"), places=1),
)
def test_what_is_written_is_read_back_exactly(amount: Decimal, bandwidth: Decimal) -> None:
    documents = changed("customers.credits[0].amount", amount)
    documents["products"][1]["bandwidth_mbps"] = bandwidth
    with tempfile.TemporaryDirectory() as scratch:
        inputs = load_world(write(Path(scratch), documents))
    assert inputs.credits[0].amount.amount == amount
    assert inputs.products["PRD-2"].bandwidth_mbps == bandwidth
