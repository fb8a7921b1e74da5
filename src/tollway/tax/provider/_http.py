"""`HttpTransport`: POSTs a CalcTaxes request as JSON to an AFC-like service over HTTPS.

The only module of this package with I/O; tests never call it (no network). Credentials are
arguments, never read from the environment or files here. Amounts go out as exact JSON numbers
(Decimal digits written as they are) and come back as Decimals (`parse_float=Decimal`).

Headers (AFC Communications REST v2, "Authentication"): `api_key` (Base64 of
"username:password"), `client_id`, optional `client_profile_id`, `Content-Type:
application/json`. Endpoint: `POST <base>/api/v2/afc/CalcTaxes` (sandbox base
https://communicationsua.avalara.net, production https://communications.avalara.net).
"""

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlsplit

from tollway.tax.provider._errors import TaxProviderConfigError, TaxProviderError

CALC_TAXES_PATH: Final = "/api/v2/afc/CalcTaxes"
request_timeout_s: Final = 60
"""How long one CalcTaxes call may take (connect and each read), in seconds."""
response_bytes_max: Final = 64 * 1024 * 1024
"""The largest answer read (a 10,000-item bill with detail is a few MB)."""
_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def encode_json(value: Any) -> str:
    """Compact JSON with sorted keys; a Decimal is written as an exact fixed-point number, its
    digits as they are, never through a float.

    >>> encode_json({"chg": Decimal("100.10"), "itms": [True, None, 3, "a\\"b"]})
    '{"chg":100.10,"itms":[true,null,3,"a\\\\"b"]}'
    """
    if isinstance(value, Decimal):
        assert value.is_finite(), "amounts sent to a tax service are finite"
        return format(value, "f")
    if isinstance(value, Mapping):
        members = (f"{json.dumps(str(key))}:{encode_json(value[key])}" for key in sorted(value))
        return "{" + ",".join(members) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_json(member) for member in value) + "]"
    assert not isinstance(value, float), "a float reached a tax request"
    return json.dumps(value)


def _reject_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number")


def decode_json(raw: bytes) -> Mapping[str, Any]:
    """An answer's JSON object, numbers with a fraction as Decimals.

    >>> decode_json(b'{"tax": 1.6672499999999997, "tid": 454}')
    {'tax': Decimal('1.6672499999999997'), 'tid': 454}
    """
    try:
        value = json.loads(
            raw.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise TaxProviderError(f"the answer is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise TaxProviderError(f"the answer is a JSON {type(value).__name__}, not an object")
    return value


@dataclass(frozen=True, slots=True)
class HttpTransport:
    """Sends CalcTaxes requests to `url` (HTTPS; plain HTTP only to this machine, for a local
    stand-in) with the account's `client_id` and `api_key`."""

    url: str
    client_id: str
    api_key: str = field(repr=False)
    client_profile_id: int | None = None
    timeout_s: int = request_timeout_s

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        local = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
        if parts.scheme != "https" and not local:
            raise TaxProviderConfigError(
                f"tax provider url {self.url!r}: use https (credentials travel with each request)"
            )
        if not self.client_id or not self.api_key:
            raise TaxProviderConfigError("tax provider: client_id and api_key are both required")
        assert 0 < self.timeout_s <= 600, "a tax provider timeout is 1 s to 10 min"

    def _headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "api_key": self.api_key,
            "client_id": self.client_id,
        }
        if self.client_profile_id is not None:
            headers["client_profile_id"] = str(self.client_profile_id)
        return headers

    def __call__(self, request: Mapping[str, Any]) -> Mapping[str, Any]:
        body = encode_json(request).encode("utf-8")
        http_request = urllib.request.Request(
            self.url, data=body, headers=self._headers(), method="POST"
        )
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout_s) as reply:
                raw = reply.read(response_bytes_max + 1)
        except urllib.error.HTTPError as error:
            raise TaxProviderError(
                f"{self.url} answered HTTP {error.code} {error.reason}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise TaxProviderError(f"{self.url} could not be reached: {error}") from None
        if len(raw) > response_bytes_max:
            raise TaxProviderError(f"{self.url} answered more than {response_bytes_max} bytes")
        return decode_json(raw)
