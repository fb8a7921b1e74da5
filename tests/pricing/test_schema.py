"""The price document boundary: validation errors name the field, documents round-trip exactly."""

from decimal import Decimal
from typing import Any

import pytest

from tollway.conventions import profile
from tollway.money import currency
from tollway.pricing import Graduated, PerUnit, PriceDefinitionError, Tier, price
from tollway.pricing.schema import MODEL_NAMES, parse_price_catalog, parse_price_definition

GRADUATED: dict[str, Any] = {
    "id": "sdwan-data",
    "currency": "usd",
    "unit": "GB",
    "pricing": {
        "model": "graduated",
        "tiers": [
            {"up_to": "100", "unit_price": "0.10", "flat_price": "5"},
            {"up_to": "inf", "unit_price": "0.08"},
        ],
    },
}

# One valid document per model, to check every model round-trips through its stored document.
DOCUMENTS: list[dict[str, Any]] = [
    {"model": "flat", "amount": "950"},
    {"model": "per_unit", "unit_price": "0.25"},
    GRADUATED["pricing"],
    {
        "model": "volume",
        "tiers": [{"up_to": "10", "unit_price": "2"}, {"up_to": None, "unit_price": "1"}],
    },
    {
        "model": "stairstep",
        "steps": [{"up_to": "10", "amount": "100"}, {"up_to": None, "amount": "400"}],
    },
    {"model": "package", "package_size": "100", "package_price": "5", "free_units": "10"},
    {
        "model": "block_tiers",
        "mode": "all_tiers",
        "tiers": [
            {"block_size": "10", "max_blocks": 5, "block_price": "3"},
            {"block_size": "10", "max_blocks": None, "block_price": "2"},
        ],
    },
    {"model": "percentage", "rate": "2.5", "fixed_fee_per_transaction": "0.30"},
    {
        "model": "graduated_percentage",
        "tiers": [{"up_to": "1000", "rate": "2"}, {"up_to": None, "rate": "1"}],
    },
    {"model": "dynamic"},
    {
        "model": "spend_commitment",
        "minimum_amount": "100",
        "inner": {"model": "per_unit", "unit_price": "1"},
    },
    {"model": "duration", "rates": [{"pulse": "30/6", "rate": "0.12"}]},
    {
        "model": "percentile_95",
        "committed_rate_mbps": "100",
        "committed_price": "500",
        "burst_price_per_mbps": "8",
    },
]


def test_a_definition_becomes_frozen_dataclasses() -> None:
    definition = parse_price_definition(GRADUATED)
    assert definition.currency == currency("USD")
    assert definition.unit == "GB"
    assert definition.pricing == Graduated(
        tiers=(
            Tier(up_to=Decimal(100), unit_price=Decimal("0.10"), flat_price=Decimal(5)),
            Tier(up_to=None, unit_price=Decimal("0.08"), flat_price=Decimal(0)),
        )
    )


def test_every_model_is_covered_by_the_round_trip_documents() -> None:
    assert {document["model"] for document in DOCUMENTS} == MODEL_NAMES


@pytest.mark.parametrize("pricing", DOCUMENTS, ids=lambda document: document["model"])
def test_stored_document_parses_back_to_an_equal_definition(pricing: dict[str, Any]) -> None:
    definition = parse_price_definition({"id": "p", "currency": "EUR", "pricing": pricing})
    assert definition.document is not None
    again = parse_price_definition(definition.document)
    assert again == definition
    assert again.document == definition.document


@pytest.mark.parametrize(
    ("pricing", "expected"),
    [
        (
            {"model": "graduatd"},
            "pricing: model 'graduatd' does not match any of the expected tags",
        ),
        ({"model": "per_unit"}, "pricing.unit_price: is required but missing"),
        (
            {"model": "per_unit", "unit_price": "1", "unitprice": "2"},
            "pricing.unitprice: is not a known field (check the spelling)",
        ),
        (
            {
                "model": "graduated",
                "tiers": [{"up_to": "10", "unit_price": "1"}, {"up_to": "5", "unit_price": "1"}],
            },
            "pricing.tiers[1].up_to: must be greater than the previous tier's bound 10, got 5",
        ),
        (
            {"model": "per_unit", "unit_price": 0.1},
            'pricing.unit_price: 0.1 arrived as a binary float; write it as a string ("0.1")',
        ),
    ],
)
def test_invalid_documents_name_the_field(pricing: dict[str, Any], expected: str) -> None:
    with pytest.raises(PriceDefinitionError) as raised:
        parse_price_definition({"id": "p", "currency": "USD", "pricing": pricing})
    assert str(raised.value).startswith(expected)


def test_negative_price_names_the_tier() -> None:
    document = {
        "id": "p",
        "currency": "USD",
        "pricing": {"model": "graduated", "tiers": [{"up_to": None, "unit_price": "-1"}]},
    }
    with pytest.raises(PriceDefinitionError) as raised:
        parse_price_definition(document)
    assert raised.value.field == "pricing.tiers[0].unit_price"
    assert raised.value.problem == "must be zero or more, got -1"


def test_unknown_currency_and_missing_fields_are_all_reported() -> None:
    with pytest.raises(PriceDefinitionError) as raised:
        parse_price_definition({"currency": "XYZ", "pricing": {"model": "flat"}})
    fields = [field for field, _ in raised.value.problems]
    assert fields == ["id", "currency", "pricing.amount"]
    assert "unknown currency 'XYZ'" in str(raised.value)


def test_unknown_profile_lists_the_choices() -> None:
    document = {**GRADUATED, "profile": "zuora"}
    with pytest.raises(
        PriceDefinitionError,
        match=r"^profile: unknown profile 'zuora': choose one of tollway, lago",
    ):
        parse_price_definition(document)


def test_price_level_conventions_override_the_callers() -> None:
    document = {
        "id": "p",
        "currency": "USD",
        "profile": "lago",
        "conventions": {"rounding_mode": "half_even"},
        "pricing": {"model": "per_unit", "unit_price": "0.005"},
    }
    definition = parse_price_definition(document)
    # 1 unit at 0.005: half-even keeps 0.00, where the caller's half-up default would give 0.01.
    assert price(definition, "1", conventions="tollway").amount.amount == Decimal("0.00")
    assert definition.conventions(profile("tollway")).name == "lago+custom"


def test_catalog_ids_must_be_unique() -> None:
    first = {"id": "a", "currency": "USD", "pricing": {"model": "per_unit", "unit_price": "1"}}
    with pytest.raises(
        PriceDefinitionError, match=r"^prices\[1\]\.id: 'a' repeats prices\[0\]\.id$"
    ):
        parse_price_catalog({"prices": [first, first]})


def test_catalog_errors_carry_the_position() -> None:
    good = {"id": "a", "currency": "USD", "pricing": {"model": "per_unit", "unit_price": "1"}}
    bad = {"id": "b", "currency": "USD", "pricing": {"model": "per_unit"}}
    with pytest.raises(PriceDefinitionError, match=r"^\[1\]\.pricing\.unit_price: is required"):
        parse_price_catalog([good, bad])


def test_single_definition_document_is_a_catalog_of_one() -> None:
    (definition,) = parse_price_catalog(GRADUATED)
    assert definition.pricing != PerUnit(unit_price=Decimal(1))
    assert definition.id == "sdwan-data"


# --- spend commitments: errors inside `inner` keep their whole path -------------------------------

MISORDERED_TIERS: dict[str, Any] = {
    "model": "graduated",
    "tiers": [
        {"up_to": "10", "unit_price": "1"},
        {"up_to": "5", "unit_price": "1"},
        {"up_to": None, "unit_price": "1"},
    ],
}


def test_a_tier_error_inside_a_commitment_names_the_inner_path() -> None:
    document = {"model": "spend_commitment", "minimum_amount": "10", "inner": MISORDERED_TIERS}
    with pytest.raises(PriceDefinitionError) as raised:
        parse_price_definition({"id": "p", "currency": "USD", "pricing": document})
    assert raised.value.field == "pricing.inner.tiers[1].up_to"


def test_an_error_two_commitments_deep_names_both() -> None:
    inner = {"model": "spend_commitment", "maximum_amount": "50", "inner": MISORDERED_TIERS}
    document = {"model": "spend_commitment", "minimum_amount": "10", "inner": inner}
    with pytest.raises(PriceDefinitionError) as raised:
        parse_price_catalog([{"id": "p", "currency": "USD", "pricing": document}])
    assert raised.value.field == "[0].pricing.inner.inner.tiers[1].up_to"


def test_a_yen_minimum_with_decimals_is_refused_when_read() -> None:
    # JPY has no minor unit: a minimum of 10.5 yen cannot be invoiced
    document = {
        "model": "spend_commitment",
        "minimum_amount": "10.5",
        "inner": {"model": "per_unit", "unit_price": "1"},
    }
    with pytest.raises(PriceDefinitionError) as raised:
        parse_price_definition({"id": "p", "currency": "JPY", "pricing": document})
    assert raised.value.field == "pricing.minimum_amount"
    assert raised.value.problem == "10.5 has more decimals than JPY's 0"


def test_a_nested_bahraini_dinar_maximum_is_checked_with_its_path() -> None:
    # BHD has 3 decimals: 100.0005 is finer than a fils
    inner = {
        "model": "spend_commitment",
        "maximum_amount": "100.0005",
        "inner": {"model": "per_unit", "unit_price": "1"},
    }
    document = {"model": "spend_commitment", "minimum_amount": "1", "inner": inner}
    with pytest.raises(PriceDefinitionError) as raised:
        parse_price_definition({"id": "p", "currency": "BHD", "pricing": document})
    assert raised.value.field == "pricing.inner.maximum_amount"
    # 100.005 is a whole number of fils
    inner["maximum_amount"] = "100.005"
    assert parse_price_definition({"id": "p", "currency": "BHD", "pricing": document}).id == "p"
