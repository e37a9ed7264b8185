"""The only code that changes points. Read docs/ledger.md first.

Every public function here records one ``LedgerTransaction`` whose postings sum to zero, with one
call of the PostgreSQL function ``meijia_ledger_record`` (points/sql/ledger_record_v1.sql). It
locks the household account(s) involved (``SELECT … FOR UPDATE``, in id order, once), looks the
idempotency key up under the lock, refuses to take any household below zero, writes the postings
with the household's hash chain and updates the cached balance, all in one database transaction. A
second call with the same idempotency key returns the first transaction and changes nothing. The
function returns its refusals as codes; this module raises them as ``LedgerError``.

Callers that also lock other rows (stock) call these inside their own ``transaction.atomic`` after
nothing else has been locked: household accounts first, then stock rows. Inside a caller's
transaction the ledger opens no savepoint of its own: a refusal (``LedgerError``) is raised before
anything is written, and a failed write marks the caller's whole transaction for rollback. No caller
goes on using its transaction after catching a ``LedgerError``; one that needs to must open its own
savepoint around the call.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.services import HouseholdMessageCall, HouseholdNotice, household_messages_written
from points.exceptions import LedgerError
from points.models import Account, LedgerTransaction
from registry.models import Area, Household, User
from registry.sql import inserted, prepared_cursor

Kind = LedgerTransaction.Kind


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: int


@dataclass(frozen=True)
class Source:
    """What caused a transaction, for the villager's explanation: ("sorting_check", 42)."""

    type: str
    id: int


def posting_hash(
    *,
    prev_hash: str,
    account_id: int,
    sequence: int,
    transaction_id: int,
    idempotency_key: str,
    amount: int,
    balance_after: int,
) -> str:
    """The link of a household's chain: each posting hashes the previous one and itself."""
    content = "|".join(
        str(part)
        for part in (
            prev_hash,
            account_id,
            sequence,
            transaction_id,
            idempotency_key,
            amount,
            balance_after,
        )
    )
    return hashlib.sha256(content.encode()).hexdigest()


def _is_unique_clash(error: IntegrityError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) == "23505"


# --- Accounts -----------------------------------------------------------------------------------


def household_account(household: Household) -> Account:
    account, _created = Account.objects.get_or_create(
        kind=Account.Kind.HOUSEHOLD, household=household
    )
    return account


def _district_of(household: Household) -> Area:
    village = household.village
    return village if village.is_root() else village.get_root()


# --- The one place that writes ------------------------------------------------------------------

# points/sql/ledger_record_v1.sql (loaded by migration 0009): key lookup, household locks, the
# reversal and balance checks, the transaction, its postings with the hash chain and the cached
# balances, in one call.
_SQL_RECORD_CALL = (
    "meijia_ledger_record("
    "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_SQL_RECORD = (
    "SELECT transaction_id, is_new, refusal, refusal_balance, NULL FROM "  # noqa: S608 - our own SQL
    + _SQL_RECORD_CALL
)


def _sql_record_and_notice(call: HouseholdMessageCall) -> str:
    """The ledger's call and, only when it recorded a new transaction, the household's message
    in the same statement (one round trip; the outbox's parameters come first)."""
    return (
        "SELECT r.transaction_id, r.is_new, r.refusal, r.refusal_balance, "  # noqa: S608 - our own SQL
        + call.column(when="r.is_new AND r.refusal IS NULL")
        + " FROM "
        + _SQL_RECORD_CALL
        + " AS r"
    )


def ledger_refusal(code: str, *, balance: int | None = None) -> LedgerError:
    """The LedgerError for a refusal code of ``meijia_ledger_record`` (also when it comes back
    through another function that called it, such as the counter's confirmation)."""
    if code == "key_reused":
        message = _("This request was already used for a different change of points.")
    elif code == "already_reversed":
        message = _("This has already been reversed.")
    elif code == "insufficient_points":
        message = _("Not enough points: the household has %(balance)s.") % {"balance": balance}
    else:
        raise ValueError(f"not a refusal of the ledger: {code}")
    return LedgerError(code, message)


def _check_legs(legs: list[Leg], idempotency_key: str) -> None:
    if len(legs) < 2 or any(leg.amount == 0 for leg in legs):
        raise ValueError("a transaction needs two or more non-zero legs")
    if sum(leg.amount for leg in legs) != 0:
        raise ValueError("the legs of a transaction must sum to zero")
    if not idempotency_key:
        raise ValueError("an idempotency key is required")


def _post(
    *,
    kind: str,
    idempotency_key: str,
    reason: str,
    legs: list[Leg] | None = None,
    household: Household | None = None,
    counter: dict | None = None,
    amount: int | None = None,
    actor: User | None,
    approver: User | None = None,
    source: Source | None = None,
    rule_code: str = "",
    rule_version: int | None = None,
    reverses: LedgerTransaction | None = None,
    occurred_on: dt.date | None = None,
    notice: HouseholdNotice | None = None,
) -> LedgerTransaction:
    """Call the ledger's function once and turn its answer into a transaction or a LedgerError.

    Legs are given either as ``legs`` (accounts and amounts) or as ``household`` receiving
    ``amount`` from the ``counter`` account ({"kind", "area" or "store_id"}). ``notice`` (only
    with ``household``): the household's message, written in the same statement when the
    transaction is new (not for a retry, not on a refusal).
    """
    now = timezone.now()
    occurred_on = occurred_on or timezone.localdate(now)
    counter = counter or {}
    area = counter.get("area")
    params = [
        kind,
        idempotency_key,
        reason,
        [leg.account.pk for leg in legs] if legs else None,
        [leg.amount for leg in legs] if legs else None,
        household.pk if household else None,
        counter.get("kind"),
        area.pk if area else None,
        counter.get("store_id"),
        amount,
        actor.pk if actor else None,
        approver.pk if approver else None,
        source.type if source else "",
        source.id if source else None,
        rule_code,
        rule_version,
        reverses.pk if reverses else None,
        occurred_on,
        now,
    ]
    call = notice.call(household.pk) if notice is not None and household is not None else None
    sql, params = (
        (_SQL_RECORD, params)
        if call is None
        else (_sql_record_and_notice(call), call.params + params)
    )
    # The caller's open transaction as it is (no savepoint, as the module's docstring says), or a
    # new one when there is none.
    with transaction.atomic(savepoint=False), prepared_cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except IntegrityError as error:
            # Only a key or reversal raced without a shared household lock clashes here; any
            # other integrity error (a constraint the function's checks should have kept)
            # propagates.
            if not _is_unique_clash(error):
                raise
            raise LedgerError("already_recorded", _("This change was already recorded.")) from error
        transaction_id, is_new, refusal, refusal_balance, deliveries = cursor.fetchone()
        if refusal is None and is_new and notice is not None and household is not None:
            if call is None:  # WeChat is on: message_send's general path
                notice.send(household)
            else:
                household_messages_written(delivery_ids=deliveries)
    if refusal is not None:
        raise ledger_refusal(refusal, balance=refusal_balance)
    if not is_new:  # a retry: the first call's transaction
        return LedgerTransaction.objects.get(pk=transaction_id)
    return inserted(
        LedgerTransaction,
        pk=transaction_id,
        kind=kind,
        reason=reason[:200],
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        source_type=source.type if source else "",
        source_id=source.id if source else None,
        rule_code=rule_code,
        rule_version=rule_version,
        reverses=reverses,
        occurred_on=occurred_on,
        created_at=now,
    )


def transaction_record(
    *,
    kind: str,
    legs: list[Leg],
    reason: str,
    idempotency_key: str,
    actor: User | None,
    approver: User | None = None,
    source: Source | None = None,
    rule_code: str = "",
    rule_version: int | None = None,
    reverses: LedgerTransaction | None = None,
    occurred_on: dt.date | None = None,
) -> LedgerTransaction:
    """Record one balanced transaction. Raises LedgerError (insufficient_points, key_reused,
    already_reversed, already_recorded). Locks the household accounts among ``legs``.
    ``occurred_on`` is the day of the event the points are for (default: today, in the
    campaign's time zone)."""
    _check_legs(legs, idempotency_key)
    if not any(leg.account.kind == Account.Kind.HOUSEHOLD for leg in legs):
        raise ValueError("every transaction moves a household's points")
    return _post(
        kind=kind,
        legs=legs,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        source=source,
        rule_code=rule_code,
        rule_version=rule_version,
        reverses=reverses,
        occurred_on=occurred_on,
    )


def _record_household(
    *, household: Household, counter: dict, amount: int, kind: str, **details
) -> LedgerTransaction:
    """``amount`` into (or, negative, out of) the household's account, against ``counter``."""
    if amount == 0:
        raise ValueError("a transaction needs two or more non-zero legs")
    if not details["idempotency_key"]:
        raise ValueError("an idempotency key is required")
    return _post(kind=kind, household=household, counter=counter, amount=amount, **details)


# --- What the rest of the platform calls --------------------------------------------------------


def _pool_move(
    *,
    household: Household,
    amount: int,
    kind: str,
    reason: str,
    idempotency_key: str,
    actor: User | None,
    approver: User | None,
    funded_by: Area | None,
    source: Source | None = None,
    rule_code: str = "",
    rule_version: int | None = None,
    occurred_on: dt.date | None = None,
    notice: HouseholdNotice | None = None,
) -> LedgerTransaction:
    """The one body of awards, deductions and adjustments: ``amount`` (signed) between the
    funding area's pool (default: the district's) and the household."""
    return _record_household(
        household=household,
        counter={"kind": Account.Kind.POOL, "area": funded_by or _district_of(household)},
        amount=amount,
        kind=kind,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        source=source,
        rule_code=rule_code,
        rule_version=rule_version,
        occurred_on=occurred_on,
        notice=notice,
    )


def points_award(
    *,
    household: Household,
    amount: int,
    reason: str,
    idempotency_key: str,
    actor: User | None,
    approver: User | None = None,
    funded_by: Area | None = None,
    source: Source | None = None,
    rule_code: str = "",
    rule_version: int | None = None,
    occurred_on: dt.date | None = None,
    notice: HouseholdNotice | None = None,
) -> LedgerTransaction:
    """Move points from the funding area's pool (default: the district's) to the household.
    ``occurred_on``: the day of the event the points are for (the caps count by it).
    ``notice``: the household's message of it, written in the ledger's own statement (one round
    trip) when the award is new."""
    if amount <= 0:
        raise ValueError("an award is positive")
    return _pool_move(
        household=household,
        amount=amount,
        kind=Kind.AWARD,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        funded_by=funded_by,
        source=source,
        rule_code=rule_code,
        rule_version=rule_version,
        occurred_on=occurred_on,
        notice=notice,
    )


def points_spend(
    *,
    household: Household,
    amount: int,
    store_id: int,
    reason: str,
    idempotency_key: str,
    actor: User | None,
    source: Source | None = None,
) -> LedgerTransaction:
    """A redemption: points move from the household to the store."""
    if amount <= 0:
        raise ValueError("a redemption is positive")
    return _record_household(
        household=household,
        counter={"kind": Account.Kind.STORE, "store_id": store_id},
        amount=-amount,
        kind=Kind.REDEMPTION,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        source=source,
    )


def _reversal(
    *, kind: str, original: LedgerTransaction, reason: str, idempotency_key: str, actor: User | None
) -> LedgerTransaction:
    legs = [
        Leg(posting.account, -posting.amount)
        for posting in original.postings.select_related("account")
    ]
    return transaction_record(
        kind=kind,
        legs=legs,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        source=Source(type="transaction", id=original.pk),
        rule_code=original.rule_code,
        rule_version=original.rule_version,
        reverses=original,
        occurred_on=original.occurred_on,
    )


def points_void(
    *, redemption: LedgerTransaction, reason: str, idempotency_key: str, actor: User | None
) -> LedgerTransaction:
    """Give a redemption's points back to the household. A redemption is voided once."""
    if redemption.kind != Kind.REDEMPTION:
        raise LedgerError("not_a_redemption", _("Only a redemption can be voided."))
    return _reversal(
        kind=Kind.VOID,
        original=redemption,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
    )


def points_reverse(
    *, original: LedgerTransaction, reason: str, idempotency_key: str, actor: User | None
) -> LedgerTransaction:
    """Correct an award or adjustment with its exact opposite; it can be reversed once.

    Refused (insufficient_points) when the household has already spent the points.
    """
    if original.kind not in {Kind.AWARD, Kind.ADJUSTMENT}:
        raise LedgerError(
            "not_reversible", _("Only awards and adjustments can be reversed; use a void.")
        )
    return _reversal(
        kind=Kind.REVERSAL,
        original=original,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
    )


def points_expire(
    *, household: Household, amount: int, reason: str, idempotency_key: str
) -> LedgerTransaction:
    """Move expired points to the district's expiry account."""
    if amount <= 0:
        raise ValueError("an expiry is positive")
    return _record_household(
        household=household,
        counter={"kind": Account.Kind.EXPIRY, "area": _district_of(household)},
        amount=-amount,
        kind=Kind.EXPIRY,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=None,
    )


def points_adjust(
    *,
    household: Household,
    amount: int,
    reason: str,
    idempotency_key: str,
    actor: User,
    approver: User | None = None,
    funded_by: Area | None = None,
) -> LedgerTransaction:
    """A correction in either direction against the funding pool, with a reason."""
    if amount == 0:
        raise ValueError("an adjustment is not zero")
    if not reason.strip():
        raise LedgerError("reason_required", _("Say why the points are adjusted."))
    return _pool_move(
        household=household,
        amount=amount,
        kind=Kind.ADJUSTMENT,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        funded_by=funded_by,
    )


def points_deduct(
    *,
    household: Household,
    amount: int,
    reason: str,
    idempotency_key: str,
    actor: User | None,
    approver: User | None = None,
    funded_by: Area | None = None,
    source: Source | None = None,
    rule_code: str = "",
    rule_version: int | None = None,
    occurred_on: dt.date | None = None,
    notice: HouseholdNotice | None = None,
) -> LedgerTransaction:
    """A deduction under a rule: points go back to the pool, never below zero (refused).
    ``notice``: as for points_award."""
    if amount <= 0:
        raise ValueError("a deduction is given as a positive amount")
    return _pool_move(
        household=household,
        amount=-amount,
        kind=Kind.ADJUSTMENT,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        funded_by=funded_by,
        source=source,
        rule_code=rule_code,
        rule_version=rule_version,
        occurred_on=occurred_on,
        notice=notice,
    )
