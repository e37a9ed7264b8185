"""Reads of campaign tallies: campaigns, reports, totals against targets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from registry.models import Area, User
from registry.permissions import Action, Kind, area_paths
from registry.scoping import visible_to
from supervision.models import (
    Measure,
    TallyCampaign,
    TallyLine,
    TallyReport,
    TallyTarget,
)
from supervision.selectors.workorders import _children

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
