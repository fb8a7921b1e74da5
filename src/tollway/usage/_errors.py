"""Errors that stop a whole load before anything is written: the load as a whole cannot go ahead.

A problem with one record is never an error: it becomes a reject row with a stable reason code.
"""

from tollway.money import TollwayError


class UsageStoreError(TollwayError):
    """The store cannot do what was asked (a load_id unfit for a file name, an unknown time zone).

    Subclasses name the cause: a file that cannot be read, a store busy with another load.
    """

    code = "usage_store_error"


class UsageFileError(UsageStoreError):
    """A usage file cannot be read as a whole: missing, unknown format, unknown columns, broken CSV.

    >>> str(UsageFileError("march.xml", "unknown format; use .csv, .jsonl, .ndjson or .parquet"))
    'march.xml: unknown format; use .csv, .jsonl, .ndjson or .parquet'
    """

    code = "usage_file_error"

    def __init__(self, file_name: str, problem: str) -> None:
        super().__init__(f"{file_name}: {problem}")
        self.file_name = file_name
        self.problem = problem


class UsageStoreBusyError(UsageStoreError):
    """Another load holds the store's lock: one load at a time writes to a store."""

    code = "usage_store_busy"
