"""Demo data for the assessment platform (``manage.py seed_demo``): a place on the map for every
town and village, a scheme, a year of monthly figures for every village so the dashboards have
trends, yearly figures entered by the villages in every state of approval, scores, and a red and
black list per month (all approved but the last, which waits for the district).

The demo's records (sorting checks, points) exist in one village only, so the year of figures is
made up here, deterministically (a seeded generator per village), and written through the same
roll-up (``figures_replace``) as the real ones; the nightly task replaces the current month's
with the real computation when Celery beat runs. Idempotent: a district that already has
figures for the first demo month is left alone.
"""

import datetime
import io
import math
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from assessment.models import (
    AreaPlace,
    EnteredFigure,
    EntryEvent,
    Figure,
    Indicator,
    Period,
    RankingList,
    RollupRun,
    Scheme,
    SchemeItem,
)
from assessment.periods import months_back, period_end, period_start
from assessment.services import figures_replace, ranking_list_draft, scores_compute
from registry.models import Area, User
from registry.selectors import households_by_village

SEED = 20260314
CENTRE = (36.80, 118.05)  # latitude, longitude of the demo district's middle
WEIGHTS = {
    "sorting_participation": 25,
    "sorting_pass_rate": 20,
    "active_households": 15,
    "appraisal_stars": 10,
    "rectification_on_time": 10,
    "inspection_score": 10,
    "drinking_water": 10,
    "sewage_treatment": 10,
    "garbage_harmless": 5,
    "manure_use": 5,
}


def _places(district: Area) -> None:
    towns = list(district.get_children().order_by("path"))
    for t_index, town in enumerate(towns):
        angle = 2 * math.pi * t_index / max(len(towns), 1)
        t_lat = CENTRE[0] + 0.12 * math.sin(angle)
        t_lng = CENTRE[1] + 0.15 * math.cos(angle)
        AreaPlace.objects.get_or_create(
            area=town,
            defaults={"latitude": Decimal(f"{t_lat:.6f}"), "longitude": Decimal(f"{t_lng:.6f}")},
        )
        villages = list(town.get_children().filter(level=Area.Level.VILLAGE).order_by("path"))
        for v_index, village in enumerate(villages):
            spin = angle + 2 * math.pi * v_index / max(len(villages), 1)
            ring = 0.03 + 0.012 * (v_index % 3)
            AreaPlace.objects.get_or_create(
                area=village,
                defaults={
                    "latitude": Decimal(f"{t_lat + ring * math.sin(spin):.6f}"),
                    "longitude": Decimal(f"{t_lng + ring * 1.2 * math.cos(spin):.6f}"),
                },
            )


def _month_data(
    villages: list[Area], households: dict[int, int], month_index: int, present: set[str]
):
    """One month's made-up (numerator, denominator) per village and computed indicator: each
    village has its own level and slope, so rankings differ and trends move."""
    by_code: dict[str, dict[int, tuple[Decimal, Decimal | None]]] = {}
    for village in villages:
        rng = random.Random(SEED + village.pk)
        base = rng.uniform(0.45, 0.85)
        slope = rng.uniform(-0.005, 0.03)
        noise = random.Random(SEED + village.pk * 100 + month_index).uniform(-0.05, 0.05)
        rate = max(0.05, min(0.99, base + slope * month_index + noise))
        count = households.get(village.pk) or 100
        checked = round(count * rate)
        checks = checked * 4
        passed = round(checks * max(0.3, min(0.99, rate + 0.08)))
        active = round(count * max(0.02, rate - 0.25))
        awarded = active * rng.randint(8, 20)
        stars_n = max(1, count // 25)
        values = {
            "sorting_participation": (checked, count),
            "sorting_pass_rate": (passed, checks),
            "active_households": (active, count),
            "points_issued": (awarded, None),
            "points_redeemed": (round(awarded * rng.uniform(0.4, 0.8)), None),
            "appraisal_stars": (round(stars_n * (1.5 + 3 * rate)), stars_n),
            "class_attendance": (round(count * rate * 0.15), None),
            "rectification_on_time": (round(10 * min(1.0, rate + 0.15)), 10),
            "inspection_score": (round(2 * 100 * min(0.98, rate + 0.1)), 2),
            "relapses": (max(0, round((0.9 - rate) * 6)), None),
        }
        for code, (numerator, denominator) in values.items():
            if code not in present:
                continue
            by_code.setdefault(code, {})[village.pk] = (
                Decimal(numerator),
                None if denominator is None else Decimal(denominator),
            )
    return by_code


def _evidence() -> ContentFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 200), (235, 235, 225)).save(out, format="JPEG", quality=70)
    return ContentFile(out.getvalue())


def _entries(villages: list[Area], year: int, people: dict[str, User]) -> None:
    """Last year's four entered figures per village: most approved, some waiting for the town
    or the district, one sent back."""
    entered = list(Indicator.objects.filter(source=Indicator.Source.ENTERED))
    now = timezone.now()
    for v_index, village in enumerate(villages):
        rng = random.Random(SEED + 7 * village.pk)
        for indicator in entered:
            if EnteredFigure.objects.filter(
                indicator=indicator, village=village, year=year
            ).exists():
                continue
            value = Decimal(
                f"{min(99.5, float(indicator.target or 70) + rng.uniform(-18, 12)):.1f}"
            )
            status = EnteredFigure.Status.APPROVED
            if v_index % 9 == 1:
                status = EnteredFigure.Status.SUBMITTED
            elif v_index % 9 == 2:
                status = EnteredFigure.Status.TOWN_APPROVED
            elif v_index % 9 == 3 and indicator.code == "drinking_water":
                status = EnteredFigure.Status.RETURNED
            entry = EnteredFigure(
                indicator=indicator,
                village=village,
                year=year,
                value=value,
                status=status,
                submitted_by=people["committee"],
                submitted_at=now,
                note="检测报告见附件",
            )
            entry.evidence.save(f"demo-{village.pk}-{indicator.code}.jpg", _evidence(), False)
            entry.save()
            steps = [(EntryEvent.Action.SUBMIT, people["committee"], "")]
            if status in (EnteredFigure.Status.TOWN_APPROVED, EnteredFigure.Status.APPROVED):
                steps.append((EntryEvent.Action.TOWN_APPROVE, people["town"], ""))
            if status == EnteredFigure.Status.APPROVED:
                steps.append((EntryEvent.Action.APPROVE, people["district"], ""))
            if status == EnteredFigure.Status.RETURNED:
                steps.append((EntryEvent.Action.RETURN, people["town"], "检测报告缺少盖章页"))
            for action, actor, reason in steps:
                EntryEvent.objects.create(
                    entry=entry, action=action, actor=actor, value=value, reason=reason
                )


def seed_assessment(*, district: Area, today: datetime.date | None = None) -> str:
    today = today or timezone.localdate()
    this_month = period_start(Period.MONTH, today)
    months = months_back(this_month, 13)  # a year before this month, and this month
    if Figure.objects.filter(
        area=district, period=Period.MONTH, starts_on=months[0], computed_at__isnull=False
    ).exists():
        return "已有考核数据"
    people = {
        u.username: u for u in User.objects.filter(username__in=["committee", "town", "district"])
    }
    if len(people) < 3:
        return "缺少演示账号，跳过"
    _places(district)
    scheme, created = Scheme.objects.get_or_create(
        district=district,
        valid_from=months[0].replace(month=1),
        defaults={"name": f"{months[0].year}年度美在家庭考核方案"},
    )
    if created:
        indicators = {i.code: i for i in Indicator.objects.filter(code__in=WEIGHTS)}
        SchemeItem.objects.bulk_create(
            SchemeItem(scheme=scheme, indicator=indicators[code], weight=Decimal(weight))
            for code, weight in WEIGHTS.items()
            if code in indicators
        )
    villages = list(
        Area.objects.filter(level=Area.Level.VILLAGE, path__startswith=district.path).order_by(
            "path"
        )
    )
    households = households_by_village(under_path=district.path)
    for year in sorted({m.year for m in months} | {months[0].year - 1}):
        _entries(villages, year, people)
    indicators = {i.code: i for i in Indicator.objects.all()}
    entered = {
        code: {}
        for code, indicator in indicators.items()
        if indicator.source == Indicator.Source.ENTERED
    }
    now = timezone.now()
    run = RollupRun.objects.create(started_at=now)
    count = 0
    sums: dict[tuple[str, datetime.date], dict] = {}
    for index, month in enumerate(months):
        data = _month_data(villages, households, index, set(indicators))
        count += figures_replace(
            period=Period.MONTH,
            starts_on=month,
            data={indicators[code]: values for code, values in data.items()},
            now=now,
        )
        for period in (Period.QUARTER, Period.YEAR):
            key = (period, period_start(period, month))
            bucket = sums.setdefault(key, {})
            for code, values in data.items():
                for village_id, (numerator, denominator) in values.items():
                    n, d = bucket.setdefault(code, {}).get(village_id, (Decimal(0), None))
                    bucket[code][village_id] = (
                        n + numerator,
                        None if denominator is None else (d or Decimal(0)) + denominator,
                    )
    for (period, starts_on), bucket in sums.items():
        approved = {
            code: {
                e.village_id: (e.value, Decimal(1))
                for e in EnteredFigure.objects.filter(
                    indicator__code=code,
                    year=starts_on.year,
                    status=EnteredFigure.Status.APPROVED,
                )
            }
            for code in entered
        }
        data = {indicators[code]: values for code, values in bucket.items()}
        if period == Period.YEAR:
            data.update({indicators[code]: values for code, values in approved.items()})
        count += figures_replace(period=period, starts_on=starts_on, data=data, now=now)
    for month in months:
        count += scores_compute(period=Period.MONTH, starts_on=month, now=now)
    for quarter in sorted({period_start(Period.QUARTER, m) for m in months}):
        scores_compute(period=Period.QUARTER, starts_on=quarter, now=now)
    district_admin = people["district"]
    finished = months[:-1]
    for month in finished:
        ranking_list = ranking_list_draft(district=district, month=month, now=now)
        if ranking_list is not None and month != finished[-1]:
            RankingList.objects.filter(pk=ranking_list.pk).update(
                status=RankingList.Status.APPROVED,
                approved_by=district_admin,
                approved_at=timezone.make_aware(
                    datetime.datetime.combine(period_end(Period.MONTH, month), datetime.time(9))
                ),
            )
    run.finished_at = timezone.now()
    run.periods = [f"month:{m:%Y-%m-%d}" for m in months]
    run.figure_count = count
    run.save(update_fields=["finished_at", "periods", "figure_count"])
    return f"{len(villages)} 个村 {len(months)} 个月的考核数据，共 {count} 条"
