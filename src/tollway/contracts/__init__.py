"""Customer agreements (TMF651): term, minimum commitments, early termination, price overrides.

Owns: what a customer signed. A commitment is evaluated at the end of each commitment period and a
shortfall becomes a penalty charge; an override replaces a catalog price for the agreement's
products. Invariants: commitment amounts and percentages are non-negative; an override names an
existing catalog price id.
May import: the pure core, `tollway.catalog`. Never I/O.
"""

from tollway.contracts._model import (
    Agreement,
    Commitment,
    CommitmentPeriod,
    EarlyTermination,
    PriceOverride,
)

__all__ = ["Agreement", "Commitment", "CommitmentPeriod", "EarlyTermination", "PriceOverride"]
