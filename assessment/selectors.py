"""Reads of the assessment platform. Dashboards read the aggregate tables only (figures, scores,
lists), never the records behind them, so a dashboard costs the same few queries at ten thousand
households as at a million. Campaigns reads ``ranking_list_published`` for its 红黑榜 page."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from assessment.models import (
    AreaPlace,
    EnteredFigure,
    Figure,
    Indicator,
    Period,
    RankingEntry,
    RankingList,
    RollupRun,
    Score,
)
from assessment.periods import months_back, period_before, period_label
from registry.models import Area, User
from registry.permissions import Action, Kind, area_paths, may
from registry.scoping import visible_to
from supervision.selectors.workorders import overdue_orders

TREND_MONTHS = 12
OVERDUE_SHOWN = 10


@dataclass
class Cell:
    indicator: Indicator
    value: Decimal | None
    computed_at: datetime.datetime | None = None

    @property
    def colour(self) -> str:
        return self.indicator.colour(self.value)


@dataclass
class Row:
    """An area below the dashboard's area: its figures (in the indicators' order) and score."""

    area: Area
    cells: list[Cell]
    score: Score | None = None
    place: AreaPlace | None = None


@dataclass
class Dashboard:
    area: Area
    month: datetime.date
    indicators: list[Indicator]
    cells: list[Cell]
    rows: list[Row]
    trend_months: list[str]
    trends: dict[str, list[float | None]]
    score: Score | None
    last_run: RollupRun | None
    waiting: dict = field(default_factory=dict)
    ancestors: list[Area] = field(default_factory=list)
    overdue: list = field(default_factory=list)
    overdue_count: int = 0

    @property
    def computed_at(self) -> datetime.datetime | None:
        """When the area's figures were last computed (the newest of its figures, else the
        last finished roll-up)."""
        stamps = [cell.computed_at for cell in self.cells if cell.computed_at is not None]
        if stamps:
            return max(stamps)
        return self.last_run.finished_at if self.last_run else None

    @property
    def ranked_rows(self) -> list[Row]:
        scored = [(row.score.rank, row) for row in self.rows if row.score is not None]
        return [row for _rank, row in sorted(scored, key=lambda pair: pair[0])]

    @property
    def map_points(self) -> list[dict]:
        return [
            {
                "name": row.area.name,
                "value": [
                    float(row.place.longitude),
                    float(row.place.latitude),
                    float(row.score.score) if row.score else None,
                ],
                "id": row.area.pk,
            }
            for row in self.rows
            if row.place is not None
        ]

    @property
    def chart_data(self) -> dict:
        return {
            "months": self.trend_months,
            "series": [
                {"name": i.name, "code": i.code, "unit": i.unit, "data": self.trends[i.code]}
                for i in self.indicators
                if i.code in self.trends
            ],
            "ranking": [
                {"name": row.area.name, "score": float(row.score.score)}
                for row in self.ranked_rows
                if row.score is not None
            ],
            "points": self.map_points,
        }


def indicators_in_use() -> list[Indicator]:
    return list(Indicator.objects.filter(is_active=True))


def dashboard_areas(*, user: User) -> QuerySet[Area]:
    """The top areas of the user's dashboards (a district admin's district, a town admin's
    town)."""
    return visible_to(
        user,
        Area.objects.filter(level__in=[Area.Level.DISTRICT, Area.Level.TOWN]),
        kind=Kind.DASHBOARD,
    ).order_by("path")


def dashboard_home_area(*, user: User) -> Area | None:
    paths = area_paths(user, Kind.DASHBOARD, Action.READ)
    if paths:
        return Area.objects.filter(path=min(paths, key=len)).first()
    if user.is_superuser:
        return Area.objects.filter(level=Area.Level.DISTRICT).order_by("path").first()
    return None


def waiting_for(*, user: User) -> dict:
    """What waits for this user's approval: entered figures at their level, and (district)
    red and black lists not yet approved."""
    step = Area.steplen
    town_paths = [p for p in area_paths(user, Kind.FIGURE, Action.APPROVE) if len(p) == 2 * step]
    district_paths = [p for p in area_paths(user, Kind.FIGURE, Action.APPROVE) if len(p) == step]
    wanted = Q(pk__in=[])
    for path in town_paths:
        wanted |= Q(status=EnteredFigure.Status.SUBMITTED, village__path__startswith=path)
    for path in district_paths:
        wanted |= Q(status=EnteredFigure.Status.TOWN_APPROVED, village__path__startswith=path)
    if user.is_superuser:
        wanted = Q(status__in=[EnteredFigure.Status.SUBMITTED, EnteredFigure.Status.TOWN_APPROVED])
    entries = EnteredFigure.objects.filter(wanted).count()
    lists = visible_to(
        user,
        RankingList.objects.filter(status=RankingList.Status.DRAFT),
        kind=Kind.ASSESSMENT,
        action=Action.APPROVE,
    ).count()
    return {"entries": entries, "lists": lists}


def dashboard_get(*, user: User, area: Area, month: datetime.date) -> Dashboard:
    """The dashboard of ``area`` for ``month``: its figures against targets, the areas below it
    with their figures and scores, 12-month trends, map places and what waits for the user.
    A fixed number of queries whatever the number of households."""
    indicators = indicators_in_use()
    by_id = {indicator.pk: indicator for indicator in indicators}
    children = list(area.get_children().order_by("path")) if area.level != "village" else []
    ids = [area.pk, *[child.pk for child in children]]
    # One index range scan on (area, period, starts_on): no join, the sources sorted here.
    wanted: dict[tuple[str, datetime.date], str] = {
        (Period.MONTH, month): Indicator.Source.COMPUTED,
        (Period.YEAR, month.replace(month=1)): Indicator.Source.ENTERED,
    }
    values: dict[tuple[int, int], tuple] = {}
    for area_id, indicator_id, period, starts_on, value, computed_at in Figure.objects.filter(
        area_id__in=ids,
        period__in=[Period.MONTH, Period.YEAR],
        starts_on__in=[month, month.replace(month=1)],
    ).values_list("area_id", "indicator_id", "period", "starts_on", "value", "computed_at"):
        indicator = by_id.get(indicator_id)
        if indicator is not None and wanted.get((period, starts_on)) == indicator.source:
            values[area_id, indicator_id] = (value, computed_at)

    def cells(area_id: int) -> list[Cell]:
        return [
            Cell(indicator, *values.get((area_id, indicator.pk), (None, None)))
            for indicator in indicators
        ]

    scores = {
        s.area_id: s
        for s in Score.objects.filter(period=Period.MONTH, starts_on=month, area_id__in=ids)
    }
    places = {p.area_id: p for p in AreaPlace.objects.filter(area_id__in=ids[1:])}
    months = months_back(month, TREND_MONTHS)
    trends: dict[str, list[float | None]] = {
        i.code: [None] * len(months) for i in indicators if i.source == Indicator.Source.COMPUTED
    }
    position = {m: index for index, m in enumerate(months)}
    for indicator_id, starts_on, value in Figure.objects.filter(
        area=area, period=Period.MONTH, starts_on__gte=months[0], starts_on__lte=month
    ).values_list("indicator_id", "starts_on", "value"):
        indicator = by_id.get(indicator_id)
        if indicator is not None and indicator.code in trends and value is not None:
            trends[indicator.code][position[starts_on]] = float(value)
    overdue = overdue_orders(area=area)
    return Dashboard(
        area=area,
        overdue=list(overdue[:OVERDUE_SHOWN]),
        overdue_count=overdue.count(),
        month=month,
        indicators=indicators,
        cells=cells(area.pk),
        rows=[
            Row(child, cells(child.pk), scores.get(child.pk), places.get(child.pk))
            for child in children
        ],
        trend_months=[period_label(Period.MONTH, m) for m in months],
        trends=trends,
        score=scores.get(area.pk),
        last_run=RollupRun.objects.filter(finished_at__isnull=False).first(),
        waiting=waiting_for(user=user),
        ancestors=[a for a in area.get_ancestors() if may(user, Kind.DASHBOARD, Action.READ, a)],
    )


def village_entries(*, village: Area) -> QuerySet[EnteredFigure]:
    return (
        EnteredFigure.objects.filter(village=village)
        .select_related("indicator")
        .order_by("-year", "indicator__position")
    )


def entries_for(*, user: User, status: str = "") -> QuerySet[EnteredFigure]:
    rows = visible_to(user, EnteredFigure.objects.all(), kind=Kind.FIGURE).select_related(
        "indicator", "village"
    )
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-submitted_at")


def ranking_lists_for(*, user: User) -> QuerySet[RankingList]:
    return visible_to(user, RankingList.objects.all(), kind=Kind.ASSESSMENT).select_related(
        "district"
    )


@dataclass
class PublishedList:
    ranking_list: RankingList
    red: list[RankingEntry]
    black: list[RankingEntry]
    left_black: list[Area]  # on the previous black list, not on this one


def ranking_list_detail(*, ranking_list: RankingList) -> PublishedList:
    entries = list(ranking_list.entries.select_related("village"))
    _name_towns([e.village for e in entries])
    previous = (
        RankingList.objects.filter(
            district=ranking_list.district,
            status=RankingList.Status.APPROVED,
            month__lt=ranking_list.month,
        )
        .order_by("-month")
        .first()
    )
    black_now = {e.village_id for e in entries if e.colour == RankingEntry.Colour.BLACK}
    left: list[Area] = []
    if previous is not None:
        left = [
            e.village
            for e in previous.entries.filter(colour=RankingEntry.Colour.BLACK).select_related(
                "village"
            )
            if e.village_id not in black_now
        ]
    return PublishedList(
        ranking_list=ranking_list,
        red=[e for e in entries if e.colour == RankingEntry.Colour.RED],
        black=[e for e in entries if e.colour == RankingEntry.Colour.BLACK],
        left_black=left,
    )


def _name_towns(villages: list[Area]) -> None:
    """Give each village a ``town_name`` (one query for all)."""
    step = Area.steplen
    towns = dict(
        Area.objects.filter(path__in={v.path[: 2 * step] for v in villages}).values_list(
            "path", "name"
        )
    )
    for village in villages:
        village.town_name = towns.get(village.path[: 2 * step], "")


def ranking_list_published(
    *, area: Area, month: datetime.date | None = None
) -> PublishedList | None:
    """The newest approved red and black list of the district ``area`` belongs to (or the one of
    ``month``), for the campaign site."""
    district_path = area.path[: Area.steplen]
    lists = RankingList.objects.filter(
        district__path=district_path, status=RankingList.Status.APPROVED
    )
    if month is not None:
        lists = lists.filter(month=month.replace(day=1))
    ranking_list = lists.order_by("-month").first()
    return None if ranking_list is None else ranking_list_detail(ranking_list=ranking_list)


def ranking_list_months(*, area: Area) -> list[datetime.date]:
    return list(
        RankingList.objects.filter(
            district__path=area.path[: Area.steplen], status=RankingList.Status.APPROVED
        )
        .order_by("-month")
        .values_list("month", flat=True)[:24]
    )


def previous_month(month: datetime.date) -> datetime.date:
    return period_before(Period.MONTH, month)
