"""Product instance records."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class LifecycleAction(StrEnum):
    ORDER = "order"
    ACTIVATE = "activate"
    CHANGE = "change"
    """A change of offering and/or bandwidth (upgrade, downgrade) from `at` on."""
    SUSPEND = "suspend"
    RESUME = "resume"
    DISCONNECT = "disconnect"


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    at: datetime
    action: LifecycleAction
    offering_id: str | None = None
    bandwidth_mbps: Decimal | None = None

    def __post_init__(self) -> None:
        assert self.at.tzinfo is not None, "lifecycle times must be timezone-aware"


@dataclass(frozen=True, slots=True)
class Product:
    """A circuit or service instance: circuit id, A/Z sites, bandwidth, jurisdiction, bundle, contract.

    `offering_id` and `bandwidth_mbps` are the values at activation; CHANGE events carry new values.
    """

    id: str
    circuit_id: str
    billing_account_id: str
    offering_id: str
    bandwidth_mbps: Decimal
    site_a_id: str
    jurisdiction_id: str
    events: tuple[LifecycleEvent, ...]
    site_z_id: str | None = None
    agreement_id: str | None = None
    bundle_id: str | None = None
    voice_channels: int = 0
    """Voice lines or channels the instance provides (the measure of per-line 911 fees)."""
    voice_line_type: str | None = None
    """How those channels are counted for per-line fees: pots, trunk, pri, ds1, centrex."""

    def __post_init__(self) -> None:
        times = [event.at for event in self.events]
        assert times == sorted(times), f"{self.id}: lifecycle events must be in time order"
        assert len(set(times)) == len(times), f"{self.id}: two lifecycle events at the same instant"
