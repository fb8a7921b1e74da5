"""tollway's side of a parallel run: issued bills as interchange tables.

`tollway_tables` turns `CustomerBill`s (from a bill run, or `BillRepository.stream(...)`) into the
same three tables a legacy import gives, so both sides are compared column for column. Columns are
built as Python lists and converted to Arrow once per column, not row by row.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

import pyarrow as pa

from tollway.accounts import BillingAccount
from tollway.billing import (
    AppliedBillingRate,
    BillCategory,
    BillState,
    CustomerBill,
    TaxTreatment,
)
from tollway.money import RoundingMode, round_decimal
from tollway.reconcile._tables import (
    AMOUNT_TYPE,
    INVOICE_SCHEMA,
    LINE_SCHEMA,
    TAX_SCHEMA,
    InvoiceTables,
    System,
)

INTERCHANGE_PLACES: Final = 9
"""The interchange tables' scale (DECIMAL(38, 9))."""

INTERCHANGE_ROUNDING: Final = RoundingMode.HALF_EVEN
"""How a quantity, unit price, tax rate or taxable amount finer than 9 places is brought to the
interchange scale (billed amounts are rounded to their currency and never change)."""

CUSTOMER_TAX_TREATMENTS: Final = frozenset({TaxTreatment.BILLED, TaxTreatment.EXEMPT})
"""The taxes printed on the customer's invoice; compliance-only and carrier-absorbed taxes are not."""

Columns = dict[str, list[object]]


def tollway_tables(
    bills: Iterable[CustomerBill], *, accounts: Mapping[str, BillingAccount] | None = None
) -> InvoiceTables:
    """The issued normal bills among `bills` as InvoiceTables (system "tollway").

    Drafts, void bills and credit notes are skipped: a parallel run compares the invoices both
    systems issued for a cycle. `invoice_id` is the bill number (`bill_no`), the id a person looks
    the invoice up by. Taxes: one row per applied tax that is BILLED or EXEMPT (`exempt` true, its
    amount the tax the certificate removed); compliance-only and carrier-absorbed taxes are not on
    the customer's invoice and are left out.

    Dates: an instant becomes a date in the paying account's time zone (`accounts`, e.g.
    `BillingInputs.accounts`), in UTC when the account is not given. A period start becomes the
    date it falls on, a period end the first date not covered (a period ending at 14:00 on the
    15th ends on the 16th), so [period_start, period_end) covers the instants.

    >>> from tollway.billing import AppliedBillingRate, ChargeType
    >>> from tollway.money import Money
    >>> start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    >>> port = AppliedBillingRate("line-1", "ACME", ChargeType.RECURRING, "Port", start, end,
    ...     Decimal(1), Money.of("100.00", "USD"), Decimal("100.00"))
    >>> bill = CustomerBill("bill-1", "ACME", port.amount.currency, start, end, date(2026, 4, 1),
    ...     (port,), state=BillState.ISSUED, bill_no="INV-000001")
    >>> tables = tollway_tables([bill])
    >>> tables.invoices.column("invoice_id").to_pylist(), tables.lines.column("amount").to_pylist()
    (['INV-000001'], [Decimal('100.000000000')])
    """
    invoices: Columns = {name: [] for name in INVOICE_SCHEMA.names}
    lines: Columns = {name: [] for name in LINE_SCHEMA.names}
    taxes: Columns = {name: [] for name in TAX_SCHEMA.names}
    zones: dict[str, tzinfo] = {}
    for bill in bills:
        if bill.state is not BillState.ISSUED or bill.category is not BillCategory.NORMAL:
            continue
        zone = zones.get(bill.billing_account_id)
        if zone is None:
            zone = _zone_of(bill.billing_account_id, accounts)
            zones[bill.billing_account_id] = zone
        _add_bill(bill, zone, invoices=invoices, lines=lines, taxes=taxes)
    return InvoiceTables(
        invoices=_table(invoices, INVOICE_SCHEMA),
        lines=_table(lines, LINE_SCHEMA),
        taxes=_table(taxes, TAX_SCHEMA),
    )


def _zone_of(account_id: str, accounts: Mapping[str, BillingAccount] | None) -> tzinfo:
    account = None if accounts is None else accounts.get(account_id)
    return UTC if account is None else ZoneInfo(account.time_zone)


def _table(columns: Columns, schema: pa.Schema) -> pa.Table:
    return pa.table([_array(columns[field.name], field.type) for field in schema], schema=schema)


def _array(values: list[object], arrow_type: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=arrow_type)
    except pa.ArrowInvalid:
        # Only a column with a value finer than 9 places gets here (a rare per-minute rate):
        # bring every value to the interchange scale, at the named rounding point.
        assert arrow_type == AMOUNT_TYPE, f"unexpected values for {arrow_type}"
        return pa.array([_interchange(value) for value in values], type=arrow_type)


def start_date(instant: datetime, zone: tzinfo) -> date:
    """The date `instant` falls on in `zone`.

    >>> start_date(datetime(2026, 3, 1, 5, tzinfo=UTC), ZoneInfo("America/New_York"))
    datetime.date(2026, 3, 1)
    """
    return instant.astimezone(zone).date()


def end_date(instant: datetime, zone: tzinfo) -> date:
    """The first date in `zone` not covered by a period ending at `instant`.

    >>> end_date(datetime(2026, 4, 1, 4, tzinfo=UTC), ZoneInfo("America/New_York"))
    datetime.date(2026, 4, 1)
    >>> end_date(datetime(2026, 4, 1, 5, tzinfo=UTC), ZoneInfo("America/New_York"))
    datetime.date(2026, 4, 2)
    """
    local = instant.astimezone(zone)
    return local.date() if local.time() == time(0) else local.date() + timedelta(days=1)


def _interchange(value: object) -> object:
    """`value` at the interchange scale: a Decimal finer than 9 places rounded, else unchanged."""
    if not isinstance(value, Decimal):
        return value
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -INTERCHANGE_PLACES:
        return value
    return round_decimal(value, decimals=INTERCHANGE_PLACES, mode=INTERCHANGE_ROUNDING)


def _add_bill(
    bill: CustomerBill, zone: tzinfo, *, invoices: Columns, lines: Columns, taxes: Columns
) -> None:
    assert bill.bill_no is not None, f"{bill.id}: an issued bill has a number"
    line_total = Decimal(0)
    tax_total = Decimal(0)
    for line in bill.lines:
        _add_line(bill.bill_no, line, zone, lines)
        line_total += line.amount.amount
        tax_total += _add_taxes(bill.bill_no, line, taxes)
    # Paired with the bill's own definition: the tax rows not marked exempt are exactly the
    # billed taxes (the header totals are the sums of the rows written, by construction).
    assert tax_total == bill.tax_amount.amount, f"{bill.id}: billed taxes do not add up"
    row: dict[str, object] = {
        "system": System.TOLLWAY.value,
        "invoice_id": bill.bill_no,
        "account_id": bill.billing_account_id,
        "period_start": start_date(bill.billing_period_start, zone),
        "period_end": end_date(bill.billing_period_end, zone),
        "bill_date": bill.bill_date,
        "currency": bill.currency.code,
        "total_excluding_tax": line_total,
        "tax_total": tax_total,
        "total_including_tax": line_total + tax_total,
    }
    for name, value in row.items():
        invoices[name].append(value)


def _add_line(invoice_id: str, line: AppliedBillingRate, zone: tzinfo, lines: Columns) -> None:
    row: dict[str, object] = {
        "system": System.TOLLWAY.value,
        "invoice_id": invoice_id,
        "line_id": line.id,
        "account_id": line.billing_account_id,
        "circuit_id": line.circuit_id,
        "product_id": line.product_id,
        "charge_type": line.charge_type.value,
        "description": line.name,
        "period_start": start_date(line.period_start, zone),
        "period_end": end_date(line.period_end, zone),
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "amount": line.amount.amount,
        "currency": line.amount.currency.code,
    }
    for name, value in row.items():
        lines[name].append(value)


def _add_taxes(invoice_id: str, line: AppliedBillingRate, taxes: Columns) -> Decimal:
    """Add the line's customer-facing taxes; return the billed amount added."""
    billed = Decimal(0)
    for tax in line.taxes:
        if tax.treatment not in CUSTOMER_TAX_TREATMENTS:
            continue
        exempt = tax.treatment is TaxTreatment.EXEMPT
        row: dict[str, object] = {
            "system": System.TOLLWAY.value,
            "invoice_id": invoice_id,
            "line_id": line.id,
            "jurisdiction_id": tax.jurisdiction_id,
            "tax_type": tax.tax_category,
            "tax_rate": tax.tax_rate,
            "taxable_amount": tax.taxable_amount.amount,
            "tax_amount": tax.tax_amount.amount,
            "exempt": exempt,
            "currency": tax.tax_amount.currency.code,
        }
        for name, value in row.items():
            taxes[name].append(value)
        if not exempt:
            billed += tax.tax_amount.amount
    return billed
