"""How big a generated world is: accounts, circuits per account, usage records per circuit."""

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from tollway.money import TollwayError

SizeName: TypeAlias = Literal["tiny", "small", "medium", "large"]
accounts_max: Final = 1_000_000


class GeneratorSizeError(TollwayError):
    code = "invalid_generator_size"


@dataclass(frozen=True, slots=True)
class SizeProfile:
    """The dimensions of a world. Means, not exact counts: the generator draws around them."""

    name: str
    accounts: int
    circuits_per_account: float
    usage_records_per_circuit: float
    """Mean usage records per circuit and cycle, over all circuits (bandwidth samples excluded)."""
    burstable_share: float
    """The share of circuits that are burstable internet access, each sending a 5-minute sample
    (8,640 a 30-day month); kept small so samples do not swamp the other usage."""


SIZES: Final[dict[str, SizeProfile]] = {
    "tiny": SizeProfile("tiny", 20, 5.0, 10.0, 0.0),
    "small": SizeProfile("small", 1_000, 20.0, 50.0, 0.002),
    "medium": SizeProfile("medium", 10_000, 20.0, 50.0, 0.002),
    "large": SizeProfile("large", 100_000, 20.0, 50.0, 0.002),
}
"""tiny is for demos and tests: about a thousand records a cycle plus the 5-minute samples of
the one burstable circuit every world has (8,640 in a 30-day month); small is the benchmark's
1,000 accounts × ~20 circuits × ~50 records ≈ 1M records a cycle."""


def size_profile(size: SizeName | int) -> SizeProfile:
    """The profile of a named size, or of `size` accounts at the benchmark densities.

    >>> size_profile("small").accounts, size_profile(250).circuits_per_account
    (1000, 20.0)
    """
    if isinstance(size, bool) or not isinstance(size, str | int):
        raise GeneratorSizeError(f"size {size!r}: give tiny, small, medium, large or a count")
    if isinstance(size, int):
        if not 1 <= size <= accounts_max:
            raise GeneratorSizeError(f"size {size}: the account count must be 1 to {accounts_max}")
        return SizeProfile(f"{size} account{'' if size == 1 else 's'}", size, 20.0, 50.0, 0.002)
    profile = SIZES.get(size)
    if profile is None:
        raise GeneratorSizeError(f"unknown size {size!r}: choose one of {', '.join(SIZES)}")
    return profile
