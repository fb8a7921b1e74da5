"""Manual credits (goodwill, SLA credits) as negative CREDIT lines.

A credit is applied on the first bill on or after its `effective_at`: the bill at cycle date D
takes the credits effective in (previous cycle date, D]. Its line covers the closed period.
"""

from collections.abc import Sequence
from decimal import Decimal

from tollway.billing._bill import ChargeType
from tollway.billing._charges import BillingError, Charge
from tollway.billing._inputs import ManualCredit
from tollway.billing._prices import AccountContext
from tollway.pricing import BreakdownLine


def _is_due(credit: ManualCredit, context: AccountContext) -> bool:
    closed = context.cycle.closed
    return closed.start < credit.effective_at <= closed.end


def manual_credit_charges(credits: Sequence[ManualCredit], context: AccountContext) -> list[Charge]:
    """The account's manual credits due on this bill, each a negative line."""
    found: list[Charge] = []
    for credit in sorted(credits, key=lambda credit: credit.id):
        if credit.billing_account_id != context.account.id or not _is_due(credit, context):
            continue
        if credit.amount.currency != context.currency:
            raise BillingError(
                f"manual credit {credit.id!r} is in {credit.amount.currency}, but billing account "
                f"{context.account.id!r} bills in {context.currency}"
            )
        precise = -credit.amount.amount
        closed = context.cycle.closed
        found.append(
            Charge(
                billing_account_id=credit.billing_account_id,
                charge_type=ChargeType.CREDIT,
                name=f"Credit: {credit.reason}",
                period_start=closed.start,
                period_end=closed.end,
                quantity=Decimal(1),
                precise_amount=precise,
                amount=context.rounded(precise),
                breakdown=(
                    BreakdownLine(
                        "manual_credit",
                        f"effective {credit.effective_at.isoformat()}",
                        Decimal(1),
                        None,
                        precise,
                    ),
                ),
                detail=f"manual_credit:{credit.id}",
            )
        )
    return found
