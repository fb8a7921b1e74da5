"""Planning a bill run: which paying accounts it bills, in which batches, and each batch's slice
of the world.

A batch is a run of consecutive paying accounts in id order. Its slice of the world holds those
accounts, the accounts that roll up onto them, and what belongs to those (products, agreements,
credits); the catalog, parties and sites are shared. A paying account's bill depends only on its
own slice, so billing in batches of any size gives the same bills as billing all at once.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from tollway.accounts import paying_account_of
from tollway.billing import BillingInputs, bill_cycle_for


@dataclass(frozen=True, slots=True)
class Batch:
    """Paying accounts billed together: drafted in one transaction with their checkpoints."""

    index: int
    paying_account_ids: tuple[str, ...]


def payers_of(inputs: BillingInputs) -> dict[str, str]:
    """Every account's paying account (itself when it pays its own bill)."""
    return {
        account_id: paying_account_of(account_id, inputs.accounts).id
        for account_id in sorted(inputs.accounts)
    }


def billed_payers(
    inputs: BillingInputs, *, period_start: datetime, period_end: datetime
) -> list[str]:
    """The paying accounts with a bill-cycle date in [period_start, period_end), in id order."""
    payers = sorted(set(payers_of(inputs).values()))
    return [
        payer_id
        for payer_id in payers
        if bill_cycle_for(
            inputs.accounts[payer_id], window_start=period_start, window_end=period_end
        )
        is not None
    ]


def plan_batches(
    paying_account_ids: Sequence[str], *, batch_accounts_max: int
) -> tuple[Batch, ...]:
    """Consecutive batches of at most `batch_accounts_max` paying accounts.

    >>> [batch.paying_account_ids for batch in plan_batches(["A", "B", "C"], batch_accounts_max=2)]
    [('A', 'B'), ('C',)]
    """
    assert batch_accounts_max >= 1, "a batch holds at least one account"
    ordered = list(paying_account_ids)
    assert ordered == sorted(set(ordered)), "paying accounts are planned in id order, once each"
    return tuple(
        Batch(index, tuple(ordered[start : start + batch_accounts_max]))
        for index, start in enumerate(range(0, len(ordered), batch_accounts_max))
    )


@dataclass(frozen=True, slots=True)
class WorldIndex:
    """The world indexed once per run by paying account, so that slicing a batch costs the size
    of the batch, not the size of the world."""

    inputs: BillingInputs
    members: Mapping[str, tuple[str, ...]]
    """Paying account id → the accounts its bill carries (itself included), in id order."""
    products: Mapping[str, tuple[str, ...]]
    """Account id → its product ids."""
    agreements: Mapping[str, tuple[str, ...]]
    """Account id → the agreements it signed or its products are sold under."""
    credits: Mapping[str, tuple[int, ...]]
    """Account id → the positions of its credits in `inputs.credits`."""

    @classmethod
    def of(cls, inputs: BillingInputs) -> "WorldIndex":
        members: dict[str, list[str]] = {}
        for account_id, payer_id in payers_of(inputs).items():
            members.setdefault(payer_id, []).append(account_id)
        products: dict[str, list[str]] = {}
        agreements: dict[str, set[str]] = {}
        for product_id in sorted(inputs.products):
            product = inputs.products[product_id]
            products.setdefault(product.billing_account_id, []).append(product_id)
            if product.agreement_id is not None:
                agreements.setdefault(product.billing_account_id, set()).add(product.agreement_id)
        for agreement in inputs.agreements.values():
            agreements.setdefault(agreement.billing_account_id, set()).add(agreement.id)
        credits: dict[str, list[int]] = {}
        for position, credit in enumerate(inputs.credits):
            credits.setdefault(credit.billing_account_id, []).append(position)
        return cls(
            inputs=inputs,
            members={payer: tuple(found) for payer, found in members.items()},
            products={account: tuple(found) for account, found in products.items()},
            agreements={account: tuple(sorted(found)) for account, found in agreements.items()},
            credits={account: tuple(found) for account, found in credits.items()},
        )

    def slice(self, paying_account_ids: Sequence[str]) -> BillingInputs:
        """The part of the world the bills of `paying_account_ids` are computed from."""
        inputs = self.inputs
        accounts = sorted(
            member for payer in paying_account_ids for member in self.members.get(payer, ())
        )
        product_ids = [found for account in accounts for found in self.products.get(account, ())]
        agreement_ids = sorted(
            {found for account in accounts for found in self.agreements.get(account, ())}
        )
        positions = sorted(found for account in accounts for found in self.credits.get(account, ()))
        return BillingInputs(
            parties=inputs.parties,
            sites=inputs.sites,
            accounts={account: inputs.accounts[account] for account in accounts},
            catalog=inputs.catalog,
            agreements={
                found: inputs.agreements[found]
                for found in agreement_ids
                if found in inputs.agreements
            },
            products={found: inputs.products[found] for found in sorted(product_ids)},
            credits=tuple(inputs.credits[position] for position in positions),
        )


def slice_world(inputs: BillingInputs, paying_account_ids: Sequence[str]) -> BillingInputs:
    """The part of the world the bills of `paying_account_ids` are computed from (indexes the
    whole world first: a run slices through one `WorldIndex` instead)."""
    return WorldIndex.of(inputs).slice(paying_account_ids)
