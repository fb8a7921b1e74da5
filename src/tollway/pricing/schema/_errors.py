"""Turn pydantic's validation errors into a `PriceDefinitionError` with readable field paths."""

from collections.abc import Collection, Sequence

from pydantic import ValidationError

from tollway.pricing._errors import PriceDefinitionError


def field_path(location: Sequence[int | str], *, tags: Collection[str]) -> str:
    """`('pricing', 'graduated', 'tiers', 1, 'up_to')` → `pricing.tiers[1].up_to`.

    Pydantic puts a discriminated union's tag (the model name) into the location; a reader does not
    write it, so it is dropped.

    >>> field_path(("pricing", "graduated", "tiers", 1, "up_to"), tags={"graduated"})
    'pricing.tiers[1].up_to'
    """
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in tags or part.startswith("function-"):
            continue
        else:
            path = f"{path}.{part}" if path else part
    return path or "(document)"


def _problem(error_type: str, message: str) -> str:
    if error_type == "missing":
        return "is required but missing"
    if error_type == "extra_forbidden":
        return "is not a known field (check the spelling)"
    if error_type == "union_tag_invalid":
        return message.replace("Input tag", "model").replace(
            "found using 'model' does not", "does not"
        )
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else error_type


def from_validation_error(
    error: ValidationError, *, tags: Collection[str], prefix: str = ""
) -> PriceDefinitionError:
    """One `PriceDefinitionError` carrying every problem pydantic found, in its order."""
    problems = [
        (field_path(item["loc"], tags=tags), _problem(item["type"], item["msg"]))
        for item in error.errors(include_url=False)
    ]
    assert problems, "a ValidationError always has at least one error"
    found = PriceDefinitionError(problems[0][0], problems[0][1], more=problems[1:])
    return found.under(prefix) if prefix else found
