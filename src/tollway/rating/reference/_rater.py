"""Row-by-row rating of usage records against price definitions."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from tollway.conventions import Conventions, profile
from tollway.money import TollwayError
from tollway.pricing import PriceDefinition, PriceResult, UsageEvent, price

_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RatableRecord:
    """A usage record ready to rate: the charge it rolls up into, its price, and the event.

    `charge_key` names what records are aggregated under before pricing (for example circuit,
    usage type and billing period); records with the same key and price are priced together, so
    tiers apply to their total.
    """

    charge_key: str
    price_id: str
    event: UsageEvent


@dataclass(frozen=True, slots=True)
class RatedCharge:
    charge_key: str
    price_id: str
    record_count: int
    result: PriceResult


@dataclass(frozen=True, slots=True)
class RatingReject:
    record_id: str | None
    charge_key: str
    price_id: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class RatingOutcome:
    charges: tuple[RatedCharge, ...]
    rejects: tuple[RatingReject, ...]

    @property
    def record_count(self) -> int:
        rated = sum(charge.record_count for charge in self.charges)
        return rated + len(self.rejects)


def _event_order(event: UsageEvent) -> tuple[datetime, str]:
    return (event.start or _EARLIEST, event.record_id or "")


def rate_records(
    records: Iterable[RatableRecord],
    prices: Mapping[str, PriceDefinition],
    *,
    conventions: Conventions | str = "tollway",
) -> RatingOutcome:
    """Group records by (charge key, price) and price each group with the pure core.

    Within a group, events are priced in (start, record_id) order, which order-dependent models
    (free transactions, per-event fees) need to be reproducible. A record naming an unknown price
    is rejected; a group whose usage its model cannot price (a percentage record without its
    transaction amount, a quantity beyond the 10^24 pricing accepts, an amount no 38 digits hold
    exactly) is rejected record by record with the model's message. Every expected failure of the
    pricing core is a `TollwayError`, so one bad record never stops the run; anything else is a
    programming error and does.

    >>> from tollway.pricing.schema import parse_price_definition
    >>> gb = parse_price_definition({"id": "gb", "currency": "USD",
    ...                              "pricing": {"model": "per_unit", "unit_price": "0.10"}})
    >>> records = [RatableRecord("C1", "gb", UsageEvent.of("1.5")),
    ...            RatableRecord("C1", "gb", UsageEvent.of("2")),
    ...            RatableRecord("C2", "nope", UsageEvent.of("1", record_id="r9"))]
    >>> outcome = rate_records(records, {"gb": gb})
    >>> [(c.charge_key, str(c.result.amount)) for c in outcome.charges]
    [('C1', '0.35 USD')]
    >>> [(r.record_id, r.code) for r in outcome.rejects]
    [('r9', 'unknown_price')]
    """
    default = profile(conventions) if isinstance(conventions, str) else conventions
    groups: dict[tuple[str, str], list[UsageEvent]] = {}
    rejects: list[RatingReject] = []
    submitted = 0
    for record in records:
        submitted += 1
        if record.price_id not in prices:
            rejects.append(
                _reject(record.event, record.charge_key, record.price_id, _unknown(record))
            )
            continue
        groups.setdefault((record.charge_key, record.price_id), []).append(record.event)
    charges: list[RatedCharge] = []
    for (charge_key, price_id), events in sorted(groups.items()):
        ordered = sorted(events, key=_event_order)
        try:
            result = price(prices[price_id], ordered, conventions=default)
        except TollwayError as error:
            rejects.extend(_reject(event, charge_key, price_id, error) for event in ordered)
            continue
        charges.append(RatedCharge(charge_key, price_id, len(ordered), result))
    outcome = RatingOutcome(tuple(charges), tuple(sorted(rejects, key=_reject_order)))
    assert outcome.record_count == submitted, "every record is rated or rejected"
    return outcome


class _UnknownPriceError(TollwayError):
    code = "unknown_price"


def _unknown(record: RatableRecord) -> TollwayError:
    return _UnknownPriceError(
        f"no price {record.price_id!r} in the catalog for charge {record.charge_key!r}"
    )


def _reject(event: UsageEvent, charge_key: str, price_id: str, error: TollwayError) -> RatingReject:
    return RatingReject(event.record_id, charge_key, price_id, error.code, error.message)


def _reject_order(reject: RatingReject) -> tuple[str, str, str]:
    return (reject.charge_key, reject.price_id, reject.record_id or "")
