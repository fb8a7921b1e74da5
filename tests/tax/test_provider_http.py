"""The HTTP transport's pure parts: exact JSON out, Decimals in, headers, checks. The transport
itself is never called here (no network)."""

from decimal import Decimal

import pytest

from tollway.tax.provider import HttpTransport, TaxProviderConfigError, TaxProviderError
from tollway.tax.provider._http import decode_json, encode_json


def test_amounts_go_out_as_exact_numbers_with_sorted_keys() -> None:
    request = {"itms": [{"chg": Decimal("1000.10"), "min": Decimal("1E+3"), "incl": False}],
               "cmpn": {"idnt": "Ünïcode \"co\""}, "tiny": Decimal("1E-9")}  # fmt: skip
    assert encode_json(request) == (
        '{"cmpn":{"idnt":"\\u00dcn\\u00efcode \\"co\\""},'
        '"itms":[{"chg":1000.10,"incl":false,"min":1000}],"tiny":0.000000001}'
    )


def test_a_float_never_goes_out() -> None:
    with pytest.raises(AssertionError, match="a float reached a tax request"):
        encode_json({"chg": 0.1})


def test_answers_come_back_with_decimal_amounts() -> None:
    answer = decode_json(
        b'{"inv": [{"itms": [{"txs": [{"tax": 1.6672499999999997, "tid": 454}]}]}]}'
    )
    tax = answer["inv"][0]["itms"][0]["txs"][0]
    assert (tax["tax"], type(tax["tax"]), tax["tid"]) == (
        Decimal("1.6672499999999997"),
        Decimal,
        454,
    )


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"<html>502 Bad Gateway</html>", "the answer is not JSON"),
        (b'{"tax": NaN}', "the answer is not JSON: NaN is not a number"),
        (b"[1, 2]", "the answer is a JSON list, not an object"),
        (b"\xff\xfe", "the answer is not JSON"),
    ],
)
def test_an_unusable_answer_is_a_provider_error(raw: bytes, problem: str) -> None:
    with pytest.raises(TaxProviderError, match=problem):
        decode_json(raw)


def test_headers_carry_the_credentials_and_the_repr_hides_the_key() -> None:
    transport = HttpTransport(
        url="https://communications.avalara.net/api/v2/afc/CalcTaxes",
        client_id="12345",
        api_key="dXNlcjpwYXNz",
        client_profile_id=7,
    )
    assert transport._headers() == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "api_key": "dXNlcjpwYXNz",
        "client_id": "12345",
        "client_profile_id": "7",
    }
    assert "dXNlcjpwYXNz" not in repr(transport)


@pytest.mark.parametrize(
    "url", ["http://tax.example/CalcTaxes", "file:///etc/passwd", "ftp://tax.example"]
)
def test_only_https_or_a_local_stand_in_is_accepted(url: str) -> None:
    with pytest.raises(TaxProviderConfigError, match="use https"):
        HttpTransport(url=url, client_id="1", api_key="k")
    assert HttpTransport(url="http://localhost:8080/CalcTaxes", client_id="1", api_key="k")


def test_credentials_are_required() -> None:
    with pytest.raises(TaxProviderConfigError, match="client_id and api_key are both required"):
        HttpTransport(url="https://tax.example", client_id="", api_key="k")
