"""The approval queue: points recorded by one person, decided by another (maker-checker)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from points.models import PointsClaim
from points.services.claims import claim_approve, claim_reject, claims_approve_unflagged
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
    return TemplateResponse(
        request,
        "points/admin/claim_queue.html",
        {"page": page, "unflagged": _unflagged(request).count()},
    )


# At most this many claims are approved in one go (the confirmation lists what it covers).
APPROVE_ALL_LIMIT = 200


def _unflagged(request: HttpRequest):
    """Pending claims without a flag that this user may decide (not their own)."""
    return (
        _claims(request)
        .filter(status=PointsClaim.Status.PENDING, flag="")
        .exclude(recorded_by=request.user)
    )


def claim_approve_all(request: HttpRequest) -> HttpResponse:
    """ "Approve all unflagged": a confirmation with the count and points, then one service call
    for exactly the claims that were shown (a claim recorded meanwhile waits for the next go)."""
    if request.method == "POST":
        ids = [int(value) for value in request.POST.getlist("claim") if value.isdigit()]
        shown = list(_unflagged(request).filter(pk__in=ids).values_list("pk", flat=True))
        result = claims_approve_unflagged(claim_ids=shown, approver=request.user)
        if result.approved:
            messages.success(
                request,
                _("Approved %(count)s: the points are in the households' accounts.")
                % {"count": result.approved},
            )
        if result.skipped:
            messages.warning(
                request,
                _("%(count)s were not approved (decided meanwhile or refused); see the queue.")
                % {"count": result.skipped},
            )
        return redirect("points_claims:queue")
    claims = list(
        _unflagged(request)
        .select_related("household__village", "rule_version__rule")
        .prefetch_related("household__members")
        .order_by("recorded_at")[:APPROVE_ALL_LIMIT]
    )
    return TemplateResponse(
        request,
        "points/admin/claim_approve_all.html",
        {
            "claims": claims,
            "points": sum(claim.requested_points for claim in claims),
            "limit": APPROVE_ALL_LIMIT,
        },
    )


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
