"""What a period works from: which lines it recognises, their basis, when each item is in effect.

Recognition: under accrual a line counts in the period containing its bill date; under cash, the
period containing its payment date. Dates are local dates of the period's time zone.
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from tollway.periods import BillingPeriod
from tollway.settlement.core._agreement import PartnerAgreement
from tollway.settlement.core._carve import ItemWindow
from tollway.settlement.core._errors import SettlementInputError
from tollway.settlement.core._model import (
    AccountingBasis,
    Deduction,
    EndsOnDate,
    EndsOnMilestone,
    RevenueShareModel,
    ShareItem,
)
from tollway.settlement.core._records import LineKey, MilestoneEvent, RevenueLine


def line_basis(line: RevenueLine, model: RevenueShareModel, *, known_before: date) -> Decimal:
    """The line's basis under the model: billed amount, with tax unless the basis is net of tax,
    less bad debt written off before `known_before` when the basis is net of bad debt."""
    with_tax = not model.basis.deducts(Deduction.TAX)
    value = line.amount + (line.tax_amount if with_tax else Decimal(0))
    written_off_on = line.written_off_on
    deducted = model.basis.deducts(Deduction.BAD_DEBT)
    if deducted and written_off_on is not None and written_off_on < known_before:
        value -= written_off(line, with_tax=with_tax)
    return value


def written_off(line: RevenueLine, *, with_tax: bool) -> Decimal:
    return line.written_off_amount + (line.written_off_tax_amount if with_tax else Decimal(0))


def local_dates(period: BillingPeriod) -> tuple[date, date]:
    zone = period.time_zone
    return period.start.astimezone(zone).date(), period.end.astimezone(zone).date()


def recognised_on(line: RevenueLine, basis: AccountingBasis) -> date | None:
    return line.bill_date if basis is AccountingBasis.ACCRUAL else line.paid_on


def milestones_of(
    agreement: PartnerAgreement, milestones: Sequence[MilestoneEvent]
) -> dict[str, MilestoneEvent]:
    found: dict[str, MilestoneEvent] = {}
    for event in milestones:
        if event.agreement_id != agreement.id:
            continue
        if event.name in found:
            raise SettlementInputError(
                f"milestone {event.name!r} of agreement {agreement.id}", "name", "recorded twice"
            )
        found[event.name] = event
    return found


def item_window(
    item: ShareItem, agreement: PartnerAgreement, milestones: dict[str, MilestoneEvent]
) -> ItemWindow:
    """When the item is in effect, from its dates, its endings known so far and the agreement's."""
    start = agreement.start
    if item.effective_from is not None and item.effective_from > start:
        start = item.effective_from
    ends: list[tuple[datetime, str]] = []
    if item.effective_until is not None:
        ends.append((item.effective_until, f"effective until {item.effective_until.isoformat()}"))
    for end in item.ends:
        if isinstance(end, EndsOnDate):
            ends.append((end.at, f"ends on {end.at.isoformat()}"))
        elif isinstance(end, EndsOnMilestone) and end.name in milestones:
            event = milestones[end.name]
            ends.append(
                (
                    event.occurred_at,
                    f"milestone {event.name!r} occurred {event.occurred_at.isoformat()}, "
                    f"recorded {event.recorded_at.isoformat()}",
                )
            )
    if agreement.end is not None:
        ends.append((agreement.end, f"agreement ends {agreement.end.isoformat()}"))
    if not ends:
        return ItemWindow(item.id, start, None)
    end_at, reason = min(ends, key=lambda pair: pair[0])
    return ItemWindow(item.id, start, end_at, reason)


def check_unique(lines: Sequence[RevenueLine]) -> None:
    seen: set[LineKey] = set()
    for line in lines:
        if line.key in seen:
            raise SettlementInputError(line.label, "line_id", "appears twice in the input")
        seen.add(line.key)
