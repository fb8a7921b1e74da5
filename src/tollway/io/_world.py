"""The operator's world on disk: catalog.yaml, customers.yaml and products.jsonl ↔ `BillingInputs`.

Reading is two steps per file. Pydantic checks the shape (unknown fields, types, ranges, currency
codes, time zones, instants with an offset, nested price documents); then this module checks what
the frozen records would only assert (event order, validity windows, hierarchy cycles) and every
reference between records and files (unknown offering, account, site, parent; duplicate ids).
Every problem becomes a `WorldFileError` naming the file, the record (index and id, or line) and
the field; all problems of a file are reported together. Formats: docs/input-formats.md.
"""

import itertools
import json
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from tollway.accounts import BillingAccount, CustomerClass, Party, Site
from tollway.billing import BillingInputs, ManualCredit
from tollway.catalog import (
    Bundle,
    Catalog,
    ChargeKind,
    ProductOffering,
    ProductOfferingPrice,
    QuantityBasis,
)
from tollway.contracts import (
    Agreement,
    Commitment,
    CommitmentPeriod,
    EarlyTermination,
    PriceOverride,
)
from tollway.conventions import PROFILE_NAMES
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.io._documents import DocumentError, read_document
from tollway.money import Money, TollwayError, currency
from tollway.pricing import PriceDefinition, PriceDefinitionError
from tollway.pricing.schema._common import ExactDecimal, SpecBase
from tollway.pricing.schema._definition import parse_price_definition

CATALOG_FILE: Final = "catalog.yaml"
CUSTOMERS_FILE: Final = "customers.yaml"
PRODUCTS_FILE: Final = "products.jsonl"
problems_reported_max: Final = 50
product_line_characters_max: Final = 1024 * 1024
products_max: Final = 50_000_000

Item = TypeVar("Item")
FileSpec = TypeVar("FileSpec", bound=BaseModel)


# --- errors ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorldProblem:
    """One problem: which file, which record (index and id, or line), which field, and what."""

    file: str
    record: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.field}: {self.problem}"


class WorldFileError(TollwayError):
    """A world file is unreadable or inconsistent; `problems` lists every problem found.

    >>> str(WorldFileError([WorldProblem("customers.yaml", "billing_accounts[2] 'BA-3'",
    ...                                  "parent_id", "unknown billing account 'BA-9'")]))
    "customers.yaml: billing_accounts[2] 'BA-3': parent_id: unknown billing account 'BA-9'"
    """

    code = "invalid_world_file"

    def __init__(self, problems: Sequence[WorldProblem]) -> None:
        assert problems, "a WorldFileError carries at least one problem"
        self.problems = tuple(problems)
        shown = [str(problem) for problem in self.problems[:problems_reported_max]]
        if len(self.problems) > problems_reported_max:
            shown.append(f"... and {len(self.problems) - problems_reported_max} more problems")
        super().__init__("\n".join(shown))


class _Problems:
    """Collects the problems found in one file, then raises them all at once."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[WorldProblem] = []

    def add(self, record: str, field: str, problem: str) -> None:
        self.found.append(WorldProblem(self.file, record, field, problem))

    def at(self, record: str) -> "_Record":
        return _Record(self, record)

    def unique(
        self, entries: Iterable[tuple[str, str, Item]], *, field: str = "id"
    ) -> dict[str, Item]:
        """Entries (record, key, item) keyed by key; a repeated key names both records."""
        seen: dict[str, tuple[str, Item]] = {}
        for record, key, item in entries:
            if key in seen:
                self.add(record, field, f"{key!r} repeats the {field} of {seen[key][0]}")
            else:
                seen[key] = (record, item)
        return {key: item for key, (_, item) in seen.items()}

    def add_validation_error(
        self, error: PydanticValidationError, *, document: object, record: str = ""
    ) -> None:
        """Place each pydantic error on its record: `(section, index, *field)`, or `record`."""
        for item in error.errors(include_url=False):
            location, text = item["loc"], _problem_text(item["type"], item["msg"])
            if record:
                self.add(record, _path(location), text)
            elif len(location) >= 2 and isinstance(location[1], int):
                section, index = str(location[0]), location[1]
                record_id = _raw_id(document, section, index)
                self.add(_record_name(section, index, record_id), _path(location[2:]), text)
            else:
                self.add("(document)", _path(location), text)

    def raise_if_any(self) -> None:
        if self.found:
            raise WorldFileError(self.found)


@dataclass(frozen=True, slots=True)
class _Record:
    """The problems of one record: every call names the field."""

    problems: _Problems
    name: str

    def add(self, field: str, problem: str) -> None:
        self.problems.add(self.name, field, problem)

    def unknown(self, field: str, value: str | None, known: Container[str], noun: str) -> None:
        if value is not None and value not in known:
            self.add(field, f"unknown {noun} {value!r}")


def _raw_id(document: object, section: str, index: int) -> object:
    """The `id` a record was written with, when the document has one there."""
    records = document.get(section) if isinstance(document, Mapping) else None
    record = records[index] if isinstance(records, list) and index < len(records) else None
    return record.get("id") if isinstance(record, Mapping) else None


def _record_name(section: str, index: int, record_id: object) -> str:
    """`billing_accounts[3] 'BA-0004'`: the index the file is counted by, and the id if it has one."""
    return (
        f"{section}[{index}] {record_id!r}" if isinstance(record_id, str) else f"{section}[{index}]"
    )


def _path(location: Sequence[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or "(record)"


def _problem_text(error_type: str, message: str) -> str:
    if error_type == "missing":
        return "is required but missing"
    if error_type == "extra_forbidden":
        return "is not a known field (check the spelling)"
    return message.removeprefix("Value error, ")


# --- field types -------------------------------------------------------------------------------


def _instant_value(value: object) -> object:
    """ISO 8601 text or a YAML timestamp; a bare number is not silently taken as a Unix time."""
    if isinstance(value, datetime | str):
        return value
    raise ValueError("must be an ISO 8601 date-time with an offset, e.g. 2026-01-15T09:30:00+00:00")


def _fixed_offset(value: datetime) -> datetime:
    """The instant with a plain `timezone` offset (pydantic and YAML each have their own tzinfo)."""
    offset = value.utcoffset()
    assert offset is not None, "AwareDatetime guarantees an offset"
    return value.replace(tzinfo=timezone(offset))


def _known_currency(code: str) -> str:
    try:
        return currency(code).code
    except TollwayError as error:
        raise ValueError(error.message) from None


def _known_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as America/Chicago"
        ) from None
    return name


def _known_profile(name: str) -> str:
    if name not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILE_NAMES)}")
    return name


def _price_document(value: object) -> PriceDefinition:
    """A nested price document, as parse_price_definition takes it; its problems keep their paths."""
    try:
        return parse_price_definition(value)
    except PriceDefinitionError as error:
        raise ValueError("; ".join(f"{where}: {what}" for where, what in error.problems)) from None


Identifier = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]
Instant = Annotated[AwareDatetime, BeforeValidator(_instant_value), AfterValidator(_fixed_offset)]
Percent = Annotated[ExactDecimal, Field(ge=0, le=100)]
CurrencyCode = Annotated[str, AfterValidator(_known_currency)]
TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]
ProfileName = Annotated[str, AfterValidator(_known_profile)]
PriceDocument = Annotated[PriceDefinition, PlainValidator(_price_document)]


class _PricedSpec(SpecBase):
    """A record holding a price document. The document's `id` defaults to the record's own id
    (an offering price's `id`, an override's `offering_price_id`)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @model_validator(mode="before")
    @classmethod
    def _default_price_id(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("price"), Mapping):
            default_id = data.get("id", data.get("offering_price_id"))
            return {**data, "price": {"id": default_id, **data["price"]}}
        return data


# --- file shapes -------------------------------------------------------------------------------


class OfferingPriceSpec(_PricedSpec):
    id: Identifier
    kind: ChargeKind
    price: PriceDocument
    valid_from: Instant
    valid_to: Instant | None = None
    usage_type: Identifier | None = None
    quantity_basis: QuantityBasis = QuantityBasis.ONE
    name: str = ""
    tax_inclusive: bool = False

    def build(self, offering_id: str) -> ProductOfferingPrice:
        return ProductOfferingPrice(offering_id=offering_id, **dict(self))


class OfferingSpec(SpecBase):
    id: Identifier
    name: str
    product_type: Identifier
    prices: list[OfferingPriceSpec]


class BundleSpec(SpecBase):
    id: Identifier
    name: str
    offering_ids: Annotated[list[Identifier], Field(min_length=1)]
    discount_percent: Percent

    def build(self) -> Bundle:
        return Bundle(self.id, self.name, tuple(self.offering_ids), self.discount_percent)


class CatalogFileSpec(SpecBase):
    offerings: list[OfferingSpec]
    bundles: list[BundleSpec] = Field(default_factory=list)


class PartySpec(SpecBase):
    id: Identifier
    name: str
    customer_class: CustomerClass


class SiteSpec(SpecBase):
    id: Identifier
    party_id: Identifier
    name: str
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    region: str
    city: str
    postal_code: str
    jurisdiction_id: Identifier


class BillingAccountSpec(SpecBase):
    id: Identifier
    party_id: Identifier
    name: str
    currency: CurrencyCode
    bill_cycle_day: Annotated[int, Field(ge=1, le=31)]
    time_zone: TimeZoneName
    billing_site_id: Identifier | None = None
    parent_id: Identifier | None = None
    pays_own_bill: bool = True
    invoice_series: Identifier = "INV"
    profile: ProfileName = "tollway"

    def build(self) -> BillingAccount:
        return BillingAccount(**{**dict(self), "currency": currency(self.currency)})


class CommitmentSpec(SpecBase):
    id: Identifier
    period: CommitmentPeriod
    minimum_amount: Annotated[ExactDecimal, Field(ge=0)]
    shortfall_percent: Percent = Decimal(100)
    counted_kinds: Annotated[tuple[ChargeKind, ...], Field(min_length=1)] = tuple(ChargeKind)

    def build(self) -> Commitment:
        return Commitment(**dict(self))


class EarlyTerminationSpec(SpecBase):
    percent_of_remaining: Annotated[ExactDecimal, Field(ge=0)]


class PriceOverrideSpec(_PricedSpec):
    offering_price_id: Identifier
    price: PriceDocument


class AgreementSpec(SpecBase):
    id: Identifier
    billing_account_id: Identifier
    name: str
    start: Instant
    term_months: Annotated[int, Field(ge=0)]
    commitments: list[CommitmentSpec] = Field(default_factory=list)
    early_termination: EarlyTerminationSpec | None = None
    price_overrides: list[PriceOverrideSpec] = Field(default_factory=list)
    discount_percent: Percent = Decimal(0)

    def build(self) -> Agreement:
        fields = dict(self)
        termination = self.early_termination
        fields["commitments"] = tuple(commitment.build() for commitment in self.commitments)
        fields["early_termination"] = termination and EarlyTermination(
            termination.percent_of_remaining
        )
        fields["price_overrides"] = tuple(
            PriceOverride(override.offering_price_id, override.price)
            for override in self.price_overrides
        )
        return Agreement(**fields)


class CreditSpec(SpecBase):
    id: Identifier
    billing_account_id: Identifier
    amount: Annotated[ExactDecimal, Field(gt=0)]
    reason: str
    effective_at: Instant


class CustomersFileSpec(SpecBase):
    parties: list[PartySpec]
    sites: list[SiteSpec] = Field(default_factory=list)
    billing_accounts: list[BillingAccountSpec]
    agreements: list[AgreementSpec] = Field(default_factory=list)
    credits: list[CreditSpec] = Field(default_factory=list)


class LifecycleEventSpec(SpecBase):
    at: Instant
    action: LifecycleAction
    offering_id: Identifier | None = None
    bandwidth_mbps: Annotated[ExactDecimal, Field(gt=0)] | None = None


class ProductSpec(SpecBase):
    id: Identifier
    circuit_id: Identifier
    billing_account_id: Identifier
    offering_id: Identifier
    bandwidth_mbps: Annotated[ExactDecimal, Field(gt=0)]
    site_a_id: Identifier
    jurisdiction_id: Identifier
    events: Annotated[list[LifecycleEventSpec], Field(min_length=1)]
    site_z_id: Identifier | None = None
    agreement_id: Identifier | None = None
    bundle_id: Identifier | None = None
    voice_channels: Annotated[int, Field(ge=0)] = 0
    voice_line_type: Identifier | None = None

    def build(self) -> Product:
        events = tuple(LifecycleEvent(**dict(event)) for event in self.events)
        return Product(**{**dict(self), "events": events})


def _parse_file(path: Path, spec: type[FileSpec]) -> FileSpec:
    try:
        document = read_document(path)
    except DocumentError as error:
        raise WorldFileError(
            [WorldProblem(path.name, "(document)", "(file)", error.message)]
        ) from None
    try:
        return spec.model_validate(document)
    except PydanticValidationError as error:
        problems = _Problems(path.name)
        problems.add_validation_error(error, document=document)
        raise WorldFileError(problems.found) from None


# --- catalog.yaml ------------------------------------------------------------------------------


def _offering_prices(offering: OfferingSpec, record: _Record) -> tuple[ProductOfferingPrice, ...]:
    prices: list[ProductOfferingPrice] = []
    for index, spec in enumerate(offering.prices):
        if spec.valid_to is not None and spec.valid_to <= spec.valid_from:
            record.add(f"prices[{index}].valid_to", "must be after valid_from")
        elif (spec.kind is ChargeKind.USAGE) != (spec.usage_type is not None):
            record.add(
                f"prices[{index}].usage_type", "is required for usage prices, and only for them"
            )
        else:
            prices.append(spec.build(offering.id))
    ordered = sorted(prices, key=lambda one: (one.kind, one.usage_type or "", one.valid_from))
    for earlier, later in itertools.pairwise(ordered):
        same_charge = (earlier.kind, earlier.usage_type) == (later.kind, later.usage_type)
        if same_charge and (earlier.valid_to is None or later.valid_from < earlier.valid_to):
            charge = f"{later.kind} {later.usage_type or ''}".strip()
            record.add(
                "prices",
                f"{later.id!r} and {earlier.id!r} are both {charge} prices in force at once",
            )
    return tuple(prices)


def _build_catalog(spec: CatalogFileSpec, problems: _Problems) -> Catalog:
    entries = []
    for index, offering in enumerate(spec.offerings):
        name = f"offerings[{index}] {offering.id!r}"
        prices = _offering_prices(offering, problems.at(name))
        built = ProductOffering(offering.id, offering.name, offering.product_type, prices)
        entries.append((name, offering.id, built))
    offerings = problems.unique(entries)
    problems.unique(
        (f"offerings[{index}] {offering.id!r} prices[{position}]", price.id, price)
        for index, offering in enumerate(spec.offerings)
        for position, price in enumerate(offering.prices)
    )
    bundles = []
    for index, bundle in enumerate(spec.bundles):
        name = f"bundles[{index}] {bundle.id!r}"
        for position, offering_id in enumerate(bundle.offering_ids):
            problems.at(name).unknown(
                f"offering_ids[{position}]", offering_id, offerings, "offering"
            )
        bundles.append((name, bundle.id, bundle.build()))
    return Catalog(offerings=offerings, bundles=problems.unique(bundles))


# --- customers.yaml ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Customers:
    parties: dict[str, Party]
    sites: dict[str, Site]
    accounts: dict[str, BillingAccount]
    agreements: dict[str, Agreement]
    credits: list[ManualCredit]


def _build_accounts(spec: CustomersFileSpec, customers: _Customers, problems: _Problems) -> None:
    entries = []
    for index, account in enumerate(spec.billing_accounts):
        record = problems.at(f"billing_accounts[{index}] {account.id!r}")
        record.unknown("party_id", account.party_id, customers.parties, "party")
        record.unknown("billing_site_id", account.billing_site_id, customers.sites, "site")
        if account.parent_id == account.id:
            record.add("parent_id", "an account cannot be its own parent")
        elif not account.pays_own_bill and account.parent_id is None:
            record.add("pays_own_bill", "is false, so a parent_id to roll up to is required")
        else:
            entries.append((record.name, account.id, account.build()))
    customers.accounts.update(problems.unique(entries))
    for name, _, built in entries:
        _check_parent(built, customers.accounts, problems.at(name))


def _check_parent(
    account: BillingAccount, accounts: Mapping[str, BillingAccount], record: _Record
) -> None:
    """The parent exists, a roll-up stays in one currency, and the hierarchy has no cycle."""
    parent = accounts.get(account.parent_id) if account.parent_id is not None else None
    record.unknown("parent_id", account.parent_id, accounts, "billing account")
    if parent is not None and not account.pays_own_bill and parent.currency != account.currency:
        record.add(
            "parent_id",
            f"rolls up onto {parent.id!r}, billed in {parent.currency}, but "
            f"bills in {account.currency}: a consolidated bill has one currency",
        )
    visited = {account.id}
    while parent is not None:
        if parent.id in visited:
            record.add("parent_id", f"the hierarchy above {account.id!r} is a cycle")
            return
        visited.add(parent.id)
        parent = accounts.get(parent.parent_id) if parent.parent_id is not None else None


def _check_agreement(
    spec: AgreementSpec, record: _Record, customers: _Customers, price_ids: Container[str]
) -> None:
    account = customers.accounts.get(spec.billing_account_id)
    record.unknown(
        "billing_account_id", spec.billing_account_id, customers.accounts, "billing account"
    )
    for index, override in enumerate(spec.price_overrides):
        field = f"price_overrides[{index}]"
        record.unknown(
            f"{field}.offering_price_id", override.offering_price_id, price_ids, "catalog price"
        )
        if account is not None and override.price.currency != account.currency:
            record.add(
                f"{field}.price.currency",
                f"is {override.price.currency}, but the account bills in {account.currency}",
            )
    record.problems.unique(
        (f"{record.name} commitments[{index}]", commitment.id, commitment)
        for index, commitment in enumerate(spec.commitments)
    )


def _build_credits(spec: CustomersFileSpec, customers: _Customers, problems: _Problems) -> None:
    entries = []
    for index, credit in enumerate(spec.credits):
        record = problems.at(f"credits[{index}] {credit.id!r}")
        account = customers.accounts.get(credit.billing_account_id)
        record.unknown(
            "billing_account_id", credit.billing_account_id, customers.accounts, "billing account"
        )
        if account is not None:
            amount = Money(credit.amount, account.currency)
            built = ManualCredit(credit.id, account.id, amount, credit.reason, credit.effective_at)
            entries.append((record.name, credit.id, built))
    customers.credits.extend(problems.unique(entries).values())


def _build_customers(spec: CustomersFileSpec, catalog: Catalog, problems: _Problems) -> _Customers:
    parties = problems.unique(
        (f"parties[{index}] {party.id!r}", party.id, Party(**dict(party)))
        for index, party in enumerate(spec.parties)
    )
    for index, site in enumerate(spec.sites):
        problems.at(f"sites[{index}] {site.id!r}").unknown(
            "party_id", site.party_id, parties, "party"
        )
    sites = problems.unique(
        (f"sites[{index}] {site.id!r}", site.id, Site(**dict(site)))
        for index, site in enumerate(spec.sites)
    )
    customers = _Customers(parties, sites, {}, {}, [])
    _build_accounts(spec, customers, problems)
    price_ids = {price.id for offering in catalog.offerings.values() for price in offering.prices}
    for index, agreement in enumerate(spec.agreements):
        record = problems.at(f"agreements[{index}] {agreement.id!r}")
        _check_agreement(agreement, record, customers, price_ids)
    customers.agreements.update(
        problems.unique(
            (f"agreements[{index}] {agreement.id!r}", agreement.id, agreement.build())
            for index, agreement in enumerate(spec.agreements)
        )
    )
    _build_credits(spec, customers, problems)
    return customers


# --- products.jsonl ----------------------------------------------------------------------------

_TRANSITIONS: Final[Mapping[LifecycleAction, Mapping[str, str]]] = {
    LifecycleAction.ORDER: {"not activated yet": "ordered"},
    LifecycleAction.ACTIVATE: {"not activated yet": "active", "ordered": "active"},
    LifecycleAction.CHANGE: {"active": "active", "suspended": "suspended"},
    LifecycleAction.SUSPEND: {"active": "suspended"},
    LifecycleAction.RESUME: {"suspended": "active"},
    LifecycleAction.DISCONNECT: {"active": "disconnected", "suspended": "disconnected"},
}


def _check_lifecycle(events: Sequence[LifecycleEventSpec], record: _Record) -> None:
    """Reports the first event that breaks the lifecycle: time order, then
    (order →) activate → change, suspend, resume … → disconnect."""
    state = "not activated yet"
    previous: datetime | None = None
    for index, event in enumerate(events):
        field = f"events[{index}]"
        if previous is not None and event.at <= previous:
            return record.add(
                f"{field}.at", f"must be after the previous event's time {previous.isoformat()}"
            )
        carries_change = event.offering_id is not None or event.bandwidth_mbps is not None
        if carries_change != (event.action is LifecycleAction.CHANGE):
            return record.add(
                field, "a change carries offering_id and/or bandwidth_mbps; no other event does"
            )
        next_state = _TRANSITIONS[event.action].get(state)
        if next_state is None:
            return record.add(f"{field}.action", f"cannot {event.action} a product that is {state}")
        state, previous = next_state, event.at
    return None


def _ancestors(account_id: str, accounts: Mapping[str, BillingAccount]) -> Iterator[str]:
    """The account and its parents up to the root (the hierarchy is already known acyclic)."""
    current = accounts.get(account_id)
    while current is not None:
        yield current.id
        current = accounts.get(current.parent_id) if current.parent_id is not None else None


def _check_product(
    spec: ProductSpec, record: _Record, customers: _Customers, catalog: Catalog
) -> None:
    account = customers.accounts.get(spec.billing_account_id)
    record.unknown(
        "billing_account_id", spec.billing_account_id, customers.accounts, "billing account"
    )
    record.unknown("offering_id", spec.offering_id, catalog.offerings, "offering")
    for index, event in enumerate(spec.events):
        record.unknown(
            f"events[{index}].offering_id", event.offering_id, catalog.offerings, "offering"
        )
    for field, site_id in (("site_a_id", spec.site_a_id), ("site_z_id", spec.site_z_id)):
        record.unknown(field, site_id, customers.sites, "site")
        site = customers.sites.get(site_id) if site_id is not None else None
        if site is not None and account is not None and site.party_id != account.party_id:
            record.add(
                field,
                f"site {site.id!r} belongs to party {site.party_id!r}, not to the "
                f"account's party {account.party_id!r}",
            )
    _check_product_terms(spec, record, customers, catalog)
    _check_lifecycle(spec.events, record)


def _check_product_terms(
    spec: ProductSpec, record: _Record, customers: _Customers, catalog: Catalog
) -> None:
    """The agreement is the account's or a parent's; the bundle includes the offering."""
    record.unknown("agreement_id", spec.agreement_id, customers.agreements, "agreement")
    agreement = customers.agreements.get(spec.agreement_id) if spec.agreement_id else None
    signers = _ancestors(spec.billing_account_id, customers.accounts)
    if agreement is not None and agreement.billing_account_id not in signers:
        record.add(
            "agreement_id",
            f"agreement {agreement.id!r} belongs to "
            f"{agreement.billing_account_id!r}, not to {spec.billing_account_id!r} or a parent",
        )
    record.unknown("bundle_id", spec.bundle_id, catalog.bundles, "bundle")
    bundle = catalog.bundles.get(spec.bundle_id) if spec.bundle_id else None
    if bundle is not None and spec.offering_id not in bundle.offering_ids:
        record.add(
            "bundle_id", f"bundle {bundle.id!r} does not include offering {spec.offering_id!r}"
        )


def _product_lines(path: Path) -> Iterator[tuple[int, object, str | None]]:
    """(line number, JSON value, problem) for every non-blank line; numbers are read exactly."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if len(line) > product_line_characters_max:
                yield number, None, f"longer than {product_line_characters_max} characters"
            elif line.strip():
                try:
                    yield (
                        number,
                        json.loads(line, parse_float=Decimal, parse_constant=_no_constant),
                        None,
                    )
                except ValueError as error:
                    yield number, None, f"not valid JSON: {error}"


def _no_constant(text: str) -> object:
    raise ValueError(f"{text} is not a finite number")


def _load_products(path: Path, customers: _Customers, catalog: Catalog) -> dict[str, Product]:
    if not path.is_file():
        raise WorldFileError([WorldProblem(path.name, "(document)", "(file)", "no such file")])
    problems = _Problems(path.name)
    entries: list[tuple[str, str, Product]] = []
    for number, document, unreadable in _product_lines(path):
        record_id = document.get("id") if isinstance(document, dict) else None
        record = problems.at(
            f"line {number} {record_id!r}" if isinstance(record_id, str) else f"line {number}"
        )
        if unreadable is not None or not isinstance(document, dict):
            record.add("(line)", unreadable or "must be a JSON object: one product per line")
        elif len(entries) >= products_max:
            record.add("(line)", f"more than {products_max} products")
        else:
            found_before = len(problems.found)
            spec = _product_spec(document, record)
            if spec is not None:
                _check_product(spec, record, customers, catalog)
            if spec is not None and len(problems.found) == found_before:
                entries.append((record.name, spec.id, spec.build()))
        if len(problems.found) >= problems_reported_max:
            break
    products = problems.unique(entries)
    problems.unique(
        ((name, product.circuit_id, None) for name, _, product in entries), field="circuit_id"
    )
    problems.raise_if_any()
    return products


def _product_spec(document: dict[str, Any], record: _Record) -> ProductSpec | None:
    try:
        return ProductSpec.model_validate(document)
    except PydanticValidationError as error:
        record.problems.add_validation_error(error, document=document, record=record.name)
        return None


# --- the world ---------------------------------------------------------------------------------


def load_world(directory: Path) -> BillingInputs:
    """Read catalog.yaml, customers.yaml and products.jsonl from `directory` into one snapshot.

    Files are checked in that order (customers refer to catalog prices, products to both); the
    first inconsistent file stops the reading with all of its problems.

    >>> import tempfile
    >>> head_office = {"id": "BA-1", "party_id": "PTY-9", "name": "Head office",
    ...                "currency": "USD", "bill_cycle_day": 1, "time_zone": "America/Chicago"}
    >>> customers = {"parties": [], "billing_accounts": [head_office]}
    >>> with tempfile.TemporaryDirectory() as scratch:
    ...     write_world(WorldDocuments({"offerings": []}, customers, []), Path(scratch))
    ...     load_world(Path(scratch))
    Traceback (most recent call last):
    ...
    tollway.io._world.WorldFileError: customers.yaml: billing_accounts[0] 'BA-1': party_id: unknown party 'PTY-9'
    """
    problems = _Problems(CATALOG_FILE)
    catalog = _build_catalog(_parse_file(directory / CATALOG_FILE, CatalogFileSpec), problems)
    problems.raise_if_any()
    problems = _Problems(CUSTOMERS_FILE)
    customers_spec = _parse_file(directory / CUSTOMERS_FILE, CustomersFileSpec)
    customers = _build_customers(customers_spec, catalog, problems)
    problems.raise_if_any()
    return BillingInputs(
        parties=customers.parties,
        sites=customers.sites,
        accounts=customers.accounts,
        catalog=catalog,
        agreements=customers.agreements,
        products=_load_products(directory / PRODUCTS_FILE, customers, catalog),
        credits=tuple(customers.credits),
    )


@dataclass(frozen=True, slots=True)
class WorldDocuments:
    """The world as the files hold it: plain mappings and lists, with Decimals, datetimes and enums
    allowed (written as text) and floats refused. `products` may be a generator: it is written as
    it is consumed, so a large inventory never sits in memory."""

    catalog: Mapping[str, Any]
    customers: Mapping[str, Any]
    products: Iterable[Mapping[str, Any]]


def plain(value: object) -> object:
    """A document with Decimals, datetimes and enums turned into the text the files hold.

    >>> plain({"amount": Decimal("10.50"), "kinds": (ChargeKind.USAGE,)})
    {'amount': '10.50', 'kinds': ['usage']}
    """
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "world files hold instants with an offset"
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    assert not isinstance(value, float), (
        f"world files hold no binary floats: give {value!r} as text"
    )
    assert value is None or isinstance(value, str | int), f"cannot write a {type(value).__name__}"
    return value


_YAML_DUMPER: Final = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_world(documents: WorldDocuments, directory: Path) -> int:
    """Write catalog.yaml, customers.yaml and products.jsonl; return the number of products.

    The same documents always give byte-identical files (keys keep their order, no timestamps).
    """
    directory.mkdir(parents=True, exist_ok=True)
    for name, document in (
        (CATALOG_FILE, documents.catalog),
        (CUSTOMERS_FILE, documents.customers),
    ):
        text = yaml.dump(
            plain(document), Dumper=_YAML_DUMPER, sort_keys=False, allow_unicode=True, width=100
        )
        (directory / name).write_text(text, encoding="utf-8")
    count = 0
    with (directory / PRODUCTS_FILE).open("w", encoding="utf-8", newline="\n") as out:
        for product in documents.products:
            out.write(json.dumps(plain(product), ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count
