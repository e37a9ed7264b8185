"""Reads of work orders: lists, one order, the public village list, figures by area, the
overview. Lists go through ``registry.scoping.visible_to``; "by area" means by the areas one
level below ``area`` (a district's towns, a town's villages)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from registry.models import Area, User
from registry.permissions import Action, Kind
from registry.scoping import visible_to
from supervision.models import (
    AreaOrderCount,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderPhoto,
)

S = WorkOrder.Status
LIST_FIELDS = ("area", "category", "assignee_area", "assignee_team", "assignee_user")


def work_order_list(
    *,
    user: User,
    status: str | None = None,
    category_id: int | None = None,
    area: Area | None = None,
    is_late: bool | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[WorkOrder]:
    """The orders ``user`` may read (town and district lists), filtered: status (``"active"``
    for open, assigned and reopened), category, an area (a village or a town) and lateness.
    Ordered late first, then by deadline. Related rows joined: no query per row."""
    now = now or timezone.now()
    orders = visible_to(user, WorkOrder.objects.all(), kind=Kind.WORK_ORDER, action=Action.READ)
    if status == "active":
        orders = orders.filter(status__in=WorkOrder.ACTIVE)
    elif status:
        orders = orders.filter(status=status)
    if category_id:
        orders = orders.filter(category_id=category_id)
    if area is not None:
        orders = orders.filter(area__path__startswith=area.path)
    late = Q(status__in=WorkOrder.ACTIVE, deadline_at__lte=now) | Q(is_overdue=True)
    if is_late is True:
        orders = orders.filter(late)
    elif is_late is False:
        orders = orders.exclude(late)
    return orders.select_related(*LIST_FIELDS).order_by("-is_overdue", "deadline_at", "pk")


def work_orders_to_act_on(*, user: User) -> QuerySet[WorkOrder]:
    """The orders ``user`` must act on (我的整改): their village's (``rectification`` write over
    the order's village), their team's, their own; every status, soonest deadline first."""
    villages = visible_to(
        user, Area.objects.all(), kind=Kind.RECTIFICATION, action=Action.WRITE
    ).values("pk")
    return (
        WorkOrder.objects.filter(
            Q(assignee_area__in=villages) | Q(assignee_team__members=user) | Q(assignee_user=user)
        )
        .distinct()
        .select_related(*LIST_FIELDS)
        .order_by("deadline_at", "pk")
    )


def work_order_get(*, user: User, pk: int) -> WorkOrder:
    """One order with its timeline and photos, for a reader of the area or one who must act on
    it; ``WorkOrder.DoesNotExist`` otherwise."""
    readable = visible_to(user, WorkOrder.objects.all(), kind=Kind.WORK_ORDER).values("pk")
    acting = work_orders_to_act_on(user=user).order_by().values("pk")
    return (
        WorkOrder.objects.filter(Q(pk__in=readable) | Q(pk__in=acting))
        .select_related(*LIST_FIELDS, "household", "created_by", "done_by")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=WorkOrderEvent.objects.select_related("actor").prefetch_related(
                    Prefetch("photos", queryset=WorkOrderPhoto.objects.select_related("photo"))
                ),
            ),
            Prefetch("photos", queryset=WorkOrderPhoto.objects.select_related("photo")),
        )
        .get(pk=pk)
    )


def village_orders_public(*, village: Area, limit: int = 50) -> QuerySet[WorkOrder]:
    """A village's orders for 村务公开 on the campaign site: what, where (the village), status,
    deadline, the after photos of accepted and closed ones. No household, no person: the fields
    the page may show are the only ones loaded."""
    return (
        WorkOrder.objects.filter(area__path__startswith=village.path)
        .select_related("category")
        .only(
            "pk",
            "title",
            "status",
            "deadline_at",
            "created_at",
            "done_at",
            "closed_at",
            "is_overdue",
            "category__name",
        )
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=WorkOrderPhoto.objects.filter(stage=WorkOrderPhoto.Stage.AFTER)
                .select_related("photo")
                .order_by("pk"),
                to_attr="after_photos",
            )
        )
        .order_by("-created_at", "-pk")[:limit]
    )


# --- Figures for an area and a period (assessment reads these) ------------------------------


@dataclass(frozen=True)
class AreaOrders:
    """Orders of one area below the one asked about."""

    area: Area
    filed: int
    done: int
    done_on_time: int
    late_now: int
    reopened: int

    @property
    def on_time_rate(self) -> Decimal | None:
        """Share of the done orders finished by their deadline, in percent (None: none done)."""
        if not self.done:
            return None
        return (Decimal(100) * self.done_on_time / self.done).quantize(Decimal("0.1"))


def _children(area: Area) -> list[Area]:
    return list(
        Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).order_by("path")
    )


def work_orders_by_area(
    *, area: Area, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> list[AreaOrders]:
    """For each area one level below ``area``: orders filed in the period, how many of those
    are done (or beyond) and how many of them by the deadline, how many are late now, how many
    were reopened. Two queries whatever the size of ``area``."""
    now = now or timezone.now()
    children = _children(area)
    prefix_len = (area.depth + 1) * Area.steplen
    rows = (
        WorkOrder.objects.filter(
            area__path__startswith=area.path, created_at__gte=start, created_at__lt=end
        )
        .annotate(prefix=Substr("area__path", 1, prefix_len))
        .values("prefix")
        .annotate(
            filed=Count("pk"),
            done=Count("pk", filter=Q(done_at__isnull=False) | Q(status__in=[S.CHECKED, S.CLOSED])),
            done_on_time=Count(
                "pk", filter=Q(done_at__isnull=False, done_at__lte=F("deadline_at"))
            ),
            late_now=Count("pk", filter=Q(status__in=WorkOrder.ACTIVE, deadline_at__lte=now)),
            reopened=Count("pk", filter=Q(times_reopened__gt=0)),
        )
    )
    by_prefix = {row["prefix"]: row for row in rows}
    empty = {"filed": 0, "done": 0, "done_on_time": 0, "late_now": 0, "reopened": 0}
    return [
        AreaOrders(
            area=child,
            **{k: v for k, v in by_prefix.get(child.path, empty).items() if k != "prefix"},
        )
        for child in children
    ]


def overdue_orders(*, area: Area, now: dt.datetime | None = None) -> QuerySet[WorkOrder]:
    """Orders of ``area`` someone must still act on whose deadline has passed, latest first."""
    now = now or timezone.now()
    return (
        WorkOrder.objects.filter(
            area__path__startswith=area.path, status__in=WorkOrder.ACTIVE, deadline_at__lte=now
        )
        .select_related(*LIST_FIELDS)
        .order_by("deadline_at", "pk")
    )


@dataclass
class AreaOverview:
    """Orders of one area below the one asked about, now: by status, and how many are late."""

    area: Area
    by_status: dict[str, int]
    overdue: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def active(self) -> int:
        return sum(self.by_status.get(status, 0) for status in WorkOrder.ACTIVE)


def work_order_overview(*, area: Area) -> list[AreaOverview]:
    """For each area one level below ``area`` (a district's towns, a town's villages): its orders
    by status and the late ones, read from the kept counts (``AreaOrderCount``, a trigger's):
    two queries, the same time for 50 villages or 1,000."""
    children = list(
        Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).order_by("path")
    )
    overview = {child.pk: AreaOverview(area=child, by_status={}) for child in children}
    rows = AreaOrderCount.objects.filter(area_id__in=list(overview), count__gt=0).values_list(
        "area_id", "status", "is_overdue", "count"
    )
    for area_id, status, is_overdue, count in rows:
        line = overview[area_id]
        line.by_status[status] = line.by_status.get(status, 0) + count
        if is_overdue:
            line.overdue += count
    return list(overview.values())
