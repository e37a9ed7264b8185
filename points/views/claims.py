"""The approval queue: points recorded by one person, decided by another (maker-checker)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from points.models import PointsClaim
from points.services.claims import claim_approve, claim_reject
from registry.exceptions import Refusal
from registry.permissions import Action, Kind, may
from registry.scoping import visible_to


def _claims(request: HttpRequest):
    if not may(request.user, Kind.SCORING, Action.APPROVE):
        raise Http404
    return visible_to(
        request.user, PointsClaim.objects.all(), kind=Kind.SCORING, action=Action.APPROVE
    )


def claim_queue(request: HttpRequest) -> HttpResponse:
    pending = (
        _claims(request)
        .filter(status=PointsClaim.Status.PENDING)
        .select_related("household__village", "rule_version__rule", "recorded_by")
        .prefetch_related("household__members")
        .order_by("recorded_at")
    )
    page = Paginator(pending, 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "points/admin/claim_queue.html", {"page": page})


@require_POST
def claim_decide(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(_claims(request), pk=pk)
    try:
        if request.POST.get("decision") == "reject":
            claim_reject(claim=claim, approver=request.user, note=request.POST.get("note", ""))
            messages.success(request, _("Rejected."))
        else:
            claim_approve(claim=claim, approver=request.user)
            messages.success(request, _("Approved: the points are in the household's account."))
    except Refusal as error:
        messages.error(request, error.message)
    return redirect("points_claims:queue")
