"""Reads for the campaign site: section listings, a villager's home, honour boards, rules and
stores of an area, search. Campaigns read registry, points and shops selectors only."""

import datetime
from functools import reduce
from operator import or_

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from wagtail.images.models import Image
from wagtail.models import Page

from campaigns.models import (
    ArticlePage,
    CampaignPage,
    DistrictHomePage,
    EventPage,
    LessonPage,
    OfflineClassPage,
    SectionPage,
    SessionSignup,
    TownSectionPage,
    VillageSectionPage,
)
from campaigns.search import query_terms
from points import selectors_scoring
from registry.models import Area, Household

SECTION_MODELS = (DistrictHomePage, TownSectionPage, VillageSectionPage)
# Renditions every list card uses (<picture> with WebP and a JPEG fallback, see _card.html).
THUMB_SPECS = ("format-webp|fill-160x120", "format-jpeg|fill-160x120")


def _with_thumbs(queryset: QuerySet) -> QuerySet:
    return queryset.prefetch_related(
        Prefetch(
            "listing_image",
            queryset=Image.objects.prefetch_renditions(*THUMB_SPECS),
        )
    )


def _children_of(sections: list[Page]) -> Q:
    if not sections:
        return Q(pk__in=[])
    return reduce(or_, (Q(path__startswith=s.path, depth=s.depth + 1) for s in sections))


def section_for_page(*, page: Page) -> SectionPage | None:
    """The nearest section at or above ``page`` (two queries)."""
    paths = [page.path[:end] for end in range(Page.steplen, len(page.path) + 1, Page.steplen)]
    found = Page.objects.filter(path__in=paths).type(*SECTION_MODELS).order_by("-depth").first()
    return found.specific if found else None


def publicity_for_area(*, area: Area) -> list:
    """Publicity periods (公示) of appraisal and commendation results running now under ``area``,
    read from points' scoring selectors; shown as notices on section pages and villagers' homes."""
    return list(selectors_scoring.publicity_list(area=area))


def section_listing(*, section: SectionPage) -> dict:
    """What a section page lists: its newest news and notices, campaigns, classes, events, its
    sub-sections and its other pages (a fixed number of queries whatever the section's size)."""
    children = _children_of([section])
    now = timezone.now()
    return {
        "publicity": publicity_for_area(area=section.area),
        "articles": list(
            _with_thumbs(ArticlePage.objects.live().filter(children)).order_by(
                "-first_published_at"
            )[:10]
        ),
        "campaigns": list(
            _with_thumbs(CampaignPage.objects.live().filter(children)).order_by(
                "-first_published_at"
            )[:3]
        ),
        "lessons": list(
            _with_thumbs(LessonPage.objects.live().filter(children)).order_by(
                "-first_published_at"
            )[:5]
        ),
        "classes": list(
            _with_thumbs(OfflineClassPage.objects.live().filter(children)).order_by(
                "-first_published_at"
            )[:5]
        ),
        "events": list(
            _with_thumbs(EventPage.objects.live().filter(children, starts_at__gte=now)).order_by(
                "starts_at"
            )[:5]
        ),
        "subsections": list(
            Page.objects.live()
            .filter(children)
            .type(TownSectionPage, VillageSectionPage)
            .order_by("title")
        ),
        "more": list(
            Page.objects.live()
            .filter(children)
            .not_type(
                TownSectionPage,
                VillageSectionPage,
                ArticlePage,
                CampaignPage,
                LessonPage,
                OfflineClassPage,
            )
            .order_by("-first_published_at")[:20]
        ),
    }


def sections_for_village(*, village: Area) -> list[SectionPage]:
    """The live sections of a village, its town and its district, district first."""
    areas = [*village.get_ancestors(), village]
    area_ids = [area.pk for area in areas]
    sections = []
    for model in SECTION_MODELS:
        sections.extend(model.objects.live().filter(area_id__in=area_ids))
    return sorted(sections, key=lambda s: s.depth)


def villager_home(*, household: Household, user) -> dict:
    """A villager's home: balance, newest notices and classes of their village, town and district,
    and the sessions they signed up for."""
    from points.selectors import household_points_get

    sections = sections_for_village(village=household.village)
    where = _children_of(sections)
    now = timezone.now()
    return {
        "household": household,
        "points": household_points_get(household=household),
        "sections": sections,
        "publicity": publicity_for_area(area=household.village),
        "articles": list(
            _with_thumbs(ArticlePage.objects.live().filter(where)).order_by("-first_published_at")[
                :8
            ]
        ),
        "lessons": list(
            LessonPage.objects.live().filter(where).order_by("-first_published_at")[:4]
        ),
        "classes": list(
            OfflineClassPage.objects.live().filter(where).order_by("-first_published_at")[:4]
        ),
        "signups": list(
            SessionSignup.objects.filter(
                household=household,
                status__in=[SessionSignup.Status.CONFIRMED, SessionSignup.Status.WAITING],
                session__starts_at__gte=now - datetime.timedelta(hours=3),
            )
            .select_related("session__page")
            .order_by("session__starts_at")
        ),
    }


def class_page_state(*, page: OfflineClassPage, user) -> dict:
    """The sessions of a class with seats taken and waiting; for a signed-in villager their own
    sign-ups, for an organiser the check-in links."""
    now = timezone.now()
    sessions = list(
        page.sessions.annotate(
            taken=Count("signups", filter=Q(signups__status=SessionSignup.Status.CONFIRMED)),
            waiting=Count("signups", filter=Q(signups__status=SessionSignup.Status.WAITING)),
        ).order_by("starts_at")
    )
    for session in sessions:
        session.is_past = session.starts_at <= now
    state = {"sessions": sessions, "my_signups": [], "may_organise": False}
    if getattr(user, "is_authenticated", False):
        from registry.permissions import Action, Kind, may
        from registry.scoping import visible_to

        state["my_signups"] = list(
            visible_to(user, SessionSignup.objects.all(), kind=Kind.SIGNUP, action=Action.WRITE)
            .filter(session__page=page)
            .exclude(status=SessionSignup.Status.CANCELLED)
            .select_related("session")
        )
        area = page.area
        state["may_organise"] = bool(area and may(user, Kind.CLASS_SESSION, Action.WRITE, area))
    return state


def rules_for_page(*, page: Page) -> list:
    from points.selectors_rules import rules_for_area

    area = page.specific.area
    if area is None:
        return []
    return rules_for_area(area=area, on=timezone.localdate())


def honour_board_for_page(*, page: Page, period_on: datetime.date | None = None) -> dict:
    """The red list of the page's area for the period starting ``period_on`` (the current one
    when None), and the periods that can be browsed. Read live from points' scoring
    selectors, which list only approved results whose publicity has ended."""
    area = page.specific.area
    if area is None:
        return {"entries": [], "periods": [], "period": None}
    periods = list(selectors_scoring.honour_board_periods(area=area))
    if period_on is None and periods:
        period_on = periods[0].period_on  # the current list: the newest period
    entries = (
        list(selectors_scoring.honour_board_list(area=area, period_on=period_on)) if periods else []
    )
    return {"entries": entries, "periods": periods, "period": period_on}


def ranking_list_for_page(*, page: Page, month: datetime.date | None = None) -> dict:
    """The approved red and black list of the page's district (the newest, or ``month``'s), with
    the months that can be browsed; read live from assessment's selectors."""
    from assessment import selectors as assessment

    area = page.specific.area
    if area is None:
        return {"list": None, "months": []}
    return {
        "list": assessment.ranking_list_published(area=area, month=month),
        "months": assessment.ranking_list_months(area=area),
    }


def stores_for_page(*, page: Page) -> list:
    """The open 美家超市 in the page's area or serving its villages, with what they stock (two
    queries, through the shops app's selector)."""
    from shops.selectors import store_directory

    area = page.specific.area
    if area is None:
        return []
    return list(store_directory(area_path=area.path))


def _section_paths(area_paths: list[str]) -> list[str]:
    """Tree paths of the section pages of these areas and of every area below them."""
    if not area_paths:
        return []
    area_q = reduce(or_, (Q(area__path__startswith=path) for path in area_paths))
    return [
        path
        for model in SECTION_MODELS
        for path in model.objects.filter(area_q).values_list("path", flat=True)
    ]


def page_ids_reviewable_by(*, user) -> list[str]:
    """Ids (as text, like workflow states keep them) of the pages under the sections of the areas
    a reviewer administers."""
    from registry.permissions import Action, Kind, area_paths

    section_paths = _section_paths(area_paths(user, Kind.PAGE, Action.APPROVE))
    if not section_paths:
        return []
    pages = Page.objects.filter(reduce(or_, (Q(path__startswith=p) for p in section_paths)))
    return [str(pk) for pk in pages.values_list("pk", flat=True)]


def page_search(*, query: str, limit: int = 30) -> list[Page]:
    """Live pages matching a Chinese (or mixed) query; see campaigns/search.py."""
    terms = query_terms(query)
    pages = Page.objects.live().type(*_searchable_models())
    if not terms:
        text = (query or "").strip()
        if not text:
            return []
        return list(pages.filter(title__contains=text).specific()[:limit])
    results = pages.search(" ".join(terms), operator="and")
    return [page.specific for page in results[:limit]]


def _searchable_models():
    from campaigns.models import CampaignBasePage

    def all_subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from all_subclasses(sub)

    return [m for m in all_subclasses(CampaignBasePage) if not m._meta.abstract]


def sessions_to_organise(*, user, limit: int = 50) -> list:
    """Coming (and today's) sessions of classes in the sections of the user's organiser areas."""
    from campaigns.models import ClassSession
    from registry.permissions import Action, Kind, area_paths

    paths = area_paths(user, Kind.CLASS_SESSION, Action.WRITE)
    if user.is_superuser:
        paths = [""]
    section_paths = _section_paths(paths)
    if not section_paths:
        return []
    since = timezone.now() - datetime.timedelta(hours=12)
    where = reduce(or_, (Q(page__path__startswith=p) for p in section_paths))
    return list(
        ClassSession.objects.filter(where, starts_at__gte=since, page__live=True)
        .select_related("page")
        .order_by("starts_at")[:limit]
    )
