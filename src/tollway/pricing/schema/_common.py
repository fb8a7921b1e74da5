"""Shared building blocks of the price schema: exact, bounded decimals that refuse floats, tier
bounds that may be unbounded, a strict base, and building a part under its field path."""

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Final, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from tollway.pricing._errors import PriceDefinitionError
from tollway.pricing._limits import definition_decimals_max, limit_problem, magnitude_max

_UNBOUNDED_WORDS: Final = frozenset({"inf", "infinity"})

Built = TypeVar("Built")


def _exact(value: Any) -> Any:
    """Reject floats: a price written as 0.1 in JSON must arrive as text or an exact Decimal."""
    if isinstance(value, float):
        raise ValueError(
            f'{value!r} arrived as a binary float; write it as a string ("{value!r}") or load the '
            "file with tollway's loader, which reads numbers exactly"
        )
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, not a number")
    return value


def _within_limits(value: Decimal) -> Decimal:
    """At most 10^24 in absolute value and at most 12 decimals (see `tollway.pricing._limits`)."""
    problem = limit_problem(value, decimals_max=definition_decimals_max)
    if problem is not None:
        raise ValueError(f"{problem}, got {value}")
    return value


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact), AfterValidator(_within_limits)]
"""A Decimal field that accepts strings, ints and Decimals, never floats; at most 10^24 in
absolute value with at most 12 decimals (DECIMAL(38, 12))."""


def _count_within_limits(value: int) -> int:
    """A count (free transactions, blocks per tier) within the same 10^24 as every number."""
    if abs(value) > magnitude_max:
        raise ValueError(f"must be at most 10^24 in absolute value, got {value}")
    return value


BoundedCount = AfterValidator(_count_within_limits)
"""Annotate an int field with it: `Annotated[int, BoundedCount]`."""


def _unbounded_as_none(value: Any) -> Any:
    """ "inf" (Stripe's word for the last tier's bound) means no bound, like null."""
    if isinstance(value, str) and value.strip().lower() in _UNBOUNDED_WORDS:
        return None
    return value


TierBound = Annotated[ExactDecimal | None, BeforeValidator(_unbounded_as_none)]
"""A tier bound: a number, or null / "inf" for no bound."""


class SpecBase(BaseModel):
    """Base of every schema class: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def built_under(path: str, build: Callable[[], Built]) -> Built:
    """Build a part, naming its fields from the enclosing spec when the part refuses itself.

    >>> def refuse() -> None:
    ...     raise PriceDefinitionError("tiers[1].up_to", "must be greater than 10")
    >>> built_under("inner", refuse)
    Traceback (most recent call last):
    ...
    tollway.pricing._errors.PriceDefinitionError: inner.tiers[1].up_to: must be greater than 10
    """
    try:
        return build()
    except PriceDefinitionError as error:
        raise error.under(path) from None
