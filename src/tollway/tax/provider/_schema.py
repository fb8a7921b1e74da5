"""Pydantic building blocks shared by the documents this package reads at its boundary: the
service mapping, the provider settings and the service's responses.

Numbers are exact: a field of type `ExactNumber` accepts a string, an int or a Decimal and refuses
a binary float (a JSON number decoded without `parse_float=Decimal`) and booleans.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict, ValidationError


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError(
            f"{value!r} is a binary float; send numbers as strings or decode JSON with "
            "parse_float=Decimal"
        )
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a boolean, not a number")
    return value


ExactNumber = Annotated[Decimal, BeforeValidator(_exact)]
"""A finite Decimal from a string, an int or a Decimal; never from a float."""

StrictInteger = Annotated[int, Strict()]
"""An int that is neither a bool, a float nor a string of digits."""

StrictFlag = Annotated[bool, Strict()]
"""A JSON true or false, nothing that merely converts to one."""


class StrictModel(BaseModel):
    """Unknown fields are errors, values are immutable, numbers are finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class LenientModel(BaseModel):
    """For a service's answers: fields this adapter does not read are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


def field_path(location: Sequence[int | str]) -> str:
    """`("inv", 0, "itms", 2, "tax")` → `inv[0].itms[2].tax`.

    >>> field_path(("inv", 0, "itms", 2, "txs", 0, "tax"))
    'inv[0].itms[2].txs[0].tax'
    """
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not str(part).startswith("function-"):
            path = f"{path}.{part}" if path else str(part)
    return path or "(document)"


def _problem(error_type: str, message: str) -> str:
    if error_type == "missing":
        return "is required but missing"
    if error_type == "extra_forbidden":
        return "is not a known field (check the spelling)"
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else error_type


def problems_of(error: ValidationError) -> str:
    """Every problem pydantic found, as `field.path: what is wrong`, joined by "; "."""
    return "; ".join(
        f"{field_path(item['loc'])}: {_problem(item['type'], item['msg'])}"
        for item in error.errors(include_url=False)
    )
