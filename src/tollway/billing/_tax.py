"""The tax step of a bill, behind an interface: a real engine plugs in here later.

A `TaxCalculator` receives a bill's lines (tax-excluded, rounded) and the bill's date, and returns
them with their `taxes` filled in, plus the bill-level tax items (BILLED taxes only). It must keep
every line id in order and each tax-exclusive line's amount; a line it marks `tax_inclusive` is
split so that its amount plus its billed taxes equals the priced amount.
"""

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from tollway.accounts import BillingAccount, Party
from tollway.billing._bill import AppliedBillingRate, TaxItem
from tollway.billing._inputs import BillingInputs


class TaxCalculator(Protocol):
    """Computes the taxes of one bill's lines."""

    def apply(
        self,
        lines: Sequence[AppliedBillingRate],
        *,
        account: BillingAccount,
        party: Party,
        inputs: BillingInputs,
        bill_date: date,
    ) -> tuple[tuple[AppliedBillingRate, ...], tuple[TaxItem, ...]]: ...


class ZeroTax:
    """No taxes: the lines come back unchanged and there are no tax items.

    >>> ZeroTax().apply((), account=None, party=None, inputs=None, bill_date=None)  # type: ignore[arg-type]
    ((), ())
    """

    def apply(
        self,
        lines: Sequence[AppliedBillingRate],
        *,
        account: BillingAccount,
        party: Party,
        inputs: BillingInputs,
        bill_date: date,
    ) -> tuple[tuple[AppliedBillingRate, ...], tuple[TaxItem, ...]]:
        return tuple(lines), ()


ZERO_TAX = ZeroTax()
"""The default tax step of `compute_bills`."""
