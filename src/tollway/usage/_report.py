"""`LoadReport` and `RejectReason`: what one load did, in counts and stable reason codes."""

from dataclasses import dataclass
from enum import StrEnum


class RejectReason(StrEnum):
    """Why a record was rejected. The values are stable: match on them, log them, show them.

    Listed in the order the checks run; a record gets the first reason that applies.
    """

    MALFORMED_RECORD = "malformed_record"
    MISSING_FIELD = "missing_field"
    BAD_TIMESTAMP = "bad_timestamp"
    TIMESTAMP_WITHOUT_ZONE = "timestamp_without_zone"
    END_BEFORE_START = "end_before_start"
    BAD_QUANTITY = "bad_quantity"
    NEGATIVE_QUANTITY = "negative_quantity"
    QUANTITY_PRECISION = "quantity_precision"
    BAD_CHARACTERISTICS = "bad_characteristics"
    UNKNOWN_CIRCUIT = "unknown_circuit"
    DUPLICATE_IN_LOAD = "duplicate_in_load"
    DUPLICATE_RECORD = "duplicate_record"
    CONFLICTING_DUPLICATE = "conflicting_duplicate"


@dataclass(frozen=True, slots=True)
class LoadReport:
    """The outcome of one load: every submitted record is either accepted or rejected, never lost.

    `rejected_by_reason` holds only reasons that occurred, keyed by `RejectReason` value, sorted
    by code; `periods` are the usage months (UTC, `YYYY-MM`) that received accepted records.

    >>> LoadReport("l1", submitted=3, accepted=2, rejected=1,
    ...            rejected_by_reason={"bad_quantity": 1}, periods=("2024-03",)).accepted
    2
    """

    load_id: str
    submitted: int
    accepted: int
    rejected: int
    rejected_by_reason: dict[str, int]
    periods: tuple[str, ...]

    def __post_init__(self) -> None:
        assert self.accepted + self.rejected == self.submitted, (
            f"load {self.load_id}: accepted {self.accepted} + rejected {self.rejected}"
            f" != submitted {self.submitted}"
        )
        assert sum(self.rejected_by_reason.values()) == self.rejected, self
        assert all(count > 0 for count in self.rejected_by_reason.values()), self
        assert set(self.rejected_by_reason) <= {reason.value for reason in RejectReason}, self
        assert list(self.periods) == sorted(set(self.periods)), self
        assert (self.accepted == 0) == (self.periods == ()), self
