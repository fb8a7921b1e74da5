"""The provider package's public surface is pinned (CONSTANTS, Classes, functions)."""

import tollway.tax.provider as provider


def test_the_exports_are_pinned() -> None:
    assert provider.__all__ == [
        "DEFAULT_SERVICE_MAPPING",
        "TAX_ROUNDING_MODE",
        "CalcTaxesRequest",
        "CommunicationsTaxAdapter",
        "CompanyProfile",
        "Exemption",
        "FakeCommunicationsTaxService",
        "HttpTransport",
        "ServiceMapping",
        "ServicePair",
        "TaxProviderConfigError",
        "TaxProviderError",
        "TaxRequestError",
        "Transport",
        "adapter_from_settings",
        "build_request",
        "parse_service_mapping",
    ]
    assert all(hasattr(provider, name) for name in provider.__all__)


def test_error_codes_are_stable() -> None:
    assert (
        provider.TaxProviderError.code,
        provider.TaxRequestError.code,
        provider.TaxProviderConfigError.code,
    ) == ("tax_provider_failed", "tax_request_invalid", "invalid_tax_provider_config")
