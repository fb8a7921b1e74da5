"""A cycle's reconciliation in figures: counts and amounts matched, variance by category, the
accounts with the largest variance, and the plain mapping it is persisted as.

Counting rules: `matched` means the category is `matched`; rows of any other category differ,
whether or not they are within tolerance (a rounding difference is within tolerance but still
differs). Line and tax rows carry the amounts; invoice rows carry the invoice counts and totals.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from tollway.money import MONEY_CONTEXT, InvalidAmountError, TollwayError, to_decimal
from tollway.reconcile.core._tolerances import CATEGORIES

top_accounts_max: Final = 10
"""How many accounts a summary lists by absolute variance."""


class SummaryFormatError(TollwayError):
    """A persisted cycle summary is not in the expected shape."""

    code = "invalid_cycle_summary"


def percent_of(part: Decimal | int, whole: Decimal | int) -> Decimal:
    """`part` as a percentage of `whole`, at 38 significant digits; 0 when `whole` is 0.

    >>> percent_of(999, 1000), percent_of(0, 0)
    (Decimal('99.9'), Decimal('0'))
    """
    if whole == 0:
        return Decimal(0)
    return MONEY_CONTEXT.divide(Decimal(part) * 100, Decimal(whole))


@dataclass(frozen=True, slots=True)
class CategoryVariance:
    """The line and tax differences of one category: how many, their net and absolute sums."""

    category: str
    differences: int
    net_variance: Decimal
    absolute_variance: Decimal

    def __post_init__(self) -> None:
        assert self.category in CATEGORIES and self.category != "matched", self.category
        assert self.differences > 0 and self.absolute_variance >= abs(self.net_variance)


@dataclass(frozen=True, slots=True)
class AccountVariance:
    """One account's differing line and tax rows: how many, their net and absolute sums."""

    account_id: str
    differences: int
    net_variance: Decimal
    absolute_variance: Decimal

    def __post_init__(self) -> None:
        assert self.differences > 0 and self.absolute_variance >= abs(self.net_variance)


@dataclass(frozen=True, slots=True)
class CycleSummary:
    """One reconciled cycle in figures (all amounts in `currency`; totals include tax).

    >>> summary = CycleSummary(
    ...     cycle="2026-03", currency="USD",
    ...     invoices_compared=1000, invoices_matched=990, invoices_within_tolerance=999,
    ...     lines_compared=10000, lines_matched=9950, lines_within_tolerance=9990,
    ...     taxes_compared=3000, taxes_matched=3000,
    ...     legacy_total=Decimal("100000.00"), tollway_total=Decimal("100012.00"),
    ...     amount_compared=Decimal("100020.00"), amount_matched=Decimal("99020.00"),
    ...     absolute_variance=Decimal("20.00"), unexplained_variance=Decimal("3.00"),
    ...     variance_by_category=(
    ...         CategoryVariance("rate", 3, Decimal("9.00"), Decimal("17.00")),
    ...         CategoryVariance("unexplained", 1, Decimal("3.00"), Decimal("3.00")),
    ...     ),
    ...     top_accounts=(AccountVariance("ACC-1", 4, Decimal("12.00"), Decimal("20.00")),),
    ... )
    >>> summary.invoices_within_tolerance_percent, summary.net_variance
    (Decimal('99.9'), Decimal('12.00'))
    """

    cycle: str
    currency: str
    invoices_compared: int
    invoices_matched: int
    invoices_within_tolerance: int
    lines_compared: int
    lines_matched: int
    lines_within_tolerance: int
    taxes_compared: int
    taxes_matched: int
    legacy_total: Decimal
    tollway_total: Decimal
    amount_compared: Decimal
    """Sum over line and tax rows of the larger of |legacy amount| and |tollway amount|."""
    amount_matched: Decimal
    """The same sum over the rows whose category is `matched`."""
    absolute_variance: Decimal
    """Sum of |variance| over the line and tax rows."""
    unexplained_variance: Decimal
    """Sum of |variance| over the line and tax rows classified `unexplained`."""
    variance_by_category: tuple[CategoryVariance, ...]
    top_accounts: tuple[AccountVariance, ...]

    def __post_init__(self) -> None:
        assert 0 <= self.invoices_matched <= self.invoices_compared
        assert 0 <= self.invoices_within_tolerance <= self.invoices_compared
        assert 0 <= self.lines_matched <= self.lines_compared
        assert 0 <= self.lines_within_tolerance <= self.lines_compared
        assert 0 <= self.taxes_matched <= self.taxes_compared
        assert Decimal(0) <= self.amount_matched <= self.amount_compared
        assert Decimal(0) <= self.unexplained_variance <= self.absolute_variance
        categories = [entry.category for entry in self.variance_by_category]
        assert categories == sorted(categories, key=CATEGORIES.index), "category order"
        assert sum(entry.absolute_variance for entry in self.variance_by_category) == (
            self.absolute_variance
        ), "the categories' absolute variances add up to the cycle's"
        assert len(self.top_accounts) <= top_accounts_max

    @property
    def net_variance(self) -> Decimal:
        """Tollway's invoice totals minus legacy's."""
        return self.tollway_total - self.legacy_total

    @property
    def invoice_match_rate_percent(self) -> Decimal:
        return percent_of(self.invoices_matched, self.invoices_compared)

    @property
    def invoices_within_tolerance_percent(self) -> Decimal:
        return percent_of(self.invoices_within_tolerance, self.invoices_compared)

    @property
    def line_match_rate_percent(self) -> Decimal:
        return percent_of(self.lines_matched, self.lines_compared)

    @property
    def amount_match_rate_percent(self) -> Decimal:
        return percent_of(self.amount_matched, self.amount_compared)

    @property
    def unexplained_variance_percent(self) -> Decimal:
        """Unexplained variance as a percentage of the amount compared."""
        return percent_of(self.unexplained_variance, self.amount_compared)


_COUNTS: Final = (
    "invoices_compared",
    "invoices_matched",
    "invoices_within_tolerance",
    "lines_compared",
    "lines_matched",
    "lines_within_tolerance",
    "taxes_compared",
    "taxes_matched",
)
_AMOUNTS: Final = (
    "legacy_total",
    "tollway_total",
    "amount_compared",
    "amount_matched",
    "absolute_variance",
    "unexplained_variance",
)


def summary_to_mapping(summary: CycleSummary) -> dict[str, object]:
    """The summary as plain data (amounts as decimal strings), for a JSON file.

    >>> mapping = summary_to_mapping(CycleSummary(
    ...     "2026-03", "USD", 0, 0, 0, 0, 0, 0, 0, 0, Decimal("0"), Decimal("0"),
    ...     Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"), (), ()))
    >>> mapping["cycle"], mapping["legacy_total"], summary_from_mapping(mapping).cycle
    ('2026-03', '0', '2026-03')
    """
    mapping: dict[str, object] = {"cycle": summary.cycle, "currency": summary.currency}
    mapping.update({name: getattr(summary, name) for name in _COUNTS})
    mapping.update({name: str(getattr(summary, name)) for name in _AMOUNTS})
    mapping["variance_by_category"] = [
        {"category": entry.category, **_entry_mapping(entry)}
        for entry in summary.variance_by_category
    ]
    mapping["top_accounts"] = [
        {"account_id": entry.account_id, **_entry_mapping(entry)} for entry in summary.top_accounts
    ]
    return mapping


def _entry_mapping(entry: CategoryVariance | AccountVariance) -> dict[str, object]:
    return {
        "differences": entry.differences,
        "net_variance": str(entry.net_variance),
        "absolute_variance": str(entry.absolute_variance),
    }


def _text(mapping: Mapping[str, object], name: str) -> str:
    value = mapping.get(name)
    if not isinstance(value, str):
        raise SummaryFormatError(f"{name}: expected text, got {value!r}")
    return value


def _count(mapping: Mapping[str, object], name: str) -> int:
    value = mapping.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SummaryFormatError(f"{name}: expected a count, got {value!r}")
    return value


def _amount(mapping: Mapping[str, object], name: str) -> Decimal:
    value = mapping.get(name)
    if not isinstance(value, str):
        raise SummaryFormatError(f"{name}: expected an amount as text, got {value!r}")
    try:
        return to_decimal(value, field=name)
    except InvalidAmountError as error:
        raise SummaryFormatError(error.message) from None


def _entries(mapping: Mapping[str, object], name: str) -> list[Mapping[str, object]]:
    value = mapping.get(name)
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise SummaryFormatError(f"{name}: expected a list of objects")
    return value


def summary_from_mapping(mapping: Mapping[str, object]) -> CycleSummary:
    """A summary back from `summary_to_mapping`'s plain data; a malformed one is refused."""
    try:
        return _summary(mapping)
    except AssertionError as error:
        raise SummaryFormatError(f"the figures do not add up: {error}") from None


def _summary(mapping: Mapping[str, object]) -> CycleSummary:
    categories = tuple(
        CategoryVariance(
            _text(item, "category"),
            _count(item, "differences"),
            _amount(item, "net_variance"),
            _amount(item, "absolute_variance"),
        )
        for item in _entries(mapping, "variance_by_category")
        if _known_category(item)
    )
    accounts = tuple(
        AccountVariance(
            _text(item, "account_id"),
            _count(item, "differences"),
            _amount(item, "net_variance"),
            _amount(item, "absolute_variance"),
        )
        for item in _entries(mapping, "top_accounts")
    )
    return CycleSummary(
        cycle=_text(mapping, "cycle"),
        currency=_text(mapping, "currency"),
        invoices_compared=_count(mapping, "invoices_compared"),
        invoices_matched=_count(mapping, "invoices_matched"),
        invoices_within_tolerance=_count(mapping, "invoices_within_tolerance"),
        lines_compared=_count(mapping, "lines_compared"),
        lines_matched=_count(mapping, "lines_matched"),
        lines_within_tolerance=_count(mapping, "lines_within_tolerance"),
        taxes_compared=_count(mapping, "taxes_compared"),
        taxes_matched=_count(mapping, "taxes_matched"),
        legacy_total=_amount(mapping, "legacy_total"),
        tollway_total=_amount(mapping, "tollway_total"),
        amount_compared=_amount(mapping, "amount_compared"),
        amount_matched=_amount(mapping, "amount_matched"),
        absolute_variance=_amount(mapping, "absolute_variance"),
        unexplained_variance=_amount(mapping, "unexplained_variance"),
        variance_by_category=categories,
        top_accounts=accounts,
    )


def _known_category(item: Mapping[str, object]) -> bool:
    if item.get("category") not in CATEGORIES:
        raise SummaryFormatError(f"variance_by_category: unknown category {item.get('category')!r}")
    return True


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One cycle on the trend: the rates and the unexplained variance a migration team watches."""

    cycle: str
    invoices_within_tolerance_percent: Decimal
    line_match_rate_percent: Decimal
    amount_match_rate_percent: Decimal
    unexplained_variance: Decimal


def trend(summaries: Sequence[CycleSummary]) -> tuple[TrendPoint, ...]:
    """The cycles in order (by cycle name) with the figures a trend chart plots."""
    ordered = sorted(summaries, key=lambda summary: summary.cycle)
    assert len({summary.cycle for summary in ordered}) == len(ordered), "a cycle appears twice"
    return tuple(
        TrendPoint(
            summary.cycle,
            summary.invoices_within_tolerance_percent,
            summary.line_match_rate_percent,
            summary.amount_match_rate_percent,
            summary.unexplained_variance,
        )
        for summary in ordered
    )
