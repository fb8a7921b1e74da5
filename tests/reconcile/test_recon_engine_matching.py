"""Matching: ids through the cross-walk, splits, lines without ids, invoices without a partner,
and the inputs the engine refuses."""

from datetime import date
from decimal import Decimal

import pytest

from tollway.reconcile._cycle import MixedCurrencyError
from tollway.reconcile._match import ReconcileInputError

from .recon_engine_tables import (
    MARCH,
    Invoice,
    Line,
    Side,
    Tax,
    compared,
    crosswalk,
    evidence,
    reconcile,
)


def test_a_rekeyed_account_is_translated_through_the_crosswalk() -> None:
    # Legacy knows the customer as OLD-7. It became ACC-7 in tollway until 1 March and, after a
    # merger, ACC-9 from then on: the March invoice (period start 2026-03-01) maps to ACC-9.
    entries = crosswalk(
        ("account", "OLD-7", "ACC-7", date(2025, 1, 1), date(2026, 3, 1)),
        ("account", "OLD-7", "ACC-9", date(2026, 3, 1), None),
        ("circuit", "LEG-CKT-1", "CKT-1", None, None),
    )
    result = reconcile(
        Side([Invoice("L-100", "OLD-7")], [Line("L-100", "L1", "100.00", circuit_id="LEG-CKT-1")]),
        Side([Invoice("T-100", "ACC-9")], [Line("T-100", "T1", "100.00", circuit_id="CKT-1")]),
        entries=entries,
    )
    assert compared(result, "invoice") == [("L-100", "T-100", "matched", "0", True)]
    assert compared(result, "line") == [("L1", "T1", "matched", "0", True)]
    rows = result.differences.to_pylist()
    assert {row["account_id"] for row in rows} == {"ACC-9"}
    assert rows[1]["circuit_id"] == "CKT-1"


def test_a_legacy_account_the_crosswalk_does_not_know_is_unexplained() -> None:
    entries = crosswalk(("account", "OLD-7", "ACC-7", None, None))
    result = reconcile(
        Side([Invoice("L-100", "OLD-8")], [Line("L-100", "L1", "100.00", circuit_id="CKT-1")]),
        Side([], []),
        entries=entries,
    )
    assert compared(result, "invoice") == [("L-100", None, "unexplained", "-100", False)]
    assert compared(result, "line") == [("L1", None, "unexplained", "-100", False)]
    assert evidence(result, "invoice")[0].startswith(
        "legacy account OLD-8 is not in the cross-walk on 2026-03-01"
    )


def test_a_line_legacy_splits_in_two_is_compared_as_their_sum() -> None:
    # Legacy bills the 100.00 port as 60.00 + 40.00; tollway as one line.
    result = reconcile(
        Side(
            [Invoice("L-100", "ACC-1")],
            [
                Line("L-100", "L1a", "60.00", circuit_id="CKT-1"),
                Line("L-100", "L1b", "40.00", circuit_id="CKT-1"),
            ],
        ),
        Side([Invoice("T-100", "ACC-1")], [Line("T-100", "T1", "100.00", circuit_id="CKT-1")]),
    )
    assert compared(result, "line") == [
        ("L1a", "T1", "matched", "0", True),
        ("L1b", None, "matched", "0", True),
    ]
    first, second = evidence(result, "line")
    assert first == (
        "legacy split this line in 2 (L1a 60 + L1b 40 = 100.00), compared as one: "
        "amounts agree: 100.00"
    )
    assert second == (
        "piece of a legacy split (L1b 40.00), compared as one with L1a against tollway line T1"
    )
    amounts = [
        (row["legacy_amount"], row["tollway_amount"])
        for row in result.differences.to_pylist()
        if row["level"] == "line"
    ]
    assert [(str(legacy), str(tollway)) for legacy, tollway in amounts] == [
        ("100.000000000", "100.000000000"),
        ("None", "None"),
    ]


def test_a_split_by_period_with_a_rate_difference_keeps_the_quantity() -> None:
    # Legacy splits March at a price change it made on the 16th: 15 days at 96.00 (46.45) and
    # 16 days at 106.00 (54.71) = 101.16; tollway billed 100.00 for the month. The halves tile
    # March, each for 1 port, so the quantity stays 1 and the pair differs by −1.16.
    result = reconcile(
        Side(
            [Invoice("L-100", "ACC-1")],
            [
                Line(
                    "L-100",
                    "L1a",
                    "46.45",
                    circuit_id="CKT-1",
                    unit_price="96.00",
                    period=(date(2026, 3, 1), date(2026, 3, 16)),
                ),
                Line(
                    "L-100",
                    "L1b",
                    "54.71",
                    circuit_id="CKT-1",
                    unit_price="106.00",
                    period=(date(2026, 3, 16), date(2026, 4, 1)),
                ),
            ],
        ),
        Side(
            [Invoice("T-100", "ACC-1")],
            [Line("T-100", "T1", "100.00", circuit_id="CKT-1", unit_price="100.00")],
        ),
    )
    # The pieces have two unit prices: no common price to compare, the quantity agrees, and the
    # amount per unit differs.
    assert compared(result, "line") == [
        ("L1a", "T1", "rate", "-1.16", False),
        ("L1b", None, "rate", "0", False),
    ]
    assert evidence(result, "line")[0].startswith(
        "legacy split this line in 2 (L1a 46.45 + L1b 54.71 = 101.16), compared as one: "
        "same quantity 1 but 101.16 (legacy) vs 100.00 (tollway)"
    )


def test_a_legacy_line_without_ids_is_paired_by_description() -> None:
    # The legacy system has no circuit ids; the description (case aside) and charge type find
    # the port, and the rate difference is still seen.
    result = reconcile(
        Side(
            [Invoice("L-100", "ACC-1")],
            [Line("L-100", "L1", "95.00", description="ETHERNET PORT 100M", unit_price="95.00")],
        ),
        Side(
            [Invoice("T-100", "ACC-1")],
            [
                Line(
                    "T-100",
                    "T1",
                    "100.00",
                    circuit_id="CKT-1",
                    product_id="PRD-1",
                    description="Ethernet port 100M",
                    unit_price="100.00",
                ),
                Line(
                    "T-100",
                    "T2",
                    "10.00",
                    circuit_id="CKT-2",
                    description="Static IP block",
                    unit_price="10.00",
                ),
            ],
        ),
    )
    assert compared(result, "line") == [
        ("L1", "T1", "rate", "5", False),
        (None, "T2", "extra_in_new", "10", False),
    ]
    assert evidence(result, "line")[0].endswith(
        "[paired on charge type and amount or description within the account "
        "(no circuit or product id)]"
    )


def test_invoices_without_a_partner_are_missing_or_extra_with_all_their_rows() -> None:
    # Legacy billed ACC-1 (tollway did not), tollway billed ACC-2 (legacy did not).
    result = reconcile(
        Side(
            [Invoice("L-100", "ACC-1")],
            [Line("L-100", "L1", "100.00", circuit_id="CKT-1")],
            [Tax("L-100", "US-PA", "state_sales", "6.00", "100.00", "0.06")],
        ),
        Side(
            [Invoice("T-200", "ACC-2")],
            [Line("T-200", "T2", "50.00", circuit_id="CKT-2")],
            [Tax("T-200", "US-PA", "state_sales", "3.00", "50.00", "0.06")],
        ),
    )
    assert compared(result, "invoice") == [
        ("L-100", None, "missing_in_new", "-106", False),
        (None, "T-200", "extra_in_new", "53", False),
    ]
    assert compared(result, "line") == [
        ("L1", None, "missing_in_new", "-100", False),
        (None, "T2", "extra_in_new", "50", False),
    ]
    assert compared(result, "tax") == [
        ("US-PA", "state_sales", "missing_in_new", "-6", False),
        ("US-PA", "state_sales", "extra_in_new", "3", False),
    ]


def test_an_invoice_is_matched_when_every_row_is() -> None:
    side_lines = [Line("X", "1", "100.00", circuit_id="CKT-1")]
    result = reconcile(
        Side([Invoice("X", "ACC-1")], side_lines, [Tax("X", "US-PA", "state_sales", "6.00")]),
        Side([Invoice("X", "ACC-1")], side_lines, [Tax("X", "US-PA", "state_sales", "6.00")]),
    )
    assert compared(result, "invoice") == [("X", "X", "matched", "0", True)]
    assert evidence(result, "invoice") == ["totals agree (106.00) and every line and tax matches"]


def test_a_header_that_disagrees_with_matching_rows_is_unexplained() -> None:
    side_lines = [Line("X", "1", "100.00", circuit_id="CKT-1")]
    result = reconcile(
        Side([Invoice("X", "ACC-1", total_including_tax="100.50")], side_lines),
        Side([Invoice("X", "ACC-1")], side_lines),
    )
    # 100.00 − 100.50 = −0.50: within the invoice's 1.00 materiality.
    assert compared(result, "invoice") == [("X", "X", "unexplained", "-0.5", True)]
    assert evidence(result, "invoice")[0] == (
        "totals 100.50 (legacy) vs 100.00 (tollway) differ while every line and tax matches"
    )


def test_a_cycle_in_two_currencies_has_a_summary_per_currency() -> None:
    result = reconcile(
        Side([Invoice("L-1", "ACC-1", currency="EUR")], [Line("L-1", "1", "9.00", currency="EUR")]),
        Side([Invoice("T-2", "ACC-2")], [Line("T-2", "1", "5.00")]),
    )
    assert [
        (summary.currency, summary.legacy_total, summary.tollway_total)
        for summary in result.summaries
    ] == [
        ("EUR", Decimal("9"), Decimal("0")),
        ("USD", Decimal("0"), Decimal("5")),
    ]
    with pytest.raises(MixedCurrencyError, match="holds invoices in EUR, USD"):
        _ = result.summary


def test_duplicate_invoice_ids_are_refused() -> None:
    with pytest.raises(ReconcileInputError, match="legacy invoice ids appear more than once: L-1"):
        reconcile(
            Side([Invoice("L-1", "ACC-1"), Invoice("L-1", "ACC-2")], []),
            Side([], []),
        )


def test_a_crosswalk_with_overlapping_entries_is_refused() -> None:
    entries = crosswalk(
        ("account", "OLD-7", "ACC-7", date(2025, 1, 1), date(2026, 4, 1)),
        ("account", "OLD-7", "ACC-9", date(2026, 3, 1), None),
    )
    with pytest.raises(ReconcileInputError, match=r"maps these legacy ids twice.*account, OLD-7"):
        reconcile(Side([], []), Side([], []), entries=entries)


def test_lines_of_an_unknown_invoice_are_refused() -> None:
    with pytest.raises(ReconcileInputError, match="tollway lines name invoices that are not"):
        reconcile(Side([], []), Side([], [Line("T-404", "1", "1.00", account_id="ACC-1")]))


def test_an_empty_cycle_has_an_empty_summary() -> None:
    result = reconcile(Side([], []), Side([], []))
    assert result.differences.num_rows == 0
    assert result.summary.invoices_compared == 0
    assert result.summary.currency == ""


def test_the_period_of_a_line_may_be_missing() -> None:
    # A one-time charge without a period on either side pairs on circuit and charge type.
    one_time = {"circuit_id": "CKT-1", "charge_type": "one_time", "period": None}
    result = reconcile(
        Side([Invoice("L-1", "ACC-1")], [Line("L-1", "1", "250.00", **one_time)]),  # type: ignore[arg-type]
        Side([Invoice("T-1", "ACC-1")], [Line("T-1", "1", "250.00", **one_time)]),  # type: ignore[arg-type]
    )
    assert compared(result, "line") == [("1", "1", "matched", "0", True)]
    assert MARCH[0] == date(2026, 3, 1)
