"""Admin screens for the Excel import and export of a village's household register (台账).

Every view needs a register manager (committee, town or district administrator) and shows only
what ``visible_to`` lets them see: another village's job or export is a 404.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from kombu.exceptions import OperationalError as BrokerUnreachable

from registry.exceptions import RegisterError
from registry.importing.export import register_export, register_template_build
from registry.importing.format import ImportRefused
from registry.importing.jobs import register_import_create, register_import_progress
from registry.models import Area, HouseholdImport
from registry.permissions import Action, Kind, may
from registry.scoping import areas_visible_to, visible_to
from registry.tasks import register_import_apply_task, register_import_check_task

logger = logging.getLogger(__name__)

REGISTER = {"kind": Kind.REGISTER_FILE, "action": Action.WRITE}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Status = HouseholdImport.Status

SUMMARY_LABELS = {
    "rows": gettext_lazy("Rows of people"),
    "households": gettext_lazy("Households in the file"),
    "households_created": gettext_lazy("New households"),
    "households_updated": gettext_lazy("Households updated"),
    "households_unchanged": gettext_lazy("Households unchanged"),
    "members_created": gettext_lazy("New members"),
    "members_updated": gettext_lazy("Members updated"),
    "members_moved": gettext_lazy("Members moved to another household of the village"),
    "members_unchanged": gettext_lazy("Members unchanged"),
    "members_not_in_file": gettext_lazy("Members in the register but not in the file (kept)"),
    "heads_demoted": gettext_lazy("Former heads not in the file (kept as “other”)"),
}


def _manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may(user, **REGISTER):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _villages(user: Any) -> Any:
    return areas_visible_to(user, level=Area.Level.VILLAGE, **REGISTER)


def _limit_villages(field: forms.ModelChoiceField, user: Any) -> None:
    """Offer the user's own villages; a committee member with one village finds it chosen."""
    villages = _villages(user)
    field.queryset = villages
    first_two = list(villages[:2])
    if len(first_two) == 1:
        field.initial = first_two[0].pk


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return obj.name


class RegisterImportForm(forms.Form):
    village = VillageChoiceField(
        queryset=Area.objects.none(),
        label=gettext_lazy("Village"),
        empty_label=gettext_lazy("Choose a village"),
    )
    file = forms.FileField(
        label=gettext_lazy("Register file"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX}"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _limit_villages(self.fields["village"], user)
        self.fields["file"].help_text = _(
            "An .xlsx file made from the template, at most %(size)s MB."
        ) % {"size": settings.REGISTER_IMPORT_MAX_BYTES // 2**20}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        max_bytes = settings.REGISTER_IMPORT_MAX_BYTES
        if upload.size > max_bytes:
            raise forms.ValidationError(ImportRefused("too_large", max=max_bytes // 2**20).message)
        return upload


class RegisterExportForm(forms.Form):
    village = VillageChoiceField(
        queryset=Area.objects.none(),
        label=gettext_lazy("Village"),
        empty_label=gettext_lazy("Choose a village"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _limit_villages(self.fields["village"], user)


def _job_or_404(request: HttpRequest, pk: int) -> HouseholdImport:
    jobs = visible_to(
        request.user,
        HouseholdImport.objects.select_related("village", "created_by"),
        **REGISTER,
    )
    return get_object_or_404(jobs, pk=pk)


def _detail_url(job: HouseholdImport) -> str:
    return reverse("registry_admin:register_import_detail", args=[job.pk])


def _queue_check(job_id: int) -> None:
    """Hand the uploaded file's check to Celery. If the queue cannot be reached the job says so
    (its page shows why; the file can be uploaded again) instead of checking for ever, as card
    printing does (shops.services.cards)."""
    try:
        register_import_check_task.delay(job_id)
    except BrokerUnreachable:
        logger.error("Register import %s not queued: the Celery broker cannot be reached", job_id)
        HouseholdImport.objects.filter(pk=job_id, status=Status.UPLOADED).update(
            status=Status.FAILED,
            refusal=_(
                "The work queue cannot be reached, so the file was not checked. "
                "Upload it again in a few minutes."
            ),
            finished_at=timezone.now(),
        )


@_manager_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Upload a file for a village; the check runs as a task once the job is saved."""
    form = RegisterImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = register_import_create(
                actor=request.user,
                village=form.cleaned_data["village"],
                upload=form.cleaned_data["file"],
            )
        except RegisterError as exc:
            form.add_error(None, exc.message)
        else:
            transaction.on_commit(lambda: _queue_check(job.pk))
            return redirect(_detail_url(job))
    jobs = visible_to(
        request.user,
        HouseholdImport.objects.select_related("village", "created_by"),
        **REGISTER,
    ).order_by("-created_at")[:20]
    return render(
        request,
        "registry/import/start.html",
        {
            "form": form,
            "export_form": RegisterExportForm(user=request.user, auto_id="export_%s"),
            "jobs": jobs,
        },
    )


@_manager_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    # Just confirmed: the task may not have picked the job up yet, so keep watching.
    is_waiting = job.is_running or (job.status == Status.READY and "confirmed" in request.GET)
    # Zero counts other than the totals are left out: the list must stay short on a phone.
    summary = [
        (label, job.summary[key])
        for key, label in SUMMARY_LABELS.items()
        if job.summary.get(key) or (key in job.summary and key in {"rows", "households"})
    ]
    return render(
        request,
        "registry/import/detail.html",
        {
            "job": job,
            "is_waiting": is_waiting,
            "progress": register_import_progress(job.pk),
            "summary": summary,
            "hidden_error_count": max(job.error_count - len(job.errors), 0),
            "progress_text_template": _("%(done)s of %(total)s")
            % {"done": "__done__", "total": "__total__"},
            "Status": Status,
        },
    )


@_manager_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    job = _job_or_404(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "is_running": job.is_running,
            **register_import_progress(job.pk),
        }
    )


@_manager_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    if job.status != Status.READY:
        messages.error(request, _("Only a checked file without errors can be imported."))
        return redirect(_detail_url(job))
    try:
        register_import_apply_task.delay(job.pk, request.user.pk)
    except BrokerUnreachable:
        # The job stays ready: nothing is lost, confirming again later starts it.
        logger.error("Register import %s not queued: the Celery broker cannot be reached", job.pk)
        messages.error(
            request,
            _(
                "The work queue cannot be reached, so the import has not started. Try again in a few minutes."
            ),
        )
        return redirect(_detail_url(job))
    messages.success(request, _("The import has started."))
    return redirect(f"{_detail_url(job)}?confirmed=1")


@_manager_required
@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(register_template_build(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, _("register template") + ".xlsx"
    )
    return response


@_manager_required
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    """The village's register as .xlsx; a village outside the user's scope does not exist."""
    data = request.POST if request.method == "POST" else request.GET
    try:
        village = _villages(request.user).get(pk=int(data.get("village", "")))
    except (ValueError, Area.DoesNotExist) as exc:
        raise Http404 from exc
    try:
        content = register_export(user=request.user, village=village)
    except RegisterError as exc:
        raise Http404 from exc
    filename = _("%(village)s register %(date)s") % {
        "village": village.name,
        "date": timezone.localdate().strftime("%Y%m%d"),
    }
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.xlsx")
    return response
