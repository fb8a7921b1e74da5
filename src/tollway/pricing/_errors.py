"""Errors raised while reading or validating a price definition, or pricing unusable usage."""

from collections.abc import Sequence

from tollway.money import TollwayError


class PriceDefinitionError(TollwayError):
    """A price definition is invalid. `field` is a dotted path such as `tiers[2].up_to`.

    Several problems found at once are all kept in `problems`, first one first.

    >>> str(PriceDefinitionError("tiers[1].up_to", "must be greater than the previous tier's 100"))
    "tiers[1].up_to: must be greater than the previous tier's 100"
    """

    code = "invalid_price_definition"

    def __init__(self, field: str, problem: str, *, more: Sequence[tuple[str, str]] = ()) -> None:
        self.problems: tuple[tuple[str, str], ...] = ((field, problem), *more)
        super().__init__("\n".join(f"{where}: {what}" for where, what in self.problems))
        self.field = field
        self.problem = problem

    def under(self, prefix: str) -> "PriceDefinitionError":
        """The same problems with every field path prefixed, e.g. `pricing.tiers[1].up_to`."""
        moved = [(_join(prefix, where), what) for where, what in self.problems]
        return PriceDefinitionError(moved[0][0], moved[0][1], more=moved[1:])


def _join(prefix: str, field: str) -> str:
    if not prefix:
        return field
    if not field:
        return prefix
    return f"{prefix}{field}" if field.startswith("[") else f"{prefix}.{field}"


class UsageError(TollwayError):
    """Usage handed to a price cannot be priced by it (missing transaction amount, start time, ...)."""

    code = "invalid_usage"
