"""The tax detail for compliance filing: every applied tax of a set of bills, summed per currency,
jurisdiction, level, tax type and treatment (billed, compliance-only, carrier-absorbed, exempt)."""

from collections.abc import Iterable
from dataclasses import dataclass

from tollway.billing import CustomerBill, TaxTreatment
from tollway.money import Currency, Money


@dataclass(frozen=True, slots=True)
class TaxDetailRow:
    """One row of the filing export: what was taxed, how much tax, on how many lines."""

    currency: Currency
    jurisdiction_id: str
    jurisdiction_level: str
    tax_category: str
    treatment: TaxTreatment
    taxable_amount: Money
    tax_amount: Money
    """For EXEMPT rows, the amount exempted."""
    line_count: int

    def __post_init__(self) -> None:
        assert self.taxable_amount.currency == self.currency == self.tax_amount.currency
        assert self.line_count > 0


def tax_detail_rows(bills: Iterable[CustomerBill]) -> tuple[TaxDetailRow, ...]:
    """Applied taxes summed per (currency, jurisdiction, level, tax type, treatment), sorted.

    A line counts once per key however many taxes of that key it carries.

    >>> from datetime import UTC, date, datetime
    >>> from decimal import Decimal
    >>> from tollway.billing import AppliedBillingRate, AppliedTax, ChargeType
    >>> march = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    >>> usd = lambda amount: Money.of(amount, "USD")
    >>> sales = AppliedTax("state_sales", "US-PA", Decimal("0.06"), usd("100.00"), usd("6.00"),
    ...                    jurisdiction_level="state")
    >>> line = AppliedBillingRate("l1", "A", ChargeType.RECURRING, "Port", *march, Decimal(1),
    ...                           usd("100.00"), Decimal("100.00"), taxes=(sales,))
    >>> bill = CustomerBill("b1", "A", usd("0").currency, *march, date(2026, 3, 1), (line,))
    >>> [(row.jurisdiction_id, row.tax_category, str(row.tax_amount), row.line_count)
    ...  for row in tax_detail_rows([bill, bill])]
    [('US-PA', 'state_sales', '12.00 USD', 2)]
    """
    taxable: dict[tuple[str, str, str, str, str], Money] = {}
    taxed: dict[tuple[str, str, str, str, str], Money] = {}
    lines: dict[tuple[str, str, str, str, str], int] = {}
    currencies: dict[str, Currency] = {}
    for bill in bills:
        currencies[bill.currency.code] = bill.currency
        for line in bill.lines:
            counted: set[tuple[str, str, str, str, str]] = set()
            for tax in line.taxes:
                key = (
                    bill.currency.code,
                    tax.jurisdiction_id,
                    tax.jurisdiction_level,
                    tax.tax_category,
                    tax.treatment.value,
                )
                zero = Money.zero(bill.currency)
                taxable[key] = taxable.get(key, zero) + tax.taxable_amount
                taxed[key] = taxed.get(key, zero) + tax.tax_amount
                if key not in counted:
                    lines[key] = lines.get(key, 0) + 1
                    counted.add(key)
    return tuple(
        TaxDetailRow(
            currency=currencies[key[0]],
            jurisdiction_id=key[1],
            jurisdiction_level=key[2],
            tax_category=key[3],
            treatment=TaxTreatment(key[4]),
            taxable_amount=taxable[key],
            tax_amount=taxed[key],
            line_count=lines[key],
        )
        for key in sorted(taxable)
    )
