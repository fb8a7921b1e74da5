"""Legacy ids for the simulated legacy system, and the cross-walk that maps them onto tollway's.

Every account, circuit and product keeps one legacy id (`LEG-` + tollway's id) unless it was
re-keyed mid-run: then it has `LEG-…` before the re-key date and `LEGR-…` from it on, and the
cross-walk holds two rows with adjoining validity. Which entities are re-keyed depends only on the
seed and the id (a hash, not a random draw), so every cycle of a run agrees on it. A legacy invoice
carries the ids valid on its period start, on every one of its lines.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

import pyarrow as pa

from tollway.reconcile._simulate_rows import (
    LEGACY_PREFIX,
    REKEYED_PREFIX,
    Row,
    table_of,
)
from tollway.reconcile._tables import CROSSWALK_SCHEMA, CrosswalkEntity

basis_points_per_percent: Final = 100
basis_points_whole: Final = 10_000


def _hash_basis_points(*parts: str) -> int:
    """A stable number in [0, 10 000) for the parts (the same on every machine and run)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % basis_points_whole


def picked(percent: Decimal, *parts: str) -> bool:
    """True for about `percent` % of the possible `parts`, always the same ones."""
    threshold = int(percent * basis_points_per_percent)
    return _hash_basis_points(*parts) < threshold


@dataclass(frozen=True, slots=True)
class LegacyKeys:
    """How tollway's account, circuit and product ids become legacy ids in one simulated run."""

    seed: int
    rekeyed_percent: Decimal
    rekey_date: date

    def is_rekeyed(self, entity: CrosswalkEntity, tollway_id: str) -> bool:
        return picked(self.rekeyed_percent, "rekey", str(self.seed), entity.value, tollway_id)

    def legacy_id(self, entity: CrosswalkEntity, tollway_id: str, *, on: date) -> str:
        """The legacy id of `tollway_id` on the day `on`."""
        if self.is_rekeyed(entity, tollway_id) and on >= self.rekey_date:
            return f"{REKEYED_PREFIX}{tollway_id}"
        return f"{LEGACY_PREFIX}{tollway_id}"

    def crosswalk_rows(self, entity: CrosswalkEntity, tollway_ids: Iterable[str]) -> list[Row]:
        rows: list[Row] = []
        for tollway_id in sorted(set(tollway_ids)):
            old: Row = {
                "entity": entity.value,
                "legacy_id": f"{LEGACY_PREFIX}{tollway_id}",
                "tollway_id": tollway_id,
                "valid_from": None,
                "valid_to": None,
            }
            if self.is_rekeyed(entity, tollway_id):
                old["valid_to"] = self.rekey_date
                rows.append(
                    {
                        **old,
                        "legacy_id": f"{REKEYED_PREFIX}{tollway_id}",
                        "valid_from": self.rekey_date,
                        "valid_to": None,
                    }
                )
            rows.append(old)
        return rows


def crosswalk_table(
    keys: LegacyKeys, tollway_lines: list[Row], tollway_invoices: list[Row]
) -> pa.Table:
    """The cross-walk for every account, circuit and product the tollway tables name."""
    accounts = {row["account_id"] for row in tollway_invoices}
    accounts.update(row["account_id"] for row in tollway_lines)
    circuits = {row["circuit_id"] for row in tollway_lines if row["circuit_id"] is not None}
    products = {row["product_id"] for row in tollway_lines if row["product_id"] is not None}
    rows = (
        keys.crosswalk_rows(CrosswalkEntity.ACCOUNT, accounts)
        + keys.crosswalk_rows(CrosswalkEntity.CIRCUIT, circuits)
        + keys.crosswalk_rows(CrosswalkEntity.PRODUCT, products)
    )
    return table_of(rows, CROSSWALK_SCHEMA, sort_keys=("entity", "tollway_id", "legacy_id"))


def to_legacy_line(keys: LegacyKeys, line: Row, *, on: date) -> Row:
    """A draft line with its account, circuit and product ids turned into legacy ids."""
    result = dict(line)
    result["account_id"] = keys.legacy_id(CrosswalkEntity.ACCOUNT, line["account_id"], on=on)
    if line["circuit_id"] is not None:
        result["circuit_id"] = keys.legacy_id(CrosswalkEntity.CIRCUIT, line["circuit_id"], on=on)
    if line["product_id"] is not None:
        result["product_id"] = keys.legacy_id(CrosswalkEntity.PRODUCT, line["product_id"], on=on)
    return result
