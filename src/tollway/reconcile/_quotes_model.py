"""CRM quotes and orders as tollway reads them: TMF622 productOrder items with their prices.

An order (`QuoteOrder`) is what a salesperson sold an account: items (`QuoteItem`) that add,
modify or delete a product instance, each with its prices (`QuotedPrice`: recurring, one-time or
usage, with an optional discount and the tax treatment the customer was promised) and its contract
term (`QuotedTerm`). The file formats that carry them are in docs/quote-to-bill.md; this module
holds only the validated, typed result, frozen: every invariant here was checked on reading, so a
violation is a programming error (an assert), never a user mistake.

Amounts are Decimals in the order's currency, exact. A price's amounts are for one instance: the
whole period's charge of a recurring price (one month), or the one-off charge of a one-time price.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from tollway.money import MONEY_CONTEXT, TollwayError

TERM_CATEGORY: Final = "term"
"""The category of a contract-term difference (quoted months or start against the agreement's).
Not one of `Category`: a term is not an amount on an invoice."""

QUOTE_CYCLE: Final = "quote-to-bill"
"""The `cycle` value of quote-to-bill difference rows unless the caller names another."""

PERCENT: Final = Decimal(100)


class QuoteFileError(TollwayError):
    """A quote file cannot be read at all (absent, not UTF-8, not JSON, no header, an unknown
    column): nothing to validate row by row."""

    code = "quote_file"


class OrderAction(StrEnum):
    """TMF622 productOrderItem.action."""

    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"
    NO_CHANGE = "noChange"


class QuotePriceType(StrEnum):
    """TMF622 OrderPrice.priceType."""

    RECURRING = "recurring"
    ONE_TIME = "oneTime"
    USAGE = "usage"


class QuoteTaxTreatment(StrEnum):
    """Whether the quoted price includes tax (the customer pays it as quoted) or not (taxes are
    added on top)."""

    EXCLUSIVE = "exclusive"
    INCLUSIVE = "inclusive"


class QuoteIssueCode(StrEnum):
    """Why a quote row was rejected. Stable: match on it."""

    BAD_JSON = "bad_json"
    BAD_STRUCTURE = "bad_structure"
    MISSING_VALUE = "missing_value"
    BAD_ID = "bad_id"
    BAD_DATE = "bad_date"
    BAD_DECIMAL = "bad_decimal"
    BAD_INTEGER = "bad_integer"
    BAD_VALUE = "bad_value"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_CURRENCY = "unknown_currency"
    CURRENCY_MISMATCH = "currency_mismatch"
    INCOMPLETE_PRICE = "incomplete_price"
    CONFLICTING_VALUES = "conflicting_values"
    DUPLICATE_ID = "duplicate_id"
    ORDER_REJECTED = "order_rejected"


def _tax_factor(rate_percent: Decimal) -> Decimal:
    """1 + rate: what a price before tax is multiplied by to include the tax."""
    return MONEY_CONTEXT.add(Decimal(1), MONEY_CONTEXT.divide(rate_percent, PERCENT))


@dataclass(frozen=True, slots=True)
class QuotedDiscount:
    """A TMF622 priceAlteration: a percentage or an amount off each period, for `periods` periods
    (None: for as long as the price applies)."""

    percent: Decimal | None = None
    amount: Decimal | None = None
    """Per period, in the price's tax treatment."""
    periods: int | None = None

    def __post_init__(self) -> None:
        assert (self.percent is None) != (self.amount is None), "a percentage or an amount"
        assert self.percent is None or Decimal(0) <= self.percent <= PERCENT
        assert self.amount is None or self.amount >= 0
        assert self.periods is None or self.periods > 0

    def of_amount(self, base: Decimal) -> Decimal:
        """What the discount takes off `base` (one period's price), exact, positive.

        >>> QuotedDiscount(percent=Decimal("12.5")).of_amount(Decimal("80"))
        Decimal('10.0')
        """
        if self.percent is not None:
            return MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(base, self.percent), PERCENT)
        assert self.amount is not None
        return self.amount


@dataclass(frozen=True, slots=True)
class QuotedPrice:
    """One TMF622 itemPrice of an item, for one instance.

    `duty_free_amount` is the price before tax, `tax_included_amount` after; `unit_price` is per
    unit of the catalog price's quantity basis (per Mbps for a bandwidth-priced offering, else per
    instance) and, like the headline amount, in the price's tax treatment.
    """

    price_type: QuotePriceType
    offering_price_id: str | None = None
    duty_free_amount: Decimal | None = None
    tax_included_amount: Decimal | None = None
    unit_price: Decimal | None = None
    tax_treatment: QuoteTaxTreatment = QuoteTaxTreatment.EXCLUSIVE
    tax_rate_percent: Decimal | None = None
    tax_jurisdiction_id: str | None = None
    discount: QuotedDiscount | None = None

    def __post_init__(self) -> None:
        for value in (self.duty_free_amount, self.tax_included_amount, self.unit_price):
            assert value is None or value >= 0, "quoted prices are not negative"
        assert self.tax_rate_percent is None or Decimal(0) <= self.tax_rate_percent <= PERCENT
        assert self.headline_amount is not None or self.unit_price is not None, (
            "a price has an amount in its tax treatment, or a unit price"
        )

    @property
    def tax_inclusive(self) -> bool:
        return self.tax_treatment is QuoteTaxTreatment.INCLUSIVE

    @property
    def headline_amount(self) -> Decimal | None:
        """The whole period's price of one instance as the customer was quoted it: tax included
        for a tax-inclusive price, else before tax. None when only a unit price is given.

        >>> QuotedPrice(QuotePriceType.RECURRING, duty_free_amount=Decimal("100"),
        ...     tax_rate_percent=Decimal("10"), tax_treatment=QuoteTaxTreatment.INCLUSIVE
        ... ).headline_amount
        Decimal('110.0')
        """
        rate = self.tax_rate_percent
        if self.tax_inclusive:
            if self.tax_included_amount is not None:
                return self.tax_included_amount
            if self.duty_free_amount is not None and rate is not None:
                return MONEY_CONTEXT.multiply(self.duty_free_amount, _tax_factor(rate))
            return None
        if self.duty_free_amount is not None:
            return self.duty_free_amount
        if self.tax_included_amount is not None and rate is not None:
            return MONEY_CONTEXT.divide(self.tax_included_amount, _tax_factor(rate))
        return None

    @property
    def expected_tax_percent(self) -> Decimal | None:
        """The tax rate the quote expects, in percent: given, or implied by both amounts.

        >>> QuotedPrice(QuotePriceType.ONE_TIME, duty_free_amount=Decimal("200"),
        ...     tax_included_amount=Decimal("216.50")).expected_tax_percent
        Decimal('8.25')
        """
        if self.tax_rate_percent is not None:
            return self.tax_rate_percent
        net, gross = self.duty_free_amount, self.tax_included_amount
        if net is None or gross is None or net == 0:
            return None
        return MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(gross - net, PERCENT), net)


@dataclass(frozen=True, slots=True)
class QuotedTerm:
    """A TMF622 itemTerm: the contract term in months, from `start` when the quote says."""

    months: int
    start: date | None = None

    def __post_init__(self) -> None:
        assert self.months > 0


@dataclass(frozen=True, slots=True)
class QuoteItem:
    """A TMF622 productOrderItem: `quantity` instances of an offering added, modified or deleted.

    `circuit_id` names the instance when the CRM knows it (then `quantity` is 1; a modify or delete
    item always names it); `bandwidth_mbps` is the ordered bandwidth when given.
    """

    id: str
    action: OrderAction
    offering_id: str | None
    quantity: int = 1
    circuit_id: str | None = None
    bandwidth_mbps: Decimal | None = None
    term: QuotedTerm | None = None
    prices: tuple[QuotedPrice, ...] = ()

    def __post_init__(self) -> None:
        assert self.quantity > 0
        assert self.circuit_id is None or self.quantity == 1, "a named circuit is one instance"
        assert self.bandwidth_mbps is None or self.bandwidth_mbps > 0
        if self.action in (OrderAction.ADD, OrderAction.MODIFY):
            assert self.offering_id is not None, "an add or modify item names its offering"
        if self.action in (OrderAction.MODIFY, OrderAction.DELETE):
            assert self.circuit_id is not None, "a modify or delete item names its circuit"


@dataclass(frozen=True, slots=True)
class QuoteOrder:
    """A TMF622 productOrder: what was sold to one billing account (the CRM's id for it) on
    `order_date`, in `currency` (None when the order carries no amount at all)."""

    id: str
    order_date: date
    billing_account_id: str
    currency: str | None
    items: tuple[QuoteItem, ...]
    expected_first_invoice_total: Decimal | None = None
    """Tax included: what the account's first invoice after the order should come to."""
    source: str = ""
    """Where the order was read from (`quotes.csv row 2`), to trace it back."""

    def __post_init__(self) -> None:
        assert self.items, f"order {self.id} has no items"
        ids = [item.id for item in self.items]
        assert len(set(ids)) == len(ids), f"order {self.id} repeats an item id"
        has_amounts = self.expected_first_invoice_total is not None or any(
            item.prices for item in self.items
        )
        assert self.currency is not None or not has_amounts, "amounts need a currency"
