"""The only code that changes points. Read docs/ledger.md first.

Every public function here records one ``LedgerTransaction`` whose postings sum to zero. It locks
the household account(s) involved (``SELECT … FOR UPDATE``, in id order, once), looks the
idempotency key up under the lock, refuses to take any household below zero, writes the postings
with the household's hash chain and updates the cached balance, all in one database transaction. A
second call with the same idempotency key returns the first transaction and changes nothing.

Callers that also lock other rows (stock) call these inside their own ``transaction.atomic`` after
nothing else has been locked: household accounts first, then stock rows. Inside a caller's
transaction the ledger opens no savepoint of its own: a refusal (``LedgerError``) is raised before
anything is written, and a failed write marks the caller's whole transaction for rollback. No caller
goes on using its transaction after catching a ``LedgerError``; one that needs to must open its own
savepoint around the call.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from points.exceptions import LedgerError
from points.models import Account, LedgerTransaction, Posting
from registry.models import Area, Household, User
from registry.sql import from_row, inserted, prepared_cursor

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


# The write path's statements, in plain SQL: they run in every award and redemption, where
# building them with the ORM cost more than running them.
_TRANSACTIONS = LedgerTransaction._meta.db_table
_POSTINGS = Posting._meta.db_table
_ACCOUNTS = Account._meta.db_table
_TRANSACTION_COLUMNS = (
    "kind, reason, idempotency_key, actor_id, approver_id, source_type, source_id, rule_code, "
    "rule_version, reverses_id, occurred_on, created_at"
)
_POSTING_COLUMNS = (
    "transaction_id, account_id, amount, sequence, balance_after, prev_hash, hash, created_at"
)
_SQL_FIND_KEY = (
    f"SELECT (SELECT id FROM {_TRANSACTIONS} WHERE idempotency_key = %s), "  # noqa: S608
    f"nextval(pg_get_serial_sequence('{_TRANSACTIONS}', 'id'))"
)


def _is_unique_clash(error: IntegrityError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) == "23505"


def _sql_insert_postings(count: int) -> str:
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * count)
    return f"INSERT INTO {_POSTINGS} ({_POSTING_COLUMNS}) VALUES {values}"  # noqa: S608


def _sql_write(postings: int, accounts: int) -> str:
    """PostgreSQL: insert the transaction (its id drawn beforehand) and its postings, and set the
    locked accounts' balances and chain heads, in one statement."""
    values = ", ".join(["(%s::bigint, %s::bigint, %s::bigint, %s)"] * accounts)
    return (
        f"WITH t AS (INSERT INTO {_TRANSACTIONS} (id, {_TRANSACTION_COLUMNS}) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)), "
        f"p AS ({_sql_insert_postings(postings)}) "
        f"UPDATE {_ACCOUNTS} a SET balance = v.balance, posting_count = v.posting_count, "
        f"last_hash = v.last_hash FROM (VALUES {values}) v(id, balance, posting_count, last_hash) "
        "WHERE a.id = v.id"
    )


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


def _existing(
    idempotency_key: str, kind: str, legs: list[Leg]
) -> tuple[LedgerTransaction | None, int | None]:
    """The transaction already recorded under ``idempotency_key``, if any, and the id the new one
    will take, drawn from its sequence in the same statement."""
    with prepared_cursor() as cursor:
        cursor.execute(_SQL_FIND_KEY, [idempotency_key])
        found_id, next_id = cursor.fetchone()
    if found_id is None:  # the usual case: one light statement
        return None, next_id
    found = LedgerTransaction.objects.get(pk=found_id)
    recorded = sorted(found.postings.values_list("account_id", "amount"))
    if found.kind != kind or recorded != _signature(legs):
        raise LedgerError(
            "key_reused",
            _("This request was already used for a different change of points."),
        )
    return found, None


def _unit():
    """The caller's open transaction as it is (no savepoint), or a new one."""
    return nullcontext() if connection.in_atomic_block else transaction.atomic()


def _check_legs(legs: list[Leg], idempotency_key: str) -> None:
    if len(legs) < 2 or any(leg.amount == 0 for leg in legs):
        raise ValueError("a transaction needs two or more non-zero legs")
    if sum(leg.amount for leg in legs) != 0:
        raise ValueError("the legs of a transaction must sum to zero")
    if not idempotency_key:
        raise ValueError("an idempotency key is required")


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
    occurred_on: dt.date | None = None,
) -> LedgerTransaction:
    """Record one balanced transaction. Raises LedgerError (insufficient_points, key_reused,
    already_reversed). Locks the household accounts among ``legs``. ``occurred_on`` is the day
    of the event the points are for (default: today, in the campaign's time zone)."""
    _check_legs(legs, idempotency_key)
    household_ids = sorted(
        {leg.account.pk for leg in legs if leg.account.kind == Account.Kind.HOUSEHOLD}
    )
    if not household_ids:
        raise ValueError("every transaction moves a household's points")
    with _unit():
        locked = {
            account.pk: account
            for account in Account.objects.select_for_update()
            .filter(pk__in=household_ids)
            .order_by("pk")
        }
        return _record_locked(
            kind=kind,
            legs=legs,
            locked=locked,
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


def _lock_household(household: Household, counter: dict) -> tuple[Account, Account]:
    """Inside the unit: lock the household's account and read (never lock) the counter-party's
    account (pool, store or expiry) in one statement; either is created when it is still missing.

    Plain SQL: this runs in every award and every redemption, and the ORM spent longer building
    the statement than PostgreSQL took to run it.
    """
    column, value = (
        ("store_id", counter["store_id"])
        if "store_id" in counter
        else (
            "area_id",
            counter["area"].pk,
        )
    )
    sql = (
        f"SELECT a.id, a.balance, a.posting_count, a.last_hash, "  # noqa: S608 - our own names
        f"(SELECT c.id FROM {_ACCOUNTS} c WHERE c.kind = %s AND c.{column} = %s LIMIT 1) "
        f"FROM {_ACCOUNTS} a WHERE a.kind = %s AND a.household_id = %s FOR UPDATE"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [counter["kind"], value, Account.Kind.HOUSEHOLD, household.pk])
        row = cursor.fetchone()
        if row is None:  # once in a household's life
            household_account(household)
            cursor.execute(sql, [counter["kind"], value, Account.Kind.HOUSEHOLD, household.pk])
            row = cursor.fetchone()
    account_id, balance, posting_count, last_hash, counter_id = row
    account = from_row(
        Account,
        ("id", "kind", "household_id", "balance", "posting_count", "last_hash"),
        (account_id, Account.Kind.HOUSEHOLD, household.pk, balance, posting_count, last_hash),
    )
    if counter_id is None:  # once in a pool's, store's or expiry account's life
        return account, Account.objects.get_or_create(**counter)[0]
    return account, Account(pk=counter_id, kind=counter["kind"])


def _record_household(
    *, household: Household, counter: dict, amount: int, kind: str, **details
) -> LedgerTransaction:
    """``amount`` into (or, negative, out of) the household's account, against ``counter``."""
    if amount == 0:
        raise ValueError("a transaction needs two or more non-zero legs")
    if not details["idempotency_key"]:
        raise ValueError("an idempotency key is required")
    with _unit():
        account, other = _lock_household(household, counter)
        legs = [Leg(account, amount), Leg(other, -amount)]
        return _record_locked(kind=kind, legs=legs, locked={account.pk: account}, **details)


def _posting_rows(
    transaction_id: int,
    legs: list[Leg],
    locked: dict[int, Account],
    idempotency_key: str,
    at: object,
) -> list[object]:
    """The postings' column values, extending each locked household's hash chain (and moving
    its balance) in memory."""
    rows: list[object] = []
    for leg in legs:
        account = locked.get(leg.account.pk)
        if account is None:
            rows += [transaction_id, leg.account.pk, leg.amount, None, None, "", "", at]
            continue
        account.balance += leg.amount
        account.posting_count += 1
        digest = posting_hash(
            prev_hash=account.last_hash,
            account_id=account.pk,
            sequence=account.posting_count,
            transaction_id=transaction_id,
            idempotency_key=idempotency_key,
            amount=leg.amount,
            balance_after=account.balance,
        )
        rows += [
            transaction_id,
            account.pk,
            leg.amount,
            account.posting_count,
            account.balance,
            account.last_hash,
            digest,
            at,
        ]
        account.last_hash = digest
    return rows


def _record_locked(
    *,
    kind: str,
    legs: list[Leg],
    locked: dict[int, Account],
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
    """The rest of ``record`` once the household accounts (``locked``) are locked."""
    # The key is looked up under the lock only: a retry that waited for the lock finds the
    # first call's transaction here.
    found, next_id = _existing(idempotency_key, kind, legs)
    if found is not None:
        return found
    if reverses is not None and LedgerTransaction.objects.filter(reverses=reverses).exists():
        raise LedgerError("already_reversed", _("This has already been reversed."))
    deltas: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.account.pk in locked:
            deltas[leg.account.pk] += leg.amount
    for account_id, delta in deltas.items():
        if locked[account_id].balance + delta < 0:
            raise LedgerError(
                "insufficient_points",
                _("Not enough points: the household has %(balance)s.")
                % {"balance": locked[account_id].balance},
            )
    # Nothing was written before this point, so a refusal above leaves the caller's transaction
    # usable; a failed write below marks it (or ours) for rollback.
    now = timezone.now()
    occurred_on = occurred_on or timezone.localdate(now)
    entry = inserted(
        LedgerTransaction,
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
    at = connection.ops.adapt_datetimefield_value(now)
    header = [
        entry.kind,
        entry.reason,
        idempotency_key,
        entry.actor_id,
        entry.approver_id,
        entry.source_type,
        entry.source_id,
        rule_code,
        rule_version,
        entry.reverses_id,
        connection.ops.adapt_datefield_value(occurred_on),
        at,
    ]
    with transaction.atomic(savepoint=False), prepared_cursor() as cursor:
        try:
            # The transaction, its postings and the balances in one statement.
            entry.pk = next_id
            postings = _posting_rows(entry.pk, legs, locked, idempotency_key, at)
            accounts: list[object] = []
            for account in locked.values():
                accounts += [account.pk, account.balance, account.posting_count, account.last_hash]
            cursor.execute(
                _sql_write(len(legs), len(locked)), [entry.pk, *header, *postings, *accounts]
            )
        except IntegrityError as error:
            # Only a key or reversal raced without a shared household lock clashes here; any other
            # integrity error (a constraint the checks above should have kept) propagates.
            if not _is_unique_clash(error):
                raise
            raise LedgerError("already_recorded", _("This change was already recorded.")) from error
    # The household balances this transaction left (not on a returned earlier transaction):
    # callers that show them need not read them again.
    entry.balances_after = {pk: account.balance for pk, account in locked.items()}
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
    occurred_on: dt.date | None = None,
) -> LedgerTransaction:
    """Move points from the funding area's pool (default: the district's) to the household.
    ``occurred_on``: the day of the event the points are for (the caps count by it)."""
    if amount <= 0:
        raise ValueError("an award is positive")
    return _record_household(
        household=household,
        counter={"kind": Account.Kind.POOL, "area": funded_by or _district_of(household)},
        amount=amount,
        kind=Kind.AWARD,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        source=source,
        rule_code=rule_code,
        rule_version=rule_version,
        occurred_on=occurred_on,
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
    return _record_household(
        household=household,
        counter={"kind": Account.Kind.POOL, "area": funded_by or _district_of(household)},
        amount=amount,
        kind=Kind.ADJUSTMENT,
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
    occurred_on: dt.date | None = None,
) -> LedgerTransaction:
    """A deduction under a rule: points go back to the pool, never below zero (refused)."""
    if amount <= 0:
        raise ValueError("a deduction is given as a positive amount")
    return _record_household(
        household=household,
        counter={"kind": Account.Kind.POOL, "area": funded_by or _district_of(household)},
        amount=-amount,
        kind=Kind.ADJUSTMENT,
        reason=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        approver=approver,
        source=source,
        rule_code=rule_code,
        rule_version=rule_version,
        occurred_on=occurred_on,
    )
