"""Points expiry: which points are unspent and due, the daily run, and the 30-day notices.

Lots, oldest spent first: every positive posting on a household account is a lot dated by the
local day (Asia/Shanghai) its transaction was recorded; every negative posting (a redemption, a
reversal, an expiry) uses up the oldest lots first. A district's ``ExpiryPolicy`` gives each lot
its expiry date, and a later lot never expires before an earlier one, so the lots that are due are
always the oldest, and an expiry posting uses up exactly the lots it expires.

The daily run (``points_expiry_run``, Celery beat ``points.tasks.expire_points``) takes the due,
unspent points away with ``points_expire`` — one transaction per household and expiry date, with
the key ``expiry:<household>:<date>`` — and texts households 30 days before their points expire,
once per expiry date (``ExpiryNotice``). Running it again, the same day or later, changes nothing.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from outbox.services import message_send
from points.exceptions import LedgerError
from points.models import Account, ExpiryNotice, ExpiryPolicy, Posting
from points.models.expiry import NOTICE_DAYS
from points.services.ledger import points_expire
from registry.models import Household, Member

logger = logging.getLogger(__name__)

CHUNK = 2000
ATTEMPTS = 3


@dataclass
class Lot:
    earned_on: dt.date
    remaining: int


@dataclass(frozen=True)
class HouseholdExpiry:
    """What a household has due (``expired``: expiring on or before ``on``, still unspent) and
    what expires within the next 30 days after ``on`` (``expiring_soon``, from ``next_date``)."""

    expired: int
    expiring_soon: int
    next_date: dt.date | None


@dataclass
class ExpiryRunSummary:
    households_checked: int = 0
    households_expired: int = 0
    points_expired: int = 0
    transactions: int = 0
    notices: int = 0
    texts: int = 0
    failed: list[int] = field(default_factory=list)  # household ids, for the logs


# --- Reads --------------------------------------------------------------------------------------


def _open_lots(postings: Iterable[tuple[int, dt.datetime]]) -> list[Lot]:
    """The unspent lots, oldest first, from (amount, recorded at) in posting order."""
    lots: list[Lot] = []
    first = 0  # lots before this index are used up
    for amount, recorded_at in postings:
        if amount > 0:
            earned_on = timezone.localdate(recorded_at)
            if len(lots) > first and lots[-1].earned_on == earned_on:
                lots[-1].remaining += amount
            else:
                lots.append(Lot(earned_on, amount))
            continue
        owed = -amount
        while owed and first < len(lots):
            used = min(owed, lots[first].remaining)
            lots[first].remaining -= used
            owed -= used
            if lots[first].remaining == 0:
                first += 1
        # A balance never goes below zero, so a negative posting always finds enough lots.
    return lots[first:]


def household_lots_list(*, account_id: int, up_to_sequence: int | None = None) -> list[Lot]:
    """A household account's unspent lots, oldest first (read only)."""
    postings = Posting.objects.filter(account_id=account_id)
    if up_to_sequence is not None:
        postings = postings.filter(sequence__lte=up_to_sequence)
    rows = (
        postings.order_by("sequence")
        .values_list("amount", "transaction__created_at")
        .iterator(chunk_size=CHUNK)
    )
    return _open_lots(rows)


def _due_by_date(lots: list[Lot], policy: ExpiryPolicy) -> dict[dt.date, int]:
    """Unspent points by expiry date, in date order."""
    due: dict[dt.date, int] = {}
    for lot in lots:
        expires_on = policy.expires_on(lot.earned_on)
        if expires_on is not None and lot.remaining:
            due[expires_on] = due.get(expires_on, 0) + lot.remaining
    return dict(sorted(due.items()))


def policy_for(household: Household) -> ExpiryPolicy | None:
    village = household.village
    district = village if village.is_root() else village.get_root()
    return ExpiryPolicy.objects.filter(district=district).first()


def household_expiry_get(*, household: Household, on: dt.date) -> HouseholdExpiry:
    """How many of the household's points are due on ``on`` and how many expire in the next 30
    days (read only; a villager's page may show it)."""
    policy = policy_for(household)
    account = Account.objects.filter(household=household).only("pk").first()
    if policy is None or policy.mode == ExpiryPolicy.Mode.NONE or account is None:
        return HouseholdExpiry(expired=0, expiring_soon=0, next_date=None)
    due = _due_by_date(household_lots_list(account_id=account.pk), policy)
    soon = {d: p for d, p in due.items() if on < d <= on + dt.timedelta(days=NOTICE_DAYS)}
    return HouseholdExpiry(
        expired=sum(p for d, p in due.items() if d <= on),
        expiring_soon=sum(soon.values()),
        next_date=min(soon, default=None),
    )


# --- The daily run ------------------------------------------------------------------------------


def _reason(policy: ExpiryPolicy, expires_on: dt.date) -> str:
    if policy.mode == ExpiryPolicy.Mode.YEARLY:
        return _("Points expired: points earned in %(year)s expired on %(date)s.") % {
            "year": expires_on.year - 1,
            "date": expires_on.isoformat(),
        }
    return _("Points expired: points earned %(months)s months earlier expired on %(date)s.") % {
        "months": policy.months,
        "date": expires_on.isoformat(),
    }


def _notice_write(household: Household, points: int, dates: list[dt.date]) -> int:
    """The household's expiry warning, into the outbox in this transaction."""
    if len(dates) == 1:
        template, data = "points.expiry", {"points": points, "date": dates[0].isoformat()}
    else:
        template = "points.expiry_range"
        data = {"points": points, "first": dates[0].isoformat(), "last": dates[-1].isoformat()}
    return message_send(template=template, data=data, households=[household])


class _Stale(Exception):
    """The household's postings changed between reading the lots and expiring them."""


def _announce(
    household: Household, due: dict[dt.date, int], today: dt.date, summary: ExpiryRunSummary
) -> None:
    """Record a notice for each expiry date in the next 30 days not yet announced, and text the
    household's phones once for all of them (through the outbox, in this transaction)."""
    window = {d: p for d, p in due.items() if today < d <= today + dt.timedelta(days=NOTICE_DAYS)}
    if not window or household.status != Household.Status.ACTIVE:
        return
    announced = set(
        ExpiryNotice.objects.filter(household=household, expires_on__in=window).values_list(
            "expires_on", flat=True
        )
    )
    if announced.issuperset(window):
        return
    phones = list(
        Member.objects.filter(household=household)
        .exclude(phone="")
        .values_list("phone", flat=True)
        .distinct()
    )
    new_dates = []
    for expires_on, points in window.items():
        if expires_on in announced:
            continue
        try:
            with transaction.atomic():
                ExpiryNotice.objects.create(
                    household=household,
                    expires_on=expires_on,
                    points=points,
                    recipients=len(phones),
                )
        except IntegrityError:
            continue  # another run announced it first
        new_dates.append(expires_on)
    if not new_dates:
        return
    summary.notices += len(new_dates)
    if not phones:
        return
    _notice_write(household, sum(window[d] for d in new_dates), new_dates)
    summary.texts += len(phones)


def _expire_household(
    account: Account, policy: ExpiryPolicy, today: dt.date, summary: ExpiryRunSummary
) -> None:
    """Expire one household's due points and announce what is coming, in one transaction.

    The lots are read without a lock (up to the sequence seen first; postings never change), then
    ``points_expire`` locks the account. If anything was posted in between, the household's
    postings no longer follow on from what was read: everything is rolled back and read again.
    """
    household = account.household
    assert household is not None  # the accounts of _accounts() are households'
    household.points_account = account  # what the notice reads, without another query
    for _attempt in range(ATTEMPTS):
        try:
            # An entry point (the daily run): each household's expiry is its own transaction.
            with transaction.atomic(durable=True):
                seen = Account.objects.values_list("posting_count", flat=True).get(pk=account.pk)
                lots = household_lots_list(account_id=account.pk, up_to_sequence=seen)
                due = _due_by_date(lots, policy)
                expired = [(d, p) for d, p in due.items() if d <= today]
                for expires_on, points in expired:
                    points_expire(
                        household=household,
                        amount=points,
                        reason=_reason(policy, expires_on),
                        idempotency_key=f"expiry:{household.pk}:{expires_on.isoformat()}",
                    )
                if expired:
                    now = Account.objects.values_list("posting_count", flat=True).get(pk=account.pk)
                    if now != seen + len(expired):
                        raise _Stale
                _announce(household, due, today, summary)
        except (_Stale, LedgerError) as error:
            # insufficient_points can only come from a stale read too; key_reused would mean
            # the policy changed under an already recorded expiry: retried, then reported.
            last_error = error
            continue
        if expired:
            summary.households_expired += 1
            summary.transactions += len(expired)
            summary.points_expired += sum(p for _d, p in expired)
        return
    summary.failed.append(household.pk)
    logger.warning(
        "points expiry failed for household %s: %s",
        household.pk,
        getattr(last_error, "code", type(last_error).__name__),
    )


def _accounts(policy: ExpiryPolicy) -> QuerySet[Account]:
    return (
        Account.objects.filter(
            kind=Account.Kind.HOUSEHOLD,
            household__village__path__startswith=policy.district.path,
            balance__gt=0,
        )
        .select_related("household", "household__village")
        .order_by("pk")
    )


def points_expiry_run(*, today: dt.date) -> ExpiryRunSummary:
    """Expire every due, unspent point in districts whose points expire, and text households 30
    days ahead. Idempotent: a second run the same day, or a later one, expires nothing more and
    sends no notice twice. Streams households, one database transaction each."""
    summary = ExpiryRunSummary()
    policies = ExpiryPolicy.objects.exclude(mode=ExpiryPolicy.Mode.NONE).select_related("district")
    # Reasons and texts are stored and sent in the site's language, whatever the worker's.
    with translation.override(settings.LANGUAGE_CODE):
        for policy in policies:
            for account in _accounts(policy).iterator(chunk_size=CHUNK):
                summary.households_checked += 1
                _expire_household(account, policy, today, summary)
    logger.info(
        "points expiry %s: %s households checked, %s points expired in %s transactions, "
        "%s notices, %s failed",
        today.isoformat(),
        summary.households_checked,
        summary.points_expired,
        summary.transactions,
        summary.notices,
        len(summary.failed),
    )
    return summary
