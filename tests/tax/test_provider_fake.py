"""The fake communications tax service answers like the real one, from its illustrative tables:
federal excise 3 %, state sales tax (PA 6 %, NY 4 %, TX 6.25 %), NY gross receipts 2.5 % (not
billable), E911 per line (PA 1.65), PCode = state FIPS x 100000."""

from decimal import Decimal
from typing import Any

from tollway.tax.provider import FakeCommunicationsTaxService

PA = {"ctry": "USA", "st": "PA", "city": "Philadelphia", "zip": "19103"}
NY = {"ctry": "USA", "st": "NY", "city": "New York", "zip": "10019"}


def _request(*items: dict[str, Any], **invoice: Any) -> dict[str, Any]:
    return {
        "cmpn": {"bscl": 1, "svcl": 0, "fclt": True, "frch": False, "reg": False},
        "inv": [{"doc": "D1", "bill": PA, "cust": 1, "date": "2026-04-01T12:00:00Z",
                 "itms": list(items), **invoice}],
    }  # fmt: skip


def _item(**fields: Any) -> dict[str, Any]:
    return {"ref": "L1", "chg": Decimal("100.00"), "sale": 1, "incl": False, "tran": 1,
            "serv": 4, "from": PA, "to": PA, **fields}  # fmt: skip


def _taxes(answer: dict[str, Any], index: int = 0) -> list[tuple[Any, ...]]:
    """(tid, pcd, measure, tax, billable) of each tax of an item."""
    return [
        (tax["tid"], tax["pcd"], tax["tm"], tax["tax"], tax["bill"])
        for tax in answer["inv"][0]["itms"][index]["txs"]
    ]


def test_a_retail_item_in_pennsylvania_pays_excise_and_sales_tax() -> None:
    answer = FakeCommunicationsTaxService()(_request(_item()))
    # 100.00 x 3 % = 3.0000, 100.00 x 6 % = 6.0000
    assert answer == {
        "inv": [{"doc": "D1", "itms": [{"ref": "L1", "txs": [
            {"bill": True, "cmpl": True, "tm": Decimal("100.00"), "calc": 1,
             "name": "Federal Excise Tax", "exm": Decimal(0), "lns": Decimal(0),
             "min": Decimal(0), "pcd": 0, "rate": Decimal("0.03"), "sur": False,
             "tax": Decimal("3.0000"), "lvl": 0, "tid": 3},
            {"bill": True, "cmpl": True, "tm": Decimal("100.00"), "calc": 1, "name": "Sales Tax",
             "exm": Decimal(0), "lns": Decimal(0), "min": Decimal(0), "pcd": 4200000,
             "rate": Decimal("0.06"), "sur": False, "tax": Decimal("6.0000"), "lvl": 1,
             "tid": 1},
        ]}]}]
    }  # fmt: skip


def test_a_private_line_splits_the_state_taxes_between_its_ends() -> None:
    answer = FakeCommunicationsTaxService()(
        _request(_item(chg=Decimal("1000.00"), to=NY, plsp=Decimal("0.5")))
    )
    # 1000 x 3 %; PA 500 x 6 %; NY 500 x 4 %; NY gross receipts 500 x 2.5 %, not billable.
    assert _taxes(answer) == [
        (3, 0, Decimal("1000.00"), Decimal("30.0000"), True),
        (1, 4200000, Decimal("500.000"), Decimal("30.00000"), True),
        (1, 3600000, Decimal("500.000"), Decimal("20.00000"), True),
        (14, 3600000, Decimal("500.000"), Decimal("12.500000"), False),
    ]


def test_lines_pay_the_per_line_911_fee_of_the_origin_state() -> None:
    answer = FakeCommunicationsTaxService()(_request(_item(line=23)))
    per_line = answer["inv"][0]["itms"][0]["txs"][-1]
    # 23 lines x 1.65 = 37.95
    assert (per_line["tid"], per_line["calc"], per_line["lns"], per_line["tax"]) == (
        250, 4, Decimal(23), Decimal("37.95"),
    )  # fmt: skip


def test_a_tax_inclusive_item_gets_the_base_its_taxes_make_up_to_the_charge() -> None:
    # 146.95 with 23 lines: (146.95 - 37.95) / 1.09 = 100
    answer = FakeCommunicationsTaxService()(
        _request(_item(chg=Decimal("146.95"), line=23, incl=True))
    )
    item = answer["inv"][0]["itms"][0]
    assert item["base"] == Decimal(100)
    assert [tax["tax"] for tax in item["txs"]] == [
        Decimal("3.00"),
        Decimal("6.00"),
        Decimal("37.95"),
    ]


def test_resale_goodwill_credits_and_exempt_tax_types_are_not_taxed() -> None:
    answer = FakeCommunicationsTaxService()(
        _request(
            _item(ref="W", sale=0),
            _item(ref="G", chg=Decimal("-10.00"), disc=5),
            _item(ref="D", chg=Decimal("-10.00"), disc=1),
            exms=[{"loc": {"pcd": 0}, "tpe": 3, "dom": 0, "scp": 128, "frc": False}],
        )
    )
    # Excise (tax type 3) is exempted on the whole invoice: answered with a tax and a measure of 0
    # and the exempt sale amount -10.00; a retail discount gets its sales tax back.
    assert [_taxes(answer, index) for index in range(3)] == [
        [],
        [],
        [
            (3, 0, Decimal(0), Decimal(0), True),
            (1, 4200000, Decimal("-10.00"), Decimal("-0.6000"), True),
        ],
    ]
    assert answer["inv"][0]["itms"][2]["txs"][0]["exm"] == Decimal("-10.00")


def test_an_exemption_applies_in_its_domain_and_scope_only() -> None:
    answer = FakeCommunicationsTaxService()(
        _request(
            _item(ref="PA-ITEM"),
            _item(ref="NY-ITEM", **{"from": NY, "to": NY}),
            exms=[
                # The sales tax (1) at state level (256), in the state domain (1), in New York.
                {"loc": {"pcd": 3600000}, "tpe": 1, "dom": 1, "scp": 256, "frc": False},
                # The excise tax (3), but scoped to state level only: no federal tax is exempt.
                {"loc": {"pcd": 0}, "tpe": 3, "dom": 0, "scp": 256, "frc": False},
            ],
        )
    )
    # 100.00 in Pennsylvania pays 3.00 and 6.00; in New York the 4.00 sales tax is exempted.
    assert [_taxes(answer, index) for index in range(2)] == [
        [(3, 0, Decimal("100.00"), Decimal("3.0000"), True),
         (1, 4200000, Decimal("100.00"), Decimal("6.0000"), True)],
        [(3, 0, Decimal("100.00"), Decimal("3.0000"), True),
         (1, 3600000, Decimal(0), Decimal(0), True),
         (14, 3600000, Decimal("100.00"), Decimal("2.500000"), False)],
    ]  # fmt: skip


def test_an_unknown_pair_and_an_empty_request_fail_like_the_real_service() -> None:
    service = FakeCommunicationsTaxService()
    assert service(_request(_item(tran=999)))["inv"][0]["itms"][0] == {
        "ref": "L1",
        "err": [{"msg": "Transaction/Service pair is invalid."}],
    }
    assert service({"inv": []}) == {"err": [{"msg": "Company data is null."}]}
    assert service({"cmpn": {}, "inv": []}) == {
        "err": [{"msg": "Invoice cannot be null or empty."}]
    }
    assert service(_request()) == {"inv": [{"doc": "D1", "err": [{"msg": "Items list is empty."}]}]}


def test_it_records_a_copy_of_every_request() -> None:
    service = FakeCommunicationsTaxService()
    request = _request(_item())
    service(request)
    request["inv"][0]["doc"] = "changed later"
    assert [recorded["inv"][0]["doc"] for recorded in service.requests] == ["D1"]
