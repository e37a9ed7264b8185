"""Reads of inspections: rounds, their villages and sheets, liaisons, scores, relapses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from registry.models import Area, User
from registry.permissions import Kind
from registry.scoping import areas_visible_to
from supervision.models import (
    ChecklistItem,
    Inspection,
    ItemResult,
    Liaison,
    Round,
    WorkOrder,
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
