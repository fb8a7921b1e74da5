"""Penalty charges of agreements: commitment shortfalls and early termination.

Commitments count the bill's lines of the agreement's products whose catalog kind is one of the
commitment's `counted_kinds`, at their rounded amounts before discounts (the commitment is to buy
that much at list or negotiated price; discounts are the reward for it).

- MONTHLY: evaluated on every bill of a cycle that starts while the agreement is in force
  (from its start, through its term; for ever when `term_months` is 0), against that bill.
- ANNUAL: evaluated on the bill whose billing period (its current cycle) holds the end of a
  contract year (the agreement's start plus 12, 24, ... months, within the term), against that
  bill plus the earlier bills of the contract year, whose counted total the caller passes in
  `year_to_date` keyed by (agreement id, commitment id).

A shortfall charges `shortfall_percent` % of (minimum − counted), rounded once.

Early termination: a product disconnected, in the bill's closed period, before its agreement's
term ends is charged `percent_of_remaining` % × its monthly recurring charge (every recurring price
of its offering just before the disconnect) × the whole months left in the term.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from tollway.billing._bill import ChargeType
from tollway.billing._charges import BillingError, Charge, percent_of
from tollway.billing._cycle import BillCycle, add_months, whole_months_between
from tollway.billing._prices import (
    AccountContext,
    agreement_of,
    priced,
    prices_of_kind,
    quantity_for,
)
from tollway.catalog import ChargeKind
from tollway.contracts import Agreement, Commitment, CommitmentPeriod
from tollway.inventory import LifecycleAction, Product
from tollway.inventory._timeline import event_instants, segments
from tollway.money import MONEY_CONTEXT, Money
from tollway.pricing import BreakdownLine

MONTHS_PER_YEAR: Final = 12
_JUST_BEFORE: Final = timedelta(microseconds=1)
RECURRING_KINDS: Final = (ChargeKind.RECURRING_ADVANCE, ChargeKind.RECURRING_ARREARS)


def term_end(agreement: Agreement, context: AccountContext) -> datetime | None:
    """When the agreement's minimum term ends (None: no minimum term)."""
    if agreement.term_months == 0:
        return None
    return add_months(agreement.start, agreement.term_months, time_zone=context.cycle.time_zone)


def _in_force(agreement: Agreement, context: AccountContext) -> bool:
    cycle_start = context.cycle.current.start
    ends = term_end(agreement, context)
    return agreement.start <= cycle_start and (ends is None or cycle_start < ends)


def closing_year(agreement: Agreement, context: AccountContext) -> tuple[datetime, datetime] | None:
    """The contract year [start, end) whose end falls in the bill's current cycle, if any."""
    return closing_year_of(agreement, context.cycle)


def closing_year_of(agreement: Agreement, cycle: BillCycle) -> tuple[datetime, datetime] | None:
    """The contract year [start, end) whose end falls in `cycle`'s current period, if any."""
    current = cycle.current
    zone = cycle.time_zone
    months = whole_months_between(start=agreement.start, end=current.end, time_zone=zone)
    years = months // MONTHS_PER_YEAR
    if years == 0:
        return None
    if agreement.term_months and years * MONTHS_PER_YEAR > agreement.term_months:
        return None
    year_end = add_months(agreement.start, years * MONTHS_PER_YEAR, time_zone=zone)
    if not current.start < year_end <= current.end:
        return None
    year_start = add_months(agreement.start, (years - 1) * MONTHS_PER_YEAR, time_zone=zone)
    return year_start, year_end


def _counted(
    charges: Sequence[Charge], agreement: Agreement, commitment: Commitment, context: AccountContext
) -> Decimal:
    products = context.inputs.products
    return sum(
        (
            charge.amount
            for charge in charges
            if charge.product_id is not None
            and charge.kind in commitment.counted_kinds
            and products[charge.product_id].agreement_id == agreement.id
        ),
        Decimal(0),
    )


def _earlier_in_year(
    agreement: Agreement,
    commitment: Commitment,
    year_to_date: Mapping[tuple[str, str], Money],
    context: AccountContext,
) -> Decimal:
    key = (agreement.id, commitment.id)
    earlier = year_to_date.get(key)
    if earlier is None:
        raise BillingError(
            f"agreement {agreement.id!r}: this bill closes a contract year of annual commitment "
            f"{commitment.id!r}; give the counted total of the year's earlier bills in "
            f"year_to_date[{key!r}]"
        )
    if earlier.currency != context.currency:
        raise BillingError(
            f"year_to_date[{key!r}] is in {earlier.currency}, but the agreement's account bills "
            f"in {context.currency}"
        )
    return earlier.amount


def _shortfall_charge(
    agreement: Agreement,
    commitment: Commitment,
    *,
    counted: Decimal,
    coverage: tuple[datetime, datetime],
    context: AccountContext,
) -> Charge | None:
    shortfall = commitment.minimum_amount - counted
    if shortfall <= 0 or commitment.shortfall_percent == 0:
        return None
    precise = percent_of(shortfall, commitment.shortfall_percent)
    how = (
        f"{commitment.shortfall_percent}% of the shortfall {shortfall} "
        f"(counted {counted} of the minimum {commitment.minimum_amount})"
    )
    return Charge(
        billing_account_id=agreement.billing_account_id,
        charge_type=ChargeType.PENALTY,
        name=f"Commitment shortfall: {agreement.name} ({commitment.period} minimum)",
        period_start=coverage[0],
        period_end=coverage[1],
        quantity=Decimal(1),
        precise_amount=precise,
        amount=context.rounded(precise),
        breakdown=(
            BreakdownLine("shortfall", how, shortfall, commitment.shortfall_percent, precise),
        ),
        detail=f"commitment:{agreement.id}:{commitment.id}",
    )


def commitment_charges(
    charges: Sequence[Charge],
    agreements: Sequence[Agreement],
    contexts: Mapping[str, AccountContext],
    year_to_date: Mapping[tuple[str, str], Money],
) -> list[Charge]:
    """Shortfall penalties of the agreements of a bill's accounts."""
    found: list[Charge] = []
    for agreement in agreements:
        context = contexts[agreement.billing_account_id]
        for commitment in agreement.commitments:
            counted = _counted(charges, agreement, commitment, context)
            if commitment.period is CommitmentPeriod.MONTHLY:
                if not _in_force(agreement, context):
                    continue
                current = context.cycle.current
                coverage = (current.start, current.end)
            else:
                year = closing_year(agreement, context)
                if year is None:
                    continue
                counted += _earlier_in_year(agreement, commitment, year_to_date, context)
                coverage = year
            penalty = _shortfall_charge(
                agreement, commitment, counted=counted, coverage=coverage, context=context
            )
            if penalty is not None:
                found.append(penalty)
    return found


def monthly_recurring_charge(product: Product, at: datetime, context: AccountContext) -> Decimal:
    """The product's whole-month recurring charge in the state it was in just before `at`."""
    before = at - _JUST_BEFORE
    history = segments(product, start=min(event.at for event in product.events), end=at)
    if not history:
        return Decimal(0)
    last = history[-1]
    total = Decimal(0)
    for offering_price in prices_of_kind(context.inputs, last.offering_id, before, RECURRING_KINDS):
        quantity = quantity_for(offering_price, last.bandwidth_mbps)
        total += priced(offering_price, product, quantity, context).amount.amount
    return total


def _termination_charge(product: Product, at: datetime, context: AccountContext) -> Charge | None:
    agreement = agreement_of(product, context.inputs)
    if agreement is None or agreement.early_termination is None:
        return None
    ends = term_end(agreement, context)
    if ends is None or at >= ends:
        return None
    months = whole_months_between(start=at, end=ends, time_zone=context.cycle.time_zone)
    percent = agreement.early_termination.percent_of_remaining
    monthly = monthly_recurring_charge(product, at, context)
    precise = percent_of(MONEY_CONTEXT.multiply(monthly, Decimal(months)), percent)
    if precise == 0:
        return None
    how = f"{percent}% of the monthly charge {monthly} for {months} whole months left"
    return Charge(
        billing_account_id=product.billing_account_id,
        charge_type=ChargeType.PENALTY,
        name=f"Early termination: {agreement.name}, term ending {ends.date().isoformat()}",
        period_start=at,
        period_end=ends,
        quantity=Decimal(months),
        precise_amount=precise,
        amount=context.rounded(precise),
        product_id=product.id,
        circuit_id=product.circuit_id,
        unit="month",
        unit_price=percent_of(monthly, percent),
        breakdown=(BreakdownLine("early_termination", how, Decimal(months), monthly, precise),),
        detail=f"early_termination:{agreement.id}",
    )


def early_termination_charges(product: Product, context: AccountContext) -> list[Charge]:
    """The early-termination charge of a disconnect in the closed period, if the term runs on."""
    found: list[Charge] = []
    for disconnected_at in event_instants(product, LifecycleAction.DISCONNECT):
        if context.cycle.closed.contains(disconnected_at):
            charge = _termination_charge(product, disconnected_at, context)
            if charge is not None:
                found.append(charge)
    return found
