"""Reads for the campaign site outside a page's own context: search and the class sessions an organiser runs. What a page shows is a method of the page
(campaigns/models/pages.py), as in Wagtail's bakerydemo."""

import datetime
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone
from wagtail.models import Page

from campaigns.models import CampaignBasePage, ClassSession, SectionPage
from campaigns.search import query_terms
from registry.permissions import Action, Kind, area_paths


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
    def all_subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from all_subclasses(sub)

    return [m for m in all_subclasses(CampaignBasePage) if not m._meta.abstract]


def sessions_to_organise(*, user, limit: int = 50) -> list:
    """Coming (and today's) sessions of classes in the sections of the user's organiser areas."""
    paths = area_paths(user, Kind.CLASS_SESSION, Action.WRITE)
    if user.is_superuser:
        paths = [""]
    section_paths = SectionPage.paths_under(paths)
    if not section_paths:
        return []
    since = timezone.now() - datetime.timedelta(hours=12)
    where = reduce(or_, (Q(page__path__startswith=p) for p in section_paths))
    return list(
        ClassSession.objects.filter(where, starts_at__gte=since, page__live=True)
        .select_related("page")
        .order_by("starts_at")[:limit]
    )
