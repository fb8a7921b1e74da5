"""measure_accuracy: the classifier's difference rows against the simulator's answer key, on rows
written out by hand."""

from decimal import Decimal
from typing import Any

import pyarrow as pa

from tollway.reconcile._accuracy import measure_accuracy
from tollway.reconcile._tables import DIFFERENCE_SCHEMA, LABEL_SCHEMA


def difference(level: str, category: str, **keys: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in DIFFERENCE_SCHEMA.names}
    row |= {
        "cycle": "2026-03",
        "level": level,
        "account_id": "A-ALPHA",
        "legacy_invoice_id": "LEG-INV-ALPHA",
        "tollway_invoice_id": "INV-ALPHA",
        "category": category,
        "variance": Decimal(0),
        "within_tolerance": category == "matched",
        "evidence": "",
        "currency": "USD",
    }
    return row | keys


def label(level: str, category: str, **keys: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in LABEL_SCHEMA.names}
    row |= {
        "cycle": "2026-03",
        "level": level,
        "legacy_invoice_id": "LEG-INV-ALPHA",
        "tollway_invoice_id": "INV-ALPHA",
        "category": category,
        "note": "",
    }
    return row | keys


def line_ids(number: int) -> dict[str, str]:
    return {"legacy_line_id": f"LEG-L-{number}", "tollway_line_id": f"L-{number}"}


def measured(differences: list[dict[str, Any]], labels: list[dict[str, Any]]) -> Any:
    return measure_accuracy(
        pa.Table.from_pylist(differences, schema=DIFFERENCE_SCHEMA),
        pa.Table.from_pylist(labels, schema=LABEL_SCHEMA),
    )


def test_right_misclassified_within_tolerance_and_not_reported() -> None:
    labels = [
        label("line", "rate", **line_ids(1)),
        label("line", "proration", **line_ids(2)),
        label("line", "rounding", **line_ids(3)),
        label("line", "quantity", **line_ids(4)),
    ]
    differences = [
        difference("line", "rate", **line_ids(1)),
        difference("line", "rate", **line_ids(2)),
        difference("line", "matched", **line_ids(3)),
        difference("line", "matched", **line_ids(5)),
    ]

    report = measured(differences, labels)

    assert [(item.category, item.injected, item.right) for item in report.categories] == [
        ("proration", 1, 0),
        ("quantity", 1, 0),
        ("rate", 1, 1),
        ("rounding", 1, 0),
    ]
    assert report.confusion == (
        ("proration", "rate", 1),
        ("quantity", "not_reported", 1),
        ("rounding", "matched", 1),
    )
    assert (report.injected, report.right, report.right_percent) == (4, 1, Decimal(25))
    # In label order (L-1 … L-4): what was found for each.
    assert report.outcomes.column("found").to_pylist() == [
        "rate",
        "rate",
        "matched",
        "not_reported",
    ]
    assert report.false_differences.num_rows == 0


def test_a_label_is_found_through_either_side_of_a_line_pair() -> None:
    # Timing may come back as one pair or as two unpaired rows: both join the label.
    labels = [label("line", "timing", **line_ids(1))]
    as_two_rows = [
        difference("line", "timing", legacy_line_id="LEG-L-1"),
        difference("line", "timing", tollway_line_id="L-1", legacy_invoice_id=None),
    ]

    report = measured(as_two_rows, labels)

    assert (report.right, report.false_differences.num_rows) == (1, 0)


def test_one_wrong_row_makes_the_label_misclassified_even_beside_a_right_one() -> None:
    labels = [label("line", "timing", **line_ids(1))]
    differences = [
        difference("line", "timing", legacy_line_id="LEG-L-1"),
        difference("line", "extra_in_new", tollway_line_id="L-1"),
    ]

    report = measured(differences, labels)

    assert report.confusion == (("timing", "extra_in_new", 1),)


def test_a_line_id_on_another_invoice_does_not_join() -> None:
    labels = [label("line", "rate", **line_ids(1))]
    elsewhere = difference(
        "line",
        "rate",
        legacy_invoice_id="LEG-INV-BRAVO",
        tollway_invoice_id="INV-BRAVO",
        **line_ids(1),
    )

    report = measured([elsewhere], labels)

    assert report.confusion == (("rate", "not_reported", 1),)
    assert report.false_differences.num_rows == 1


def test_a_jurisdiction_label_joins_the_rows_of_both_jurisdictions() -> None:
    labels = [label("tax", "tax_jurisdiction", jurisdiction_id="US-PA", tax_type="state_sales")]
    differences = [
        difference("tax", "tax_jurisdiction", jurisdiction_id="US-PA", tax_type="state_sales"),
        difference("tax", "tax_jurisdiction", jurisdiction_id="US-NY", tax_type="state_sales"),
        # Another tax type in New York is not this label's.
        difference("tax", "tax_base", jurisdiction_id="US-NY", tax_type="e911"),
    ]

    report = measured(differences, labels)

    assert report.right == 1
    assert report.false_differences.column("tax_type").to_pylist() == ["e911"]


def test_a_tax_label_needs_the_same_jurisdiction() -> None:
    labels = [label("tax", "tax_base", jurisdiction_id="US-PA", tax_type="state_sales")]
    differences = [difference("tax", "tax_base", jurisdiction_id="US-NY", tax_type="state_sales")]

    report = measured(differences, labels)

    assert report.confusion == (("tax_base", "not_reported", 1),)
    assert report.false_differences.num_rows == 1


def test_consequential_rows_are_kept_apart_from_false_differences() -> None:
    labels = [
        label("line", "rate", **line_ids(1)),
        label(
            "tax",
            "tax_exemption",
            legacy_invoice_id="LEG-INV-BRAVO",
            tollway_invoice_id="INV-BRAVO",
            jurisdiction_id="JP",
            tax_type="consumption",
        ),
    ]
    bravo = {"legacy_invoice_id": "LEG-INV-BRAVO", "tollway_invoice_id": "INV-BRAVO"}
    differences = [
        difference("line", "rate", **line_ids(1)),
        # ALPHA's total and tax base moved with its rate difference: consequential.
        difference("invoice", "rate"),
        difference("tax", "tax_base", jurisdiction_id="US-PA", tax_type="state_sales"),
        difference("tax", "tax_exemption", jurisdiction_id="JP", tax_type="consumption", **bravo),
        difference("invoice", "tax_exemption", **bravo),
        # BRAVO has only a tax label: another tax group differing there is a false difference.
        difference("tax", "tax_base", jurisdiction_id="JP-13", tax_type="local", **bravo),
        # So is anything on CHARLIE, which has no label at all.
        difference(
            "invoice",
            "unexplained",
            legacy_invoice_id="LEG-INV-CHARLIE",
            tollway_invoice_id="INV-CHARLIE",
        ),
        difference("line", "matched", **line_ids(7)),
    ]

    report = measured(differences, labels)

    assert report.right == 2
    assert sorted(
        (row["level"], row["tollway_invoice_id"])
        for row in report.consequential_differences.to_pylist()
    ) == [("invoice", "INV-ALPHA"), ("invoice", "INV-BRAVO"), ("tax", "INV-ALPHA")]
    assert sorted(
        (row["level"], row["tollway_invoice_id"], row["jurisdiction_id"] or "")
        for row in report.false_differences.to_pylist()
    ) == [("invoice", "INV-CHARLIE", ""), ("tax", "INV-BRAVO", "JP-13")]
    assert report.false_differences.schema.equals(DIFFERENCE_SCHEMA)


def test_nothing_injected_and_nothing_found_is_a_perfect_score() -> None:
    report = measured([difference("line", "matched", **line_ids(1))], [])

    assert (report.injected, report.right_percent, report.false_differences.num_rows) == (
        0,
        Decimal(100),
        0,
    )
    assert report.text().startswith("0 of 0 injected differences in the right category")
