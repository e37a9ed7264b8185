"""Phone pages for garbage-sorting checks, outside the Wagtail admin (``/scoring/sorting/``).

Grades are posted one tap at a time, by a plain form or by ``points/sorting.js`` which queues them
on the phone while offline; either way each entry carries its own idempotency key.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from points.exceptions import ScoringError
from points.images import photo_save
from points.models import SortingCheck, SortingRound
from points.selectors.sorting import (
    household_search,
    household_search_row,
    scoring_villages,
    sorting_round_get,
    sorting_round_list,
    sorting_round_sheet,
)
from points.services.sorting import (
    sorting_check_change,
    sorting_check_record,
    sorting_check_undo,
    sorting_round_open,
)
from registry.exceptions import Refusal
from registry.models import Area, Household
from registry.params import id_param, safe_next
from registry.permissions import Action, Kind, may
from registry.services.codes import CodeRefused, code_read


def _scorer(request: HttpRequest) -> None:
    if not may(request.user, Kind.SCORING, Action.WRITE):
        raise Http404


def _round(request: HttpRequest, pk: int) -> SortingRound:
    _scorer(request)
    try:
        return sorting_round_get(user=request.user, pk=pk)
    except SortingRound.DoesNotExist:
        raise Http404 from None


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    _scorer(request)
    return TemplateResponse(
        request,
        "points/scoring/rounds.html",
        {
            "villages": scoring_villages(user=request.user),
            "rounds": sorting_round_list(user=request.user),
        },
    )


@login_required
@require_POST
def round_open(request: HttpRequest) -> HttpResponse:
    _scorer(request)
    village = get_object_or_404(
        scoring_villages(user=request.user), pk=id_param(request.POST, "village")
    )
    try:
        found = sorting_round_open(village=village, actor=request.user)
    except Refusal as error:
        messages.error(request, error.message)
        return redirect("points:sorting_rounds")
    return redirect("points:sorting_round", pk=found.pk)


@login_required
def round_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The round screen: a group's households in order, one tap each, with the running count."""
    found = _round(request, pk)
    groups = list(found.village.get_children().filter(level=Area.Level.GROUP).order_by("path"))
    group = next((g for g in groups if str(g.pk) == request.GET.get("group")), None)
    if group is None and groups and request.GET.get("group") != "all":
        group = groups[0]
    return TemplateResponse(
        request,
        "points/scoring/round.html",
        {
            "round": found,
            "groups": groups,
            "sheet": sorting_round_sheet(round=found, group=group, viewer=request.user),
            "grades": SortingCheck.Grade.choices,
            "new_key": lambda: uuid.uuid4().hex,
        },
    )


@login_required
def round_find(request: HttpRequest, pk: int) -> HttpResponse:
    """Find a household by its code (scanned or typed) or by name / 户号 / group."""
    found = _round(request, pk)
    code = request.GET.get("code", "").strip()
    if code:
        try:
            scanned = code_read(code, actor=request.user)
        except CodeRefused as error:
            messages.error(request, error.message)
            return redirect("points:sorting_round", pk=found.pk)
        if scanned.household.village_id != found.village_id:
            messages.error(request, _("This household is not in the round's village."))
            return redirect("points:sorting_round", pk=found.pk)
        return redirect("points:sorting_household", pk=found.pk, household=scanned.household.pk)
    text = request.GET.get("q", "")
    return TemplateResponse(
        request,
        "points/scoring/find.html",
        {
            "round": found,
            "rows": household_search(round=found, text=text, viewer=request.user),
            "q": text,
            "grades": SortingCheck.Grade.choices,
            "new_key": lambda: uuid.uuid4().hex,
        },
    )


@login_required
def round_household(request: HttpRequest, pk: int, household: int) -> HttpResponse:
    """One household with the grades, a note and a photo."""
    found = _round(request, pk)
    target = get_object_or_404(
        Household.objects.select_related("group").prefetch_related("members"),
        pk=household,
        village_id=found.village_id,
    )
    checks = SortingCheck.objects.filter(round=found, household=target)
    return TemplateResponse(
        request,
        "points/scoring/household.html",
        {
            "round": found,
            "household": target,
            "checks": checks,
            "grades": SortingCheck.Grade.choices,
            "key": uuid.uuid4().hex,
        },
    )


@login_required
@require_POST
def round_grade(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one tap. Answers JSON to the offline queue, a redirect to a plain form."""
    found = _round(request, pk)
    household = Household.objects.filter(
        pk=id_param(request.POST, "household"), village_id=found.village_id
    ).first()
    back = safe_next(
        request, request.POST.get("next"), reverse("points:sorting_round", args=[found.pk])
    )
    try:
        if household is None:
            raise ScoringError("wrong_village", _("This household is not in the round's village."))
        photo = None
        if request.FILES.get("photo"):
            photo = photo_save(
                upload=request.FILES["photo"], village=found.village, actor=request.user
            )
        check = sorting_check_record(
            round=found,
            household=household,
            grade=request.POST.get("grade", ""),
            actor=request.user,
            idempotency_key=request.POST.get("key", ""),
            note=request.POST.get("note", ""),
            photo=photo,
        )
    except Refusal as error:
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
                "check": check.pk,
                "household": check.household_id,
                "grade": check.get_grade_display(),
                "is_conflict": check.is_conflict,
                # The row as the round screen draws it now (with undo and change).
                "row_html": _row_html(request, found, household, back),
            }
        )
    if check.is_conflict:
        messages.warning(request, _("Graded twice in this round: the approver will compare."))
    else:
        messages.success(
            request,
            _("%(household)s: %(grade)s")
            % {"household": household, "grade": check.get_grade_display()},
        )
    return redirect(back)


def _row_html(request: HttpRequest, found: SortingRound, household: Household, back: str) -> str:
    row = household_search_row(round=found, household=household, viewer=request.user)
    return render_to_string(
        "points/scoring/_row.html",
        {
            "round": found,
            "row": row,
            "grades": SortingCheck.Grade.choices,
            "new_key": lambda: uuid.uuid4().hex,
            "next": back,
        },
        request=request,
    )


def _own_check(request: HttpRequest, found: SortingRound, check: int) -> SortingCheck:
    return get_object_or_404(
        SortingCheck.objects.select_related("household"), pk=check, round=found
    )


@login_required
@require_POST
def check_undo(request: HttpRequest, pk: int, check: int) -> HttpResponse:
    """Undo the scorer's own grade (a mis-tap) within the undo window."""
    found = _round(request, pk)
    target = _own_check(request, found, check)
    back = safe_next(
        request, request.POST.get("next"), reverse("points:sorting_round", args=[found.pk])
    )
    try:
        sorting_check_undo(check=target, actor=request.user)
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(household)s: grade undone.") % {"household": target.household}
        )
    return redirect(back)


@login_required
@require_POST
def check_change(request: HttpRequest, pk: int, check: int) -> HttpResponse:
    """Replace the scorer's own grade with another within the undo window."""
    found = _round(request, pk)
    target = _own_check(request, found, check)
    back = safe_next(
        request, request.POST.get("next"), reverse("points:sorting_round", args=[found.pk])
    )
    try:
        new = sorting_check_change(
            check=target,
            grade=request.POST.get("grade", ""),
            actor=request.user,
            idempotency_key=request.POST.get("key", ""),
        )
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(household)s: changed to %(grade)s")
            % {"household": target.household, "grade": new.get_grade_display()},
        )
    return redirect(back)
