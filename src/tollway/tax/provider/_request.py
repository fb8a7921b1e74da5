"""One bill → one AFC `CalcTaxes` request: pure, no I/O.

The request has one invoice (`inv[0]`, document code `<account id>:<bill date>`) with one line
item per bill line whose amount is not zero, in the bill's line order; the item's `ref` is the
line id, so answers map back without guessing. Zero lines are not sent (a service has nothing to
tax) and keep their place on the bill with no taxes.

Per item: `tran`/`serv` from the mapping by the offering's product type and the line's charge
type; `chg` the line's amount (negative for discounts and credits, with the mapping's `disc`
discount type: AFC's "adjustment flag false, negative values" form); `sale` wholesale or retail by
customer class; `incl` when the line's amount includes its taxes (its catalog price is
tax-inclusive, or it discounts such prices); `line` the product's voice channels on the first
positive recurring line of each circuit (per-line fees are monthly: once per circuit and bill, as
the local engine charges them); `min` the minutes of usage priced per minute or per second
(seconds ÷ 60, kept to 10^-9 of a minute); `from`/`to` the product's site A (and Z, with `plsp`,
for a private line), or the bill-to location for lines of no product.

The invoice claims the exemptions of the certificates valid on the bill date (`_exemptions`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final

from tollway.accounts import BillingAccount, Party, Site
from tollway.billing import AppliedBillingRate, BillingInputs, ChargeType
from tollway.catalog import ProductOffering, ProductOfferingPrice
from tollway.inventory import Product
from tollway.money import MONEY_CONTEXT, RoundingMode, plain_decimal, round_decimal
from tollway.tax.core import TaxAccountData
from tollway.tax.core._place import SECOND_UNITS, SECONDS_PER_MINUTE, is_tax_inclusive
from tollway.tax.provider._errors import TaxRequestError
from tollway.tax.provider._exemptions import ClaimedExemption, claimed_exemptions
from tollway.tax.provider._mapping import CompanyProfile, ServiceMapping, ServicePair

request_items_max: Final = 10_000
"""AFC's limit of line items per CalcTaxes request (LineItem reference)."""
reference_bytes_max: Final = 150
"""AFC's limit of a line item `ref` and an invoice `doc` (LineItem and InvoiceResult references)."""
MINUTES_DECIMALS: Final = 9
MINUTES_ROUNDING_MODE: Final = RoundingMode.HALF_UP
"""Minutes converted from seconds are sent to 10^-9 of a minute, rounded half up."""
NO_ACCOUNT_DATA: Final = TaxAccountData()


@dataclass(frozen=True, slots=True)
class CalcTaxesRequest:
    """A request ready for a transport, and what reading its answer needs."""

    document: Mapping[str, Any]
    """The JSON-like request: dicts, lists, str, int, bool and Decimal amounts."""
    document_code: str
    refs: tuple[str, ...]
    """The line ids sent, in order (each item's `ref`)."""
    inclusive_refs: frozenset[str]
    """The refs sent with `incl: true`."""
    exemptions: tuple[ClaimedExemption, ...] = ()
    """The certificates' exemptions claimed (`exms`), to read exempted taxes back."""

    def certificate_of(self, tax_type: int, level: int) -> str | None:
        """The certificate whose claim covers a returned tax of `tax_type` at `level`, if any."""
        for claim in self.exemptions:
            if claim.covers(tax_type, level):
                return claim.certificate_id
        return None


@dataclass(frozen=True, slots=True)
class _Context:
    inputs: BillingInputs
    mapping: ServiceMapping
    prices: Mapping[str, tuple[ProductOffering, ProductOfferingPrice]]
    bill_location: Mapping[str, Any]
    sale_type: int
    lines_sent: set[str] = field(default_factory=set)
    """The products whose voice lines (`line`) an earlier item carried."""


def document_code(account: BillingAccount, bill_date: date) -> str:
    """The AFC invoice document code of a bill: its account and date.

    >>> from tollway.money import currency
    >>> document_code(BillingAccount("ACME", "p1", "Acme", currency("USD"), 1, "UTC"),
    ...               date(2026, 4, 1))
    'ACME:2026-04-01'
    """
    return f"{account.id}:{bill_date.isoformat()}"


def company_document(company: CompanyProfile) -> dict[str, Any]:
    """AFC `cmpn` of a seller profile."""
    document: dict[str, Any] = {
        "bscl": company.business_class,
        "svcl": company.service_class,
        "fclt": company.facilities_based,
        "frch": company.franchise,
        "reg": company.regulated,
    }
    if company.identifier is not None:
        document["idnt"] = company.identifier
    return document


def location_of(site: Site, mapping: ServiceMapping) -> dict[str, Any]:
    """An AFC address location (`ctry`, `st`, `city`, `zip`) of a site; empty parts left out."""
    parts = {
        "ctry": mapping.country_codes.get(site.country, site.country),
        "st": site.region,
        "city": site.city,
        "zip": site.postal_code,
    }
    return {key: value for key, value in parts.items() if value}


def _price_index(inputs: BillingInputs) -> dict[str, tuple[ProductOffering, ProductOfferingPrice]]:
    return {
        price.id: (offering, price)
        for offering_id in sorted(inputs.catalog.offerings)
        for offering in (inputs.catalog.offerings[offering_id],)
        for price in offering.prices
    }


def _site(site_id: str, inputs: BillingInputs, *, needed_by: str) -> Site:
    site = inputs.sites.get(site_id)
    if site is None:
        raise TaxRequestError(f"{needed_by} names site {site_id!r}, which is not in the sites")
    return site


def _product(line: AppliedBillingRate, inputs: BillingInputs) -> Product | None:
    if line.product_id is None:
        return None
    product = inputs.products.get(line.product_id)
    if product is None:
        raise TaxRequestError(f"line {line.id} names unknown product {line.product_id!r}")
    return product


def _bill_location(
    account: BillingAccount,
    lines: Sequence[AppliedBillingRate],
    inputs: BillingInputs,
    mapping: ServiceMapping,
) -> dict[str, Any]:
    """The bill-to location: the account's billing site, else site A of its first product line."""
    if account.billing_site_id is not None:
        needed_by = f"billing account {account.id!r}"
        return location_of(_site(account.billing_site_id, inputs, needed_by=needed_by), mapping)
    for line in lines:
        product = _product(line, inputs)
        if product is not None:
            needed_by = f"product {product.id!r} (circuit {product.circuit_id})"
            return location_of(_site(product.site_a_id, inputs, needed_by=needed_by), mapping)
    raise TaxRequestError(
        f"billing account {account.id!r} has no billing site and no product line to locate its "
        "bill; give the account a billing_site_id"
    )


def _pair(line: AppliedBillingRate, product: Product | None, context: _Context) -> ServicePair:
    found = context.prices.get(line.price_id or "")
    offering = None if found is None else found[0]
    if offering is None and product is not None:
        offering = context.inputs.catalog.offerings.get(product.offering_id)
        if offering is None:
            raise TaxRequestError(
                f"line {line.id}: product {product.id!r} names unknown offering "
                f"{product.offering_id!r}"
            )
    product_type = None if offering is None else offering.product_type
    pair = context.mapping.pair_for(product_type, line.charge_type)
    if pair is None:
        raise TaxRequestError(
            f"line {line.id} ({line.name}): the service mapping {context.mapping.label!r} has no "
            f"transaction/service pair for product type {product_type or '(none)'!r} and charge "
            f"type {line.charge_type.value!r}; add one to its pairs"
        )
    return pair


def _is_inclusive(line: AppliedBillingRate, context: _Context) -> bool:
    found = context.prices.get(line.price_id or "")
    return is_tax_inclusive(line, None if found is None else found[1])


def minutes_of(line: AppliedBillingRate, mapping: ServiceMapping) -> Decimal | None:
    """The minutes of a usage line: its quantity in one of the mapping's minute units, or in
    seconds ÷ 60 (to 10^-9 of a minute); None for other units and other lines."""
    if line.charge_type is not ChargeType.USAGE:
        return None
    if line.unit in mapping.minute_units:
        return line.quantity
    if (line.unit or "").strip().lower() in SECOND_UNITS:
        minutes = MONEY_CONTEXT.divide(line.quantity, SECONDS_PER_MINUTE)
        rounded = round_decimal(minutes, decimals=MINUTES_DECIMALS, mode=MINUTES_ROUNDING_MODE)
        return plain_decimal(rounded)
    return None


def _place(
    item: dict[str, Any], line: AppliedBillingRate, product: Product | None, context: _Context
) -> None:
    """`from`, `to` and, for a private line, `plsp`."""
    if product is None:
        item["from"] = item["to"] = context.bill_location
        return
    needed_by = f"product {product.id!r} (circuit {product.circuit_id})"
    site_a = location_of(
        _site(product.site_a_id, context.inputs, needed_by=needed_by), context.mapping
    )
    item["from"] = item["to"] = site_a
    if product.site_z_id is not None:
        if item["incl"]:
            raise TaxRequestError(
                f"line {line.id}: circuit {product.circuit_id} is a private line with a "
                "tax-inclusive price; AFC does not split tax-inclusive private lines (plsp with "
                "incl), so price it tax-exclusive"
            )
        site_z = _site(product.site_z_id, context.inputs, needed_by=needed_by)
        item["to"] = location_of(site_z, context.mapping)
        item["plsp"] = context.mapping.private_line_split


def _measures(
    item: dict[str, Any], line: AppliedBillingRate, product: Product | None, context: _Context
) -> None:
    """`line` (voice channels, once per circuit), `min` (usage minutes) and `disc` (negative
    lines)."""
    amount = line.amount.amount
    recurring = line.charge_type is ChargeType.RECURRING and amount > 0
    voice = product is not None and product.voice_channels > 0
    if recurring and voice and product is not None and product.id not in context.lines_sent:
        item["line"] = product.voice_channels
        context.lines_sent.add(product.id)
    minutes = minutes_of(line, context.mapping)
    if minutes is not None:
        item["min"] = minutes
    if amount < 0:
        item["disc"] = context.mapping.discount_types.get(line.charge_type, 0)


def _item(line: AppliedBillingRate, context: _Context) -> dict[str, Any]:
    assert len(line.id.encode()) <= reference_bytes_max, f"{line.id}: longer than an AFC ref"
    product = _product(line, context.inputs)
    pair = _pair(line, product, context)
    item: dict[str, Any] = {
        "ref": line.id,
        "chg": line.amount.amount,
        "sale": context.sale_type,
        "incl": _is_inclusive(line, context),
        "tran": pair.transaction_type,
        "serv": pair.service_type,
    }
    _place(item, line, product, context)
    _measures(item, line, product, context)
    return item


def _invoice(
    code: str,
    items: list[dict[str, Any]],
    *,
    party: Party,
    bill_date: date,
    context: _Context,
    exemptions: Sequence[ClaimedExemption],
) -> dict[str, Any]:
    """The request's one invoice: bill-to, customer type, date, exemptions and items."""
    invoice: dict[str, Any] = {
        "doc": code,
        "cmmt": False,
        "bill": context.bill_location,
        "cust": context.mapping.customer_types[party.customer_class],
        "date": f"{bill_date.isoformat()}T12:00:00Z",
    }
    if exemptions:
        invoice["exms"] = [claim.document for claim in exemptions]
    invoice.update({"itms": items, "invm": True, "dtl": True, "summ": False})
    return invoice


def build_request(
    lines: Sequence[AppliedBillingRate],
    *,
    account: BillingAccount,
    party: Party,
    inputs: BillingInputs,
    bill_date: date,
    mapping: ServiceMapping,
    company: CompanyProfile,
    account_data: TaxAccountData = NO_ACCOUNT_DATA,
) -> CalcTaxesRequest:
    """The CalcTaxes request of one bill (see the module docstring for every field); the
    certificates of `account_data` valid on the bill date are claimed as exemptions."""
    sent = [line for line in lines if not line.amount.is_zero]
    if len(sent) > request_items_max:
        raise TaxRequestError(
            f"billing account {account.id!r}: {len(sent)} taxable lines on one bill, more than "
            f"the {request_items_max} line items a CalcTaxes request may carry"
        )
    code = document_code(account, bill_date)
    if len(code.encode()) > reference_bytes_max:
        raise TaxRequestError(
            f"billing account {account.id!r}: its id is too long for an AFC document code "
            f"({reference_bytes_max} bytes at most)"
        )
    bill_location = _bill_location(account, sent, inputs, mapping) if sent else {}
    context = _Context(
        inputs,
        mapping,
        _price_index(inputs),
        bill_location,
        mapping.sale_type(party.customer_class),
    )
    items = [_item(line, context) for line in sent]
    exemptions = claimed_exemptions(
        sent, inputs=inputs, bill_date=bill_date, account_data=account_data, mapping=mapping
    )
    invoice = _invoice(
        code, items, party=party, bill_date=bill_date, context=context, exemptions=exemptions
    )
    return CalcTaxesRequest(
        document={"cmpn": company_document(company), "inv": [invoice]},
        document_code=code,
        refs=tuple(line.id for line in sent),
        inclusive_refs=frozenset(item["ref"] for item in items if item["incl"]),
        exemptions=exemptions,
    )
