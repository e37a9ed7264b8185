"""Reads of the points ledger."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from meijia.db import report_plans
from points.models import Account, HouseholdMonth, LedgerTransaction, Posting
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
        # A household's postings always carry their place in the chain.
        assert posting.sequence is not None and posting.balance_after is not None
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
    # The three scans over every posting are a report's: they may use parallel workers.
    with report_plans():
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
        problems.extend(household_month_problems_list())
    return problems, accounts, LedgerTransaction.objects.count()


# The kept month rows against the postings they sum: every (household, month) on either side
# whose figures differ, in one pass over the household postings.
MONTH_DRIFT = """
WITH summed AS (
    SELECT a.household_id, date_trunc('month', t.occurred_on)::date AS month,
           coalesce(sum(p.amount) FILTER (WHERE t.kind = 'award'), 0) AS awarded,
           coalesce(sum(p.amount) FILTER (WHERE t.kind = 'redemption'), 0) AS redeemed,
           coalesce(sum(p.amount) FILTER (WHERE t.kind = 'void'), 0) AS voided,
           coalesce(sum(p.amount) FILTER (WHERE t.kind = 'reversal'), 0) AS reversed,
           coalesce(sum(p.amount) FILTER (WHERE t.kind = 'expiry'), 0) AS expired,
           coalesce(sum(p.amount) FILTER (WHERE t.kind = 'adjustment'), 0) AS adjusted
    FROM points_posting p
    JOIN points_account a ON a.id = p.account_id AND a.kind = 'household'
    JOIN points_ledgertransaction t ON t.id = p.transaction_id
    GROUP BY 1, 2
)
SELECT coalesce(k.household_id, s.household_id), coalesce(k.month, s.month),
       ARRAY[k.awarded, k.redeemed, k.voided, k.reversed, k.expired, k.adjusted],
       ARRAY[s.awarded, s.redeemed, s.voided, s.reversed, s.expired, s.adjusted]
FROM points_householdmonth k
FULL JOIN summed s ON s.household_id = k.household_id AND s.month = k.month
WHERE ROW(k.awarded, k.redeemed, k.voided, k.reversed, k.expired, k.adjusted)
      IS DISTINCT FROM ROW(s.awarded, s.redeemed, s.voided, s.reversed, s.expired, s.adjusted)
ORDER BY 1, 2
"""
MONTH_COLUMNS = ("awarded", "redeemed", "voided", "reversed", "expired", "adjusted")


def household_month_problems_list() -> list[dict]:
    """Every kept month row (``HouseholdMonth``) that differs from the sum of its household's
    postings of that month (``month_mismatch``, with both figures), and every month of postings
    that has no row: the drift the pages would show."""
    problems = []
    with connection.cursor() as cursor:
        cursor.execute(MONTH_DRIFT)
        for household_id, month, kept, summed in cursor:
            problems.append(
                {
                    "code": "month_mismatch",
                    "household": household_id,
                    "month": month.isoformat(),
                    "kept": dict(zip(MONTH_COLUMNS, kept, strict=True)),
                    "sum": dict(
                        zip(
                            MONTH_COLUMNS,
                            [int(v) if v is not None else None for v in summed],
                            strict=True,
                        )
                    ),
                }
            )
    return problems


# --- What a household sees ----------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdPoints:
    balance: int
    earned_this_month: int
    rank_in_village: int | None  # 1 = most points earned this month; None before any
    households_ranked: int


def household_points_get(
    *, household: Household, today: datetime.date | None = None
) -> HouseholdPoints:
    """Balance, this month's earnings and rank among the village's households.

    Two queries whatever the size of the district or of the ledger: the cached balance, and the
    kept month rows (``HouseholdMonth``, one per household and month, written with the postings)
    of the household's own village. This month is the month of the events the points are for
    (``occurred_on``, as the caps count), in the campaign's time zone.
    """
    today = today or timezone.localdate()
    account = Account.objects.filter(household=household).only("balance").first()
    # Each of the village's households looks its own row up (a subquery per household, always
    # an index probe of one_row_per_month): a join would let a stale estimate of the village's
    # size pick a hash join over every household's row of the month (170 ms at 310,000).
    month_row = HouseholdMonth.objects.filter(
        household_id=OuterRef("pk"), month=today.replace(day=1)
    )
    earned = (
        Household.objects.filter(village_id=household.village_id)
        .annotate(awarded=Subquery(month_row.values("awarded")))
        .order_by()
        .values_list("pk", "awarded")
    )
    totals = {pk: awarded for pk, awarded in earned if awarded and awarded > 0}
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


def household_points_from_source(*, household: Household, source_type: str, source_id: int) -> int:
    """What one source (a finished lesson, a class attended) has paid the household so far, net
    of any reversal: 0 when nothing was paid (no rule in force, a cap reached)."""
    paid = Posting.objects.filter(
        account__household=household,
        transaction__source_type=source_type,
        transaction__source_id=source_id,
    ).aggregate(total=Sum("amount"))["total"]
    reversed_ = Posting.objects.filter(
        account__household=household,
        transaction__reverses__source_type=source_type,
        transaction__reverses__source_id=source_id,
    ).aggregate(total=Sum("amount"))["total"]
    return (paid or 0) + (reversed_ or 0)
