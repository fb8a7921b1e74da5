"""`WorldRepository`: the operator's world (`BillingInputs`) saved as rows and loaded back equal.

Prices are stored as their canonical price document (`PriceDefinition.document`, numbers as
strings) and re-parsed on load with the price schema, so the stored form is exactly what a person
writes in a catalog file and a schema change never needs a second serialiser. Saving checks that
every document reads back as the definition it came with, before anything is written.
"""

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

from sqlalchemy import Row, Table, delete, insert, select
from sqlalchemy.orm import Session

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
from tollway.inventory import LifecycleAction, LifecycleEvent, Product
from tollway.money import Money, currency
from tollway.pricing import PriceDefinition, PriceDefinitionError
from tollway.pricing.schema import parse_price_definition
from tollway.storage import _tables as tables
from tollway.storage._errors import StorageError
from tollway.storage._types import decimal_text, json_dumps

rows_per_insert_max = 5_000
"""Rows sent in one multi-row INSERT: bounded memory and statement size for big worlds."""

_Built = TypeVar("_Built")


def price_document(definition: PriceDefinition, *, where: str) -> dict[str, Any]:
    """The document to store for a price, checked to read back as the same definition."""
    if definition.document is None:
        raise StorageError(
            f"{where}: price {definition.id!r} has no price document to store; build price "
            "definitions with tollway.pricing.schema.parse_price_definition"
        )
    document = dict(definition.document)
    try:
        read_back = parse_price_definition(document)
    except PriceDefinitionError as error:
        raise StorageError(
            f"{where}: the document of price {definition.id!r} does not read back: {error.message}"
        ) from None
    if read_back != definition:
        raise StorageError(
            f"{where}: the document of price {definition.id!r} reads back as a different "
            "definition; it cannot be stored faithfully"
        )
    return document


def _price_from_document(document: Mapping[str, Any], *, where: str) -> PriceDefinition:
    try:
        return parse_price_definition(document)
    except PriceDefinitionError as error:
        raise StorageError(f"{where}: stored price no longer parses: {error.message}") from None


def world_digest(inputs: BillingInputs) -> str:
    """SHA-256 of the world's canonical rows: equal worlds have equal digests, and a bill run
    records the digest of the world it started on, to refuse resuming on another.

    Rows are sorted here and every value written in canonical text, so the digest depends neither
    on mapping order nor on the database the world was read from.
    """
    rows = _world_rows(inputs)
    canonical = {
        name: sorted(json_dumps(_canonical_row(row)) for row in table_rows)
        for name, table_rows in sorted(rows.items())
    }
    return hashlib.sha256(json_dumps(canonical).encode("utf-8")).hexdigest()


def _canonical_row(row: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in row.items():
        if value is None or type(value) is str:
            found[name] = value  # most values: ids, names, codes
        elif isinstance(value, Decimal):
            found[name] = decimal_text(value)
        elif isinstance(value, datetime):
            found[name] = value.astimezone(UTC).isoformat()
        else:
            found[name] = value
    return found


def _insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), rows_per_insert_max):
        session.execute(insert(table), list(rows[start : start + rows_per_insert_max]))


def _grouped(
    rows: Sequence[Row[Any]], key: str, build: Callable[[Row[Any]], _Built]
) -> dict[str, list[_Built]]:
    """Child rows (already in position order) built and grouped by their parent's id."""
    groups: dict[str, list[_Built]] = {}
    for row in rows:
        groups.setdefault(row._mapping[key], []).append(build(row))
    return groups


class WorldRepository:
    """Saves and loads the world snapshot a bill run computes from.

    `save` replaces the stored world with the given one (inside the caller's transaction); `load`
    gives back a `BillingInputs` equal to what was saved.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, inputs: BillingInputs) -> None:
        rows = _world_rows(inputs)
        for table in reversed(tables.WORLD_TABLES):
            self.session.execute(delete(table))
        for table in tables.WORLD_TABLES:
            _insert(self.session, table, rows[table.name])

    def load(self) -> BillingInputs:
        parties = {row.id: _party(row) for row in self._all(tables.parties, "id")}
        sites = {row.id: _site(row) for row in self._all(tables.sites, "id")}
        accounts = {row.id: _account(row) for row in self._all(tables.billing_accounts, "id")}
        return BillingInputs(
            parties=parties,
            sites=sites,
            accounts=accounts,
            catalog=self._catalog(),
            agreements=self._agreements(),
            products=self._products(),
            credits=tuple(_credit(row) for row in self._all(tables.manual_credits, "position")),
        )

    def _all(self, table: Table, *order: str) -> Sequence[Row[Any]]:
        return self.session.execute(
            select(table).order_by(*(table.c[name] for name in order))
        ).all()

    def _catalog(self) -> Catalog:
        prices = _grouped(
            self._all(tables.product_offering_prices, "offering_id", "position"),
            "offering_id",
            _offering_price,
        )
        offerings = {
            row.id: ProductOffering(
                id=row.id,
                name=row.name,
                product_type=row.product_type,
                prices=tuple(prices.get(row.id, ())),
            )
            for row in self._all(tables.product_offerings, "id")
        }
        members = _grouped(
            self._all(tables.bundle_offerings, "bundle_id", "position"),
            "bundle_id",
            lambda row: row.offering_id,
        )
        bundles = {
            row.id: Bundle(
                id=row.id,
                name=row.name,
                offering_ids=tuple(members.get(row.id, ())),
                discount_percent=row.discount_percent,
            )
            for row in self._all(tables.bundles, "id")
        }
        return Catalog(offerings=offerings, bundles=bundles)

    def _agreements(self) -> dict[str, Agreement]:
        commitments = _grouped(
            self._all(tables.agreement_commitments, "agreement_id", "position"),
            "agreement_id",
            _commitment,
        )
        overrides = _grouped(
            self._all(tables.agreement_price_overrides, "agreement_id", "position"),
            "agreement_id",
            _override,
        )
        return {
            row.id: _agreement(row, commitments.get(row.id, []), overrides.get(row.id, []))
            for row in self._all(tables.agreements, "id")
        }

    def _products(self) -> dict[str, Product]:
        events = _grouped(
            self._all(tables.product_lifecycle_events, "product_id", "position"),
            "product_id",
            _event,
        )
        return {
            row.id: _product(row, events.get(row.id, []))
            for row in self._all(tables.products, "id")
        }


# --- rows from the domain -----------------------------------------------------------------------


def _world_rows(inputs: BillingInputs) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in tables.WORLD_TABLES}
    rows["parties"] = [_party_row(party) for party in inputs.parties.values()]
    rows["sites"] = [_site_row(site) for site in inputs.sites.values()]
    rows["billing_accounts"] = [_account_row(account) for account in inputs.accounts.values()]
    for offering in inputs.catalog.offerings.values():
        rows["product_offerings"].append(
            {"id": offering.id, "name": offering.name, "product_type": offering.product_type}
        )
        rows["product_offering_prices"].extend(
            _offering_price_row(found, position) for position, found in enumerate(offering.prices)
        )
    for bundle in inputs.catalog.bundles.values():
        rows["bundles"].append(
            {"id": bundle.id, "name": bundle.name, "discount_percent": bundle.discount_percent}
        )
        rows["bundle_offerings"].extend(
            {"bundle_id": bundle.id, "position": position, "offering_id": offering_id}
            for position, offering_id in enumerate(bundle.offering_ids)
        )
    for agreement in inputs.agreements.values():
        _add_agreement_rows(rows, agreement)
    for product in inputs.products.values():
        rows["products"].append(_product_row(product))
        rows["product_lifecycle_events"].extend(
            _event_row(product.id, position, event) for position, event in enumerate(product.events)
        )
    rows["manual_credits"] = [
        _credit_row(credit, position) for position, credit in enumerate(inputs.credits)
    ]
    return rows


def _party_row(party: Party) -> dict[str, Any]:
    return {"id": party.id, "name": party.name, "customer_class": party.customer_class.value}


def _site_row(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "party_id": site.party_id,
        "name": site.name,
        "country": site.country,
        "region": site.region,
        "city": site.city,
        "postal_code": site.postal_code,
        "jurisdiction_id": site.jurisdiction_id,
    }


def _account_row(account: BillingAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "party_id": account.party_id,
        "name": account.name,
        "currency": account.currency.code,
        "bill_cycle_day": account.bill_cycle_day,
        "time_zone": account.time_zone,
        "billing_site_id": account.billing_site_id,
        "parent_id": account.parent_id,
        "pays_own_bill": account.pays_own_bill,
        "invoice_series": account.invoice_series,
        "profile": account.profile,
    }


def _offering_price_row(found: ProductOfferingPrice, position: int) -> dict[str, Any]:
    return {
        "id": found.id,
        "offering_id": found.offering_id,
        "position": position,
        "kind": found.kind.value,
        "usage_type": found.usage_type,
        "quantity_basis": found.quantity_basis.value,
        "name": found.name,
        "valid_from": found.valid_from,
        "valid_to": found.valid_to,
        "price_document": price_document(found.price, where=f"product offering price {found.id}"),
        "tax_inclusive": found.tax_inclusive,
    }


def _add_agreement_rows(rows: dict[str, list[dict[str, Any]]], agreement: Agreement) -> None:
    termination = agreement.early_termination
    rows["agreements"].append(
        {
            "id": agreement.id,
            "billing_account_id": agreement.billing_account_id,
            "name": agreement.name,
            "start": agreement.start,
            "term_months": agreement.term_months,
            "discount_percent": agreement.discount_percent,
            "early_termination_percent": None
            if termination is None
            else termination.percent_of_remaining,
        }
    )
    rows["agreement_commitments"].extend(
        {
            "agreement_id": agreement.id,
            "position": position,
            "commitment_id": commitment.id,
            "period": commitment.period.value,
            "minimum_amount": commitment.minimum_amount,
            "shortfall_percent": commitment.shortfall_percent,
            "counted_kinds": [kind.value for kind in commitment.counted_kinds],
        }
        for position, commitment in enumerate(agreement.commitments)
    )
    rows["agreement_price_overrides"].extend(
        {
            "agreement_id": agreement.id,
            "position": position,
            "offering_price_id": override.offering_price_id,
            "price_document": price_document(
                override.price, where=f"agreement {agreement.id} override {position}"
            ),
        }
        for position, override in enumerate(agreement.price_overrides)
    )


def _product_row(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "circuit_id": product.circuit_id,
        "billing_account_id": product.billing_account_id,
        "offering_id": product.offering_id,
        "bandwidth_mbps": product.bandwidth_mbps,
        "site_a_id": product.site_a_id,
        "site_z_id": product.site_z_id,
        "jurisdiction_id": product.jurisdiction_id,
        "agreement_id": product.agreement_id,
        "bundle_id": product.bundle_id,
        "voice_channels": product.voice_channels,
        "voice_line_type": product.voice_line_type,
    }


def _event_row(product_id: str, position: int, event: LifecycleEvent) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "position": position,
        "at": event.at,
        "action": event.action.value,
        "offering_id": event.offering_id,
        "bandwidth_mbps": event.bandwidth_mbps,
    }


def _credit_row(credit: ManualCredit, position: int) -> dict[str, Any]:
    return {
        "id": credit.id,
        "position": position,
        "billing_account_id": credit.billing_account_id,
        "amount_minor": credit.amount.to_minor(),
        "currency": credit.amount.currency.code,
        "reason": credit.reason,
        "effective_at": credit.effective_at,
    }


# --- the domain from rows -----------------------------------------------------------------------


def _party(row: Row[Any]) -> Party:
    return Party(id=row.id, name=row.name, customer_class=CustomerClass(row.customer_class))


def _site(row: Row[Any]) -> Site:
    return Site(
        id=row.id,
        party_id=row.party_id,
        name=row.name,
        country=row.country,
        region=row.region,
        city=row.city,
        postal_code=row.postal_code,
        jurisdiction_id=row.jurisdiction_id,
    )


def _account(row: Row[Any]) -> BillingAccount:
    return BillingAccount(
        id=row.id,
        party_id=row.party_id,
        name=row.name,
        currency=currency(row.currency),
        bill_cycle_day=row.bill_cycle_day,
        time_zone=row.time_zone,
        billing_site_id=row.billing_site_id,
        parent_id=row.parent_id,
        pays_own_bill=row.pays_own_bill,
        invoice_series=row.invoice_series,
        profile=row.profile,
    )


def _offering_price(row: Row[Any]) -> ProductOfferingPrice:
    return ProductOfferingPrice(
        id=row.id,
        offering_id=row.offering_id,
        kind=ChargeKind(row.kind),
        price=_price_from_document(row.price_document, where=f"product offering price {row.id}"),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        usage_type=row.usage_type,
        quantity_basis=QuantityBasis(row.quantity_basis),
        name=row.name,
        tax_inclusive=row.tax_inclusive,
    )


def _commitment(row: Row[Any]) -> Commitment:
    return Commitment(
        id=row.commitment_id,
        period=CommitmentPeriod(row.period),
        minimum_amount=row.minimum_amount,
        shortfall_percent=row.shortfall_percent,
        counted_kinds=tuple(ChargeKind(kind) for kind in row.counted_kinds),
    )


def _override(row: Row[Any]) -> PriceOverride:
    where = f"agreement {row.agreement_id} override {row.position}"
    return PriceOverride(
        offering_price_id=row.offering_price_id,
        price=_price_from_document(row.price_document, where=where),
    )


def _agreement(
    row: Row[Any], commitments: list[Commitment], overrides: list[PriceOverride]
) -> Agreement:
    termination = row.early_termination_percent
    return Agreement(
        id=row.id,
        billing_account_id=row.billing_account_id,
        name=row.name,
        start=row.start,
        term_months=row.term_months,
        commitments=tuple(commitments),
        early_termination=None if termination is None else EarlyTermination(termination),
        price_overrides=tuple(overrides),
        discount_percent=row.discount_percent,
    )


_LIFECYCLE_ACTIONS: Final = {action.value: action for action in LifecycleAction}
"""`LifecycleAction(value)` as a plain lookup: a world has an event or more per circuit."""


def _event(row: Row[Any]) -> LifecycleEvent:
    action = _LIFECYCLE_ACTIONS.get(row.action)
    return LifecycleEvent(
        at=row.at,
        action=LifecycleAction(row.action) if action is None else action,
        offering_id=row.offering_id,
        bandwidth_mbps=row.bandwidth_mbps,
    )


def _product(row: Row[Any], events: list[LifecycleEvent]) -> Product:
    return Product(
        id=row.id,
        circuit_id=row.circuit_id,
        billing_account_id=row.billing_account_id,
        offering_id=row.offering_id,
        bandwidth_mbps=row.bandwidth_mbps,
        site_a_id=row.site_a_id,
        jurisdiction_id=row.jurisdiction_id,
        events=tuple(events),
        site_z_id=row.site_z_id,
        agreement_id=row.agreement_id,
        bundle_id=row.bundle_id,
        voice_channels=row.voice_channels,
        voice_line_type=row.voice_line_type,
    )


def _credit(row: Row[Any]) -> ManualCredit:
    return ManualCredit(
        id=row.id,
        billing_account_id=row.billing_account_id,
        amount=Money.from_minor(row.amount_minor, row.currency),
        reason=row.reason,
        effective_at=row.effective_at,
    )
