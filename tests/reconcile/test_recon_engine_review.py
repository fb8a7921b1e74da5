"""Defects a review found in matching and classification, each with the case that showed it,
written out: one-time charges on an empty period, many identical lines, two products on one
circuit, a split beside a second line of the circuit, and invoices in two currencies."""

from datetime import date
from decimal import Decimal

from .recon_engine_tables import MARCH, Invoice, Line, Side, compared, reconcile

MIDNIGHT_16 = (date(2026, 3, 16), date(2026, 3, 16))
"""A one-time charge activated at local midnight: start = end, the empty period."""
DAY_16 = (date(2026, 3, 16), date(2026, 3, 17))
FIRST_HALF = (date(2026, 3, 1), date(2026, 3, 16))
SECOND_HALF = (date(2026, 3, 16), date(2026, 4, 1))


def _installation(invoice_id: str, period: tuple[date, date]) -> Line:
    return Line(
        invoice_id,
        "1",
        "500.00",
        circuit_id="C-1",
        product_id="P-1",
        charge_type="one_time",
        description="Installation",
        period=period,
        unit_price="500.00",
    )


def test_identical_one_time_lines_on_an_empty_period_are_matched() -> None:
    # Both systems bill the 500.00 installation on [03-16, 03-16): the same line, variance 0.
    result = reconcile(
        Side([Invoice("L-1", "A-1")], [_installation("L-1", MIDNIGHT_16)]),
        Side([Invoice("T-1", "A-1")], [_installation("T-1", MIDNIGHT_16)]),
    )
    assert compared(result, "line") == [("1", "1", "matched", "0", True)]
    assert compared(result, "invoice") == [("L-1", "T-1", "matched", "0", True)]


def test_a_one_time_line_on_its_day_and_on_the_empty_period_is_not_timing() -> None:
    # Legacy dates the installation as the day [03-16, 03-17), tollway as [03-16, 03-16): the
    # same instant, so the periods overlap (never timing); they differ, so proration at 0.
    result = reconcile(
        Side([Invoice("L-1", "A-1")], [_installation("L-1", DAY_16)]),
        Side([Invoice("T-1", "A-1")], [_installation("T-1", MIDNIGHT_16)]),
    )
    [(legacy, tollway, category, variance, within)] = compared(result, "line")
    assert (legacy, tollway, variance, within) == ("1", "1", "0", True)
    assert category in ("matched", "proration")


def test_ten_identical_licence_lines_without_ids_are_all_matched() -> None:
    # 10 seats "User licence" 1 x 10.00; legacy sends no ids (the description pass pairs them).
    def seats(invoice_id: str, product_id: str | None) -> list[Line]:
        return [
            Line(
                invoice_id,
                f"{seat:02d}",
                "10.00",
                product_id=product_id,
                description="User licence",
            )
            for seat in range(10)
        ]

    result = reconcile(
        Side([Invoice("L-1", "A-1")], seats("L-1", None)),
        Side([Invoice("T-1", "A-1")], seats("T-1", "P-LIC")),
    )
    assert compared(result, "line") == [
        (f"{seat:02d}", f"{seat:02d}", "matched", "0", True) for seat in range(10)
    ]


def test_forty_identical_licence_lines_with_a_product_are_all_matched() -> None:
    def seats(invoice_id: str) -> list[Line]:
        return [
            Line(invoice_id, f"{seat:02d}", "10.00", product_id="P-LIC", description="User licence")
            for seat in range(40)
        ]

    result = reconcile(
        Side([Invoice("L-1", "A-1")], seats("L-1")), Side([Invoice("T-1", "A-1")], seats("T-1"))
    )
    assert compared(result, "line") == [
        (f"{seat:02d}", f"{seat:02d}", "matched", "0", True) for seat in range(40)
    ]


def _usage(line_id: str, amount: str, quantity: str, **ids: str | None) -> Line:
    international = ids["product_id"] == "P-INTL"
    return Line(
        "L-1" if line_id.startswith("L") else "T-1",
        line_id,
        amount,
        circuit_id=ids.get("circuit_id", "C-1"),
        product_id=ids["product_id"],
        charge_type="usage",
        description="International minutes" if international else "Domestic minutes",
        quantity=quantity,
        unit_price="0.50" if international else "0.05",
    )


def test_two_usage_products_on_one_circuit_pair_by_product_not_amount() -> None:
    # Tollway T1 C-1 P-INTL 200 min x 0.50 = 100.00; T2 C-1 P-DOM 1000 min x 0.05 = 50.00.
    # Legacy L1 C-1 P-INTL 120 min x 0.50 = 60.00 (short 80 min); L2 (no circuit) P-DOM
    # 1000 x 0.05 = 50.00. L1-T1 usage completeness +40.00 (100.00 - 60.00); L2-T2 matched.
    result = reconcile(
        Side(
            [Invoice("L-1", "A-1")],
            [
                _usage("L1", "60.00", "120", product_id="P-INTL"),
                _usage("L2", "50.00", "1000", product_id="P-DOM", circuit_id=None),
            ],
        ),
        Side(
            [Invoice("T-1", "A-1")],
            [
                _usage("T1", "100.00", "200", product_id="P-INTL"),
                _usage("T2", "50.00", "1000", product_id="P-DOM"),
            ],
        ),
    )
    assert compared(result, "line") == [
        ("L1", "T1", "usage_completeness", "40", False),
        ("L2", "T2", "matched", "0", True),
    ]
    assert result.summary.absolute_variance == Decimal("40.00")


def test_two_usage_products_with_all_ids_pair_by_product() -> None:
    # Legacy L1 P-INTL 104 x 0.50 = 52.00 (short 96 min), L2 P-DOM 800 x 0.05 = 40.00 (short
    # 200 min): +48.00 and +10.00, absolute 58.00.
    result = reconcile(
        Side(
            [Invoice("L-1", "A-1")],
            [
                _usage("L1", "52.00", "104", product_id="P-INTL"),
                _usage("L2", "40.00", "800", product_id="P-DOM"),
            ],
        ),
        Side(
            [Invoice("T-1", "A-1")],
            [
                _usage("T1", "100.00", "200", product_id="P-INTL"),
                _usage("T2", "50.00", "1000", product_id="P-DOM"),
            ],
        ),
    )
    assert compared(result, "line") == [
        ("L1", "T1", "usage_completeness", "48", False),
        ("L2", "T2", "usage_completeness", "10", False),
    ]
    assert result.summary.absolute_variance == Decimal("58.00")


def test_a_split_beside_another_product_on_the_circuit_is_paired() -> None:
    # Tollway: T1 C-1 P-PORT 100.00 and T2 C-1 P-MGD 40.00 for March. Legacy splits the port in
    # 48.39 + 51.61 = 100.00 over [03-01, 03-16) + [03-16, 04-01); L2 P-MGD 40.00. All agree.
    result = reconcile(
        Side(
            [Invoice("L-1", "A-1")],
            [
                Line(
                    "L-1", "1a", "48.39", circuit_id="C-1", product_id="P-PORT", period=FIRST_HALF
                ),
                Line(
                    "L-1", "1b", "51.61", circuit_id="C-1", product_id="P-PORT", period=SECOND_HALF
                ),
                Line("L-1", "2", "40.00", circuit_id="C-1", product_id="P-MGD"),
            ],
        ),
        Side(
            [Invoice("T-1", "A-1")],
            [
                Line("T-1", "1", "100.00", circuit_id="C-1", product_id="P-PORT"),
                Line("T-1", "2", "40.00", circuit_id="C-1", product_id="P-MGD"),
            ],
        ),
    )
    assert compared(result, "line") == [
        ("1a", "1", "matched", "0", True),
        ("1b", None, "matched", "0", True),
        ("2", "2", "matched", "0", True),
    ]
    assert result.summary.absolute_variance == Decimal("0.00")


def test_a_split_discount_beside_a_second_discount_of_the_product_is_paired() -> None:
    # Tollway: bundle discount -32.00 and contract discount -10.00 on C-1 P-1 for March. Legacy
    # splits the bundle in -15.48 + -16.52 = -32.00 over the two halves; contract -10.00.
    def discount(
        invoice_id: str, line_id: str, amount: str, name: str, period: tuple[date, date]
    ) -> Line:
        return Line(
            invoice_id,
            line_id,
            amount,
            circuit_id="C-1",
            product_id="P-1",
            charge_type="discount",
            description=name,
            period=period,
        )

    result = reconcile(
        Side(
            [Invoice("L-1", "A-1")],
            [
                discount("L-1", "1a", "-15.48", "Bundle discount", FIRST_HALF),
                discount("L-1", "1b", "-16.52", "Bundle discount", SECOND_HALF),
                discount("L-1", "2", "-10.00", "Contract discount", MARCH),
            ],
        ),
        Side(
            [Invoice("T-1", "A-1")],
            [
                discount("T-1", "1", "-32.00", "Bundle discount", MARCH),
                discount("T-1", "2", "-10.00", "Contract discount", MARCH),
            ],
        ),
    )
    assert compared(result, "line") == [
        ("1a", "1", "matched", "0", True),
        ("1b", None, "matched", "0", True),
        ("2", "2", "matched", "0", True),
    ]


def test_invoices_in_different_currencies_are_never_paired() -> None:
    # Legacy bills A-1 100.00 USD for March, tollway 92.00 EUR: nothing subtracts USD from EUR.
    # Each is unpaired in its own currency: USD -100.00 missing, EUR +92.00 extra.
    result = reconcile(
        Side(
            [Invoice("L-1", "A-1", currency="USD")],
            [Line("L-1", "1", "100.00", circuit_id="C-1", currency="USD")],
        ),
        Side(
            [Invoice("T-1", "A-1", currency="EUR")],
            [Line("T-1", "1", "92.00", circuit_id="C-1", currency="EUR")],
        ),
    )
    assert compared(result, "line") == [
        ("1", None, "missing_in_new", "-100", False),
        (None, "1", "extra_in_new", "92", False),
    ]
    assert compared(result, "invoice") == [
        ("L-1", None, "missing_in_new", "-100", False),
        (None, "T-1", "extra_in_new", "92", False),
    ]
    assert [
        (summary.currency, summary.legacy_total, summary.tollway_total, summary.net_variance)
        for summary in result.summaries
    ] == [
        ("EUR", Decimal("0"), Decimal("92"), Decimal("92")),
        ("USD", Decimal("100"), Decimal("0"), Decimal("-100")),
    ]
    invoice_evidence = [
        row["evidence"] for row in result.differences.to_pylist() if row["level"] == "invoice"
    ]
    assert all("currency differs" in text for text in invoice_evidence)
