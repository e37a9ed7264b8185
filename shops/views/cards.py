"""Work-desk pages for printed household cards: order a PDF, watch it print, download it,
report a card lost (reissue). Committee members, town and district admins, in their areas."""

import re

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from registry.models import Area, ExportRecord, Household
from registry.permissions import Action, Kind, may
from registry.scoping import areas_visible_to, visible_to
from shops.exceptions import ShopError
from shops.models import CardPrintJob
from shops.services.cards import card_print_request, card_report_lost

CARDS = {"kind": Kind.CARD, "action": Action.WRITE}


class CardPrintForm(forms.Form):
    village = forms.ModelChoiceField(
        label=gettext_lazy("Village"),
        queryset=Area.objects.none(),
        empty_label=gettext_lazy("Choose a village"),
    )
    numbers = forms.CharField(
        label=gettext_lazy("Household numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Leave empty for every household of the village."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = areas_visible_to(user, level=Area.Level.VILLAGE, **CARDS)

    def clean_numbers(self) -> list[str]:
        return [part for part in re.split(r"[\s,，、;；]+", self.cleaned_data["numbers"]) if part]


class CardLostForm(forms.Form):
    village = forms.ModelChoiceField(
        label=gettext_lazy("Village"),
        queryset=Area.objects.none(),
        empty_label=gettext_lazy("Choose a village"),
    )
    number = forms.CharField(label=gettext_lazy("Household number"), max_length=20)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = areas_visible_to(user, level=Area.Level.VILLAGE, **CARDS)


def _require_printer(request: HttpRequest) -> None:
    if not may(request.user, **CARDS):
        raise Http404


def _job(request: HttpRequest, pk: int) -> CardPrintJob:
    return get_object_or_404(
        visible_to(request.user, CardPrintJob.objects.select_related("village"), **CARDS),
        pk=pk,
    )


def cards_home(request: HttpRequest) -> HttpResponse:
    _require_printer(request)
    form = CardPrintForm(request.POST or None, user=request.user)
    lost_form = CardLostForm(user=request.user, prefix="lost")
    if request.method == "POST" and form.is_valid():
        try:
            job = card_print_request(
                actor=request.user,
                village=form.cleaned_data["village"],
                numbers=form.cleaned_data["numbers"],
            )
        except ShopError as refused:
            form.add_error(None, refused.message)
        else:
            return redirect("shops_cards:job", pk=job.pk)
    jobs = visible_to(request.user, CardPrintJob.objects.select_related("village"), **CARDS)
    return TemplateResponse(
        request,
        "shops/admin/cards.html",
        {
            "form": form,
            "lost_form": lost_form,
            "jobs": jobs[:10],
            "page_title": _("Household cards"),
        },
    )


def cards_lost(request: HttpRequest) -> HttpResponse:
    _require_printer(request)
    if request.method != "POST":
        return redirect("shops_cards:home")
    form = CardLostForm(request.POST, user=request.user, prefix="lost")
    if form.is_valid():
        household = Household.objects.filter(
            village=form.cleaned_data["village"], number=form.cleaned_data["number"]
        ).first()
        if household is None:
            messages.error(request, _("No household with this number in this village."))
            return redirect("shops_cards:home")
        try:
            version = card_report_lost(
                actor=request.user, household=household, note=form.cleaned_data["note"]
            )
            job = card_print_request(
                actor=request.user, village=household.village, numbers=[household.number]
            )
        except ShopError as refused:
            messages.error(request, refused.message)
            return redirect("shops_cards:home")
        messages.success(
            request,
            _("The old card no longer works. New card version %(version)s is being printed.")
            % {"version": version},
        )
        return redirect("shops_cards:job", pk=job.pk)
    messages.error(request, _("Choose the village and type the household number."))
    return redirect("shops_cards:home")


@require_GET
def cards_job(request: HttpRequest, pk: int) -> HttpResponse:
    _require_printer(request)
    job = _job(request, pk)
    return TemplateResponse(
        request, "shops/admin/card_job.html", {"job": job, "page_title": _("Household cards")}
    )


@require_GET
def cards_job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    _require_printer(request)
    job = _job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "is_running": job.is_running,
        }
    )


@require_GET
def cards_job_download(request: HttpRequest, pk: int) -> FileResponse:
    _require_printer(request)
    job = _job(request, pk)
    if job.status != CardPrintJob.Status.DONE or not job.file:
        raise Http404
    # Names and household numbers leave the platform: record the export (PIPL).
    ExportRecord.objects.create(
        user=request.user, kind="household_cards", area=job.village, row_count=job.total
    )
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"household-cards-{job.pk}.pdf",
        content_type="application/pdf",
    )
