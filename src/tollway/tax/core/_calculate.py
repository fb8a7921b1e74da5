"""The taxes of one line: the rules in force for the bill, chosen for the line, computed in
evaluation order, rounded at the tax line, capped, and exempted where a certificate covers them.

Portions: the interstate part of a line is its amount times its interstate share, rounded once
to the currency's minor unit (`PORTION_ROUNDING_MODE`); the intrastate part is the rest, so the
two always add up to the line. Minutes are split the same way, to 10^-9 of a minute.

Rounding: a tax's taxable amount (the line's part, plus the taxes in its base) is rounded to the
currency's minor unit with the rule's mode, and the tax is computed from that printed taxable
amount and rounded again with the same mode, so anyone can recompute it from the invoice. Caps
apply after rounding: the line cap here, the invoice cap as the most each line's tax may be
(`InvoiceState.limits`, set by the engine from the whole bill). A rate, bracket or tier tax of a
negative line is the mirror of the tax of the positive line; fixed and per-line fees only ride on
positive lines.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final

from tollway.accounts import BillingAccount, Party
from tollway.billing import AppliedTax, ChargeType, TaxTreatment
from tollway.money import (
    MONEY_CONTEXT,
    Currency,
    Money,
    RoundingMode,
    plain_decimal,
    round_decimal,
)
from tollway.tax.core._model import (
    PERCENT,
    Calculation,
    ExemptionCertificate,
    Portion,
    SaleType,
    TaxError,
    TaxRule,
    TaxTables,
)
from tollway.tax.core._place import LineFacts

UNITS_DECIMALS: Final = 9
"""Per-minute units (minutes times the taxed share) are kept to 10^-9 of a minute."""
PORTION_ROUNDING_MODE: Final = RoundingMode.HALF_UP
"""How a line's interstate part (amount or minutes) is rounded; the intrastate part is the rest."""
CAPPED_SUFFIX: Final = "_capped"
_ZERO: Final = Decimal(0)
"""Appended to an applied tax's `calculation` when a rate, line or invoice cap bound it."""


@dataclass(frozen=True, slots=True)
class BillContext:
    """The rules and certificates in force for one bill, and what they are checked against."""

    tables: TaxTables
    currency: Currency
    billing_account_id: str
    rules: tuple[TaxRule, ...]
    """In force on the tax point, for the party's customer class and sale type, in order."""
    tax_point: date
    """The bill date, or for adjustments the date of the bill they correct."""
    certificates: Mapping[str, tuple[ExemptionCertificate, ...]]
    """By billing account id (each applies on the days it is valid)."""
    rule_chains: Mapping[str, frozenset[str]]
    """Per rule id: its jurisdiction and every jurisdiction above it."""
    rates: Mapping[str, tuple[Decimal, bool]]
    """Per rule id of a `rate` rule: its rate as a fraction and whether its cap bound it
    (`rate_of`)."""


def rules_in_force(tables: TaxTables, party: Party, tax_point: date) -> tuple[TaxRule, ...]:
    """The rules in force on the tax point for the party's customer class and sale type, in
    evaluation order."""
    sale_type = SaleType.of(party.customer_class)
    return tuple(
        rule
        for rule in tables.rules
        if rule.is_valid_on(tax_point)
        and (not rule.customer_classes or party.customer_class in rule.customer_classes)
        and (not rule.sale_types or sale_type in rule.sale_types)
    )


def rate_of(rule: TaxRule) -> tuple[Decimal, bool]:
    """A `rate` rule's rate as a fraction (0.06 for 6 %), capped by its `rate_cap_percent`, and
    whether the cap bound it."""
    assert rule.rate_percent is not None
    if rule.rate_cap_percent is not None and rule.rate_cap_percent < rule.rate_percent:
        return MONEY_CONTEXT.divide(rule.rate_cap_percent, PERCENT), True
    return MONEY_CONTEXT.divide(rule.rate_percent, PERCENT), False


def bill_context(
    tables: TaxTables,
    certificates: Mapping[str, tuple[ExemptionCertificate, ...]],
    rule_chains: Mapping[str, frozenset[str]],
    rates: Mapping[str, tuple[Decimal, bool]],
    *,
    account: BillingAccount,
    rules: tuple[TaxRule, ...],
    tax_point: date,
) -> BillContext:
    """The bill's view of the tables at a tax point (the bill date, or the date of the bill an
    adjustment corrects), with the `rules_in_force` then for the bill's party."""
    return BillContext(
        tables, account.currency, account.id, rules, tax_point, certificates, rule_chains, rates
    )


@dataclass(slots=True)
class InvoiceState:
    """What earlier lines of the bill used up (fixed fees, per-line fees), and the most a rule's
    tax may be on a line under the rule's invoice cap (`limits`, by rule id and line id)."""

    limits: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    fixed_charged: set[str] = field(default_factory=set)
    lines_charged: set[tuple[str, str]] = field(default_factory=set)

    def record(self, taxes: Sequence[tuple[TaxRule, AppliedTax]], facts: LineFacts) -> None:
        for rule, _ in taxes:
            if rule.calculation is Calculation.FIXED_PER_INVOICE:
                self.fixed_charged.add(rule.id)
            if rule.calculation is Calculation.PER_LINE and facts.product_id is not None:
                self.lines_charged.add((rule.id, facts.product_id))


@dataclass(frozen=True, slots=True)
class _Computed:
    taxable: Decimal
    rate: Decimal
    tax: Decimal
    units: Decimal | None = None
    capped: bool = False


def _round(value: Decimal, rule: TaxRule, currency: Currency) -> Decimal:
    return round_decimal(value, decimals=currency.minor_units, mode=rule.rounding)


def _signed(value: Decimal, negative: bool) -> Decimal:
    return value.copy_negate() if negative else value


def _rate(rule: TaxRule, base: Decimal, context: BillContext) -> _Computed:
    rate, capped = context.rates[rule.id]
    tax = _round(MONEY_CONTEXT.multiply(base, rate), rule, context.currency)
    return _Computed(base, rate, tax, capped=capped)


def _bracket(rule: TaxRule, base: Decimal, currency: Currency) -> _Computed:
    magnitude = abs(base)
    bracket = next(
        found for found in rule.brackets if found.up_to is None or magnitude <= found.up_to
    )
    tax = _round(bracket.amount, rule, currency)
    return _Computed(base, bracket.amount, _signed(tax, base < 0))


def _tiered(rule: TaxRule, base: Decimal, currency: Currency) -> _Computed:
    magnitude, lower, total = abs(base), Decimal(0), Decimal(0)
    marginal = Decimal(0)
    for tier in rule.tiers:
        if magnitude <= lower:
            break
        upper = magnitude if tier.up_to is None else min(magnitude, tier.up_to)
        marginal = MONEY_CONTEXT.divide(tier.rate_percent, PERCENT)
        total += MONEY_CONTEXT.multiply(upper - lower, marginal)
        lower = upper
    tax = _round(total, rule, currency)
    return _Computed(base, marginal, _signed(tax, base < 0))


def _on_amount(rule: TaxRule, base: Decimal, context: BillContext) -> _Computed:
    if rule.calculation is Calculation.RATE:
        return _rate(rule, base, context)
    if rule.calculation is Calculation.BRACKET:
        return _bracket(rule, base, context.currency)
    return _tiered(rule, base, context.currency)


def portion_of(
    value: Decimal, *, interstate_share: Decimal, portion: Portion, decimals: int
) -> Decimal:
    """The part of `value` (an amount, or minutes) a rule of `portion` taxes: the interstate part
    rounded to `decimals` with `PORTION_ROUNDING_MODE`, the intrastate part the rest, or the whole.

    >>> share = Decimal("0.649")
    >>> [portion_of(Decimal("5.00"), interstate_share=share, portion=portion, decimals=2)
    ...  for portion in (Portion.INTERSTATE, Portion.INTRASTATE, Portion.WHOLE)]
    [Decimal('3.25'), Decimal('1.75'), Decimal('5.00')]
    """
    if portion is Portion.WHOLE:
        return value
    interstate = round_decimal(
        MONEY_CONTEXT.multiply(value, interstate_share), decimals=decimals,
        mode=PORTION_ROUNDING_MODE,
    )  # fmt: skip
    return interstate if portion is Portion.INTERSTATE else value - interstate


def _has_share(rule: TaxRule, facts: LineFacts) -> bool:
    if rule.portion is Portion.INTERSTATE:
        return facts.interstate_share != 0
    if rule.portion is Portion.INTRASTATE:
        return facts.interstate_share != 1
    return True


def _per_unit(
    rule: TaxRule, facts: LineFacts, taxable: Decimal, state: InvoiceState, currency: Currency,
    *, positive: bool,
) -> _Computed | None:  # fmt: skip
    """Fixed, per-line and per-minute fees: an amount times a count of units. Fixed and per-line
    fees ride on positive lines only."""
    assert rule.amount is not None
    if rule.calculation is Calculation.PER_MINUTE:
        if not facts.minutes:
            return None
        minutes = portion_of(
            facts.minutes, interstate_share=facts.interstate_share, portion=rule.portion,
            decimals=UNITS_DECIMALS,
        )  # fmt: skip
        units = plain_decimal(round_decimal(minutes, decimals=UNITS_DECIMALS, mode=rule.rounding))
    elif not positive:
        return None
    elif rule.calculation is Calculation.FIXED_PER_INVOICE:
        if rule.id in state.fixed_charged:
            return None
        units = Decimal(1)
    else:
        if facts.product_id is None or facts.voice_channels <= 0:
            return None
        if (rule.id, facts.product_id) in state.lines_charged:
            return None
        units = rule.units_for(facts.voice_line_type, facts.voice_channels)
    tax = _round(MONEY_CONTEXT.multiply(units, rule.amount), rule, currency)
    return _Computed(taxable, rule.amount, tax, units=units)


def _capped(rule: TaxRule, computed: _Computed, facts: LineFacts, state: InvoiceState) -> _Computed:
    tax, capped = computed.tax, computed.capped
    if rule.cap_per_line is not None and abs(tax) > rule.cap_per_line:
        tax, capped = _signed(rule.cap_per_line, tax < 0), True
    limit = state.limits.get((rule.id, facts.line_id))
    if limit is not None and tax > limit:
        tax, capped = limit, True
    if (tax, capped) == (computed.tax, computed.capped):
        return computed
    return _Computed(computed.taxable, computed.rate, tax, computed.units, capped)


def _certificate(
    rule: TaxRule, facts: LineFacts, context: BillContext
) -> ExemptionCertificate | None:
    """The first certificate (by id) valid on the tax point, held by the line's account or one
    above it, that covers the rule's tax type and level in the rule's jurisdiction or one it lies
    in."""
    if not rule.exemptible:
        return None
    chain = context.rule_chains[rule.id]
    for account_id in facts.account_ids:
        for certificate in context.certificates.get(account_id, ()):
            if (
                certificate.is_valid_on(context.tax_point)
                and rule.tax_type in certificate.tax_types
                and rule.level in certificate.levels
                and certificate.issuing_jurisdiction_id in chain
            ):
                return certificate
    return None


def _check_currency(rule: TaxRule, context: BillContext) -> None:
    if rule.currency is not None and rule.currency != context.currency:
        raise TaxError(
            f"rule {rule.id!r} (rules[{rule.row}] of {context.tables.source}) charges amounts in "
            f"{rule.currency}, but billing account {context.billing_account_id!r} bills in "
            f"{context.currency}"
        )


def selected_rules(
    rules: Sequence[TaxRule], *, jurisdiction_ids: frozenset[str], service_type: str,
    charge_type: ChargeType,
) -> tuple[TaxRule, ...]:  # fmt: skip
    """The rules, of those in force (in evaluation order), that select a line of the service and
    charge type located in `jurisdiction_ids`."""
    return tuple(
        rule
        for rule in rules
        if rule.jurisdiction_id in jurisdiction_ids
        and (not rule.service_types or service_type in rule.service_types)
        and (not rule.charge_types or charge_type in rule.charge_types)
    )


def _compute(
    rule: TaxRule, facts: LineFacts, amount: Decimal, levied: Mapping[str, Decimal],
    context: BillContext, state: InvoiceState, parts: dict[Portion, Decimal],
) -> _Computed | None:  # fmt: skip
    if not _has_share(rule, facts):
        return None
    _check_currency(rule, context)
    taxable = parts.get(rule.portion)
    if taxable is None:
        taxable = parts[rule.portion] = portion_of(
            amount, interstate_share=facts.interstate_share, portion=rule.portion,
            decimals=context.currency.minor_units,
        )  # fmt: skip
    if not rule.calculation.is_on_amount:
        return _per_unit(rule, facts, taxable, state, context.currency, positive=amount > 0)
    base = taxable + (
        sum((levied.get(tax_type, _ZERO) for tax_type in rule.base_taxes), _ZERO)
        if rule.base_taxes
        else _ZERO  # what the sum of no taxes is: the same addition, without the generator
    )
    if base == 0:
        return None
    return _on_amount(rule, base, context)


def _treatment(
    rule: TaxRule, certificate: ExemptionCertificate | None, absorbed: frozenset[str]
) -> TaxTreatment:
    if certificate is not None:
        return TaxTreatment.EXEMPT
    return TaxTreatment.CARRIER_ABSORBED if rule.id in absorbed else rule.treatment


def _applied(
    rule: TaxRule, computed: _Computed, certificate: ExemptionCertificate | None,
    currency: Currency, treatment: TaxTreatment,
) -> AppliedTax:  # fmt: skip
    return AppliedTax(
        tax_category=rule.tax_type,
        jurisdiction_id=rule.jurisdiction_id,
        tax_rate=computed.rate,
        taxable_amount=Money(computed.taxable, currency),
        tax_amount=Money(computed.tax, currency),
        jurisdiction_level=rule.level.value,
        name=rule.name,
        rule_id=rule.id,
        treatment=treatment,
        calculation=rule.calculation.value + (CAPPED_SUFFIX if computed.capped else ""),
        units=computed.units,
        exemption_certificate_id=None if certificate is None else certificate.id,
    )


def line_taxes(
    facts: LineFacts,
    amount: Decimal,
    context: BillContext,
    state: InvoiceState,
    *,
    rules: Sequence[TaxRule],
    absorbed: frozenset[str] = frozenset(),
) -> tuple[tuple[TaxRule, AppliedTax], ...]:
    """The taxes of a line of `amount` (its taxable, tax-excluded amount), in evaluation order,
    given what the bill's earlier lines used up (`state`, read only: `InvoiceState.record`).
    `rules` are the context's rules that select the line (`selected_rules`, in evaluation order).
    The rules in `absorbed` (fees a tax-inclusive price cannot carry) are carrier-absorbed."""
    levied: dict[str, Decimal] = {}
    found: list[tuple[TaxRule, AppliedTax]] = []
    parts: dict[Portion, Decimal] = {}
    for rule in rules:
        computed = _compute(rule, facts, amount, levied, context, state, parts)
        if computed is None:
            continue
        computed = _capped(rule, computed, facts, state)
        certificate = _certificate(rule, facts, context)
        if certificate is None:
            levied[rule.tax_type] = levied.get(rule.tax_type, Decimal(0)) + computed.tax
        treatment = _treatment(rule, certificate, absorbed)
        found.append((rule, _applied(rule, computed, certificate, context.currency, treatment)))
    return tuple(found)
