"""Tolerances, exactly at and just past each limit, in USD and in JPY (no decimals)."""

from decimal import Decimal

import pytest

from tollway.reconcile.core import CATEGORIES, Tolerances, TolerancesError, tolerances_from_mapping

from .recon_engine_tables import Invoice, Line, Side, compared, evidence, reconcile


def pair(
    legacy_amount: str,
    tollway_amount: str,
    *,
    tolerances: Tolerances,
    currency: str = "USD",
    charge_type: str = "recurring",
    legacy_quantity: str = "1",
    tollway_quantity: str = "1",
    unit_price: str | None = None,
    tollway_unit_price: str | None = None,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[str]]:
    def side(invoice_id: str, amount: str, quantity: str, price: str | None) -> Side:
        return Side(
            [Invoice(invoice_id, "ACC-1", currency=currency)],
            [
                Line(
                    invoice_id,
                    "1",
                    amount,
                    circuit_id="CKT-1",
                    currency=currency,
                    charge_type=charge_type,
                    quantity=quantity,
                    unit_price=price,
                )
            ],
        )

    result = reconcile(
        side("L-1", legacy_amount, legacy_quantity, unit_price),
        side("T-1", tollway_amount, tollway_quantity, tollway_unit_price or unit_price),
        tolerances=tolerances,
    )
    return compared(result, "line"), compared(result, "invoice"), evidence(result, "line")


FIVE_CENTS = Tolerances(line_absolute_minor=5)
# The same unit price on both sides: an amount difference nothing else explains.
PRICED = {"unit_price": "100.00"}


def test_a_difference_exactly_at_the_line_tolerance_is_matched() -> None:
    lines, _, texts = pair("100.00", "100.05", tolerances=FIVE_CENTS, **PRICED)
    assert lines == [("1", "1", "matched", "0.05", True)]
    assert texts == [
        "amounts 100.00 (legacy) vs 100.05 (tollway) differ by 0.05, within the line tolerance 0.05"
    ]


def test_one_minor_unit_past_the_line_tolerance_is_a_difference() -> None:
    lines, _, _ = pair("100.00", "100.06", tolerances=FIVE_CENTS, **PRICED)
    assert lines == [("1", "1", "unexplained", "0.06", False)]


def test_rounding_keeps_its_category_within_tolerance() -> None:
    # One cent with nothing else differing is explained (rounding), not merely tolerated.
    lines, _, _ = pair("100.00", "100.01", tolerances=FIVE_CENTS)
    assert lines == [("1", "1", "rounding", "0.01", True)]


def test_an_explained_difference_within_tolerance_keeps_its_category() -> None:
    # Unit price 10.000 vs 10.001 on 10 units: 100.00 vs 100.01, a rate difference of a cent.
    lines, _, _ = pair(
        "100.00", "100.01", tolerances=Tolerances(), legacy_quantity="10",
        tollway_quantity="10", unit_price="10.000", tollway_unit_price="10.001",
    )  # fmt: skip
    assert lines == [("1", "1", "rate", "0.01", True)]


def test_a_category_override_widens_only_that_category() -> None:
    tolerances = Tolerances(category_line_absolute_minor=(("usage_completeness", 100),))
    # 500 vs 450 minutes at 0.02: 10.00 vs 9.00, a shortfall of exactly the 1.00 allowed.
    lines, _, _ = pair(
        "10.00", "9.00", tolerances=tolerances, charge_type="usage", legacy_quantity="500",
        tollway_quantity="450", unit_price="0.02",
    )  # fmt: skip
    assert lines == [("1", "1", "usage_completeness", "-1", True)]
    # 500 vs 449 minutes: 8.98, 1.02 short: past the override.
    lines, _, _ = pair(
        "10.00", "8.98", tolerances=tolerances, charge_type="usage", legacy_quantity="500",
        tollway_quantity="449", unit_price="0.02",
    )  # fmt: skip
    assert lines == [("1", "1", "usage_completeness", "-1.02", False)]
    # The override leaves other categories at one minor unit.
    lines, _, _ = pair("10.00", "10.02", tolerances=tolerances, unit_price="10.00")
    assert lines == [("1", "1", "unexplained", "0.02", False)]


INVOICE_LIMITS = Tolerances(invoice_absolute_minor=100, invoice_relative_percent=Decimal("0.1"))


@pytest.mark.parametrize(
    ("legacy", "tollway", "within"),
    [
        # Absolute materiality 1.00; 0.1 % of 500.00 is only 0.50.
        ("500.00", "501.00", True),
        ("500.00", "501.01", False),
        ("500.00", "499.00", True),
        # 0.1 % of 2000.00 = 2.00 is more than 1.00.
        ("2000.00", "2002.00", True),
        ("2000.00", "2002.01", False),
        ("2000.00", "1998.00", True),
    ],
)
def test_the_invoice_tolerance_is_the_larger_of_absolute_and_relative(
    legacy: str, tollway: str, within: bool
) -> None:
    _, invoices, _ = pair(legacy, tollway, tolerances=INVOICE_LIMITS)
    assert [row[4] for row in invoices] == [within]


def test_yen_have_no_decimals() -> None:
    # One yen is JPY's minor unit: 1000 vs 1001 is rounding, 1000 vs 1002 is not.
    lines, _, texts = pair("1000", "1001", tolerances=Tolerances(), currency="JPY")
    assert lines == [("1", "1", "rounding", "1", True)]
    assert texts == [
        "only the amount differs: 1000 (legacy) vs 1001 (tollway), within the rounding threshold 1"
    ]
    lines, _, _ = pair("1000", "1002", tolerances=Tolerances(), currency="JPY", unit_price="1000")
    assert lines == [("1", "1", "unexplained", "2", False)]


def test_zero_tolerance_turns_a_cent_into_a_difference() -> None:
    zero = Tolerances(line_absolute_minor=0, rounding_minor=0)
    lines, _, _ = pair("100.00", "100.01", tolerances=zero, **PRICED)
    assert lines == [("1", "1", "unexplained", "0.01", False)]


def test_tolerances_are_read_from_a_settings_mapping() -> None:
    tolerances = tolerances_from_mapping(
        {
            "line_absolute_minor": 2,
            "rounding_minor": 1,
            "invoice_absolute_minor": 500,
            "invoice_relative_percent": Decimal("0.05"),
            "categories": {"usage_completeness": 100, "rate": 0},
        }
    )
    assert tolerances == Tolerances(
        line_absolute_minor=2,
        rounding_minor=1,
        invoice_absolute_minor=500,
        invoice_relative_percent=Decimal("0.05"),
        category_line_absolute_minor=(("rate", 0), ("usage_completeness", 100)),
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"line_absolute_minor": -1}, "line_absolute_minor: -1 must be a whole number"),
        ({"line_absolute_minor": Decimal("0.5")}, "must be a whole number of minor units"),
        ({"invoice_relative_percent": 101}, "must be a percentage from 0 to 100"),
        ({"categories": {"typo": 1}}, "unknown category 'typo'"),
        ({"categories": [1]}, "expected a mapping of category to minor units"),
        ({"rounding": 1}, "unknown setting 'rounding'"),
        ([1, 2], "expected a mapping of settings"),
    ],
)
def test_bad_tolerance_settings_are_refused(document: object, message: str) -> None:
    with pytest.raises(TolerancesError, match=message):
        tolerances_from_mapping(document)


def test_a_float_setting_is_refused() -> None:
    with pytest.raises(Exception, match="is a float"):
        tolerances_from_mapping({"invoice_relative_percent": 0.1})


def test_the_core_knows_every_category_of_the_contract() -> None:
    from tollway.reconcile._tables import Category

    assert set(CATEGORIES) == {category.value for category in Category}
