"""Schema of the telecom models: per-call duration rating and 95th-percentile bandwidth."""

from datetime import date, time
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from tollway.money import RoundingMode
from tollway.pricing._duration import DayType, DurationRating, RateBand
from tollway.pricing._percentile import Percentile95
from tollway.pricing._rate_intervals import RateInterval, pulse_intervals
from tollway.pricing.schema._common import ExactDecimal, SpecBase, built_under


class RateIntervalSpec(SpecBase):
    """`rate` per `rate_unit_seconds` in steps of `rate_increment_seconds`, from a point on."""

    start_after_seconds: ExactDecimal = Decimal(0)
    rate: ExactDecimal
    rate_unit_seconds: ExactDecimal = Decimal(60)
    rate_increment_seconds: ExactDecimal

    def build(self) -> RateInterval:
        return RateInterval(
            start_after_seconds=self.start_after_seconds,
            rate=self.rate,
            rate_unit_seconds=self.rate_unit_seconds,
            rate_increment_seconds=self.rate_increment_seconds,
        )


class RateBandSpec(SpecBase):
    """A band: explicit `intervals`, or the shorthand `pulse` ("30/6") with one `rate`."""

    name: str | None = None
    zone: str | None = None
    origin_zone: str | None = None
    from_time: time | None = None
    to_time: time | None = None
    day_types: list[DayType] = Field(default_factory=list)
    intervals: list[RateIntervalSpec] | None = None
    pulse: str | None = None
    rate: ExactDecimal | None = None
    rate_unit_seconds: ExactDecimal = Decimal(60)
    connect_fee: ExactDecimal | None = None
    rounding_decimals: int | None = None
    rounding_mode: RoundingMode = RoundingMode.HALF_UP

    @model_validator(mode="after")
    def _intervals_or_pulse(self) -> "RateBandSpec":
        if self.intervals is None and (self.pulse is None or self.rate is None):
            raise ValueError(
                'give either intervals, or a pulse ("60/60", "30/6", "1/1") and a rate'
            )
        if self.intervals is not None and (self.pulse is not None or self.rate is not None):
            raise ValueError("give either intervals or pulse and rate, not both")
        return self

    def build(self) -> RateBand:
        return RateBand(
            intervals=self._intervals(),
            zone=self.zone,
            origin_zone=self.origin_zone,
            from_time=self.from_time,
            to_time=self.to_time,
            day_types=tuple(self.day_types),
            connect_fee=self.connect_fee,
            rounding_decimals=self.rounding_decimals,
            rounding_mode=self.rounding_mode,
            name=self.name,
        )

    def _intervals(self) -> tuple[RateInterval, ...]:
        if self.intervals is not None:
            return tuple(
                built_under(f"intervals[{index}]", interval.build)
                for index, interval in enumerate(self.intervals)
            )
        assert self.pulse is not None and self.rate is not None
        return pulse_intervals(self.pulse, rate=self.rate, rate_unit_seconds=self.rate_unit_seconds)


class DurationRatingSpec(SpecBase):
    """Per-call duration rating (CGRateS / Oracle BRM style)."""

    model: Literal["duration"]
    rates: list[RateBandSpec]
    connect_fee: ExactDecimal = Decimal(0)
    charge_connect_fee_on_zero: bool = False
    holidays: list[date] = Field(default_factory=list)
    split_at_band_boundary: bool = False

    def build(self) -> DurationRating:
        bands = tuple(
            built_under(f"rates[{index}]", band.build) for index, band in enumerate(self.rates)
        )
        return DurationRating(
            rates=bands,
            connect_fee=self.connect_fee,
            charge_connect_fee_on_zero=self.charge_connect_fee_on_zero,
            holidays=tuple(self.holidays),
            split_at_band_boundary=self.split_at_band_boundary,
        )


class Percentile95Spec(SpecBase):
    """Burstable bandwidth: a committed rate at a flat price, burst above it per Mbps."""

    model: Literal["percentile_95"]
    committed_rate_mbps: ExactDecimal
    committed_price: ExactDecimal
    burst_price_per_mbps: ExactDecimal
    percentile: ExactDecimal = Decimal(95)

    def build(self) -> Percentile95:
        return Percentile95(
            committed_rate_mbps=self.committed_rate_mbps,
            committed_price=self.committed_price,
            burst_price_per_mbps=self.burst_price_per_mbps,
            percentile=self.percentile,
        )


SPECS = (DurationRatingSpec, Percentile95Spec)
