"""Phone and desk pages of supervision (``/supervision/…``): the lists of work orders (town and
district, filtered, exported), 我的整改, an order's page with its timeline and the moves the user may
make, and the inspector's round (one village's checklist, each item posted alone, online or from
``supervision/round.js``'s offline queue, each with its own key)."""

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from points.images import ImageRefused
from registry.exceptions import Refusal
from registry.models import Area
from registry.params import BadInput, id_param
from registry.permissions import Action, Kind, may
from registry.scoping import areas_visible_to, visible_to
from supervision.exceptions import InspectionError, TallyError, WorkOrderError
from supervision.models import (
    Category,
    ChecklistItem,
    Round,
    TallyCampaign,
    TallyReport,
    WorkOrder,
)
from supervision.selectors import inspections, tallies, workorders
from supervision.services.deductions import work_order_household_deduct
from supervision.services.exports import tally_totals_export, work_orders_export
from supervision.services.inspections import inspection_item_record, round_plan
from supervision.services.tallies import tally_report_review, tally_report_submit, week_start
from supervision.services.workorders import may_move, work_order_transition
from supervision.transitions import EVENT_LABELS, TRANSITIONS, transitions_from

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DUE_SOON = dt.timedelta(days=2)
ORDERS_PAGE_SIZE = 50


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _param_id(data, name: str) -> int | None:
    try:
        return id_param(data, name)
    except BadInput:
        return None


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """Town and district list: filtered by status, category, village and lateness; .xlsx."""
    if not may(request.user, Kind.WORK_ORDER, Action.READ):
        raise Http404
    villages = areas_visible_to(request.user, kind=Kind.WORK_ORDER, level=Area.Level.VILLAGE)
    area = None
    if area_id := _param_id(request.GET, "area"):
        area = villages.filter(pk=area_id).first()
    late = {"1": True, "0": False}.get(request.GET.get("late", ""))
    status = request.GET.get("status", "")
    if status not in {"", "active", *WorkOrder.Status.values}:
        status = ""
    orders = workorders.work_order_list(
        user=request.user,
        status=status or None,
        category_id=_param_id(request.GET, "category"),
        area=area,
        is_late=late,
    )
    if request.GET.get("format") == "xlsx":
        content = work_orders_export(user=request.user, orders=orders, area=area)
        name = _("work orders %(date)s") % {"date": timezone.localdate().strftime("%Y%m%d")}
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
        return response
    page = Paginator(orders, ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "supervision/orders.html",
        {
            "orders": page,
            "page": page,
            "villages": villages,
            "categories": Category.objects.filter(is_active=True),
            "statuses": WorkOrder.Status.choices,
            "chosen": request.GET,
            "now": timezone.now(),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """District and town overview: each town's (or village's) orders by status, late ones."""
    areas = areas_visible_to(request.user, kind=Kind.INSPECTION).filter(
        level__in=[Area.Level.DISTRICT, Area.Level.TOWN]
    )
    area = None
    if area_id := _param_id(request.GET, "area"):
        area = areas.filter(pk=area_id).first()
    area = area or areas.order_by("depth", "path").first()
    if area is None:
        raise Http404
    return TemplateResponse(
        request,
        "supervision/overview.html",
        {
            "area": area,
            "lines": workorders.work_order_overview(area=area),
            "statuses": WorkOrder.Status.choices,
        },
    )


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    """我的整改: the orders the user must act on: late, due soon, open, waiting for the check."""
    now = timezone.now()
    orders = list(workorders.work_orders_to_act_on(user=request.user)[:300])
    if not orders and not may(request.user, Kind.RECTIFICATION, Action.WRITE):
        raise Http404
    late = [o for o in orders if o.is_late(now)]
    soon = [o for o in orders if o.is_active and now < o.deadline_at <= now + DUE_SOON]
    rest = [o for o in orders if o.is_active and o.deadline_at > now + DUE_SOON]
    waiting = [o for o in orders if o.status == WorkOrder.Status.DONE]
    return TemplateResponse(
        request,
        "supervision/my_orders.html",
        {"late": late, "soon": soon, "rest": rest, "waiting": waiting, "now": now},
    )


def _order(request: HttpRequest, pk: int) -> WorkOrder:
    try:
        return workorders.work_order_get(user=request.user, pk=pk)
    except WorkOrder.DoesNotExist:
        raise Http404 from None


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    moves = [t for t in transitions_from(order.status) if may_move(request.user, order, t)]
    events = [(event, EVENT_LABELS.get(event.action, event.action)) for event in order.events.all()]
    return TemplateResponse(
        request,
        "supervision/order.html",
        {
            "order": order,
            "moves": [t for t in moves if t.name != "assign"],
            "events": events,
            "before": [p for p in order.photos.all() if p.stage == "before"],
            "after": [p for p in order.photos.all() if p.stage == "after"],
            "now": timezone.now(),
            "may_deduct": order.household_id is not None
            and may(request.user, Kind.SCORING, Action.WRITE, order.area),
        },
    )


@login_required
@require_POST
def order_deduct(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the household's points deduction for this order (a claim for a second person)."""
    order = _order(request, pk)
    try:
        work_order_household_deduct(order=order, actor=request.user)
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The deduction waits for a second person's approval."))
    return redirect("supervision:order", pk=order.pk)


@login_required
@require_POST
def order_move(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    name = request.POST.get("move", "")
    if name not in TRANSITIONS or name == "assign":
        raise Http404
    try:
        work_order_transition(
            order=order,
            name=name,
            actor=request.user,
            note=request.POST.get("note", "")[:500],
            photos=request.FILES.getlist("photos")[:6],
        )
    except (WorkOrderError, ImageRefused) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Saved: %(move)s.") % {"move": TRANSITIONS[name].label})
    return redirect("supervision:order", pk=order.pk)


# --- The inspector's round --------------------------------------------------------------------


def _inspector(request: HttpRequest) -> None:
    if not may(request.user, Kind.INSPECTION, Action.WRITE):
        raise Http404


def _round(request: HttpRequest, pk: int) -> Round:
    _inspector(request)
    found = (
        inspections.round_list(user=request.user).filter(pk=pk).prefetch_related("villages").first()
    )
    if found is None:
        raise Http404
    return found


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    """Rounds the inspector may walk, and a form to plan one."""
    _inspector(request)
    areas = areas_visible_to(request.user, kind=Kind.INSPECTION, action=Action.WRITE)
    planning = areas.filter(level__in=[Area.Level.DISTRICT, Area.Level.TOWN])
    if request.method == "POST":
        area = planning.filter(pk=_param_id(request.POST, "area") or 0).first()
        ids = [int(v) for v in request.POST.getlist("villages") if v.isdigit()]
        try:
            if area is None:
                raise InspectionError("bad_area", _("Choose the area of the round."))
            planned_on = dt.date.fromisoformat(request.POST.get("planned_on", ""))
            found = round_plan(
                area=area,
                name=request.POST.get("name", "") or _("Inspection round"),
                planned_on=planned_on,
                villages=areas.filter(pk__in=ids, level=Area.Level.VILLAGE),
                actor=request.user,
            )
        except ValueError:
            messages.error(request, _("Choose a date."))
        except InspectionError as error:
            messages.error(request, error.message)
        else:
            return redirect("supervision:round", pk=found.pk)
    return TemplateResponse(
        request,
        "supervision/rounds.html",
        {
            "rounds": inspections.round_list(user=request.user)[:30],
            "planning": planning,
            "villages": areas.filter(level=Area.Level.VILLAGE),
            "today": timezone.localdate(),
        },
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = _round(request, pk)
    return TemplateResponse(
        request,
        "supervision/round.html",
        {"round": found, "villages": inspections.round_villages(round=found)},
    )


@login_required
def round_village(request: HttpRequest, pk: int, village: int) -> HttpResponse:
    """One village's checklist on the phone: pass or fail each item, a photo, the location."""
    found = _round(request, pk)
    place = next((v for v in found.villages.all() if v.pk == village), None)
    if place is None:
        raise Http404
    return TemplateResponse(
        request,
        "supervision/round_village.html",
        {
            "round": found,
            "village": place,
            "rows": inspections.round_village_sheet(round=found, village=place),
            "new_key": lambda: uuid.uuid4().hex,
            "liaison": inspections.liaison_get(village=place),
        },
    )


@login_required
@require_POST
def round_record(request: HttpRequest, pk: int, village: int) -> HttpResponse:
    """One item: JSON to the offline queue, a redirect to a plain form."""
    found = _round(request, pk)
    place = next((v for v in found.villages.all() if v.pk == village), None)
    item = ChecklistItem.objects.filter(pk=_param_id(request.POST, "item") or 0).first()
    back = reverse("supervision:round_village", args=[found.pk, village])
    try:
        if place is None or item is None:
            raise InspectionError("bad_item", _("This checklist item does not apply here."))
        result = inspection_item_record(
            round=found,
            village=place,
            item=item,
            is_pass=request.POST.get("result") == "pass",
            actor=request.user,
            key=request.POST.get("key", ""),
            note=request.POST.get("note", ""),
            photos=request.FILES.getlist("photos")[:6],
            **_point(request.POST),
        )
    except (InspectionError, WorkOrderError, ImageRefused) as error:
        if _wants_json(request):
            return JsonResponse(
                {"ok": False, "code": error.code, "message": error.message}, status=409
            )
        messages.error(request, error.message)
        return redirect(back)
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "item": result.item_id,
                "is_pass": result.is_pass,
                "order": result.work_order_id,
                "is_relapse": result.is_relapse,
            }
        )
    messages.success(request, _("%(item)s recorded.") % {"item": item.name})
    return redirect(back)


def _point(data) -> dict:
    """The browser's location of a public place, both coordinates or neither."""
    latitude = _coordinate(data.get("latitude"), 90)
    longitude = _coordinate(data.get("longitude"), 180)
    if latitude is None or longitude is None:
        return {"latitude": None, "longitude": None}
    return {"latitude": latitude, "longitude": longitude}


def _coordinate(value: str | None, limit: int) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if -limit <= number <= limit else None


# --- Campaign tallies (五清一改) -----------------------------------------------------------------


def _campaign(request: HttpRequest, pk: int) -> TallyCampaign:
    found = next((c for c in tallies.tally_campaigns_for(user=request.user) if c.pk == pk), None)
    if found is None:
        raise Http404
    return found


@login_required
def tally_list(request: HttpRequest) -> HttpResponse:
    """The campaigns the user reports, reviews or reads the totals of."""
    campaigns = tallies.tally_campaigns_for(user=request.user)
    if not campaigns and not may(request.user, Kind.TALLY, Action.READ):
        raise Http404
    return TemplateResponse(
        request,
        "supervision/tallies.html",
        {
            "campaigns": campaigns,
            "may_report": may(request.user, Kind.TALLY, Action.WRITE),
            "may_review": may(request.user, Kind.TALLY, Action.APPROVE),
            "may_see_totals": areas_visible_to(request.user, kind=Kind.TALLY)
            .filter(level__in=[Area.Level.DISTRICT, Area.Level.TOWN])
            .exists(),
        },
    )


@login_required
def tally_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee's weekly report on a phone: a quantity per measure, photos, a note."""
    campaign = _campaign(request, pk)
    villages = areas_visible_to(
        request.user, kind=Kind.TALLY, action=Action.WRITE, level=Area.Level.VILLAGE
    )
    if not villages.exists():
        raise Http404
    measures = list(campaign.measures.all())
    replaces = None
    if replaces_id := _param_id(request.POST or request.GET, "replaces"):
        replaces = (
            tallies.tally_report_list(
                user=request.user, campaign=campaign, status=TallyReport.Status.SENT_BACK
            )
            .filter(pk=replaces_id)
            .first()
        )
    if request.method == "POST":
        village = villages.filter(pk=_param_id(request.POST, "village") or 0).first()
        try:
            if village is None:
                raise TallyError("not_a_village", _("Choose the village."))
            try:
                week_on = dt.date.fromisoformat(request.POST.get("week_on", ""))
            except ValueError:
                raise TallyError("bad_week", _("Choose the week.")) from None
            tally_report_submit(
                campaign=campaign,
                village=village,
                week_on=week_on,
                quantities={m.pk: request.POST.get(f"measure-{m.pk}", "") for m in measures},
                actor=request.user,
                key=request.POST.get("key", ""),
                note=request.POST.get("note", ""),
                photos=request.FILES.getlist("photos")[:6],
                replaces=replaces,
            )
        except (TallyError, ImageRefused) as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Report sent to the town for review."))
            return redirect("supervision:tally_report", pk=campaign.pk)
    today = timezone.localdate()
    prefill = {line.measure_id: line.quantity for line in replaces.lines.all()} if replaces else {}
    return TemplateResponse(
        request,
        "supervision/tally_report.html",
        {
            "campaign": campaign,
            "villages": villages,
            "measures": [
                (m, request.POST.get(f"measure-{m.pk}", prefill.get(m.pk, ""))) for m in measures
            ],
            "week_on": request.POST.get("week_on")
            or (
                replaces.week_on if replaces else week_start(min(today, campaign.ends_on))
            ).isoformat(),
            "key": request.POST.get("key") or uuid.uuid4().hex,
            "replaces": replaces,
            "reports": tallies.tally_report_list(user=request.user, campaign=campaign)[:20],
        },
    )


@login_required
def tally_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The town's list of reports waiting for review, each approved or sent back in one tap."""
    campaign = _campaign(request, pk)
    if not may(request.user, Kind.TALLY, Action.APPROVE):
        raise Http404
    reports = tallies.tally_report_list(
        user=request.user,
        campaign=campaign,
        action=Action.APPROVE,
        status=TallyReport.Status.SUBMITTED,
    )
    return TemplateResponse(
        request,
        "supervision/tally_review.html",
        {"campaign": campaign, "reports": reports[:100]},
    )


@login_required
@require_POST
def tally_review_post(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or send back one report (with a reason)."""
    report = (
        visible_to(request.user, TallyReport.objects.all(), kind=Kind.TALLY, action=Action.APPROVE)
        .select_related("village")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    try:
        tally_report_review(
            report=report,
            actor=request.user,
            approve=request.POST.get("decision") == "approve",
            reason=request.POST.get("reason", ""),
        )
    except TallyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Review saved."))
    return redirect("supervision:tally_review", pk=report.campaign_id)


@login_required
def tally_totals(request: HttpRequest, pk: int) -> HttpResponse:
    """The district's (or a town's) approved totals against the targets, by town or village and
    by week; .xlsx of the same (recorded)."""
    campaign = _campaign(request, pk)
    areas = areas_visible_to(request.user, kind=Kind.TALLY).filter(
        level__in=[Area.Level.DISTRICT, Area.Level.TOWN], path__startswith=campaign.district.path
    )
    area = None
    if area_id := _param_id(request.GET, "area"):
        area = areas.filter(pk=area_id).first()
    area = area or areas.order_by("depth", "path").first()
    if area is None:
        raise Http404
    if request.GET.get("format") == "xlsx":
        content = tally_totals_export(user=request.user, campaign=campaign, area=area)
        name = f"{campaign.name} {area.name} {timezone.localdate():%Y%m%d}"
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
        return response
    return TemplateResponse(
        request,
        "supervision/tally_totals.html",
        {
            "campaign": campaign,
            "area": area,
            "table": tallies.tally_totals(campaign=campaign, area=area),
            "may_review": may(request.user, Kind.TALLY, Action.APPROVE, area),
        },
    )
