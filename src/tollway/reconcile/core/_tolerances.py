"""How large a difference may be before it counts: per line, per invoice, per category.

Limits are given in the currency's minor units (one cent in USD, one yen in JPY), so one set of
tolerances serves every currency; the invoice limit adds a relative materiality in percent of the
legacy invoice total. Every limit is inclusive: a difference exactly at the limit is within it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from tollway.money import MONEY_CONTEXT, RoundingMode, TollwayError, round_decimal, to_decimal

CATEGORIES: Final = (
    "hierarchy",
    "timing",
    "matched",
    "rounding",
    "discount",
    "proration",
    "rate",
    "usage_completeness",
    "quantity",
    "term",
    "tax_exemption",
    "tax_jurisdiction",
    "tax_base",
    "missing_in_new",
    "extra_in_new",
    "unexplained",
)
"""Every root-cause category (the values of `tollway.reconcile.Category`), most specific first:
the order that breaks ties when one category must stand for several (an invoice's dominant
category). The classifier's own precedence is documented in docs/parallel-run.md."""

_LIMIT_MINOR_MAX: Final = 10**15


class TolerancesError(TollwayError):
    """A tolerance or gate setting is missing, negative, unknown or not a number."""

    code = "invalid_reconcile_settings"


@dataclass(frozen=True, slots=True)
class Tolerances:
    """Tolerances of a parallel run.

    - `line_absolute_minor`: a line or tax difference up to this many minor units is within
      tolerance (default one minor unit).
    - `rounding_minor`: a difference up to this many minor units where nothing else differs is
      classified `rounding` (default one minor unit).
    - `invoice_absolute_minor` / `invoice_relative_percent`: an invoice is within tolerance when
      its difference is at most the absolute materiality OR at most this percentage of the legacy
      invoice total (whichever is larger).
    - `category_line_absolute_minor`: per-category overrides of the line limit, as
      (category, minor units) pairs, e.g. `(("usage_completeness", 500),)`.

    >>> tolerances = Tolerances(category_line_absolute_minor=(("rate", 5),))
    >>> tolerances.line_limit_minor("rate"), tolerances.line_limit_minor("quantity")
    (5, 1)
    """

    line_absolute_minor: int = 1
    rounding_minor: int = 1
    invoice_absolute_minor: int = 100
    invoice_relative_percent: Decimal = Decimal("0.1")
    category_line_absolute_minor: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        for name in ("line_absolute_minor", "rounding_minor", "invoice_absolute_minor"):
            value = getattr(self, name)
            assert isinstance(value, int) and 0 <= value <= _LIMIT_MINOR_MAX, f"{name}: {value!r}"
        assert isinstance(self.invoice_relative_percent, Decimal)
        assert Decimal(0) <= self.invoice_relative_percent <= Decimal(100)
        categories = [category for category, _ in self.category_line_absolute_minor]
        assert len(set(categories)) == len(categories), "a category is overridden twice"
        for category, limit in self.category_line_absolute_minor:
            assert category in CATEGORIES, f"unknown category {category!r}"
            assert isinstance(limit, int) and 0 <= limit <= _LIMIT_MINOR_MAX

    def line_limit_minor(self, category: str) -> int:
        """The line/tax limit for a difference of `category`, in minor units."""
        for overridden, limit in self.category_line_absolute_minor:
            if overridden == category:
                return limit
        return self.line_absolute_minor

    def invoice_within(
        self, *, variance: Decimal, legacy_total: Decimal, minor_unit: Decimal
    ) -> bool:
        """Whether an invoice difference is immaterial (the reference rule the SQL engine follows).

        >>> tolerances = Tolerances(invoice_absolute_minor=100, invoice_relative_percent=Decimal("0.1"))
        >>> unit = Decimal("0.01")
        >>> tolerances.invoice_within(variance=Decimal("1.00"), legacy_total=Decimal("5"), minor_unit=unit)
        True
        >>> tolerances.invoice_within(variance=Decimal("-2.00"), legacy_total=Decimal("2000"), minor_unit=unit)
        True
        >>> tolerances.invoice_within(variance=Decimal("2.01"), legacy_total=Decimal("2000"), minor_unit=unit)
        False
        """
        size = abs(variance)
        if size <= minor_unit * self.invoice_absolute_minor:
            return True
        relative_limit = MONEY_CONTEXT.multiply(self.invoice_relative_percent, abs(legacy_total))
        return size * 100 <= relative_limit


def _minor_units(value: object, *, field: str) -> int:
    number = to_decimal(value, field=field)
    if number != number.to_integral_value() or not 0 <= number <= _LIMIT_MINOR_MAX:
        raise TolerancesError(
            f"{field}: {value!r} must be a whole number of minor units from 0 to {_LIMIT_MINOR_MAX}"
        )
    return int(number)


def _percent(value: object, *, field: str) -> Decimal:
    number = to_decimal(value, field=field)
    if not Decimal(0) <= number <= Decimal(100):
        raise TolerancesError(f"{field}: {value!r} must be a percentage from 0 to 100")
    return number


def _category_limits(value: object) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, Mapping):
        raise TolerancesError("categories: expected a mapping of category to minor units")
    limits: list[tuple[str, int]] = []
    for category, limit in value.items():
        if category not in CATEGORIES:
            raise TolerancesError(
                f"categories: unknown category {category!r}; expected one of "
                + ", ".join(sorted(CATEGORIES))
            )
        limits.append((category, _minor_units(limit, field=f"categories.{category}")))
    return tuple(sorted(limits))


def check_keys(document: Mapping[str, object], allowed: tuple[str, ...], *, what: str) -> None:
    """Refuse a settings mapping with a key outside `allowed` (a typo must not pass silently)."""
    unknown = sorted(str(key) for key in document if key not in allowed)
    if unknown:
        raise TolerancesError(
            f"{what}: unknown setting {unknown[0]!r}; expected " + ", ".join(allowed)
        )


def tolerances_from_mapping(document: object) -> Tolerances:
    """Tolerances from a parsed YAML/JSON mapping; keys left out keep their defaults.

    >>> tolerances = tolerances_from_mapping(
    ...     {"line_absolute_minor": 2, "invoice_relative_percent": "0.5", "categories": {"rate": 10}}
    ... )
    >>> tolerances.line_absolute_minor, tolerances.invoice_relative_percent
    (2, Decimal('0.5'))
    >>> tolerances.category_line_absolute_minor
    (('rate', 10),)
    >>> tolerances_from_mapping({"line_absolute": 1})
    Traceback (most recent call last):
    ...
    tollway.reconcile.core._tolerances.TolerancesError: tolerances: unknown setting 'line_absolute'; expected line_absolute_minor, rounding_minor, invoice_absolute_minor, invoice_relative_percent, categories
    """
    if not isinstance(document, Mapping):
        raise TolerancesError("tolerances: expected a mapping of settings")
    allowed = (
        "line_absolute_minor",
        "rounding_minor",
        "invoice_absolute_minor",
        "invoice_relative_percent",
        "categories",
    )
    check_keys(document, allowed, what="tolerances")
    defaults = Tolerances()
    return Tolerances(
        line_absolute_minor=_minor_units(
            document.get("line_absolute_minor", defaults.line_absolute_minor),
            field="line_absolute_minor",
        ),
        rounding_minor=_minor_units(
            document.get("rounding_minor", defaults.rounding_minor), field="rounding_minor"
        ),
        invoice_absolute_minor=_minor_units(
            document.get("invoice_absolute_minor", defaults.invoice_absolute_minor),
            field="invoice_absolute_minor",
        ),
        invoice_relative_percent=_percent(
            document.get("invoice_relative_percent", defaults.invoice_relative_percent),
            field="invoice_relative_percent",
        ),
        category_line_absolute_minor=_category_limits(document.get("categories", {})),
    )


def percent_text(value: Decimal) -> str:
    """A percentage for people: two decimals, never exponent form.

    >>> percent_text(Decimal("99.95004995")), percent_text(Decimal("100"))
    ('99.95', '100.00')
    """
    return f"{round_decimal(value, decimals=2, mode=RoundingMode.HALF_EVEN):f}"
