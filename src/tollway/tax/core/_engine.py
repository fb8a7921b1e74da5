"""`TaxEngine`: the local rules engine behind the billing tax step, and the `TaxProvider` seam.

A bill is taxed in one pass over its lines in bill order (fixed and per-line fees ride on the
first positive line they select), and, when a rule's invoice cap binds, again with each line's
share of the cap fixed (`invoice_cap_limits`): the cap bounds the rule's net total on the bill
whatever the order of its lines, and tax-on-tax bases and tax-inclusive splits see the capped
amounts.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from typing import Final, Protocol, TypeVar

from tollway.accounts import BillingAccount, CustomerClass, Party
from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillingInputs,
    ChargeType,
    TaxCalculator,
    TaxItem,
    TaxTreatment,
)
from tollway.money import Currency, Money, sum_money
from tollway.tax.core._account_data import check_account_data
from tollway.tax.core._calculate import (
    BillContext,
    InvoiceState,
    bill_context,
    line_taxes,
    rate_of,
    rules_in_force,
    selected_rules,
)
from tollway.tax.core._model import (
    Calculation,
    ExemptionCertificate,
    TaxAccountData,
    TaxError,
    TaxRule,
    TaxTables,
)
from tollway.tax.core._place import LineFacts, Placement, studies_by_account, tax_point

NO_ACCOUNT_DATA: Final = TaxAccountData()
"""No certificates and no traffic studies."""
cap_passes_max: Final = 4
"""Passes over a bill to fix the lines' shares of invoice caps: one finds the rules whose net
total is above the cap; a further one is needed only when capping one rule (on a tax-inclusive
line, whose net then grows) lifts another above its cap."""
selections_max: Final = 65_536
"""The most rule lookups an engine remembers in each of its two caches of them (the rules in
force per tax point and customer class; the rules selecting a line per tax point, customer class,
location, service type and charge type)."""
plain_taxes_max: Final = 16_384
"""The most plain lines' taxes an engine remembers (`_plain_taxes`; some 2 KiB each, so at most
about 32 MiB). Each cache is emptied when full and filled again: an engine kept for a long run
stays small, and what it remembers never changes a result."""

_Key = TypeVar("_Key")
_Value = TypeVar("_Value")
_InForceKey = tuple[date, CustomerClass]
_SelectionKey = tuple[date, CustomerClass, frozenset[str], str, ChargeType]
_Selection = tuple[tuple[TaxRule, ...], bool]
_Taxes = tuple[tuple[TaxRule, AppliedTax], ...]
_TaxesKey = tuple[_SelectionKey, Currency, str, str, str, tuple[str, ...]]


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

    The tax point is the bill date: the rules, certificates and traffic studies in force on it
    apply to the lines of the bill; an adjustment of an issued bill is taxed at the tax point of
    the bill it corrects (`tax_point`). Deterministic; lines keep their ids and order.

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

    __slots__ = (
        "_capped_rules", "_certificates", "_in_force", "_rates", "_rule_chains", "_selections",
        "_studies", "_taxes", "account_data", "tables",
    )  # fmt: skip

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
        self._capped_rules = {
            rule.id: rule for rule in tables.rules if rule.cap_per_invoice is not None
        }
        self._rates = {
            rule.id: rate_of(rule) for rule in tables.rules if rule.calculation is Calculation.RATE
        }
        # The tables never change, so a lookup's rules depend on its key alone.
        self._in_force: dict[_InForceKey, tuple[TaxRule, ...]] = {}
        self._selections: dict[_SelectionKey, _Selection] = {}
        self._taxes: dict[_TaxesKey, _Taxes] = {}

    def _rules_in_force(self, party: Party, tax_point: date) -> tuple[TaxRule, ...]:
        key = (tax_point, party.customer_class)
        found = self._in_force.get(key)
        if found is None:
            found = rules_in_force(self.tables, party, tax_point)
            _remember(self._in_force, key, found, entries_max=selections_max)
        return found

    def _selected(
        self, selection: _SelectionKey, rules: tuple[TaxRule, ...], facts: LineFacts
    ) -> _Selection:
        """The rules of `rules` (those in force for the selection's tax point and customer class)
        selecting a line with `facts`, and whether they are plain: no fee charged once per bill or
        circuit, no invoice cap (their taxes depend on the line's earlier lines)."""
        found = self._selections.get(selection)
        if found is None:
            chosen = selected_rules(
                rules, jurisdiction_ids=facts.jurisdiction_ids,
                service_type=facts.service_type, charge_type=facts.charge_type,
            )  # fmt: skip
            plain = not any(
                rule.calculation in _FEES or rule.cap_per_invoice is not None for rule in chosen
            )
            found = (chosen, plain)
            _remember(self._selections, selection, found, entries_max=selections_max)
        return found

    def _plain_taxes(
        self,
        selection: _SelectionKey,
        rules: tuple[TaxRule, ...],
        facts: LineFacts,
        amount: Decimal,
        context: BillContext,
        state: InvoiceState,
    ) -> _Taxes:
        """`line_taxes` of a tax-exclusive line whose rules are plain (`_selected`), remembered
        per what decides them: the selection (tax point, customer class, location, service and
        charge type), the currency, the amount, interstate share and minutes exactly as written
        (100 and 100.00 print different taxable amounts) and the accounts of the line's chain
        that hold certificates. Nothing else of the line (its id, product, voice channels) or of
        the bill's earlier lines is read by plain rules."""
        holders = tuple(found for found in facts.account_ids if found in self._certificates)
        key = (
            selection, context.currency, str(amount), str(facts.interstate_share),
            "" if facts.minutes is None else str(facts.minutes), holders,
        )  # fmt: skip
        found = self._taxes.get(key)
        if found is None:
            found = line_taxes(facts, amount, context, state, rules=rules)
            _remember(self._taxes, key, found, entries_max=plain_taxes_max)
        return found

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
        bill = _Bill(self, account=account, party=party, inputs=inputs, bill_date=bill_date)
        limits: dict[tuple[str, str], Decimal] = {}
        taxed = bill.taxed(lines, limits=limits)
        for _ in range(cap_passes_max):
            more = invoice_cap_limits(taxed, self._capped_rules)
            if not more:
                break
            limits.update(more)
            taxed = bill.taxed(lines, limits=limits)
        assert not invoice_cap_limits(taxed, self._capped_rules), "invoice caps hold"
        _check(lines, taxed)
        return tuple(taxed), tax_items(taxed, account.currency)


def _remember(cache: dict[_Key, _Value], key: _Key, value: _Value, *, entries_max: int) -> None:
    if len(cache) >= entries_max:
        cache.clear()
    cache[key] = value


class _Bill:
    """One bill's taxing: its contexts and placements per tax point, built when first needed."""

    def __init__(
        self,
        engine: TaxEngine,
        *,
        account: BillingAccount,
        party: Party,
        inputs: BillingInputs,
        bill_date: date,
    ) -> None:
        self.engine = engine
        self.account = account
        self.party = party
        self.inputs = inputs
        self.bill_date = bill_date
        self.at_point: dict[date, tuple[BillContext, Placement, _InForceKey]] = {}

    def taxed(
        self, lines: Sequence[AppliedBillingRate], *, limits: Mapping[tuple[str, str], Decimal]
    ) -> list[AppliedBillingRate]:
        """Every line with its taxes, in bill order, each line's tax of a capped rule at most its
        limit (by rule id and line id). A tax-exclusive line that gets no taxes and had none is
        kept as it is."""
        state = InvoiceState(limits=limits)
        taxed: list[AppliedBillingRate] = []
        engine = self.engine
        for line in lines:
            context, placement, key = self._at(self._tax_point(line))
            facts = placement.facts(line)
            selection = (*key, facts.jurisdiction_ids, facts.service_type, facts.charge_type)
            rules, plain = engine._selected(selection, context.rules, facts)
            if facts.tax_inclusive:
                taxed.append(_split_inclusive(line, facts, context, state, rules))
                continue
            amount = line.amount.amount
            if not rules:
                found: _Taxes = ()
            elif plain:
                found = engine._plain_taxes(selection, rules, facts, amount, context, state)
            else:
                found = line_taxes(facts, amount, context, state, rules=rules)
            if not found and not line.taxes:
                taxed.append(line)
                continue
            state.record(found, facts)
            taxed.append(_with_taxes(line, tuple(tax for _, tax in found)))
        return taxed

    def _tax_point(self, line: AppliedBillingRate) -> date:
        owner = self.inputs.accounts.get(line.billing_account_id, self.account)
        return tax_point(line, bill_date=self.bill_date, time_zone=owner.time_zone)

    def _at(self, point: date) -> tuple[BillContext, Placement, _InForceKey]:
        found = self.at_point.get(point)
        if found is None:
            engine = self.engine
            context = bill_context(
                engine.tables, engine._certificates, engine._rule_chains, engine._rates,
                account=self.account, rules=engine._rules_in_force(self.party, point),
                tax_point=point,
            )  # fmt: skip
            placement = Placement(engine.tables, engine._studies, self.inputs, tax_point=point)
            key = (point, self.party.customer_class)
            found = self.at_point[point] = (context, placement, key)
        return found


def invoice_cap_limits(
    lines: Sequence[AppliedBillingRate], capped_rules: Mapping[str, TaxRule]
) -> dict[tuple[str, str], Decimal]:
    """For each rule whose invoice cap the bill's net total of its taxes exceeds: the most its
    tax may be on each line with a positive one (by rule id and line id). Its credits' negative
    taxes stand; the positive ones keep their amounts in bill order while the cap (plus what the
    credits give back) lasts, and the rest is taken off the later ones. Exempted taxes do not
    count."""
    taxes: dict[str, list[tuple[str, Decimal]]] = {}
    for line in lines:
        for tax in line.taxes:
            rule_id = tax.rule_id or ""
            if rule_id in capped_rules and tax.treatment is not TaxTreatment.EXEMPT:
                taxes.setdefault(rule_id, []).append((line.id, tax.tax_amount.amount))
    limits: dict[tuple[str, str], Decimal] = {}
    for rule_id in sorted(taxes):
        cap = capped_rules[rule_id].cap_per_invoice
        assert cap is not None, f"{rule_id}: a capped rule has an invoice cap"
        if sum(amount for _, amount in taxes[rule_id]) <= cap:
            continue
        room = cap - sum(amount for _, amount in taxes[rule_id] if amount < 0)
        for line_id, amount in taxes[rule_id]:
            if amount > 0:
                limits[(rule_id, line_id)] = min(amount, room)
                room -= limits[(rule_id, line_id)]
    return limits


_FEES: Final = frozenset({Calculation.FIXED_PER_INVOICE, Calculation.PER_LINE})


def _split_inclusive(
    line: AppliedBillingRate,
    facts: LineFacts,
    context: BillContext,
    state: InvoiceState,
    rules: Sequence[TaxRule],
) -> AppliedBillingRate:
    """A tax-inclusive line split into its net amount and billed taxes adding up to the price.

    The taxable amount is the largest whole number of minor units whose billed taxes still fit in
    the price; what the taxes' rounding leaves over (a minor unit or so) goes to the net amount.
    A fixed or per-line fee the price cannot carry even on the smallest net is carrier-absorbed;
    a price below the other taxes it carries whatever its net (per-minute fees) is refused.
    """
    priced = line.amount.amount
    minor_unit = context.currency.minor_unit
    negative = priced < 0
    most = int(abs(priced).scaleb(context.currency.minor_units))

    def taxable_of(units: int) -> Decimal:
        return minor_unit * (-units if negative else units)

    def taxes_at(units: int, absorbed: frozenset[str]) -> tuple[tuple[TaxRule, AppliedTax], ...]:
        return line_taxes(facts, taxable_of(units), context, state, rules=rules, absorbed=absorbed)

    def fits(units: int, absorbed: frozenset[str]) -> bool:
        billed = _billed([tax for _, tax in taxes_at(units, absorbed)], context.currency)
        return abs(taxable_of(units) + billed) <= abs(priced)

    absorbed: frozenset[str] = frozenset()
    if most > 0 and not fits(1, absorbed):
        absorbed = frozenset(
            rule.id for rule, tax in taxes_at(1, absorbed)
            if rule.calculation in _FEES and tax.is_billed
        )  # fmt: skip
    if not fits(0, absorbed):
        raise TaxError(
            f"line {line.id} ({line.name}): its tax-inclusive price {line.amount} is less than "
            "the taxes it carries whatever its net amount"
        )
    found = taxes_at(_largest(most, lambda units: fits(units, absorbed)), absorbed)
    state.record(found, facts)
    taxes = tuple(tax for _, tax in found)
    net = Money(priced - _billed(taxes, context.currency), context.currency)
    split = replace(line, amount=net, taxes=taxes, tax_inclusive=True)
    assert split.amount + split.tax_amount == line.amount, f"{line.id}: inclusive split"
    return split


_LINE_FIELDS: Final = tuple(found.name for found in fields(AppliedBillingRate) if found.init)


def _with_taxes(line: AppliedBillingRate, taxes: tuple[AppliedTax, ...]) -> AppliedBillingRate:
    """`replace(line, taxes=taxes)`, without `replace`'s inspection of the fields on every call."""
    values = {name: getattr(line, name) for name in _LINE_FIELDS}
    values["taxes"] = taxes
    return AppliedBillingRate(**values)


def _largest(most: int, fits: Callable[[int], bool]) -> int:
    """The largest count of minor units from 0 to `most` that fits (0 fits; fitting is
    monotonic)."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def _check(lines: Sequence[AppliedBillingRate], taxed: Sequence[AppliedBillingRate]) -> None:
    assert [line.id for line in taxed] == [line.id for line in lines], "lines kept in order"
    for before, after in zip(lines, taxed, strict=True):
        assert after.tax_inclusive or after.amount == before.amount, f"{after.id}: amount kept"
        assert all(tax.tax_amount.is_rounded for tax in after.taxes), f"{after.id}: rounded taxes"
