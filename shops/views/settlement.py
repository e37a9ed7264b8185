"""Monthly statements: town and district admins in the work desk (table, .xlsx, PDF, settle);
a store's shopkeepers see their own store's statement on the phone."""

import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.params import month_from_parts, month_param
from registry.permissions import Action, Kind, may
from registry.scoping import visible_to
from shops import selectors
from shops.exceptions import ShopError
from shops.models import Store
from shops.services.settlement import (
    settlement_pdf,
    settlement_statement,
    settlement_xlsx,
    store_month_settle,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _recent_months(count: int = 6) -> list[datetime.date]:
    month = timezone.localdate().replace(day=1)
    months = []
    for _index in range(count):
        months.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


def _admin_store(request: HttpRequest, store_id: int) -> Store:
    return get_object_or_404(
        visible_to(request.user, Store.objects.select_related("area"), kind=Kind.SETTLEMENT),
        pk=store_id,
    )


def _download(request, statement, kind: str) -> HttpResponse:
    stem = f"settlement-{statement.store.pk}-{statement.month:%Y-%m}"
    if kind == "xlsx":
        response = HttpResponse(
            settlement_xlsx(statement=statement, actor=request.user), content_type=XLSX
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    else:
        response = HttpResponse(
            settlement_pdf(statement=statement, actor=request.user), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
    return response


def settlement_home(request: HttpRequest) -> HttpResponse:
    if not may(request.user, Kind.SETTLEMENT, Action.READ):
        raise Http404
    stores = visible_to(request.user, Store.objects.select_related("area"), kind=Kind.SETTLEMENT)
    return TemplateResponse(
        request,
        "shops/admin/settlement_home.html",
        {"stores": stores, "months": _recent_months(), "page_title": _("Monthly settlement")},
    )


def settlement_detail(request: HttpRequest, store_id: int, year: int, month: int) -> HttpResponse:
    store = _admin_store(request, store_id)
    statement = settlement_statement(store=store, month=month_from_parts(year, month))
    kind = request.GET.get("format")
    if kind in ("xlsx", "pdf"):
        return _download(request, statement, kind)
    return TemplateResponse(
        request,
        "shops/admin/settlement.html",
        {
            "statement": statement,
            "can_settle": may(request.user, Kind.SETTLEMENT, Action.APPROVE, store.area)
            and not statement.settled,
            "page_title": _("Monthly settlement"),
        },
    )


@require_POST
def settlement_settle(request: HttpRequest, store_id: int, year: int, month: int) -> HttpResponse:
    store = _admin_store(request, store_id)
    try:
        store_month_settle(store=store, month=month_from_parts(year, month), actor=request.user)
    except ShopError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, _("The month is settled. Its redemptions can no longer be voided.")
        )
    return redirect("shops_settlement:detail", store_id=store.pk, year=year, month=month)


def counter_settlement(request: HttpRequest, store_id: int) -> HttpResponse:
    """The shopkeeper's own statement, on the phone (this month or ?month=YYYY-MM)."""
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    store = selectors.store_get_for_counter(user=request.user, pk=store_id)
    month = month_param(request.GET.get("month"), default=timezone.localdate().replace(day=1))
    statement = settlement_statement(store=store, month=month)
    kind = request.GET.get("format")
    if kind in ("xlsx", "pdf"):
        return _download(request, statement, kind)
    return TemplateResponse(
        request,
        "shops/settlement.html",
        {"store": store, "statement": statement, "months": _recent_months()},
    )
