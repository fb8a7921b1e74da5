"""Partner agreements shaped like TMF651 `agreement`, with a version history.

A partner agreement is not a customer `tollway.contracts.Agreement`: it binds the operator and a
partner (a cloud provider, a licensor, an interconnect carrier), names the revenue-share model that
applies and carries the deal's custom terms as typed fields. An amendment is a new
`AgreementVersion` valid from an instant; settlement uses the version in force.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tollway.money import Currency
from tollway.settlement.core._checks import require_aware, require_ordered, require_percent
from tollway.settlement.core._errors import (
    AgreementNotInForceError,
    AmendmentInsidePeriodError,
    SettlementInputError,
)


class AgreementStatus(StrEnum):
    """TMF651 `status`: only an agreement in force (or terminated, for its past) is settled."""

    DRAFT = "draft"
    IN_FORCE = "inForce"
    TERMINATED = "terminated"


class PartyRole(StrEnum):
    """The role of an engaged party (TMF651 `engagedParty.role`)."""

    OPERATOR = "operator"
    PARTNER = "partner"


@dataclass(frozen=True, slots=True)
class EngagedParty:
    """One side of the agreement."""

    id: str
    name: str
    role: PartyRole


@dataclass(frozen=True, slots=True)
class TermOrCondition:
    """A TMF651 `termOrCondition`: free text with its validity (inclusive dates)."""

    id: str
    description: str
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class AgreementItem:
    """A TMF651 `agreementItem`: the offerings the agreement covers and its terms."""

    id: str
    name: str
    product_offering_ids: tuple[str, ...] = ()
    terms: tuple[TermOrCondition, ...] = ()


@dataclass(frozen=True, slots=True)
class EquityStake:
    """A stake one party holds in the other, recorded on the agreement (not settled)."""

    holder_party_id: str
    issuer_party_id: str
    percent: Decimal
    acquired_on: date | None = None

    def __post_init__(self) -> None:
        require_percent(self.percent, record="equity stake", field="percent")


@dataclass(frozen=True, slots=True)
class LicenceExclusivity:
    """Licences granted exclusively until `exclusive_until` (the last exclusive day, inclusive).

    >>> terms = LicenceExclusivity(("spectrum-L-band",), "US", date(2032, 12, 31))
    >>> terms.is_exclusive_on(date(2032, 12, 31)), terms.is_exclusive_on(date(2033, 1, 1))
    (True, False)
    """

    licences: tuple[str, ...]
    territory: str
    exclusive_until: date

    def is_exclusive_on(self, day: date) -> bool:
        return day <= self.exclusive_until


@dataclass(frozen=True, slots=True)
class NettingScope:
    """The service categories netted against each other; empty means every category."""

    categories: frozenset[str] = frozenset()

    def covers(self, category: str) -> bool:
        return not self.categories or category in self.categories


@dataclass(frozen=True, slots=True)
class NettingTerms:
    """What the parties agreed to net, and in which currency (no FX conversion in netting)."""

    scope: NettingScope
    currency: Currency


@dataclass(frozen=True, slots=True)
class PartnerTerms:
    """The deal's custom terms as typed fields (TMF651 `characteristic`s)."""

    equity_stakes: tuple[EquityStake, ...] = ()
    exclusivity: LicenceExclusivity | None = None
    netting: NettingTerms | None = None


@dataclass(frozen=True, slots=True)
class AgreementVersion:
    """One version of the agreement, in force from `valid_from` until the next version."""

    version: int
    valid_from: datetime
    items: tuple[AgreementItem, ...] = ()
    terms: PartnerTerms = PartnerTerms()
    revenue_share_model_id: str | None = None
    change_note: str = ""

    def __post_init__(self) -> None:
        require_aware(
            self.valid_from, record=f"agreement version {self.version}", field="valid_from"
        )


@dataclass(frozen=True, slots=True)
class PartnerAgreement:
    """A TMF651 partner agreement: parties, period [start, end), status and versions in order.

    >>> from datetime import UTC
    >>> us = EngagedParty("OP", "Operator", PartyRole.OPERATOR)
    >>> them = EngagedParty("P1", "Partner", PartyRole.PARTNER)
    >>> v1 = AgreementVersion(1, datetime(2025, 1, 1, tzinfo=UTC), revenue_share_model_id="RS-1")
    >>> v2 = AgreementVersion(2, datetime(2025, 7, 1, tzinfo=UTC), revenue_share_model_id="RS-2")
    >>> deal = PartnerAgreement("AG-1", "Deal", "revenueShare", us, them,
    ...     datetime(2025, 1, 1, tzinfo=UTC), None, AgreementStatus.IN_FORCE, (v1, v2))
    >>> deal.version_at(datetime(2025, 6, 30, tzinfo=UTC)).revenue_share_model_id
    'RS-1'
    """

    id: str
    name: str
    agreement_type: str
    operator: EngagedParty
    partner: EngagedParty
    start: datetime
    end: datetime | None
    status: AgreementStatus
    versions: tuple[AgreementVersion, ...]

    def __post_init__(self) -> None:
        record = f"agreement {self.id}"
        require_aware(self.start, record=record, field="start")
        if self.end is not None:
            require_aware(self.end, record=record, field="end")
        require_ordered(self.start, self.end, record=record, field="end")
        assert self.operator.role is PartyRole.OPERATOR, f"{record}: operator role"
        assert self.partner.role is PartyRole.PARTNER, f"{record}: partner role"
        if not self.versions:
            raise SettlementInputError(record, "versions", "an agreement needs a first version")
        for previous, following in zip(self.versions, self.versions[1:], strict=False):
            if following.version <= previous.version or following.valid_from <= previous.valid_from:
                raise SettlementInputError(
                    record,
                    "versions",
                    f"version {following.version} must come after version {previous.version}, "
                    "with a later number and a later valid_from",
                )

    @property
    def engaged_parties(self) -> tuple[EngagedParty, EngagedParty]:
        return (self.operator, self.partner)

    def version_at(self, instant: datetime) -> AgreementVersion | None:
        """The version in force at `instant`: the last one valid from on or before it."""
        found = None
        for version in self.versions:
            if version.valid_from <= instant:
                found = version
        return found

    def version_for_period(self, *, start: datetime, end: datetime) -> AgreementVersion:
        """The version governing the whole period [start, end); amendments fall on its bounds."""
        if self.status is AgreementStatus.DRAFT:
            raise AgreementNotInForceError(f"agreement {self.id} is a draft: it is not settled")
        version = self.version_at(start)
        if version is None:
            raise AgreementNotInForceError(
                f"agreement {self.id} has no version in force on {start.isoformat()}; "
                f"its first version is valid from {self.versions[0].valid_from.isoformat()}"
            )
        for later in self.versions:
            if start < later.valid_from < end:
                raise AmendmentInsidePeriodError(
                    f"agreement {self.id} version {later.version} is valid from "
                    f"{later.valid_from.isoformat()}, inside the period {start.isoformat()} to "
                    f"{end.isoformat()}: an amendment takes effect on a period boundary"
                )
        return version
