"""`DEFAULT_SERVICE_MAPPING`: an ILLUSTRATIVE service mapping for the tests and the demo.

Dated 2026-11-25. The transaction/service pairs and most tax type ids below are placeholders, not
Avalara's tables: a few ids coincide with ones in Avalara's published CalcTaxes samples (tax type 1
"Sales Tax", 14 "Statutory Gross Receipts", 18 "Fed Universal Service Fund"; pair 1/4 in the
private-line sample), the rest are invented. The PCodes are invented too (state FIPS code x
100000), matching `FakeCommunicationsTaxService`. Before using a real service, write a mapping
from your account's `GET /api/v2/afc/tspairs` and `GET /api/v2/afc/taxtype/*` answers.
"""

from typing import Any, Final

from tollway.tax.provider._mapping import ServiceMapping, parse_service_mapping


def _family(product_type: str, transaction_type: int, name: str) -> list[dict[str, Any]]:
    """A product family's pairs: monthly service, activation, and everything else on its lines
    (discounts, credits, penalties, corrections) taxed like its monthly service."""
    return [
        {"product_type": product_type, "charge_type": "recurring",
         "transaction_type": transaction_type, "service_type": 4,
         "description": f"{name}: monthly service"},
        {"product_type": product_type, "charge_type": "one_time",
         "transaction_type": transaction_type, "service_type": 5,
         "description": f"{name}: activation"},
        {"product_type": product_type, "transaction_type": transaction_type, "service_type": 4,
         "description": f"{name}: other charges, taxed like the monthly service"},
    ]  # fmt: skip


DEFAULT_MAPPING_DOCUMENT: Final[dict[str, Any]] = {
    "label": "illustrative (tollway demo, 2026-11-25): placeholder pairs and tax ids, not AFC's",
    "pairs": [
        *_family("mpls", 1, "MPLS port"),
        *_family("dia", 2, "dedicated internet access"),
        *_family("sdwan", 3, "SD-WAN"),
        *_family("security", 4, "managed security"),
        *_family("sip", 19, "SIP trunk"),
        {"product_type": "sip", "charge_type": "usage", "transaction_type": 19,
         "service_type": 6, "description": "SIP trunk: usage (minutes)"},
        {"charge_type": "usage", "transaction_type": 20, "service_type": 6,
         "description": "usage (data)"},
        {"transaction_type": 1, "service_type": 4,
         "description": "account-level charges and credits"},
    ],
    "customer_types": {"business": 1, "government": 1, "residential": 0, "wholesale": 1},
    "sale_types": {"wholesale": 0},
    "discount_types": {"discount": 1, "credit": 5, "adjustment": 0},
    "tax_categories": {
        1: "state_sales",
        3: "federal_excise",
        14: "gross_receipts",
        18: "federal_usf",
        250: "e911",
    },
    "jurisdictions": {
        0: "US",
        600000: "US-CA",
        1000000: "US-DE",
        3400000: "US-NJ",
        3600000: "US-NY",
        4200000: "US-PA",
        4800000: "US-TX",
    },
    "private_line_split": "0.5",
    "country_codes": {"US": "USA", "CA": "CAN"},
}  # fmt: skip

DEFAULT_SERVICE_MAPPING: Final[ServiceMapping] = parse_service_mapping(DEFAULT_MAPPING_DOCUMENT)
"""ILLUSTRATIVE pairs and tax ids (see the module docstring); never for a real service."""
