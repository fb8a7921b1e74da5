"""`generate()`: a whole synthetic operator, written as the files tollway reads."""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np

from tollway.generator._catalog import catalog_document
from tollway.generator._customers import CustomersBuilder
from tollway.generator._products import ProductsBuilder, UsagePlan
from tollway.generator._sizes import SizeName, size_profile
from tollway.generator._taxes import write_tax_files
from tollway.generator._usage import CSV_FILE_NAME, FileCounts, UsageWriter, cycle_file_name
from tollway.io._world import WorldDocuments, write_world
from tollway.money import TollwayError

cycles_max: Final = 36
MANIFEST_FILE: Final = "manifest.json"
USAGE_DIRECTORY: Final = "usage"


class GeneratorError(TollwayError):
    code = "invalid_generator_request"


@dataclass(frozen=True, slots=True)
class CycleUsage:
    """One cycle's usage file and what is in it besides the cycle's own, clean records."""

    period: str
    """The month the cycle covers, e.g. "2026-01" (UTC)."""
    file: str
    """Relative to the world's directory, e.g. "usage/cycle-01.parquet"."""
    records: int
    """Rows in the file, everything included."""
    late_records: int
    """Rows whose start_time lies in an earlier cycle."""
    duplicates_in_file: int
    """Rows sent a second time in the same file (same source and record_id)."""
    resent_records: int
    """Rows already sent in the previous cycle's file."""
    bad_records: dict[str, int]
    """Rows with one defect, by the reject reason ingestion should give them."""


@dataclass(frozen=True, slots=True)
class GeneratedWorld:
    """A summary of a generated world: where it is and what it holds."""

    directory: Path
    size: str
    seed: int
    parties: int
    sites: int
    billing_accounts: int
    agreements: int
    credits: int
    products: int
    usage_circuits: int
    """Products that send usage (SD-WAN, security, SIP, burstable internet)."""
    cycles: tuple[CycleUsage, ...]
    csv_file: str
    csv_records: int

    @property
    def usage_records(self) -> int:
        """Every usage row written, Parquet and CSV."""
        return sum(cycle.records for cycle in self.cycles) + self.csv_records


def _periods(first_period: str, cycles: int) -> tuple[datetime, ...]:
    """The cycle boundaries, month starts in UTC: cycle k runs from periods[k] to periods[k + 1]."""
    try:
        first = datetime.strptime(first_period, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise GeneratorError(f"first_period {first_period!r}: write a month as YYYY-MM") from None
    if not 1 <= cycles <= cycles_max:
        raise GeneratorError(f"cycles {cycles}: generate 1 to {cycles_max} cycles")
    month = first.year * 12 + first.month - 1
    return tuple(
        first.replace(year=(month + offset) // 12, month=(month + offset) % 12 + 1)
        for offset in range(cycles + 1)
    )


def _check_directory(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise GeneratorError(f"{directory}: exists and is not an empty directory; pick a new one")


def generate(
    directory: Path,
    *,
    size: SizeName | int,
    seed: int,
    cycles: int = 3,
    first_period: str = "2026-01",
) -> GeneratedWorld:
    """Generate a seeded enterprise-telecom world into `directory` (new or empty).

    Writes catalog.yaml, customers.yaml, products.jsonl (read back by `tollway.io.load_world`),
    tax-tables.yaml and tax-accounts.yaml (the ILLUSTRATIVE demonstration tax tables and the
    generated accounts' exemption certificates), usage/cycle-NN.parquet per cycle plus one small
    CSV, and manifest.json (this summary). The same arguments always give byte-identical files.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as scratch:
    ...     world = generate(Path(scratch) / "demo", size=3, seed=7, cycles=1)
    >>> world.billing_accounts, world.cycles[0].file
    (3, 'usage/cycle-01.parquet')
    """
    profile = size_profile(size)
    periods = _periods(first_period, cycles)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GeneratorError(f"seed {seed!r}: give a whole number, 0 or more")
    _check_directory(directory)
    # Independent streams for customers, products and usage: a change in how one is drawn
    # leaves the others as they were.
    customers_seed, products_seed, usage_seed = np.random.SeedSequence(seed).spawn(3)
    customers, plans = CustomersBuilder(
        profile, np.random.Generator(np.random.PCG64(customers_seed)), periods
    ).build()
    usage_plan = UsagePlan()
    products = ProductsBuilder(
        profile, np.random.Generator(np.random.PCG64(products_seed)), periods, usage_plan
    )
    catalog = catalog_document(
        since=periods[0].replace(year=periods[0].year - 5), change_at=periods[1]
    )
    product_count = write_world(
        WorldDocuments(catalog, customers, products.documents(plans)), directory
    )
    usage = UsageWriter(
        directory / USAGE_DIRECTORY,
        usage_plan,
        profile,
        usage_seed,
        [int(period.timestamp()) for period in periods],
    )
    usage.write()
    write_tax_files(directory, customers, periods)
    world = _summary(directory, profile.name, seed, customers, product_count, usage)
    _write_manifest(world)
    return world


def _summary(
    directory: Path,
    size: str,
    seed: int,
    customers: dict[str, Any],
    product_count: int,
    usage: UsageWriter,
) -> GeneratedWorld:
    cycles = tuple(
        _cycle_usage(usage.periods_s[index], index, counts)
        for index, counts in enumerate(usage.counts)
    )
    return GeneratedWorld(
        directory=directory,
        size=size,
        seed=seed,
        parties=len(customers["parties"]),
        sites=len(customers["sites"]),
        billing_accounts=len(customers["billing_accounts"]),
        agreements=len(customers["agreements"]),
        credits=len(customers["credits"]),
        products=product_count,
        usage_circuits=len(usage.plan.circuit_ids),
        cycles=cycles,
        csv_file=f"{USAGE_DIRECTORY}/{CSV_FILE_NAME}",
        csv_records=usage.csv_records,
    )


def _cycle_usage(period_start_s: int, index: int, counts: FileCounts) -> CycleUsage:
    return CycleUsage(
        period=datetime.fromtimestamp(period_start_s, UTC).strftime("%Y-%m"),
        file=f"{USAGE_DIRECTORY}/{cycle_file_name(index)}",
        records=counts.records,
        late_records=counts.late,
        duplicates_in_file=counts.duplicates_in_file,
        resent_records=counts.resent,
        bad_records=dict(counts.bad),
    )


def _write_manifest(world: GeneratedWorld) -> None:
    summary = asdict(world)
    summary["directory"] = "."
    text = json.dumps(summary, indent=2) + "\n"
    (world.directory / MANIFEST_FILE).write_text(text, encoding="utf-8")
