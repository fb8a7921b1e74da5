"""Errors raised while reading or validating a price definition."""

from tollway.money import TollwayError


class PriceDefinitionError(TollwayError):
    """A price definition is invalid. `field` is a dotted path such as `tiers[2].up_to`.

    >>> str(PriceDefinitionError("tiers[1].up_to", "must be greater than the previous tier's 100"))
    "tiers[1].up_to: must be greater than the previous tier's 100"
    """

    code = "invalid_price_definition"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class UsageError(TollwayError):
    """Usage handed to a price cannot be priced by it (missing transaction amount, start time, ...)."""

    code = "invalid_usage"
