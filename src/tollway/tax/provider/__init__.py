"""The external tax provider seam: an adapter for a communications tax service modelled on
Avalara's AvaTax for Communications (AFC) REST v2 `CalcTaxes`.

Owns: `CommunicationsTaxAdapter` (billing's `TaxCalculator` / the tax package's `TaxProvider`
signature), the `ServiceMapping` from bill lines to transaction/service pairs and back, the
exemptions claimed for the accounts' certificates, the `HttpTransport`,
`FakeCommunicationsTaxService` (a fake at the seam for tests and demos), and
`adapter_from_settings`. Off unless configured: nothing uses the provider until a setting wires it.
Invariants: one request per bill and one transport call; every line keeps its id and place; a
tax-exclusive line keeps its amount, a tax-inclusive line's amount plus billed taxes equals its
price and its `precise_amount` stays the price; a bill is described as the local engine taxes it
(voice lines once per circuit, seconds as minutes, exemptions only from certificates valid on the
bill date); amounts are exact (JSON floats refused) and each tax is rounded once with a named
mode; every failure is a typed error naming the bill's account.
May import: the domain packages (money, accounts, catalog, inventory, billing) and pydantic; only
`_http` does I/O (urllib, no environment or file reads), and no test calls it.

Field names, confirmed against Avalara's Communications REST v2 developer guide
(developer.avalara.com/communications/dev-guide_rest_v2/, stored copy in the public repository
bob-erdman/developer-dot, `communications/dev-guide_rest_v2/reference/*.md` and
`customizing-transactions/sample-transactions/{adjustment,tax-inclusive,private-line}.md`;
`getting-started/{authentication,environments-endpoints}.md`):
- request: `cmpn` {`bscl`, `svcl`, `fclt`, `frch`, `reg`, `idnt`}; `inv` [{`doc`, `cmmt`, `bill`,
  `cust` (0 residential, 1 business, 2 senior citizen, 3 industrial), `date`, `exms` [{`loc`,
  `tpe`, `dom`, `scp`, `frc`}], `itms`, `invm`, `dtl`, `summ`}]; line item {`ref`, `from`, `to`,
  `chg`, `line`, `min`, `sale` (0 wholesale, 1 retail), `plsp`, `incl`, `tran`, `serv`, `disc`};
  location {`ctry`, `st`, `city`, `zip`}, or {`pcd`} for an exemption (also `fips`, `npa`, not
  sent here); limits of
  10,000 items per request and 150 bytes per `ref`/`doc`; negative `chg` with `adj` false is one
  documented way to send a credit.
- response: `inv` [{`doc`, `itms` [{`ref`, `base` (tax-inclusive items), `txs`, `err`}], `err`}],
  `err` [{`code`, `msg`}]; tax {`tid`, `lvl` (0 federal … 4 unincorporated), `tax`, `rate`, `tm`,
  `calc` (1–7), `name`, `bill`, `cmpl`, `pcd`, `lns`, `min`, `exm` (the exempt sale amount),
  also `cat`, `cid`, `sur`, read but unused}; an exempted tax is answered with `tax` 0 and its
  `exm` (the samples of `sample-transactions/tax-type-exemption.md`). The service sends amounts
  as JSON doubles, hence `parse_float=Decimal`.
- headers `api_key`, `client_id`, `client_profile_id`; endpoint `/api/v2/afc/CalcTaxes`.

Assumed (not found in the documentation): the tax result has no `jur` field, so a tax's
jurisdiction is its PCode `pcd`, translated by the mapping's `jurisdictions` table; every item
sent gets an item result (even with no taxes); `date` is sent as the bill date at 12:00 UTC. All
T/S pair numbers and most tax ids in `DEFAULT_SERVICE_MAPPING` and the fake are placeholders.
"""

from tollway.tax.provider._adapter import (
    TAX_ROUNDING_MODE,
    CommunicationsTaxAdapter,
    Transport,
)
from tollway.tax.provider._default import DEFAULT_SERVICE_MAPPING
from tollway.tax.provider._errors import TaxProviderConfigError, TaxProviderError, TaxRequestError
from tollway.tax.provider._fake import FakeCommunicationsTaxService
from tollway.tax.provider._http import HttpTransport
from tollway.tax.provider._mapping import (
    CompanyProfile,
    Exemption,
    ServiceMapping,
    ServicePair,
    parse_service_mapping,
)
from tollway.tax.provider._request import CalcTaxesRequest, build_request
from tollway.tax.provider._settings import adapter_from_settings

__all__ = [
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
