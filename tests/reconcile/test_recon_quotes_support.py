"""A small operator world, its first invoice and a quote that agrees with both, written out.

Acme (CRM id CRM-ACME, tollway ACME; USD, bills on the 1st, UTC) bought an MPLS 100 port on circuit
CKT-1: 1,000.00 a month before tax, 500.00 installation, 10 % contract discount, 36 months from
2026-03-16, 8 % sales tax in US-PA. The port was activated on 2026-03-16; the first invoice,
INV-000001 of 2026-04-01, carries (amounts as the bill run computes them, checked by
test_recon_quotes_check.test_a_real_bill_run_agrees_with_the_quote):

    recurring  [03-16, 04-01)  1000.00 × 16/31 = 516.129… → 516.13   tax 8 % 41.29
    recurring  [04-01, 05-01)                              1000.00   tax 8 % 80.00
    one_time   03-16                                        500.00   tax 8 % 40.00
    discount   10 % of (516.13 + 1000.00) = 151.613 →      -151.61   (untaxed here)
    total: 1864.52 + 161.29 tax = 2025.81

This module holds no tests; the test modules import its builders.
"""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa

from tollway.accounts import BillingAccount, CustomerClass, Party
from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillingInputs,
    BillState,
    ChargeType,
    CustomerBill,
    TaxTreatment,
)
from tollway.catalog import (
    Catalog,
    ChargeKind,
    ProductOffering,
    ProductOfferingPrice,
    QuantityBasis,
)
from tollway.contracts import Agreement, PriceOverride
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import Money, currency
from tollway.pricing import PriceDefinition
from tollway.pricing.schema import parse_price_definition
from tollway.reconcile._quotes_model import (
    OrderAction,
    QuotedDiscount,
    QuotedPrice,
    QuotedTerm,
    QuoteItem,
    QuoteOrder,
    QuotePriceType,
    QuoteTaxTreatment,
)
from tollway.reconcile._tables import CROSSWALK_SCHEMA

USD = currency("USD")


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


ACTIVATED = at(3, 16)


def definition(price_id: str, amount: str, *, per_unit: bool = False) -> PriceDefinition:
    """A USD price definition as a price file gives it (so storage can keep its document)."""
    pricing = (
        {"model": "per_unit", "unit_price": amount}
        if per_unit
        else {"model": "flat", "amount": amount}
    )
    return parse_price_definition({"id": price_id, "currency": "USD", "pricing": pricing})


def offering_price(
    price_id: str,
    kind: ChargeKind,
    amount: str,
    *,
    tax_inclusive: bool = False,
    per_unit: bool = False,
    quantity_basis: QuantityBasis = QuantityBasis.ONE,
    usage_type: str | None = None,
) -> ProductOfferingPrice:
    """A catalog price of offering `price_id` less its last part (mpls-100-mrc: mpls-100), in
    force from 2026-01-01: a flat amount, or `amount` per unit."""
    return ProductOfferingPrice(
        id=price_id,
        offering_id=price_id.rsplit("-", 1)[0],
        kind=kind,
        price=definition(price_id, amount, per_unit=per_unit),
        valid_from=at(1, 1),
        usage_type=usage_type,
        quantity_basis=quantity_basis,
        name=price_id,
        tax_inclusive=tax_inclusive,
    )


def world(
    *,
    monthly: str = "1000.00",
    discount_percent: str = "10",
    term_months: int = 36,
    agreement: bool = True,
    monthly_override: str | None = None,
    tax_inclusive: bool = False,
    activated: datetime | None = ACTIVATED,
    extra_products: tuple[Product, ...] = (),
    extra_offerings: tuple[ProductOffering, ...] = (),
    extra_prices: tuple[ProductOfferingPrice, ...] = (),
) -> BillingInputs:
    """Acme's world; the keywords change one fact at a time."""
    mrc = offering_price(
        "mpls-100-mrc", ChargeKind.RECURRING_ADVANCE, monthly, tax_inclusive=tax_inclusive
    )
    nrc = offering_price("mpls-100-nrc", ChargeKind.ONE_TIME, "500.00")
    overrides = ()
    if monthly_override is not None:
        overrides = (PriceOverride("mpls-100-mrc", definition("ag-1-mrc", monthly_override)),)
    contract = Agreement(
        "AG-1",
        "ACME",
        "Acme MSA",
        at(3, 16),
        term_months,
        price_overrides=overrides,
        discount_percent=Decimal(discount_percent),
    )
    events = () if activated is None else (LifecycleEvent(activated, LifecycleAction.ACTIVATE),)
    port = Product(
        "P1",
        "CKT-1",
        "ACME",
        "mpls-100",
        Decimal(100),
        "S1",
        "US-PA",
        events,
        agreement_id="AG-1" if agreement else None,
    )
    return BillingInputs(
        parties={"acme": Party("acme", "Acme Corp", CustomerClass.BUSINESS)},
        sites={},
        accounts={"ACME": BillingAccount("ACME", "acme", "Acme Corp", USD, 1, "UTC")},
        catalog=Catalog(
            {
                "mpls-100": ProductOffering(
                    "mpls-100", "MPLS 100 Mbps port", "mpls", (mrc, nrc, *extra_prices)
                ),
                **{offering.id: offering for offering in extra_offerings},
            }
        ),
        agreements={"AG-1": contract} if agreement else {},
        products={"P1": port, **{product.id: product for product in extra_products}},
    )


def sales_tax(
    taxed: str,
    tax: str,
    *,
    rate: str = "0.08",
    jurisdiction: str = "US-PA",
    treatment: TaxTreatment = TaxTreatment.BILLED,
) -> AppliedTax:
    return AppliedTax(
        "state_sales",
        jurisdiction,
        Decimal(rate),
        Money.of(taxed, USD),
        Money.of(tax, USD),
        treatment=treatment,
    )


def line(
    line_id: str,
    charge_type: ChargeType,
    start: datetime,
    end: datetime,
    amount: str,
    *,
    price_id: str | None = None,
    product_id: str = "P1",
    circuit_id: str = "CKT-1",
    quantity: str = "1",
    taxes: tuple[AppliedTax, ...] = (),
    tax_inclusive: bool = False,
) -> AppliedBillingRate:
    return AppliedBillingRate(
        id=line_id,
        billing_account_id="ACME",
        charge_type=charge_type,
        name=price_id or charge_type.value,
        period_start=start,
        period_end=end,
        quantity=Decimal(quantity),
        amount=Money.of(amount, USD),
        precise_amount=Decimal(amount),
        product_id=product_id,
        circuit_id=circuit_id,
        price_id=price_id,
        taxes=taxes,
        tax_inclusive=tax_inclusive,
    )


def first_lines() -> tuple[AppliedBillingRate, ...]:
    """INV-000001's lines as in the module docstring."""
    return (
        line("L1", ChargeType.RECURRING, at(3, 16), at(4, 1), "516.13",
             price_id="mpls-100-mrc", taxes=(sales_tax("516.13", "41.29"),)),
        line("L2", ChargeType.RECURRING, at(4, 1), at(5, 1), "1000.00",
             price_id="mpls-100-mrc", taxes=(sales_tax("1000.00", "80.00"),)),
        line("L3", ChargeType.ONE_TIME, at(3, 16), at(3, 16), "500.00",
             price_id="mpls-100-nrc", taxes=(sales_tax("500.00", "40.00"),)),
        line("L4", ChargeType.DISCOUNT, at(3, 16), at(5, 1), "-151.61"),
    )  # fmt: skip


def invoice(
    lines: tuple[AppliedBillingRate, ...],
    *,
    bill_no: str = "INV-000001",
    bill_date: date = date(2026, 4, 1),
) -> CustomerBill:
    return CustomerBill(
        id=f"bill-{bill_no}",
        billing_account_id="ACME",
        currency=USD,
        billing_period_start=at(4, 1),
        billing_period_end=at(5, 1),
        bill_date=bill_date,
        lines=lines,
        state=BillState.ISSUED,
        bill_no=bill_no,
    )


def recurring_price(**changes: object) -> QuotedPrice:
    """1,000.00 a month before tax, 8 %, 10 % off, catalog price mpls-100-mrc."""
    price = QuotedPrice(
        QuotePriceType.RECURRING,
        offering_price_id="mpls-100-mrc",
        duty_free_amount=Decimal("1000.00"),
        tax_rate_percent=Decimal(8),
        tax_jurisdiction_id="US-PA",
        discount=QuotedDiscount(percent=Decimal(10)),
    )
    return replace(price, **changes)


def installation_price(**changes: object) -> QuotedPrice:
    price = QuotedPrice(
        QuotePriceType.ONE_TIME,
        offering_price_id="mpls-100-nrc",
        duty_free_amount=Decimal("500.00"),
        tax_rate_percent=Decimal(8),
    )
    return replace(price, **changes)


def port_item(**changes: object) -> QuoteItem:
    """Add one MPLS 100 port on CKT-1 at 100 Mbps, 36 months from 2026-03-16."""
    item = QuoteItem(
        id="1",
        action=OrderAction.ADD,
        offering_id="mpls-100",
        circuit_id="CKT-1",
        bandwidth_mbps=Decimal(100),
        term=QuotedTerm(36, date(2026, 3, 16)),
        prices=(recurring_price(), installation_price()),
    )
    return replace(item, **changes)


def order(
    *items: QuoteItem, expected_total: str | None = "2025.81", order_id: str = "ORD-1"
) -> QuoteOrder:
    return QuoteOrder(
        id=order_id,
        order_date=date(2026, 3, 2),
        billing_account_id="CRM-ACME",
        currency="USD",
        items=items or (port_item(),),
        expected_first_invoice_total=None if expected_total is None else Decimal(expected_total),
    )


def crosswalk() -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "entity": "account",
                "legacy_id": "CRM-ACME",
                "tollway_id": "ACME",
                "valid_from": None,
                "valid_to": None,
            }
        ],
        schema=CROSSWALK_SCHEMA,
    )


def tax_inclusive_price() -> QuotedPrice:
    """The recurring price quoted tax-inclusive: 1,000.00 a month with the 8 % tax in it."""
    return recurring_price(
        duty_free_amount=None,
        tax_included_amount=Decimal("1000.00"),
        tax_treatment=QuoteTaxTreatment.INCLUSIVE,
    )


Row = tuple[str, str | None, str | None, str, str | None, str | None]


def _shown(value: Decimal | None, code: str) -> str | None:
    if value is None:
        return None
    return f"{value.quantize(currency(code).minor_unit):f}"


def rows(differences: pa.Table) -> list[Row]:
    """(check, item, bill line, category, quoted, billed) per difference row, amounts with the
    currency's decimals; and the variance of every row is billed − quoted (a missing side 0)."""
    found: list[Row] = []
    for row in differences.to_pylist():
        quoted, billed = row["legacy_amount"], row["tollway_amount"]
        assert row["variance"] == (billed or 0) - (quoted or 0)
        assert row["within_tolerance"] == (row["category"] == "matched")
        code = row["currency"]
        found.append(
            (
                row["evidence"].split(":")[0],
                row["legacy_line_id"],
                row["tollway_line_id"],
                row["category"],
                _shown(quoted, code),
                _shown(billed, code),
            )
        )
    return found


def differing(differences: pa.Table) -> list[Row]:
    """The rows that are not matches."""
    return [row for row in rows(differences) if row[3] != "matched"]
