"""Where a charge is taxed: its service type, the jurisdictions of its location, and how much of it
is interstate.

A line of a product is located at the product's site A (the product's own `jurisdiction_id` when
the site is not among the inputs' sites); a line without a product (a manual credit) at its
billing account's billing site, or the nearest ancestor's. A private line whose Z site lies in
another state is wholly interstate. Otherwise the interstate share is the account's traffic study
for the service type, else the tables' safe-harbour percentage, else 0; for a private-line service
the 10 % rule makes it all (more than 10 %) or nothing.

A line is taxed as what it charges for: an adjustment of an issued bill as the charge type it
corrects, a credit for unused prepaid time as the recurring charge it gives back, a discount of
tax-inclusive prices as tax-inclusive. Its tax point is the bill's date, except for an adjustment
of an issued bill (`related_bill_no`): the tax point of the bill it corrects, which was dated at
the end of the period the adjustment covers (a local date of the line's account).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from tollway.accounts import BillingAccount
from tollway.billing import (
    TAX_INCLUSIVE_DISCOUNT_KIND,
    UNUSED_CREDIT_KIND,
    AppliedBillingRate,
    BillingInputs,
    ChargeType,
    corrected_charge_type,
)
from tollway.catalog import ProductOfferingPrice
from tollway.inventory import Product
from tollway.money import MONEY_CONTEXT
from tollway.tax.core._model import PERCENT, TaxAccountData, TaxError, TaxTables, TrafficStudy

MINUTE_UNITS: Final = frozenset({"min", "mins", "minute", "minutes"})
SECOND_UNITS: Final = frozenset({"s", "sec", "secs", "second", "seconds"})
SECONDS_PER_MINUTE: Final = Decimal(60)
PRIVATE_LINE_INTERSTATE_PERCENT_MAX: Final = Decimal(10)
"""The 10 % rule: a mixed-use private line with more interstate traffic is wholly interstate."""
account_depth_max: Final = 32


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What the rules of one line are chosen and computed from."""

    line_id: str
    service_type: str
    """The offering's product type (mpls, dia, sdwan, security, sip); "" without a product."""
    charge_type: ChargeType
    """What the line charges for, as rules select it (`tax_charge_type`)."""
    product_id: str | None
    jurisdiction_ids: frozenset[str]
    """The line's location and every jurisdiction it lies in."""
    interstate_share: Decimal
    """0 to 1: the part of the charge that is interstate."""
    voice_channels: int
    voice_line_type: str | None
    minutes: Decimal | None
    """For a line measured in minutes or seconds: its quantity in minutes."""
    account_ids: tuple[str, ...]
    """The line's billing account and its ancestors (whose certificates cover it)."""
    tax_inclusive: bool


def minutes_of(line: AppliedBillingRate) -> Decimal | None:
    """The line's quantity in minutes when its unit is minutes or seconds, else None.

    >>> from datetime import UTC, datetime
    >>> from tollway.money import Money
    >>> march = datetime(2026, 3, 1, tzinfo=UTC)
    >>> line = AppliedBillingRate("l1", "A", ChargeType.USAGE, "voice", march, march,
    ...     Decimal(90), Money.of("1.00", "USD"), Decimal("1.00"), unit="s")
    >>> minutes_of(line)
    Decimal('1.5')
    """
    unit = (line.unit or "").strip().lower()
    if unit in MINUTE_UNITS:
        return line.quantity
    if unit in SECOND_UNITS:
        return MONEY_CONTEXT.divide(line.quantity, SECONDS_PER_MINUTE)
    return None


def tax_charge_type(line: AppliedBillingRate) -> ChargeType:
    """The charge type rules select a line by: an adjustment's is the charge type it corrects
    (`corrected_charge_type`), a credit for unused prepaid time's is recurring, any other line's
    its own.

    >>> from datetime import UTC, datetime
    >>> from tollway.money import Money
    >>> from tollway.pricing import BreakdownLine
    >>> march = datetime(2026, 3, 21, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    >>> unused = BreakdownLine("unused_credit", "11/31", Decimal(1), None, Decimal("-1100.00"))
    >>> credit = AppliedBillingRate("l1", "A", ChargeType.CREDIT, "Unused time", *march,
    ...     Decimal(1), Money.of("-1100.00", "USD"), Decimal("-1100.00"), breakdown=(unused,))
    >>> tax_charge_type(credit).value
    'recurring'
    """
    if line.charge_type is ChargeType.CREDIT and any(
        step.kind == UNUSED_CREDIT_KIND for step in line.breakdown
    ):
        return ChargeType.RECURRING
    return corrected_charge_type(line)


def is_tax_inclusive(line: AppliedBillingRate, price: ProductOfferingPrice | None) -> bool:
    """Whether a line's amount includes its taxes: its price is tax-inclusive, or it is a discount
    of tax-inclusive prices (billing marks those with `TAX_INCLUSIVE_DISCOUNT_KIND`)."""
    if corrected_charge_type(line) is ChargeType.DISCOUNT:
        # A discount, or an adjustment correcting one: billing carries the mark on both.
        return any(step.kind == TAX_INCLUSIVE_DISCOUNT_KIND for step in line.breakdown)
    return price is not None and price.tax_inclusive


def tax_point(line: AppliedBillingRate, *, bill_date: date, time_zone: str) -> date:
    """The date whose rules, certificates and traffic studies tax a line: the bill date, or for
    an adjustment of an issued bill the date of that bill, which was dated at the end of the
    period the adjustment covers (`period_end`, as a local date in `time_zone`; never later than
    the bill date).

    >>> from datetime import UTC, datetime
    >>> from tollway.money import Money
    >>> may = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    >>> line = AppliedBillingRate("a1", "A", ChargeType.ADJUSTMENT, "Adjustment", *may,
    ...     Decimal(1), Money.of("-50.00", "USD"), Decimal("-50.00"), related_bill_no="INV-7")
    >>> tax_point(line, bill_date=date(2026, 7, 1), time_zone="UTC")
    datetime.date(2026, 6, 1)
    """
    if line.related_bill_no is None:
        return bill_date
    return min(line.period_end.astimezone(ZoneInfo(time_zone)).date(), bill_date)


def account_chain(account_id: str, accounts: Mapping[str, BillingAccount]) -> tuple[str, ...]:
    """The account and the accounts above it, nearest first (whose certificates and traffic
    studies cover it).

    >>> from tollway.money import currency
    >>> branch = BillingAccount("B", "p", "Branch", currency("USD"), 1, "UTC", parent_id="H")
    >>> account_chain("B", {"B": branch})
    ('B', 'H')
    """
    found = [account_id]
    account = accounts.get(account_id)
    while account is not None and account.parent_id is not None:
        if account.parent_id in found or len(found) >= account_depth_max:
            break
        found.append(account.parent_id)
        account = accounts.get(account.parent_id)
    return tuple(found)


def price_index(inputs: BillingInputs) -> dict[str, tuple[ProductOfferingPrice, str]]:
    """Every catalog price by id, with its offering's product type."""
    found: dict[str, tuple[ProductOfferingPrice, str]] = {}
    for offering_id in sorted(inputs.catalog.offerings):
        offering = inputs.catalog.offerings[offering_id]
        for offering_price in offering.prices:
            found[offering_price.id] = (offering_price, offering.product_type)
    return found


@dataclass(frozen=True, slots=True)
class _Where:
    """The part of a line's facts its product, billing account and price id alone decide."""

    service_type: str
    product_id: str | None
    jurisdiction_ids: frozenset[str]
    interstate_share: Decimal
    voice_channels: int
    voice_line_type: str | None
    account_ids: tuple[str, ...]
    price: ProductOfferingPrice | None


class Placement:
    """Locates the lines of one bill taxed at one tax point (`facts`): traffic studies in force on
    `tax_point` apply. A bill's lines of one product, billing account and price share where they
    are taxed, found once (`_where`); so do the parts (an account's chain, a product's place, a
    service type's share for an account chain). Per placement: it lives as long as the bill's
    taxing."""

    def __init__(
        self,
        tables: TaxTables,
        studies: Mapping[tuple[str, str], Sequence[TrafficStudy]],
        inputs: BillingInputs,
        *,
        tax_point: date,
    ) -> None:
        self.tables = tables
        self.studies = studies
        self.inputs = inputs
        self.tax_point = tax_point
        self.prices = price_index(inputs)
        self._where: dict[tuple[str | None, str, str | None], _Where] = {}
        self._chains: dict[str, tuple[str, ...]] = {}
        self._places: dict[str, tuple[frozenset[str], bool]] = {}
        self._shares: dict[tuple[str, tuple[str, ...]], Decimal] = {}

    def facts(self, line: AppliedBillingRate) -> LineFacts:
        key = (line.product_id, line.billing_account_id, line.price_id)
        where = self._where.get(key)
        if where is None:
            where = self._where[key] = self._locate(line)
        return LineFacts(
            line_id=line.id,
            service_type=where.service_type,
            charge_type=tax_charge_type(line),
            product_id=where.product_id,
            jurisdiction_ids=where.jurisdiction_ids,
            interstate_share=where.interstate_share,
            voice_channels=where.voice_channels,
            voice_line_type=where.voice_line_type,
            minutes=minutes_of(line),
            account_ids=where.account_ids,
            tax_inclusive=is_tax_inclusive(line, where.price),
        )

    def _locate(self, line: AppliedBillingRate) -> _Where:
        """What the line's product, billing account and price decide (`_Where`)."""
        product = self._product(line)
        account_ids = self._account_ids(line.billing_account_id)
        service_type = self._service_type(line, product)
        if product is None:
            location = self._billing_site_jurisdiction(line, account_ids)
            jurisdiction_ids = frozenset(j.id for j in self.tables.chain(location))
            share = self._allocated_share(service_type, account_ids)
        else:
            jurisdiction_ids, interstate = self._product_place(product)
            share = Decimal(1) if interstate else self._allocated_share(service_type, account_ids)
        found = self.prices.get(line.price_id or "")
        return _Where(
            service_type=service_type,
            product_id=None if product is None else product.id,
            jurisdiction_ids=jurisdiction_ids,
            interstate_share=share,
            voice_channels=0 if product is None else product.voice_channels,
            voice_line_type=None if product is None else product.voice_line_type,
            account_ids=account_ids,
            price=None if found is None else found[0],
        )

    def _product(self, line: AppliedBillingRate) -> Product | None:
        if line.product_id is None:
            return None
        product = self.inputs.products.get(line.product_id)
        if product is None:
            raise TaxError(f"line {line.id} names unknown product {line.product_id!r}")
        return product

    def _service_type(self, line: AppliedBillingRate, product: Product | None) -> str:
        found = self.prices.get(line.price_id or "")
        if found is not None:
            return found[1]
        if product is None:
            return ""
        offering = self.inputs.catalog.offerings.get(product.offering_id)
        return "" if offering is None else offering.product_type

    def _account_ids(self, account_id: str) -> tuple[str, ...]:
        found = self._chains.get(account_id)
        if found is None:
            found = self._chains[account_id] = account_chain(account_id, self.inputs.accounts)
        return found

    def _product_place(self, product: Product) -> tuple[frozenset[str], bool]:
        """The jurisdictions of the product's site A, and whether it is a private line to
        another state (wholly interstate); found once per product."""
        found = self._places.get(product.id)
        if found is None:
            location = self._site_jurisdiction(
                product.site_a_id,
                described=f"site A of product {product.id!r}, circuit {product.circuit_id}",
                fallback=product.jurisdiction_id,
            )
            jurisdiction_ids = frozenset(j.id for j in self.tables.chain(location))
            found = self._places[product.id] = (jurisdiction_ids, self._crosses(product, location))
        return found

    def _site_jurisdiction(self, site_id: str, *, described: str, fallback: str | None) -> str:
        """The jurisdiction of a site; `fallback` when the inputs do not hold the site."""
        site = self.inputs.sites.get(site_id)
        if site is not None:
            return self._listed(site.jurisdiction_id, f"site {site_id!r} ({described})")
        if fallback is None:
            raise TaxError(f"site {site_id!r} ({described}) is not among the sites of the inputs")
        return self._listed(fallback, described)

    def _listed(self, jurisdiction_id: str, named: str) -> str:
        if jurisdiction_id not in self.tables.jurisdictions:
            raise TaxError(
                f"{named} is in jurisdiction {jurisdiction_id!r}, which the tax tables "
                f"{self.tables.source} do not list"
            )
        return jurisdiction_id

    def _billing_site_jurisdiction(
        self, line: AppliedBillingRate, account_ids: Sequence[str]
    ) -> str:
        for account_id in account_ids:
            account = self.inputs.accounts.get(account_id)
            if account is not None and account.billing_site_id is not None:
                described = f"billing site of billing account {account_id!r}"
                return self._site_jurisdiction(
                    account.billing_site_id, described=described, fallback=None
                )
        raise TaxError(
            f"line {line.id} ({line.name}) has no product, and billing account "
            f"{line.billing_account_id!r} has no billing site to tax it at: give the account "
            "(or an account above it) a billing_site_id"
        )

    def _crosses(self, product: Product, location: str) -> bool:
        """Whether the product's site Z lies in another state than its site A (`location`)."""
        if product.site_z_id is None:
            return False
        far_end = self._site_jurisdiction(
            product.site_z_id,
            described=f"site Z of product {product.id!r}, circuit {product.circuit_id}",
            fallback=None,
        )
        return self.tables.state_of(far_end) != self.tables.state_of(location)

    def _study(self, service_type: str, account_ids: Sequence[str]) -> TrafficStudy | None:
        """The study in force of the line's account, else of the nearest account above it."""
        for account_id in account_ids:
            for study in self.studies.get((account_id, service_type), ()):
                if study.is_valid_on(self.tax_point):
                    return study
        return None

    def _allocated_share(self, service_type: str, account_ids: tuple[str, ...]) -> Decimal:
        key = (service_type, account_ids)
        found = self._shares.get(key)
        if found is None:
            found = self._shares[key] = self._allocated(service_type, account_ids)
        return found

    def _allocated(self, service_type: str, account_ids: Sequence[str]) -> Decimal:
        percent = Decimal(0)
        allocation = self.tables.allocations.get(service_type)
        if allocation is not None:
            percent = allocation.interstate_percent
        study = self._study(service_type, account_ids)
        if study is not None:
            percent = study.interstate_percent
        if allocation is not None and allocation.private_line:
            return Decimal(1) if percent > PRIVATE_LINE_INTERSTATE_PERCENT_MAX else Decimal(0)
        return MONEY_CONTEXT.divide(percent, PERCENT)


def studies_by_account(
    data: TaxAccountData,
) -> dict[tuple[str, str], tuple[TrafficStudy, ...]]:
    """The traffic studies per (billing account, service type), by id."""
    found: dict[tuple[str, str], list[TrafficStudy]] = {}
    for study in sorted(data.traffic_studies, key=lambda study: study.id):
        found.setdefault((study.billing_account_id, study.service_type), []).append(study)
    return {key: tuple(studies) for key, studies in found.items()}
