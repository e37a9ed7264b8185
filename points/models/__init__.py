from .appraisals import (
    AppraisalCampaign,
    AppraisalCriterion,
    AppraisalLevel,
    AppraisalResult,
    AppraisalScore,
    Commendation,
    Objection,
)
from .claims import PointsClaim
from .expiry import ExpiryNotice, ExpiryPolicy
from .ledger import Account, HouseholdMonth, LedgerCheck, LedgerTransaction, Posting
from .rules import EarningRule, EarningRuleVersion
from .sorting import Photo, SortingCheck, SortingRound

__all__ = [
    "Account",
    "AppraisalCampaign",
    "AppraisalCriterion",
    "AppraisalLevel",
    "AppraisalResult",
    "AppraisalScore",
    "Commendation",
    "Objection",
    "EarningRule",
    "EarningRuleVersion",
    "ExpiryNotice",
    "ExpiryPolicy",
    "HouseholdMonth",
    "LedgerCheck",
    "LedgerTransaction",
    "Photo",
    "PointsClaim",
    "Posting",
    "SortingCheck",
    "SortingRound",
]
