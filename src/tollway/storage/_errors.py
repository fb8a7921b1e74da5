"""Typed errors of the storage package: expected outcomes a person can act on."""

from tollway.money import TollwayError


class StorageError(TollwayError):
    """Something cannot be stored or read back as it is; the message says what and why."""

    code = "storage_error"


class BillConflictError(StorageError):
    """A bill id was saved before with different content (the world changed under a run?)."""

    code = "bill_conflict"


class BillStateError(StorageError):
    """The bill is not in a state that allows the change (only issued bills are voided, ...)."""

    code = "bill_state"


class BillNotFoundError(StorageError):
    code = "bill_not_found"


class BillRunConflictError(StorageError):
    """A bill run id was used before for another period or bill date."""

    code = "bill_run_conflict"


class OverCreditError(StorageError):
    """Credit notes against a bill would return more than the bill charged."""

    code = "over_credit"
