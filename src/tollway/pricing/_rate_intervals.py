"""Rate intervals of telecom duration rating and the seconds a call is billed in each.

An interval (CGRateS Rates.csv GroupIntervalStart / Rate / RateUnit / RateIncrement) applies from
`start_after_seconds` of a call on: usage costs `rate` per `rate_unit_seconds`, in steps of
`rate_increment_seconds`, the usage inside an interval rounded up to whole steps. A last step
reaching past the next interval's start is charged whole at its own rate and the next interval
starts where it ends (see `_duration` for the sources). Steps are counted by integer division, so
the billed seconds are exact for any duration.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from tollway.money import DecimalLike, to_decimal
from tollway.pricing._errors import PriceDefinitionError
from tollway.pricing._exact import exact_add, exact_multiply, exact_subtract, whole_divisions

intervals_per_band_max: Final = 100


def require(condition: bool, field: str, problem: str) -> None:
    """Raise a PriceDefinitionError naming `field` unless `condition` holds."""
    if not condition:
        raise PriceDefinitionError(field, problem)


@dataclass(frozen=True, slots=True)
class RateInterval:
    """From `start_after_seconds` of a call on: `rate` per `rate_unit_seconds`, billed in whole
    steps of `rate_increment_seconds` (CGRateS GroupIntervalStart / Rate / RateUnit / RateIncrement).

    >>> RateInterval.of(rate="0.10", rate_increment_seconds=6).rate_unit_seconds
    Decimal('60')
    """

    start_after_seconds: Decimal
    rate: Decimal
    rate_unit_seconds: Decimal
    rate_increment_seconds: Decimal

    def __post_init__(self) -> None:
        numbers = (self.start_after_seconds, self.rate, self.rate_unit_seconds)
        assert all(isinstance(value, Decimal) for value in numbers), "use RateInterval.of"
        assert isinstance(self.rate_increment_seconds, Decimal), "use RateInterval.of"
        require(self.start_after_seconds >= 0, "start_after_seconds", "must not be negative")
        require(self.rate >= 0, "rate", f"must not be negative, got {self.rate}")
        require(self.rate_unit_seconds > 0, "rate_unit_seconds", "must be greater than 0")
        require(self.rate_increment_seconds > 0, "rate_increment_seconds", "must be greater than 0")

    @classmethod
    def of(
        cls,
        *,
        rate: DecimalLike,
        rate_increment_seconds: DecimalLike,
        rate_unit_seconds: DecimalLike = 60,
        start_after_seconds: DecimalLike = 0,
    ) -> "RateInterval":
        """Build an interval from strings, ints or Decimals (never floats)."""
        return cls(
            start_after_seconds=to_decimal(start_after_seconds, field="start_after_seconds"),
            rate=to_decimal(rate, field="rate"),
            rate_unit_seconds=to_decimal(rate_unit_seconds, field="rate_unit_seconds"),
            rate_increment_seconds=to_decimal(
                rate_increment_seconds, field="rate_increment_seconds"
            ),
        )


def pulse_intervals(
    pulse: str, *, rate: DecimalLike, rate_unit_seconds: DecimalLike = 60
) -> tuple[RateInterval, ...]:
    """Rate intervals for the telecom "first/step" notation: "60/60", "30/6", "1/1".

    The first number is the first charged block (a shorter call pays the whole block), the second
    the step charged after it; both at `rate` per `rate_unit_seconds`.

    >>> [(str(i.start_after_seconds), str(i.rate_increment_seconds))
    ...  for i in pulse_intervals("30/6", rate="0.10")]
    [('0', '30'), ('30', '6')]
    >>> len(pulse_intervals("60/60", rate="0.10"))
    1
    """
    first_text, _, step_text = pulse.partition("/")
    texts = (first_text.strip(), step_text.strip())
    if not all(text.isdecimal() and int(text) > 0 for text in texts):
        raise PriceDefinitionError(
            "pulse", f'{pulse!r} is not "first/step" in whole seconds above 0, such as "30/6"'
        )
    first_seconds, step_seconds = int(texts[0]), int(texts[1])
    first = RateInterval.of(
        rate=rate, rate_unit_seconds=rate_unit_seconds, rate_increment_seconds=first_seconds
    )
    if first_seconds == step_seconds:
        return (first,)
    step = RateInterval.of(
        start_after_seconds=first_seconds,
        rate=rate,
        rate_unit_seconds=rate_unit_seconds,
        rate_increment_seconds=step_seconds,
    )
    return (first, step)


def billed_seconds_by_interval(
    intervals: Sequence[RateInterval], duration_seconds: Decimal
) -> tuple[Decimal, ...]:
    """The seconds billed in each interval for a call of `duration_seconds` (see the module notes).

    >>> sixty = pulse_intervals("60/60", rate="1")
    >>> billed_seconds_by_interval(sixty, Decimal(61))
    (Decimal('120'),)
    >>> billed_seconds_by_interval(pulse_intervals("30/6", rate="1"), Decimal(31))
    (Decimal('30'), Decimal('6'))
    """
    assert duration_seconds >= 0, "a call's duration is never negative"
    position = Decimal(0)
    billed: list[Decimal] = []
    for index, interval in enumerate(intervals):
        is_last = index + 1 == len(intervals)
        end = duration_seconds if is_last else intervals[index + 1].start_after_seconds
        usage = exact_subtract(min(duration_seconds, end), position)
        if usage <= 0:
            billed.append(Decimal(0))
            continue
        step = interval.rate_increment_seconds
        seconds = exact_multiply(whole_divisions(usage, step, round_up=True), step)
        position = exact_add(position, seconds)
        billed.append(seconds)
    assert position >= duration_seconds
    return tuple(billed)


def check_intervals(intervals: tuple[RateInterval, ...]) -> None:
    require(bool(intervals), "intervals", "must list at least one rate interval")
    require(
        len(intervals) <= intervals_per_band_max,
        "intervals",
        f"must list at most {intervals_per_band_max} rate intervals",
    )
    assert all(isinstance(interval, RateInterval) for interval in intervals)
    require(
        intervals[0].start_after_seconds == 0,
        "intervals[0].start_after_seconds",
        "must be 0: the first interval rates a call from its first second",
    )
    for index in range(1, len(intervals)):
        previous = intervals[index - 1].start_after_seconds
        require(
            intervals[index].start_after_seconds > previous,
            f"intervals[{index}].start_after_seconds",
            f"must be greater than the previous interval's start {previous}",
        )
