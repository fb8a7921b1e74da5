"""Account data: frozen records, plus the one rule that needs the whole hierarchy."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from tollway.money import Currency, TollwayError

hierarchy_depth_max: Final = 32


class CustomerClass(StrEnum):
    """The customer class taxes and fees key on."""

    BUSINESS = "business"
    GOVERNMENT = "government"
    RESIDENTIAL = "residential"
    WHOLESALE = "wholesale"


class HierarchyError(TollwayError):
    code = "invalid_account_hierarchy"


@dataclass(frozen=True, slots=True)
class Party:
    """A customer organisation (TMF632 Organization; `Customer` role)."""

    id: str
    name: str
    customer_class: CustomerClass


@dataclass(frozen=True, slots=True)
class Site:
    """A place where service is delivered (TMF674 GeographicSite): a circuit's A or Z end."""

    id: str
    party_id: str
    name: str
    country: str
    region: str
    """State or province code, e.g. "PA"."""
    city: str
    postal_code: str
    jurisdiction_id: str
    """The tax jurisdiction the site lies in (e.g. "US-PA-PHILADELPHIA")."""


@dataclass(frozen=True, slots=True)
class BillingAccount:
    """A TMF666 BillingAccount: what an invoice is addressed to.

    `parent_id` places the account in its customer's hierarchy. When `pays_own_bill` is False the
    account's charges appear on its nearest paying ancestor's consolidated bill.
    """

    id: str
    party_id: str
    name: str
    currency: Currency
    bill_cycle_day: int
    time_zone: str
    billing_site_id: str | None = None
    parent_id: str | None = None
    pays_own_bill: bool = True
    invoice_series: str = "INV"
    profile: str = "tollway"

    def __post_init__(self) -> None:
        assert 1 <= self.bill_cycle_day <= 31, "bill_cycle_day is 1–31"
        assert self.id, "a billing account needs an id"
        assert self.parent_id != self.id, "an account cannot be its own parent"


def paying_account_of(account_id: str, accounts: Mapping[str, BillingAccount]) -> BillingAccount:
    """The account whose bill carries `account_id`'s charges: itself, or its nearest paying ancestor.

    >>> from tollway.money import currency
    >>> usd = currency("USD")
    >>> parent = BillingAccount("P", "p1", "HQ", usd, 1, "UTC")
    >>> child = BillingAccount("C", "p1", "Branch", usd, 1, "UTC", parent_id="P", pays_own_bill=False)
    >>> paying_account_of("C", {"P": parent, "C": child}).id
    'P'
    """
    current = accounts[account_id]
    for _ in range(hierarchy_depth_max):
        if current.pays_own_bill:
            return current
        if current.parent_id is None:
            raise HierarchyError(
                f"billing account {current.id!r} does not pay its own bill and has no parent to roll up to"
            )
        parent = accounts.get(current.parent_id)
        if parent is None:
            raise HierarchyError(
                f"billing account {current.id!r} names unknown parent {current.parent_id!r}"
            )
        if parent.currency != current.currency:
            raise HierarchyError(
                f"billing account {current.id!r} ({current.currency}) cannot roll up onto "
                f"{parent.id!r} ({parent.currency}): consolidated bills have one currency"
            )
        current = parent
    raise HierarchyError(
        f"billing account {account_id!r}: hierarchy deeper than {hierarchy_depth_max} or cyclic"
    )
