"""Reads of upkeep: the due list, a household's toilet, the figures the assessment app reads.

Every selector is keyword-only and typed; none writes.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Left, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Area, Household
from registry.permissions import Action, Kind, may
from registry.scoping import visible_to
from supervision.models import Team, WorkOrder
from upkeep.models import ServiceOrder, Toilet

# How fast a tank fills, a rule of thumb: the sludge and liquid of one person in a month (m³).
# A 1.5 m³ three-compartment tank of a four-person household is then due every 7 months.
FILL_PER_PERSON_MONTH = Decimal("0.05")
INTERVAL_MIN_MONTHS = 3
INTERVAL_MAX_MONTHS = 24
INTERVAL_UNKNOWN_MONTHS = 12  # no tank volume in the register
# Toilets without a tank of their own are never on a due list (they drain to a sewer).
TANKLESS_TYPES = frozenset({Toilet.Type.SEWER})


def emptying_interval_months(*, tank_volume: Decimal | None, people: int) -> int:
    """Months between two emptyings of a tank of ``tank_volume`` m³ used by ``people``."""
    if tank_volume is None:
        return INTERVAL_UNKNOWN_MONTHS
    months = (tank_volume / (max(people, 1) * FILL_PER_PERSON_MONTH)).to_integral_value(
        rounding=ROUND_FLOOR
    )
    return min(max(int(months), INTERVAL_MIN_MONTHS), INTERVAL_MAX_MONTHS)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def toilet_due_on(*, toilet: Toilet, people: int) -> datetime.date | None:
    """When the toilet's tank is next due to be emptied; None for toilets without a tank.

    Counted from the last emptying, else from acceptance, else from the year it was built; a
    toilet with none of these is due at once (the earliest date, so it sorts first).
    """
    if toilet.type in TANKLESS_TYPES:
        return None
    since = toilet.last_emptied_on or toilet.accepted_on
    if since is None and toilet.built_year:
        since = datetime.date(toilet.built_year, 1, 1)
    if since is None:
        return datetime.date.min
    months = emptying_interval_months(tank_volume=toilet.tank_volume, people=people)
    return _add_months(since, months)


@dataclass(frozen=True)
class DueToilet:
    toilet: Toilet
    due_on: datetime.date
    people: int
    is_overdue: bool  # due before the month began


def toilet_due_list(*, team: Team, month: datetime.date) -> list[DueToilet]:
    """The household toilets of the team's villages due for emptying by the end of ``month``.

    Toilets in use with a tank only. One query (toilets with their household's member count);
    the dates are worked out here. Sorted by due date, then village and 户号.
    """
    first = month.replace(day=1)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    toilets = (
        Toilet.objects.filter(
            village__upkeep_coverages__team=team,
            household__isnull=False,
            household__status=Household.Status.ACTIVE,
            status=Toilet.Status.IN_USE,
        )
        .exclude(type__in=TANKLESS_TYPES)
        .select_related("household", "village")
        .annotate(people=Count("household__members"))
        .order_by("village__path", "household__number")
    )
    due = []
    for toilet in toilets:
        due_on = toilet_due_on(toilet=toilet, people=toilet.people)
        if due_on is not None and due_on <= last:
            due.append(
                DueToilet(
                    toilet=toilet, due_on=due_on, people=toilet.people, is_overdue=due_on < first
                )
            )
    due.sort(key=lambda item: item.due_on)
    return due


def service_teams() -> QuerySet[Team]:
    """Teams that do toilet after-care (those with villages they serve)."""
    return Team.objects.filter(upkeep_coverage__isnull=False)


def teams_of_contractor(*, user) -> QuerySet[Team]:
    """The active after-care teams ``user`` works in (a contractor's phone page)."""
    if not getattr(user, "is_authenticated", False):
        return Team.objects.none()
    return service_teams().filter(members=user, is_active=True).order_by("name")


def team_for_village(*, village_id: int) -> Team | None:
    """The team a new order of the village goes to when the town does not choose one."""
    return (
        service_teams()
        .filter(upkeep_coverage__villages=village_id, is_active=True)
        .order_by("pk")
        .first()
    )


def household_toilet_get(*, user, household: Household) -> Toilet | None:
    """The household's toilet, if ``user`` may read it (a villager: their own household)."""
    toilets = visible_to(user, Toilet.objects.filter(household=household), kind=Kind.TOILET)
    return toilets.first()


def toilet_list(*, user, village=None, public: bool | None = None) -> QuerySet[Toilet]:
    """The toilets ``user`` may read, optionally of one village, public or household ones."""
    toilets = visible_to(user, Toilet.objects.all(), kind=Kind.TOILET, action=Action.READ)
    if village is not None:
        toilets = toilets.filter(village=village)
    if public is not None:
        toilets = toilets.filter(household__isnull=public)
    return toilets.select_related("household", "village").order_by(
        "village__path", "household__number", "name"
    )


# --- Service orders -------------------------------------------------------------------------------


def household_upkeep_get(*, user, household: Household) -> dict:
    """The household page's toilet section: its toilet, its service orders (newest first, with
    the work order) and the one waiting for its rating. Two queries."""
    toilet = household_toilet_get(user=user, household=household)
    if toilet is None:
        return {"toilet": None, "orders": [], "to_rate": None}
    orders = list(
        ServiceOrder.objects.filter(toilet=toilet)
        .select_related("order")
        .order_by("-order__created_at")[:10]
    )
    to_rate = next((s for s in orders if s.order.status == "done"), None)
    return {"toilet": toilet, "orders": orders, "to_rate": to_rate}


def contractor_orders(*, user) -> QuerySet[ServiceOrder]:
    """The orders of the teams ``user`` works in: still to do first (by deadline), then the last
    finished ones."""
    return (
        ServiceOrder.objects.filter(order__assignee_team__members=user)
        .exclude(order__status=WorkOrder.Status.OPEN)
        .select_related("order", "toilet__village", "toilet__household")
        .order_by("order__done_at", "order__deadline_at")
    )


def service_order_list(*, user, status: str = "", village=None) -> QuerySet[ServiceOrder]:
    """Service orders ``user`` may read (the town's list), optionally by status and village."""
    orders = visible_to(user, ServiceOrder.objects.all(), kind=Kind.SERVICE_ORDER)
    if status:
        orders = orders.filter(order__status=status)
    if village is not None:
        orders = orders.filter(toilet__village=village)
    return orders.select_related(
        "order", "order__assignee_team", "toilet__village", "toilet__household"
    ).order_by("-order__created_at")


def service_order_get(*, user, pk: int) -> ServiceOrder:
    """One order, for whoever may read it: the household, staff over it, or a member of the
    team that must act. Raises ServiceOrder.DoesNotExist otherwise."""
    base = ServiceOrder.objects.select_related(
        "order", "order__assignee_team", "toilet__village", "toilet__household"
    )
    found = visible_to(user, base, kind=Kind.SERVICE_ORDER).filter(pk=pk).first()
    if found is None and may(user, Kind.SERVICE_WORK, Action.READ):
        found = base.filter(pk=pk, order__assignee_team__members=user).first()
    if found is None:
        raise ServiceOrder.DoesNotExist
    return found


# --- Figures for the assessment platform ----------------------------------------------------------

GROUPINGS = ("village", "town", "team", "month")


@dataclass(frozen=True)
class ServiceFigures:
    """After-care figures of one group (a village, town, team or month) over a period.

    ``key`` is the area's or team's id, or the month's first day; rates are None without orders.
    """

    key: int | datetime.date
    label: str
    orders: int  # asked for in the period
    done: int  # reported done (and not sent back)
    done_within_deadline: int
    mean_response_hours: float | None  # from asking to a team member accepting
    rated: int
    satisfied: int  # 满意
    fair: int  # 基本满意
    dissatisfied: int  # 不满意
    responded: int = 0  # accepted by a team member (the orders behind mean_response_hours)

    @property
    def within_deadline_rate(self) -> float | None:
        """Completion within deadline: done in time, of the orders asked for."""
        return self.done_within_deadline / self.orders if self.orders else None

    @property
    def satisfaction_rate(self) -> float | None:
        """农户满意率: 满意 and 基本满意, of the orders rated."""
        return (self.satisfied + self.fair) / self.rated if self.rated else None


def service_figures(
    *,
    by: str,
    start: datetime.date,
    end: datetime.date,
    area: Area | None = None,
) -> list[ServiceFigures]:
    """Response time, completion within deadline and satisfaction by ``by`` (village, town,
    team or month) for the orders asked for from ``start`` to ``end`` (inclusive), under ``area``.

    One aggregate query, plus one for the labels. Read only; the assessment app calls it.
    """
    if by not in GROUPINGS:
        raise ValueError(f"group by one of {GROUPINGS}")
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    until = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    orders = ServiceOrder.objects.filter(order__created_at__gte=since, order__created_at__lt=until)
    if area is not None:
        orders = orders.filter(toilet__village__path__startswith=area.path)
    group = {
        "village": F("toilet__village_id"),
        "town": Left("toilet__village__path", 2 * Area.steplen),
        "team": F("order__assignee_team_id"),
        "month": TruncMonth("order__created_at", tzinfo=tz),
    }[by]
    done = Q(order__status__in=[WorkOrder.Status.DONE, WorkOrder.Status.CHECKED,
                                WorkOrder.Status.CLOSED])  # fmt: skip
    rows = (
        orders.annotate(group=group)
        .values("group")
        .annotate(
            orders=Count("pk"),
            done=Count("pk", filter=done),
            in_time=Count("pk", filter=done & Q(order__done_at__lte=F("order__deadline_at"))),
            response=Avg(
                ExpressionWrapper(
                    F("accepted_at") - F("order__created_at"), output_field=DurationField()
                ),
                filter=Q(accepted_at__isnull=False),
            ),
            responded=Count("pk", filter=Q(accepted_at__isnull=False)),
            rated=Count("pk", filter=~Q(rating="")),
            satisfied=Count("pk", filter=Q(rating=ServiceOrder.Rating.SATISFIED)),
            fair=Count("pk", filter=Q(rating=ServiceOrder.Rating.FAIR)),
            dissatisfied=Count("pk", filter=Q(rating=ServiceOrder.Rating.DISSATISFIED)),
        )
        .order_by("group")
    )
    grouped: list[dict[str, Any]] = list(rows)
    keys = [row["group"] for row in grouped]
    if by == "village":
        labels = dict(Area.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif by == "town":
        found = dict(Area.objects.filter(path__in=keys).values_list("path", "pk"))
        names = dict(Area.objects.filter(path__in=keys).values_list("path", "name"))
        labels = names
        for row in grouped:
            row["label"] = names.get(row["group"], "")
            row["group"] = found.get(row["group"], 0)
    elif by == "team":
        labels = dict(Team.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
    else:
        labels = {}
    figures = []
    for row in grouped:
        key = row["group"]
        if by == "month":
            key = timezone.localtime(key).date() if isinstance(key, datetime.datetime) else key
            label = key.strftime("%Y-%m")
        elif by == "town":
            label = row["label"]
        else:
            label = labels.get(key, "") if key else str(_("Not dispatched"))
        response = row["response"]
        figures.append(
            ServiceFigures(
                key=key or 0,
                label=label,
                orders=row["orders"],
                done=row["done"],
                done_within_deadline=row["in_time"],
                mean_response_hours=round(response.total_seconds() / 3600, 1)
                if response is not None
                else None,
                rated=row["rated"],
                satisfied=row["satisfied"],
                fair=row["fair"],
                dissatisfied=row["dissatisfied"],
                responded=row["responded"],
            )
        )
    return figures
