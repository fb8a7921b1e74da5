"""The year-to-date totals annual commitments are evaluated against, from issued bills' lines.

An annual commitment is evaluated on the bill that closes a contract year, against that bill plus
the earlier bills of the year (`_penalties`). The earlier bills are stored ones, so the bill run
reads them; what is pure is which contract years a run closes (`annual_closings`) and what of the
earlier bills' lines counts (`year_to_date_total`): the lines of the agreement's products whose
catalog kind the commitment counts, at their rounded amounts, as on the bill itself. Discounts,
penalties, manual credits and adjustments carry no catalog kind and never count.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tollway.accounts import paying_account_of
from tollway.billing._bill import AppliedBillingRate, ChargeType
from tollway.billing._cycle import bill_cycle_for
from tollway.billing._inputs import BillingInputs
from tollway.billing._penalties import closing_year_of
from tollway.billing._prices import offering_price_index
from tollway.catalog import ChargeKind, ProductOfferingPrice
from tollway.contracts import CommitmentPeriod
from tollway.money import Currency, Money

_KIND_OF_TYPE = {ChargeType.USAGE: ChargeKind.USAGE, ChargeType.ONE_TIME: ChargeKind.ONE_TIME}


@dataclass(frozen=True, slots=True)
class AnnualClosing:
    """An annual commitment whose contract year [year_start, year_end) a run's bill closes; the
    bill's own cycle date is `bill_cycle_date`, so the year's earlier bills are those billed on a
    cycle date in [year_start, bill_cycle_date)."""

    agreement_id: str
    commitment_id: str
    product_ids: frozenset[str]
    counted_kinds: frozenset[ChargeKind]
    currency: Currency
    year_start: datetime
    year_end: datetime
    bill_cycle_date: datetime

    @property
    def key(self) -> tuple[str, str]:
        """The `year_to_date` key of `compute_bills`: (agreement id, commitment id)."""
        return (self.agreement_id, self.commitment_id)


def annual_closings(
    inputs: BillingInputs, *, period_start: datetime, period_end: datetime
) -> tuple[AnnualClosing, ...]:
    """The annual commitments whose contract year a bill of the run over [period_start,
    period_end) closes, by agreement and commitment id.

    >>> from datetime import UTC
    >>> from tollway.billing._examples import tiny_inputs
    >>> annual_closings(tiny_inputs(), period_start=datetime(2026, 4, 1, tzinfo=UTC),
    ...                 period_end=datetime(2026, 4, 2, tzinfo=UTC))
    ()
    """
    found: list[AnnualClosing] = []
    for agreement_id in sorted(inputs.agreements):
        agreement = inputs.agreements[agreement_id]
        if agreement.billing_account_id not in inputs.accounts:
            continue  # compute_bills reports an agreement of an account outside the world
        payer = paying_account_of(agreement.billing_account_id, inputs.accounts)
        cycle = bill_cycle_for(payer, window_start=period_start, window_end=period_end)
        year = None if cycle is None else closing_year_of(agreement, cycle)
        if cycle is None or year is None:
            continue
        products = frozenset(
            product_id
            for product_id, product in inputs.products.items()
            if product.agreement_id == agreement.id
        )
        found.extend(
            AnnualClosing(
                agreement_id=agreement.id,
                commitment_id=commitment.id,
                product_ids=products,
                counted_kinds=frozenset(commitment.counted_kinds),
                currency=payer.currency,
                year_start=year[0],
                year_end=year[1],
                bill_cycle_date=cycle.cycle_date,
            )
            for commitment in agreement.commitments
            if commitment.period is CommitmentPeriod.ANNUAL
        )
    return tuple(found)


def _kind_of(
    line: AppliedBillingRate, price_index: Mapping[str, ProductOfferingPrice]
) -> ChargeKind | None:
    """The catalog kind a line was charged as (None: a line commitments never count)."""
    if line.product_id is None:
        return None
    if line.charge_type is ChargeType.CREDIT:
        return ChargeKind.RECURRING_ADVANCE  # unused time given back on a settled advance charge
    if line.charge_type is ChargeType.RECURRING:
        offering_price = price_index.get(line.price_id or "")
        return ChargeKind.RECURRING_ADVANCE if offering_price is None else offering_price.kind
    return _KIND_OF_TYPE.get(line.charge_type)


def year_to_date_total(
    closing: AnnualClosing, earlier_lines: Iterable[AppliedBillingRate], inputs: BillingInputs
) -> Money:
    """What the year's earlier bills count towards the commitment: `earlier_lines` are the lines
    of the issued normal bills billed on a cycle date in [year_start, bill_cycle_date).

    >>> from datetime import UTC
    >>> from tollway.billing._examples import tiny_inputs
    >>> from tollway.money import currency
    >>> march = datetime(2026, 3, 1, tzinfo=UTC)
    >>> closing = AnnualClosing("AG1", "Y1", frozenset({"P1"}), frozenset({ChargeKind.USAGE}),
    ...     currency("USD"), march, march, march)
    >>> line = AppliedBillingRate("L1", "ACME", ChargeType.USAGE, "data", march, march,
    ...     Decimal("12.5"), Money.of("1.25", "USD"), Decimal("1.25"), product_id="P1")
    >>> # Two months' 1.25 of data: 2.50 counted.
    >>> str(year_to_date_total(closing, [line, line], tiny_inputs()))
    '2.50 USD'
    """
    price_index = offering_price_index(inputs)
    total = Decimal(0)
    for line in earlier_lines:
        if line.product_id not in closing.product_ids:
            continue
        if _kind_of(line, price_index) not in closing.counted_kinds:
            continue
        assert line.amount.currency == closing.currency, f"{line.id}: another currency"
        total += line.amount.amount
    return Money(total, closing.currency)


def year_to_date_totals(
    closings: Sequence[AnnualClosing],
    earlier_lines: Mapping[tuple[str, str], Sequence[AppliedBillingRate]],
    inputs: BillingInputs,
) -> dict[tuple[str, str], Money]:
    """`year_to_date` for `compute_bills`: each closing's total from its year's earlier lines (a
    year with no earlier issued bill counts zero: billing started within it)."""
    return {
        closing.key: year_to_date_total(closing, earlier_lines.get(closing.key, ()), inputs)
        for closing in closings
    }
