"""`TaxEngine`: the local rules engine behind the billing tax step, and the `TaxProvider` seam."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Final, Protocol

from tollway.accounts import BillingAccount, Party
from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillingInputs,
    TaxCalculator,
    TaxItem,
)
from tollway.money import Currency, Money, sum_money
from tollway.tax.core._account_data import check_account_data
from tollway.tax.core._calculate import BillContext, InvoiceState, bill_context, line_taxes
from tollway.tax.core._model import ExemptionCertificate, TaxAccountData, TaxError, TaxTables
from tollway.tax.core._place import LineFacts, Placement, studies_by_account

NO_ACCOUNT_DATA: Final = TaxAccountData()
"""No certificates and no traffic studies."""


class TaxProvider(TaxCalculator, Protocol):
    """Computes the taxes of one bill's lines: the local `TaxEngine`, or an adapter onto an
    external communications tax service (`tollway.tax.provider`). Same contract as the billing
    step it plugs into: every line back in order, tax-exclusive amounts unchanged, tax-inclusive
    lines split exactly, `TaxItem`s of the BILLED taxes per category and rate."""


def tax_items(lines: Sequence[AppliedBillingRate], currency: Currency) -> tuple[TaxItem, ...]:
    """The bill's TMF678 `taxItem`s: BILLED taxes summed per (category, rate), sorted."""
    totals: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        for tax in line.taxes:
            if tax.is_billed:
                key = (tax.tax_category, tax.tax_rate)
                totals[key] = totals.get(key, Decimal(0)) + tax.tax_amount.amount
    return tuple(
        TaxItem(category, rate, Money(totals[(category, rate)], currency))
        for category, rate in sorted(totals)
    )


def _billed(taxes: Sequence[AppliedTax], currency: Currency) -> Decimal:
    return sum_money([tax.tax_amount for tax in taxes if tax.is_billed], currency).amount


class TaxEngine:
    """The local tax rules engine over `TaxTables` and the accounts' certificates and studies.

    The tax point is the bill date: the rules and certificates in force on it apply to every line
    of the bill. Deterministic; lines keep their ids and order.

    >>> from datetime import UTC, datetime
    >>> from tollway.billing import compute_bills
    >>> from tollway.billing._examples import tiny_inputs
    >>> from tollway.tax.core import parse_tax_tables
    >>> tables = parse_tax_tables({"name": "example", "jurisdictions": [
    ...     {"id": "US", "level": "federal", "name": "United States"},
    ...     {"id": "US-PA", "level": "state", "name": "Pennsylvania", "parent": "US"}],
    ...   "rules": [{"id": "pa-sales", "jurisdiction": "US-PA", "tax_type": "state_sales",
    ...     "name": "PA sales tax", "calculation": "rate", "rate_percent": "6",
    ...     "valid_from": "2026-01-01"}]}, source="example.yaml")
    >>> bill, = compute_bills(tiny_inputs(), period_start=datetime(2026, 4, 1, tzinfo=UTC),
    ...     period_end=datetime(2026, 4, 2, tzinfo=UTC), bill_date=date(2026, 4, 1),
    ...     rated_usage=(), run_id="run-1", tax=TaxEngine(tables))
    >>> # 6 % of 51.61 = 3.0966 -> 3.10; 6 % of 100.00 = 6.00.
    >>> [(str(line.amount), str(line.tax_amount)) for line in bill.lines], str(bill.amount_due)
    ([('51.61 USD', '3.10 USD'), ('100.00 USD', '6.00 USD')], '160.71 USD')
    """

    __slots__ = ("_certificates", "_rule_chains", "_studies", "account_data", "tables")

    def __init__(self, tables: TaxTables, *, account_data: TaxAccountData = NO_ACCOUNT_DATA):
        check_account_data(tables, account_data)
        self.tables = tables
        self.account_data = account_data
        held: dict[str, list[ExemptionCertificate]] = {}
        for certificate in sorted(account_data.certificates, key=lambda found: found.id):
            held.setdefault(certificate.billing_account_id, []).append(certificate)
        self._certificates = {account_id: tuple(found) for account_id, found in held.items()}
        self._studies = studies_by_account(account_data)
        self._rule_chains = {
            rule.id: frozenset(found.id for found in tables.chain(rule.jurisdiction_id))
            for rule in tables.rules
        }

    def apply(
        self,
        lines: Sequence[AppliedBillingRate],
        *,
        account: BillingAccount,
        party: Party,
        inputs: BillingInputs,
        bill_date: date,
    ) -> tuple[tuple[AppliedBillingRate, ...], tuple[TaxItem, ...]]:
        """The lines with their taxes, and the bill's tax items (BILLED taxes only)."""
        context = bill_context(
            self.tables, self._certificates, self._rule_chains,
            account=account, party=party, bill_date=bill_date,
        )  # fmt: skip
        placement = Placement(self.tables, self._studies, inputs, bill_date=bill_date)
        state = InvoiceState()
        taxed: list[AppliedBillingRate] = []
        for line in lines:
            facts = placement.facts(line)
            if facts.tax_inclusive:
                taxed.append(_split_inclusive(line, facts, context, state))
            else:
                found = line_taxes(facts, line.amount.amount, context, state)
                state.record(found, facts)
                taxed.append(replace(line, taxes=tuple(tax for _, tax in found)))
        _check(lines, taxed)
        return tuple(taxed), tax_items(taxed, account.currency)


def _split_inclusive(
    line: AppliedBillingRate, facts: LineFacts, context: BillContext, state: InvoiceState
) -> AppliedBillingRate:
    """A tax-inclusive line split into its net amount and billed taxes adding up to the price.

    The taxable amount is the largest whole number of minor units whose billed taxes still fit in
    the price; what the taxes' rounding leaves over (a minor unit or so) goes to the net amount.
    """
    priced = line.amount.amount
    minor_unit = context.currency.minor_unit
    negative = priced < 0
    most = int(abs(priced).scaleb(context.currency.minor_units))

    def fits(units: int) -> bool:
        taxable = minor_unit * (-units if negative else units)
        taxes = line_taxes(facts, taxable, context, state)
        return abs(taxable + _billed([tax for _, tax in taxes], context.currency)) <= abs(priced)

    if not fits(0):
        raise TaxError(
            f"line {line.id} ({line.name}): its tax-inclusive price {line.amount} is less than "
            "the taxes it carries whatever its net amount"
        )
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    taxable = minor_unit * (-low if negative else low)
    found = line_taxes(facts, taxable, context, state)
    state.record(found, facts)
    taxes = tuple(tax for _, tax in found)
    net = Money(priced - _billed(taxes, context.currency), context.currency)
    split = replace(line, amount=net, taxes=taxes, tax_inclusive=True)
    assert split.amount + split.tax_amount == line.amount, f"{line.id}: inclusive split"
    return split


def _check(lines: Sequence[AppliedBillingRate], taxed: Sequence[AppliedBillingRate]) -> None:
    assert [line.id for line in taxed] == [line.id for line in lines], "lines kept in order"
    for before, after in zip(lines, taxed, strict=True):
        assert after.tax_inclusive or after.amount == before.amount, f"{after.id}: amount kept"
        assert all(tax.tax_amount.is_rounded for tax in after.taxes), f"{after.id}: rounded taxes"
