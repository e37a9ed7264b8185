from registry.exceptions import Refusal


class LedgerError(Refusal):
    """A refused change of points by the ledger (insufficient points, a reused key, …)."""


class ScoringError(Refusal):
    """A refused scoring action: recording, approving or verifying scores, appraisals,
    commendations, objections and sorting checks (out of scope, wrong village, own claim, …)."""
