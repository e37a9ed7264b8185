"""Idempotency keys that clients send: the counter's confirmation, a scorer's grade (from the
form or the phone's offline queue), an appraisal sheet, a nomination.

One pattern for all of them, matched whole (``fullmatch``: a trailing newline is not part of a
key, and nothing is stripped), and one rule, Stripe's: a key belongs to the first request made
with it. A retry of that request returns its first result; a different request under a used key
is refused as ``key_reused`` and changes nothing. Each service compares what the key was first
used for (its row holds it, or a :func:`request_fingerprint` of it) with the request in hand.
Keys the services make themselves (``claim:<id>``, ``redeem:<key>``) are not client keys; the
ledger applies the same rule to them (``points.services.ledger``).
"""

from __future__ import annotations

import hashlib
import json
import re

from django.utils.translation import gettext as _

from points.exceptions import LedgerError

KEY_PATTERN = re.compile(r"[A-Za-z0-9_:-]{8,64}")


def key_is_valid(key: object) -> bool:
    """Whether ``key`` is a client key: 8 to 64 ASCII letters, digits, ``-``, ``_`` or ``:``
    (the demo's own keys are ``demo-sorting:<round>:<household>``), nothing else."""
    return isinstance(key, str) and KEY_PATTERN.fullmatch(key) is not None


def key_check(key: object) -> str:
    """``key`` when it is a valid client key; else LedgerError ``bad_key``."""
    if not key_is_valid(key):
        raise LedgerError("bad_key", _("This entry has no valid identifier. Please retry."))
    return key  # type: ignore[return-value]


def key_reused() -> LedgerError:
    return LedgerError("key_reused", _("This key was already used for a different request."))


def key_check_same(first: object, **expected: object) -> None:
    """Refuse (``key_reused``) unless the row ``first`` recorded under a key has every attribute
    of ``expected``: the request in hand is then a retry of the first one."""
    if any(getattr(first, name) != value for name, value in expected.items()):
        raise key_reused()


def request_fingerprint(**parts: object) -> str:
    """A stable digest of what a request asks for (canonical JSON, SHA-256 in hex), for a row
    that does not keep the request's every part itself."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
