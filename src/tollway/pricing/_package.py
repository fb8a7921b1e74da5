"""Untiered quantity prices: a flat amount, a price per unit, and packages of units.

`Flat` and `PerUnit` are linear, so they also price a negative total (a correction becomes a
credit). `Package` counts whole packages after the free units and refuses a negative total.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from tollway.conventions import Conventions, PackageRounding
from tollway.money import Currency, DecimalLike, to_decimal
from tollway.pricing._exact import exact_multiply, exact_subtract, whole_divisions
from tollway.pricing._model import total_quantity
from tollway.pricing._result import BreakdownLine, PriceResult, finalize
from tollway.pricing._tiers import ZERO, billable_quantity, require_non_negative, require_positive
from tollway.pricing._usage import UsageEvent


@dataclass(frozen=True, slots=True)
class Flat:
    """A fixed amount whatever the usage (a monthly port fee, a platform fee).

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> Flat.of("49.90").price([], currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('49.90'), currency=USD)
    """

    model: ClassVar[str] = "flat"
    amount: Decimal

    def __post_init__(self) -> None:
        require_non_negative(self.amount, field="amount")

    @classmethod
    def of(cls, amount: DecimalLike) -> "Flat":
        return cls(to_decimal(amount, field="amount"))

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        line = BreakdownLine(
            kind="flat",
            description=f"flat fee {self.amount}",
            quantity=Decimal(1),
            unit_price=self.amount,
            amount=self.amount,
        )
        quantity = total_quantity(events)
        return finalize([line], quantity=quantity, currency=currency, conventions=conventions)


@dataclass(frozen=True, slots=True)
class PerUnit:
    """Every unit at one price: quantity x unit_price.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> events = [UsageEvent.of("10.5"), UsageEvent.of("2")]
    >>> # 12.5 GB x 0.25 = 3.125, half-up to 3.13
    >>> PerUnit.of("0.25").price(events, currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('3.13'), currency=USD)
    """

    model: ClassVar[str] = "per_unit"
    unit_price: Decimal

    def __post_init__(self) -> None:
        require_non_negative(self.unit_price, field="unit_price")

    @classmethod
    def of(cls, unit_price: DecimalLike) -> "PerUnit":
        return cls(to_decimal(unit_price, field="unit_price"))

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        quantity = total_quantity(events)
        line = BreakdownLine(
            kind="per_unit",
            description=f"{quantity} units at {self.unit_price}",
            quantity=quantity,
            unit_price=self.unit_price,
            amount=exact_multiply(quantity, self.unit_price),
        )
        return finalize([line], quantity=quantity, currency=currency, conventions=conventions)


@dataclass(frozen=True, slots=True)
class Package:
    """Units sold in packages: `packages = (quantity - free_units) / package_size`, a partial
    package counted or dropped by `conventions.package_rounding`, never below zero.

    >>> from tollway.conventions import profile
    >>> from tollway.money import currency
    >>> sms = Package.of(package_size="100", package_price="5", free_units="50")
    >>> # 300 SMS - 50 free = 250 = 2.5 packages, rounded up to 3 x 5 = 15
    >>> sms.price([UsageEvent.of("300")], currency=currency("USD"), conventions=profile()).amount
    Money(amount=Decimal('15.00'), currency=USD)
    """

    model: ClassVar[str] = "package"
    package_size: Decimal
    package_price: Decimal
    free_units: Decimal = ZERO

    def __post_init__(self) -> None:
        require_positive(self.package_size, field="package_size")
        require_non_negative(self.package_price, field="package_price")
        require_non_negative(self.free_units, field="free_units")

    @classmethod
    def of(
        cls,
        *,
        package_size: DecimalLike,
        package_price: DecimalLike,
        free_units: DecimalLike = 0,
    ) -> "Package":
        return cls(
            package_size=to_decimal(package_size, field="package_size"),
            package_price=to_decimal(package_price, field="package_price"),
            free_units=to_decimal(free_units, field="free_units"),
        )

    def price(
        self,
        events: Sequence[UsageEvent],
        *,
        currency: Currency,
        conventions: Conventions,
    ) -> PriceResult:
        quantity = billable_quantity(events, model=self.model)
        lines: list[BreakdownLine] = []
        if self.free_units > 0:
            lines.append(self._free_line(quantity))
        paid_units = max(exact_subtract(quantity, self.free_units), ZERO)
        round_up = conventions.package_rounding is PackageRounding.UP
        packages = whole_divisions(paid_units, self.package_size, round_up=round_up)
        rounding = "a started package counts" if round_up else "only complete packages count"
        lines.append(
            BreakdownLine(
                kind="package",
                description=(
                    f"{packages} packages of {self.package_size} units at {self.package_price} "
                    f"({paid_units} paid units; {rounding})"
                ),
                quantity=packages,
                unit_price=self.package_price,
                amount=exact_multiply(packages, self.package_price),
            )
        )
        return finalize(lines, quantity=quantity, currency=currency, conventions=conventions)

    def _free_line(self, quantity: Decimal) -> BreakdownLine:
        used = min(quantity, self.free_units)
        return BreakdownLine(
            kind="free_units",
            description=f"{used} of {self.free_units} free units",
            quantity=used,
            unit_price=ZERO,
            amount=ZERO,
        )
