"""The documented price schema (JSON/YAML → validated → frozen dataclasses). Boundary code: pydantic."""
