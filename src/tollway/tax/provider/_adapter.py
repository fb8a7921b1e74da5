"""`CommunicationsTaxAdapter`: the tax step of a bill, computed by an external communications tax
service (modelled on AvaTax for Communications), behind a transport.

Per bill: one request (`_request`), one transport call, the answer read and checked
(`_response`), then mapped back. Each returned tax becomes an `AppliedTax`:

| AppliedTax field     | from the AFC tax result                                              |
|----------------------|----------------------------------------------------------------------|
| tax_category         | the mapping's `tax_categories[tid]`, else `afc_<tid>`                |
| jurisdiction_id      | the mapping's `jurisdictions[pcd]`, else `afc_pcode_<pcd>`           |
| jurisdiction_level   | `lvl`: 0 federal, 1 state, 2 county, 3 city, 4 unincorporated        |
| tax_rate             | `rate` (a fraction, or the amount per line / minute)                 |
| taxable_amount       | `tm`, exact as returned (an EXEMPT tax: `exm`, the amount exempted)  |
| tax_amount           | `tax` rounded to the currency's minor unit with `TAX_ROUNDING_MODE`  |
|                      | (an EXEMPT tax: the tax exempted, `rate` × `exm` for a rate tax)     |
| treatment            | EXEMPT when the tax is 0 and a certificate's claimed exemption       |
|                      | covers its `tid` and `lvl`; else the mapping's `treatments[tid]`,    |
|                      | else: `bill` → BILLED; not `bill` but `cmpl` → COMPLIANCE_ONLY;      |
|                      | neither → CARRIER_ABSORBED                                           |
| exemption_certificate_id | for an EXEMPT tax: the certificate's id                          |
| calculation          | `calc`: 1 rate, 2 fixed, 3 per_minute, 4 per_line, 5 rate            |
|                      | (self-taxing), 6 and 7 bracket                                       |
| units                | per line: `lns`; per minute: `min` (each else `tm`); otherwise none  |
| name, rule_id        | `name`; `afc:<tid>`                                                  |

A tax-exclusive line keeps its amount. A tax-inclusive line (`incl` sent) becomes the priced
amount less its billed taxes (rounded), so amount + billed taxes == priced exactly; the service's
`base` must agree with that within one minor unit per billed tax. Its `precise_amount` stays the
priced amount, as with the local engine (re-rating compares prices). Tax items are the BILLED taxes
summed per (category, rate), sorted (`tollway.tax.core.tax_items`, as the local engine does).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, Final

from tollway.accounts import BillingAccount, Party
from tollway.billing import (
    AppliedBillingRate,
    AppliedTax,
    BillingInputs,
    TaxItem,
    TaxTreatment,
)
from tollway.money import MONEY_CONTEXT, Currency, Money, RoundingMode, round_decimal, sum_money
from tollway.tax.core import TaxAccountData, tax_items
from tollway.tax.provider._errors import TaxProviderError
from tollway.tax.provider._mapping import CompanyProfile, ServiceMapping
from tollway.tax.provider._request import NO_ACCOUNT_DATA, CalcTaxesRequest, build_request
from tollway.tax.provider._response import ItemResult, ReturnedTax, read_response

Transport = Callable[[Mapping[str, Any]], Mapping[str, Any]]
"""Sends one CalcTaxes request and returns the decoded answer (amounts exact)."""

TAX_ROUNDING_MODE: Final = RoundingMode.HALF_UP
"""How each returned tax amount is rounded to the currency's minor unit (once, per tax line)."""

LEVELS: Final = {0: "federal", 1: "state", 2: "county", 3: "city", 4: "unincorporated"}
CALCULATIONS: Final = {
    1: "rate",
    2: "fixed",
    3: "per_minute",
    4: "per_line",
    5: "rate",
    6: "bracket",
    7: "bracket",
}
_PER_LINE: Final = frozenset({4, 6})
_PER_MINUTE: Final = frozenset({3})
_RATES: Final = frozenset({1, 5})


def treatment_of(tax: ReturnedTax, mapping: ServiceMapping) -> TaxTreatment:
    """Who bears a returned tax (the table in the module docstring)."""
    override = mapping.treatments.get(tax.tax_type)
    if override is not None:
        return override
    if tax.billable:
        return TaxTreatment.BILLED
    return TaxTreatment.COMPLIANCE_ONLY if tax.compliance else TaxTreatment.CARRIER_ABSORBED


def _units(tax: ReturnedTax) -> Decimal | None:
    if tax.calculation in _PER_LINE:
        return tax.lines if tax.lines is not None else tax.taxable_measure
    if tax.calculation in _PER_MINUTE:
        return tax.minutes if tax.minutes is not None else tax.taxable_measure
    return None


def applied_tax(
    tax: ReturnedTax,
    *,
    currency: Currency,
    mapping: ServiceMapping,
    mode: RoundingMode,
    certificate_id: str | None = None,
) -> AppliedTax:
    """The `AppliedTax` of one returned tax, its amount rounded with `mode`; EXEMPT by
    `certificate_id` when given (then the tax exempted: `rate` × `exm` for a rate tax)."""
    taxable, amount = tax.taxable_measure, tax.amount
    if certificate_id is not None:
        taxable = tax.exempt_amount
        exempted = tax.calculation in _RATES
        amount = MONEY_CONTEXT.multiply(tax.rate, taxable) if exempted else Decimal(0)
    return AppliedTax(
        tax_category=mapping.category_of(tax.tax_type),
        jurisdiction_id=mapping.jurisdiction_of(tax.pcode),
        tax_rate=tax.rate,
        taxable_amount=Money(taxable, currency),
        tax_amount=Money(round_decimal(amount, decimals=currency.minor_units, mode=mode), currency),
        jurisdiction_level=LEVELS[tax.level],
        name=tax.name,
        rule_id=f"afc:{tax.tax_type}",
        treatment=TaxTreatment.EXEMPT if certificate_id else treatment_of(tax, mapping),
        calculation=CALCULATIONS[tax.calculation],
        units=_units(tax),
        exemption_certificate_id=certificate_id,
    )


class CommunicationsTaxAdapter:
    """A `TaxCalculator` (billing's tax step) backed by an AFC-like communications tax service.

    `transport` sends one request and returns the decoded answer: `HttpTransport` for a real
    service, `FakeCommunicationsTaxService` in tests and demos. One call per bill with a nonzero
    line; a bill of zero lines is returned untaxed without a call. The exemption certificates of
    `account_data` valid on a bill's date are claimed on it, as the local engine applies them.

    >>> from tollway.tax.provider._default import DEFAULT_SERVICE_MAPPING
    >>> from tollway.tax.provider._fake import FakeCommunicationsTaxService
    >>> adapter = CommunicationsTaxAdapter(FakeCommunicationsTaxService(),
    ...                                    mapping=DEFAULT_SERVICE_MAPPING)
    >>> adapter.apply((), account=None, party=None, inputs=None,  # type: ignore[arg-type]
    ...               bill_date=None)
    ((), ())
    """

    def __init__(
        self,
        transport: Transport,
        *,
        mapping: ServiceMapping,
        company: CompanyProfile | None = None,
        rounding_mode: RoundingMode = TAX_ROUNDING_MODE,
        account_data: TaxAccountData = NO_ACCOUNT_DATA,
    ) -> None:
        self.transport = transport
        self.mapping = mapping
        self.company = CompanyProfile() if company is None else company
        self.rounding_mode = rounding_mode
        self.account_data = account_data

    def apply(
        self,
        lines: Sequence[AppliedBillingRate],
        *,
        account: BillingAccount,
        party: Party,
        inputs: BillingInputs,
        bill_date: date,
    ) -> tuple[tuple[AppliedBillingRate, ...], tuple[TaxItem, ...]]:
        """The bill's lines with their taxes, and its tax items (see the module docstring)."""
        if all(line.amount.is_zero for line in lines):
            return tuple(lines), ()
        request = build_request(
            lines,
            account=account,
            party=party,
            inputs=inputs,
            bill_date=bill_date,
            mapping=self.mapping,
            company=self.company,
            account_data=self.account_data,
        )
        context = f"tax provider, billing account {account.id!r}, bill of {bill_date.isoformat()}"
        results = read_response(self._send(request, context), request, context=context)
        taxed = tuple(
            line
            if line.id not in results
            else self._taxed(line, results[line.id], request=request, context=context)
            for line in lines
        )
        return taxed, tax_items(taxed, account.currency)

    def _send(self, request: CalcTaxesRequest, context: str) -> Mapping[str, Any]:
        try:
            return self.transport(request.document)
        except AssertionError:
            raise
        except Exception as error:  # any transport failure becomes one typed, actionable error
            raise TaxProviderError(
                f"{context}: the transport failed: {type(error).__name__}: {error}"
            ) from error

    def _taxed(
        self,
        line: AppliedBillingRate,
        result: ItemResult,
        *,
        request: CalcTaxesRequest,
        context: str,
    ) -> AppliedBillingRate:
        currency = line.amount.currency
        taxes = tuple(
            applied_tax(
                tax, currency=currency, mapping=self.mapping, mode=self.rounding_mode,
                certificate_id=(
                    request.certificate_of(tax.tax_type, tax.level) if tax.amount == 0 else None
                ),
            )
            for tax in result.taxes
        )  # fmt: skip
        if line.id not in request.inclusive_refs:
            return replace(line, taxes=taxes)
        assert result.base is not None, "the answer was checked: an inclusive item has a base"
        return _split_inclusive(line, taxes, result.base, context)


def _split_inclusive(
    line: AppliedBillingRate, taxes: tuple[AppliedTax, ...], base: Decimal, context: str
) -> AppliedBillingRate:
    """A tax-inclusive line: its amount is the priced amount less its billed taxes, exactly."""
    currency = line.amount.currency
    billed = sum_money([tax.tax_amount for tax in taxes if tax.is_billed], currency)
    amount = line.amount - billed
    tolerance = currency.minor_unit * max(1, sum(1 for tax in taxes if tax.is_billed))
    if abs(MONEY_CONTEXT.subtract(base, amount.amount)) > tolerance:
        raise TaxProviderError(
            f"{context}: item {line.id}: base {base} and taxes {billed.amount} do not add up to "
            f"the tax-inclusive charge {line.amount.amount}"
        )
    if amount.amount * line.amount.amount < 0:
        raise TaxProviderError(
            f"{context}: item {line.id}: billed taxes {billed.amount} exceed the tax-inclusive "
            f"charge {line.amount.amount}"
        )
    split = replace(
        line,
        amount=amount,
        taxes=taxes,
        tax_inclusive=True,
    )
    assert split.amount + split.tax_amount == line.amount, f"{line.id}: inclusive split is off"
    return split
