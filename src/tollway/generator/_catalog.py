"""The generated operator's catalog: five product families, their prices, and one bundle.

Families and how they charge (USD; demonstration prices):

- MPLS ports: a monthly charge by bandwidth step (stairstep on the port's Mbps), installation NRC.
- Dedicated internet access (DIA): a monthly per-Mbps charge by volume tier that rises at the start
  of the second cycle (an effective-dated price change), installation NRC. Burstable DIA instead
  pays a committed rate plus burst at the 95th percentile of 5-minute bandwidth samples.
- SD-WAN edges: a monthly charge by edge size plus graduated data (GB) above an allowance.
- Managed security: a monthly charge plus security events, in packages or per event.
- SIP trunks: a monthly charge per channel (one offering per trunk size) plus voice minutes rated
  by destination zone with a weekday peak band in New York time.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

FAMILIES: Final = ("mpls", "dia", "sdwan", "security", "sip")


@dataclass(frozen=True, slots=True)
class OfferingPlan:
    """What the generator needs to know about an offering to sell it and send its usage."""

    id: str
    family: str
    name: str
    bandwidths_mbps: tuple[int, ...]
    """The port or edge speeds it is sold at; all but the fastest are sold new, and a circuit is
    upgraded to the next speed."""
    usage_type: str | None = None
    committed_mbps: int = 0
    """Burstable internet only: the committed rate billed flat."""
    channels: int = 0


OFFERINGS: Final = (
    OfferingPlan("mpls-port", "mpls", "MPLS port", (10, 50, 100, 500, 1000)),
    OfferingPlan("dia", "dia", "Dedicated internet access", (50, 100, 500, 1000)),
    OfferingPlan("dia-burst-100", "dia", "Burstable internet, 100 Mbps committed", (1000,),
                 "bandwidth_sample", committed_mbps=100),
    OfferingPlan("dia-burst-500", "dia", "Burstable internet, 500 Mbps committed", (1000, 10000),
                 "bandwidth_sample", committed_mbps=500),
    OfferingPlan("sdwan-edge-s", "sdwan", "SD-WAN edge, small", (100,), "data"),
    OfferingPlan("sdwan-edge-m", "sdwan", "SD-WAN edge, medium", (500,), "data"),
    OfferingPlan("sdwan-edge-l", "sdwan", "SD-WAN edge, large", (1000,), "data"),
    OfferingPlan("sec-firewall", "security", "Managed firewall", (1000,), "security_events"),
    OfferingPlan("sec-threat", "security", "Threat detection and response", (1000,),
                 "security_events"),
    OfferingPlan("sip-trunk-10", "sip", "SIP trunk, 10 channels", (2,), "voice", channels=10),
    OfferingPlan("sip-trunk-23", "sip", "SIP trunk, 23 channels", (5,), "voice", channels=23),
    OfferingPlan("sip-trunk-46", "sip", "SIP trunk, 46 channels", (10,), "voice", channels=46),
    OfferingPlan("sip-trunk-100", "sip", "SIP trunk, 100 channels", (20,), "voice", channels=100),
)  # fmt: skip
OFFERINGS_BY_ID: Final = {offering.id: offering for offering in OFFERINGS}
BUNDLE_ID: Final = "sdwan-secure"
BUNDLE_OFFERINGS: Final = ("sdwan-edge-m", "sdwan-edge-l", "sec-firewall")
UPGRADES: Final = {"sdwan-edge-s": "sdwan-edge-m", "sdwan-edge-m": "sdwan-edge-l"}
"""Offering changes the generator makes (bandwidth upgrades stay within an offering)."""
VOICE_TIME_ZONE: Final = "America/New_York"

_SIP_CHANNEL_PRICE: Final = Decimal("16.50")
_MONTHLY: Final = {
    "sdwan-edge-s": "180.00",
    "sdwan-edge-m": "320.00",
    "sdwan-edge-l": "650.00",
    "sec-firewall": "420.00",
    "sec-threat": "900.00",
}
_MPLS_STEPS: Final = ((10, "350.00"), (50, "600.00"), (100, "850.00"), (500, "1900.00"),
                      (1000, "2900.00"), (None, "4800.00"))  # fmt: skip
_DIA_PRICES: Final = (("9.00", "4.50", "1.80"), ("9.30", "4.65", "1.85"))
"""Per-Mbps prices up to 100 Mbps, up to 1000, above: before and after the price change."""
_BURSTABLE_PRICES: Final = {100: ("800.00", "6.00"), 500: ("2600.00", "4.20")}
"""Committed price and burst price per Mbps, by committed rate."""
_INSTALLATION: Final = {"mpls": "500.00", "dia": "750.00"}
_EDGE_INCLUDED_GB: Final = {"sdwan-edge-s": 250, "sdwan-edge-m": 500, "sdwan-edge-l": 1000}


def _price(
    price_id: str, kind: str, pricing: dict[str, Any], *, valid_from: datetime, **extra: Any
) -> dict[str, Any]:
    return {
        "id": price_id,
        "kind": kind,
        **extra,
        "valid_from": valid_from,
        "price": {"currency": "USD", "pricing": pricing},
    }


def _flat(amount: str) -> dict[str, Any]:
    return {"model": "flat", "amount": amount}


def voice_rates() -> dict[str, Any]:
    """The SIP voice tariff: per-minute rates by destination zone, a weekday peak band at home."""
    zones = [
        ("UK mobile", "447", "30/6", "0.0900"),
        ("UK", "44", "30/6", "0.0250"),
        ("Germany", "49", "30/6", "0.0280"),
        ("France", "33", "30/6", "0.0260"),
        ("Mexico", "52", "60/60", "0.0450"),
        ("Japan", "81", "60/60", "0.0600"),
        ("India", "91", "60/60", "0.0750"),
    ]
    rates: list[dict[str, Any]] = [
        {
            "name": "US peak",
            "zone": "1",
            "from_time": "08:00",
            "to_time": "18:00",
            "day_types": ["weekday"],
            "pulse": "6/6",
            "rate": "0.0120",
        },
        {"name": "US off-peak", "zone": "1", "pulse": "6/6", "rate": "0.0080"},
    ]
    rates += [
        {"name": name, "zone": zone, "pulse": pulse, "rate": rate}
        for name, zone, pulse, rate in zones
    ]
    rates.append({"name": "Rest of world", "pulse": "60/60", "rate": "0.2500"})
    return {"model": "duration", "rates": rates}


def _offering_prices(offering: OfferingPlan, *, since: datetime, change_at: datetime) -> list[Any]:
    """The prices of one offering: monthly, installation, usage, as it has them."""
    prices = _monthly_prices(offering, since=since, change_at=change_at)
    installation = _INSTALLATION.get(offering.family)
    if installation is not None:
        installation_name = f"{offering.name}, installation"
        prices.append(
            _price(f"{offering.id}-install", "one_time", _flat(installation), valid_from=since,
                   name=installation_name)
        )  # fmt: skip
    usage = _usage_pricing(offering)
    if usage is not None:
        usage_price = _price(f"{offering.id}-usage", "usage", usage, valid_from=since,
                             usage_type=offering.usage_type, name=f"{offering.name}, usage")  # fmt: skip
        if offering.usage_type == "voice":
            usage_price["price"]["conventions"] = {"time_zone": VOICE_TIME_ZONE}
        prices.append(usage_price)
    return prices


def _monthly_prices(
    offering: OfferingPlan, *, since: datetime, change_at: datetime
) -> list[dict[str, Any]]:
    """The monthly charge; internet access has two, the second from `change_at`; burstable
    internet has none (its commitment is part of its usage price)."""
    name = f"{offering.name}, monthly"
    if offering.id == "mpls-port":
        steps = [{"up_to": up_to, "amount": amount} for up_to, amount in _MPLS_STEPS]
        pricing = {"model": "stairstep", "steps": steps}
        return [_price("mpls-port-mrc", "recurring_advance", pricing, valid_from=since,
                       quantity_basis="bandwidth_mbps", name=name)]  # fmt: skip
    if offering.id == "dia":
        first = _price("dia-mrc-v1", "recurring_advance", _dia_tiers(_DIA_PRICES[0]),
                       valid_from=since, valid_to=change_at, quantity_basis="bandwidth_mbps",
                       name=name)  # fmt: skip
        second = _price("dia-mrc-v2", "recurring_advance", _dia_tiers(_DIA_PRICES[1]),
                        valid_from=change_at, quantity_basis="bandwidth_mbps", name=name)  # fmt: skip
        return [first, second]
    if offering.committed_mbps:
        return []
    amount = _MONTHLY.get(offering.id) or str(_SIP_CHANNEL_PRICE * offering.channels)
    return [_price(f"{offering.id}-mrc", "recurring_advance", _flat(amount), valid_from=since,
                   name=name)]  # fmt: skip


def _dia_tiers(unit_prices: tuple[str, str, str]) -> dict[str, Any]:
    """Every Mbps at the price of the tier the port's speed reaches (volume pricing)."""
    bounds = (100, 1000, None)
    tiers = [
        {"up_to": up_to, "unit_price": price}
        for up_to, price in zip(bounds, unit_prices, strict=True)
    ]
    return {"model": "volume", "tiers": tiers}


def _usage_pricing(offering: OfferingPlan) -> dict[str, Any] | None:
    if offering.committed_mbps:
        committed_price, burst_price = _BURSTABLE_PRICES[offering.committed_mbps]
        return {"model": "percentile_95", "committed_rate_mbps": offering.committed_mbps,
                "committed_price": committed_price, "burst_price_per_mbps": burst_price}  # fmt: skip
    if offering.family == "sdwan":
        included = _EDGE_INCLUDED_GB[offering.id]
        tiers = [{"up_to": included, "unit_price": "0"},
                 {"up_to": included * 4, "unit_price": "0.05"},
                 {"up_to": None, "unit_price": "0.03"}]  # fmt: skip
        return {"model": "graduated", "tiers": tiers}
    if offering.id == "sec-firewall":
        return {"model": "package", "package_size": 1000, "package_price": "2.50",
                "free_units": 20000}  # fmt: skip
    if offering.id == "sec-threat":
        return {"model": "per_unit", "unit_price": "0.004"}
    if offering.family == "sip":
        return voice_rates()
    return None


def catalog_document(*, since: datetime, change_at: datetime) -> dict[str, Any]:
    """catalog.yaml: every offering's prices from `since`; the DIA price rises at `change_at`."""
    offerings = [
        {
            "id": offering.id,
            "name": offering.name,
            "product_type": offering.family,
            "prices": _offering_prices(offering, since=since, change_at=change_at),
        }
        for offering in OFFERINGS
    ]
    bundle = {
        "id": BUNDLE_ID,
        "name": "Secure SD-WAN",
        "offering_ids": list(BUNDLE_OFFERINGS),
        "discount_percent": "10",
    }
    return {"offerings": offerings, "bundles": [bundle]}
