from .ledger import Account, LedgerCheck, LedgerTransaction, Posting

__all__ = ["Account", "LedgerCheck", "LedgerTransaction", "Posting"]
