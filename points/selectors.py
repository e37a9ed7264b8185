"""Reads of the points ledger."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from points.models import Account, LedgerTransaction, Posting
from points.services.ledger import posting_hash
from registry.models import Household

CHUNK = 2000


def _household_problems(account: Account, postings: Iterator[Posting]) -> list[dict]:
    problems = []
    prev_hash, running, expected_sequence = "", 0, 1
    for posting in postings:
        running += posting.amount
        if posting.sequence != expected_sequence:
            problems.append({"code": "sequence_gap", "account": account.pk, "posting": posting.pk})
        if posting.prev_hash != prev_hash or posting.balance_after != running:
            problems.append({"code": "chain_broken", "account": account.pk, "posting": posting.pk})
        digest = posting_hash(
            prev_hash=posting.prev_hash,
            account_id=account.pk,
            sequence=posting.sequence,
            transaction_id=posting.transaction_id,
            idempotency_key=posting.transaction.idempotency_key,
            amount=posting.amount,
            balance_after=posting.balance_after,
        )
        if digest != posting.hash:
            problems.append({"code": "hash_mismatch", "account": account.pk, "posting": posting.pk})
        prev_hash, expected_sequence = posting.hash, expected_sequence + 1
    if running != account.balance:
        problems.append(
            {
                "code": "balance_mismatch",
                "account": account.pk,
                "cached": account.balance,
                "sum": running,
            }
        )
    if prev_hash != account.last_hash:
        problems.append({"code": "chain_head_mismatch", "account": account.pk})
    return problems


def ledger_problems_list() -> tuple[list[dict], int, int]:
    """Every break in the ledger: chains, cached balances, unbalanced transactions.

    Returns (problems, accounts checked, transactions checked). Streams postings account by
    account, so memory stays flat whatever the size of the ledger.
    """
    problems: list[dict] = []
    accounts = 0
    for account in (
        Account.objects.filter(kind=Account.Kind.HOUSEHOLD)
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    ):
        accounts += 1
        postings = (
            Posting.objects.filter(account=account)
            .select_related("transaction")
            .only(
                "amount",
                "sequence",
                "balance_after",
                "prev_hash",
                "hash",
                "transaction_id",
                "transaction__idempotency_key",
            )
            .order_by("sequence")
            .iterator(chunk_size=CHUNK)
        )
        problems.extend(_household_problems(account, postings))
    unbalanced = (
        Posting.objects.values("transaction_id")
        .annotate(total=Sum("amount"), legs=Count("id"))
        .exclude(total=0, legs__gte=2)
    )
    problems.extend(
        {
            "code": "unbalanced_transaction",
            "transaction": row["transaction_id"],
            "sum": row["total"],
        }
        for row in unbalanced
    )
    empty = LedgerTransaction.objects.filter(postings__isnull=True).values_list("pk", flat=True)
    problems.extend({"code": "transaction_without_postings", "transaction": pk} for pk in empty)
    return problems, accounts, LedgerTransaction.objects.count()


# --- What a household sees ----------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdPoints:
    balance: int
    earned_this_month: int
    rank_in_village: int | None  # 1 = most points earned this month; None before any
    households_ranked: int


def _month_start(today: datetime.date) -> datetime.datetime:
    start = today.replace(day=1)
    return timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))


def household_points_get(
    *, household: Household, today: datetime.date | None = None
) -> HouseholdPoints:
    """Balance, this month's earnings and rank among the village's households.

    Two queries whatever the size of the district: the rank only reads this month's awards of
    the household's own village.
    """
    today = today or timezone.localdate()
    account = Account.objects.filter(household=household).only("balance").first()
    earned = (
        Posting.objects.filter(
            account__household__village_id=household.village_id,
            account__kind=Account.Kind.HOUSEHOLD,
            transaction__kind=LedgerTransaction.Kind.AWARD,
            transaction__created_at__gte=_month_start(today),
        )
        .values("account__household_id")
        .annotate(total=Sum("amount"))
        .values_list("account__household_id", "total")
    )
    totals = dict(earned)
    mine = totals.get(household.pk, 0)
    rank = 1 + sum(1 for total in totals.values() if total > mine) if mine else None
    return HouseholdPoints(
        balance=account.balance if account else 0,
        earned_this_month=mine,
        rank_in_village=rank,
        households_ranked=len(totals),
    )


def household_history_list(*, household: Household) -> QuerySet[Posting]:
    """The household's postings, newest first, each with what explains it to the villager:
    the transaction (kind, reason, rule, source), who recorded and who approved it."""
    return (
        Posting.objects.filter(account__household=household)
        .select_related("transaction", "transaction__actor", "transaction__approver")
        .order_by("-id")
    )


def household_pending_points(*, household: Household) -> int:
    """Points recorded for the household and still waiting for a second person's approval."""
    from points.models import PointsClaim

    total = PointsClaim.objects.filter(
        household=household, status=PointsClaim.Status.PENDING
    ).aggregate(total=Sum("requested_points"))["total"]
    return total or 0
