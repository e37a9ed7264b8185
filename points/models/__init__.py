from .claims import PointsClaim
from .expiry import ExpiryNotice, ExpiryPolicy
from .ledger import Account, LedgerCheck, LedgerTransaction, Posting
from .rules import EarningRule, EarningRuleVersion

__all__ = [
    "Account",
    "EarningRule",
    "EarningRuleVersion",
    "ExpiryNotice",
    "ExpiryPolicy",
    "LedgerCheck",
    "LedgerTransaction",
    "PointsClaim",
    "Posting",
]
