"""Reads of earning rules: which rule holds where, how much of a cap is left, and "what if".

Days, months and years are local dates in Asia/Shanghai, whatever the server's clock: an award
recorded at 23:30 on the 31st in Shandong counts for the 31st.
"""

import datetime as dt
from collections import defaultdict
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum

from points.models import Account, EarningRule, EarningRuleVersion, LedgerTransaction, Posting
from registry.models import Area, Household
from registry.permissions import Action, Kind, role_assignments, roles_for
from registry.scoping import visible_to

CAMPAIGN_TZ = ZoneInfo("Asia/Shanghai")

# Who may change rules, and who may read them (rules of their areas and those above them).


# --- Periods ------------------------------------------------------------------------------------


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + 1, 1, 1) if day.month == 12 else dt.date(day.year, day.month + 1, 1)


def cap_days(on: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """The day, month and year containing ``on``, as [first, end) local dates."""
    month_start = on.replace(day=1)
    return {
        "day": (on, on + dt.timedelta(days=1)),
        "month": (month_start, _next_month(month_start)),
        "year": (dt.date(on.year, 1, 1), dt.date(on.year + 1, 1, 1)),
    }


def _caps(version: EarningRuleVersion) -> dict[str, int]:
    caps = {
        "day": version.cap_per_day,
        "month": version.cap_per_month,
        "year": version.cap_per_year,
    }
    return {period: cap for period, cap in caps.items() if cap is not None}


# --- Which rule holds ---------------------------------------------------------------------------


def _in_force(on: dt.date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def _versions_in_force(*, area: Area, on: dt.date) -> QuerySet[EarningRuleVersion]:
    """Published versions in force at ``area`` or above it, deepest area and newest first."""
    return (
        EarningRuleVersion.objects.filter(
            _in_force(on), rule__is_published=True, rule__area__path__in=area.path_and_ancestors
        )
        .select_related("rule", "rule__area")
        .order_by("-rule__area__depth", "-version")
    )


def rule_for(*, area: Area, code: str, on: dt.date) -> EarningRuleVersion | None:
    """The version of rule ``code`` that holds at ``area`` (a household's village) on ``on``.

    The deepest area on the ancestor path with a published rule in force wins; within it, the
    newest version in force. None when no rule of that code holds there.
    """
    return _versions_in_force(area=area, on=on).filter(rule__code=code).first()


def rules_for_area(*, area: Area, on: dt.date) -> list[EarningRuleVersion]:
    """Every published rule in force at ``area`` on ``on``, overrides resolved (one query)."""
    chosen: dict[str, EarningRuleVersion] = {}
    for version in _versions_in_force(area=area, on=on):
        chosen.setdefault(version.rule.code, version)
    # Within a category the most points first, deductions last (优, 良, 合格, 不合格).
    return sorted(chosen.values(), key=lambda v: (v.rule.category, -v.signed_points, v.rule.code))


def appraisal_levels_for(
    *, village: Area, with_default: bool = True
) -> list[tuple[str, int, int, int]]:
    """The star levels of the village's latest courtyard appraisal as (name, stars, lowest total,
    points), highest first; the default rubric's where the village has none yet (none at all
    with ``with_default=False``)."""
    from points.models import AppraisalCampaign, AppraisalLevel
    from points.services.appraisals import DEFAULT_LEVELS

    latest = (
        AppraisalCampaign.objects.filter(village=village).order_by("-period_start", "-pk").first()
    )
    if latest is None:
        return sorted(DEFAULT_LEVELS, key=lambda level: -level[2]) if with_default else []
    return list(
        AppraisalLevel.objects.filter(campaign=latest)
        .order_by("-min_total")
        .values_list("name", "stars", "min_total", "points")
    )


def rules_visible_to(user, *, for_change: bool = False) -> QuerySet[EarningRule]:
    """Rules a staff user may see in the admin: those of their areas and below, and, for reading
    only, the rules of the areas above theirs (which hold in their areas unless overridden)."""
    rules = EarningRule.objects.all()
    if for_change:
        return visible_to(user, rules, kind=Kind.RULE, action=Action.WRITE)
    visible = visible_to(user, rules, kind=Kind.RULE)
    if getattr(user, "is_superuser", False):
        return visible
    readers = roles_for(Kind.RULE, Action.READ)
    above = {
        path
        for assignment in role_assignments(user)
        if assignment.role in readers and assignment.area is not None
        for path in assignment.area.path_and_ancestors
    }
    return rules.filter(Q(pk__in=visible.values("pk")) | Q(area__path__in=above))


# --- Caps ---------------------------------------------------------------------------------------


def _counted_postings(code: str) -> QuerySet[Posting]:
    """Household postings that count against the caps of rule ``code``: reversed awards and the
    reversals themselves count for nothing."""
    return Posting.objects.filter(
        account__kind=Account.Kind.HOUSEHOLD,
        transaction__rule_code=code,
        transaction__reversed_by__isnull=True,
    ).exclude(transaction__kind=LedgerTransaction.Kind.REVERSAL)


def cap_remaining(*, household: Household, version: EarningRuleVersion, on: dt.date) -> int | None:
    """Points ``household`` may still get (or, for a deduction, lose) under the rule's caps in
    the day, month and year containing ``on`` (the event's day): the smallest of the three,
    counting the points paid for events in those periods. None when uncapped."""
    caps = _caps(version)
    if not caps:
        return None
    # Both sides by the event's day: what was paid for events in the period, whenever it was
    # approved (a claim approved next month still counts against its own month).
    periods = cap_days(on)
    year_start, year_end = periods["year"]
    used = (
        _counted_postings(version.rule.code)
        .filter(
            account__household=household,
            transaction__occurred_on__gte=year_start,
            transaction__occurred_on__lt=year_end,
        )
        .aggregate(
            **{
                period: Sum(
                    "amount",
                    filter=Q(
                        transaction__occurred_on__gte=periods[period][0],
                        transaction__occurred_on__lt=periods[period][1],
                    ),
                )
                for period in caps
            }
        )
    )
    sign = -1 if version.rule.kind == EarningRule.Kind.DEDUCT else 1
    return max(0, min(cap - sign * (used[period] or 0) for period, cap in caps.items()))


# --- What if ------------------------------------------------------------------------------------


class PreviewRow(TypedDict):
    household: Household
    events: int
    current_points: int
    proposed_points: int


class Preview(TypedDict):
    month: dt.date
    events: int
    households_current: int
    households_proposed: int
    current_points: int
    proposed_points: int
    rows: list[PreviewRow]


def _preview_postings(rule: EarningRule) -> QuerySet[Posting]:
    """The counted postings of households where ``rule`` holds: its area minus the subtrees of
    deeper published rules with the same code."""
    postings = _counted_postings(rule.code).filter(
        account__household__village__path__startswith=rule.area.path
    )
    overrides = (
        EarningRule.objects.filter(
            code=rule.code,
            is_published=True,
            area__path__startswith=rule.area.path,
            area__depth__gt=rule.area.depth,
        )
        .select_related("area")
        .only("area__path")
    )
    for override in overrides:
        postings = postings.exclude(
            account__household__village__path__startswith=override.area.path
        )
    return postings


def rule_preview(*, version: EarningRuleVersion, month: dt.date) -> Preview:
    """What the events of ``month`` with this rule's code would have given under ``version``
    (saved or not): points per event, then the caps per household per day, month and year in
    the order the events happened (by their day, as the caps count). Points earlier in the year count against the yearly cap as they
    were. Deductions are not limited by balances here."""
    rule = version.rule
    sign = -1 if rule.kind == EarningRule.Kind.DEDUCT else 1
    month_start = month.replace(day=1)
    days = cap_days(month_start)
    start, end = days["month"]
    year_start = days["year"][0]
    postings = _preview_postings(rule)

    year_used: dict[tuple, int] = defaultdict(int)
    if version.cap_per_year is not None:
        earlier = (
            postings.filter(
                transaction__occurred_on__gte=year_start, transaction__occurred_on__lt=start
            )
            .values("account__household_id")
            .annotate(total=Sum("amount"))
        )
        for row in earlier:
            year_used[(row["account__household_id"], "year")] = sign * row["total"]

    events = postings.filter(
        transaction__occurred_on__gte=start, transaction__occurred_on__lt=end
    ).values_list("account__household_id", "amount", "transaction__occurred_on")
    caps = _caps(version)
    used: dict[tuple, int] = defaultdict(int, year_used)
    totals: dict[int, dict[str, int]] = {}
    for household_id, amount, occurred_on in events.order_by(
        "transaction__occurred_on", "transaction__created_at", "transaction_id"
    ):
        keys = {
            "day": (household_id, "day", occurred_on),
            "month": (household_id, "month"),
            "year": (household_id, "year"),
        }
        proposed = version.points
        for period, cap in caps.items():
            proposed = min(proposed, max(0, cap - used[keys[period]]))
        for period in caps:
            used[keys[period]] += proposed
        row = totals.setdefault(household_id, {"events": 0, "current": 0, "proposed": 0})
        row["events"] += 1
        row["current"] += amount
        row["proposed"] += sign * proposed

    households = (
        Household.objects.prefetch_related("members").in_bulk(list(totals)) if totals else {}
    )
    rows: list[PreviewRow] = [
        {
            "household": households[household_id],
            "events": row["events"],
            "current_points": row["current"],
            "proposed_points": row["proposed"],
        }
        for household_id, row in sorted(totals.items())
    ]
    return {
        "month": month_start,
        "events": sum(row["events"] for row in rows),
        "households_current": sum(1 for row in rows if row["current_points"]),
        "households_proposed": sum(1 for row in rows if row["proposed_points"]),
        "current_points": sum(row["current_points"] for row in rows),
        "proposed_points": sum(row["proposed_points"] for row in rows),
        "rows": rows,
    }


def last_month(today: dt.date) -> dt.date:
    """The first day of the month before ``today``'s."""
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def local_today() -> dt.date:
    return dt.datetime.now(CAMPAIGN_TZ).date()
