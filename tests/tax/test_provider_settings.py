"""The provider is off unless configured; configured, it is built from a settings document with
secrets the caller passes (never read from the environment here)."""

from typing import Any

import pytest

from tollway.tax import parse_tax_account_data
from tollway.tax.provider import (
    DEFAULT_SERVICE_MAPPING,
    CompanyProfile,
    FakeCommunicationsTaxService,
    HttpTransport,
    TaxProviderConfigError,
    adapter_from_settings,
)
from tollway.tax.provider._default import DEFAULT_MAPPING_DOCUMENT

REAL = {
    "provider": "afc",
    "url": "https://communicationsua.avalara.net/api/v2/afc/CalcTaxes",
    "client_id_name": "AFC_CLIENT_ID",
    "api_key_name": "AFC_API_KEY",
    "client_profile_id": 2,
    "timeout_s": 30,
    "company": {"business_class": 0, "identifier": "TOLLWAY"},
    "mapping": DEFAULT_MAPPING_DOCUMENT,
}
SECRETS = {"AFC_CLIENT_ID": "12345", "AFC_API_KEY": "dXNlcjpwYXNz"}


@pytest.mark.parametrize("settings", [{}, {"provider": "local"}])
def test_without_a_provider_setting_there_is_no_adapter(settings: dict[str, Any]) -> None:
    assert adapter_from_settings(settings) is None


def test_with_a_fake_transport_the_illustrative_mapping_is_the_default() -> None:
    fake = FakeCommunicationsTaxService()
    adapter = adapter_from_settings({"provider": "afc"}, transport=fake)
    assert adapter is not None
    assert (adapter.transport, adapter.mapping, adapter.company) == (
        fake, DEFAULT_SERVICE_MAPPING, CompanyProfile(),
    )  # fmt: skip


def test_the_adapter_claims_the_certificates_it_is_given() -> None:
    data = parse_tax_account_data(
        {"exemption_certificates": [
            {"id": "EX-1", "number": "N-1", "billing_account_id": "GOV",
             "issuing_jurisdiction": "US", "tax_types": ["federal_excise"],
             "levels": ["federal"], "valid_from": "2026-01-01"},
        ]},
        source="accounts.yaml",
    )  # fmt: skip
    adapter = adapter_from_settings(
        {"provider": "afc"}, transport=FakeCommunicationsTaxService(), account_data=data
    )
    assert adapter is not None
    assert adapter.account_data == data


def test_a_real_service_gets_an_https_transport_with_the_named_secrets() -> None:
    adapter = adapter_from_settings(REAL, secrets=SECRETS)
    assert adapter is not None
    assert adapter.transport == HttpTransport(
        url="https://communicationsua.avalara.net/api/v2/afc/CalcTaxes",
        client_id="12345",
        api_key="dXNlcjpwYXNz",
        client_profile_id=2,
        timeout_s=30,
    )
    assert adapter.company == CompanyProfile(business_class=0, identifier="TOLLWAY")
    assert adapter.mapping == DEFAULT_SERVICE_MAPPING


@pytest.mark.parametrize(
    ("settings", "secrets", "problem"),
    [
        ({**REAL, "url": None}, SECRETS, "url is required for a real service"),
        ({**REAL, "mapping": None}, SECRETS, "mapping is required for a real service"),
        ({**REAL, "api_key_name": None}, SECRETS, "api_key_name is required"),
        (REAL, {"AFC_CLIENT_ID": "12345"}, "api_key_name names secret 'AFC_API_KEY', which was not given"),
        ({**REAL, "url": "http://tax.example/CalcTaxes"}, SECRETS, "use https"),
        ({**REAL, "provider": "vertex"}, SECRETS, "provider: input should be 'local' or 'afc'"),
        ({**REAL, "timeout_s": 0}, SECRETS, "timeout_s: input should be greater than or equal to 1"),
        ({**REAL, "company": {"identifier": "X" * 21}}, SECRETS, "company.identifier: AFC's idnt holds at most 20 bytes"),
        ({**REAL, "mapping": {"label": "x"}}, SECRETS, "service mapping: pairs: is required but missing"),
        ({**REAL, "password": "hunter2"}, SECRETS, "password: is not a known field"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_field_and_never_a_secret(
    settings: dict[str, Any], secrets: dict[str, str], problem: str
) -> None:
    with pytest.raises(TaxProviderConfigError, match=problem) as raised:
        adapter_from_settings(settings, secrets=secrets)
    assert "dXNlcjpwYXNz" not in raised.value.message
