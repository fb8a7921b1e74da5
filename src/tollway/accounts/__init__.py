"""Parties, billing accounts (with their hierarchy) and sites — TMF632/TMF666/TMF674 names.

Owns: who is billed, where they are, and who pays for whom. A child billing account whose
`pays_own_bill` is False rolls its charges up onto the nearest paying ancestor's consolidated bill.
Invariants: the hierarchy is a forest (no cycles); every account bills in one currency; a roll-up
only joins accounts of the same currency.
May import: the pure core. Never I/O.
"""

from tollway.accounts._model import (
    BillingAccount,
    CustomerClass,
    HierarchyError,
    Party,
    Site,
    paying_account_of,
)

__all__ = [
    "BillingAccount",
    "CustomerClass",
    "HierarchyError",
    "Party",
    "Site",
    "paying_account_of",
]
