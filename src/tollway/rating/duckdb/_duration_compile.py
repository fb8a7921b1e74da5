"""Compile a duration price: its bands, rate intervals, holidays and destination prefix lengths."""

import math
from decimal import Decimal, DecimalException, Inexact, localcontext
from fractions import Fraction
from typing import Any, Final

from tollway.conventions import Conventions
from tollway.money import MONEY_CONTEXT, RoundingMode
from tollway.pricing import DayType, DurationRating, RateBand
from tollway.rating.duckdb._parameters import (
    NotExact,
    Rows,
    increment_price_decimals_max,
    units,
    value,
)

_DAY_COLUMNS: Final = {
    DayType.WEEKDAY: "on_weekday",
    DayType.SATURDAY: "on_saturday",
    DayType.SUNDAY: "on_sunday",
    DayType.HOLIDAY: "on_holiday",
}


def duration_rows(
    price_id: str, pricing: DurationRating, conventions: Conventions, rows: Rows
) -> None:
    price = rows["prices"][-1]
    price["timed"] = any(band.is_timed for band in pricing.rates)
    price["connect_fee_on_zero"] = pricing.charge_connect_fee_on_zero
    for index, band in enumerate(pricing.rates):
        rows["bands"].append(_band_row(price_id, index, band, pricing))
        rows["intervals"].extend(_interval_rows(price_id, index, band, conventions))
    for holiday in sorted(set(pricing.holidays)):
        rows["holidays"].append({"price_id": price_id, "holiday": holiday})
    lengths = sorted({len(band.zone) for band in pricing.rates if band.zone is not None})
    rows["zone_lengths"].extend({"price_id": price_id, "zone_length": n} for n in lengths)


def _band_row(price_id: str, index: int, band: RateBand, pricing: DurationRating) -> dict[str, Any]:
    fee = pricing.connect_fee if band.connect_fee is None else band.connect_fee
    decimals = band.rounding_decimals
    row: dict[str, Any] = {
        "price_id": price_id,
        "band_index": index,
        "zone": band.zone,
        "zone_length": len(band.zone or ""),
        "origin_zone": band.origin_zone,
        "origin_length": len(band.origin_zone or ""),
        "timed": band.is_timed,
        "from_time": band.from_time,
        "to_time": band.to_time,
        "wraps": band.from_time is not None
        and band.to_time is not None
        and band.from_time > band.to_time,
        "any_day": not band.day_types,
        "restrictions": band.specificity[1],
        "connect_fee": value(fee, field=f"rates[{index}].connect_fee"),
        "rounding_quantum": None if decimals is None else Decimal(1).scaleb(-decimals),
        "rounding_mode": band.rounding_mode.value,
    }
    row.update({column: day in band.day_types for day, column in _DAY_COLUMNS.items()})
    return row


def _interval_rows(
    price_id: str, band_index: int, band: RateBand, conventions: Conventions
) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for index, interval in enumerate(band.intervals):
        where = f"rates[{band_index}].intervals[{index}]"
        following = band.intervals[index + 1] if index + 1 < len(band.intervals) else None
        next_start = None if following is None else following.start_after_seconds
        result.append(
            {
                "price_id": price_id,
                "band_index": band_index,
                "interval_index": index,
                "next_start": value(next_start, field=f"{where} next start"),
                "step_units": units(interval.rate_increment_seconds, field=f"{where}.increment"),
                "step": interval.rate_increment_seconds,
                "rate": value(interval.rate, field=f"{where}.rate"),
                "increment_price": _increment_price(
                    interval.rate,
                    step=interval.rate_increment_seconds,
                    unit=interval.rate_unit_seconds,
                    conventions=conventions,
                    field=where,
                ),
            }
        )
    return result


def _increment_price(
    rate: Decimal, *, step: Decimal, unit: Decimal, conventions: Conventions, field: str
) -> Decimal | None:
    """What one increment costs, so an interval costs `increments × increment_price` exactly.

    With `increment_rounding_decimals` the model rounds the exact `rate × step / unit` itself.
    Without, an interval costs exactly `rate × billed seconds / unit`, which is increments × this
    price only when `rate × step / unit` terminates: a repeating decimal (1 s at 0.10 per 60 s)
    has no fixed-scale DECIMAL, so such a price falls back to the reference rater.
    """
    exact = Fraction(rate) * Fraction(step) / Fraction(unit)
    decimals = conventions.increment_rounding_decimals
    if decimals is not None:
        rounded_price = _round_fraction(exact, decimals=decimals, mode=conventions.rounding_mode)
        return value(rounded_price, field=f"{field} increment price", decimals=24)
    with localcontext(MONEY_CONTEXT) as context:
        context.traps[Inexact] = True
        try:
            terminating = context.divide(Decimal(exact.numerator), Decimal(exact.denominator))
        except DecimalException:
            raise NotExact(
                f"{field}: rate {rate} × {step} s / {unit} s does not terminate; the reference "
                "rater keeps it as an exact fraction"
            ) from None
    return value(
        terminating, field=f"{field} increment price", decimals=increment_price_decimals_max
    )


def _round_fraction(exact: Fraction, *, decimals: int, mode: RoundingMode) -> Decimal:
    """An exact rational rounded to `decimals` places with a named mode (never via a rounded
    quotient, which could round twice).

    >>> _round_fraction(Fraction(1, 600), decimals=5, mode=RoundingMode.HALF_UP)
    Decimal('0.00167')
    """
    scaled = exact * 10**decimals
    whole = math.trunc(scaled)
    rest = abs(scaled - whole)
    half = Fraction(1, 2)
    away = {
        RoundingMode.UP: rest > 0,
        RoundingMode.DOWN: False,
        RoundingMode.HALF_UP: rest >= half,
        RoundingMode.HALF_EVEN: rest > half or (rest == half and whole % 2 == 1),
    }[mode]
    if away:
        whole += 1 if scaled > 0 else -1
    return Decimal(whole).scaleb(-decimals, context=MONEY_CONTEXT)
