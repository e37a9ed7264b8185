"""The assessment work desk: dashboards (district → town → village → records), their exports and
the monthly PDF report, entered figures and their approval, the red and black lists. Each view
parses, asks ``registry.permissions``, calls one selector or service and renders."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessment import reports, selectors, services
from assessment.exceptions import AssessmentError
from assessment.forms import EntryForm, ReturnForm
from assessment.models import EnteredFigure, Period, RankingList
from assessment.periods import months_back, period_end
from points.selectors.figures import sorting_rounds_of_village
from registry.models import Area
from registry.params import month_param
from registry.permissions import Action, Kind, may
from registry.scoping import visible_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(request: HttpRequest):
    return month_param(request.GET.get("month"), default=timezone.localdate().replace(day=1))


def _area(request: HttpRequest, area_id: int) -> Area:
    area = get_object_or_404(Area, pk=area_id)
    if area.level == Area.Level.GROUP or not may(request.user, Kind.DASHBOARD, Action.READ, area):
        raise Http404
    return area


def dashboard_home(request: HttpRequest) -> HttpResponse:
    area = selectors.dashboard_home_area(user=request.user)
    if area is None:
        raise Http404
    return redirect("assessment:area", area_id=area.pk)


def area_dashboard(request: HttpRequest, area_id: int) -> HttpResponse:
    area = _area(request, area_id)
    month = _month(request)
    dashboard = selectors.dashboard_get(user=request.user, area=area, month=month)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            reports.dashboard_xlsx(dashboard=dashboard, actor=request.user), content_type=XLSX
        )
        response["Content-Disposition"] = (
            f'attachment; filename="assessment-{area.pk}-{month:%Y-%m}.xlsx"'
        )
        return response
    context = {
        "dashboard": dashboard,
        "page_title": _("Dashboard"),
        "months": months_back(month.replace(day=1), 12)[::-1],
    }
    if area.level == Area.Level.VILLAGE:
        context["entries"] = selectors.village_entries(village=area)
        context["rounds"] = sorting_rounds_of_village(
            village_id=area.pk, start=month, end=period_end(Period.MONTH, month)
        )[:20]
    return TemplateResponse(request, "assessment/dashboard.html", context)


def area_report(request: HttpRequest, area_id: int) -> HttpResponse:
    """The monthly PDF report of a town or the district."""
    area = _area(request, area_id)
    if area.level == Area.Level.VILLAGE:
        raise Http404
    month = _month(request)
    dashboard = selectors.dashboard_get(user=request.user, area=area, month=month)
    lists = selectors.ranking_list_published(area=area, month=month)
    pdf = reports.monthly_report_pdf(dashboard=dashboard, lists=lists, actor=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="report-{area.pk}-{month:%Y-%m}.pdf"'
    return response


# --- Entered figures ---------------------------------------------------------------------------


def entry_list(request: HttpRequest) -> HttpResponse:
    if not may(request.user, Kind.FIGURE, Action.READ):
        raise Http404
    status = request.GET.get("status", "")
    if status not in EnteredFigure.Status.values:
        status = ""
    return TemplateResponse(
        request,
        "assessment/entries.html",
        {
            "entries": selectors.entries_for(user=request.user, status=status)[:200],
            "status": status,
            "statuses": EnteredFigure.Status.choices,
            "can_enter": may(request.user, Kind.FIGURE, Action.WRITE),
            "page_title": _("Entered figures"),
        },
    )


def entry_create(request: HttpRequest) -> HttpResponse:
    if not may(request.user, Kind.FIGURE, Action.WRITE):
        raise Http404
    form = EntryForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_submit(actor=request.user, **form.cleaned_data)
        except AssessmentError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Submitted: the town will review it."))
            return redirect("assessment:entry", pk=entry.pk)
    return TemplateResponse(
        request, "assessment/entry_form.html", {"form": form, "page_title": _("Enter a figure")}
    )


def _entry(request: HttpRequest, pk: int) -> EnteredFigure:
    rows = visible_to(request.user, EnteredFigure.objects.all(), kind=Kind.FIGURE)
    return get_object_or_404(rows.select_related("indicator", "village"), pk=pk)


def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    return TemplateResponse(
        request,
        "assessment/entry.html",
        {
            "entry": entry,
            "events": entry.events.select_related("actor"),
            "can_decide": services.entry_awaits(actor=request.user, entry=entry),
            "return_form": ReturnForm(),
            "page_title": entry.indicator.name,
        },
    )


@require_POST
def entry_decide(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    try:
        if request.POST.get("decision") == "return":
            form = ReturnForm(request.POST)
            services.entry_return(
                actor=request.user,
                entry=entry,
                reason=form.data.get("reason", ""),
            )
            messages.success(request, _("Sent back to the village."))
        else:
            services.entry_approve(actor=request.user, entry=entry)
            messages.success(request, _("Approved."))
    except AssessmentError as refused:
        messages.error(request, refused.message)
    return redirect("assessment:entry", pk=entry.pk)


# --- Red and black lists -----------------------------------------------------------------------


def ranking_list_index(request: HttpRequest) -> HttpResponse:
    if not may(request.user, Kind.ASSESSMENT, Action.READ):
        raise Http404
    return TemplateResponse(
        request,
        "assessment/lists.html",
        {
            "lists": selectors.ranking_lists_for(user=request.user)[:36],
            "page_title": _("Red and black lists"),
        },
    )


def _ranking_list(request: HttpRequest, pk: int) -> RankingList:
    rows = selectors.ranking_lists_for(user=request.user)
    return get_object_or_404(rows, pk=pk)


def ranking_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ranking_list = _ranking_list(request, pk)
    return TemplateResponse(
        request,
        "assessment/list.html",
        {
            "detail": selectors.ranking_list_detail(ranking_list=ranking_list),
            "can_approve": ranking_list.status == RankingList.Status.DRAFT
            and may(request.user, Kind.ASSESSMENT, Action.APPROVE, ranking_list.district),
            "page_title": _("Red and black lists"),
        },
    )


@require_POST
def ranking_list_approve(request: HttpRequest, pk: int) -> HttpResponse:
    ranking_list = _ranking_list(request, pk)
    try:
        services.ranking_list_approve(ranking_list=ranking_list, actor=request.user)
    except AssessmentError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Approved: the lists are on the campaign site."))
    return redirect("assessment:list", pk=ranking_list.pk)
