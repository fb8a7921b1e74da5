"""The pure core of partner settlement: agreements, revenue-share models, statements, netting.

Owns: partner agreements (TMF651, versioned, with typed custom terms), revenue-share models
(TMF738: ordered items with a scope, flat/tiered/banded rates, caps, floors, minimum guarantees
with recoupment, effective dates and endings by date, cumulative basis or milestone), the
settlement of one period into a statement whose share lines cite the revenue lines they came from
(with clawbacks of earlier periods' shares), the settlement history those statements form, and
reciprocal netting of receivables against a partner's charges with disputed amounts withheld.
Invariants (asserted in code): a share never exceeds its basis; what is clawed back on a revenue
line never exceeds what was paid on it (after caps); an item's payable is its share lines plus its
adjustment lines and the statement's total is the sum of its items; cumulative paid never exceeds a
cumulative cap; a netting statement's net = receivables - payables - withheld; periods are settled
in order; settling the same inputs and history again gives an equal statement with the same digest.
May import: the standard library (no clock, no I/O), `tollway.money`, `tollway.periods`,
`tollway.billing` (charge types). Never storage, files, the CLI or the clock.
"""

from tollway.settlement.core._agreement import (
    AgreementItem,
    AgreementStatus,
    AgreementVersion,
    EngagedParty,
    EquityStake,
    LicenceExclusivity,
    NettingScope,
    NettingTerms,
    PartnerAgreement,
    PartnerTerms,
    PartyRole,
    TermOrCondition,
)
from tollway.settlement.core._errors import (
    AgreementNotInForceError,
    AmendmentInsidePeriodError,
    HistoryIntegrityError,
    ModelMismatchError,
    PeriodAlreadySettledError,
    SettlementError,
    SettlementInputError,
    SettlementOrderError,
)
from tollway.settlement.core._history import SettledShare, SettlementHistory
from tollway.settlement.core._inputs import line_basis
from tollway.settlement.core._model import (
    AccountingBasis,
    Band,
    BandedShare,
    BandMeasure,
    Basis,
    Deduction,
    EndsOnCumulativeBasis,
    EndsOnDate,
    EndsOnMilestone,
    FlatShare,
    Limits,
    MinimumGuarantee,
    RevenueShareModel,
    Scope,
    ShareItem,
    ShareRate,
    Termination,
    TieredShare,
)
from tollway.settlement.core._netting import (
    NettingExclusion,
    NettingLine,
    NettingLineKind,
    NettingStatement,
    Side,
    net,
)
from tollway.settlement.core._records import (
    Dispute,
    DisputeResolution,
    MilestoneEvent,
    PartnerCharge,
    Receivable,
    RevenueLine,
)
from tollway.settlement.core._settle import settle
from tollway.settlement.core._statement import (
    AdjustmentKind,
    AdjustmentLine,
    ExcludedLine,
    ExclusionReason,
    ItemEnd,
    ItemSettlement,
    SettlementStatement,
    ShareLine,
)

__all__ = [
    "AccountingBasis",
    "AdjustmentKind",
    "AdjustmentLine",
    "AgreementItem",
    "AgreementNotInForceError",
    "AgreementStatus",
    "AgreementVersion",
    "AmendmentInsidePeriodError",
    "Band",
    "BandMeasure",
    "BandedShare",
    "Basis",
    "Deduction",
    "Dispute",
    "DisputeResolution",
    "EndsOnCumulativeBasis",
    "EndsOnDate",
    "EndsOnMilestone",
    "EngagedParty",
    "EquityStake",
    "ExcludedLine",
    "ExclusionReason",
    "FlatShare",
    "HistoryIntegrityError",
    "ItemEnd",
    "ItemSettlement",
    "LicenceExclusivity",
    "Limits",
    "MilestoneEvent",
    "MinimumGuarantee",
    "ModelMismatchError",
    "NettingExclusion",
    "NettingLine",
    "NettingLineKind",
    "NettingScope",
    "NettingStatement",
    "NettingTerms",
    "PartnerAgreement",
    "PartnerCharge",
    "PartnerTerms",
    "PartyRole",
    "PeriodAlreadySettledError",
    "Receivable",
    "RevenueLine",
    "RevenueShareModel",
    "Scope",
    "SettledShare",
    "SettlementError",
    "SettlementHistory",
    "SettlementInputError",
    "SettlementOrderError",
    "SettlementStatement",
    "ShareItem",
    "ShareLine",
    "ShareRate",
    "Side",
    "TermOrCondition",
    "Termination",
    "TieredShare",
    "line_basis",
    "net",
    "settle",
]
