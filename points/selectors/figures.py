"""Set-based reads for the assessment platform: one grouped query per question, every village of
the platform at once for a period ``[start, end)``, so the daily roll-up costs a few queries
whatever the number of households. Each returns ``{village id: {name: number}}``."""

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from points.models import (
    Account,
    AppraisalResult,
    HouseholdMonth,
    LedgerTransaction,
    Posting,
    SortingCheck,
)

Kind = LedgerTransaction.Kind


def _rows(queryset, key: str) -> dict[int, dict]:
    return {row.pop(key): row for row in queryset}


def sorting_by_village(*, start: datetime.date, end: datetime.date) -> dict[int, dict]:
    """Per village of the rounds held in the period: ``households`` checked at least once,
    ``checks`` and ``passed`` (any grade but fail); checks flagged as graded twice in a round
    are left out (the committee settles which one counts)."""
    checks = (
        SortingCheck.objects.filter(
            round__held_on__gte=start, round__held_on__lt=end, is_conflict=False
        )
        .values("round__village_id")
        .annotate(
            households=Count("household_id", distinct=True),
            checks=Count("id"),
            passed=Count("id", filter=~Q(grade=SortingCheck.Grade.FAIL)),
        )
        .order_by()
    )
    return _rows(checks, "round__village_id")


def _is_whole_months(start: datetime.date, end: datetime.date) -> bool:
    return start.day == 1 and end.day == 1


def ledger_by_village(*, start: datetime.date, end: datetime.date) -> dict[int, dict]:
    """Per village, of the transactions that occurred in the period: points ``awarded``, points
    ``redeemed`` net of voids, and ``active`` households (earned or redeemed).

    Whole months read the ledger's household month rows (one small row per household and month);
    a week sums its postings.
    """
    rows: QuerySet[Any, dict[str, Any]]
    if _is_whole_months(start, end):
        rows = (
            HouseholdMonth.objects.filter(month__gte=start, month__lt=end)
            .values("household__village_id")
            .annotate(
                points_awarded=Sum("awarded"),
                spent=Sum("redeemed"),
                returned=Sum("voided"),
                active=Count(
                    "household_id", distinct=True, filter=Q(awarded__gt=0) | Q(redeemed__lt=0)
                ),
            )
            .order_by()
        )
        key = "household__village_id"
    else:
        rows = (
            Posting.objects.filter(
                account__kind=Account.Kind.HOUSEHOLD,
                transaction__occurred_on__gte=start,
                transaction__occurred_on__lt=end,
            )
            .values("account__household__village_id")
            .annotate(
                points_awarded=Sum("amount", filter=Q(transaction__kind=Kind.AWARD)),
                spent=Sum("amount", filter=Q(transaction__kind=Kind.REDEMPTION)),
                returned=Sum("amount", filter=Q(transaction__kind=Kind.VOID)),
                active=Count(
                    "account__household_id",
                    distinct=True,
                    filter=Q(transaction__kind=Kind.AWARD, amount__gt=0)
                    | Q(transaction__kind=Kind.REDEMPTION),
                ),
            )
            .order_by()
        )
        key = "account__household__village_id"
    result = {}
    for village_id, row in _rows(rows, key).items():
        result[village_id] = {
            "awarded": row["points_awarded"] or 0,
            "redeemed": -((row["spent"] or 0) + (row["returned"] or 0)),
            "active": row["active"],
        }
    return result


def appraisal_stars_by_village(*, start: datetime.date, end: datetime.date) -> dict[int, dict]:
    """Per village, of the appraisal results awarded in the period: ``stars`` summed over
    ``results`` that reached a level."""
    rows = (
        AppraisalResult.objects.filter(
            awarded_at__date__gte=start, awarded_at__date__lt=end, level__isnull=False
        )
        .values("household__village_id")
        .annotate(stars=Sum("level__stars"), results=Count("id"))
        .order_by()
    )
    return _rows(rows, "household__village_id")


def class_attendance_by_village(*, start: datetime.date, end: datetime.date) -> dict[int, dict]:
    """Per village: ``attendances``, households checked in at a class session in the period (read
    from the ledger, where each check-in lands as an award with source ``class_session``)."""
    rows = (
        Posting.objects.filter(
            account__kind=Account.Kind.HOUSEHOLD,
            transaction__source_type="class_session",
            transaction__kind=Kind.AWARD,
            transaction__occurred_on__gte=start,
            transaction__occurred_on__lt=end,
        )
        .values("account__household__village_id")
        .annotate(attendances=Count("id"))
        .order_by()
    )
    return _rows(rows, "account__household__village_id")


def sorting_rounds_of_village(*, village_id: int, start: datetime.date, end: datetime.date):
    """The records behind a village's sorting figures: its rounds in the period with their
    counts of checks and passes (one query)."""
    from points.models import SortingRound

    return (
        SortingRound.objects.filter(village_id=village_id, held_on__gte=start, held_on__lt=end)
        .annotate(
            check_count=Count("checks", filter=Q(checks__is_conflict=False)),
            pass_count=Count(
                "checks",
                filter=Q(checks__is_conflict=False) & ~Q(checks__grade=SortingCheck.Grade.FAIL),
            ),
        )
        .order_by("-held_on", "-id")
    )
