"""Generated customers: parties with sites, account hierarchies, agreements and credits.

Parties are enterprises (business), public bodies (government) and carriers (wholesale). A party
with several accounts has a head-office account that pays; its branch accounts mostly roll up onto
it (`pays_own_bill: false`), and large parties add a regional level in between. The first party,
about half the others and most carriers sign an agreement at the head office: a term, a monthly or
annual minimum spend near what the party buys, an early-termination clause, often a discount, and
(the first always, one in five others) a negotiated MPLS price.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np

from tollway.generator._sizes import SizeProfile

CITIES: Final = (
    ("US", "PA", "Philadelphia", "19103", "America/New_York", "215"),
    ("US", "NY", "New York", "10001", "America/New_York", "212"),
    ("US", "IL", "Chicago", "60601", "America/Chicago", "312"),
    ("US", "TX", "Dallas", "75201", "America/Chicago", "214"),
    ("US", "CA", "San Francisco", "94105", "America/Los_Angeles", "415"),
    ("US", "WA", "Seattle", "98101", "America/Los_Angeles", "206"),
    ("US", "GA", "Atlanta", "30303", "America/New_York", "404"),
    ("US", "DE", "Wilmington", "19801", "America/New_York", "302"),
    ("US", "HI", "Honolulu", "96813", "Pacific/Honolulu", "808"),
    ("US", "CO", "Denver", "80202", "America/Denver", "303"),
    ("US", "MA", "Boston", "02110", "America/New_York", "617"),
    ("US", "VA", "Arlington", "22201", "America/New_York", "703"),
)
_FIRST_WORDS: Final = (
    "Northwind",
    "Blue Ridge",
    "Summit",
    "Harbor",
    "Keystone",
    "Lakeside",
    "Redwood",
    "Granite",
    "Pioneer",
    "Silverline",
    "Evergreen",
    "Atlas",
)
_TRADES: Final = (
    "Logistics",
    "Health",
    "Manufacturing",
    "Retail",
    "Insurance",
    "Foods",
    "Energy",
    "Analytics",
    "Freight",
    "Pharma",
)
_AGENCIES: Final = (
    "Department of Transportation",
    "Public Schools",
    "Water Authority",
    "Department of Health",
    "Courts",
    "Housing Authority",
)
CLASSES: Final = ("business", "government", "wholesale")
_CLASS_WEIGHTS: Final = (0.75, 0.15, 0.10)
_SERIES: Final = {"business": "INV", "government": "GOV", "wholesale": "WHS"}
_MPLS_DISCOUNTED_STEPS: Final = (
    (10, "300.00"),
    (50, "510.00"),
    (100, "720.00"),
    (500, "1615.00"),
    (1000, "2465.00"),
    (None, "4080.00"),
)
"""The negotiated MPLS port price some agreements carry: the catalog's steps less 15 %."""


@dataclass(frozen=True, slots=True)
class AccountPlan:
    """What product generation needs to know about one billing account."""

    id: str
    party_id: str
    customer_class: str
    site_ids: tuple[str, ...]
    jurisdiction_ids: tuple[str, ...]
    area_code: str
    agreement_id: str | None


@dataclass(slots=True)
class _Party:
    """The party being generated: what its accounts share."""

    id: str
    customer_class: str
    agreement_id: str | None
    cycle_day: int
    time_zone: str
    head_id: str


@dataclass(slots=True)
class CustomersBuilder:
    """Builds customers.yaml party by party, and the account plans products are generated from."""

    profile: SizeProfile
    rng: np.random.Generator
    periods: tuple[datetime, ...]
    """The cycle boundaries: cycle k runs from periods[k] to periods[k + 1]."""
    document: dict[str, list[Any]] = field(
        default_factory=lambda: {
            name: [] for name in ("parties", "sites", "billing_accounts", "agreements", "credits")
        }
    )
    plans: list[AccountPlan] = field(default_factory=list)

    def build(self) -> tuple[dict[str, Any], list[AccountPlan]]:
        while len(self.plans) < self.profile.accounts:
            self._party()
        return self.document, self.plans

    def _party(self) -> None:
        customer_class = str(self.rng.choice(CLASSES, p=_CLASS_WEIGHTS))
        account_count = min(
            self._account_count(customer_class), self.profile.accounts - len(self.plans)
        )
        party_id = f"PTY-{len(self.document['parties']) + 1:06d}"
        name = self._party_name(customer_class)
        self.document["parties"].append(
            {"id": party_id, "name": name, "customer_class": customer_class}
        )
        agreement_id = None
        signs = self.rng.random() < (0.8 if customer_class == "wholesale" else 0.5)
        if signs or not self.document["agreements"]:
            agreement_id = f"AGR-{len(self.document['agreements']) + 1:06d}"
        cities = [CITIES[int(index)] for index in self.rng.choice(len(CITIES), size=account_count)]
        party = _Party(
            id=party_id,
            customer_class=customer_class,
            agreement_id=agreement_id,
            cycle_day=int(self.rng.choice((1, 15, 28), p=(0.8, 0.15, 0.05))),
            time_zone=cities[0][4],
            head_id=f"BA-{len(self.plans) + 1:07d}",
        )
        parents = self._parents(party.head_id, account_count)
        for position, (city, (parent_id, pays)) in enumerate(zip(cities, parents, strict=True)):
            self._account(party, position, city, parent_id=parent_id, pays=pays)
        if agreement_id is not None:
            with_override = not self.document["agreements"] or self.rng.random() < 0.2
            self.document["agreements"].append(
                self._agreement(
                    agreement_id, party.head_id, account_count, with_override=with_override
                )
            )

    def _account(
        self,
        party: _Party,
        position: int,
        city: tuple[str, ...],
        *,
        parent_id: str | None,
        pays: bool,
    ) -> None:
        site_ids, jurisdictions = self._sites(party.id, city)
        account_id = f"BA-{len(self.plans) + 1:07d}"
        account: dict[str, Any] = {
            "id": account_id,
            "party_id": party.id,
            "name": "Head office" if position == 0 else f"{city[2]} branch {position}",
            "currency": "USD",
            "bill_cycle_day": party.cycle_day,
            "time_zone": party.time_zone,
            "billing_site_id": site_ids[0],
        }
        if parent_id is not None:
            account["parent_id"] = parent_id
        account["pays_own_bill"] = pays
        account["invoice_series"] = _SERIES[party.customer_class]
        self.document["billing_accounts"].append(account)
        self.plans.append(
            AccountPlan(
                account_id, party.id, party.customer_class, site_ids, jurisdictions, city[5],
                party.agreement_id,
            )
        )  # fmt: skip
        self._maybe_credit(account_id)

    def _account_count(self, customer_class: str) -> int:
        if customer_class == "wholesale":
            return 1 + int(self.rng.random() < 0.3)
        mean = 5.0 if customer_class == "government" else 3.0
        return 1 + int(self.rng.poisson(mean - 1))

    def _parents(self, head_id: str, count: int) -> list[tuple[str | None, bool]]:
        """(parent id, pays own bill) per position: the head pays; a regional level above branches
        when the party is large; most branches roll up, one in five pays its own bill."""
        result: list[tuple[str | None, bool]] = [(None, True)]
        regional_id = f"BA-{len(self.plans) + 2:07d}" if count >= 6 else None
        for position in range(1, count):
            pays = bool(self.rng.random() < 0.2)
            if position == 1 and regional_id is not None:
                result.append((head_id, False))
            elif regional_id is not None and position % 2 == 0:
                result.append((regional_id, pays))
            else:
                result.append((head_id, pays))
        return result

    def _sites(
        self, party_id: str, city: tuple[str, ...]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """One to three sites in the account's city: their ids and tax jurisdictions."""
        site_ids: list[str] = []
        jurisdiction = f"{city[0]}-{city[1]}-{city[2].upper().replace(' ', '-')}"
        for number in range(1 + int(self.rng.integers(0, 3))):
            site_id = f"SITE-{len(self.document['sites']) + 1:07d}"
            site_ids.append(site_id)
            self.document["sites"].append(
                {
                    "id": site_id,
                    "party_id": party_id,
                    "name": f"{city[2]} site {number + 1}",
                    "country": city[0],
                    "region": city[1],
                    "city": city[2],
                    "postal_code": city[3],
                    "jurisdiction_id": jurisdiction,
                }
            )
        return tuple(site_ids), (jurisdiction,) * len(site_ids)

    def _party_name(self, customer_class: str) -> str:
        first = str(self.rng.choice(_FIRST_WORDS))
        if customer_class == "government":
            city = CITIES[int(self.rng.integers(0, len(CITIES)))]
            return f"{city[2]} {self.rng.choice(_AGENCIES)}"
        if customer_class == "wholesale":
            return f"{first} Carrier Networks"
        return f"{first} {self.rng.choice(_TRADES)} {self.rng.choice(('Inc.', 'LLC', 'Corp.'))}"

    def _maybe_credit(self, account_id: str) -> None:
        """An SLA credit for the first account and about one in thirty others."""
        credits = self.document["credits"]
        if credits and self.rng.random() >= 1 / 30:
            return
        span_s = int((self.periods[-1] - self.periods[0]).total_seconds())
        effective_at = self.periods[0] + timedelta(minutes=int(self.rng.integers(0, span_s // 60)))
        amount = str(self.rng.choice(("50.00", "100.00", "250.00", "500.00")))
        credits.append(
            {
                "id": f"CRD-{len(credits) + 1:06d}",
                "billing_account_id": account_id,
                "amount": amount,
                "reason": "SLA credit: service outage",
                "effective_at": effective_at,
            }
        )

    def _agreement(
        self, agreement_id: str, account_id: str, account_count: int, *, with_override: bool
    ) -> dict[str, Any]:
        """A master agreement; its minimum spend is 50–120 % of the party's expected monthly spend,
        so some parties fall short and pay the shortfall; the first agreement, and about one in five
        others, carries a negotiated MPLS port price."""
        term_months = int(self.rng.choice((12, 24, 36)))
        months_ago = int(self.rng.integers(1, term_months + 3))
        start = _months_before(self.periods[0], months_ago)
        # About 600 a month a circuit: the party's typical spend in hundreds, times 50–120 %.
        typical_hundreds = int(account_count * self.profile.circuits_per_account * 6)
        monthly_minimum = Decimal(typical_hundreds * int(self.rng.integers(50, 121)))
        annual = self.rng.random() < 0.25
        minimum = (monthly_minimum * (12 if annual else 1)).quantize(Decimal("0.01"))
        document: dict[str, Any] = {
            "id": agreement_id,
            "billing_account_id": account_id,
            "name": "Master services agreement",
            "start": start,
            "term_months": term_months,
            "commitments": [
                {
                    "id": f"{agreement_id}-minimum",
                    "period": "annual" if annual else "monthly",
                    "minimum_amount": minimum,
                    "shortfall_percent": str(self.rng.choice(("100", "50", "25"))),
                }
            ],
            "early_termination": {"percent_of_remaining": str(self.rng.choice(("100", "75")))},
            "discount_percent": str(self.rng.choice(("0", "5", "7.5", "10", "12"))),
        }
        if with_override:
            steps = [{"up_to": up_to, "amount": amount} for up_to, amount in _MPLS_DISCOUNTED_STEPS]
            document["price_overrides"] = [
                {
                    "offering_price_id": "mpls-port-mrc",
                    "price": {"currency": "USD", "pricing": {"model": "stairstep", "steps": steps}},
                }
            ]
        return document


def _months_before(instant: datetime, months: int) -> datetime:
    month_index = instant.year * 12 + instant.month - 1 - months
    return instant.replace(year=month_index // 12, month=month_index % 12 + 1, day=1)
