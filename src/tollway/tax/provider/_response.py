"""Reading an AFC `CalcTaxes` answer: checked with pydantic, then against the request. Pure.

The answer must carry exactly one invoice result with the request's document code, no errors at
any level, and exactly one item result per item sent, each naming a sent `ref`; every amount must
be exact (a string, an int or a Decimal: a transport decodes JSON with `parse_float=Decimal`).
Anything else is a `TaxProviderError` naming the bill's account and what was wrong.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, ValidationError

from tollway.tax.provider._errors import TaxProviderError
from tollway.tax.provider._request import CalcTaxesRequest
from tollway.tax.provider._schema import (
    ExactNumber,
    LenientModel,
    StrictFlag,
    StrictInteger,
    problems_of,
)


@dataclass(frozen=True, slots=True)
class ReturnedTax:
    """One AFC detailed tax result (`txs` entry), exact."""

    tax_type: int
    """`tid`"""
    level: int
    """`lvl`: 0 federal, 1 state, 2 county, 3 city, 4 unincorporated."""
    amount: Decimal
    """`tax`, unrounded as the service computed it."""
    rate: Decimal
    """`rate`: a fraction for percentage taxes, an amount per unit for per-line/minute taxes."""
    taxable_measure: Decimal
    """`tm`"""
    billable: bool
    """`bill`"""
    compliance: bool
    """`cmpl`"""
    pcode: int
    """`pcd`: the reporting jurisdiction."""
    calculation: int = 1
    """`calc`: 1 rate, 2 fixed, 3 per minute, 4 per line, 5 self-taxing rate, 6 per bracket,
    7 fixed on tier."""
    name: str = ""
    lines: Decimal | None = None
    """`lns`: lines taxed."""
    minutes: Decimal | None = None
    """`min`: minutes taxed."""
    exempt_amount: Decimal = Decimal(0)
    """`exm`: the exempt sale amount (what an exemption, or another jurisdiction, took off)."""


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The answer for one line item: its taxes and, for a tax-inclusive item, the base amount."""

    ref: str
    taxes: tuple[ReturnedTax, ...]
    base: Decimal | None = None


class _Error(LenientModel):
    code: StrictInteger | None = None
    msg: str = ""


class _Tax(LenientModel):
    tid: StrictInteger
    lvl: Annotated[StrictInteger, Field(ge=0, le=4)]
    tax: ExactNumber
    rate: ExactNumber
    tm: ExactNumber
    bill: StrictFlag
    cmpl: StrictFlag
    pcd: StrictInteger
    calc: Annotated[StrictInteger, Field(ge=1, le=7)] = 1
    name: str = ""
    lns: ExactNumber | None = None
    minutes: ExactNumber | None = Field(default=None, alias="min")
    exm: ExactNumber = Decimal(0)


class _Item(LenientModel):
    ref: str
    base: ExactNumber | None = None
    txs: list[_Tax] = Field(default_factory=list)
    err: list[_Error] = Field(default_factory=list)


class _Invoice(LenientModel):
    doc: str = ""
    itms: list[_Item] = Field(default_factory=list)
    err: list[_Error] = Field(default_factory=list)


class _Response(LenientModel):
    inv: list[_Invoice] = Field(default_factory=list)
    err: list[_Error] = Field(default_factory=list)


def _errors_text(errors: Sequence[_Error]) -> str:
    return "; ".join(
        f"{error.code}: {error.msg}" if error.code is not None else error.msg for error in errors
    )


def _returned(tax: _Tax) -> ReturnedTax:
    return ReturnedTax(
        tax_type=tax.tid,
        level=tax.lvl,
        amount=tax.tax,
        rate=tax.rate,
        taxable_measure=tax.tm,
        billable=tax.bill,
        compliance=tax.cmpl,
        pcode=tax.pcd,
        calculation=tax.calc,
        name=tax.name,
        lines=tax.lns,
        minutes=tax.minutes,
        exempt_amount=tax.exm,
    )


def _invoice(response: _Response, request: CalcTaxesRequest, context: str) -> _Invoice:
    if response.err:
        raise TaxProviderError(
            f"{context}: the service answered errors: {_errors_text(response.err)}"
        )
    if len(response.inv) != 1:
        raise TaxProviderError(
            f"{context}: {len(response.inv)} invoice results for the 1 invoice sent"
        )
    invoice = response.inv[0]
    if invoice.doc != request.document_code:
        raise TaxProviderError(
            f"{context}: the invoice result is for document {invoice.doc!r}, not "
            f"{request.document_code!r}"
        )
    if invoice.err:
        raise TaxProviderError(f"{context}: the invoice failed: {_errors_text(invoice.err)}")
    return invoice


def _item_results(
    invoice: _Invoice, request: CalcTaxesRequest, context: str
) -> dict[str, ItemResult]:
    if len(invoice.itms) != len(request.refs):
        raise TaxProviderError(
            f"{context}: {len(invoice.itms)} item results for the {len(request.refs)} items sent"
        )
    sent = set(request.refs)
    found: dict[str, ItemResult] = {}
    for index, item in enumerate(invoice.itms):
        if item.ref not in sent:
            raise TaxProviderError(f"{context}: itms[{index}] is for unknown item ref {item.ref!r}")
        if item.ref in found:
            raise TaxProviderError(f"{context}: item ref {item.ref!r} is answered twice")
        if item.err:
            raise TaxProviderError(f"{context}: item {item.ref} failed: {_errors_text(item.err)}")
        if item.ref in request.inclusive_refs and item.base is None:
            raise TaxProviderError(
                f"{context}: item {item.ref} was sent tax-inclusive but its result has no base"
            )
        found[item.ref] = ItemResult(item.ref, tuple(_returned(tax) for tax in item.txs), item.base)
    return found


def read_response(
    response: Mapping[str, Any], request: CalcTaxesRequest, *, context: str
) -> dict[str, ItemResult]:
    """Each sent ref's result; `context` (the bill's account and date) opens every error message.

    >>> from tollway.tax.provider._request import CalcTaxesRequest
    >>> request = CalcTaxesRequest({}, "ACME:2026-04-01", ("L1",), frozenset())
    >>> answer = {"inv": [{"doc": "ACME:2026-04-01", "itms": [{"ref": "L1", "txs": [
    ...     {"tid": 3, "lvl": 0, "tax": "3.00", "rate": "0.03", "tm": "100.00",
    ...      "bill": True, "cmpl": True, "pcd": 0}]}]}]}
    >>> read_response(answer, request, context="ACME")["L1"].taxes[0].amount
    Decimal('3.00')
    >>> answer["inv"][0]["itms"][0]["txs"][0]["tax"] = 3.0
    >>> read_response(answer, request, context="ACME")
    Traceback (most recent call last):
    ...
    tollway.tax.provider._errors.TaxProviderError: ACME: malformed answer: inv[0].itms[0].txs[0].tax: 3.0 is a binary float; send numbers as strings or decode JSON with parse_float=Decimal
    """
    try:
        parsed = _Response.model_validate(response)
    except ValidationError as error:
        raise TaxProviderError(f"{context}: malformed answer: {problems_of(error)}") from None
    return _item_results(_invoice(parsed, request, context), request, context)
