"""`FakeCommunicationsTaxService`: a deterministic, in-memory stand-in for an AFC-like service.

A fake at the seam (the transport), not a mock of internals: it reads a CalcTaxes request the way
the real service would and answers in its shape, with exact Decimal amounts (as a transport that
decodes with `parse_float=Decimal` would return them), and records every request it received.

Its tax tables are ILLUSTRATIVE (dated 2026-01-01, never a statement of real law or rates), with
the placeholder tax ids and PCodes of `DEFAULT_SERVICE_MAPPING`:

| tid | name                     | level   | basis                                    | billable |
|-----|--------------------------|---------|------------------------------------------|----------|
| 3   | Federal Excise Tax       | federal | 3 % of the charge, PCode 0               | yes      |
| 1   | Sales Tax                | state   | the state's rate of its share of charge  | yes      |
| 14  | Statutory Gross Receipts | state   | NY: 2.5 % of its share of the charge     | no       |
| 250 | E911 Fee                 | state   | per line (`line`) at the `from` state    | yes      |

State rates: sales CA 7.25 %, NJ 6.625 %, NY 4 %, PA 6 %, TX 6.25 %; E911 DE 0.60, PA 1.65 per
line. A state's PCode is its FIPS code x 100000. A private line (`plsp`) splits the charge between
its `from` and `to` states. Wholesale items (`sale` 0) and goodwill credits (`disc` 5) are not
taxed. An `exms` entry exempts its tax type (`tpe`) at the levels of its scope (`scp`: 128
federal, 256 state, 512 county, 1024 local), in its domain: anywhere (`dom` 0) or in the state of
its location (`loc`: `pcd` or `st`); an exempted tax is answered as AFC does, with a tax and a
taxable measure of 0 and the exempt sale amount `exm`. A tax-inclusive item (`incl`) gets the
base that, with its billable taxes, makes up its charge. An item with a T/S pair the fake does not
know fails, as with the real service.
"""

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Final

from tollway.money import MONEY_CONTEXT
from tollway.tax.provider._default import DEFAULT_SERVICE_MAPPING

FEDERAL_EXCISE_RATE: Final = Decimal("0.03")
SALES_TAX_RATES: Final = {
    "CA": Decimal("0.0725"),
    "NJ": Decimal("0.06625"),
    "NY": Decimal("0.04"),
    "PA": Decimal("0.06"),
    "TX": Decimal("0.0625"),
}
GROSS_RECEIPTS_RATES: Final = {"NY": Decimal("0.025")}
E911_PER_LINE: Final = {"DE": Decimal("0.60"), "PA": Decimal("1.65")}
STATE_PCODES: Final = {
    "CA": 600000,
    "DE": 1000000,
    "NJ": 3400000,
    "NY": 3600000,
    "PA": 4200000,
    "TX": 4800000,
}
_GOODWILL: Final = 5
_WHOLESALE: Final = 0
_LEVEL_SCOPES: Final = {0: 128, 1: 256, 2: 512, 3: 1024, 4: 1024}


@dataclass(frozen=True, slots=True)
class _Rule:
    """A tax the fake computes: a rate on a share of the charge, or an amount per line."""

    tid: int
    name: str
    level: int
    pcode: int
    rate: Decimal
    share: Decimal
    """The fraction of the charge this tax is measured on (1 unless a private line splits it)."""
    billable: bool = True
    per_line: bool = False
    exempt: bool = False


def _default_pairs() -> frozenset[tuple[int, int]]:
    return frozenset(
        (pair.transaction_type, pair.service_type)
        for pair in DEFAULT_SERVICE_MAPPING.pairs.values()
    )


def _state_rules(state: str, share: Decimal) -> list[_Rule]:
    pcode = STATE_PCODES.get(state)
    if pcode is None:
        return []
    rules = []
    if state in SALES_TAX_RATES:
        rules.append(_Rule(1, "Sales Tax", 1, pcode, SALES_TAX_RATES[state], share))
    if state in GROSS_RECEIPTS_RATES:
        rate = GROSS_RECEIPTS_RATES[state]
        rules.append(_Rule(14, "Statutory Gross Receipts", 1, pcode, rate, share, billable=False))
    return rules


def _rules(item: Mapping[str, Any], invoice: Mapping[str, Any]) -> list[_Rule]:
    origin = item.get("from") or invoice["bill"]
    destination = item.get("to") or origin
    rules = [_Rule(3, "Federal Excise Tax", 0, 0, FEDERAL_EXCISE_RATE, Decimal(1))]
    if "plsp" in item:
        split = Decimal(item["plsp"])
        rules += _state_rules(origin.get("st", ""), split)
        rules += _state_rules(destination.get("st", ""), MONEY_CONTEXT.subtract(1, split))
    else:
        rules += _state_rules(origin.get("st", ""), Decimal(1))
    state = origin.get("st", "")
    if item.get("line", 0) and state in E911_PER_LINE:
        rate = E911_PER_LINE[state]
        rules.append(
            _Rule(250, "E911 Fee", 1, STATE_PCODES[state], rate, Decimal(1), per_line=True)
        )
    exemptions = invoice.get("exms", [])
    return [
        replace(rule, exempt=True)
        if any(_exempts(exemption, rule) for exemption in exemptions)
        else rule
        for rule in rules
    ]


def _exempts(exemption: Mapping[str, Any], rule: _Rule) -> bool:
    """Whether an `exms` entry exempts a tax: its type, a level in its scope, in its domain."""
    if exemption.get("tpe") != rule.tid:
        return False
    if not exemption.get("scp", 0) & _LEVEL_SCOPES[rule.level]:
        return False
    if exemption.get("dom", 0) == 0:
        return True
    location = exemption.get("loc", {})
    return (
        location.get("pcd") == rule.pcode or STATE_PCODES.get(location.get("st", "")) == rule.pcode
    )


def _base(charge: Decimal, lines: Decimal, rules: list[_Rule]) -> Decimal:
    """The base whose billable taxes make up `charge`: (charge − fixed) / (1 + Σ rate × share)."""
    fixed = sum(
        (
            MONEY_CONTEXT.multiply(rule.rate, lines)
            for rule in rules
            if rule.billable and rule.per_line and not rule.exempt
        ),
        Decimal(0),
    )
    rates = sum(
        (
            MONEY_CONTEXT.multiply(rule.rate, rule.share)
            for rule in rules
            if rule.billable and not rule.per_line and not rule.exempt
        ),
        Decimal(0),
    )
    return MONEY_CONTEXT.divide(MONEY_CONTEXT.subtract(charge, fixed), MONEY_CONTEXT.add(1, rates))


def _result(rule: _Rule, base: Decimal, lines: Decimal) -> dict[str, Any]:
    exempt = Decimal(0)
    if rule.per_line:
        measure, tax, calculation = Decimal(0), MONEY_CONTEXT.multiply(rule.rate, lines), 4
    else:
        measure = MONEY_CONTEXT.multiply(base, rule.share)
        tax, calculation = MONEY_CONTEXT.multiply(measure, rule.rate), 1
    if rule.exempt:
        exempt = Decimal(0) if rule.per_line else measure
        measure, tax, lines = Decimal(0), Decimal(0), Decimal(0)
    return {
        "bill": rule.billable,
        "cmpl": True,
        "tm": measure,
        "calc": calculation,
        "name": rule.name,
        "exm": exempt,
        "lns": lines if rule.per_line else Decimal(0),
        "min": Decimal(0),
        "pcd": rule.pcode,
        "rate": rule.rate,
        "sur": False,
        "tax": tax,
        "lvl": rule.level,
        "tid": rule.tid,
    }


@dataclass
class FakeCommunicationsTaxService:
    """A deterministic CalcTaxes service (see the module docstring); call it with a request.

    >>> service = FakeCommunicationsTaxService()
    >>> answer = service({"cmpn": {}, "inv": [{"doc": "D1", "bill": {"st": "PA"}, "cust": 1,
    ...     "date": "2026-04-01T12:00:00Z", "itms": [{"ref": "L1", "chg": Decimal("100.00"),
    ...     "sale": 1, "tran": 1, "serv": 4}]}]})
    >>> [(tax["name"], tax["tax"]) for tax in answer["inv"][0]["itms"][0]["txs"]]
    [('Federal Excise Tax', Decimal('3.0000')), ('Sales Tax', Decimal('6.0000'))]
    >>> len(service.requests)
    1
    """

    known_pairs: frozenset[tuple[int, int]] = field(default_factory=_default_pairs)
    requests: list[Mapping[str, Any]] = field(default_factory=list)

    def __call__(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self.requests.append(copy.deepcopy(dict(request)))
        if request.get("cmpn") is None:
            return {"err": [{"msg": "Company data is null."}]}
        invoices = request.get("inv") or []
        if not invoices:
            return {"err": [{"msg": "Invoice cannot be null or empty."}]}
        return {"inv": [self._invoice(invoice) for invoice in invoices]}

    def _invoice(self, invoice: Mapping[str, Any]) -> dict[str, Any]:
        items = invoice.get("itms") or []
        if not items:
            return {"doc": invoice.get("doc", ""), "err": [{"msg": "Items list is empty."}]}
        return {
            "doc": invoice.get("doc", ""),
            "itms": [self._item(item, invoice) for item in items],
        }

    def _item(self, item: Mapping[str, Any], invoice: Mapping[str, Any]) -> dict[str, Any]:
        ref = item.get("ref", "")
        if (item.get("tran"), item.get("serv")) not in self.known_pairs:
            return {"ref": ref, "err": [{"msg": "Transaction/Service pair is invalid."}]}
        charge = Decimal(item.get("chg", 0))
        lines = Decimal(item.get("line", 0))
        untaxed = item.get("sale") == _WHOLESALE or item.get("disc") == _GOODWILL
        rules = [] if untaxed else _rules(item, invoice)
        base = _base(charge, lines, rules) if item.get("incl") else charge
        result: dict[str, Any] = {"ref": ref, "txs": [_result(rule, base, lines) for rule in rules]}
        if item.get("incl"):
            result["base"] = base
        return result
