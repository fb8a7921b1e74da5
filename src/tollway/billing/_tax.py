"""The tax step of a bill, behind an interface: a real engine plugs in here later.

A `TaxCalculator` receives a bill's lines (tax-excluded, rounded) and returns them with their
`taxes` filled in, plus the bill-level tax items. It must not change a line's id or amount.
"""

from collections.abc import Sequence
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
    ) -> tuple[tuple[AppliedBillingRate, ...], tuple[TaxItem, ...]]: ...


class ZeroTax:
    """No taxes: the lines come back unchanged and there are no tax items.

    >>> ZeroTax().apply((), account=None, party=None, inputs=None)  # type: ignore[arg-type]
    ((), ())
    """

    def apply(
        self,
        lines: Sequence[AppliedBillingRate],
        *,
        account: BillingAccount,
        party: Party,
        inputs: BillingInputs,
    ) -> tuple[tuple[AppliedBillingRate, ...], tuple[TaxItem, ...]]:
        return tuple(lines), ()


ZERO_TAX = ZeroTax()
"""The default tax step of `compute_bills`."""
