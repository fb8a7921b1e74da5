"""Renderers: plain text, CSV, JSON (and back), TMF737-like report; all byte-deterministic."""

import json
from datetime import date
from decimal import Decimal

import pytest

from tollway.settlement import (
    Band,
    HistoryIntegrityError,
    Limits,
    Scope,
    SettlementInputError,
    SettlementStatement,
    ShareItem,
    TieredShare,
    read_netting_json,
    read_statement_json,
    render_netting_csv,
    render_netting_json,
    render_statement_csv,
    render_statement_json,
    render_statement_text,
    render_tmf737_report,
)
from tollway.settlement.scenarios import (
    milestone_revenue_share,
    project_reciprocal,
    reciprocal_deal,
    settle_revenue_share,
)

from .settlement_world import agreement, line, model, settle_months


def capped_tiers() -> SettlementStatement:
    """Bands of 10 % up to 1,000.00 and 20 % above, a 150.00 period cap, offering OFF-A only."""
    item = ShareItem(
        "T",
        "tiered",
        TieredShare((Band(Decimal("1000.00"), Decimal(10)), Band(None, Decimal(20)))),
        scope=Scope(offering_ids=frozenset({"OFF-A"})),
        limits=Limits(period_cap=Decimal("150.00")),
    )
    lines = [
        line("INV-1", "800.00", billed=date(2025, 1, 5)),
        line("INV-2", "500.00", billed=date(2025, 1, 9)),
        line("INV-3", "70.00", billed=date(2025, 1, 9), offering="OFF-Z"),
    ]
    [january] = settle_months(agreement(), model(item), lines, [1])
    return january


# 800.00 at 10 % = 80.00; INV-2 goes 800 -> 1,300: 200.00 at 10 % = 20.00 and 300.00 at 20 % =
# 60.00; earned 160.00, capped at 150.00 (-10.00). INV-3 is another offering: not shared.
CAPPED_TIERS_CSV = """\
record,item_id,kind,bill_no,line_id,service_start,service_end,line_basis,basis,band,percent,share_exact,amount,description
share,T,,INV-1,L1,2025-01-01T00:00:00+00:00,2025-02-01T00:00:00+00:00,800.00,800.00,1,10,80.00,80.00,
share,T,,INV-2,L1,2025-01-01T00:00:00+00:00,2025-02-01T00:00:00+00:00,500.00,200.00,1,10,20.00,20.00,
share,T,,INV-2,L1,2025-01-01T00:00:00+00:00,2025-02-01T00:00:00+00:00,500.00,300.00,2,20,60.00,60.00,
adjustment,T,period_cap,,,,,,0,,,,-10.00,period cap of 150.00
item_total,T,,,,,,,1300.00,,,,150.00,earned 160.00
excluded,,out_of_scope,INV-3,L1,2025-01-01T00:00:00+00:00,2025-02-01T00:00:00+00:00,,70.00,,,,,USD: no share item's scope covers it
total,,,,,,,,,,,,150.00,payable
"""

CAPPED_TIERS_TEXT = """\
Revenue-share statement RSS-AG-1-20250101
Agreement   AG-1 version 1 (model RS-1)
Parties     operator OP, partner PT
Period      2025-01-01 to 2025-02-01 (end excluded)
Basis       accrual basis, net of tax, credits; USD; share lines rounded half_up

Item T: tiered (in effect at the period start)
  Bill   Line  Service                   Line basis   Basis  Band  Rate %  Share
  INV-1  L1    2025-01-01 to 2025-02-01      800.00  800.00     1      10  80.00
  INV-2  L1    2025-01-01 to 2025-02-01      500.00  200.00     1      10  20.00
  INV-2  L1    2025-01-01 to 2025-02-01      500.00  300.00     2      20  60.00
  Adjustment  Amount  Description
  period_cap  -10.00  period cap of 150.00
  Basis 1,300.00; earned 160.00; payable 150.00
  Since the start: basis 1,300.00, paid 150.00, guarantee outstanding 0.00

Not shared
  Bill   Line  Service                      Amount  Reason
  INV-3  L1    2025-01-01 to 2025-02-01  70.00 USD  out_of_scope: no share item's scope covers it

Total payable 150.00 USD: OP pays PT
Digest sha256:def27b1d86c45e6cb251c80833643c74aa64e62abfe1e097f1f85c7a629a8e6a
"""


def test_the_statement_as_csv_written_out() -> None:
    assert render_statement_csv(capped_tiers()) == CAPPED_TIERS_CSV


def test_the_statement_as_text_written_out() -> None:
    assert render_statement_text(capped_tiers()) == CAPPED_TIERS_TEXT


def test_json_has_sorted_keys_and_amounts_as_strings() -> None:
    document = json.loads(render_statement_json(capped_tiers()))
    assert list(document) == sorted(document)
    assert document["total_payable"] == "150.00"
    assert document["currency"] == "USD"
    [item] = document["items"]
    assert [(each["basis"], each["band"], each["share"]) for each in item["share_lines"]] == [
        ("800.00", 1, "80.00"),
        ("200.00", 1, "20.00"),
        ("300.00", 2, "60.00"),
    ]
    assert item["adjustments"][0]["kind"] == "period_cap"


def test_json_reads_back_to_an_equal_statement() -> None:
    for statement in (capped_tiers(), *settle_revenue_share(milestone_revenue_share())):
        assert read_statement_json(render_statement_json(statement)) == statement


def test_netting_json_reads_back_and_csv_lists_totals() -> None:
    april = project_reciprocal(reciprocal_deal()).statements[3]
    assert read_netting_json(render_netting_json(april)) == april
    assert render_netting_csv(april).splitlines()[-4:] == [
        "total,,receivables,,,,,,4000000.00,,,",
        "total,,payables,,,,,,2780000.00,,,",
        "total,,withheld,,,,,,-180000.00,,,",
        "total,,net,,,,,,1400000.00,,,",
    ]


def test_an_edited_json_statement_fails_its_digest_when_read() -> None:
    text = render_statement_json(capped_tiers()).replace('"partner_id": "PT"', '"partner_id": "XX"')
    with pytest.raises(HistoryIntegrityError, match="it was altered after it was issued"):
        read_statement_json(text)


def test_a_json_statement_with_a_missing_field_is_refused() -> None:
    document = json.loads(render_statement_json(capped_tiers()))
    del document["model_id"]
    with pytest.raises(SettlementInputError, match=r"statement\.model_id: missing"):
        read_statement_json(json.dumps(document))


def test_the_tmf737_report_names_partner_period_and_items() -> None:
    report = json.loads(render_tmf737_report(capped_tiers()))
    assert report["@type"] == "PartyRevSharingReport"
    assert report["id"] == "RSS-AG-1-20250101"
    assert report["money"] == {"unit": "USD", "value": "150.00"}
    assert report["relatedParty"][1] == {
        "@referredType": "Organization",
        "id": "PT",
        "role": "partner",
    }
    assert report["settlementPeriod"] == {
        "startDateTime": "2025-01-01T00:00:00+00:00",
        "endDateTime": "2025-02-01T00:00:00+00:00",
    }
    [item] = report["partyRevSharingReportItem"]
    assert (item["id"], item["earnedMoney"]["value"], item["money"]["value"]) == (
        "T",
        "160.00",
        "150.00",
    )
    assert [
        (each["billNo"], each["band"], each["money"]["value"]) for each in item["revenueItem"]
    ] == [
        ("INV-1", 1, "80.00"),
        ("INV-2", 1, "20.00"),
        ("INV-2", 2, "60.00"),
    ]


def test_rendering_twice_gives_the_same_bytes() -> None:
    first, second = capped_tiers(), capped_tiers()
    for render in (
        render_statement_text,
        render_statement_csv,
        render_statement_json,
        render_tmf737_report,
    ):
        assert render(first).encode() == render(second).encode()
