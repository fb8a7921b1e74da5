"""File adapters: price files and the operator's world (catalog, customers, products), read exactly.

Owns: turning bytes on disk into plain Python data in which every number is an int or a Decimal,
never a float, and mapping file problems to typed errors that name the file.
May import: anything; the core never imports this package.
"""

from tollway.io._documents import DocumentError, load_price_file, read_document
from tollway.io._world import (
    WorldDocuments,
    WorldFileError,
    WorldProblem,
    load_world,
    write_world,
)

__all__ = [
    "DocumentError",
    "WorldDocuments",
    "WorldFileError",
    "WorldProblem",
    "load_price_file",
    "load_world",
    "read_document",
    "write_world",
]
