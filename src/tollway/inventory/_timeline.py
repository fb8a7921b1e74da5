"""A product's state over time, derived from its lifecycle events: the segments billing charges.

A segment is a half-open interval [start, end) in which the product's offering, bandwidth and
activity do not change. Nothing exists before the activation or from the disconnect on. A
suspended product keeps its segments (so usage and reports still see it) but they are inactive:
recurring charges are not billed while a product is suspended, the way carriers stop the MRC of a
circuit on a customer-requested suspension. A CHANGE (upgrade, downgrade) splits a segment.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from tollway.inventory._model import LifecycleAction, LifecycleEvent, Product
from tollway.money import TollwayError


class LifecycleError(TollwayError):
    """A product's lifecycle events are out of order (a change before the activation, anything
    after the disconnect). The message names the product and the event."""

    code = "invalid_lifecycle"


@dataclass(frozen=True, slots=True)
class Segment:
    """The product's state over [start, end): its offering, bandwidth, and whether it is active."""

    start: datetime
    end: datetime
    offering_id: str
    bandwidth_mbps: Decimal
    active: bool

    def __post_init__(self) -> None:
        assert self.start < self.end, "a segment is not empty"


@dataclass(frozen=True, slots=True)
class _State:
    """What the lifecycle walk knows after each event."""

    offering_id: str
    bandwidth_mbps: Decimal
    activated: bool = False
    suspended: bool = False
    disconnected: bool = False


def _violation(product: Product, event: LifecycleEvent, problem: str) -> LifecycleError:
    return LifecycleError(
        f"product {product.id!r} (circuit {product.circuit_id}): {event.action} at "
        f"{event.at.isoformat()} {problem}"
    )


def _apply_before_activation(product: Product, state: _State, event: LifecycleEvent) -> _State:
    if event.action is LifecycleAction.ORDER:
        return state
    if event.action is LifecycleAction.ACTIVATE:
        return replace(state, activated=True)
    raise _violation(product, event, "comes before the product is activated")


def _apply_while_active(product: Product, state: _State, event: LifecycleEvent) -> _State:
    action = event.action
    if action in (LifecycleAction.ORDER, LifecycleAction.ACTIVATE):
        raise _violation(product, event, "comes after the product was already activated")
    if action is LifecycleAction.CHANGE:
        return replace(
            state,
            offering_id=event.offering_id or state.offering_id,
            bandwidth_mbps=(
                state.bandwidth_mbps if event.bandwidth_mbps is None else event.bandwidth_mbps
            ),
        )
    if action is LifecycleAction.SUSPEND:
        if state.suspended:
            raise _violation(product, event, "comes while the product is already suspended")
        return replace(state, suspended=True)
    if action is LifecycleAction.RESUME:
        if not state.suspended:
            raise _violation(product, event, "comes while the product is not suspended")
        return replace(state, suspended=False)
    assert action is LifecycleAction.DISCONNECT, f"unhandled lifecycle action {action}"
    return replace(state, disconnected=True)


def _apply(product: Product, state: _State, event: LifecycleEvent) -> _State:
    if state.disconnected:
        raise _violation(product, event, "comes after the product was disconnected")
    if not state.activated:
        return _apply_before_activation(product, state, event)
    return _apply_while_active(product, state, event)


def _states(product: Product) -> list[tuple[datetime, _State]]:
    """Each event's instant with the state from that instant on, checked in time order."""
    state = _State(product.offering_id, product.bandwidth_mbps)
    timeline: list[tuple[datetime, _State]] = []
    for event in product.events:
        state = _apply(product, state, event)
        timeline.append((event.at, state))
    return timeline


def segments(product: Product, *, start: datetime, end: datetime) -> tuple[Segment, ...]:
    """The product's segments within [start, end), clipped to it, in time order.

    Raises `LifecycleError` when the events break the lifecycle (checked over all events, not only
    those inside the window, so a bad history fails every bill run the same way).

    >>> from datetime import UTC
    >>> at = lambda day: datetime(2026, 3, day, tzinfo=UTC)
    >>> port = Product("P1", "12.HCGS.1", "A1", "mpls-50", Decimal(50), "S1", "US-PA", (
    ...     LifecycleEvent(at(5), LifecycleAction.ACTIVATE),
    ...     LifecycleEvent(at(16), LifecycleAction.CHANGE, "mpls-100", Decimal(100)),
    ...     LifecycleEvent(at(20), LifecycleAction.SUSPEND),
    ... ))
    >>> [(s.start.day, s.end.day, s.offering_id, s.active)
    ...  for s in segments(port, start=at(1), end=at(25))]
    [(5, 16, 'mpls-50', True), (16, 20, 'mpls-100', True), (20, 25, 'mpls-100', False)]
    """
    assert start <= end, "segments: the window is reversed"
    timeline = _states(product)
    found: list[Segment] = []
    for index, (since, state) in enumerate(timeline):
        if not state.activated or state.disconnected:
            continue
        until = timeline[index + 1][0] if index + 1 < len(timeline) else None
        clipped_start = max(since, start)
        clipped_end = end if until is None else min(until, end)
        if clipped_start < clipped_end:
            found.append(
                Segment(
                    start=clipped_start,
                    end=clipped_end,
                    offering_id=state.offering_id,
                    bandwidth_mbps=state.bandwidth_mbps,
                    active=not state.suspended,
                )
            )
    return tuple(found)


def event_instants(product: Product, action: LifecycleAction) -> tuple[datetime, ...]:
    """When the product's events of one action happened (its activation, its disconnect).

    >>> from datetime import UTC
    >>> port = Product("P1", "C1", "A1", "o", Decimal(1), "S1", "J", (
    ...     LifecycleEvent(datetime(2026, 3, 5, tzinfo=UTC), LifecycleAction.ACTIVATE),))
    >>> [instant.day for instant in event_instants(port, LifecycleAction.ACTIVATE)]
    [5]
    """
    return tuple(event.at for event in product.events if event.action is action)
