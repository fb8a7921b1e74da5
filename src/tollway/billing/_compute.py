"""`compute_bills`: the pure computation of a bill run, from one snapshot to draft bills.

One draft bill per paying account with a bill-cycle date in the run's window, carrying its own
lines and those of the non-paying accounts that roll up onto it. The same inputs always give the
same bills: everything is iterated in sorted order and ids are derived from keys.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from tollway.accounts import BillingAccount, paying_account_of
from tollway.billing._bill import AppliedBillingRate, ChargeType, CustomerBill
from tollway.billing._charges import BillingError, Charge, to_line
from tollway.billing._credits import manual_credit_charges
from tollway.billing._cycle import BillCycle, bill_cycle_for
from tollway.billing._discounts import discount_charges
from tollway.billing._inputs import BillingInputs
from tollway.billing._penalties import commitment_charges, early_termination_charges
from tollway.billing._prices import AccountContext, offering_price_index
from tollway.billing._recurring import (
    advance_charges,
    arrears_charges,
    one_time_charges,
    settlement_charges,
)
from tollway.billing._tax import ZERO_TAX, TaxCalculator
from tollway.billing._usage import parse_usage_charge_key, usage_charges
from tollway.catalog import ProductOfferingPrice
from tollway.inventory import Product
from tollway.money import Money
from tollway.rating.reference import RatedCharge

_NO_TOTALS: Final[Mapping[tuple[str, str], Money]] = MappingProxyType({})


def _hierarchy_groups(inputs: BillingInputs) -> dict[str, list[str]]:
    """Each paying account's id with the ids of the accounts its bill carries (itself first)."""
    groups: dict[str, list[str]] = {}
    for account_id in sorted(inputs.accounts):
        payer = paying_account_of(account_id, inputs.accounts)
        groups.setdefault(payer.id, []).append(account_id)
    return {
        payer_id: sorted(members, key=lambda member: (member != payer_id, member))
        for payer_id, members in groups.items()
    }


def _products_by_account(inputs: BillingInputs) -> dict[str, list[Product]]:
    found: dict[str, list[Product]] = {}
    for product_id in sorted(inputs.products):
        product = inputs.products[product_id]
        if product.billing_account_id not in inputs.accounts:
            raise BillingError(
                f"product {product.id!r} (circuit {product.circuit_id}) names unknown billing "
                f"account {product.billing_account_id!r}"
            )
        found.setdefault(product.billing_account_id, []).append(product)
    return found


def _usage_by_account(
    rated_usage: Sequence[RatedCharge], inputs: BillingInputs
) -> dict[str, list[RatedCharge]]:
    found: dict[str, list[RatedCharge]] = {}
    for charge in sorted(rated_usage, key=lambda charge: (charge.charge_key, charge.price_id)):
        account_id = parse_usage_charge_key(charge.charge_key).billing_account_id
        if account_id not in inputs.accounts:
            raise BillingError(
                f"rated charge {charge.charge_key!r} names unknown billing account {account_id!r}"
            )
        found.setdefault(account_id, []).append(charge)
    return found


def _adjustments_by_account(
    adjustments: Sequence[AppliedBillingRate], inputs: BillingInputs
) -> dict[str, list[AppliedBillingRate]]:
    found: dict[str, list[AppliedBillingRate]] = {}
    for line in adjustments:
        if line.charge_type is not ChargeType.ADJUSTMENT or line.related_bill_no is None:
            raise BillingError(
                f"line {line.id} is a {line.charge_type.value} line"
                + ("" if line.related_bill_no is None else f" for {line.related_bill_no}")
                + "; only adjustment lines naming the bill they correct are carried as adjustments"
            )
        if line.billing_account_id not in inputs.accounts:
            raise BillingError(
                f"adjustment {line.id} of bill {line.related_bill_no} names unknown billing "
                f"account {line.billing_account_id!r}"
            )
        found.setdefault(line.billing_account_id, []).append(line)
    return found


def _adjustment_charge(line: AppliedBillingRate, payer: BillingAccount) -> Charge:
    """An adjustment line carried onto this bill: it keeps the coverage, amounts and breakdown it
    was computed with, and gets this bill's line id (its key names the bill it corrects)."""
    if line.amount.currency != payer.currency:
        raise BillingError(
            f"adjustment {line.id} of bill {line.related_bill_no} is in "
            f"{line.amount.currency}, but billing account {payer.id!r} bills in {payer.currency}"
        )
    return Charge(
        billing_account_id=line.billing_account_id,
        charge_type=ChargeType.ADJUSTMENT,
        name=line.name,
        period_start=line.period_start,
        period_end=line.period_end,
        quantity=line.quantity,
        precise_amount=line.precise_amount,
        amount=line.amount.amount,
        product_id=line.product_id,
        circuit_id=line.circuit_id,
        price_id=line.price_id,
        unit=line.unit,
        unit_price=line.unit_price,
        breakdown=line.breakdown,
        detail=line.related_bill_no or "",
        related_bill_no=line.related_bill_no,
    )


def _account_charges(
    account_id: str,
    products: Sequence[Product],
    usage: Sequence[RatedCharge],
    previously_billed: Sequence[AppliedBillingRate],
    context: AccountContext,
) -> list[Charge]:
    """Every charge of one account on its bill, before discounts and commitments."""
    charges: list[Charge] = []
    for product in products:
        charges.extend(advance_charges(product, context))
        charges.extend(settlement_charges(product, previously_billed, context))
        charges.extend(arrears_charges(product, context))
        charges.extend(one_time_charges(product, context))
        charges.extend(early_termination_charges(product, context))
    charges.extend(usage_charges(usage, context))
    charges.extend(manual_credit_charges(context.inputs.credits, context))
    assert all(charge.billing_account_id == account_id for charge in charges)
    return charges


def _lines(
    charges: Sequence[Charge], bill_id: str, payer: BillingAccount
) -> tuple[AppliedBillingRate, ...]:
    """The bill's lines in key order, each with its derived id; two lines with one key are an
    input error (a rated charge given twice)."""
    # Each charge's identity is built once: it is the sort key's tail, the duplicate check and
    # the line id's input.
    identities = [charge.identity() for charge in charges]
    order = sorted(
        range(len(charges)), key=lambda index: charges[index].sort_key(identities[index])
    )
    seen: set[str] = set()
    for index in order:
        identity = identities[index]
        if identity in seen:
            raise BillingError(f"bill {bill_id}: two charges with the same key {identity!r}")
        seen.add(identity)
    lines = tuple(
        to_line(
            charges[index], bill_id=bill_id, currency=payer.currency, identity=identities[index]
        )
        for index in order
    )
    assert len({line.id for line in lines}) == len(lines), f"bill {bill_id}: line id collision"
    return lines


def _draft_bill_id(payer: BillingAccount, cycle: BillCycle) -> str:
    return f"draft:{payer.id}:{cycle.cycle_date.date().isoformat()}"


def _assemble(
    payer: BillingAccount,
    members: Sequence[str],
    cycle: BillCycle,
    charges: Sequence[Charge],
    *,
    bill_date: date | None,
    run_id: str,
    tax: TaxCalculator,
    inputs: BillingInputs,
) -> CustomerBill:
    bill_id = _draft_bill_id(payer, cycle)
    lines = _lines(charges, bill_id, payer)
    party = inputs.parties.get(payer.party_id)
    if party is None:
        raise BillingError(f"billing account {payer.id!r} names unknown party {payer.party_id!r}")
    # Without an explicit date a bill is dated its account's own cycle date, in its time zone.
    dated = bill_date if bill_date is not None else cycle.cycle_date.date()
    taxed, tax_items = tax.apply(lines, account=payer, party=party, inputs=inputs, bill_date=dated)
    _check_tax_step(lines, taxed)
    bill = CustomerBill(
        id=bill_id,
        billing_account_id=payer.id,
        currency=payer.currency,
        billing_period_start=cycle.current.start,
        billing_period_end=cycle.current.end,
        bill_date=dated,
        lines=taxed,
        tax_items=tax_items,
        consolidated_account_ids=tuple(member for member in members if member != payer.id),
        run_id=run_id,
        extra={
            "closed_period_start": cycle.closed.start.isoformat(),
            "closed_period_end": cycle.closed.end.isoformat(),
        },
    )
    expected = sum((charge.amount for charge in charges), Decimal(0))
    priced = sum((line.amount.amount for line in lines), Decimal(0))
    assert priced == expected, f"{bill_id}: total differs from its lines"
    return bill


def _check_tax_step(
    lines: Sequence[AppliedBillingRate], taxed: Sequence[AppliedBillingRate]
) -> None:
    """The tax step keeps every line and its priced amount: a tax-exclusive line's amount is
    unchanged; a tax-inclusive line's amount plus its billed taxes equals the priced amount."""
    assert [line.id for line in taxed] == [line.id for line in lines], (
        "the tax step added, dropped or reordered lines"
    )
    for before, after in zip(lines, taxed, strict=True):
        if after.tax_inclusive:
            assert after.amount + after.tax_amount == before.amount, (
                f"{after.id}: a tax-inclusive line's amount and taxes differ from its price"
            )
        else:
            assert after.amount == before.amount, (
                f"{after.id}: the tax step changed a tax-excluded amount"
            )


def _charges_for(
    payer: BillingAccount,
    members: Sequence[str],
    cycle: BillCycle,
    *,
    products: Mapping[str, Sequence[Product]],
    usage: Mapping[str, Sequence[RatedCharge]],
    adjustments: Mapping[str, Sequence[AppliedBillingRate]],
    previously_billed: Sequence[AppliedBillingRate],
    year_to_date: Mapping[tuple[str, str], Money],
    price_index: Mapping[str, ProductOfferingPrice],
    inputs: BillingInputs,
) -> list[Charge]:
    contexts = {
        member: AccountContext.of(inputs, inputs.accounts[member], cycle, price_index)
        for member in members
    }
    charges: list[Charge] = []
    for member in members:
        charges.extend(
            _account_charges(
                member,
                products.get(member, ()),
                usage.get(member, ()),
                previously_billed,
                contexts[member],
            )
        )
    charges.extend(discount_charges(charges, contexts))
    agreements = [
        inputs.agreements[agreement_id]
        for agreement_id in sorted(inputs.agreements)
        if inputs.agreements[agreement_id].billing_account_id in contexts
    ]
    charges.extend(commitment_charges(charges, agreements, contexts, year_to_date))
    # After discounts and commitments: a correction of an earlier bill counts towards neither.
    charges.extend(
        _adjustment_charge(line, payer)
        for member in members
        for line in adjustments.get(member, ())
    )
    return charges


def compute_bills(
    inputs: BillingInputs,
    *,
    period_start: datetime,
    period_end: datetime,
    bill_date: date | None = None,
    rated_usage: Sequence[RatedCharge],
    previously_billed: Sequence[AppliedBillingRate] = (),
    tax: TaxCalculator = ZERO_TAX,
    run_id: str,
    year_to_date: Mapping[tuple[str, str], Money] = _NO_TOTALS,
    adjustments: Sequence[AppliedBillingRate] = (),
) -> tuple[CustomerBill, ...]:
    """Draft bills of every paying account with a bill-cycle date in [period_start, period_end).

    Each bill covers its account's current period in advance and its closed period in arrears
    (see `bill_cycle_for`). `rated_usage` holds the rated charges to bill, keyed by
    `usage_charge_key`; each must belong to an account billed by this run and to a closed period.
    `previously_billed` holds the lines already billed in advance for the closed periods (the
    previous bills' lines may be passed whole: other lines are ignored); what changed since is
    settled. `year_to_date` gives, per (agreement id, commitment id), the counted total of the
    earlier bills of a contract year an annual commitment closes on this bill. `bill_date`, when
    given, dates every bill; by default each bill is dated its account's cycle date (local).
    `adjustments` are ADJUSTMENT lines correcting earlier, issued bills (`rerate_adjustments`):
    each goes on the bill of its account's paying account, which must be billed by this run; it
    counts towards neither discounts nor commitments.

    >>> from datetime import UTC
    >>> from tollway.billing._examples import tiny_inputs
    >>> bills = compute_bills(tiny_inputs(), period_start=datetime(2026, 4, 1, tzinfo=UTC),
    ...     period_end=datetime(2026, 4, 2, tzinfo=UTC), bill_date=date(2026, 4, 1),
    ...     rated_usage=(), run_id="run-1")
    >>> # March 16-31 was never billed in advance: 16/31 x 100.00 = 51.61; April in advance.
    >>> [(f"{line.period_start:%b %d}-{line.period_end:%b %d}", str(line.amount))
    ...  for line in bills[0].lines]
    [('Mar 16-Apr 01', '51.61 USD'), ('Apr 01-May 01', '100.00 USD')]
    """
    price_index = offering_price_index(inputs)
    products = _products_by_account(inputs)
    usage = _usage_by_account(rated_usage, inputs)
    adjusted = _adjustments_by_account(adjustments, inputs)
    bills: list[CustomerBill] = []
    billed: set[str] = set()
    for payer_id, members in sorted(_hierarchy_groups(inputs).items()):
        payer = inputs.accounts[payer_id]
        cycle = bill_cycle_for(payer, window_start=period_start, window_end=period_end)
        if cycle is None:
            continue
        billed.update(members)
        charges = _charges_for(
            payer,
            members,
            cycle,
            products=products,
            usage=usage,
            adjustments=adjusted,
            previously_billed=previously_billed,
            year_to_date=year_to_date,
            price_index=price_index,
            inputs=inputs,
        )
        bills.append(
            _assemble(
                payer,
                members,
                cycle,
                charges,
                bill_date=bill_date,
                run_id=run_id,
                tax=tax,
                inputs=inputs,
            )
        )
    _check_usage_billed(usage, billed)
    _check_adjustments_billed(adjusted, billed)
    return tuple(bills)


def usage_lines(
    inputs: BillingInputs,
    *,
    period_start: datetime,
    period_end: datetime,
    rated_usage: Sequence[RatedCharge],
) -> dict[str, tuple[AppliedBillingRate, ...]]:
    """The usage lines the bills of [period_start, period_end) carry for `rated_usage`, by paying
    account: the very usage lines `compute_bills` gives those bills, and nothing else. Re-rating
    an issued bill compares them with the usage lines it carried.

    >>> from datetime import UTC
    >>> from tollway.billing._examples import tiny_inputs
    >>> from tollway.billing._usage import usage_charge_key
    >>> from tollway.money import currency
    >>> from tollway.pricing import PerUnit, PriceDefinition, UsageEvent
    >>> from tollway.rating.reference import RatableRecord, rate_records
    >>> gb = PriceDefinition("gb", currency("USD"), PerUnit.of("0.10"))
    >>> key = usage_charge_key(billing_account_id="ACME", product_id="P1", usage_type="data",
    ...                        period_start=datetime(2026, 3, 1, tzinfo=UTC))
    >>> rated = rate_records([RatableRecord(key, "gb", UsageEvent.of("12.5"))], {"gb": gb})
    >>> lines = usage_lines(tiny_inputs(), period_start=datetime(2026, 4, 1, tzinfo=UTC),
    ...     period_end=datetime(2026, 4, 2, tzinfo=UTC), rated_usage=rated.charges)
    >>> # 12.5 GB x 0.10 = 1.25, for March; the port's recurring lines are not usage lines.
    >>> [(line.name, str(line.quantity), str(line.amount), f"{line.period_start:%b %d}")
    ...  for line in lines["ACME"]]
    [('data', '12.5', '1.25 USD', 'Mar 01')]
    """
    price_index = offering_price_index(inputs)
    usage = _usage_by_account(rated_usage, inputs)
    found: dict[str, tuple[AppliedBillingRate, ...]] = {}
    billed: set[str] = set()
    for payer_id, members in sorted(_hierarchy_groups(inputs).items()):
        payer = inputs.accounts[payer_id]
        cycle = bill_cycle_for(payer, window_start=period_start, window_end=period_end)
        if cycle is None:
            continue
        billed.update(members)
        charges = [
            charge
            for member in members
            for charge in usage_charges(
                usage.get(member, ()),
                AccountContext.of(inputs, inputs.accounts[member], cycle, price_index),
            )
        ]
        found[payer_id] = _lines(charges, _draft_bill_id(payer, cycle), payer)
    _check_usage_billed(usage, billed)
    return found


def _check_usage_billed(usage: Mapping[str, Sequence[RatedCharge]], billed: set[str]) -> None:
    for account_id in sorted(usage):
        if account_id not in billed:
            key = usage[account_id][0].charge_key
            raise BillingError(
                f"rated charge {key!r}: billing account {account_id!r} has no bill-cycle date in "
                "this run's window; pass only the rated usage of the accounts the run bills"
            )


def _check_adjustments_billed(
    adjustments: Mapping[str, Sequence[AppliedBillingRate]], billed: set[str]
) -> None:
    for account_id in sorted(adjustments):
        if account_id not in billed:
            line = adjustments[account_id][0]
            raise BillingError(
                f"adjustment {line.id} of bill {line.related_bill_no}: billing account "
                f"{account_id!r} has no bill-cycle date in this run's window; pass only the "
                "adjustments of the accounts the run bills"
            )
