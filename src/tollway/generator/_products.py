"""Generated inventory: each account's circuits with their lifecycle, and the plan of their usage.

Most circuits were activated before the first cycle; about one in eight is ordered and activated
during the generated cycles (a mid-cycle activation with its installation charge). During the
cycles a few circuits are upgraded (a CHANGE of bandwidth or edge size), suspended (and usually
resumed) or disconnected. The usage plan records, per usage-bearing circuit, the windows in which
it is active, so usage is only ever generated while a circuit is active.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np

from tollway.generator._catalog import (
    BUNDLE_ID,
    BUNDLE_OFFERINGS,
    OFFERINGS_BY_ID,
    UPGRADES,
    OfferingPlan,
)
from tollway.generator._customers import AccountPlan
from tollway.generator._sizes import SizeProfile

USAGE_KINDS: Final = ("data", "voice", "security_events", "bandwidth_sample")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_FAMILY_WEIGHTS: Final = {
    "business": (0.30, 0.15, 0.25, 0.12, 0.18),
    "government": (0.35, 0.15, 0.15, 0.20, 0.15),
    "wholesale": (0.20, 0.40, 0.05, 0.05, 0.30),
}
"""Shares of mpls, dia, sdwan, security, sip circuits by customer class."""
_FAMILY_OFFERINGS: Final = {
    "mpls": (("mpls-port",), (1.0,)),
    "sdwan": (("sdwan-edge-s", "sdwan-edge-m", "sdwan-edge-l"), (0.4, 0.4, 0.2)),
    "security": (("sec-firewall", "sec-threat"), (0.7, 0.3)),
    "sip": (
        ("sip-trunk-10", "sip-trunk-23", "sip-trunk-46", "sip-trunk-100"),
        (0.3, 0.4, 0.2, 0.1),
    ),
}
_SERVICE_CODES: Final = {
    "mpls": "KQXN",
    "dia": "KFXS",
    "sdwan": "VLXP",
    "security": "SEXC",
    "sip": "TKXS",
}
_FAMILIES: Final = ("mpls", "dia", "sdwan", "security", "sip")
_FIRST_ACCOUNT_OFFERINGS: Final = ("sdwan-edge-m", "sec-firewall", "sip-trunk-23", "dia-burst-100")
_NEW_CIRCUIT_SHARE: Final = 0.12
_HISTORY_MINUTES: Final = 36 * 30 * 24 * 60
"""Circuits active before the first cycle were activated up to about three years earlier."""


@dataclass(slots=True)
class UsagePlan:
    """Per usage-bearing circuit: what it sends; per active window: when (epoch seconds)."""

    circuit_ids: list[str] = field(default_factory=list)
    kinds: list[int] = field(default_factory=list)
    committed_kbps: list[int] = field(default_factory=list)
    port_kbps: list[int] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    window_circuit: list[int] = field(default_factory=list)
    window_cycle: list[int] = field(default_factory=list)
    window_start_s: list[int] = field(default_factory=list)
    window_end_s: list[int] = field(default_factory=list)

    def add(
        self,
        circuit_id: str,
        offering: OfferingPlan,
        *,
        port_mbps: int,
        origin: str,
        windows: list[tuple[int, int, int]],
    ) -> None:
        assert offering.usage_type is not None
        circuit = len(self.circuit_ids)
        self.circuit_ids.append(circuit_id)
        self.kinds.append(USAGE_KINDS.index(offering.usage_type))
        self.committed_kbps.append(offering.committed_mbps * 1000)
        self.port_kbps.append(port_mbps * 1000)
        self.origins.append(origin)
        for cycle, start_s, end_s in windows:
            self.window_circuit.append(circuit)
            self.window_cycle.append(cycle)
            self.window_start_s.append(start_s)
            self.window_end_s.append(end_s)


@dataclass(slots=True)
class ProductsBuilder:
    """Yields products.jsonl documents account by account, filling `usage` as it goes."""

    profile: SizeProfile
    rng: np.random.Generator
    periods: tuple[datetime, ...]
    usage: UsagePlan
    count: int = 0
    pending: set[str] = field(default_factory=lambda: {"new", "change", "suspend", "disconnect"})
    """Scenarios every world shows at least once; each is forced on the first product it fits."""
    forced_here: bool = False

    def _forced(self, scenario: str, *, fits: bool = True) -> bool:
        """Whether this product is made to show `scenario` (one forced scenario per product)."""
        if fits and not self.forced_here and scenario in self.pending:
            self.pending.discard(scenario)
            self.forced_here = True
            return True
        return False

    def documents(self, plans: list[AccountPlan]) -> Iterator[dict[str, Any]]:
        for plan in plans:
            yield from self._account_products(plan)

    def _account_products(self, plan: AccountPlan) -> Iterator[dict[str, Any]]:
        circuit_count = max(1, int(self.rng.poisson(self.profile.circuits_per_account)))
        offerings = [self._offering(plan.customer_class) for _ in range(circuit_count)]
        if self.count == 0:
            # The first account buys one of each usage family and the bundle, so every world,
            # however small, has every kind of usage and a bundle discount.
            offerings[:0] = [OFFERINGS_BY_ID[name] for name in _FIRST_ACCOUNT_OFFERINGS]
        ids = {offering.id for offering in offerings}
        bundled = "sec-firewall" in ids and bool(ids & {"sdwan-edge-m", "sdwan-edge-l"})
        for offering in offerings:
            yield self._product(plan, offering, bundled=bundled and offering.id in BUNDLE_OFFERINGS)

    def _offering(self, customer_class: str) -> OfferingPlan:
        family = _FAMILIES[int(self.rng.choice(5, p=_FAMILY_WEIGHTS[customer_class]))]
        if family == "dia":
            share = self.profile.burstable_share / _FAMILY_WEIGHTS["business"][1]
            if self.rng.random() < share:
                return OFFERINGS_BY_ID[
                    "dia-burst-100" if self.rng.random() < 0.7 else "dia-burst-500"
                ]
            return OFFERINGS_BY_ID["dia"]
        names, weights = _FAMILY_OFFERINGS[family]
        return OFFERINGS_BY_ID[names[int(self.rng.choice(len(names), p=weights))]]

    def _product(
        self, plan: AccountPlan, offering: OfferingPlan, *, bundled: bool
    ) -> dict[str, Any]:
        self.count += 1
        self.forced_here = False
        site = int(self.rng.integers(0, len(plan.site_ids)))
        bandwidths = offering.bandwidths_mbps
        bandwidth = bandwidths[int(self.rng.integers(0, max(1, len(bandwidths) - 1)))]
        circuit_id = (
            f"{self.count % 100:02d}.{_SERVICE_CODES[offering.family]}.{self.count:07d}..TW"
        )
        events = self._lifecycle(offering, bandwidth)
        document: dict[str, Any] = {
            "id": f"PRD-{self.count:08d}",
            "circuit_id": circuit_id,
            "billing_account_id": plan.id,
            "offering_id": offering.id,
            "bandwidth_mbps": Decimal(bandwidth),
            "site_a_id": plan.site_ids[site],
            "jurisdiction_id": plan.jurisdiction_ids[site],
        }
        if offering.family == "mpls" and len(plan.site_ids) > 1 and self.rng.random() < 0.3:
            document["site_z_id"] = plan.site_ids[(site + 1) % len(plan.site_ids)]
        if offering.channels:
            # Voice channels are the measure of per-line 911 fees; a trunk sized in whole PRIs
            # (23 bearer channels each) is counted as PRIs, any other as a trunk of channels.
            document["voice_channels"] = offering.channels
            document["voice_line_type"] = "pri" if offering.channels % 23 == 0 else "trunk"
        if plan.agreement_id is not None:
            document["agreement_id"] = plan.agreement_id
        if bundled:
            document["bundle_id"] = BUNDLE_ID
        document["events"] = events
        if offering.usage_type is not None:
            origin = f"+1{plan.area_code}{int(self.rng.integers(2_000_000, 10_000_000))}"
            self.usage.add(
                circuit_id,
                offering,
                port_mbps=bandwidth,
                origin=origin,
                windows=self._windows(events),
            )
        return document

    def _lifecycle(self, offering: OfferingPlan, bandwidth: int) -> list[dict[str, Any]]:
        first, last = self.periods[0], self.periods[-1]
        span_minutes = int((last - first).total_seconds()) // 60
        if self.rng.random() < _NEW_CIRCUIT_SHARE or self._forced("new"):
            activate = first + timedelta(minutes=int(self.rng.integers(0, span_minutes - 2 * 1440)))
            order = activate - timedelta(days=int(self.rng.integers(5, 31)))
            events = [{"at": order, "action": "order"}, {"at": activate, "action": "activate"}]
        else:
            activate = first - timedelta(minutes=int(self.rng.integers(1440, _HISTORY_MINUTES)))
            events = [{"at": activate, "action": "activate"}]
        changes = self._changes(offering, bandwidth)
        start = max(activate, first) + timedelta(hours=1)
        room_minutes = int((last - start).total_seconds()) // 60 - len(changes)
        if changes and room_minutes > 0:
            offsets = np.sort(self.rng.integers(0, room_minutes, size=len(changes))) + np.arange(
                len(changes)
            )
            for offset, change in zip(offsets.tolist(), changes, strict=True):
                events.append({"at": start + timedelta(minutes=offset), **change})
        return events

    def _changes(self, offering: OfferingPlan, bandwidth: int) -> list[dict[str, Any]]:
        """The in-cycle events a circuit goes through, in order (usually none)."""
        changes: list[dict[str, Any]] = []
        faster = [speed for speed in offering.bandwidths_mbps if speed > bandwidth]
        can_change = bool(faster) or offering.id in UPGRADES
        if can_change and (self.rng.random() < 0.05 or self._forced("change")):
            if faster:
                changes.append({"action": "change", "bandwidth_mbps": Decimal(faster[0])})
            else:
                changes.append({"action": "change", "offering_id": UPGRADES[offering.id]})
        if self.rng.random() < 0.02 or self._forced("suspend"):
            changes.append({"action": "suspend"})
            if self.rng.random() < 0.6 or self.forced_here:
                changes.append({"action": "resume"})
        if self.rng.random() < 0.03 or self._forced("disconnect"):
            changes.append({"action": "disconnect"})
        return changes

    def _windows(self, events: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
        """(cycle, start, end) in epoch seconds for every stretch the circuit is active in a cycle."""
        active: list[tuple[datetime, datetime]] = []
        since: datetime | None = None
        for event in events:
            if event["action"] in ("activate", "resume"):
                since = event["at"]
            elif event["action"] in ("suspend", "disconnect") and since is not None:
                active.append((since, event["at"]))
                since = None
        if since is not None:
            active.append((since, self.periods[-1]))
        windows: list[tuple[int, int, int]] = []
        for cycle, (cycle_start, cycle_end) in enumerate(
            zip(self.periods, self.periods[1:], strict=False)
        ):
            for start, end in active:
                low, high = max(start, cycle_start), min(end, cycle_end)
                if low < high:
                    windows.append((cycle, _seconds(low), _seconds(high)))
        return windows


def _seconds(instant: datetime) -> int:
    return int((instant - _EPOCH).total_seconds())
