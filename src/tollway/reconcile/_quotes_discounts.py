"""The discount a quote gives an instance's first invoice, worked out as billing works out its own.

Billing (billing/_discounts.py) discounts a product's recurring lines in two groups, its
tax-exclusive prices and its tax-inclusive ones (taken with their tax in them), each on its own:
the bundle discount first, a percentage of the group's lines in the bundle, rounded once; then the
agreement's percentage of what is left, rounded once. A quoted percentage is worked out the same
way: per group (and percentage), of the quoted prices' billed lines less the bundle discount
billing takes of them, rounded once. A quoted amount a month is prorated over each line's coverage
as the bill run prorates it and rounded once per price.

A quoted discount that runs for a number of months (`QuotedDiscount.periods`) covers only the
coverage before its end: the months are counted from the instance's price start the way billing
counts a contract's months (`add_months` in the account's time zone, as a term's end), and a line
that runs past the end counts for its share before the end, prorated as the bill run prorates it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tollway.billing import AppliedBillingRate
from tollway.billing._cycle import add_months
from tollway.catalog import Bundle
from tollway.money import MONEY_CONTEXT
from tollway.reconcile._quotes_contract import Instance, ResolvedPrice
from tollway.reconcile._quotes_model import PERCENT, QuotedDiscount
from tollway.reconcile._quotes_rows import money_text, number_text
from tollway.reconcile._quotes_world import BillingView


def _priced_amount(line: AppliedBillingRate) -> Decimal:
    """A line's amount as billing priced it, which is what billing discounts and what its
    discount lines take off: with its taxes when its price included them (the tax step left only
    the part before tax in its amount), else its amount."""
    return line.amount.amount + (line.tax_amount.amount if line.tax_inclusive else 0)


@dataclass(frozen=True, slots=True)
class DiscountTerms:
    """The terms a product's discount is compared in, those of its discount lines: a recurring
    line of a tax-inclusive price with its taxes (as billing discounts it), unless the product's
    discount lines are all presented before tax (none is a discount of tax-inclusive prices);
    any other line before tax."""

    with_tax: bool

    def billed(self, line: AppliedBillingRate) -> Decimal:
        """What a billed line counts for in these terms (a recurring or a discount line)."""
        return _priced_amount(line) if self.with_tax else line.amount.amount

    def from_quote(self, share: Decimal, line: AppliedBillingRate, *, inclusive: bool) -> Decimal:
        """`share` of a quoted amount in the quote's tax treatment (tax included when
        `inclusive`) for `line`'s coverage, in these terms: the same money, converted with the
        line's own split between its amount and its taxes (so a tax difference, the tax check's,
        is not counted again here)."""
        quoted_terms = line.amount.amount + (line.tax_amount.amount if inclusive else 0)
        these_terms = self.billed(line)
        if quoted_terms in (these_terms, 0):
            return share
        return MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(share, these_terms), quoted_terms)


@dataclass(frozen=True, slots=True)
class _Covered:
    """The part of a billed recurring line a quoted discount covers: [start, end) of its
    coverage (end before the line's own end when the discount ends inside it)."""

    line: AppliedBillingRate
    end: datetime

    @property
    def whole(self) -> bool:
        return self.end >= self.line.period_end


def discount_end(
    view: BillingView, instance: Instance, discount: QuotedDiscount
) -> datetime | None:
    """When a quoted discount ends: `periods` months after the instance's price start, counted as
    billing counts a contract's months; None when it runs as long as the price applies."""
    if discount.periods is None:
        return None
    zone = view.inputs.accounts[instance.product.billing_account_id].time_zone
    return add_months(instance.price_instant, discount.periods, time_zone=zone)


def _covered(lines: Sequence[AppliedBillingRate], end: datetime | None) -> list[_Covered]:
    """The lines' parts before `end` (all of each when None); a line from `end` on, none."""
    if end is None:
        return [_Covered(line, line.period_end) for line in lines]
    return [_Covered(line, min(line.period_end, end)) for line in lines if line.period_start < end]


def _covered_amount(
    view: BillingView, part: _Covered, terms: DiscountTerms, account_id: str
) -> Decimal:
    """What the covered part of a line counts for in `terms`: the line's amount, or, for a part,
    that amount's share of the part as the bill run prorates it, rounded as a line."""
    billed = terms.billed(part.line)
    if part.whole or billed == 0:
        return billed
    line = part.line
    of_part = view.prorated(
        Decimal(1), start=line.period_start, end=part.end, account_id=account_id
    )
    of_line = view.prorated(
        Decimal(1), start=line.period_start, end=line.period_end, account_id=account_id
    )
    if of_part is None or of_line is None or of_line == 0:
        # Not inside one billing period: the line is a whole month, and so is its part.
        return billed
    share = MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(billed, of_part), of_line)
    return view.rounded(share, account_id)


def _percent_of(percent: Decimal, base: Decimal) -> Decimal:
    return MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(base, percent), PERCENT)


@dataclass(slots=True)
class _PercentGroup:
    """The billed lines one quoted percentage covers within one of billing's discount groups."""

    percent: Decimal
    amount: Decimal = Decimal(0)
    in_bundle: Decimal = Decimal(0)
    """Of `amount`, the lines of offerings in the product's bundle."""


def _bundle_of(view: BillingView, instance: Instance) -> Bundle | None:
    bundle_id = instance.product.bundle_id
    bundle = None if bundle_id is None else view.inputs.catalog.bundles.get(bundle_id)
    return bundle if bundle is not None and bundle.discount_percent > 0 else None


def _percent_groups(
    view: BillingView,
    instance: Instance,
    resolved: Sequence[ResolvedPrice],
    billed_by_price: dict[str, list[AppliedBillingRate]],
    terms: DiscountTerms,
) -> list[_PercentGroup]:
    """The quoted percentages' billed lines, grouped as billing groups them (tax-exclusive
    prices, then tax-inclusive ones) and by percentage, in a stable order."""
    account_id = instance.product.billing_account_id
    bundle = _bundle_of(view, instance)
    groups: dict[tuple[bool, Decimal], _PercentGroup] = {}
    for price in resolved:
        discount = price.quoted.discount
        if discount is None or discount.percent is None or price.offering_price is None:
            continue
        lines = billed_by_price.get(price.offering_price.id, [])
        eligible = bundle is not None and price.offering_price.offering_id in bundle.offering_ids
        for part in _covered(lines, discount_end(view, instance, discount)):
            key = (part.line.tax_inclusive, discount.percent)
            group = groups.setdefault(key, _PercentGroup(discount.percent))
            amount = _covered_amount(view, part, terms, account_id)
            group.amount += amount
            group.in_bundle += amount if eligible else 0
    return [groups[key] for key in sorted(groups)]


def _percent_discount(
    view: BillingView, instance: Instance, group: _PercentGroup
) -> tuple[Decimal, str]:
    """A group's quoted percentage as billing takes its agreement's: of what the bundle discount
    (rounded once) leaves, rounded once. Positive, and how it was worked out."""
    account_id, code = instance.product.billing_account_id, instance.code
    bundle = _bundle_of(view, instance)
    left, after = group.amount, ""
    if bundle is not None and group.in_bundle != 0:
        taken = view.rounded(_percent_of(bundle.discount_percent, group.in_bundle), account_id)
        left -= taken
        after = (
            f" ({money_text(group.amount, code)} less bundle {bundle.id}'s "
            f"{number_text(bundle.discount_percent)} %: {money_text(taken, code)})"
        )
    expected = view.rounded(_percent_of(group.percent, left), account_id)
    return expected, f"{number_text(group.percent)} % of {money_text(left, code)}{after}"


def _amount_discount(
    view: BillingView,
    instance: Instance,
    price: ResolvedPrice,
    lines: Sequence[AppliedBillingRate],
    terms: DiscountTerms,
) -> Decimal:
    """A quoted amount a month prorated over each covered part of the lines as the bill run
    prorates it (nothing for a part that comes to nothing), rounded once. Positive."""
    discount = price.quoted.discount
    assert discount is not None and discount.amount is not None
    account_id = instance.product.billing_account_id
    shares = []
    for part in _covered(lines, discount_end(view, instance, discount)):
        line = part.line
        share = view.prorated(
            discount.amount, start=line.period_start, end=part.end, account_id=account_id
        )
        # None: the coverage is not inside one billing period (a whole month); a share that
        # comes to zero is zero.
        whole_or_share = discount.amount if share is None else share
        shares.append(terms.from_quote(whole_or_share, line, inclusive=price.quoted.tax_inclusive))
    return view.rounded(sum(shares, Decimal(0)), account_id)


def quoted_discount(
    view: BillingView,
    instance: Instance,
    resolved: Sequence[ResolvedPrice],
    billed_by_price: dict[str, list[AppliedBillingRate]],
    terms: DiscountTerms,
) -> tuple[Decimal, list[str]]:
    """The discount the quote gives the billed recurring lines (negative), in `terms`, and how it
    was worked out (see the module docstring)."""
    code = instance.code
    expected, said = Decimal(0), []
    for group in _percent_groups(view, instance, resolved, billed_by_price, terms):
        amount, how = _percent_discount(view, instance, group)
        expected -= amount
        said.append(how)
    for price in resolved:
        discount = price.quoted.discount
        if discount is None or discount.amount is None or price.offering_price is None:
            continue
        lines = billed_by_price.get(price.offering_price.id, [])
        expected -= _amount_discount(view, instance, price, lines, terms)
        said.append(f"{money_text(discount.amount, code)} a month over the billed coverage")
    said.extend(_ends_text(view, instance, resolved, billed_by_price))
    return expected, said


def _ends_text(
    view: BillingView,
    instance: Instance,
    resolved: Sequence[ResolvedPrice],
    billed_by_price: dict[str, list[AppliedBillingRate]],
) -> list[str]:
    """Where a quoted discount ends inside the billed coverage (said only where it changes a
    number)."""
    found = []
    for price in resolved:
        discount = price.quoted.discount
        if discount is None or price.offering_price is None:
            continue
        ends = discount_end(view, instance, discount)
        lines = billed_by_price.get(price.offering_price.id, [])
        if ends is not None and any(line.period_end > ends for line in lines):
            months = "1 month" if discount.periods == 1 else f"{discount.periods} months"
            # `ends` is in the account's time zone (add_months): its date is the local one.
            found.append(f"{price.offering_price.id}'s for {months}, to {ends.date()}")
    return found
