"""Product instances — circuits and services (TMF637 Product) — and their effective-dated lifecycle.

Owns: what each customer has, since when, at what bandwidth and offering: a circuit's lifecycle
events (order, activate, change, suspend, resume, disconnect) in time order, from which billing
derives the segments to charge and prorate.
Invariants: events are in strictly increasing time order; a product is activated before it is
changed, suspended or disconnected; nothing happens after a disconnect.
May import: the pure core. Never I/O.
"""

from tollway.inventory._model import LifecycleAction, LifecycleEvent, Product
from tollway.inventory._timeline import LifecycleError, Segment, event_instants, segments

__all__ = [
    "LifecycleAction",
    "LifecycleError",
    "LifecycleEvent",
    "Product",
    "Segment",
    "event_instants",
    "segments",
]
