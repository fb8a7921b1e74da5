"""The simulated legacy system's differences, one category at a time, on invoices small enough
that exactly one line (or tax group) can take the difference: the legacy rows and the label
written out, computed by hand."""

from datetime import date
from decimal import Decimal

from tollway.reconcile._simulate import SimulatedLegacy, simulate_legacy
from tollway.reconcile._tables import Category, InvoiceTables

from .recon_sim_support import FEBRUARY, MARCH, invoice, line, only, rows, tables, tax


def simulated(tollway: InvoiceTables, category: Category) -> SimulatedLegacy:
    return simulate_legacy(tollway, seed=7, cycle="2026-03", injection=only(category))


def one_line_label(category: str, line_id: str, note: str, **changes: object) -> dict[str, object]:
    label: dict[str, object] = {
        "cycle": "2026-03",
        "level": "line",
        "legacy_invoice_id": "LEG-INV-ALPHA",
        "tollway_invoice_id": "INV-ALPHA",
        "legacy_line_id": f"LEG-{line_id}",
        "tollway_line_id": line_id,
        "jurisdiction_id": None,
        "tax_type": None,
        "category": category,
        "note": note,
    }
    return label | changes


def sd_wan(amount: str = "320.00") -> dict[str, object]:
    return line("INV-ALPHA", "L-A1", "A-ALPHA", "C-A1", "recurring", "SD-WAN edge", MARCH, "1", amount, amount)  # fmt: skip


def sd_wan_tax(taxable: str = "320.00", amount: str = "19.20") -> dict[str, object]:
    return tax("INV-ALPHA", "L-A1", "US-PA", "state_sales", "0.06", taxable, amount)


def alpha(
    totals: tuple[str, str], lines: list[dict[str, object]], taxes: list[dict[str, object]]
) -> InvoiceTables:
    """ALPHA's March invoice with these lines and taxes."""
    return tables([invoice("INV-ALPHA", "A-ALPHA", "USD", totals)], lines, taxes)


# One SD-WAN edge at 320.00 with 6 % state sales tax: 320.00 + 19.20 = 339.20.
ONE_PORT = tables(
    [invoice("INV-ALPHA", "A-ALPHA", "USD", ("320.00", "19.20"))], [sd_wan()], [sd_wan_tax()]
)


def test_quantity_bills_one_more_unit_and_taxes_the_new_amount() -> None:
    result = simulated(ONE_PORT, Category.QUANTITY)

    (legacy_line,) = result.legacy.lines.to_pylist()
    # 2 × 320.00 = 640.00; 6 % of 640.00 = 38.40.
    assert (legacy_line["quantity"], legacy_line["amount"]) == (Decimal(2), Decimal("640.00"))
    assert result.legacy.taxes.column("tax_amount").to_pylist() == [Decimal("38.40")]
    (header,) = result.legacy.invoices.to_pylist()
    assert (header["total_excluding_tax"], header["tax_total"], header["total_including_tax"]) == (
        Decimal("640.00"),
        Decimal("38.40"),
        Decimal("678.40"),
    )
    assert result.labels.to_pylist() == [
        one_line_label("quantity", "L-A1", "legacy bills quantity 2, tollway 1")
    ]


def test_rate_prices_five_percent_higher_at_the_same_quantity() -> None:
    result = simulated(ONE_PORT, Category.RATE)

    (legacy_line,) = result.legacy.lines.to_pylist()
    # 320.00 × 1.05 = 336.00.
    assert (legacy_line["quantity"], legacy_line["unit_price"], legacy_line["amount"]) == (
        Decimal(1),
        Decimal("336.00"),
        Decimal("336.00"),
    )
    assert result.injected() == {"rate": 1}


def test_a_rate_difference_exactly_at_the_materiality_bound_is_injected_one_cent_less_is_not() -> (
    None
):
    # 20.00 × 1.05 = 21.00: exactly 100 minor units more, the plan's minimum: injected.
    at_bound = tables(
        [invoice("INV-ALPHA", "A-ALPHA", "USD", ("20.00", "0"))], [sd_wan("20.00")], []
    )
    # 19.80 × 1.05 = 20.79: 99 minor units more, under the minimum: not injected.
    under = alpha(("19.80", "0"), [sd_wan("19.80")], [])

    assert simulated(at_bound, Category.RATE).injected() == {"rate": 1}
    assert simulated(under, Category.RATE).injected() == {}
    assert simulated(under, Category.RATE).legacy.lines.column("amount").to_pylist() == [
        Decimal("19.80")
    ]


def test_usage_completeness_rates_a_tenth_fewer_records() -> None:
    usage = line("INV-ALPHA", "L-A3", "A-ALPHA", "C-A1", "usage", "SD-WAN usage", FEBRUARY, "1000", None, "100.00")  # fmt: skip
    tollway = alpha(("100.00", "0"), [usage], [])

    result = simulated(tollway, Category.USAGE_COMPLETENESS)

    (legacy_line,) = result.legacy.lines.to_pylist()
    # 1000 GB × 0.9 = 900 GB; 100.00 × 900/1000 = 90.00.
    assert (legacy_line["quantity"], legacy_line["amount"]) == (Decimal(900), Decimal("90.00"))
    assert result.labels.to_pylist() == [
        one_line_label(
            "usage_completeness",
            "L-A3",
            "legacy rated usage of 900, tollway 1000: legacy missed usage records",
        )
    ]


def test_proration_divides_a_part_month_by_thirty_days() -> None:
    firewall = line("INV-ALPHA", "L-A2", "A-ALPHA", "C-A2", "recurring", "Managed firewall", (date(2026, 3, 10), MARCH[1]), "1", "420.00", "298.06")  # fmt: skip
    tollway = alpha(("298.06", "0"), [firewall], [])

    result = simulated(tollway, Category.PRORATION)

    # Tollway: 420.00 × 22/31 = 298.06. Legacy, 22/30 of the month:
    # 298.06 × 31/30 = 307.995… → 308.00.
    assert result.legacy.lines.column("amount").to_pylist() == [Decimal("308.00")]
    assert result.injected() == {"proration": 1}


def test_proration_leaves_a_whole_month_alone() -> None:
    assert simulated(ONE_PORT, Category.PRORATION).injected() == {}


def test_rounding_bills_the_float_product_one_cent_under_the_exact_half_up() -> None:
    voice = line("INV-ALPHA", "L-A6", "A-ALPHA", "C-A3", "usage", "Voice usage", FEBRUARY, "1", "2.675", "2.68")  # fmt: skip
    tollway = alpha(("2.68", "0"), [voice], [])

    result = simulated(tollway, Category.ROUNDING)

    # Exact 2.675 rounds half up to 2.68; the double nearest 2.675 is 2.67499999…, which
    # round() makes 2.67.
    assert result.legacy.lines.column("amount").to_pylist() == [Decimal("2.67")]
    assert result.labels.column("note").to_pylist() == [
        "legacy computes 1 × 2.675 in binary floating point: 2.67, tollway 2.68"
    ]


def test_rounding_in_yen_is_one_yen() -> None:
    premium = line("INV-BRAVO", "L-B3", "A-BRAVO", "C-J2", "usage", "Premium voice", FEBRUARY, "3", "7.5", "23", "JPY")  # fmt: skip
    tollway = tables([invoice("INV-BRAVO", "A-BRAVO", "JPY", ("23", "0"))], [premium], [])

    result = simulated(tollway, Category.ROUNDING)

    # 3 × 7.5 = 22.5: half up 23 yen; round(22.5) on a double rounds half to even, 22.
    assert result.legacy.lines.column("amount").to_pylist() == [Decimal(22)]


def test_rounding_on_a_tax_is_labelled_on_its_group() -> None:
    survey = line("INV-ALPHA", "L-A7", "A-ALPHA", "C-A2", "one_time", "Site survey", MARCH, "1", "78.25", "78.25")  # fmt: skip
    survey_tax = tax("INV-ALPHA", "L-A7", "US-PA", "state_sales", "0.06", "78.25", "4.70")
    tollway = alpha(("78.25", "4.70"), [survey], [survey_tax])

    result = simulated(tollway, Category.ROUNDING)

    # 78.25 × 6 % = 4.695: half up 4.70; as doubles, 4.69.
    assert result.legacy.taxes.column("tax_amount").to_pylist() == [Decimal("4.69")]
    assert result.legacy.invoices.column("tax_total").to_pylist() == [Decimal("4.69")]
    (label,) = result.labels.to_pylist()
    assert (label["level"], label["jurisdiction_id"], label["tax_type"], label["category"]) == (
        "tax",
        "US-PA",
        "state_sales",
        "rounding",
    )


def test_discount_is_half_as_large_again() -> None:
    bundle = line("INV-ALPHA", "L-A4", "A-ALPHA", "C-A1", "discount", "Bundle discount", MARCH, "1", None, "-32.00")  # fmt: skip
    tollway = alpha(("288.00", "19.20"), [sd_wan(), bundle], [sd_wan_tax()])

    result = simulated(tollway, Category.DISCOUNT)

    # -32.00 × 1.5 = -48.00; the invoice: 320.00 - 48.00 = 272.00.
    assert rows(result.legacy.lines, line_id="LEG-L-A4")[0]["amount"] == Decimal("-48.00")
    assert result.legacy.invoices.column("total_excluding_tax").to_pylist() == [Decimal("272.00")]


def test_timing_bills_last_months_service_on_this_invoice() -> None:
    result = simulated(ONE_PORT, Category.TIMING)

    (legacy_line,) = result.legacy.lines.to_pylist()
    assert (legacy_line["period_start"], legacy_line["period_end"], legacy_line["amount"]) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
        Decimal("320.00"),
    )
    assert result.injected() == {"timing": 1}


def test_hierarchy_bills_the_child_on_an_invoice_of_its_own() -> None:
    port = line("INV-ALPHA", "L-A5", "A-ALPHA-BR", "C-B1", "recurring", "MPLS port", MARCH, "100", None, "720.00")  # fmt: skip
    port_tax = tax("INV-ALPHA", "L-A5", "US-NJ", "state_sales", "0.06625", "720.00", "47.70")
    # 320.00 + 720.00 = 1040.00; 19.20 + 47.70 = 66.90.
    tollway = alpha(("1040.00", "66.90"), [sd_wan(), port], [sd_wan_tax(), port_tax])

    result = simulated(tollway, Category.HIERARCHY)

    headers = {row["invoice_id"]: row for row in result.legacy.invoices.to_pylist()}
    assert sorted(headers) == ["LEG-INV-ALPHA", "LEG-INV-ALPHA/A-ALPHA-BR"]
    child = headers["LEG-INV-ALPHA/A-ALPHA-BR"]
    assert (child["account_id"], child["total_excluding_tax"], child["tax_total"]) == (
        "LEG-A-ALPHA-BR",
        Decimal("720.00"),
        Decimal("47.70"),
    )
    assert headers["LEG-INV-ALPHA"]["total_including_tax"] == Decimal("339.20")
    assert rows(result.legacy.taxes, line_id="LEG-L-A5")[0]["invoice_id"] == (
        "LEG-INV-ALPHA/A-ALPHA-BR"
    )
    (label,) = result.labels.to_pylist()
    assert (label["legacy_invoice_id"], label["tollway_invoice_id"], label["tollway_line_id"]) == (
        "LEG-INV-ALPHA/A-ALPHA-BR",
        "INV-ALPHA",
        "L-A5",
    )


def test_extra_in_new_drops_the_line_and_its_taxes() -> None:
    bundle = line("INV-ALPHA", "L-A4", "A-ALPHA", "C-A1", "discount", "Bundle discount", MARCH, "1", None, "-32.00")  # fmt: skip
    tollway = alpha(("288.00", "19.20"), [sd_wan(), bundle], [sd_wan_tax()])

    result = simulated(tollway, Category.EXTRA_IN_NEW)

    # Only the discount is left (a dropped discount would read as a discount difference).
    assert result.legacy.lines.column("line_id").to_pylist() == ["LEG-L-A4"]
    assert result.legacy.taxes.num_rows == 0
    assert result.legacy.invoices.column("total_including_tax").to_pylist() == [Decimal("-32.00")]
    assert result.labels.to_pylist() == [
        one_line_label(
            "extra_in_new",
            "L-A1",
            "legacy does not bill this recurring line of 320",
            legacy_line_id=None,
        )
    ]


def test_missing_in_new_adds_a_one_time_charge_only_legacy_bills() -> None:
    result = simulated(ONE_PORT, Category.MISSING_IN_NEW)

    added = rows(result.legacy.lines, line_id="LEG-L-A1/added")[0]
    assert (added["charge_type"], added["description"], added["amount"], added["circuit_id"]) == (
        "one_time",
        "Installation charge",
        Decimal("150.00"),
        "LEG-C-A1",
    )
    # 320.00 + 150.00 = 470.00; the added charge is not taxed.
    assert result.legacy.invoices.column("total_excluding_tax").to_pylist() == [Decimal("470.00")]
    assert result.labels.to_pylist() == [
        one_line_label(
            "missing_in_new",
            "L-A1",
            "only legacy bills a one-time charge of 150 on this circuit",
            legacy_line_id="LEG-L-A1/added",
            tollway_line_id=None,
        )
    ]


def tax_label(category: str, jurisdiction: str, note: str) -> dict[str, object]:
    return {
        "cycle": "2026-03",
        "level": "tax",
        "legacy_invoice_id": "LEG-INV-ALPHA",
        "tollway_invoice_id": "INV-ALPHA",
        "legacy_line_id": None,
        "tollway_line_id": None,
        "jurisdiction_id": jurisdiction,
        "tax_type": "state_sales",
        "category": category,
        "note": note,
    }


def test_tax_jurisdiction_files_the_tax_in_another_real_jurisdiction() -> None:
    access = line("INV-CHARLIE", "L-C1", "A-CHARLIE", "C-K1", "recurring", "Internet access", MARCH, "500", None, "2325.00")  # fmt: skip
    # CHARLIE's New York tax is exempt, so only ALPHA's Pennsylvania tax can move (to New York).
    exempt = tax("INV-CHARLIE", "L-C1", "US-NY", "state_sales", "0.04", "2325.00", "93.00", exempt=True)  # fmt: skip
    tollway = tables(
        [
            invoice("INV-ALPHA", "A-ALPHA", "USD", ("320.00", "19.20")),
            invoice("INV-CHARLIE", "A-CHARLIE", "USD", ("2325.00", "0")),
        ],
        [sd_wan(), access],
        [sd_wan_tax(), exempt],
    )

    result = simulated(tollway, Category.TAX_JURISDICTION)

    moved = rows(result.legacy.taxes, line_id="LEG-L-A1")[0]
    assert (moved["jurisdiction_id"], moved["tax_amount"]) == ("US-NY", Decimal("19.20"))
    assert result.labels.to_pylist() == [
        tax_label(
            "tax_jurisdiction",
            "US-PA",
            "legacy taxes state_sales in jurisdiction US-NY, tollway in US-PA",
        )
    ]


def test_tax_exemption_exempts_what_tollway_bills() -> None:
    result = simulated(ONE_PORT, Category.TAX_EXEMPTION)

    assert result.legacy.taxes.column("exempt").to_pylist() == [True]
    assert result.legacy.invoices.column("tax_total").to_pylist() == [Decimal(0)]
    assert result.labels.to_pylist() == [
        tax_label(
            "tax_exemption",
            "US-PA",
            "legacy applies an exemption from state_sales that tollway does not",
        )
    ]


def test_tax_exemption_charges_what_tollway_exempts() -> None:
    exempt = tax("INV-ALPHA", "L-A1", "US-PA", "state_sales", "0.06", "320.00", "19.20", exempt=True)  # fmt: skip
    tollway = alpha(("320.00", "0"), [sd_wan()], [exempt])

    result = simulated(tollway, Category.TAX_EXEMPTION)

    assert result.legacy.invoices.column("tax_total").to_pylist() == [Decimal("19.20")]
    assert result.labels.column("note").to_pylist() == [
        "legacy charges state_sales that tollway exempts"
    ]


def test_tax_base_taxes_a_larger_base_at_the_same_rate() -> None:
    result = simulated(ONE_PORT, Category.TAX_BASE)

    (legacy_tax,) = result.legacy.taxes.to_pylist()
    # 320.00 × 1.1 = 352.00; 6 % of 352.00 = 21.12.
    assert (legacy_tax["taxable_amount"], legacy_tax["tax_rate"], legacy_tax["tax_amount"]) == (
        Decimal("352.00"),
        Decimal("0.06"),
        Decimal("21.12"),
    )
    assert result.labels.to_pylist() == [
        tax_label(
            "tax_base",
            "US-PA",
            "legacy taxes a base 10 % larger at the same rate: 21.12, tollway 19.2",
        )
    ]
