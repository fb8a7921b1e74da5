"""`adapter_from_settings`: the external tax provider, built from a settings document.

Off unless configured: an empty document, or `provider: local`, gives None (the local engine
stays the tax step). `provider: afc` gives a `CommunicationsTaxAdapter`:

```yaml
provider: afc
url: https://communicationsua.avalara.net/api/v2/afc/CalcTaxes
client_id_name: AFC_CLIENT_ID      # names of entries in the `secrets` the caller passes
api_key_name: AFC_API_KEY
client_profile_id: 2               # optional
timeout_s: 60                      # optional
company: {business_class: 1, service_class: 0, facilities_based: true}
mapping: {...}                     # a service mapping document (see ServiceMapping)
```

Secrets are looked up by name in the mapping the caller passes (for instance `dict(os.environ)`,
chosen by the caller); nothing here reads the environment or files. With a `transport` given (a
fake, in tests and demos) no url or secrets are needed and the mapping defaults to the
illustrative `DEFAULT_SERVICE_MAPPING`; a real service needs the operator's own mapping.
"""

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator

from tollway.tax.core import TaxAccountData
from tollway.tax.provider._adapter import CommunicationsTaxAdapter, Transport
from tollway.tax.provider._default import DEFAULT_SERVICE_MAPPING
from tollway.tax.provider._errors import TaxProviderConfigError
from tollway.tax.provider._http import HttpTransport, request_timeout_s
from tollway.tax.provider._mapping import CompanyProfile, parse_service_mapping
from tollway.tax.provider._request import NO_ACCOUNT_DATA
from tollway.tax.provider._schema import StrictFlag, StrictInteger, StrictModel, problems_of

Flag = Annotated[StrictInteger, Field(ge=0, le=1)]


class _CompanySpec(StrictModel):
    business_class: Flag = 1
    service_class: Flag = 0
    facilities_based: StrictFlag = True
    franchise: StrictFlag = False
    regulated: StrictFlag = False
    identifier: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("identifier")
    @classmethod
    def _short(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) > 20:
            raise ValueError("AFC's idnt holds at most 20 bytes")
        return value


class _SettingsSpec(StrictModel):
    provider: Literal["local", "afc"] = "local"
    url: str | None = None
    client_id_name: str | None = None
    api_key_name: str | None = None
    client_profile_id: StrictInteger | None = None
    timeout_s: Annotated[StrictInteger, Field(ge=1, le=600)] = request_timeout_s
    company: _CompanySpec = _CompanySpec()
    mapping: dict[str, Any] | None = None


def _secret(name: str | None, field: str, secrets: Mapping[str, str]) -> str:
    if not name:
        raise TaxProviderConfigError(
            f"tax provider settings: {field} is required for a real service"
        )
    value = secrets.get(name)
    if not value:
        raise TaxProviderConfigError(
            f"tax provider settings: {field} names secret {name!r}, which was not given"
        )
    return value


def _http_transport(spec: _SettingsSpec, secrets: Mapping[str, str]) -> HttpTransport:
    if not spec.url:
        raise TaxProviderConfigError("tax provider settings: url is required for a real service")
    if spec.mapping is None:
        raise TaxProviderConfigError(
            "tax provider settings: mapping is required for a real service (the default mapping "
            "is illustrative)"
        )
    return HttpTransport(
        url=spec.url,
        client_id=_secret(spec.client_id_name, "client_id_name", secrets),
        api_key=_secret(spec.api_key_name, "api_key_name", secrets),
        client_profile_id=spec.client_profile_id,
        timeout_s=spec.timeout_s,
    )


def adapter_from_settings(
    settings: Mapping[str, Any],
    *,
    transport: Transport | None = None,
    secrets: Mapping[str, str] | None = None,
    account_data: TaxAccountData = NO_ACCOUNT_DATA,
) -> CommunicationsTaxAdapter | None:
    """The configured external tax provider, or None when none is configured; it claims the
    exemption certificates of `account_data` (as `TaxEngine` applies them).

    >>> adapter_from_settings({}) is None
    True
    >>> from tollway.tax.provider._fake import FakeCommunicationsTaxService
    >>> adapter = adapter_from_settings({"provider": "afc"},
    ...                                 transport=FakeCommunicationsTaxService())
    >>> adapter.mapping.label.startswith("illustrative")
    True
    """
    try:
        spec = _SettingsSpec.model_validate(settings)
    except ValidationError as error:
        raise TaxProviderConfigError(f"tax provider settings: {problems_of(error)}") from None
    if spec.provider == "local":
        return None
    chosen = transport if transport is not None else _http_transport(spec, secrets or {})
    mapping = (
        DEFAULT_SERVICE_MAPPING if spec.mapping is None else parse_service_mapping(spec.mapping)
    )
    company = CompanyProfile(
        business_class=spec.company.business_class,
        service_class=spec.company.service_class,
        facilities_based=spec.company.facilities_based,
        franchise=spec.company.franchise,
        regulated=spec.company.regulated,
        identifier=spec.company.identifier,
    )
    return CommunicationsTaxAdapter(
        chosen, mapping=mapping, company=company, account_data=account_data
    )
