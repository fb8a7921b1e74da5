"""The service mapping document: parsed at the boundary, every problem naming its field."""

from decimal import Decimal
from typing import Any

import pytest

from tollway.accounts import CustomerClass
from tollway.billing import ChargeType, TaxTreatment
from tollway.tax.provider import (
    DEFAULT_SERVICE_MAPPING,
    ServicePair,
    TaxProviderConfigError,
    parse_service_mapping,
)

CUSTOMERS = {"business": 1, "government": 1, "residential": 0, "wholesale": 1}


def _document(**fields: Any) -> dict[str, Any]:
    return {
        "label": "test",
        "pairs": [{"transaction_type": 1, "service_type": 4}],
        "customer_types": CUSTOMERS,
        **fields,
    }


def test_a_full_document_is_read_exactly() -> None:
    mapping = parse_service_mapping(
        _document(
            pairs=[
                {"product_type": "sip", "charge_type": "usage", "transaction_type": 19,
                 "service_type": 6, "description": "SIP minutes"},
                {"transaction_type": 1, "service_type": 4},
            ],
            sale_types={"wholesale": 0},
            discount_types={"credit": 5},
            tax_categories={"3": "federal_excise"},
            jurisdictions={"0": "US"},
            treatments={"14": "carrier_absorbed"},
            private_line_split="0.25",
            minute_units=["minute"],
            country_codes={"US": "USA"},
        )
    )  # fmt: skip
    assert mapping.pairs == {
        ("sip", "usage"): ServicePair(19, 6, "SIP minutes"),
        ("*", "*"): ServicePair(1, 4, ""),
    }
    assert mapping.customer_types[CustomerClass.RESIDENTIAL] == 0
    assert (
        mapping.sale_type(CustomerClass.WHOLESALE),
        mapping.sale_type(CustomerClass.BUSINESS),
    ) == (0, 1)
    assert mapping.discount_types == {ChargeType.CREDIT: 5}
    assert (mapping.category_of(3), mapping.category_of(454)) == ("federal_excise", "afc_454")
    assert (mapping.jurisdiction_of(0), mapping.jurisdiction_of(7)) == ("US", "afc_pcode_7")
    assert mapping.treatments == {14: TaxTreatment.CARRIER_ABSORBED}
    assert mapping.private_line_split == Decimal("0.25")
    assert mapping.minute_units == frozenset({"minute"})


def test_the_most_specific_pair_wins() -> None:
    mapping = parse_service_mapping(
        _document(
            pairs=[
                {"product_type": "sip", "charge_type": "usage", "transaction_type": 19, "service_type": 6},
                {"product_type": "sip", "transaction_type": 19, "service_type": 21},
                {"charge_type": "one_time", "transaction_type": 1, "service_type": 5},
                {"transaction_type": 1, "service_type": 4},
            ]
        )
    )  # fmt: skip
    found = {
        (product_type, charge_type.value): mapping.pair_for(product_type, charge_type).service_type  # type: ignore[union-attr]
        for product_type in ("sip", "mpls", None)
        for charge_type in (ChargeType.USAGE, ChargeType.ONE_TIME, ChargeType.CREDIT)
    }
    assert found == {
        ("sip", "usage"): 6, ("sip", "one_time"): 21, ("sip", "credit"): 21,
        ("mpls", "usage"): 4, ("mpls", "one_time"): 5, ("mpls", "credit"): 4,
        (None, "usage"): 4, (None, "one_time"): 5, (None, "credit"): 4,
    }  # fmt: skip


def test_without_a_catch_all_pair_a_line_may_have_none() -> None:
    mapping = parse_service_mapping(
        _document(pairs=[{"product_type": "mpls", "transaction_type": 1, "service_type": 4}])
    )
    assert mapping.pair_for("dia", ChargeType.RECURRING) is None


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"pairs": []}, "pairs: list should have at least 1 item"),
        ({"pairs": [{"transaction_type": 1, "service_type": 4},
                    {"transaction_type": 2, "service_type": 5}]},
         "pairs\\[0\\] and pairs\\[1\\] both map product type '\\*' with charge type '\\*'"),
        ({"pairs": [{"charge_type": "monthly", "transaction_type": 1, "service_type": 4}]},
         "pairs\\[0\\].charge_type: 'monthly' is not a charge type"),
        ({"pairs": [{"transaction_type": "1", "service_type": 4}]},
         "pairs\\[0\\].transaction_type: input should be a valid integer"),
        ({"pairs": [{"transaction_type": -1, "service_type": 4}]},
         "pairs\\[0\\].transaction_type: input should be greater than or equal to 0"),
        ({"customer_types": {"business": 1}},
         "customer_types: no customer type for government, residential, wholesale"),
        ({"customer_types": {**CUSTOMERS, "business": 7}}, "customer_types: business: 7 is not one of"),
        ({"customer_types": {**CUSTOMERS, "martian": 1}}, "customer_types.martian"),
        ({"sale_types": {"wholesale": 9}}, "sale_types: wholesale: 9 is not one of 0 wholesale"),
        ({"discount_types": {"credit": 6}}, "discount_types: credit: 6 is not one of"),
        # No customer class is exempt as such: exemptions come from certificates.
        ({"exemptions": {"government": [{"tax_type": 3, "domain": 0, "scope": 128}]}},
         "exemptions: is not a known field"),
        ({"treatments": {"14": "exempt"}}, "treatments: 14: 'exempt' cannot come from the service"),
        ({"private_line_split": 0.5}, "private_line_split: 0.5 is a binary float"),
        ({"private_line_split": "1.5"}, "private_line_split: input should be less than or equal to 1"),
        ({"tax_categories": {"3": ""}}, "tax_categories.3: string should have at least 1 character"),
        ({"colour": "blue"}, "colour: is not a known field"),
    ],
)  # fmt: skip
def test_a_bad_document_names_the_field(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(TaxProviderConfigError, match=f"^service mapping: .*{problem}"):
        parse_service_mapping(_document(**fields))


def test_the_default_mapping_is_labelled_illustrative_and_covers_every_family() -> None:
    assert DEFAULT_SERVICE_MAPPING.label.startswith("illustrative")
    for product_type in ("mpls", "dia", "sdwan", "security", "sip"):
        for charge_type in ChargeType:
            assert DEFAULT_SERVICE_MAPPING.pair_for(product_type, charge_type) is not None
    assert DEFAULT_SERVICE_MAPPING.pair_for(None, ChargeType.CREDIT) == ServicePair(
        1, 4, "account-level charges and credits"
    )
