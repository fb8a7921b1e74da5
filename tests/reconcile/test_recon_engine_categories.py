"""One written-out case per root-cause category: a legacy line, a tollway line, the expected
category, variance (tollway − legacy) and a piece of the evidence."""

from datetime import date

from .recon_engine_tables import (
    MARCH,
    Invoice,
    Line,
    Side,
    Tax,
    compared,
    evidence,
    reconcile,
)

FEBRUARY = (date(2026, 2, 1), date(2026, 3, 1))
LEGACY_INVOICE = Invoice("L-100", "ACC-1")
TOLLWAY_INVOICE = Invoice("T-100", "ACC-1")


def one_line_each(legacy: Line, tollway: Line) -> tuple[list[tuple[object, ...]], str]:
    result = reconcile(
        Side([LEGACY_INVOICE], [legacy]),
        Side([TOLLWAY_INVOICE], [tollway]),
    )
    return compared(result, "line"), evidence(result, "line")[0]


def test_identical_lines_are_matched() -> None:
    rows, text = one_line_each(
        Line("L-100", "L1", "100.00", circuit_id="CKT-1", unit_price="100.00"),
        Line("T-100", "T1", "100.00", circuit_id="CKT-1", unit_price="100.00"),
    )
    assert rows == [("L1", "T1", "matched", "0", True)]
    assert text == "amounts agree: 100.00"


def test_a_line_only_legacy_bills_is_missing_in_new() -> None:
    result = reconcile(
        Side(
            [LEGACY_INVOICE],
            [
                Line("L-100", "L1", "100.00", circuit_id="CKT-1"),
                Line("L-100", "L2", "25.00", circuit_id="CKT-2"),
            ],
        ),
        Side([TOLLWAY_INVOICE], [Line("T-100", "T1", "100.00", circuit_id="CKT-1")]),
    )
    # Tollway bills nothing for CKT-2: 0 − 25.00 = −25.00.
    assert compared(result, "line") == [
        ("L1", "T1", "matched", "0", True),
        ("L2", None, "missing_in_new", "-25", False),
    ]
    assert evidence(result, "line")[1] == (
        "legacy line L2 (recurring, circuit CKT-2, [2026-03-01, 2026-04-01), 25.00) "
        "has no tollway counterpart"
    )


def test_a_line_only_tollway_bills_is_extra_in_new() -> None:
    result = reconcile(
        Side([LEGACY_INVOICE], []),
        Side([TOLLWAY_INVOICE], [Line("T-100", "T9", "12.50", circuit_id="CKT-9")]),
    )
    assert compared(result, "line") == [(None, "T9", "extra_in_new", "12.5", False)]
    assert "has no legacy counterpart" in evidence(result, "line")[0]


def test_a_different_quantity_at_the_same_unit_price_is_quantity() -> None:
    # 10 voice channels at 5.00 = 50.00 (legacy) vs 12 at 5.00 = 60.00: +10.00.
    rows, text = one_line_each(
        Line("L-100", "L1", "50.00", circuit_id="CKT-1", quantity="10", unit_price="5.00"),
        Line("T-100", "T1", "60.00", circuit_id="CKT-1", quantity="12", unit_price="5.00"),
    )
    assert rows == [("L1", "T1", "quantity", "10", False)]
    assert (
        text
        == "quantity 10 (legacy) vs 12 (tollway) at unit price 5; 50.00 (legacy) vs 60.00 (tollway)"
    )


def test_a_different_unit_price_is_rate() -> None:
    # 3 × 40.00 = 120.00 (legacy) vs 3 × 42.50 = 127.50: +7.50.
    rows, text = one_line_each(
        Line("L-100", "L1", "120.00", circuit_id="CKT-1", quantity="3", unit_price="40.00"),
        Line("T-100", "T1", "127.50", circuit_id="CKT-1", quantity="3", unit_price="42.50"),
    )
    assert rows == [("L1", "T1", "rate", "7.5", False)]
    assert text.startswith("unit price 40 (legacy) vs 42.5 (tollway); quantity 3 on both")


def test_a_different_amount_per_unit_without_unit_prices_is_rate() -> None:
    # 4 × 100 Mbps of bandwidth, priced as a tier (no unit price on the line): 800.00 (legacy)
    # vs 840.00 (tollway, 5 % more) for the same quantity.
    rows, text = one_line_each(
        Line("L-100", "L1", "800.00", circuit_id="CKT-1", quantity="4"),
        Line("T-100", "T1", "840.00", circuit_id="CKT-1", quantity="4"),
    )
    assert rows == [("L1", "T1", "rate", "40", False)]
    assert text == (
        "same quantity 4 but 800.00 (legacy) vs 840.00 (tollway): the amount per unit differs "
        "(no unit price on one side)"
    )


def test_a_different_period_coverage_is_proration() -> None:
    # Legacy bills all of March (100.00); tollway from the activation on 16 March:
    # 16/31 × 100.00 = 51.61. Variance 51.61 − 100.00 = −48.39.
    rows, text = one_line_each(
        Line("L-100", "L1", "100.00", circuit_id="CKT-1", unit_price="100.00"),
        Line(
            "T-100",
            "T1",
            "51.61",
            circuit_id="CKT-1",
            unit_price="100.00",
            period=(date(2026, 3, 16), date(2026, 4, 1)),
        ),
    )
    assert rows == [("L1", "T1", "proration", "-48.39", False)]
    assert text.startswith(
        "period coverage [2026-03-01, 2026-04-01) (legacy) vs [2026-03-16, 2026-04-01) (tollway)"
    )


def test_amounts_in_a_day_count_ratio_are_proration() -> None:
    # Same 15 days of a 100.00 port: legacy divides by a 30-day month (15/30 × 100 = 50.00),
    # tollway by March's 31 days (15/31 × 100 = 48.39). 50.00 × 30 = 1500 ≈ 48.39 × 31 = 1500.09,
    # within 0.01 × 31. Variance −1.61.
    half = (date(2026, 3, 17), date(2026, 4, 1))
    rows, text = one_line_each(
        Line("L-100", "L1", "50.00", circuit_id="CKT-1", unit_price="100.00", period=half),
        Line("T-100", "T1", "48.39", circuit_id="CKT-1", unit_price="100.00", period=half),
    )
    assert rows == [("L1", "T1", "proration", "-1.61", False)]
    assert text.endswith("stand in a day-count ratio: 30 (legacy) vs 31 (tollway) days")


def test_one_minor_unit_and_nothing_else_is_rounding() -> None:
    # 1/3 of 100.00: legacy's float arithmetic gave 33.34, tollway 33.33: −0.01, within tolerance.
    rows, text = one_line_each(
        Line("L-100", "L1", "33.34", circuit_id="CKT-1"),
        Line("T-100", "T1", "33.33", circuit_id="CKT-1"),
    )
    assert rows == [("L1", "T1", "rounding", "-0.01", True)]
    assert text == (
        "only the amount differs: 33.34 (legacy) vs 33.33 (tollway), "
        "within the rounding threshold 0.01"
    )


def test_a_different_discount_is_discount() -> None:
    # Bundle discount −10.00 (legacy, 10 %) vs −12.00 (tollway, 12 %): −2.00.
    rows, text = one_line_each(
        Line("L-100", "L1", "-10.00", charge_type="discount", description="Bundle discount 10%"),
        Line("T-100", "T1", "-12.00", charge_type="discount", description="Bundle discount 12%"),
    )
    assert rows == [("L1", "T1", "discount", "-2", False)]
    assert text.startswith("discount -10.00 (legacy) vs -12.00 (tollway)")


def test_a_discount_only_one_side_gives_is_discount() -> None:
    result = reconcile(
        Side([LEGACY_INVOICE], [Line("L-100", "L1", "-5.00", charge_type="credit")]),
        Side([TOLLWAY_INVOICE], []),
    )
    assert compared(result, "line") == [("L1", None, "discount", "5", False)]
    assert evidence(result, "line")[0].startswith("discount line only in legacy")


def test_the_same_line_in_an_adjacent_period_is_timing() -> None:
    # Legacy bills the port for February on its March invoice, tollway for March.
    rows, text = one_line_each(
        Line("L-100", "L1", "100.00", circuit_id="CKT-1", period=FEBRUARY),
        Line("T-100", "T1", "100.00", circuit_id="CKT-1", period=MARCH),
    )
    assert rows == [("L1", "T1", "timing", "0", True)]
    assert text.startswith(
        "billed for [2026-02-01, 2026-03-01) by legacy but for [2026-03-01, 2026-04-01) by tollway"
    )


def test_a_line_on_another_account_of_the_hierarchy_is_hierarchy() -> None:
    # Legacy rolls the branch account's port up onto the parent's invoice; tollway bills the
    # branch (ACC-2) on its own invoice.
    result = reconcile(
        Side(
            [Invoice("L-100", "ACC-1")],
            [
                Line("L-100", "L1", "80.00", circuit_id="CKT-1"),
                Line("L-100", "L2", "40.00", circuit_id="CKT-2", account_id="ACC-2"),
            ],
        ),
        Side(
            [Invoice("T-100", "ACC-1"), Invoice("T-200", "ACC-2")],
            [
                Line("T-100", "T1", "80.00", circuit_id="CKT-1"),
                Line("T-200", "T2", "40.00", circuit_id="CKT-2"),
            ],
        ),
    )
    assert compared(result, "line") == [
        ("L1", "T1", "matched", "0", True),
        ("L2", "T2", "hierarchy", "0", True),
    ]
    assert evidence(result, "line")[1].startswith(
        "on account ACC-1's invoice L-100 in legacy but on account ACC-2's invoice T-200 in tollway"
    )
    # The parent's invoices differ by the branch's 40.00 (120.00 vs 80.00), and the branch's
    # tollway invoice has no legacy counterpart: both are explained by the roll-up.
    assert compared(result, "invoice") == [
        ("L-100", "T-100", "hierarchy", "-40", False),
        (None, "T-200", "hierarchy", "40", False),
    ]


def test_fewer_usage_units_at_the_same_rate_is_usage_completeness() -> None:
    # 1000 minutes at 0.02 = 20.00 (legacy) vs 950 minutes = 19.00: tollway is 50 minutes short.
    rows, text = one_line_each(
        Line(
            "L-100",
            "L1",
            "20.00",
            circuit_id="CKT-1",
            charge_type="usage",
            quantity="1000",
            unit_price="0.02",
        ),
        Line(
            "T-100",
            "T1",
            "19.00",
            circuit_id="CKT-1",
            charge_type="usage",
            quantity="950",
            unit_price="0.02",
        ),
    )
    assert rows == [("L1", "T1", "usage_completeness", "-1", False)]
    assert text.startswith(
        "usage quantity 1000 (legacy) vs 950 (tollway) at the same rate: tollway is short 50"
    )


def test_an_amount_nothing_explains_is_unexplained() -> None:
    rows, text = one_line_each(
        Line("L-100", "L1", "100.00", circuit_id="CKT-1", unit_price="100.00"),
        Line("T-100", "T1", "103.00", circuit_id="CKT-1", unit_price="100.00"),
    )
    assert rows == [("L1", "T1", "unexplained", "3", False)]
    assert text == (
        "amount 100.00 (legacy) vs 103.00 (tollway) while quantity, unit price and period agree"
    )


def taxes_compared(
    legacy: list[Tax], tollway: list[Tax]
) -> tuple[list[tuple[object, ...]], list[str]]:
    line_l = Line("L-100", "L1", "100.00", circuit_id="CKT-1")
    line_t = Line("T-100", "T1", "100.00", circuit_id="CKT-1")
    result = reconcile(
        Side([LEGACY_INVOICE], [line_l], legacy), Side([TOLLWAY_INVOICE], [line_t], tollway)
    )
    return compared(result, "tax"), evidence(result, "tax")


def test_a_tax_in_another_jurisdiction_is_tax_jurisdiction() -> None:
    # Legacy taxes the port where the customer is billed (New Jersey, 6.625 % = 6.63), tollway
    # where the circuit is (Pennsylvania, 6 % = 6.00): one row per side's jurisdiction.
    rows, texts = taxes_compared(
        [Tax("L-100", "US-NJ", "state_sales", "6.63", "100.00", "0.06625")],
        [Tax("T-100", "US-PA", "state_sales", "6.00", "100.00", "0.06")],
    )
    assert rows == [
        ("US-NJ", "state_sales", "tax_jurisdiction", "-6.63", False),
        ("US-PA", "state_sales", "tax_jurisdiction", "6", False),
    ]
    assert texts[0] == (
        "state_sales in US-NJ only in legacy (6.63); tollway taxes state_sales on this invoice "
        "in US-PA"
    )


def test_a_tax_one_side_exempts_is_tax_exemption() -> None:
    # The customer's exemption certificate: tollway exempts the 6.00 legacy still bills.
    rows, texts = taxes_compared(
        [Tax("L-100", "US-PA", "state_sales", "6.00", "100.00", "0.06")],
        [Tax("T-100", "US-PA", "state_sales", "6.00", "100.00", "0.06", exempt=True)],
    )
    assert rows == [("US-PA", "state_sales", "tax_exemption", "-6", False)]
    assert texts[0] == (
        "state_sales in US-PA: legacy billed 6.00 and exempted 0.00, tollway billed 0.00 and "
        "exempted 6.00"
    )


def test_the_same_rate_on_a_different_base_is_tax_base() -> None:
    # 6 % of 100.00 = 6.00 (legacy) vs 6 % of 120.00 = 7.20 (tollway taxes the install too).
    rows, texts = taxes_compared(
        [Tax("L-100", "US-PA", "state_sales", "6.00", "100.00", "0.06")],
        [Tax("T-100", "US-PA", "state_sales", "7.20", "120.00", "0.06")],
    )
    assert rows == [("US-PA", "state_sales", "tax_base", "1.2", False)]
    assert "taxable amount 100.00 (legacy) vs 120.00 (tollway) at rate 0.06" in texts[0]


def test_a_different_tax_rate_is_rate() -> None:
    # Legacy's rate table still has 5 %: 5.00 vs 6.00.
    rows, texts = taxes_compared(
        [Tax("L-100", "US-PA", "state_sales", "5.00", "100.00", "0.05")],
        [Tax("T-100", "US-PA", "state_sales", "6.00", "100.00", "0.06")],
    )
    assert rows == [("US-PA", "state_sales", "rate", "1", False)]
    assert "tax rate 0.05 (legacy) vs 0.06 (tollway)" in texts[0]
