"""The reference rater: row by row, obviously correct, slow on purpose.

Owns: grouping usage records into charges (one per charge key and price) and pricing each charge
with the pure pricing core. Invariants: every record is either in exactly one rated charge or in
the rejects with a reason; output order is sorted, so the same input always gives the same output.
May import: the pure core only (`tollway.money`, `tollway.conventions`, `tollway.pricing`).
"""

from tollway.rating.reference._rater import (
    RatableRecord,
    RatedCharge,
    RatingOutcome,
    RatingReject,
    rate_records,
)

__all__ = ["RatableRecord", "RatedCharge", "RatingOutcome", "RatingReject", "rate_records"]
