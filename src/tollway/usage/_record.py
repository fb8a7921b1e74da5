"""The usage record schema: the fields a usage file may carry and the columns the store keeps.

docs/usage-records.md describes the same schema for people; keep the two in step.
"""

RECORD_FIELDS = (
    "record_id",
    "source",
    "circuit_id",
    "service_id",
    "usage_type",
    "start_time",
    "end_time",
    "quantity",
    "unit",
    "rating_group",
    "origin",
    "destination",
    "characteristics",
)
"""Every field a usage file may carry, in the order the store and the rejects keep them."""

TEXT_FIELDS = tuple(
    field
    for field in RECORD_FIELDS
    if field not in ("start_time", "end_time", "quantity", "characteristics")
)
"""The fields that are text whatever a file's format: ids, names, units."""

REQUIRED_FIELDS = ("record_id", "source", "usage_type", "start_time", "quantity", "unit")
"""Fields every record needs; besides these, at least one of circuit_id and service_id."""

QUANTITY_SCALE = 9
"""Decimals a stored quantity keeps exactly; chosen once, generously (DECIMAL(38, 9))."""

QUANTITY_TYPE = f"DECIMAL(38, {QUANTITY_SCALE})"

CONTENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("circuit_id", "VARCHAR"),
    ("service_id", "VARCHAR"),
    ("usage_type", "VARCHAR"),
    ("start_time", "TIMESTAMPTZ"),
    ("end_time", "TIMESTAMPTZ"),
    ("quantity", QUANTITY_TYPE),
    ("unit", "VARCHAR"),
    ("rating_group", "VARCHAR"),
    ("origin", "VARCHAR"),
    ("destination", "VARCHAR"),
    ("characteristics", "MAP(VARCHAR, VARCHAR)"),
)
"""What a record says, beside its key: two records with the same key are identical when all match."""

STORED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("record_id", "VARCHAR"),
    ("source", "VARCHAR"),
    *CONTENT_COLUMNS,
    ("load_id", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
)
"""Columns of a stored usage file, in order. The `period` column comes from the folder name."""

REJECT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("reason", "VARCHAR"),
    ("message", "VARCHAR"),
    ("raw_line", "VARCHAR"),
    *((field, "VARCHAR") for field in RECORD_FIELDS),
)
"""Columns of a rejects file: where the record was, why it was rejected, its fields as sent."""
