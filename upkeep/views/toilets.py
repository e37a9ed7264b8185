"""Phone pages of the toilet register (``/upkeep/``): the register, import and export, stickers,
the due list and check rounds. Each view parses, authorises through ``registry.permissions``,
calls one service or selector and renders; another area's object is a 404.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from points.images import ImageRefused, photo_save
from registry.models import Area
from registry.params import id_param, month_param
from registry.permissions import Action, Kind, may
from registry.qr import qr_svg
from registry.scoping import areas_visible_to, visible_to
from registry.services.codes import CodeRefused, sticker_read, sticker_token
from upkeep.exceptions import UpkeepError
from upkeep.importing import toilet_export, toilet_import_apply, toilet_import_check
from upkeep.models import CheckRound, Toilet, ToiletCheck, ToiletImport
from upkeep.selectors import service_teams, teams_of_contractor, toilet_due_list, toilet_list
from upkeep.services.toilets import check_round_create, toilet_check_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STICKER = "toilet"
SUMMARY_LABELS = {
    "rows": gettext_lazy("Rows"),
    "created": gettext_lazy("New toilets"),
    "updated": gettext_lazy("Toilets updated"),
    "unchanged": gettext_lazy("Toilets unchanged"),
}


def _require(request: HttpRequest, kind: Kind, action: Action = Action.READ) -> None:
    if not may(request.user, kind, action):
        raise Http404


def _villages(request: HttpRequest, kind: Kind, action: Action = Action.READ):
    return areas_visible_to(request.user, kind=kind, action=action, level=Area.Level.VILLAGE)


def _village(request: HttpRequest, data, kind: Kind, action: Action = Action.READ) -> Area | None:
    """The village named in ``data``; with none named, the user's only village, if one."""
    villages = _villages(request, kind, action)
    pk = id_param(data, "village")
    if pk is not None:
        return get_object_or_404(villages, pk=pk)
    first_two = list(villages[:2])
    return first_two[0] if len(first_two) == 1 else None


def sticker_url(request: HttpRequest, toilet: Toilet) -> str:
    return request.build_absolute_uri(
        reverse("upkeep:sticker", args=[sticker_token(STICKER, toilet.pk)])
    )


# --- The register -------------------------------------------------------------------------------


@login_required
def toilets(request: HttpRequest) -> HttpResponse:
    """A village's toilets (household and public), for staff and inspectors."""
    _require(request, Kind.TOILET)
    if not may(request.user, Kind.TOILET_FILE, Action.READ) and not may(
        request.user, Kind.HOUSEHOLD_LIST, Action.READ
    ):
        raise Http404  # villagers see their own toilet on their household's page
    village = _village(request, request.GET, Kind.TOILET)
    page = None
    if village is not None:
        rows = toilet_list(user=request.user, village=village).prefetch_related(
            "household__members"
        )
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "upkeep/toilets.html",
        {
            "village": village,
            "villages": _villages(request, Kind.TOILET),
            "page": page,
            "may_import": village is not None
            and may(request.user, Kind.TOILET_FILE, Action.WRITE, village),
            "mask_names": not may(request.user, Kind.HOUSEHOLD, Action.READ, village)
            if village
            else True,
        },
    )


class ImportForm(forms.Form):
    village = forms.ModelChoiceField(queryset=Area.objects.none(), label=gettext_lazy("Village"))
    file = forms.FileField(
        label=gettext_lazy("Toilet register file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX}"}),
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["village"].label_from_instance = lambda area: area.name
        first_two = list(villages[:2])
        if len(first_two) == 1:
            self.fields["village"].initial = first_two[0].pk


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Upload a village's toilet register: the dry run runs at once and shows its result."""
    _require(request, Kind.TOILET_FILE, Action.WRITE)
    villages = _villages(request, Kind.TOILET_FILE, Action.WRITE)
    form = ImportForm(request.POST or None, request.FILES or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            job = toilet_import_check(
                actor=request.user,
                village=form.cleaned_data["village"],
                upload=form.cleaned_data["file"],
            )
        except UpkeepError as error:
            form.add_error(None, error.message)
        else:
            return redirect("upkeep:import_detail", pk=job.pk)
    jobs = visible_to(
        request.user, ToiletImport.objects.select_related("village"), kind=Kind.TOILET_FILE
    )[:10]
    return TemplateResponse(
        request, "upkeep/import.html", {"form": form, "jobs": jobs, "villages": villages}
    )


def _job(request: HttpRequest, pk: int) -> ToiletImport:
    jobs = visible_to(
        request.user,
        ToiletImport.objects.select_related("village"),
        kind=Kind.TOILET_FILE,
        action=Action.WRITE,
    )
    return get_object_or_404(jobs, pk=pk)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Kind.TOILET_FILE, Action.WRITE)
    job = _job(request, pk)
    summary = [
        (label, job.summary[key]) for key, label in SUMMARY_LABELS.items() if key in job.summary
    ]
    return TemplateResponse(
        request,
        "upkeep/import_detail.html",
        {"job": job, "summary": summary, "Status": ToiletImport.Status},
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Kind.TOILET_FILE, Action.WRITE)
    job = _job(request, pk)
    try:
        job = toilet_import_apply(job=job, actor=request.user)
    except UpkeepError as error:
        messages.error(request, error.message)
    else:
        if job.status == ToiletImport.Status.DONE:
            messages.success(request, _("The toilet register has been imported."))
    return redirect("upkeep:import_detail", pk=job.pk)


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
    return response


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    _require(request, Kind.TOILET_FILE, Action.WRITE)
    return _xlsx(toilet_export(user=request.user, template=True), _("toilet register template"))


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """A village's toilet register in the import format; every export is recorded."""
    _require(request, Kind.TOILET_FILE)
    village = _village(request, request.GET, Kind.TOILET_FILE)
    if village is None:
        raise Http404
    name = _("%(village)s toilet register %(date)s") % {
        "village": village.name,
        "date": timezone.localdate().strftime("%Y%m%d"),
    }
    return _xlsx(toilet_export(user=request.user, village=village), name)


# --- Stickers -------------------------------------------------------------------------------------


@login_required
def stickers(request: HttpRequest) -> HttpResponse:
    """A sheet of QR stickers for a village's toilets, to print on A4 label paper."""
    _require(request, Kind.TOILET, Action.WRITE)
    village = _village(request, request.GET, Kind.TOILET, Action.WRITE)
    if village is None:
        raise Http404
    rows = visible_to(
        request.user,
        Toilet.objects.filter(village=village).exclude(status=Toilet.Status.REMOVED),
        kind=Kind.TOILET,
        action=Action.WRITE,
    ).select_related("household")
    labels = [
        {
            "toilet": toilet,
            "svg": qr_svg(sticker_url(request, toilet)),
        }
        for toilet in rows.order_by("household__number", "name")
    ]
    return TemplateResponse(request, "upkeep/stickers.html", {"village": village, "labels": labels})


def sticker(request: HttpRequest, token: str) -> HttpResponse:
    """Where a scanned sticker leads: the toilet's page for whoever may ask for service there."""
    try:
        toilet_id = sticker_read(STICKER, token)
    except CodeRefused:
        raise Http404 from None
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?next={request.path}")
    toilet = get_object_or_404(
        visible_to(request.user, Toilet.objects.all(), kind=Kind.TOILET), pk=toilet_id
    )
    return redirect(f"{reverse('upkeep:toilet', args=[toilet.pk])}?via=sticker")


@login_required
def toilet(request: HttpRequest, pk: int) -> HttpResponse:
    toilet = get_object_or_404(
        visible_to(
            request.user, Toilet.objects.select_related("household", "village"), kind=Kind.TOILET
        ),
        pk=pk,
    )
    may_ask = may(request.user, Kind.SERVICE_ORDER, Action.WRITE, toilet) or may(
        request.user, Kind.SERVICE_ORDER, Action.APPROVE, toilet.village
    )
    return TemplateResponse(
        request,
        "upkeep/toilet.html",
        {"toilet": toilet, "may_ask": may_ask, "via": request.GET.get("via", "")[:10]},
    )


# --- Due list -------------------------------------------------------------------------------------


def _month(data) -> datetime.date:
    """The month asked for (``YYYY-MM``), this month when none; a malformed one is a 400."""
    month = month_param(data.get("month"), default=timezone.localdate().replace(day=1))
    assert month is not None
    return month


@login_required
def due(request: HttpRequest) -> HttpResponse:
    """Each month's households due for emptying, per team: the town's and the contractor's view."""
    if may(request.user, Kind.CONTRACTOR_TEAM, Action.READ):
        teams = visible_to(request.user, service_teams(), kind=Kind.CONTRACTOR_TEAM)
    elif may(request.user, Kind.SERVICE_WORK, Action.READ):
        teams = teams_of_contractor(user=request.user)
    else:
        raise Http404
    teams = teams.filter(is_active=True).order_by("area__path", "name")
    team = None
    pk = id_param(request.GET, "team")
    if pk is not None:
        team = get_object_or_404(teams, pk=pk)
    else:
        first_two = list(teams[:2])
        team = first_two[0] if len(first_two) == 1 else None
    month = _month(request.GET)
    rows = toilet_due_list(team=team, month=month) if team is not None else []
    return TemplateResponse(
        request,
        "upkeep/due.html",
        {"teams": teams, "team": team, "month": month, "rows": rows},
    )


# --- Check rounds ---------------------------------------------------------------------------------


class RoundForm(forms.Form):
    area = forms.ModelChoiceField(queryset=Area.objects.none(), label=gettext_lazy("Area"))
    level = forms.ChoiceField(choices=CheckRound.Level.choices, label=gettext_lazy("Ordered by"))
    title = forms.CharField(max_length=100, label=gettext_lazy("Title"))
    starts_on = forms.DateField(
        label=gettext_lazy("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Ends on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["area"].label_from_instance = lambda area: area.name


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request: HttpRequest) -> HttpResponse:
    _require(request, Kind.CHECK_ROUND)
    areas = areas_visible_to(request.user, kind=Kind.CHECK_ROUND, action=Action.WRITE).exclude(
        level=Area.Level.GROUP
    )
    form = RoundForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            created = check_round_create(actor=request.user, **form.cleaned_data)
        except UpkeepError as error:
            form.add_error(None, error.message)
        else:
            return redirect("upkeep:round", pk=created.pk)
    listed = visible_to(
        request.user, CheckRound.objects.select_related("area"), kind=Kind.CHECK_ROUND
    )
    return TemplateResponse(request, "upkeep/rounds.html", {"form": form, "rounds": listed[:30]})


@login_required
def check_round(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Kind.CHECK_ROUND)
    found = get_object_or_404(
        visible_to(request.user, CheckRound.objects.select_related("area"), kind=Kind.CHECK_ROUND),
        pk=pk,
    )
    checks = visible_to(
        request.user,
        ToiletCheck.objects.filter(round=found).select_related(
            "toilet__household", "toilet__village"
        ),
        kind=Kind.CHECK_ROUND,
    ).order_by("toilet__village__path", "toilet__household__number", "toilet__name")
    result = request.GET.get("result", "")
    if result in ToiletCheck.Result.values:
        checks = checks.filter(result=result)
    page = Paginator(checks.prefetch_related("toilet__household__members"), 50).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(
        request,
        "upkeep/round.html",
        {"round": found, "page": page, "result": result, "Result": ToiletCheck.Result},
    )


@login_required
@require_POST
def check_record(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Kind.CHECK_ROUND, Action.WRITE)
    check = get_object_or_404(
        visible_to(
            request.user,
            ToiletCheck.objects.select_related("round", "toilet__household__village"),
            kind=Kind.CHECK_ROUND,
            action=Action.WRITE,
        ),
        pk=pk,
    )
    photo = None
    upload = request.FILES.get("photo")
    try:
        if upload is not None:
            photo = photo_save(upload=upload, village=check.toilet.village, actor=request.user)
        toilet_check_record(
            actor=request.user,
            check=check,
            result=request.POST.get("result", ""),
            note=request.POST.get("note", ""),
            photo=photo,
        )
    except (UpkeepError, ImageRefused) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Recorded."))
    return redirect(f"{reverse('upkeep:round', args=[check.round_id])}#check-{check.pk}")
