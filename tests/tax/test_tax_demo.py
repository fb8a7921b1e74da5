"""The demonstration tables tax a generated operator's bills: every site's jurisdiction is known,
voice is taxed, the government account's certificate shows as an exemption, and the tax detail
export is byte-identical from one run to the next."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillingInputs,
    ChargeType,
    CustomerBill,
    TaxTreatment,
    compute_bills,
)
from tollway.generator import generate
from tollway.io import load_world
from tollway.money import Money
from tollway.tax import (
    TAX_DETAIL_COLUMNS,
    TaxEngine,
    TaxTables,
    demo_tax_account_data_path,
    demo_tax_tables_path,
    load_tax_account_data,
    load_tax_tables,
    tax_detail_rows,
    write_tax_detail_csv,
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[BillingInputs, TaxTables]:
    world = generate(tmp_path_factory.mktemp("demo") / "world", size=12, seed=2026, cycles=1)
    return load_world(world.directory), load_tax_tables(demo_tax_tables_path())


def _bills(inputs: BillingInputs, tables: TaxTables) -> tuple[CustomerBill, ...]:
    engine = TaxEngine(tables, account_data=load_tax_account_data(demo_tax_account_data_path()))
    return compute_bills(
        inputs,
        period_start=datetime(2026, 2, 1, tzinfo=UTC),
        period_end=datetime(2026, 3, 1, tzinfo=UTC),
        bill_date=date(2026, 2, 1),
        rated_usage=(),
        run_id="RUN-DEMO",
        tax=engine,
    )


def test_every_generated_jurisdiction_is_in_the_demo_tables(
    generated: tuple[BillingInputs, TaxTables],
) -> None:
    inputs, tables = generated

    assert {site.jurisdiction_id for site in inputs.sites.values()} <= set(tables.jurisdictions)
    assert {product.jurisdiction_id for product in inputs.products.values()} <= set(
        tables.jurisdictions
    )


def test_the_demo_invoices_carry_taxes(generated: tuple[BillingInputs, TaxTables]) -> None:
    inputs, tables = generated
    bills = _bills(inputs, tables)
    voice_types = {
        price.id
        for offering in inputs.catalog.offerings.values()
        if offering.product_type == "sip"
        for price in offering.prices
    }

    assert len(bills) > 1
    for bill in bills:
        if any(line.price_id in voice_types and line.amount.amount > 0 for line in bill.lines):
            assert bill.tax_amount.amount > 0, bill.billing_account_id
        for line in bill.lines:
            for tax in line.taxes:
                assert tax.rule_id and tax.name and tax.calculation
                assert tables.jurisdictions[tax.jurisdiction_id].level.value == (
                    tax.jurisdiction_level
                )


def test_the_government_certificate_exempts_its_excise_tax(
    generated: tuple[BillingInputs, TaxTables],
) -> None:
    inputs, tables = generated
    head = inputs.accounts["BA-0000002"]
    (bill,) = [bill for bill in _bills(inputs, tables) if bill.billing_account_id == head.id]
    excise = [
        tax for line in bill.lines for tax in line.taxes if tax.tax_category == "federal_excise"
    ]

    # demo-us-2026-accounts.yaml names the generated government head office.
    assert inputs.parties[head.party_id].customer_class.value == "government"
    assert excise
    assert {(tax.treatment, tax.exemption_certificate_id) for tax in excise} == {
        (TaxTreatment.EXEMPT, "EXC-0001")
    }


def test_the_tax_detail_export_is_byte_identical_run_after_run(
    generated: tuple[BillingInputs, TaxTables],
) -> None:
    inputs, tables = generated
    exports: list[str] = []
    for _ in range(2):
        stream = io.StringIO()
        rows = tax_detail_rows(_bills(inputs, tables))
        assert write_tax_detail_csv(rows, stream) == len(rows)
        exports.append(stream.getvalue())

    header, *body = exports[0].splitlines()
    assert exports[0] == exports[1]
    assert header.split(",") == list(TAX_DETAIL_COLUMNS)
    assert {row.split(",")[4] for row in body} >= {"billed", "exempt"}


def test_the_tax_detail_csv_of_known_rows() -> None:
    usd = "USD"
    march = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    sales = AppliedTax("state_sales", "US-PA", Decimal("0.06"), Money.of("35.10", usd),
                       Money.of("2.11", usd), jurisdiction_level="state", rule_id="pa")  # fmt: skip
    excise = AppliedTax("federal_excise", "US", Decimal("0.03"), Money.of("100.00", usd),
                        Money.of("3.00", usd), jurisdiction_level="federal",
                        treatment=TaxTreatment.EXEMPT, rule_id="fet")  # fmt: skip
    line = AppliedBillingRate("l1", "GOV", ChargeType.RECURRING, "SIP", *march, Decimal(1),
                              Money.of("100.00", usd), Decimal(100), taxes=(excise, sales))  # fmt: skip
    bill = CustomerBill("b1", "GOV", line.amount.currency, *march, date(2026, 3, 1), (line, line))
    stream = io.StringIO()

    write_tax_detail_csv(tax_detail_rows([bill]), stream)

    assert stream.getvalue() == (
        "currency,jurisdiction_id,jurisdiction_level,tax_category,treatment,taxable_amount,"
        "tax_amount,line_count\n"
        "USD,US,federal,federal_excise,exempt,200.00,6.00,2\n"
        "USD,US-PA,state,state_sales,billed,70.20,4.22,2\n"
    )
