"""Reads of supervision, for its pages and for the apps above (assessment's dashboards, the
campaign site's 村务公开). Lists go through ``registry.scoping.visible_to``; figures for an area
and a period are grouped in the database (one query each, whatever the number of villages).

Periods are half-open: ``start`` ≤ t < ``end`` (datetimes, aware). Areas are ``registry.Area``;
"by area" means by the areas one level below ``area`` (a district's towns, a town's villages).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.models import Area, User
from registry.permissions import Action, Kind, area_paths
from registry.scoping import areas_visible_to, visible_to
from supervision.models import (
    AreaOrderCount,
    ChecklistItem,
    Inspection,
    ItemResult,
    Liaison,
    Measure,
    Round,
    TallyCampaign,
    TallyLine,
    TallyReport,
    TallyTarget,
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


# --- Inspections -------------------------------------------------------------------------------


def round_list(*, user: User) -> QuerySet[Round]:
    """Rounds planned in the areas where ``user`` may inspect (or read inspections), or through
    any of those villages; newest first."""
    readable = areas_visible_to(user, kind=Kind.INSPECTION).values("pk")
    return (
        Round.objects.filter(Q(area__in=readable) | Q(villages__in=readable))
        .distinct()
        .select_related("area")
        .order_by("-planned_on", "-pk")
    )


@dataclass(frozen=True)
class RoundVillage:
    village: Area
    inspection: Inspection | None
    items: int


def round_villages(*, round: Round) -> list[RoundVillage]:
    """The villages of a round with their inspection so far (score, passed, failed)."""
    inspections = {i.village_id: i for i in round.inspections.all()}
    villages = sorted(round.villages.all(), key=lambda v: v.path)
    district = villages[0].path[: Area.steplen] if villages else ""
    items = ChecklistItem.objects.filter(is_active=True, district__path=district).count()
    return [RoundVillage(v, inspections.get(v.pk), items) for v in villages]


@dataclass(frozen=True)
class SheetRow:
    item: ChecklistItem
    result: ItemResult | None
    recheck: WorkOrder | None  # an accepted order of an earlier round this item re-checks


def round_village_sheet(*, round: Round, village: Area) -> list[SheetRow]:
    """The checklist of ``village``'s district with this round's results and the accepted orders
    waiting for a re-check. Three queries."""
    items = list(
        ChecklistItem.objects.filter(
            is_active=True, district__path=village.path[: Area.steplen]
        ).order_by("position", "pk")
    )
    results = {
        r.item_id: r
        for r in ItemResult.objects.filter(inspection__round=round, inspection__village=village)
    }
    waiting = {
        r.item_id: r.work_order
        for r in ItemResult.objects.filter(
            inspection__village=village, work_order__status=WorkOrder.Status.CHECKED
        )
        .exclude(inspection__round=round)
        .select_related("work_order")
    }
    return [SheetRow(item, results.get(item.pk), waiting.get(item.pk)) for item in items]


def liaison_get(*, village: Area) -> Liaison | None:
    """The official responsible for the village (包村), if the district named one."""
    return Liaison.objects.filter(village=village).first()


@dataclass(frozen=True)
class VillageScore:
    village_id: int
    village: str
    round_id: int
    round: str
    planned_on: dt.date
    score: Decimal
    failed: int


def inspection_scores(*, area: Area, start: dt.date, end: dt.date) -> list[VillageScore]:
    """Every village inspection under ``area`` on rounds planned in [start, end): the score
    (percent of the checklist's weights passed) and the number of failed items. One query."""
    rows = (
        Inspection.objects.filter(
            village__path__startswith=area.path,
            round__planned_on__gte=start,
            round__planned_on__lt=end,
        )
        .select_related("village", "round")
        .order_by("round__planned_on", "village__path")
    )
    return [
        VillageScore(
            village_id=i.village_id,
            village=i.village.name,
            round_id=i.round_id,
            round=i.round.name,
            planned_on=i.round.planned_on,
            score=i.score,
            failed=i.failed,
        )
        for i in rows
    ]


def relapses_by_village(*, area: Area, start: dt.datetime, end: dt.datetime) -> dict[int, int]:
    """Village id → relapses found by re-checks recorded in [start, end) under ``area``.
    One query."""
    rows = (
        ItemResult.objects.filter(
            is_relapse=True,
            inspection__village__path__startswith=area.path,
            recorded_at__gte=start,
            recorded_at__lt=end,
        )
        .values("inspection__village")
        .annotate(count=Count("pk"))
    )
    return {row["inspection__village"]: row["count"] for row in rows}


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


# --- Campaign tallies ---------------------------------------------------------------------------


def tally_campaigns_for(*, user: User) -> list[TallyCampaign]:
    """The active campaigns of the districts where ``user`` reads tallies (a committee member's
    district included: campaigns are the district's, reports the village's). One query."""
    paths = {path[: Area.steplen] for path in area_paths(user, Kind.TALLY, Action.READ)}
    if user.is_superuser:
        return list(TallyCampaign.objects.filter(is_active=True).select_related("district"))
    if not paths:
        return []
    return list(
        TallyCampaign.objects.filter(is_active=True, district__path__in=paths).select_related(
            "district"
        )
    )


def tally_report_list(
    *,
    user: User,
    campaign: TallyCampaign,
    action: Action = Action.READ,
    status: str | None = None,
) -> QuerySet[TallyReport]:
    """The campaign's reports ``user`` may ``action`` (a committee its village's, a town admin
    its town's), newest week first, with their lines, measures and photos: a fixed number of
    queries for the list."""
    reports = visible_to(
        user, TallyReport.objects.filter(campaign=campaign), kind=Kind.TALLY, action=action
    )
    if status:
        reports = reports.filter(status=status)
    return reports.select_related("village", "town", "reported_by", "reviewed_by").prefetch_related(
        Prefetch(
            "lines", TallyLine.objects.select_related("measure").order_by("measure__position")
        ),
        "photos",
    )


@dataclass
class TallyCell:
    total: Decimal
    target: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        if not self.target:
            return None
        return (Decimal(100) * self.total / self.target).quantize(Decimal("0.1"))


@dataclass
class TallyRow:
    label: str
    area: Area | None
    cells: list[TallyCell]


@dataclass
class TallyTable:
    area: Area
    measures: list[Measure]
    rows: list[TallyRow]
    total: TallyRow
    weeks: list[TallyRow]


def tally_totals(*, campaign: TallyCampaign, area: Area) -> TallyTable:
    """Approved quantities of ``campaign`` in ``area`` against the towns' targets: one row per
    area one level below ``area`` (a district's towns, a town's villages), a total row, and one
    row per week. Five queries whatever the number of villages or reports; the caller checks
    that the user may read ``area``."""
    measures = list(campaign.measures.all())
    children = _children(area)
    targets: dict[tuple[str, int], Decimal] = {}
    for row in TallyTarget.objects.filter(measure__campaign=campaign).values_list(
        "town__path", "measure_id", "quantity"
    ):
        targets[(row[0], row[1])] = row[2]
    approved = TallyLine.objects.filter(
        report__campaign=campaign,
        report__status=TallyReport.Status.APPROVED,
        report__village__path__startswith=area.path,
    )
    prefix_len = (area.depth + 1) * Area.steplen
    by_child = {
        (row["prefix"], row["measure_id"]): row["total"]
        for row in approved.annotate(prefix=Substr("report__village__path", 1, prefix_len))
        .values("prefix", "measure_id")
        .annotate(total=Sum("quantity"))
    }
    by_week = {
        (row["report__week_on"], row["measure_id"]): row["total"]
        for row in approved.values("report__week_on", "measure_id").annotate(total=Sum("quantity"))
    }
    zero = Decimal("0.00")
    is_district = area.level == Area.Level.DISTRICT

    def target(town_path: str | None, measure: Measure) -> Decimal | None:
        if town_path is not None:
            return targets.get((town_path, measure.pk))
        wanted = [v for (p, m), v in targets.items() if m == measure.pk and p.startswith(area.path)]
        return sum(wanted, zero) if wanted else None

    rows = [
        TallyRow(
            label=child.name,
            area=child,
            cells=[
                TallyCell(
                    total=by_child.get((child.path, m.pk), zero),
                    target=target(child.path, m) if is_district else None,
                )
                for m in measures
            ],
        )
        for child in children
    ]
    # Below a district: the town's own target (a village's page shows its town's).
    own_town = (
        None if is_district else area.path[: campaign.district.depth * Area.steplen + Area.steplen]
    )
    total = TallyRow(
        label=str(_("Total")),
        area=None,
        cells=[
            TallyCell(
                total=sum((r.cells[i].total for r in rows), zero),
                target=target(own_town, m),
            )
            for i, m in enumerate(measures)
        ],
    )
    weeks = sorted({week for week, _measure in by_week})
    week_rows = [
        TallyRow(
            label=f"{week:%m-%d}",
            area=None,
            cells=[TallyCell(total=by_week.get((week, m.pk), zero), target=None) for m in measures],
        )
        for week in weeks
    ]
    return TallyTable(area=area, measures=measures, rows=rows, total=total, weeks=week_rows)
