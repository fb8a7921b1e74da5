"""The service's answer, mapped back onto the bill: AppliedTax lines, tax items, and every way a
malformed answer or a failing transport becomes a `TaxProviderError` naming the account.

The bill (account ACME, 2026-04-01): L1, the MPLS port P1's 1000.00 monthly charge; L2, its
250.00 install fee. The answers are written out by hand in AFC's shape; their amounts carry the
long decimals a real service returns (JSON doubles, decoded exactly).
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tollway.billing import AppliedBillingRate, AppliedTax, ChargeType, TaxItem, TaxTreatment
from tollway.money import Money
from tollway.tax.provider import (
    DEFAULT_SERVICE_MAPPING,
    CommunicationsTaxAdapter,
    TaxProviderError,
    parse_service_mapping,
)
from tollway.tax.provider._default import DEFAULT_MAPPING_DOCUMENT

from .provider_world import World, activated, bill_line, day

DOC = "ACME:2026-04-01"


class Scripted:
    """A transport that answers one written-out answer and keeps what it was sent."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests: list[Mapping[str, Any]] = []

    def __call__(self, request: Mapping[str, Any]) -> Any:
        self.requests.append(request)
        return self.answer


def _tax(tid: int, lvl: int, pcd: int, rate: str, tm: str, tax: str, **more: Any) -> dict[str, Any]:
    return {"tid": tid, "lvl": lvl, "pcd": pcd, "rate": Decimal(rate), "tm": Decimal(tm),
            "tax": Decimal(tax), "bill": True, "cmpl": True, "calc": 1, "name": f"tax {tid}",
            **more}  # fmt: skip


def _answer(*items: dict[str, Any]) -> dict[str, Any]:
    return {"inv": [{"doc": DOC, "itms": list(items)}]}


def _lines(currency_code: str = "USD") -> tuple[AppliedBillingRate, ...]:
    return (
        bill_line("L1", amount="1000.00" if currency_code == "USD" else "1000", product="P1",
                  price="port-mrc", currency_code=currency_code),
        bill_line("L2", amount="250.00" if currency_code == "USD" else "250",
                  charge_type=ChargeType.ONE_TIME, product="P1", price="port-nrc",
                  currency_code=currency_code),
    )  # fmt: skip


def _apply(
    answer: Any,
    lines: tuple[AppliedBillingRate, ...] | None = None,
    *,
    mapping: Any = DEFAULT_SERVICE_MAPPING,
    currency_code: str = "USD",
    inclusive: bool = False,
) -> tuple[tuple[AppliedBillingRate, ...], tuple[TaxItem, ...]]:
    world = World()
    world.account("ACME", currency_code=currency_code)
    world.offering(
        "port", mrc="1000", nrc="250", tax_inclusive=inclusive, currency_code=currency_code
    )
    world.product("P1", account="ACME", offering="port", events=activated(day(4, 1)))
    inputs = world.inputs()
    adapter = CommunicationsTaxAdapter(
        answer if callable(answer) else Scripted(answer), mapping=mapping
    )
    return adapter.apply(
        _lines(currency_code) if lines is None else lines,
        account=inputs.accounts["ACME"],
        party=inputs.parties["party-ACME"],
        inputs=inputs,
        bill_date=date(2026, 4, 1),
    )


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


ANSWER = _answer(
    {"ref": "L1", "txs": [
        # A tax the mapping has no category or jurisdiction for: afc_454 at afc_pcode_253500.
        _tax(454, 1, 253500, "0.0475", "35.099999999999994", "1.6672499999999997",
             name="Universal Lifeline Telephone Service Charge (VoIP)"),
        _tax(1, 1, 4200000, "0.06", "1000.00", "60"),
        _tax(14, 1, 3600000, "0.025", "1000", "25.005", bill=False),
        _tax(99, 3, 377300, "0.01", "1000", "10", bill=False, cmpl=False),
        _tax(250, 1, 4200000, "1.65", "0", "37.95", calc=4, lns=Decimal(23)),
    ]},
    {"ref": "L2", "txs": [
        _tax(1, 1, 4200000, "0.06", "250.00", "15.00"),
        _tax(3, 0, 0, "0.03", "250.00", "7.5"),
    ]},
)  # fmt: skip


def test_each_returned_tax_becomes_an_applied_tax_rounded_half_up() -> None:
    lines, _ = _apply(ANSWER)
    assert lines[0].taxes == (
        # 1.66724999... → 1.67
        AppliedTax("afc_454", "afc_pcode_253500", Decimal("0.0475"),
                   usd("35.099999999999994"), usd("1.67"), "state",
                   "Universal Lifeline Telephone Service Charge (VoIP)", "afc:454",
                   TaxTreatment.BILLED, "rate", None),
        AppliedTax("state_sales", "US-PA", Decimal("0.06"), usd("1000.00"), usd("60"), "state",
                   "tax 1", "afc:1", TaxTreatment.BILLED, "rate", None),
        # Not billable but reported: compliance only; 25.005 → 25.01.
        AppliedTax("gross_receipts", "US-NY", Decimal("0.025"), usd("1000"), usd("25.01"),
                   "state", "tax 14", "afc:14", TaxTreatment.COMPLIANCE_ONLY, "rate", None),
        # Neither billable nor reported: the operator's own cost.
        AppliedTax("afc_99", "afc_pcode_377300", Decimal("0.01"), usd("1000"), usd("10"), "city",
                   "tax 99", "afc:99", TaxTreatment.CARRIER_ABSORBED, "rate", None),
        # Per line: 23 lines x 1.65 = 37.95, units from `lns`.
        AppliedTax("e911", "US-PA", Decimal("1.65"), usd("0"), usd("37.95"), "state", "tax 250",
                   "afc:250", TaxTreatment.BILLED, "per_line", Decimal(23)),
    )  # fmt: skip
    assert lines[1].taxes == (
        AppliedTax("state_sales", "US-PA", Decimal("0.06"), usd("250.00"), usd("15.00"), "state",
                   "tax 1", "afc:1", TaxTreatment.BILLED, "rate", None),
        AppliedTax("federal_excise", "US", Decimal("0.03"), usd("250.00"), usd("7.5"), "federal",
                   "tax 3", "afc:3", TaxTreatment.BILLED, "rate", None),
    )  # fmt: skip


def test_tax_exclusive_lines_keep_their_amounts_and_only_billed_taxes_count() -> None:
    lines, _ = _apply(ANSWER)
    # L1: 1.67 + 60 + 37.95 = 99.62 (compliance-only 25.01 and absorbed 10 are not charged).
    assert [(str(line.amount), str(line.tax_amount), line.tax_inclusive) for line in lines] == [
        ("1000.00 USD", "99.62 USD", False),
        ("250.00 USD", "22.50 USD", False),
    ]


def test_tax_items_are_the_billed_taxes_per_category_and_rate_in_order() -> None:
    _, items = _apply(ANSWER)
    assert items == (
        TaxItem("afc_454", Decimal("0.0475"), usd("1.67")),
        TaxItem("e911", Decimal("1.65"), usd("37.95")),
        TaxItem("federal_excise", Decimal("0.03"), usd("7.50")),
        TaxItem("state_sales", Decimal("0.06"), usd("75.00")),  # 60 + 15
    )


def test_the_mapping_may_name_the_treatment_of_a_tax_type() -> None:
    document = {
        **DEFAULT_MAPPING_DOCUMENT,
        "treatments": {14: "carrier_absorbed", 1: "compliance_only"},
    }
    lines, items = _apply(ANSWER, mapping=parse_service_mapping(document))
    assert [(tax.rule_id, tax.treatment.value) for tax in lines[0].taxes] == [
        ("afc:454", "billed"),
        ("afc:1", "compliance_only"),
        ("afc:14", "carrier_absorbed"),
        ("afc:99", "carrier_absorbed"),
        ("afc:250", "billed"),
    ]
    assert [item.tax_category for item in items] == ["afc_454", "e911", "federal_excise"]


def test_per_minute_taxes_count_minutes_and_levels_read_as_names() -> None:
    answer = _answer(
        {"ref": "L1", "txs": [_tax(7, 2, 1, "0.001", "0", "1.25", calc=3, min=Decimal(1250)),
                              _tax(8, 4, 2, "0.01", "0", "2", calc=2)]},
        {"ref": "L2", "txs": [_tax(9, 3, 3, "1", "0", "4", calc=6, lns=Decimal(4)),
                              _tax(10, 3, 3, "0.02", "250", "5", calc=7)]},
    )  # fmt: skip
    lines, _ = _apply(answer)
    assert [
        (tax.calculation, tax.units, tax.jurisdiction_level) for line in lines for tax in line.taxes
    ] == [
        ("per_minute", Decimal(1250), "county"),
        ("fixed", None, "unincorporated"),
        ("bracket", Decimal(4), "city"),
        ("bracket", None, "city"),
    ]


def test_yen_taxes_round_to_whole_yen() -> None:
    answer = _answer(
        {"ref": "L1", "txs": [_tax(1, 1, 4200000, "0.0305", "1000", "30.5")]},
        {"ref": "L2", "txs": [_tax(1, 1, 4200000, "0.02996", "250", "7.49")]},
    )
    lines, items = _apply(answer, currency_code="JPY")
    assert [str(tax.tax_amount) for line in lines for tax in line.taxes] == ["31 JPY", "7 JPY"]
    assert [str(item.tax_amount) for item in items] == ["7 JPY", "31 JPY"]


def test_a_tax_inclusive_line_is_split_into_its_base_and_its_billed_taxes() -> None:
    # 109.00 including 3 % + 6 %: base 100.00, taxes 3.00 and 6.00 (the service's own rounding
    # leaves 99.999999 + 3.0000001 + 5.9999999, each rounded to cents).
    answer = _answer(
        {"ref": "L1", "base": Decimal("99.999999"), "txs": [
            _tax(3, 0, 0, "0.03", "99.999999", "3.0000001"),
            _tax(1, 1, 4200000, "0.06", "99.999999", "5.9999999"),
            _tax(14, 1, 3600000, "0.025", "99.999999", "2.4999999", bill=False),
        ]},
    )  # fmt: skip
    line = bill_line("L1", amount="109.00", product="P1", price="port-mrc")
    (taxed,), items = _apply(answer, (line,), inclusive=True)
    # The precise amount stays the priced 109.00, as with the local engine.
    assert (str(taxed.amount), str(taxed.tax_amount), taxed.precise_amount, taxed.tax_inclusive) == (
        "100.00 USD", "9.00 USD", Decimal("109.00"), True,
    )  # fmt: skip
    assert taxed.amount + taxed.tax_amount == usd("109.00")
    assert items == (
        TaxItem("federal_excise", Decimal("0.03"), usd("3.00")),
        TaxItem("state_sales", Decimal("0.06"), usd("6.00")),
    )


def test_a_zero_bill_is_not_sent() -> None:
    transport = Scripted(ANSWER)
    line = bill_line("L1", amount="0.00", product="P1")
    lines, items = _apply(transport, (line,))
    assert (lines, items, transport.requests) == ((line,), (), [])


def test_zero_lines_keep_their_place_without_taxes() -> None:
    lines = (
        bill_line("L0", amount="0.00", product="P1"),
        *_lines(),
    )
    taxed, _ = _apply(ANSWER, lines)
    assert [(line.id, len(line.taxes)) for line in taxed] == [("L0", 0), ("L1", 5), ("L2", 2)]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        pytest.param(_answer({"ref": "L1", "txs": []}),
                     "1 item results for the 2 items sent", id="missing item"),
        pytest.param(_answer({"ref": "L1", "txs": []}, {"ref": "L9", "txs": []}),
                     "itms\\[1\\] is for unknown item ref 'L9'", id="unknown ref"),
        pytest.param(_answer({"ref": "L1", "txs": []}, {"ref": "L1", "txs": []}),
                     "item ref 'L1' is answered twice", id="duplicate ref"),
        pytest.param(_answer({"ref": "L1", "txs": [{**_tax(1, 1, 0, "0.06", "1", "1"), "tax": 1.5}]},
                             {"ref": "L2"}),
                     "inv\\[0\\].itms\\[0\\].txs\\[0\\].tax: 1.5 is a binary float", id="float amount"),
        pytest.param(_answer({"ref": "L1", "txs": [{**_tax(1, 1, 0, "0.06", "1", "1"), "rate": "six"}]},
                             {"ref": "L2"}),
                     "inv\\[0\\].itms\\[0\\].txs\\[0\\].rate: input should be a valid decimal",
                     id="non-decimal amount"),
        pytest.param(_answer({"ref": "L1", "txs": [_tax(1, 1, 0, "0.06", "1", "1", bill="yes")]},
                             {"ref": "L2"}),
                     "txs\\[0\\].bill: input should be a valid boolean", id="non-boolean flag"),
        pytest.param(_answer({"ref": "L1", "txs": [_tax(1, 7, 0, "0.06", "1", "1")]}, {"ref": "L2"}),
                     "txs\\[0\\].lvl: input should be less than or equal to 4", id="unknown level"),
        pytest.param(_answer({"ref": "L1", "txs": [{"tid": 1, "lvl": 1, "tax": "1", "rate": "1",
                                                    "tm": "1", "cmpl": True, "pcd": 0}]},
                             {"ref": "L2"}),
                     "txs\\[0\\].bill: is required but missing", id="missing flag"),
        pytest.param({"err": [{"code": -2000, "msg": "Request body cannot be empty."}]},
                     "the service answered errors: -2000: Request body cannot be empty.",
                     id="request error"),
        pytest.param(_answer({"ref": "L1", "err": [{"code": -1000, "msg": "Invalid T/S pair"}]},
                             {"ref": "L2"}),
                     "item L1 failed: -1000: Invalid T/S pair", id="item error"),
        pytest.param({"inv": [{"doc": DOC, "err": [{"msg": "Items list is empty."}]}]},
                     "the invoice failed: Items list is empty.", id="invoice error"),
        pytest.param({"inv": [{"doc": "OTHER:2026-04-01", "itms": []}]},
                     "is for document 'OTHER:2026-04-01', not 'ACME:2026-04-01'", id="other document"),
        pytest.param({"inv": []}, "0 invoice results for the 1 invoice sent", id="no invoice"),
        pytest.param(["not", "an", "object"], "malformed answer: \\(document\\): input should be a valid dictionary",
                     id="not an object"),
    ],
)  # fmt: skip
def test_a_malformed_answer_is_a_provider_error_naming_the_account(
    answer: Any, problem: str
) -> None:
    with pytest.raises(TaxProviderError, match=problem) as raised:
        _apply(answer)
    assert raised.value.code == "tax_provider_failed"
    assert raised.value.message.startswith(
        "tax provider, billing account 'ACME', bill of 2026-04-01: "
    )


def test_a_tax_inclusive_item_without_a_base_is_refused() -> None:
    answer = _answer({"ref": "L1", "txs": [_tax(1, 1, 4200000, "0.06", "100", "6")]})
    line = bill_line("L1", amount="106.00", product="P1", price="port-mrc")
    with pytest.raises(
        TaxProviderError, match="item L1 was sent tax-inclusive but its result has no base"
    ):
        _apply(answer, (line,), inclusive=True)


def test_a_tax_inclusive_split_that_does_not_add_up_is_refused() -> None:
    # 106.00 with base 90.00 but only 6.00 of tax: 10.00 unaccounted for.
    answer = _answer(
        {"ref": "L1", "base": "90.00", "txs": [_tax(1, 1, 4200000, "0.06", "100", "6")]}
    )
    line = bill_line("L1", amount="106.00", product="P1", price="port-mrc")
    with pytest.raises(
        TaxProviderError,
        match=r"base 90.00 and taxes 6.00 do not add up to the tax-inclusive charge 106.00",
    ):
        _apply(answer, (line,), inclusive=True)


def test_taxes_larger_than_a_tax_inclusive_charge_are_refused() -> None:
    answer = _answer(
        {"ref": "L1", "base": "-0.95", "txs": [_tax(250, 1, 4200000, "1.65", "0", "1.65", calc=4)]}
    )
    line = bill_line("L1", amount="0.70", product="P1", price="port-mrc")
    with pytest.raises(
        TaxProviderError, match=r"billed taxes 1.65 exceed the tax-inclusive charge 0.70"
    ):
        _apply(answer, (line,), inclusive=True)


def test_a_failing_transport_is_a_provider_error_naming_the_account() -> None:
    def refused(request: Mapping[str, Any]) -> Mapping[str, Any]:
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(
        TaxProviderError,
        match=r"^tax provider, billing account 'ACME', bill of 2026-04-01: the transport failed: "
        r"ConnectionRefusedError: connection refused$",
    ):
        _apply(refused)


def test_a_transport_reporting_its_own_provider_error_is_wrapped_with_the_account() -> None:
    def unavailable(request: Mapping[str, Any]) -> Mapping[str, Any]:
        raise TaxProviderError("https://tax.example answered HTTP 503 Service Unavailable")

    with pytest.raises(
        TaxProviderError, match=r"'ACME'.*TaxProviderError: https://tax.example answered HTTP 503"
    ):
        _apply(unavailable)
