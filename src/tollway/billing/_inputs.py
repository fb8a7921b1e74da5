"""Everything a bill run reads besides usage: one immutable snapshot of the operator's world."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tollway.accounts import BillingAccount, Party, Site
from tollway.catalog import Catalog
from tollway.contracts import Agreement
from tollway.inventory import Product
from tollway.money import Money


@dataclass(frozen=True, slots=True)
class ManualCredit:
    """A credit granted to an account (goodwill, SLA credit), applied on the next bill on or after
    `effective_at`."""

    id: str
    billing_account_id: str
    amount: Money
    """Positive: the amount credited (the bill line is negative)."""
    reason: str
    effective_at: datetime

    def __post_init__(self) -> None:
        assert self.amount.amount > 0, "a credit amount is positive; the bill line is negative"


@dataclass(frozen=True, slots=True)
class BillingInputs:
    """The snapshot a bill run computes from. Mappings are keyed by id."""

    parties: Mapping[str, Party]
    sites: Mapping[str, Site]
    accounts: Mapping[str, BillingAccount]
    catalog: Catalog
    agreements: Mapping[str, Agreement]
    products: Mapping[str, Product]
    credits: tuple[ManualCredit, ...] = ()
