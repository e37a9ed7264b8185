"""The JSON API, version 1: a household's points for the future WeChat mini-program.

Signed-in sessions (the site itself) or ``Authorization: Bearer <token>`` with a token issued in
Wagtail's admin (Settings → API tokens) or by ``manage.py api_tokens``. Every household is
fetched through the scoping function: another household answers 404. The OpenAPI schema is at
``/api/v1/openapi.json``; no documentation page is served (it would load scripts from a CDN).
"""

import datetime

from django.core.paginator import Paginator
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.security import django_auth
from wagtail.api.v3.auth import BearerTokenAuth

from points.selectors import (
    household_history_list,
    household_pending_points,
    household_points_get,
)
from points.selectors_rules import rules_for_area
from points.services.expiry import household_expiry_get
from registry.identity import mask_name
from registry.selectors import household_get, household_list_for_villager
from shops.api import router as counter_router

api = NinjaAPI(
    title="Meijia API",
    version="1",
    urls_namespace="api-v1",
    docs_url=None,
    auth=[BearerTokenAuth(), django_auth],
)

api.add_router("/counter", counter_router)

PAGE_SIZE = 20


class HouseholdOut(Schema):
    id: int
    name: str
    number: str
    village: str


class PointsOut(Schema):
    balance: int
    pending: int
    expiring_soon: int
    expiring_from: datetime.date | None
    earned_this_month: int
    rank_in_village: int | None
    households_ranked: int


class PostingOut(Schema):
    id: int
    kind: str
    kind_label: str
    reason: str
    amount: int
    balance_after: int | None
    recorded_at: datetime.datetime
    recorded_by: str | None
    approved_by: str | None
    rule_code: str
    rule_version: int | None
    source_type: str
    source_id: int | None


class RuleOut(Schema):
    code: str
    category: str
    category_label: str
    name: str
    description: str
    points: int
    version: int
    cap_per_day: int | None
    cap_per_month: int | None
    cap_per_year: int | None
    valid_from: datetime.date
    valid_to: datetime.date | None


class HistoryOut(Schema):
    page: int
    pages: int
    count: int
    items: list[PostingOut]


def _household_out(household) -> HouseholdOut:
    head = household.head
    return HouseholdOut(
        id=household.pk,
        name=f"{mask_name(head.name)}家" if head else household.number,
        number=household.number,
        village=household.village.name,
    )


@api.get("/households", response=list[HouseholdOut], summary="My households")
def households(request):
    return [_household_out(found) for found in household_list_for_villager(user=request.user)]


@api.get("/households/{household_id}/points", response=PointsOut, summary="Balance and rank")
def household_points(request, household_id: int):
    found = household_get(user=request.user, pk=household_id)
    expiry = household_expiry_get(household=found, on=timezone.localdate())
    return PointsOut(
        **household_points_get(household=found).__dict__,
        pending=household_pending_points(household=found),
        expiring_soon=expiry.expiring_soon,
        expiring_from=expiry.next_date,
    )


@api.get("/households/{household_id}/rules", response=list[RuleOut], summary="Rules in force")
def household_rules(request, household_id: int):
    found = household_get(user=request.user, pk=household_id)
    return [
        RuleOut(
            code=version.rule.code,
            category=version.rule.category,
            category_label=str(version.rule.get_category_display()),
            name=version.name,
            description=version.description,
            points=version.signed_points,
            version=version.version,
            cap_per_day=version.cap_per_day,
            cap_per_month=version.cap_per_month,
            cap_per_year=version.cap_per_year,
            valid_from=version.valid_from,
            valid_to=version.valid_to,
        )
        for version in rules_for_area(area=found.village, on=timezone.localdate())
    ]


@api.get("/households/{household_id}/history", response=HistoryOut, summary="Points history")
def household_history(request, household_id: int, page: int = 1):
    found = household_get(user=request.user, pk=household_id)
    paginator = Paginator(household_history_list(household=found), PAGE_SIZE)
    current = paginator.get_page(page)
    items = []
    for posting in current.object_list:
        entry = posting.transaction
        items.append(
            PostingOut(
                id=posting.pk,
                kind=entry.kind,
                kind_label=str(entry.get_kind_display()),
                reason=entry.reason,
                amount=posting.amount,
                balance_after=posting.balance_after,
                recorded_at=entry.created_at,
                recorded_by=entry.actor.get_full_name() if entry.actor else None,
                approved_by=entry.approver.get_full_name() if entry.approver else None,
                rule_code=entry.rule_code,
                rule_version=entry.rule_version,
                source_type=entry.source_type,
                source_id=entry.source_id,
            )
        )
    return HistoryOut(
        page=current.number, pages=paginator.num_pages, count=paginator.count, items=items
    )
