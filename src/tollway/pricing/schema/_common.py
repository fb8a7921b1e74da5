"""Shared building blocks of the price schema: exact decimals that refuse floats, a strict base."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


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


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact)]
"""A Decimal field that accepts strings, ints and Decimals, never floats."""


class SpecBase(BaseModel):
    """Base of every schema class: unknown fields are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
