"""Typed errors of the external tax provider adapter, each with a stable code."""

from tollway.money import TollwayError


class TaxProviderError(TollwayError):
    """The tax service could not be reached, failed, or answered something unusable; the message
    names the bill's account and what was wrong."""

    code = "tax_provider_failed"


class TaxRequestError(TollwayError):
    """A bill cannot be described to the tax service (an unknown site or product, a line with no
    transaction/service pair); the message names the line and what to fix."""

    code = "tax_request_invalid"


class TaxProviderConfigError(TollwayError):
    """A service-mapping or provider-settings document is invalid; the message names the field."""

    code = "invalid_tax_provider_config"
