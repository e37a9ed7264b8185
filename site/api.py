"""The JSON API, version 1: a household's points for the future WeChat mini-program, and the
counter devices' preview and confirmation (``shops.api``).

Two ways in, declared as two security schemes: a signed-in session (the site itself) or
``Authorization: Bearer <token>`` with a staff or villager API token issued in Wagtail's admin
(Settings → API tokens) or by ``manage.py api_tokens`` for the household operations; a counter
device token for the counter's. Every household is fetched through the scoping function: another
household answers 404. Every answer the API gives is in the OpenAPI schema at
``/api/v1/openapi.json``, and every refusal has one shape, ``{"code", "message"}`` with a
message in Simplified Chinese: 400 (a body that is not JSON), 401, 404, 405, 409 (the counter's
own reasons) and 422 (a request that does not match the schema). No documentation page is
served (it would load scripts from a CDN).
"""

import datetime
import functools
from typing import Annotated

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.urls import re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Path, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth
from pydantic import ConfigDict
from wagtail.api.v3.auth import BearerTokenAuth

from points.selectors.ledger import (
    household_history_list,
    household_pending_points,
    household_points_get,
)
from points.selectors.rules import rules_for_area
from points.services.expiry import household_expiry_get
from registry.identity import mask_name
from registry.selectors import household_get, household_list_for_villager
from shops.api import COMMON_REFUSALS, Refusal
from shops.api import router as counter_router


class ApiToken(BearerTokenAuth):
    """A staff or villager API token: the household operations take it (or a session)."""

    openapi_bearerFormat = "API token"  # noqa: N815 - OpenAPI's spelling
    openapi_description = (
        "A staff or villager API token (Wagtail admin → API tokens, or manage.py api_tokens). "
        "The household operations take it; a signed-in session works too."
    )


class MeijiaAPI(NinjaAPI):
    """Ninja with the API's one refusal shape for what Ninja answers outside any operation: a
    method the path does not take (405, with ``Allow``) and a path that is not in the API (404)."""

    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            pattern.callback = self._json_not_allowed(pattern.callback)
        urls.append(re_path(r"^", self._not_found, name="not-found"))
        return urls

    def _json_not_allowed(self, view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponseNotAllowed):
                refused = refusal(
                    request,
                    405,
                    "method_not_allowed",
                    _("This address does not take %(method)s.") % {"method": request.method},
                )
                refused["Allow"] = response["Allow"]
                return refused
            return response

        return wrapper

    def _not_found(self, request):
        return refusal(request, 404, "not_found", _("There is no such address in the API."))


api = MeijiaAPI(
    title="Meijia API",
    version="1",
    description=(
        "美家 households' points and the 美家超市 counter. Every refusal is "
        '{"code", "message"} with a message in Simplified Chinese.'
    ),
    urls_namespace="api-v1",
    docs_url=None,
    auth=[ApiToken(), django_auth],
    servers=[{"url": settings.WAGTAILADMIN_BASE_URL, "description": "This site"}],
)

api.add_router("/counter", counter_router)


def refusal(request, status: int, code: str, message: str):
    return api.create_response(request, {"code": code, "message": message}, status=status)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    fields = sorted(
        {
            ".".join(str(part) for part in error.get("loc", ())[1:] if part != "payload")
            for error in exc.errors
        }
        - {""}
    )
    if not fields:
        return refusal(request, 422, "invalid", _("The request has no body the API can use."))
    return refusal(
        request,
        422,
        "invalid",
        _("The request does not match the API (%(fields)s).") % {"fields": ", ".join(fields)},
    )


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc: AuthenticationError):
    return refusal(
        request, 401, "unauthorized", _("Sign in, or send a valid token, to use this API.")
    )


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return refusal(request, 404, "not_found", _("Not found, or not yours to see."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400:
        return refusal(request, 400, "not_json", _("The request body is not valid JSON."))
    return refusal(request, exc.status_code, "refused", _("The request was refused."))


HOUSEHOLD_REFUSALS = {404: Refusal, **COMMON_REFUSALS}
HouseholdId = Annotated[int, Path(description="A household the caller may see", example=1)]

PAGE_SIZE = 20


class HouseholdOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"id": 1, "name": "张*明家", "number": "0101001", "village": "杏花村"}]
        }
    )

    id: int
    name: str
    number: str
    village: str


class PointsOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "balance": 120,
                    "pending": 20,
                    "expiring_soon": 10,
                    "expiring_from": "2026-12-31",
                    "earned_this_month": 30,
                    "rank_in_village": 3,
                    "households_ranked": 86,
                }
            ]
        }
    )

    balance: int
    pending: int
    expiring_soon: int
    expiring_from: datetime.date | None
    earned_this_month: int
    rank_in_village: int | None
    households_ranked: int


class PostingOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "kind": "award",
                    "kind_label": "奖励",
                    "reason": "垃圾分类 优",
                    "amount": 5,
                    "balance_after": 120,
                    "recorded_at": "2026-11-20T09:30:00+08:00",
                    "recorded_by": "李委员",
                    "approved_by": "王委员",
                    "rule_code": "sorting-excellent",
                    "rule_version": 2,
                    "source_type": "sorting_check",
                    "source_id": 31,
                }
            ]
        }
    )

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "sorting-excellent",
                    "category": "sorting",
                    "category_label": "垃圾分类",
                    "name": "垃圾分类 优",
                    "description": "分类准确，桶边整洁",
                    "points": 5,
                    "version": 2,
                    "cap_per_day": 5,
                    "cap_per_month": None,
                    "cap_per_year": None,
                    "valid_from": "2026-01-01",
                    "valid_to": None,
                }
            ]
        }
    )

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


@api.get(
    "/households",
    response={200: list[HouseholdOut], **COMMON_REFUSALS},
    summary="My households",
)
def households(request):
    return [_household_out(found) for found in household_list_for_villager(user=request.user)]


@api.get(
    "/households/{household_id}/points",
    response={200: PointsOut, **HOUSEHOLD_REFUSALS},
    summary="Balance and rank",
)
def household_points(request, household_id: HouseholdId):
    found = household_get(user=request.user, pk=household_id)
    expiry = household_expiry_get(household=found, on=timezone.localdate())
    return PointsOut(
        **household_points_get(household=found).__dict__,
        pending=household_pending_points(household=found),
        expiring_soon=expiry.expiring_soon,
        expiring_from=expiry.next_date,
    )


@api.get(
    "/households/{household_id}/rules",
    response={200: list[RuleOut], **HOUSEHOLD_REFUSALS},
    summary="Rules in force",
)
def household_rules(request, household_id: HouseholdId):
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


@api.get(
    "/households/{household_id}/history",
    response={200: HistoryOut, **HOUSEHOLD_REFUSALS},
    summary="Points history",
)
def household_history(request, household_id: HouseholdId, page: int = 1):
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
