"""Writes of the assessment platform: the roll-ups (figures and scores), entered figures and their
approval level by level, the monthly red and black lists.

Only this module writes assessment's tables; it reads other apps through their selectors and
never writes their rows. The roll-up replaces a period's rows in one transaction, so a dashboard
reading during a run sees the old figures or the new ones, never half.
"""

import datetime
import math
from collections import defaultdict
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.exceptions import AssessmentError
from assessment.indicators import COMPUTED, Fraction
from assessment.models import (
    EnteredFigure,
    EntryEvent,
    Figure,
    Indicator,
    Period,
    RankingEntry,
    RankingList,
    RollupRun,
    Scheme,
    Score,
)
from assessment.periods import period_before, period_end, period_start
from assessment.signals import ranking_list_approved
from registry.models import Area, User
from registry.permissions import Action, Kind, area_paths, may

ZERO = Decimal(0)
# The red and the black list each hold a tenth of the district's villages (at least one, at
# most ``LIST_SIZE``); a village on the black list scores below ``BLACK_BELOW``.
LIST_SIZE = 5
BLACK_BELOW = Decimal(80)


# --- Roll-ups ---------------------------------------------------------------------------------


def _ancestors(path: str, step: int) -> list[str]:
    return [path[:end] for end in range(step, len(path), step)]


def _entered_values(*, year: int) -> dict[str, dict[int, tuple[Decimal, Decimal | None]]]:
    rows = EnteredFigure.objects.filter(year=year, status=EnteredFigure.Status.APPROVED)
    values: dict[str, dict[int, tuple[Decimal, Decimal | None]]] = defaultdict(dict)
    for code, village_id, value in rows.values_list("indicator__code", "village_id", "value"):
        values[code][village_id] = (value, Decimal(1))
    return values


def figures_roll_up(
    *, period: str, starts_on: datetime.date, now: datetime.datetime | None = None
) -> int:
    """Compute every active indicator for every village in the period starting ``starts_on``,
    sum numerators and denominators up the tree (village → town → district) and replace the
    period's figures. Entered indicators take the approved figure of the period's year.
    Returns the number of figures written."""
    starts_on = period_start(period, starts_on)
    end = period_end(period, starts_on)
    entered = _entered_values(year=starts_on.year)
    data: dict[Indicator, dict[int, Fraction]] = {}
    for indicator in Indicator.objects.filter(is_active=True):
        if indicator.source == Indicator.Source.COMPUTED:
            function = COMPUTED.get(indicator.code)
            if function is None:
                continue  # its app is not installed yet (an extension point)
            data[indicator] = function(start=starts_on, end=end)
        else:
            data[indicator] = entered.get(indicator.code, {})
    return figures_replace(period=period, starts_on=starts_on, data=data, now=now)


def figures_replace(
    *,
    period: str,
    starts_on: datetime.date,
    data: dict[Indicator, dict[int, Fraction]],
    now: datetime.datetime | None = None,
) -> int:
    """Replace the period's figures with ``data`` ({indicator: {village id: (numerator,
    denominator)}}) summed up the area tree. One transaction: readers see the old figures or
    the new ones."""
    now = now or timezone.now()
    villages = dict(
        Area.objects.filter(level=Area.Level.VILLAGE).values_list("id", "path").order_by()
    )
    above = {
        path: pk
        for pk, path in Area.objects.filter(level__in=[Area.Level.DISTRICT, Area.Level.TOWN])
        .values_list("id", "path")
        .order_by()
    }
    step = Area.steplen
    figures: list[Figure] = []
    for indicator, by_village in data.items():
        sums: dict[int, list] = {}
        for village_id, (numerator, denominator) in by_village.items():
            path = villages.get(village_id)
            if path is None:
                continue
            targets = [village_id] + [above[p] for p in _ancestors(path, step) if p in above]
            for area_id in targets:
                total = sums.setdefault(area_id, [ZERO, None])
                total[0] += numerator
                if denominator is not None:
                    total[1] = (total[1] or ZERO) + denominator
        for area_id, (numerator, denominator) in sums.items():
            figures.append(
                Figure(
                    indicator=indicator,
                    area_id=area_id,
                    period=period,
                    starts_on=starts_on,
                    numerator=numerator,
                    denominator=denominator,
                    value=indicator.value_of(numerator, denominator),
                    computed_at=now,
                )
            )
    with transaction.atomic():
        Figure.objects.filter(period=period, starts_on=starts_on).delete()
        Figure.objects.bulk_create(figures, batch_size=2000)
    return len(figures)


def _scheme_for(district: Area, starts_on: datetime.date) -> Scheme | None:
    return (
        Scheme.objects.filter(district=district, valid_from__lte=starts_on)
        .prefetch_related("items__indicator")
        .order_by("-valid_from")
        .first()
    )


def _score(items, values: dict[int, Decimal | None]) -> Decimal | None:
    weighted = weights = ZERO
    for item in items:
        attained = item.indicator.attainment(values.get(item.indicator_id))
        if attained is None:
            continue
        weighted += item.weight * attained
        weights += item.weight
    if not weights:
        return None
    return (100 * weighted / weights).quantize(Decimal("0.01"))


def _ranks(scored: list[tuple[int, Decimal]]) -> dict[int, int]:
    """Competition ranks (1, 2, 2, 4) by score, highest first."""
    ordered = sorted(scored, key=lambda pair: -pair[1])
    ranks: dict[int, int] = {}
    for index, (area_id, score) in enumerate(ordered):
        if index and score == ordered[index - 1][1]:
            ranks[area_id] = ranks[ordered[index - 1][0]]
        else:
            ranks[area_id] = index + 1
    return ranks


def scores_compute(
    *, period: str, starts_on: datetime.date, now: datetime.datetime | None = None
) -> int:
    """Score every village and town of each district under the scheme in force, from the
    period's figures (entered indicators: the year's), rank villages within their town and
    towns within the district, and replace the period's scores. Returns how many were written."""
    now = now or timezone.now()
    starts_on = period_start(period, starts_on)
    previous = dict(
        Score.objects.filter(period=period, starts_on=period_before(period, starts_on))
        .values_list("area_id", "score")
        .order_by()
    )
    scores: list[Score] = []
    for district in Area.objects.filter(level=Area.Level.DISTRICT):
        scheme = _scheme_for(district, starts_on)
        if scheme is None:
            continue
        items = list(scheme.items.all())
        values: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
        figures = Figure.objects.filter(
            _in_period(period, starts_on),
            area__path__startswith=district.path,
            indicator__in=[item.indicator_id for item in items],
        )
        for area_id, indicator_id, value in figures.values_list("area_id", "indicator_id", "value"):
            values[area_id][indicator_id] = value
        areas = Area.objects.filter(
            path__startswith=district.path, level__in=[Area.Level.TOWN, Area.Level.VILLAGE]
        ).values_list("id", "path", "level")
        by_parent: dict[str, list[tuple[int, Decimal]]] = defaultdict(list)
        district_villages: list[tuple[int, Decimal]] = []
        computed: dict[int, Decimal] = {}
        for area_id, path, level in areas:
            score = _score(items, values.get(area_id, {}))
            if score is None:
                continue
            computed[area_id] = score
            by_parent[path[: len(path) - Area.steplen]].append((area_id, score))
            if level == Area.Level.VILLAGE:
                district_villages.append((area_id, score))
        district_ranks = _ranks(district_villages)
        for siblings in by_parent.values():
            ranks = _ranks(siblings)
            for area_id, score in siblings:
                scores.append(
                    Score(
                        area_id=area_id,
                        period=period,
                        starts_on=starts_on,
                        scheme=scheme,
                        score=score,
                        rank=ranks[area_id],
                        rank_of=len(siblings),
                        district_rank=district_ranks.get(area_id, ranks[area_id]),
                        previous_score=previous.get(area_id),
                        computed_at=now,
                    )
                )
    with transaction.atomic():
        Score.objects.filter(period=period, starts_on=starts_on).delete()
        Score.objects.bulk_create(scores, batch_size=2000)
    return len(scores)


def _in_period(period: str, starts_on: datetime.date) -> Q:
    """The figures a period's score reads: computed ones of the period, entered ones of its
    year."""
    return Q(period=period, starts_on=starts_on, indicator__source=Indicator.Source.COMPUTED) | Q(
        period=Period.YEAR,
        starts_on=starts_on.replace(month=1, day=1),
        indicator__source=Indicator.Source.ENTERED,
    )


def assessment_roll_up(*, today: datetime.date, now: datetime.datetime | None = None) -> RollupRun:
    """The daily job: for each kind of period, the one containing ``today`` and the one before
    (records arrive late), figures then scores; and the previous month's red and black list
    drafted once the month is over."""
    now = now or timezone.now()
    run = RollupRun.objects.create(started_at=now)
    count = 0
    done = []
    for period in Period.values:
        current = period_start(period, today)
        for starts_on in (period_before(period, current), current):
            count += figures_roll_up(period=period, starts_on=starts_on, now=now)
            if period != Period.WEEK:
                count += scores_compute(period=period, starts_on=starts_on, now=now)
            done.append(f"{period}:{starts_on:%Y-%m-%d}")
    last_month = period_before(Period.MONTH, period_start(Period.MONTH, today))
    for district in Area.objects.filter(level=Area.Level.DISTRICT):
        ranking_list_draft(district=district, month=last_month, now=now)
    run.finished_at = timezone.now() if now is None else max(now, timezone.now())
    run.periods = done
    run.figure_count = count
    run.save(update_fields=["finished_at", "periods", "figure_count"])
    return run


# --- Red and black lists -----------------------------------------------------------------------


def _fault(items, values: dict[int, Decimal | None]) -> str:
    """The concrete fault of a black-listed village: its weakest weighted indicator."""
    worst = None
    for item in items:
        value = values.get(item.indicator_id)
        attained = item.indicator.attainment(value)
        if attained is not None and (worst is None or attained < worst[0]):
            worst = (attained, item.indicator, value)
    if worst is None:
        return _("No figures")
    _attained, indicator, value = worst
    sign = "≥" if indicator.direction == Indicator.Direction.HIGHER else "≤"
    return _("%(name)s %(value)s%(unit)s, target %(sign)s %(target)s%(unit)s") % {
        "name": indicator.name,
        "value": value,
        "unit": indicator.unit,
        "sign": sign,
        "target": indicator.target,
    }


def ranking_list_draft(
    *, district: Area, month: datetime.date, now: datetime.datetime | None = None
) -> RankingList | None:
    """Draft (or redraft) the month's red and black lists of the district's villages from their
    month scores. An approved list is never redrafted. None when there are no scores yet."""
    month = period_start(Period.MONTH, month)
    now = now or timezone.now()
    scores = list(
        Score.objects.filter(
            period=Period.MONTH,
            starts_on=month,
            area__path__startswith=district.path,
            area__level=Area.Level.VILLAGE,
        ).select_related("scheme")
    )
    if not scores:
        return None
    size = min(LIST_SIZE, max(1, math.ceil(len(scores) / 10)))
    ordered = sorted(scores, key=lambda s: (-s.score, s.area_id))
    red = ordered[:size]
    black = [s for s in ordered[::-1][:size] if s.score < BLACK_BELOW and s not in red]
    with transaction.atomic():
        ranking_list, _created = RankingList.objects.select_for_update().get_or_create(
            district=district,
            month=month,
            defaults={"status": RankingList.Status.DRAFT, "drafted_at": now},
        )
        if ranking_list.status == RankingList.Status.APPROVED:
            return ranking_list
        ranking_list.entries.all().delete()
        values: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
        for area_id, indicator_id, value in Figure.objects.filter(
            _in_period(Period.MONTH, month), area_id__in=[s.area_id for s in black]
        ).values_list("area_id", "indicator_id", "value"):
            values[area_id][indicator_id] = value
        items = list(black[0].scheme.items.select_related("indicator")) if black else []
        entries = [
            RankingEntry(
                ranking_list=ranking_list,
                village_id=s.area_id,
                colour=RankingEntry.Colour.RED,
                score=s.score,
            )
            for s in red
        ] + [
            RankingEntry(
                ranking_list=ranking_list,
                village_id=s.area_id,
                colour=RankingEntry.Colour.BLACK,
                score=s.score,
                fault=_fault(items, values.get(s.area_id, {}))[:200],
            )
            for s in black
        ]
        RankingEntry.objects.bulk_create(entries)
        ranking_list.drafted_at = now
        ranking_list.save(update_fields=["drafted_at"])
    return ranking_list


def ranking_list_approve(*, ranking_list: RankingList, actor: User) -> RankingList:
    """The district approves the month's lists; the campaign site's 红黑榜 page shows approved
    lists only (``ranking_list_approved`` is sent after the commit, so campaigns clears its page
    cache). Approving twice is harmless."""
    if not may(actor, Kind.ASSESSMENT, Action.APPROVE, ranking_list.district):
        raise AssessmentError("not_allowed", _("You may not approve this list."))
    with transaction.atomic():
        locked = RankingList.objects.select_for_update().get(pk=ranking_list.pk)
        if locked.status == RankingList.Status.APPROVED:
            return locked
        locked.status = RankingList.Status.APPROVED
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        transaction.on_commit(
            lambda: ranking_list_approved.send_robust(sender=RankingList, ranking_list=locked)
        )
    return locked


# --- Entered figures, approved level by level --------------------------------------------------


def _approver_level(actor: User, village: Area) -> str | None:
    """The level (town or district) at which ``actor`` approves figures of ``village``: the
    lowest area above the village over which they hold an approving role."""
    step = Area.steplen
    levels = {step: Area.Level.DISTRICT, 2 * step: Area.Level.TOWN}
    held = [
        len(path)
        for path in area_paths(actor, Kind.FIGURE, Action.APPROVE)
        if village.path.startswith(path) and len(path) in levels
    ]
    return levels[max(held)] if held else None


def entry_submit(
    *,
    actor: User,
    indicator: Indicator,
    village: Area,
    year: int,
    value: Decimal,
    evidence,
    note: str = "",
) -> EnteredFigure:
    """The village submits (or, after it was sent back, resubmits) a yearly figure with a photo
    of its evidence (cleaned of EXIF location by the scoring photos' pipeline). Raises
    AssessmentError (not_allowed, not_entered, out_of_range, locked)."""
    from points.images import ImageRefused, image_clean

    if not may(actor, Kind.FIGURE, Action.WRITE, village) or village.level != Area.Level.VILLAGE:
        raise AssessmentError("not_allowed", _("You may not enter figures for this village."))
    if indicator.source != Indicator.Source.ENTERED:
        raise AssessmentError("not_entered", _("This indicator is computed by the platform."))
    if indicator.aggregation == Indicator.Aggregation.RATE and not (0 <= value <= 100):
        raise AssessmentError("out_of_range", _("A rate lies between 0 and 100."))
    try:
        photo = image_clean(evidence)
    except ImageRefused as refused:
        raise AssessmentError(refused.code, refused.message) from refused
    with transaction.atomic():
        entry = (
            EnteredFigure.objects.select_for_update()
            .filter(indicator=indicator, village=village, year=year)
            .first()
        )
        if entry is not None and entry.status not in (
            EnteredFigure.Status.SUBMITTED,
            EnteredFigure.Status.RETURNED,
        ):
            raise AssessmentError(
                "locked", _("This figure has been approved by the town and can no longer change.")
            )
        if entry is None:
            entry = EnteredFigure(indicator=indicator, village=village, year=year)
        entry.value = value
        entry.note = note
        entry.status = EnteredFigure.Status.SUBMITTED
        entry.submitted_by = actor
        entry.submitted_at = timezone.now()
        entry.evidence.save(f"{village.pk}-{indicator.code}-{year}.jpg", ContentFile(photo), False)
        entry.save()
        EntryEvent.objects.create(
            entry=entry, action=EntryEvent.Action.SUBMIT, actor=actor, value=value, reason=note
        )
    return entry


def _check_approver(actor: User, entry: EnteredFigure) -> None:
    if entry.status == EnteredFigure.Status.SUBMITTED:
        wanted = Area.Level.TOWN
    elif entry.status == EnteredFigure.Status.TOWN_APPROVED:
        wanted = Area.Level.DISTRICT
    else:
        raise AssessmentError("not_waiting", _("This figure is not waiting for approval."))
    if _approver_level(actor, entry.village) != wanted:
        if wanted == Area.Level.TOWN:
            raise AssessmentError("town_first", _("The town approves this figure first."))
        raise AssessmentError("district_only", _("The district approves this figure."))
    if entry.submitted_by_id == actor.pk:
        raise AssessmentError("own_entry", _("You cannot approve a figure you entered."))


def entry_awaits(*, actor: User, entry: EnteredFigure) -> bool:
    """Whether ``entry`` waits for ``actor``'s decision (approve or send back)."""
    try:
        _check_approver(actor, entry)
    except AssessmentError:
        return False
    return True


def entry_approve(*, actor: User, entry: EnteredFigure) -> EnteredFigure:
    """One level's approval: the town's moves it to the district, the district's makes it count.
    Raises AssessmentError (not_waiting, town_first, district_only, own_entry)."""
    with transaction.atomic():
        entry = EnteredFigure.objects.select_for_update().select_related("village").get(pk=entry.pk)
        _check_approver(actor, entry)
        if entry.status == EnteredFigure.Status.SUBMITTED:
            entry.status, action = (
                EnteredFigure.Status.TOWN_APPROVED,
                EntryEvent.Action.TOWN_APPROVE,
            )
        else:
            entry.status, action = EnteredFigure.Status.APPROVED, EntryEvent.Action.APPROVE
        entry.save(update_fields=["status", "updated_at"])
        EntryEvent.objects.create(entry=entry, action=action, actor=actor, value=entry.value)
    return entry


def entry_return(*, actor: User, entry: EnteredFigure, reason: str) -> EnteredFigure:
    """Send a figure back to the village with a reason, at the level it waits at."""
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError("reason_needed", _("Say why the figure is sent back."))
    with transaction.atomic():
        entry = EnteredFigure.objects.select_for_update().select_related("village").get(pk=entry.pk)
        _check_approver(actor, entry)
        entry.status = EnteredFigure.Status.RETURNED
        entry.save(update_fields=["status", "updated_at"])
        EntryEvent.objects.create(
            entry=entry,
            action=EntryEvent.Action.RETURN,
            actor=actor,
            value=entry.value,
            reason=reason[:200],
        )
    return entry
