"""Reading quote files: the TMF622 JSON shapes and the flat CSV variant give the same orders;
every malformed row is rejected with the file, row, field and a reason, and accepted + rejected
= submitted."""

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tollway.reconcile._quotes_crosswalk import read_crosswalk
from tollway.reconcile._quotes_model import QuoteFileError, QuoteOrder
from tollway.reconcile._quotes_read import QuoteImport, read_quotes

from .test_recon_quotes_support import order

ACME_ORDER = {
    "id": "ORD-1",
    "orderDate": "2026-03-02",
    "state": "completed",
    "billingAccount": {"id": "CRM-ACME"},
    "expectedFirstInvoiceTotal": {"value": "2025.81", "unit": "USD"},
    "productOrderItem": [
        {
            "id": "1",
            "action": "add",
            "quantity": 1,
            "productOffering": {"id": "mpls-100"},
            "product": {
                "productCharacteristic": [
                    {"name": "circuitId", "value": "CKT-1"},
                    {"name": "bandwidthMbps", "value": "100"},
                ]
            },
            "itemTerm": [
                {
                    "name": "contract",
                    "duration": {"amount": 36, "units": "month"},
                    "validFor": {"startDateTime": "2026-03-16T00:00:00Z"},
                }
            ],
            "itemPrice": [
                {
                    "priceType": "recurring",
                    "recurringChargePeriod": "month",
                    "productOfferingPrice": {"id": "mpls-100-mrc"},
                    "taxJurisdictionId": "US-PA",
                    "price": {
                        "dutyFreeAmount": {"value": "1000.00", "unit": "USD"},
                        "taxRate": "8",
                    },
                    "priceAlteration": [
                        {"priceType": "recurring", "name": "contract", "price": {"percentage": 10}}
                    ],
                },
                {
                    "priceType": "oneTime",
                    "productOfferingPrice": {"id": "mpls-100-nrc"},
                    "price": {"dutyFreeAmount": {"value": "500.00", "unit": "USD"}, "taxRate": 8},
                },
            ],
        }
    ],
}
"""Acme's order (test_recon_quotes_support.order()) as a CRM exports it."""

ACME_CSV = (
    "order_id,order_date,billing_account_id,currency,expected_first_invoice_total,item_id,action,"
    "quantity,product_offering_id,circuit_id,bandwidth_mbps,term_months,term_start,price_type,"
    "product_offering_price_id,recurring_charge_period,amount,tax_rate_percent,"
    "tax_jurisdiction_id,discount_percent\n"
    "ORD-1,2026-03-02,CRM-ACME,USD,2025.81,1,add,1,mpls-100,CKT-1,100,36,2026-03-16,recurring,"
    "mpls-100-mrc,month,1000.00,8,US-PA,10\n"
    "ORD-1,2026-03-02,CRM-ACME,USD,2025.81,1,add,1,mpls-100,CKT-1,100,36,2026-03-16,oneTime,"
    "mpls-100-nrc,,500.00,8,,\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _issues(imported: QuoteImport) -> list[tuple[int | None, str | None, str]]:
    return [(issue["row"], issue["field"], issue["code"]) for issue in imported.issues.to_pylist()]


def _without_source(orders: tuple[QuoteOrder, ...]) -> list[QuoteOrder]:
    return [replace(found, source="") for found in orders]


def test_a_tmf622_order_in_json_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.jsonl", json.dumps(ACME_ORDER) + "\n")
    imported = read_quotes(path)
    assert _without_source(imported.orders) == [order()]
    assert imported.orders[0].source == "orders.jsonl row 1"
    assert (imported.submitted, imported.accepted, imported.rejected) == (1, 1, 0)
    assert imported.issues.num_rows == 0


def test_a_json_array_and_the_flat_csv_give_the_same_order(tmp_path: Path) -> None:
    array = read_quotes(_write(tmp_path, "orders.json", json.dumps([ACME_ORDER])))
    flat = read_quotes(_write(tmp_path, "orders.csv", ACME_CSV))
    assert _without_source(array.orders) == _without_source(flat.orders) == [order()]
    assert (flat.submitted, flat.accepted, flat.rejected) == (2, 2, 0)
    single = read_quotes(_write(tmp_path, "one.json", json.dumps(ACME_ORDER)))
    assert _without_source(single.orders) == [order()]


def test_json_numbers_are_read_exactly(tmp_path: Path) -> None:
    text = json.dumps(ACME_ORDER).replace('"1000.00"', "1000.10")
    imported = read_quotes(_write(tmp_path, "orders.jsonl", text))
    price = imported.orders[0].items[0].prices[0]
    assert price.duty_free_amount == Decimal("1000.10")
    assert str(price.duty_free_amount) == "1000.10"


CSV_HEADER = (
    "order_id,order_date,billing_account_id,currency,item_id,action,product_offering_id,"
    "circuit_id,quantity,price_type,amount,tax_treatment,tax_rate_percent,discount_percent,"
    "discount_amount\n"
)


def test_malformed_csv_rows_are_rejected_with_their_orders(tmp_path: Path) -> None:
    text = CSV_HEADER + (
        "ORD-1,2026-03-02,CRM-1,USD,1,add,mpls-100,CKT-1,1,recurring,1000.00,,,,\n"  # 2
        "ORD-1,2026-03-02,CRM-1,USD,1,add,mpls-100,CKT-1,1,oneTime,1e3,,,,\n"  # 3
        "ORD-2,2026-03-32,CRM-2,USD,1,add,mpls-100,,1,recurring,10.00,,,,\n"  # 4
        "ORD-3,2026-03-02,CRM-3,usd,1,add,,CKT-3,2,recurring,10.00,,,,\n"  # 5
        "ORD-4,2026-03-02,CRM-4,USD,1,modify,mpls-100,,1,recurring,,inclusive,,,\n"  # 6
        "ORD-5,2026-03-02,CRM-5,USD,1,add,mpls-100,,1,recurring,10.00,,,10,5.00\n"  # 7
        "ORD-6,2026-03-02,CRM-6,USD,1,add,mpls-100,,1,recurring,10.00,,101,,\n"  # 8
        "ORD-7,2026-03-02,CRM-7,USD,1,add,mpls-100,,1,,,,,,\n"  # 9
        "ORD-7,2026-03-03,CRM-7,USD,2,add,mpls-100,,1,,,,,,\n"  # 10
        "\n"  # 11: blank, not a row
        "ORD-8,2026-03-02,CRM-8,USD,1,add,mpls-100,,1,recurring,10.00\n"  # 12
        "ORD-9,2026-03-02,CRM-9,USD,1,add,mpls-100,,1,recurring,10.00,,,,\n"  # 13
    )
    imported = read_quotes(_write(tmp_path, "quotes.csv", text))
    assert _issues(imported) == [
        (2, None, "order_rejected"),
        (3, "amount", "bad_decimal"),
        (4, "order_date", "bad_date"),
        (5, "currency", "unknown_currency"),
        (5, "product_offering_id", "missing_value"),
        (5, "quantity", "conflicting_values"),
        (6, "amount", "incomplete_price"),
        (6, "circuit_id", "missing_value"),
        (7, "discount_amount", "conflicting_values"),
        (8, "tax_rate_percent", "out_of_range"),
        (9, None, "order_rejected"),
        (10, "order_date", "conflicting_values"),
        (12, None, "bad_structure"),
    ]
    assert [found.id for found in imported.orders] == ["ORD-9"]
    assert (imported.submitted, imported.accepted, imported.rejected) == (11, 1, 10)
    messages = {issue["row"]: issue["message"] for issue in imported.issues.to_pylist()}
    assert messages[2] == "rejected with its order ORD-1: fix row 3"
    assert messages[3] == (
        'amount: "1e3" is not a decimal number such as 1234.50 (no exponent, spaces, plus sign '
        "or thousands separators; at most 9 decimal places)"
    )
    assert (
        messages[10] == "order_date: 2026-03-03 differs from 2026-03-02 on row 9 of the same order"
    )
    assert messages[12] == "11 fields, but the header has 15"


def test_malformed_json_orders_are_rejected_with_their_paths(tmp_path: Path) -> None:
    mixed_units = json.loads(json.dumps(ACME_ORDER))
    mixed_units["id"] = "ORD-2"
    mixed_units["expectedFirstInvoiceTotal"]["unit"] = "EUR"
    odd_terms = json.loads(json.dumps(ACME_ORDER))
    odd_terms["id"] = "ORD-3"
    odd_terms["productOrderItem"][0]["itemTerm"] = [
        {"duration": {"amount": 3, "units": "year"}},
        {"duration": {"amount": 36, "units": "month"}},
    ]
    lines = [
        '{"id": "ORD-0",',
        "",
        json.dumps(mixed_units),
        json.dumps(ACME_ORDER),
        "[1, 2]",
        json.dumps(odd_terms),
        json.dumps(ACME_ORDER),
    ]
    imported = read_quotes(_write(tmp_path, "orders.jsonl", "\n".join(lines) + "\n"))
    item = "productOrderItem[0]"
    assert _issues(imported) == [
        (1, None, "bad_json"),
        (3, f"{item}.itemPrice[0].price.dutyFreeAmount.unit", "currency_mismatch"),
        (3, f"{item}.itemPrice[1].price.dutyFreeAmount.unit", "currency_mismatch"),
        (5, "$", "bad_structure"),
        (6, f"{item}.itemTerm", "bad_structure"),
        (7, "id", "duplicate_id"),
    ]
    assert [found.id for found in imported.orders] == ["ORD-1"]
    assert (imported.submitted, imported.accepted, imported.rejected) == (6, 1, 5)
    messages = [issue["message"] for issue in imported.issues.to_pylist()]
    assert messages[1] == (
        f'{item}.itemPrice[0].price.dutyFreeAmount.unit: "USD" differs from the order\'s currency '
        "EUR (expectedFirstInvoiceTotal.unit)"
    )
    assert messages[5] == "id: order ORD-1 is already given on row 4"


def test_an_order_without_items_and_an_item_with_two_unnamed_prices(tmp_path: Path) -> None:
    empty = {**ACME_ORDER, "id": "ORD-2", "productOrderItem": []}
    twice = json.loads(json.dumps(ACME_ORDER))
    prices = twice["productOrderItem"][0]["itemPrice"]
    del prices[0]["productOfferingPrice"]
    prices[1] = {**prices[0], "priceType": "recurring"}
    lines = [json.dumps(empty), json.dumps(twice)]
    imported = read_quotes(_write(tmp_path, "orders.jsonl", "\n".join(lines)))
    assert _issues(imported) == [
        (1, "productOrderItem", "missing_value"),
        (2, "productOrderItem[0].itemPrice[1].priceType", "conflicting_values"),
    ]
    assert imported.issues.to_pylist()[1]["message"] == (
        "productOrderItem[0].itemPrice[1].priceType: item 1 already has a recurring price (no "
        "offering price named) on row 2; name each price's product_offering_price_id"
    )


def test_a_term_in_years_a_percent_sign_and_a_money_without_value(tmp_path: Path) -> None:
    years = json.loads(json.dumps(ACME_ORDER))
    years["productOrderItem"][0]["itemTerm"][0]["duration"]["units"] = "year"
    years["productOrderItem"][0]["itemPrice"][0]["price"]["taxRate"] = "8.25%"
    years["productOrderItem"][0]["itemPrice"][1]["price"]["dutyFreeAmount"] = {"unit": "USD"}
    imported = read_quotes(_write(tmp_path, "orders.json", json.dumps([years])))
    item = "productOrderItem[0]"
    assert _issues(imported) == [
        (1, f"{item}.itemPrice[0].price.taxRate", "bad_decimal"),
        (1, f"{item}.itemPrice[1].price.dutyFreeAmount.value", "missing_value"),
        (1, f"{item}.itemPrice[1].price.dutyFreeAmount.value", "incomplete_price"),
        (1, f"{item}.itemTerm[0].duration.units", "bad_value"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("quotes.txt", "", "a quote file is .csv, .jsonl, .json"),
        ("quotes.csv", "", "no header row"),
        ("quotes.csv", "order_id,colour\n", "unknown column 'colour'"),
        ("quotes.csv", "order_id,order_date\n", "no 'billing_account_id' column"),
        ("quotes.csv", "order_id,order_id\n", "column 'order_id' is given twice"),
        ("quotes.json", "[{", "not JSON"),
        ("quotes.json", '"ORD-1"', "expected a JSON array of productOrder objects"),
    ],
)
def test_a_file_that_cannot_be_read_at_all(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(QuoteFileError, match=message):
        read_quotes(_write(tmp_path, name, text))


def test_a_file_not_in_utf8_or_not_there(tmp_path: Path) -> None:
    latin = tmp_path / "quotes.csv"
    latin.write_bytes("order_id\nCAFÉ\n".encode("latin-1"))
    with pytest.raises(QuoteFileError, match="not UTF-8"):
        read_quotes(latin)
    with pytest.raises(QuoteFileError, match="no such quote file"):
        read_quotes(tmp_path / "absent.jsonl")


def test_a_crosswalk_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "crosswalk.csv",
        "entity,legacy_id,tollway_id,valid_from,valid_to\n"
        "account,CRM-ACME,ACME,2026-03-01,\n"
        "circuit,CRM-CKT-1,CKT-1,,\n",
    )
    rows = read_crosswalk(path).to_pylist()
    assert [(row["entity"], row["legacy_id"], row["tollway_id"]) for row in rows] == [
        ("account", "CRM-ACME", "ACME"),
        ("circuit", "CRM-CKT-1", "CKT-1"),
    ]
    bad = _write(tmp_path, "bad.csv", "entity,legacy_id,tollway_id\nsite,S1,S2\n")
    with pytest.raises(QuoteFileError, match="row 2: entity 'site' is not one of"):
        read_crosswalk(bad)


_GOOD_ROW = "{order},2026-03-02,CRM-1,USD,{item},add,mpls-100,,1,recurring,{amount},,,,\n"


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 3), st.booleans()), min_size=1, max_size=12
    )
)
def test_every_row_is_accepted_or_rejected(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[int, int, bool]]
) -> None:
    """Rows of up to four orders, some with a bad amount: a row is accepted exactly when no row
    of its order is bad, and accepted + rejected = submitted."""
    # Each row its own item: two recurring prices of one item would be a problem of their own.
    text = CSV_HEADER + "".join(
        _GOOD_ROW.format(
            order=f"ORD-{number}", item=f"{item}-{index}", amount="10.00" if good else "ten"
        )
        for index, (number, item, good) in enumerate(rows)
    )
    path = tmp_path_factory.mktemp("quotes") / "quotes.csv"
    path.write_text(text, encoding="utf-8")
    imported = read_quotes(path)
    bad_orders = {number for number, _, good in rows if not good}
    accepted = [number for number, _, _ in rows if number not in bad_orders]
    assert imported.submitted == len(rows)
    assert imported.accepted == len(accepted)
    assert imported.accepted + imported.rejected == imported.submitted
    assert sorted(found.id for found in imported.orders) == sorted(
        {f"ORD-{number}" for number in accepted}
    )
