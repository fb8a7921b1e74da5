"""File adapters: reading documents (price definitions, catalogs) from JSON and YAML, exactly.

Owns: turning bytes on disk into plain Python data in which every number is an int or a Decimal,
never a float, and mapping file problems to typed errors that name the file.
May import: anything; the core never imports this package.
"""

from tollway.io._documents import DocumentError, load_price_file, read_document

__all__ = ["DocumentError", "load_price_file", "read_document"]
