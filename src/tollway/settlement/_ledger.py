"""The settlement account of a partner (TMF666 `settlementAccount`) and the disputes on record.

A partner has one settlement account per currency. Every stored statement posts one entry to it:
a revenue-share statement posts its total payable, a netting statement its net. Amounts are signed
from one side, so the running balance reads the same way throughout:

    balance > 0: the operator owes the partner; balance < 0: the partner owes the operator.

A revenue-share total is owed by the operator (it posts +total); a netting net is owed by the
partner when positive (it posts -net). Payments are not recorded in tollway yet, so the balance is
what the statements made due, before any payment.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from tollway.money import Currency
from tollway.settlement.core import (
    Dispute,
    DisputeResolution,
    NettingStatement,
    SettlementStatement,
    Side,
)

STORED_MINOR_LIMIT: Final = 2**63
"""Stored amounts are signed 64-bit integers of minor units: every one is smaller in size."""


class StatementKind(StrEnum):
    REVENUE_SHARE = "revenue_share"
    NETTING = "netting"


class Direction(StrEnum):
    """Who pays whom, for one entry or a balance."""

    OPERATOR_PAYS_PARTNER = "operator_pays_partner"
    PARTNER_PAYS_OPERATOR = "partner_pays_operator"
    NONE = "none"

    @classmethod
    def of(cls, signed_amount: Decimal) -> "Direction":
        if signed_amount > 0:
            return cls.OPERATOR_PAYS_PARTNER
        if signed_amount < 0:
            return cls.PARTNER_PAYS_OPERATOR
        return cls.NONE


def to_minor(value: Decimal, unit: Currency) -> int:
    """An amount in whole minor units of its currency (more decimals is a bug: amounts here are
    checked to be whole minor units before they reach storage).

    >>> from tollway.money import currency
    >>> to_minor(Decimal("-180000.00"), currency("USD")), to_minor(Decimal("1500"), currency("JPY"))
    (-18000000, 1500)
    """
    scaled = value.scaleb(unit.minor_units)
    assert scaled == scaled.to_integral_value(), f"{value} is not whole {unit.code} minor units"
    # Amounts are checked on the way in (charges: `charge_amount_minor_max`); the database column
    # is a signed 64-bit integer.
    assert abs(scaled) < STORED_MINOR_LIMIT, f"{value} {unit.code} is too large to store"
    return int(scaled)


def from_minor(units: int, unit: Currency) -> Decimal:
    """Whole minor units back to an amount with the currency's decimals (150 USD is 1.50)."""
    return Decimal(units).scaleb(-unit.minor_units)


def settlement_account_id(partner_id: str, unit: Currency) -> str:
    """The id of a partner's settlement account in one currency.

    >>> from tollway.money import currency
    >>> settlement_account_id("CP-STRATUS", currency("USD"))
    'SA-CP-STRATUS-USD'
    """
    return f"SA-{partner_id}-{unit.code}"


def netting_number(statement: NettingStatement) -> str:
    """A stable number for a netting statement: agreement and period start."""
    return f"NET-{statement.agreement_id}-{statement.period_start:%Y%m%d}"


@dataclass(frozen=True, slots=True)
class Posting:
    """What one statement posts to its partner's settlement account, before it is numbered."""

    partner_id: str
    currency: Currency
    agreement_id: str
    kind: StatementKind
    period_start: datetime
    statement_number: str
    statement_digest: str
    amount: Decimal
    """Signed: positive when the operator owes it to the partner."""

    @classmethod
    def of_statement(cls, statement: SettlementStatement) -> "Posting":
        return cls(
            statement.partner_id,
            statement.currency,
            statement.agreement_id,
            StatementKind.REVENUE_SHARE,
            statement.period_start,
            statement.number,
            statement.digest,
            statement.total_payable,
        )

    @classmethod
    def of_netting(cls, statement: NettingStatement) -> "Posting":
        return cls(
            statement.partner_id,
            statement.currency,
            statement.agreement_id,
            StatementKind.NETTING,
            statement.period_start,
            netting_number(statement),
            statement.digest,
            -statement.net,
        )


@dataclass(frozen=True, slots=True)
class AccountEntry:
    """One line of a settlement account's balance history: a statement's posting and the running
    balance after it (`balance` = the previous entry's balance + `posting.amount`)."""

    account_id: str
    position: int
    posting: Posting
    balance: Decimal

    @property
    def direction(self) -> Direction:
        return Direction.of(self.posting.amount)

    @property
    def balance_direction(self) -> Direction:
        return Direction.of(self.balance)


@dataclass(frozen=True, slots=True)
class DisputeRecord:
    """A dispute on one line of an invoice between the parties, as kept in the workspace.

    `side` says whose invoice: PAYABLE, the partner's invoice to us (`document_id` is the
    partner's invoice id); RECEIVABLE, ours to the partner (`document_id` is our bill number).
    """

    id: str
    partner_id: str
    side: Side
    document_id: str
    line_id: str
    amount: Decimal
    currency: Currency
    raised_on: date
    resolution: DisputeResolution | None = None

    @property
    def dispute(self) -> Dispute:
        """The core's view of it, attached to the entry it disputes."""
        return Dispute(self.id, self.amount, self.raised_on, self.resolution)

    @property
    def entry_key(self) -> tuple[Side, str, str]:
        return (self.side, self.document_id, self.line_id)


def _amount(value: Decimal) -> str:
    return format(value, ",f")


_DIRECTION_WORDS = {
    Direction.OPERATOR_PAYS_PARTNER: "operator owes partner",
    Direction.PARTNER_PAYS_OPERATOR: "partner owes operator",
    Direction.NONE: "even",
}


def render_account_text(partner_id: str, entries: tuple[AccountEntry, ...]) -> str:
    """A partner's settlement accounts as plain text: one table per account, each entry with the
    statement it cites, its amount and who owes it, and the running balance."""
    if not entries:
        return f"Settlement accounts of {partner_id}: no statements posted yet\n"
    lines = [f"Settlement accounts of {partner_id} (balance > 0: the operator owes the partner)"]
    for account_id in sorted({entry.account_id for entry in entries}):
        own = [entry for entry in entries if entry.account_id == account_id]
        rows = [
            (
                str(entry.position),
                entry.posting.statement_number,
                entry.posting.kind.value,
                _amount(entry.posting.amount),
                _DIRECTION_WORDS[entry.direction],
                _amount(entry.balance),
            )
            for entry in own
        ]
        header = ("#", "Statement", "Kind", "Amount", "Direction", "Balance")
        widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]
        lines.extend(["", f"Account {account_id} ({own[0].posting.currency.code})"])
        for row in [header, *rows]:
            cells = [
                cell.rjust(width) if index in (0, 3, 5) else cell.ljust(width)
                for index, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append(("  " + "  ".join(cells)).rstrip())
        last = own[-1]
        lines.append(
            f"  Balance {_amount(last.balance)} {last.posting.currency.code}: "
            f"{_DIRECTION_WORDS[last.balance_direction]}"
        )
    return "\n".join(lines) + "\n"
