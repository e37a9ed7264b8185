"""Read side of appraisals and commendations for the campaign site (honour boards, publicity).

The campaign pages call these three functions and nothing else of the scoring models. They return
small frozen dataclasses holding only what may be shown in public: names of the honoured people and
households, the village, the title or star level, the score and citation, a thumbnail. Never a phone
or ID number.

* In publicity (公示, ``publicity_list``): an appraisal campaign verified by its village committee,
  a commendation approved by the town, while their publicity period runs; open objections are
  flagged.
* On the honour board (红榜, ``honour_board_*``): only what came through its publicity without an
  open objection, that is what the publicity's end paid: an appraisal result with its points
  awarded, a commendation awarded. A result whose objection was upheld drops off until it is
  scored again (and through publicity again); a withdrawn commendation never shows.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from points.models import (
    AppraisalCampaign,
    AppraisalResult,
    AppraisalScore,
    Commendation,
    Objection,
)
from registry.models import Area, Member

HONOUR_LIMIT = 500  # lines a board returns at most (newest periods first)


@dataclass(frozen=True)
class HonourEntry:
    """One line of an honour board (红榜).

    ``kind`` is "appraisal" (a starred household) or "commendation" (a person or household with
    a title); ``title`` is the star level (五星美家) or the title (好媳妇); ``name`` is the person
    or the household (王建国家); ``period_on`` the first day of the period honoured; ``stars`` the
    number of stars (appraisals only); ``score`` the mean total as text (appraisals only);
    ``citation`` the commendation's citation; ``photo_url`` a thumbnail or "".
    """

    kind: str
    title: str
    name: str
    village: str
    period_on: datetime.date
    stars: int | None
    score: str
    citation: str
    points: int
    photo_url: str


@dataclass(frozen=True)
class HonourPeriod:
    """A period that has published results under the area: its first day and how many lines."""

    period_on: datetime.date
    entries: int


@dataclass(frozen=True)
class PublicityLine:
    """One published result open to objection: ``target`` is what an objection names
    ("result" or "commendation") with ``target_id``; ``has_open_objection`` says that a villager
    objected and the committee has not answered yet."""

    target: str
    target_id: int
    name: str
    result: str
    citation: str
    has_open_objection: bool


@dataclass(frozen=True)
class PublicityNotice:
    """A current publicity period (公示): an appraisal campaign's results, or the commendations
    of a village approved together. Objections are taken from ``starts_on`` to ``ends_on``."""

    kind: str
    title: str
    village: str
    starts_on: datetime.date
    ends_on: datetime.date
    lines: tuple[PublicityLine, ...]


def _heads() -> Prefetch:
    return Prefetch(
        "household__members", queryset=Member.objects.filter(relation=Member.Relation.HEAD)
    )


def _household_name(household) -> str:
    head = household.head
    return f"{head.name}家" if head else household.number


def _photo(photo) -> str:
    return photo.thumbnail_url if photo else ""


def _honoured_results(area: Area):
    """Appraisal results whose publicity ended without an open objection: the end of publicity
    awarded their points (``awarded_at``), which it does only then."""
    return (
        AppraisalResult.objects.filter(
            campaign__village__path__startswith=area.path,
            awarded_at__isnull=False,
            level__isnull=False,
        )
        .select_related("campaign__village", "level", "household")
        .prefetch_related(_heads())
    )


def _commendations(area: Area, status: str):
    return (
        Commendation.objects.filter(village__path__startswith=area.path, status=status)
        .select_related("village", "member", "household", "photo")
        .prefetch_related(_heads())
    )


def _first_photos(results: list[AppraisalResult]) -> dict[int, str]:
    photos: dict[int, str] = {}
    scores = (
        AppraisalScore.objects.filter(result__in=results)
        .prefetch_related("photos")
        .order_by("result_id", "id")
    )
    for score in scores:
        if score.result_id not in photos:
            for photo in score.photos.all():
                photos[score.result_id] = _photo(photo)
                break
    return photos


def honour_board_list(*, area: Area, period_on: datetime.date | None = None) -> list[HonourEntry]:
    """Honoured results under ``area`` (a district, town or village), once their publicity
    ended without an open objection: starred households of appraisals and commended people or
    households, newest period first, at most
    ``HONOUR_LIMIT`` lines; only the period starting on ``period_on`` when it is given.
    Five queries whatever the number of lines."""
    results = _honoured_results(area)
    commendations = _commendations(area, Commendation.Status.AWARDED)
    if period_on is not None:
        results = results.filter(campaign__period_start=period_on)
        commendations = commendations.filter(period_start=period_on)
    results = list(results.order_by("-campaign__period_start", "-total")[:HONOUR_LIMIT])
    commendations = list(commendations.order_by("-period_start", "title")[:HONOUR_LIMIT])
    photos = _first_photos(results)
    entries = [
        HonourEntry(
            kind="appraisal",
            title=result.level.name,
            name=_household_name(result.household),
            village=result.campaign.village.name,
            period_on=result.campaign.period_start,
            stars=result.level.stars,
            score=f"{result.total:.1f}",
            citation="",
            points=result.points,
            photo_url=photos.get(result.pk, ""),
        )
        for result in results
    ] + [
        HonourEntry(
            kind="commendation",
            title=str(item.get_title_display()),
            name=item.member.name if item.member else _household_name(item.household),
            village=item.village.name,
            period_on=item.period_start,
            stars=None,
            score="",
            citation=item.citation,
            points=item.points,
            photo_url=_photo(item.photo),
        )
        for item in commendations
    ]
    entries.sort(key=lambda entry: (entry.period_on, entry.kind == "commendation"), reverse=True)
    return entries[:HONOUR_LIMIT]


def honour_board_periods(*, area: Area) -> list[HonourPeriod]:
    """The periods with published results under ``area``, newest first (two queries)."""
    counts: dict[datetime.date, int] = defaultdict(int)
    for queryset, day_field in (
        (_honoured_results(area), "campaign__period_start"),
        (_commendations(area, Commendation.Status.AWARDED), "period_start"),
    ):
        # Counted by the database: one row per period, not one per published entry.
        for day, entries in queryset.order_by().values_list(day_field).annotate(n=Count("pk")):
            counts[day] += entries
    return [
        HonourPeriod(period_on=day, entries=counts[day]) for day in sorted(counts, reverse=True)
    ]


def publicity_list(*, area: Area, today: datetime.date | None = None) -> list[PublicityNotice]:
    """Publicity periods running on ``today`` (default: today) under ``area``: appraisal
    campaigns and the commendations of each village, each with its result lines. Ending soonest
    first. A constant number of queries."""
    today = today or timezone.localdate()
    notices: list[PublicityNotice] = []
    campaigns = list(
        AppraisalCampaign.objects.filter(
            village__path__startswith=area.path,
            status=AppraisalCampaign.Status.PUBLICITY,
            publicity_starts_on__lte=today,
            publicity_ends_on__gte=today,
        ).select_related("village")
    )
    open_results = set(
        Objection.objects.filter(
            status=Objection.Status.OPEN, result__campaign__in=campaigns
        ).values_list("result_id", flat=True)
    )
    by_campaign: dict[int, list[AppraisalResult]] = defaultdict(list)
    for result in (
        AppraisalResult.objects.filter(campaign__in=campaigns, level__isnull=False)
        .select_related("level", "household")
        .prefetch_related(_heads())
        .order_by("-total")
    ):
        by_campaign[result.campaign_id].append(result)
    for campaign in campaigns:
        # Campaigns in publicity have their dates; results listed have a level (filtered above).
        assert campaign.publicity_starts_on and campaign.publicity_ends_on
        notices.append(
            PublicityNotice(
                kind="appraisal",
                title=campaign.title,
                village=campaign.village.name,
                starts_on=campaign.publicity_starts_on,
                ends_on=campaign.publicity_ends_on,
                lines=tuple(
                    PublicityLine(
                        target="result",
                        target_id=result.pk,
                        name=_household_name(result.household),
                        result=f"{result.level.name if result.level else ''} · {result.total:.1f}",
                        citation="",
                        has_open_objection=result.pk in open_results,
                    )
                    for result in by_campaign[campaign.pk]
                ),
            )
        )
    commendations = list(
        _commendations(area, Commendation.Status.PUBLICITY).filter(
            publicity_starts_on__lte=today,
            publicity_ends_on__gte=today,
        )
    )
    open_commendations = set(
        Objection.objects.filter(
            status=Objection.Status.OPEN, commendation__in=commendations
        ).values_list("commendation_id", flat=True)
    )
    groups: dict[tuple, list[Commendation]] = defaultdict(list)
    for item in commendations:
        groups[(item.village.name, item.publicity_starts_on, item.publicity_ends_on)].append(item)
    for (village, starts_on, ends_on), items in groups.items():
        notices.append(
            PublicityNotice(
                kind="commendation",
                title=_("Commendations of %(village)s") % {"village": village},
                village=village,
                starts_on=starts_on,
                ends_on=ends_on,
                lines=tuple(
                    PublicityLine(
                        target="commendation",
                        target_id=item.pk,
                        name=item.member.name if item.member else _household_name(item.household),
                        result=str(item.get_title_display()),
                        citation=item.citation,
                        has_open_objection=item.pk in open_commendations,
                    )
                    for item in items
                ),
            )
        )
    notices.sort(key=lambda notice: (notice.ends_on, notice.village))
    return notices


# --- What the villager's history shows -------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """Why a posting was made, for the household's history: the grade or star level
    (``headline``), the rubric's lines ("院落整洁 18/20", the mean of the scorers), the scorers'
    notes or the citation, and photos as (thumbnail, full size) URLs."""

    headline: str
    lines: tuple[str, ...]
    note: str
    photos: tuple[tuple[str, str], ...]


def _photos(photos) -> tuple[tuple[str, str], ...]:
    return tuple((photo.thumbnail_url, photo.image.url) for photo in photos if photo)


def postings_with_evidence(postings) -> list:
    """Attach ``evidence`` (an ``Evidence`` or None) to each posting of a page of history.

    At most six queries for the whole page, whatever its length."""
    from points.models import SortingCheck

    postings = list(postings)
    wanted: dict[str, set[int]] = defaultdict(set)
    for posting in postings:
        entry = posting.transaction
        if entry.source_id:
            wanted[entry.source_type].add(entry.source_id)
    found: dict[tuple[str, int], Evidence] = {}
    if wanted.get("sorting_check"):
        for check in SortingCheck.objects.filter(pk__in=wanted["sorting_check"]).select_related(
            "photo", "round"
        ):
            found["sorting_check", check.pk] = Evidence(
                headline=_("Garbage sorting %(date)s: %(grade)s")
                % {"date": f"{check.round.held_on:%Y-%m-%d}", "grade": check.get_grade_display()},
                lines=(),
                note=check.note,
                photos=_photos([check.photo]),
            )
    if wanted.get("appraisal_result"):
        results = AppraisalResult.objects.filter(pk__in=wanted["appraisal_result"]).select_related(
            "level", "campaign"
        )
        for result in results.prefetch_related(
            "campaign__criteria",
            Prefetch("scores", queryset=AppraisalScore.objects.prefetch_related("photos")),
        ):
            sheets = [s for s in result.scores.all() if s.revision == result.revision]
            lines = []
            for criterion in result.campaign.criteria.all():
                values = [s.scores.get(str(criterion.pk), 0) for s in sheets]
                mean = sum(values) / len(values) if values else 0
                lines.append(f"{criterion.name} {mean:g}/{criterion.max_score}")
            found["appraisal_result", result.pk] = Evidence(
                headline=f"{result.level.name if result.level else ''} · {result.total:.1f}"
                if result.total is not None
                else "",
                lines=tuple(lines),
                note="；".join(s.note for s in sheets if s.note),
                photos=tuple(p for s in sheets for p in _photos(s.photos.all())),
            )
    if wanted.get("commendation"):
        for item in Commendation.objects.filter(pk__in=wanted["commendation"]).select_related(
            "photo", "member"
        ):
            found["commendation", item.pk] = Evidence(
                headline=f"{item.get_title_display()}"
                + (f" · {item.member.name}" if item.member else ""),
                lines=(),
                note=item.citation,
                photos=_photos([item.photo]),
            )
    for posting in postings:
        entry = posting.transaction
        posting.evidence = found.get((entry.source_type, entry.source_id))
    return postings
