"""Phone pages of after-care service orders (``/upkeep/…``): a household asks (two taps, or by
scanning its toilet's sticker), a committee files for several elderly households, the town's
service desk enters phone calls and dispatches, a contractor works their team's orders, the
household rates. Each view authorises, calls one service and redirects (POST) or renders.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from points.images import ImageRefused
from registry.models import Area
from registry.params import id_param, month_param
from registry.permissions import Action, Kind, may
from registry.scoping import areas_visible_to, visible_to
from supervision.models import Team, WorkOrder
from upkeep.exceptions import UpkeepError
from upkeep.models import ServiceOrder, Toilet
from upkeep.selectors import (
    contractor_orders,
    service_figures,
    service_order_get,
    service_order_list,
)
from upkeep.services.orders import (
    service_order_accept,
    service_order_dispatch,
    service_order_done,
    service_order_on_way,
    service_order_rate,
    service_order_request,
    service_orders_file_for,
)
from upkeep.statements import contractor_statement

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Status = WorkOrder.Status


def _toilet_for_asking(request: HttpRequest, pk: int | None) -> Toilet:
    toilets = visible_to(
        request.user,
        Toilet.objects.select_related("village", "household"),
        kind=Kind.SERVICE_ORDER,
        action=Action.WRITE,
    )
    return get_object_or_404(toilets, pk=pk)


def _channel(request: HttpRequest, toilet: Toilet) -> str:
    """How the order was asked for: by the household (phone or sticker), else by staff."""
    if toilet.household_id and may(
        request.user, Kind.HOUSEHOLD_CODE, Action.READ, toilet.household
    ):
        if request.POST.get("channel") == "sticker":
            return ServiceOrder.Channel.STICKER
        return ServiceOrder.Channel.PHONE
    if may(request.user, Kind.SERVICE_ORDER, Action.APPROVE, toilet.village):
        return ServiceOrder.Channel.DESK
    return ServiceOrder.Channel.COMMITTEE


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    """Tap one chose the service on the household page (or the sticker's page); tap two sends.

    The form carries a key made when it was shown, so a double tap or a resend on a slow
    network files one order.
    """
    if not may(request.user, Kind.SERVICE_ORDER, Action.WRITE):
        raise Http404
    toilet = _toilet_for_asking(request, pk)
    kind = request.POST.get("kind") or request.GET.get("kind") or ServiceOrder.Kind.EMPTYING
    if kind not in ServiceOrder.Kind.values:
        kind = ServiceOrder.Kind.EMPTYING
    if request.method == "POST":
        photos = request.FILES.getlist("photo")[:3]
        try:
            service = service_order_request(
                actor=request.user,
                toilet=toilet,
                kind=kind,
                channel=_channel(request, toilet),
                key=request.POST.get("key") or uuid.uuid4().hex,
                note=request.POST.get("note", "")[:500],
                photos=photos,
            )
        except (UpkeepError, ImageRefused) as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Your request has been sent. The service team will call you.")
            )
            return redirect("upkeep:order", pk=service.pk)
    return TemplateResponse(
        request,
        "upkeep/ask.html",
        {
            "toilet": toilet,
            "kind": kind,
            "Kind": ServiceOrder.Kind,
            "key": uuid.uuid4().hex,
            "channel": request.GET.get("via", ""),
        },
    )


def _timeline(service: ServiceOrder) -> list[dict]:
    from supervision.transitions import EVENT_LABELS

    lines = [
        {"at": event.at, "label": EVENT_LABELS.get(event.action, event.action), "note": event.note}
        for event in service.order.events.all()
    ]
    if service.accepted_at:
        lines.append({"at": service.accepted_at, "label": _("Accepted by the team"), "note": ""})
    if service.on_way_at:
        lines.append({"at": service.on_way_at, "label": _("On the way"), "note": ""})
    return sorted(lines, key=lambda line: line["at"])


@login_required
def order(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        service = service_order_get(user=request.user, pk=pk)
    except ServiceOrder.DoesNotExist:
        raise Http404 from None
    is_worker = may(request.user, Kind.SERVICE_WORK, Action.WRITE, service)
    may_rate = service.order.status == Status.DONE and may(
        request.user, Kind.SERVICE_ORDER, Action.WRITE, service
    )
    return TemplateResponse(
        request,
        "upkeep/order.html",
        {
            "service": service,
            "order": service.order,
            "timeline": _timeline(service),
            "photos": service.order.photos.select_related("photo"),
            "is_worker": is_worker and service.order.status in (Status.ASSIGNED, Status.REOPENED),
            "may_rate": may_rate,
            "Rating": ServiceOrder.Rating,
            "mask": not may(request.user, Kind.HOUSEHOLD, Action.READ, service.toilet.village)
            and not (
                service.toilet.household_id
                and may(request.user, Kind.HOUSEHOLD, Action.READ, service.toilet.household)
            ),
        },
    )


@login_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        service = service_order_get(user=request.user, pk=pk)
    except ServiceOrder.DoesNotExist:
        raise Http404 from None
    try:
        service_order_rate(
            actor=request.user,
            service=service,
            rating=request.POST.get("rating", ""),
            reason=request.POST.get("reason", ""),
        )
    except UpkeepError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("upkeep:order", pk=service.pk)


# --- The contractor's phone page ----------------------------------------------------------------


@login_required
def work(request: HttpRequest) -> HttpResponse:
    if not may(request.user, Kind.SERVICE_WORK, Action.READ):
        raise Http404
    orders = list(contractor_orders(user=request.user)[:100])
    return TemplateResponse(
        request,
        "upkeep/work.html",
        {
            "to_do": [s for s in orders if s.order.status in (Status.ASSIGNED, Status.REOPENED)],
            "finished": [
                s for s in orders if s.order.status not in (Status.ASSIGNED, Status.REOPENED)
            ][:20],
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def work_step(request: HttpRequest, pk: int) -> HttpResponse:
    """accept, on_way or done (with an after-photo and, for an emptying, the volume)."""
    if not may(request.user, Kind.SERVICE_WORK, Action.WRITE):
        raise Http404
    service = get_object_or_404(
        ServiceOrder.objects.select_related("order", "toilet__village", "toilet__household"),
        pk=pk,
        order__assignee_team__members=request.user,
    )
    step = request.POST.get("step", "")
    try:
        if step == "accept":
            service_order_accept(actor=request.user, service=service)
        elif step == "on_way":
            service_order_on_way(actor=request.user, service=service)
        elif step == "done":
            text = request.POST.get("volume", "").strip()
            try:
                volume = Decimal(text) if text else None
            except InvalidOperation:
                raise UpkeepError(
                    "bad_volume", _("Enter the volume as a number, like 1.5.")
                ) from None
            service_order_done(
                actor=request.user,
                service=service,
                photos=request.FILES.getlist("photo")[:3],
                volume=volume,
                note=request.POST.get("note", "")[:500],
            )
            messages.success(request, _("Done. The household will be asked to rate it."))
        else:
            raise Http404
    except (UpkeepError, ImageRefused) as error:
        messages.error(request, error.message)
        return redirect("upkeep:order", pk=service.pk)
    return redirect("upkeep:work")


# --- The town: list, dispatch, service desk; the committee: several households at once ----------


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    """The service orders of the user's area (town and district; committees their village)."""
    if not (
        may(request.user, Kind.SERVICE_ORDER, Action.APPROVE)
        or may(request.user, Kind.TOILET, Action.WRITE)
    ):
        raise Http404
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    rows = service_order_list(user=request.user, status=status)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    areas = areas_visible_to(request.user, kind=Kind.SERVICE_ORDER, action=Action.APPROVE)
    paths = [area.path for area in areas[:50]]
    teams = Team.objects.filter(is_active=True, upkeep_coverage__isnull=False)
    teams = [
        team
        for team in teams.select_related("area")
        if any(team.area.path.startswith(p) or p.startswith(team.area.path) for p in paths)
    ]
    return TemplateResponse(
        request,
        "upkeep/orders.html",
        {
            "page": page,
            "status": status,
            "Status": Status,
            "teams": teams,
            "may_dispatch": may(request.user, Kind.SERVICE_ORDER, Action.APPROVE),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    if not may(request.user, Kind.SERVICE_ORDER, Action.APPROVE):
        raise Http404
    try:
        service = service_order_get(user=request.user, pk=pk)
    except ServiceOrder.DoesNotExist:
        raise Http404 from None
    team = get_object_or_404(Team, pk=id_param(request.POST, "team"), is_active=True)
    try:
        service_order_dispatch(actor=request.user, service=service, team=team)
    except UpkeepError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Dispatched to %(team)s.") % {"team": team.name})
    return redirect("upkeep:orders")


@login_required
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    """The town's service desk enters a phone call: village, 户号, service, what was said."""
    if not may(request.user, Kind.SERVICE_ORDER, Action.APPROVE):
        raise Http404
    villages = areas_visible_to(
        request.user, kind=Kind.SERVICE_ORDER, action=Action.APPROVE, level=Area.Level.VILLAGE
    )
    if request.method == "POST":
        village = get_object_or_404(villages, pk=id_param(request.POST, "village"))
        number = request.POST.get("number", "").strip()
        toilet = Toilet.objects.filter(village=village, household__number=number).first()
        if toilet is None:
            messages.error(request, _("This village has no household toilet with that number."))
        else:
            try:
                service = service_order_request(
                    actor=request.user,
                    toilet=toilet,
                    kind=request.POST.get("kind", ""),
                    channel=ServiceOrder.Channel.DESK,
                    key=request.POST.get("key") or uuid.uuid4().hex,
                    note=request.POST.get("note", "")[:500],
                )
            except UpkeepError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request, _("Order #%(order)s filed.") % {"order": service.order_id}
                )
                return redirect("upkeep:desk")
    return TemplateResponse(
        request,
        "upkeep/desk.html",
        {"villages": villages, "Kind": ServiceOrder.Kind, "key": uuid.uuid4().hex},
    )


@login_required
@require_http_methods(["GET", "POST"])
def file_for(request: HttpRequest) -> HttpResponse:
    """A committee member or grid worker files for several households at once."""
    if not may(request.user, Kind.TOILET, Action.WRITE):
        raise Http404
    villages = areas_visible_to(
        request.user, kind=Kind.SERVICE_ORDER, action=Action.WRITE, level=Area.Level.VILLAGE
    )
    village = (
        get_object_or_404(villages, pk=id_param(request.GET, "village"))
        if request.GET.get("village")
        else villages.first()
    )
    if village is None:
        raise Http404
    toilets = (
        Toilet.objects.filter(village=village, household__isnull=False)
        .exclude(status=Toilet.Status.REMOVED)
        .select_related("household")
        .prefetch_related("household__members")
        .order_by("household__number")
    )
    if request.method == "POST":
        chosen = list(toilets.filter(pk__in=request.POST.getlist("toilet")[:200]))
        try:
            filed = service_orders_file_for(
                actor=request.user,
                toilets=chosen,
                kind=request.POST.get("kind", ""),
                key=request.POST.get("key") or uuid.uuid4().hex,
                note=request.POST.get("note", "")[:500],
            )
        except UpkeepError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(count)s orders filed.") % {"count": len(filed)})
            return redirect("upkeep:orders")
    return TemplateResponse(
        request,
        "upkeep/file_for.html",
        {
            "village": village,
            "villages": villages,
            "toilets": toilets[:300],
            "Kind": ServiceOrder.Kind,
            "key": uuid.uuid4().hex,
        },
    )


# --- Figures and the contractor's monthly statement ---------------------------------------------


def _month(data) -> datetime.date:
    """The month asked for (``YYYY-MM``), this month when none; a malformed one is a 400."""
    month = month_param(data.get("month"), default=timezone.localdate().replace(day=1))
    assert month is not None
    return month


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    if not may(request.user, Kind.UPKEEP_FIGURES, Action.READ):
        raise Http404
    areas = areas_visible_to(request.user, kind=Kind.UPKEEP_FIGURES).exclude(level=Area.Level.GROUP)
    area = areas.first()
    month = _month(request.GET)
    end = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
        days=1
    )
    by = request.GET.get("by", "village")
    if by not in ("village", "town", "team", "month"):
        by = "village"
    rows = service_figures(by=by, start=month, end=end, area=area) if area else []
    teams = visible_to(
        request.user, Team.objects.filter(upkeep_coverage__isnull=False), kind=Kind.CONTRACTOR_TEAM
    )
    return TemplateResponse(
        request,
        "upkeep/figures.html",
        {"rows": rows, "by": by, "month": month, "area": area, "teams": teams},
    )


@login_required
def statement(request: HttpRequest) -> HttpResponse:
    """The monthly statement of a team (orders, volumes) as .xlsx, for paying it."""
    if not may(request.user, Kind.CONTRACTOR_TEAM, Action.READ):
        raise Http404
    teams = visible_to(request.user, Team.objects.all(), kind=Kind.CONTRACTOR_TEAM)
    team = get_object_or_404(teams, pk=id_param(request.GET, "team"))
    month = _month(request.GET)
    content = contractor_statement(user=request.user, team=team, month=month)
    name = _("%(team)s statement %(month)s") % {"team": team.name, "month": month.strftime("%Y-%m")}
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
    return response
