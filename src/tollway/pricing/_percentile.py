"""Burstable bandwidth billed at the 95th percentile of 5-minute samples.

The convention: sort the period's samples (Mbps), discard the highest `floor(n × (100 − p) / 100)`
of them (p = `percentile`, 95 by default: the top 5 %, about 36 hours of a 30-day month) and bill
the highest sample left. The committed rate is paid flat; the billed rate above it is paid per Mbps
of burst. Rounding the discard count down never discards more than the stated share, so the
customer is billed on at least p % of the period: of 100 samples the 5 highest are discarded and
the 95th lowest is billed; of 8640 samples (a 30-day month) 432 are discarded.
A period without samples bills the commitment only.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import ClassVar

from tollway.conventions import Conventions
from tollway.money import Currency
from tollway.pricing._errors import PriceDefinitionError, UsageError
from tollway.pricing._exact import exact_divide, exact_multiply, exact_subtract
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._tiers import require_non_negative
from tollway.pricing._usage import UsageEvent


def discarded_sample_count(sample_count: int, percentile: Decimal) -> int:
    """How many of the highest samples the percentile discards: floor(n × (100 − p) / 100).

    >>> discarded_sample_count(100, Decimal(95)), discarded_sample_count(8640, Decimal(95))
    (5, 432)
    >>> discarded_sample_count(19, Decimal(95))
    0
    """
    assert sample_count >= 0 and Decimal(0) < percentile <= 100
    discarded_share = exact_subtract(Decimal(100), percentile)
    share = exact_divide(exact_multiply(Decimal(sample_count), discarded_share), Decimal(100))
    return int(share.to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True, slots=True)
class Percentile95:
    """Committed rate at a flat price plus burst above it, billed at a percentile of the samples.

    100 samples of 1..100 Mbps, 50 Mbps committed for 500, burst at 12 per Mbps: the 5 highest
    are dropped, 95 Mbps is billed, 500 + 45 × 12 = 1040.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> bandwidth = Percentile95(committed_rate_mbps=Decimal(50), committed_price=Decimal(500),
    ...                          burst_price_per_mbps=Decimal(12))
    >>> samples = [UsageEvent.of(mbps) for mbps in range(1, 101)]
    >>> bandwidth.price(samples, currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('1040.00'), currency=USD)
    """

    model: ClassVar[str] = "percentile_95"

    committed_rate_mbps: Decimal
    committed_price: Decimal
    burst_price_per_mbps: Decimal
    percentile: Decimal = Decimal(95)

    def __post_init__(self) -> None:
        for name in (
            "committed_rate_mbps",
            "committed_price",
            "burst_price_per_mbps",
            "percentile",
        ):
            assert isinstance(getattr(self, name), Decimal), f"{name} must be a Decimal"
        for name in ("committed_rate_mbps", "committed_price", "burst_price_per_mbps"):
            require_non_negative(getattr(self, name), field=name)
        if not Decimal(0) < self.percentile <= 100:
            raise PriceDefinitionError(
                "percentile", f"must be above 0 and at most 100, got {self.percentile}"
            )

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        """Bill the commitment, the burst above it, and state the sample the bill rests on."""
        for index, event in enumerate(events):
            if event.quantity < 0:
                name = event.record_id or f"events[{index}]"
                raise UsageError(f"{name}: sample of {event.quantity} Mbps is negative")
        sample = self._billed_sample(events)
        billed_mbps = Decimal(0) if sample is None else sample.quantity
        lines = [
            self._sample_line(sample, sample_count=len(events)),
            BreakdownLine(
                "committed",
                f"committed {self.committed_rate_mbps} Mbps",
                self.committed_rate_mbps,
                None,
                self.committed_price,
            ),
        ]
        burst_mbps = exact_subtract(billed_mbps, self.committed_rate_mbps)
        if burst_mbps > 0:
            amount = exact_multiply(burst_mbps, self.burst_price_per_mbps)
            description = f"burst {burst_mbps} Mbps above the committed {self.committed_rate_mbps}"
            lines.append(
                BreakdownLine("burst", description, burst_mbps, self.burst_price_per_mbps, amount)
            )
        # The quantity billed is the percentile rate, not the (meaningless) sum of the samples.
        return finalize(lines, quantity=billed_mbps, currency=currency, conventions=conventions)

    def _billed_sample(self, events: Sequence[UsageEvent]) -> UsageEvent | None:
        """The highest sample left after discarding the top share; None without samples."""
        if not events:
            return None
        ordered = sorted(events, key=lambda event: event.quantity)
        discarded = discarded_sample_count(len(ordered), self.percentile)
        return ordered[len(ordered) - discarded - 1]

    def _sample_line(self, sample: UsageEvent | None, *, sample_count: int) -> BreakdownLine:
        """A zero-amount line that says which sample the bill rests on, for a reader to check."""
        if sample is None:
            description = f"{self.percentile}th percentile: no samples, the commitment only"
            return BreakdownLine("percentile_sample", description, Decimal(0), None, Decimal(0))
        discarded = discarded_sample_count(sample_count, self.percentile)
        taken = f" taken {sample.start.isoformat()}" if sample.start is not None else ""
        description = (
            f"{self.percentile}th percentile of {sample_count} samples ({discarded} highest "
            f"discarded): {sample.quantity} Mbps{taken}"
        )
        return BreakdownLine("percentile_sample", description, sample.quantity, None, Decimal(0))
