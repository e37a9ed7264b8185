"""The one base class of the domain's refusals, and the register's own.

Every app's refusal (``LedgerError``, ``ScoringError``, ``ShopError``, ``ClassError``, …) derives
from ``Refusal``: a machine-readable ``code`` (for the API, tests and logs) and a ``message`` for
people (Chinese first, through gettext). A view that only shows the message catches ``Refusal``.
It lives in registry because every app may import registry and registry imports no other app.
"""


class Refusal(Exception):
    """A refused action: ``code`` for machines, ``message`` for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class RegisterError(Refusal):
    """A refused change to the register (households, members, roles, imports, codes)."""
