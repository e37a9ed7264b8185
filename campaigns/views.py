"""Views of the campaign site outside Wagtail's page tree: class sign-up and cancellation, the
organiser's check-in page, finishing a lesson, and search. Each parses, authorises, calls one
service or selector and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import selectors, services
from campaigns.exceptions import ClassError
from campaigns.models import ClassSession, LessonPage, SessionSignup
from registry.models import Household
from registry.params import safe_next
from registry.permissions import Action, Kind, may
from registry.scoping import visible_to
from registry.selectors import household_list_for_villager
from supervision.selectors.workorders import village_orders_public


def _villager_household(request: HttpRequest) -> Household:
    households = list(household_list_for_villager(user=request.user))
    wanted = request.POST.get("household")
    for household in households:
        if wanted and str(household.pk) == wanted:
            return household
    if not households:
        raise PermissionDenied
    return households[0]


def _live_session(pk: int) -> ClassSession:
    session = get_object_or_404(ClassSession.objects.select_related("page"), pk=pk)
    if not session.page.live:
        raise Http404
    return session


@login_required
@require_POST
def session_sign_up(request: HttpRequest, pk: int) -> HttpResponse:
    session = _live_session(pk)
    household = _villager_household(request)
    try:
        signup = services.session_sign_up(session=session, household=household, actor=request.user)
    except ClassError as error:
        messages.error(request, error.message)
    else:
        if signup.status == SessionSignup.Status.CONFIRMED:
            messages.success(request, _("You have a seat. See you there!"))
        else:
            messages.info(request, _("The seats are taken: you are on the waiting list."))
    return redirect(session.page.url)


@login_required
@require_POST
def signup_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    signup = get_object_or_404(
        visible_to(
            request.user,
            SessionSignup.objects.select_related("session__page"),
            kind=Kind.SIGNUP,
            action=Action.WRITE,
        ),
        pk=pk,
    )
    try:
        services.session_cancel(signup=signup, actor=request.user)
    except ClassError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect(safe_next(request, request.POST.get("next"), signup.session.page.url))


@login_required
def session_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser's phone page: scan or type each villager's code at the door."""
    session = _live_session(pk)
    if not services.may_organise(user=request.user, session=session):
        raise PermissionDenied
    if request.method == "POST":
        try:
            signup = services.session_check_in(
                session=session, code=request.POST.get("code", ""), actor=request.user
            )
        except ClassError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(household)s is checked in.") % {"household": signup.household.masked_name},
            )
        return redirect("campaigns:session_check_in", pk=session.pk)
    signups = (
        session.signups.exclude(status=SessionSignup.Status.CANCELLED)
        .select_related("household")
        .prefetch_related("household__members")
    )
    return render(
        request, "campaigns/check_in.html", {"session": session, "signups": list(signups)}
    )


@login_required
def sessions_to_organise(request: HttpRequest) -> HttpResponse:
    """The organiser's list of coming sessions in their areas, each with its check-in page."""
    if not may(request.user, Kind.CLASS_SESSION, Action.WRITE):
        raise PermissionDenied
    sessions = selectors.sessions_to_organise(user=request.user)
    return render(request, "campaigns/sessions.html", {"sessions": sessions})


@login_required
@require_POST
def lesson_complete(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = get_object_or_404(LessonPage.objects.live(), pk=pk)
    household = _villager_household(request)
    try:
        services.lesson_complete(lesson=lesson, household=household, actor=request.user)
    except ClassError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Well done! You finished this lesson."))
    return redirect(lesson.url)


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:40]
    results = selectors.page_search(query=query) if query else []
    return render(request, "campaigns/search.html", {"query": query, "results": results})


@login_required
def village_orders(request: HttpRequest) -> HttpResponse:
    """村务公开: the work orders of the villager's own village (what, status, deadline and, once
    accepted, the photos of the fix); never a household or a person. Someone who is no village's
    villager gets the page with nothing on it."""
    households = list(household_list_for_villager(user=request.user))
    village = households[0].village if households else None
    orders = village_orders_public(village=village) if village else []
    return render(request, "campaigns/village_orders.html", {"village": village, "orders": orders})
