"""Recurring charges (MRC in advance or in arrears), their settlement, and one-time charges.

A recurring price is the price of one whole billing period. Each active segment of a product in a
period gets one line per recurring price of its offering, prorated over the segment with the
account's conventions (`tollway.periods.prorate`). Contiguous segments that leave a price and its
quantity unchanged (a bandwidth change under a flat price) are merged into one line.

Settlement of advance billing: the bill at cycle date D billed [D, next D) in advance from what it
knew at D. On the next bill the closed period is settled against `previously_billed`: the unused
part of a billed line that no longer holds (a disconnect, an upgrade, a suspension) is credited at
the conventions' credit basis (`tollway.periods.unused_credit`), and every part of an active
segment that no billed line covers (the new offering after an upgrade, a circuit activated after
the advance bill) is charged, prorated.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, DecimalTuple
from typing import Final, Generic, TypeVar

from tollway.billing._bill import AppliedBillingRate, ChargeType
from tollway.billing._charges import Charge
from tollway.billing._prices import (
    AccountContext,
    definition_for,
    price_name,
    priced,
    prices_of_kind,
    quantity_for,
)
from tollway.catalog import ChargeKind, ProductOfferingPrice
from tollway.inventory import LifecycleAction, Product
from tollway.inventory._timeline import Segment, event_instants, segments
from tollway.money import MONEY_CONTEXT
from tollway.periods import BillingPeriod, Credit, Proration, prorate, unused_credit
from tollway.pricing import BreakdownLine, PriceDefinition

PERIOD_PRICE_KIND = "period_price"
PRORATION_KIND = "proration"
UNUSED_CREDIT_KIND = "unused_credit"
computations_cached_max: Final = 32_768
"""Period prices, prorations and offering price lists kept per cache: thousands of products share
a few prices, periods and offerings, so a bill run computes each once."""


# --- computations shared by many products ---------------------------------------------------------
#
# A recurring line is the period price of its definition and quantity, prorated over its piece of
# the period: pure functions of a few values that thousands of products share. They are cached by
# keys that tell apart everything the results depend on, representations included (100 and 100.00
# are equal but print differently; so are two equal instants in two zones).

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class _Cache(Generic[Key, Value]):
    """A bounded memo: at most `computations_cached_max` entries (emptied when full)."""

    def __init__(self) -> None:
        self.entries: dict[Key, Value] = {}

    def get(self, key: Key, compute: Callable[[], Value]) -> Value:
        found = self.entries.get(key)
        if found is None:
            if len(self.entries) >= computations_cached_max:
                self.entries.clear()
            found = self.entries[key] = compute()
        return found


@dataclass(frozen=True, slots=True, eq=False)
class _Same:
    """A key part equal only to itself: the very object (kept alive by the key, so its id is
    never another's)."""

    value: object

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


def _number_key(value: Decimal) -> DecimalTuple:
    return value.as_tuple()


def _instant_key(value: datetime) -> tuple[datetime, int, tzinfo | None]:
    # Two aware datetimes with one tzinfo compare by wall-clock time (fold ignored), with two
    # they compare as instants: with the zone and the fold beside it, a key equals another only
    # for the same wall-clock time, fold and zone. A datetime keeps its hash once computed.
    return (value, value.fold, value.tzinfo)


periods_keyed_max: Final = 64
_period_keys: Final[dict[_Same, Hashable]] = {}
"""Recent periods' keys by the period object: an account's products all prorate over the same
two period objects (kept alive by the `_Same`, so an id is never another period's)."""


def _period_key(period: BillingPeriod) -> Hashable:
    same = _Same(period)
    key = _period_keys.get(same)
    if key is None:
        if len(_period_keys) >= periods_keyed_max:
            _period_keys.clear()
        key = _period_keys[same] = (
            _instant_key(period.start),
            _instant_key(period.end),
            period.cadence,
            period.bill_cycle_day,
        )
    return key


_period_prices: Final[_Cache[Hashable, Decimal]] = _Cache()
_prorations: Final[_Cache[Hashable, Proration]] = _Cache()
_offering_prices: Final[_Cache[Hashable, tuple[ProductOfferingPrice, ...]]] = _Cache()


def _period_price(
    offering_price: ProductOfferingPrice,
    product: Product,
    quantity: Decimal,
    context: AccountContext,
) -> tuple[Decimal, PriceDefinition]:
    """The whole period's price of `quantity` under the definition that applies to the product,
    and that definition."""
    definition = definition_for(offering_price, product, context.inputs)
    key = (_Same(definition), _number_key(quantity), context.conventions, context.currency)
    amount = _period_prices.get(
        key, lambda: priced(offering_price, product, quantity, context).amount.amount
    )
    return amount, definition


def _prorated(
    amount: Decimal, piece: "Piece", period: BillingPeriod, context: AccountContext
) -> Proration:
    key = (
        _number_key(amount),
        _instant_key(piece.start),
        _instant_key(piece.end),
        _period_key(period),
        context.conventions,
        context.cycle.bill_cycle_day,
    )
    return _prorations.get(
        key,
        lambda: prorate(
            amount,
            interval_start=piece.start,
            interval_end=piece.end,
            period=period,
            conventions=context.conventions,
            bill_cycle_day=context.cycle.bill_cycle_day,
        ),
    )


def _prices_in_force(
    context: AccountContext, offering_id: str, instant: datetime, kind: ChargeKind
) -> tuple[ProductOfferingPrice, ...]:
    key = (_Same(context.inputs.catalog), offering_id, _instant_key(instant), kind)
    return _offering_prices.get(
        key, lambda: prices_of_kind(context.inputs, offering_id, instant, (kind,))
    )


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch [start, end) of a period over which one recurring price applies unchanged."""

    start: datetime
    end: datetime
    offering_price: ProductOfferingPrice
    quantity: Decimal

    def continues(self, other: "Piece") -> bool:
        return (
            other.start == self.end
            and other.offering_price.id == self.offering_price.id
            and other.quantity == self.quantity
        )


_cycle_segments: list[tuple[_Same, _Same, tuple[Segment, ...]]] = []
"""The last product's segments over its bill's closed and current periods together: a bill asks
for one product's pieces of both periods in a row (advance, settlement, arrears), so its timeline
is walked once, not once per period."""


def _segments_in(product: Product, period: BillingPeriod, context: AccountContext) -> list[Segment]:
    """`segments(product, start=period.start, end=period.end)`, active or not, as a list.

    A period of the bill's cycle is cut from the segments over the whole cycle [closed start,
    current end): clipping a clipped segment to a narrower window is clipping it to that window,
    and a segment whose clipped part is empty is dropped either way. The lifecycle is checked
    over all events whatever the window, so it fails the same way."""
    cycle = context.cycle
    if period is not cycle.closed and period is not cycle.current:
        return list(segments(product, start=period.start, end=period.end))
    found: tuple[Segment, ...] | None = None
    if _cycle_segments:
        found_product, found_cycle, found_segments = _cycle_segments[0]
        if found_product.value is product and found_cycle.value is cycle:
            found = found_segments
    if found is None:
        found = segments(product, start=cycle.closed.start, end=cycle.current.end)
        _cycle_segments[:] = [(_Same(product), _Same(cycle), found)]
    clipped: list[Segment] = []
    for segment in found:
        # As `segments` clips: the later start and the earlier end, the first on a tie.
        start = max(segment.start, period.start)
        end = min(segment.end, period.end)
        if not start < end:
            continue
        if start is not segment.start or end is not segment.end:
            segment = Segment(
                start, end, segment.offering_id, segment.bandwidth_mbps, segment.active
            )
        clipped.append(segment)
    return clipped


def recurring_pieces(
    product: Product, period: BillingPeriod, kind: ChargeKind, context: AccountContext
) -> list[Piece]:
    """The stretches of `period` the product's active segments owe each price of `kind` for.

    Prices are those in force at each segment's start (a catalog price change applies from the
    next segment or period)."""
    found: list[Piece] = []
    for segment in _segments_in(product, period, context):
        if not segment.active:
            continue
        for offering_price in _prices_in_force(context, segment.offering_id, segment.start, kind):
            quantity = quantity_for(offering_price, segment.bandwidth_mbps)
            found.append(Piece(segment.start, segment.end, offering_price, quantity))
    return _merged(found)


def _merged(pieces: list[Piece]) -> list[Piece]:
    ordered = sorted(pieces, key=lambda piece: (piece.offering_price.id, piece.start))
    merged: list[Piece] = []
    for piece in ordered:
        if merged and merged[-1].continues(piece):
            last = merged.pop()
            piece = Piece(last.start, piece.end, piece.offering_price, piece.quantity)
        merged.append(piece)
    return merged


def _breakdown(
    full_amount: Decimal, quantity: Decimal, prorated: Decimal, fraction: Decimal, how: str
) -> tuple[BreakdownLine, ...]:
    """The whole period's price, then what proration takes off it: they sum to the line."""
    whole = BreakdownLine(
        PERIOD_PRICE_KIND, "price of the whole period", quantity, None, full_amount
    )
    if fraction == 1:
        return (whole,)
    return (
        whole,
        BreakdownLine(
            PRORATION_KIND, how, fraction, None, MONEY_CONTEXT.subtract(prorated, full_amount)
        ),
    )


def recurring_charge(
    piece: Piece, product: Product, period: BillingPeriod, context: AccountContext
) -> Charge:
    """The line for one piece: the period price prorated over the piece."""
    offering_price = piece.offering_price
    full_amount, definition = _period_price(offering_price, product, piece.quantity, context)
    share = _prorated(full_amount, piece, period, context)
    return Charge(
        billing_account_id=product.billing_account_id,
        charge_type=ChargeType.RECURRING,
        name=price_name(offering_price),
        period_start=piece.start,
        period_end=piece.end,
        quantity=piece.quantity,
        precise_amount=share.amount,
        amount=context.rounded(share.amount),
        product_id=product.id,
        circuit_id=product.circuit_id,
        price_id=offering_price.id,
        unit=definition.unit,
        unit_price=full_amount if piece.quantity == 1 else None,
        breakdown=_breakdown(
            full_amount, piece.quantity, share.amount, share.fraction, share.description
        ),
        kind=offering_price.kind,
        discountable=True,
        detail=offering_price.kind.value,
    )


def advance_charges(product: Product, context: AccountContext) -> list[Charge]:
    """Recurring charges billed in advance for the current period."""
    period = context.cycle.current
    pieces = recurring_pieces(product, period, ChargeKind.RECURRING_ADVANCE, context)
    return [recurring_charge(piece, product, period, context) for piece in pieces]


def arrears_charges(product: Product, context: AccountContext) -> list[Charge]:
    """Recurring charges billed in arrears for the closed period."""
    period = context.cycle.closed
    pieces = recurring_pieces(product, period, ChargeKind.RECURRING_ARREARS, context)
    return [recurring_charge(piece, product, period, context) for piece in pieces]


def one_time_charges(product: Product, context: AccountContext) -> list[Charge]:
    """The offering's one-time prices (installation, NRC) for an activation in the closed period."""
    found: list[Charge] = []
    for activated_at in event_instants(product, LifecycleAction.ACTIVATE):
        if not context.cycle.closed.contains(activated_at):
            continue
        for offering_price in prices_of_kind(
            context.inputs, product.offering_id, activated_at, (ChargeKind.ONE_TIME,)
        ):
            quantity = quantity_for(offering_price, product.bandwidth_mbps)
            result = priced(offering_price, product, quantity, context)
            found.append(
                Charge(
                    billing_account_id=product.billing_account_id,
                    charge_type=ChargeType.ONE_TIME,
                    name=price_name(offering_price),
                    period_start=activated_at,
                    period_end=activated_at,
                    quantity=quantity,
                    precise_amount=result.precise_amount,
                    amount=context.rounded(result.amount.amount),
                    product_id=product.id,
                    circuit_id=product.circuit_id,
                    price_id=offering_price.id,
                    unit=definition_for(offering_price, product, context.inputs).unit,
                    breakdown=result.lines,
                    kind=ChargeKind.ONE_TIME,
                )
            )
    return found


# --- settlement of the closed period's advance billing ------------------------------------------


def _is_billed_in_advance(line: AppliedBillingRate, context: AccountContext) -> bool:
    if line.charge_type is not ChargeType.RECURRING:
        return False
    offering_price = context.price_index.get(line.price_id or "")
    return offering_price is None or offering_price.kind is not ChargeKind.RECURRING_ARREARS


def _billed_in_advance(
    product: Product, previously_billed: Sequence[AppliedBillingRate], context: AccountContext
) -> list[AppliedBillingRate]:
    """The product's recurring lines billed in advance for part of the closed period (lines of
    other kinds and periods in `previously_billed` need no settlement and are ignored)."""
    period = context.cycle.closed
    return sorted(
        (
            line
            for line in _lines_by_product(previously_billed).get(product.id, ())
            if _is_billed_in_advance(line, context)
            and period.start <= line.period_start
            and line.period_end <= period.end
        ),
        key=lambda line: (line.price_id or "", line.period_start, line.id),
    )


_previously_billed_index: list[tuple[_Same, dict[str, list[AppliedBillingRate]]]] = []
"""The lines of the last `previously_billed` tuple by product: a bill run passes one tuple for
every product of a batch, so it is indexed once, not scanned once per product. Only a tuple is
kept: it cannot change under the index (a list could)."""


def _lines_by_product(
    previously_billed: Sequence[AppliedBillingRate],
) -> dict[str, list[AppliedBillingRate]]:
    if not isinstance(previously_billed, tuple):
        return _indexed(previously_billed)
    key = _Same(previously_billed)
    for found_key, index in _previously_billed_index:
        if found_key == key:
            return index
    index = _indexed(previously_billed)
    _previously_billed_index[:] = [(key, index)]
    return index


def _indexed(lines: Sequence[AppliedBillingRate]) -> dict[str, list[AppliedBillingRate]]:
    found: dict[str, list[AppliedBillingRate]] = {}
    for line in lines:
        if line.product_id is not None:
            found.setdefault(line.product_id, []).append(line)
    return found


def _holds_until(line: AppliedBillingRate, wanted: list[Piece]) -> datetime:
    """How far, from its start, what the product owes still matches a billed line."""
    reached = line.period_start
    for piece in sorted(wanted, key=lambda piece: piece.start):
        matches = piece.offering_price.id == line.price_id and piece.quantity == line.quantity
        if matches and piece.start <= reached < piece.end:
            reached = min(piece.end, line.period_end)
    return reached


def _billed_period_price(
    line: AppliedBillingRate, period: BillingPeriod, context: AccountContext
) -> Decimal:
    """The whole period's price a line was billed at: from its breakdown when it has one, else
    its amount divided by the share of the period it covered."""
    for step in line.breakdown:
        if step.kind == PERIOD_PRICE_KIND:
            return step.amount
    share = prorate(
        Decimal(1),
        interval_start=line.period_start,
        interval_end=line.period_end,
        period=period,
        conventions=context.conventions,
        bill_cycle_day=context.cycle.bill_cycle_day,
    )
    if share.fraction == 1:
        return line.precise_amount
    return MONEY_CONTEXT.divide(line.precise_amount, share.fraction)


def _current_period_price(
    line: AppliedBillingRate, product: Product, at: datetime, context: AccountContext
) -> Decimal | None:
    """The whole period's price in force at `at` for what the line billed, if still sold."""
    offering_price = context.price_index.get(line.price_id or "")
    if offering_price is None or not offering_price.is_valid_at(at):
        return None
    return priced(offering_price, product, line.quantity, context).amount.amount


def _unused_amount(
    line: AppliedBillingRate, product: Product, since: datetime, context: AccountContext
) -> tuple[Decimal, str, Decimal]:
    """The (negative) credit for [since, line end), how it was counted, and the fraction."""
    period = context.cycle.closed
    billed = _billed_period_price(line, period, context)
    current = _current_period_price(line, product, since, context)

    def unused_from(change_at: datetime) -> Credit:
        return unused_credit(
            billed_amount=billed,
            current_amount=billed if current is None else current,
            period=period,
            change_at=change_at,
            conventions=context.conventions,
        )

    credit = unused_from(since)
    if line.period_end == period.end:
        return credit.amount, credit.description, credit.fraction
    # A line that stopped before the period's end (a change known when it was billed): credit
    # its own unused stretch, the unused time to the period's end less what it never covered.
    never_billed = unused_from(line.period_end)
    how = f"{credit.description}, less the part from {line.period_end.isoformat()} never billed"
    return (
        MONEY_CONTEXT.subtract(credit.amount, never_billed.amount),
        how,
        MONEY_CONTEXT.subtract(credit.fraction, never_billed.fraction),
    )


def _unused_credit_charge(
    line: AppliedBillingRate, product: Product, since: datetime, context: AccountContext
) -> Charge:
    amount, how, fraction = _unused_amount(line, product, since, context)
    return Charge(
        billing_account_id=product.billing_account_id,
        charge_type=ChargeType.CREDIT,
        name=f"Unused time: {line.name}",
        period_start=since,
        period_end=line.period_end,
        quantity=line.quantity,
        precise_amount=amount,
        amount=context.rounded(amount),
        product_id=product.id,
        circuit_id=product.circuit_id,
        price_id=line.price_id,
        unit=line.unit,
        breakdown=(BreakdownLine(UNUSED_CREDIT_KIND, how, fraction, None, amount),),
        kind=ChargeKind.RECURRING_ADVANCE,
        discountable=True,
        detail=f"unused:{line.id}",
    )


def _uncovered(piece: Piece, covered: list[tuple[datetime, datetime]]) -> list[Piece]:
    """The parts of a piece that no kept billed stretch covers."""
    parts: list[Piece] = []
    cursor = piece.start
    for start, end in sorted(covered):
        if end <= cursor or start >= piece.end:
            continue
        if start > cursor:
            parts.append(Piece(cursor, start, piece.offering_price, piece.quantity))
        cursor = max(cursor, end)
    if cursor < piece.end:
        parts.append(Piece(cursor, piece.end, piece.offering_price, piece.quantity))
    return parts


def settlement_charges(
    product: Product, previously_billed: Sequence[AppliedBillingRate], context: AccountContext
) -> list[Charge]:
    """Credits and charges that settle the closed period's advance billing with what happened."""
    period = context.cycle.closed
    wanted = recurring_pieces(product, period, ChargeKind.RECURRING_ADVANCE, context)
    billed = _billed_in_advance(product, previously_billed, context)
    if not billed:
        # Nothing billed in advance (a first bill, a product activated since): no credit, and no
        # billed stretch covers any part of a piece, so each piece is charged whole, as
        # `settled` would (`_uncovered(piece, [])` is the piece itself).
        return [recurring_charge(piece, product, period, context) for piece in wanted]
    return settled(product, wanted, billed, context)


def settled(
    product: Product,
    wanted: list[Piece],
    billed: Sequence[AppliedBillingRate],
    context: AccountContext,
) -> list[Charge]:
    """Settlement of the closed period's `wanted` pieces against the lines `billed` in advance
    for it (sorted by price, start and id): credits for what no longer holds, then charges for
    what no billed line covers."""
    period = context.cycle.closed
    kept: dict[tuple[str | None, Decimal], list[tuple[datetime, datetime]]] = {}
    found: list[Charge] = []
    for line in billed:
        reached = _holds_until(line, wanted)
        kept.setdefault((line.price_id, line.quantity), []).append((line.period_start, reached))
        if reached < line.period_end:
            found.append(_unused_credit_charge(line, product, reached, context))
    for piece in wanted:
        covered = kept.get((piece.offering_price.id, piece.quantity), [])
        for part in _uncovered(piece, covered):
            found.append(recurring_charge(part, product, period, context))
    return found
