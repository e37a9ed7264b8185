"""The only code that changes points. Read docs/ledger.md first.

Every public function here records one ``LedgerTransaction`` whose postings sum to zero. It locks
the household account(s) involved (``SELECT … FOR UPDATE``, in id order, once), re-checks the
idempotency key under the lock, refuses to take any household below zero, writes the postings with
the household's hash chain and updates the cached balance, all in one database transaction. A
second call with the same idempotency key returns the first transaction and changes nothing.

Callers that also lock other rows (stock) call these inside their own ``transaction.atomic`` after
nothing else has been locked: household accounts first, then stock rows.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from points.exceptions import LedgerError
from points.models import Account, LedgerTransaction, Posting
from registry.models import Area, Household, User

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


# --- Accounts -----------------------------------------------------------------------------------


def household_account(household: Household) -> Account:
    account, _created = Account.objects.get_or_create(
        kind=Account.Kind.HOUSEHOLD, household=household
    )
    return account


def area_account(kind: str, area: Area) -> Account:
    account, _created = Account.objects.get_or_create(kind=kind, area=area)
    return account


def store_account(store_id: int) -> Account:
    account, _created = Account.objects.get_or_create(kind=Account.Kind.STORE, store_id=store_id)
    return account


def _district_of(household: Household) -> Area:
    village = household.village
    return village if village.is_root() else village.get_root()


# --- The one place that writes ------------------------------------------------------------------


def _signature(legs: list[Leg]) -> list[tuple[int, int]]:
    return sorted((leg.account.pk, leg.amount) for leg in legs)


def _existing(idempotency_key: str, kind: str, legs: list[Leg]) -> LedgerTransaction | None:
    found = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if found is None:
        return None
    recorded = sorted(found.postings.values_list("account_id", "amount"))
    if found.kind != kind or recorded != _signature(legs):
        raise LedgerError(
            "key_reused",
            _("This request was already used for a different change of points."),
        )
    return found


def record(
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
) -> LedgerTransaction:
    """Record one balanced transaction. Raises LedgerError (insufficient_points, key_reused,
    already_reversed). Locks the household accounts among ``legs``."""
    if len(legs) < 2 or any(leg.amount == 0 for leg in legs):
        raise ValueError("a transaction needs two or more non-zero legs")
    if sum(leg.amount for leg in legs) != 0:
        raise ValueError("the legs of a transaction must sum to zero")
    if not idempotency_key:
        raise ValueError("an idempotency key is required")

    found = _existing(idempotency_key, kind, legs)
    if found is not None:
        return found

    deltas: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.account.kind == Account.Kind.HOUSEHOLD:
            deltas[leg.account.pk] += leg.amount
    if not deltas:
        raise ValueError("every transaction moves a household's points")

    with transaction.atomic():
        locked = {
            account.pk: account
            for account in Account.objects.select_for_update().filter(pk__in=deltas).order_by("pk")
        }
        # A retry that waited for the lock finds the first call's transaction here.
        found = _existing(idempotency_key, kind, legs)
        if found is not None:
            return found
        if reverses is not None and LedgerTransaction.objects.filter(reverses=reverses).exists():
            raise LedgerError("already_reversed", _("This has already been reversed."))
        for account_id, delta in deltas.items():
            if locked[account_id].balance + delta < 0:
                raise LedgerError(
                    "insufficient_points",
                    _("Not enough points: the household has %(balance)s.")
                    % {"balance": locked[account_id].balance},
                )
        try:
            with transaction.atomic():
                entry = LedgerTransaction.objects.create(
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
                )
        except IntegrityError as error:
            # Only reachable for a key or reversal raced without a shared household lock.
            raise LedgerError("already_recorded", _("This change was already recorded.")) from error

        postings = []
        for leg in legs:
            account = locked.get(leg.account.pk)
            if account is None:
                postings.append(Posting(transaction=entry, account=leg.account, amount=leg.amount))
                continue
            account.balance += leg.amount
            account.posting_count += 1
            digest = posting_hash(
                prev_hash=account.last_hash,
                account_id=account.pk,
                sequence=account.posting_count,
                transaction_id=entry.pk,
                idempotency_key=idempotency_key,
                amount=leg.amount,
                balance_after=account.balance,
            )
            postings.append(
                Posting(
                    transaction=entry,
                    account=account,
                    amount=leg.amount,
                    sequence=account.posting_count,
                    balance_after=account.balance,
                    prev_hash=account.last_hash,
                    hash=digest,
                )
            )
            account.last_hash = digest
        Posting.objects.bulk_create(postings)
        for account in locked.values():
            account.save(update_fields=["balance", "posting_count", "last_hash"])
    return entry


# --- What the rest of the platform calls --------------------------------------------------------


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
) -> LedgerTransaction:
    """Move points from the funding area's pool (default: the district's) to the household."""
    if amount <= 0:
        raise ValueError("an award is positive")
    pool = area_account(Account.Kind.POOL, funded_by or _district_of(household))
    return record(
        kind=Kind.AWARD,
        legs=[Leg(household_account(household), amount), Leg(pool, -amount)],
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        source=source,
        rule_code=rule_code,
        rule_version=rule_version,
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
    return record(
        kind=Kind.REDEMPTION,
        legs=[Leg(household_account(household), -amount), Leg(store_account(store_id), amount)],
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
    return record(
        kind=kind,
        legs=legs,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        source=Source(type="transaction", id=original.pk),
        rule_code=original.rule_code,
        rule_version=original.rule_version,
        reverses=original,
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
    expiry = area_account(Account.Kind.EXPIRY, _district_of(household))
    return record(
        kind=Kind.EXPIRY,
        legs=[Leg(household_account(household), -amount), Leg(expiry, amount)],
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
    pool = area_account(Account.Kind.POOL, funded_by or _district_of(household))
    return record(
        kind=Kind.ADJUSTMENT,
        legs=[Leg(household_account(household), amount), Leg(pool, -amount)],
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
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
) -> LedgerTransaction:
    """A deduction under a rule: points go back to the pool, never below zero (refused)."""
    if amount <= 0:
        raise ValueError("a deduction is given as a positive amount")
    pool = area_account(Account.Kind.POOL, funded_by or _district_of(household))
    return record(
        kind=Kind.ADJUSTMENT,
        legs=[Leg(household_account(household), -amount), Leg(pool, amount)],
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        source=source,
        rule_code=rule_code,
        rule_version=rule_version,
    )
