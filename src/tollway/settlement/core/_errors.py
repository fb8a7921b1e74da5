"""Typed errors of settlement: expected mistakes in agreements, models, inputs or history."""

from tollway.money import TollwayError


class SettlementError(TollwayError):
    """Base of every expected settlement error; `code` is stable."""

    code = "settlement_error"


class SettlementInputError(SettlementError):
    """A record handed to settlement is unusable. `record` names it, `field` the bad field.

    >>> str(SettlementInputError("revenue line INV-1/L1", "amount", "0.005 is not whole cents"))
    'revenue line INV-1/L1: amount: 0.005 is not whole cents'
    """

    code = "invalid_settlement_input"

    def __init__(self, record: str, field: str, problem: str) -> None:
        super().__init__(f"{record}: {field}: {problem}")
        self.record = record
        self.field = field
        self.problem = problem


class AgreementNotInForceError(SettlementError):
    """The agreement has no version in force for the period, or is still a draft."""

    code = "agreement_not_in_force"


class AmendmentInsidePeriodError(SettlementError):
    """An agreement version takes effect strictly inside the period being settled."""

    code = "amendment_inside_period"


class ModelMismatchError(SettlementError):
    """The revenue-share model is not the one the agreement version in force names."""

    code = "revenue_share_model_mismatch"


class SettlementOrderError(SettlementError):
    """Periods are settled out of order: a gap, an overlap, or another agreement's history."""

    code = "settlement_out_of_order"


class PeriodAlreadySettledError(SettlementError):
    """Re-running a settled period gave a different statement: its inputs changed since."""

    code = "period_already_settled"


class HistoryIntegrityError(SettlementError):
    """A statement in the history does not match its own digest (it was altered after issue)."""

    code = "settlement_history_corrupt"
