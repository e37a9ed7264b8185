"""Phone pages for courtyard appraisals, objections and commendations (``/scoring/…``).

Views parse, check scope through ``registry.permissions`` and call one service each.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from points.images import photo_save
from points.models import (
    AppraisalCampaign,
    AppraisalResult,
    AppraisalScore,
    Commendation,
    Objection,
)
from points.selectors.scoring import publicity_list
from points.selectors.sorting import scoring_villages
from points.services.appraisals import (
    DEFAULT_CRITERIA,
    DEFAULT_LEVELS,
    appraisal_campaign_create,
    appraisal_score_record,
    appraisal_verify,
)
from points.services.commendations import (
    commendation_approve,
    commendation_nominate,
    commendation_reject,
)
from points.services.publicity import objection_raise, objection_resolve
from registry.exceptions import Refusal
from registry.models import Area, Household, Member
from registry.params import date_param, id_param, safe_next
from registry.permissions import Action, Kind, household_ids, may
from registry.scoping import visible_to


def _staff(request: HttpRequest, kind: Kind = Kind.SCORING, action: Action = Action.WRITE) -> None:
    if not may(request.user, kind, action):
        raise Http404


def _campaigns(request: HttpRequest):
    _staff(request)
    return visible_to(
        request.user, AppraisalCampaign.objects.all(), kind=Kind.SCORING, action=Action.WRITE
    )


CRITERION_FIELDS = ("criterion_name", "criterion_max")
LEVEL_FIELDS = ("level_name", "level_stars", "level_min", "level_points")
SPARE_ROWS = 2  # empty rows under the rubric's own, for an item or a level more


def _rubric_rows(post, fields: tuple[str, ...]) -> tuple[list[tuple], list[list[str]], int | None]:
    """Rows of labelled fields (a name, then whole numbers) from the form's parallel lists:
    (parsed rows, the rows as typed, the number of the first bad row or None). Empty rows are
    left out; a row with a name needs every number."""
    columns = [post.getlist(name) for name in fields]
    typed = [
        [(column[i] if i < len(column) else "").strip()[:40] for column in columns]
        for i in range(max(map(len, columns), default=0))
    ]
    parsed = []
    for number, row in enumerate(typed, start=1):
        if not any(row):
            continue
        name, numbers = row[0], row[1:]
        if not name or not all(part.isdigit() for part in numbers):
            return [], typed, number
        parsed.append((name, *(int(part) for part in numbers)))
    return parsed, typed, None


def _with_spare(rows, width: int) -> list[list]:
    rows = [list(row) for row in rows]
    return rows + [[""] * width for _index in range(SPARE_ROWS)]


def _campaign_list(request: HttpRequest, *, criteria=None, levels=None, posted=None, status=200):
    today = timezone.localdate()
    return TemplateResponse(
        request,
        "points/scoring/campaigns.html",
        {
            "campaigns": _campaigns(request).select_related("village")[:30],
            "villages": scoring_villages(user=request.user),
            "month_start": today.replace(day=1),
            "today": today,
            "criteria_rows": _with_spare(criteria or DEFAULT_CRITERIA, 2),
            "level_rows": _with_spare(levels or DEFAULT_LEVELS, 4),
            "posted": posted or {},
        },
        status=status,
    )


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    return _campaign_list(request)


@login_required
@require_POST
def campaign_create(request: HttpRequest) -> HttpResponse:
    """Start an appraisal. A mistake shows the form again with what was typed and says which
    row is wrong; nothing is lost."""
    _staff(request)
    village = get_object_or_404(
        scoring_villages(user=request.user), pk=id_param(request.POST, "village")
    )
    criteria, criteria_typed, bad_criterion = _rubric_rows(request.POST, CRITERION_FIELDS)
    levels, levels_typed, bad_level = _rubric_rows(request.POST, LEVEL_FIELDS)
    start = date_param(request.POST.get("period_start"))
    end = date_param(request.POST.get("period_end"))
    problem = None
    if start is None or end is None:
        problem = _("Enter the dates of the period.")
    elif bad_criterion is not None:
        problem = _("Item row %(row)s: give the item a name and its full marks as a whole number.")
        problem %= {"row": bad_criterion}
    elif bad_level is not None:
        problem = _(
            "Level row %(row)s: give the level a name, its stars, the lowest total and "
            "the points, each as a whole number."
        ) % {"row": bad_level}
    if problem is None:
        try:
            campaign = appraisal_campaign_create(
                village=village,
                title=request.POST.get("title") or _("Beautiful home appraisal"),
                period_start=start,
                period_end=end,
                actor=request.user,
                criteria=criteria or DEFAULT_CRITERIA,
                levels=levels or DEFAULT_LEVELS,
            )
        except Refusal as error:
            problem = error.message
        else:
            return redirect("points:campaign", pk=campaign.pk)
    messages.error(request, problem)
    return _campaign_list(
        request,
        criteria=[row for row in criteria_typed if any(row)] or None,
        levels=[row for row in levels_typed if any(row)] or None,
        posted=request.POST,
        status=400,
    )


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(request).select_related("village"), pk=pk)
    results = {
        result.household_id: result
        for result in AppraisalResult.objects.filter(campaign=campaign)
        .select_related("level")
        .annotate(sheets=Count("scores"))
    }
    heads = Member.objects.filter(relation=Member.Relation.HEAD)
    households = (
        Household.objects.filter(village=campaign.village, status=Household.Status.ACTIVE)
        .select_related("group")
        .prefetch_related(Prefetch("members", queryset=heads))
        .order_by("number")
    )
    query = request.GET.get("q", "").strip()
    if query:
        matches = Household.objects.filter(
            Q(number__icontains=query) | Q(members__name__icontains=query),
            village=campaign.village,
        ).values("pk")
        households = households.filter(pk__in=matches)
    rows = [(household, results.get(household.pk)) for household in households[:200]]
    objections = (
        Objection.objects.filter(result__campaign=campaign)
        .select_related("result__household", "raised_by")
        .prefetch_related(Prefetch("result__household__members", queryset=heads))
    )
    return TemplateResponse(
        request,
        "points/scoring/campaign.html",
        {
            "campaign": campaign,
            "criteria": campaign.criteria.all(),
            "levels": campaign.levels.all(),
            "rows": rows,
            "q": query,
            "objections": objections,
        },
    )


@login_required
def campaign_score(request: HttpRequest, pk: int, household: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(request).select_related("village"), pk=pk)
    target = get_object_or_404(
        Household.objects.prefetch_related("members"), pk=household, village=campaign.village
    )
    criteria = list(campaign.criteria.all())
    if request.method == "POST":
        try:
            scores = {c.pk: int(request.POST.get(f"c{c.pk}", "")) for c in criteria}
        except ValueError:
            messages.error(request, _("Give every item a score."))
            return redirect("points:campaign_score", pk=pk, household=household)
        try:
            photos = [
                photo_save(upload=upload, village=campaign.village, actor=request.user)
                for upload in request.FILES.getlist("photos")[:6]
            ]
            appraisal_score_record(
                campaign=campaign,
                household=target,
                scorer=request.user,
                scores=scores,
                idempotency_key=request.POST.get("key") or uuid.uuid4().hex,
                note=request.POST.get("note", ""),
                photos=photos,
            )
        except Refusal as error:
            messages.error(request, error.message)
            return redirect("points:campaign_score", pk=pk, household=household)
        messages.success(request, _("Scores saved."))
        return redirect("points:campaign", pk=pk)
    sheets = (
        AppraisalScore.objects.filter(result__campaign=campaign, result__household=target)
        .select_related("scorer")
        .prefetch_related("photos")
    )
    return TemplateResponse(
        request,
        "points/scoring/score.html",
        {
            "campaign": campaign,
            "household": target,
            "criteria": criteria,
            "sheets": sheets,
            "key": uuid.uuid4().hex,
        },
    )


@login_required
@require_POST
def campaign_verify(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(_campaigns(request), pk=pk)
    try:
        appraisal_verify(campaign=campaign, actor=request.user)
        messages.success(request, _("Verified: the results are now in publicity."))
    except Refusal as error:
        messages.error(request, error.message)
    return redirect("points:campaign", pk=pk)


@login_required
@require_POST
def objection_answer(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request, Kind.OBJECTION, Action.APPROVE)
    objection = get_object_or_404(
        visible_to(
            request.user, Objection.objects.all(), kind=Kind.OBJECTION, action=Action.APPROVE
        ),
        pk=pk,
    )
    try:
        objection_resolve(
            objection=objection,
            actor=request.user,
            is_upheld=request.POST.get("decision") == "uphold",
            resolution=request.POST.get("resolution", ""),
        )
        messages.success(request, _("Answered."))
    except Refusal as error:
        messages.error(request, error.message)
    return redirect(safe_next(request, request.POST.get("next"), "points:campaigns"))


# --- Villagers: publicity and objections ----------------------------------------------------------


def _home_villages(request: HttpRequest) -> list[Area]:
    households = Household.objects.filter(
        pk__in=household_ids(request.user, Kind.OBJECTION, Action.WRITE)
    ).select_related("village")
    return list({household.village_id: household.village for household in households}.values())


@login_required
def publicity(request: HttpRequest) -> HttpResponse:
    """What is in publicity in the villager's village, with a button to object, and the
    answers to the villager's own objections."""
    villages = _home_villages(request) or list(scoring_villages(user=request.user)[:5])
    notices = [notice for village in villages for notice in publicity_list(area=village)]
    mine = Objection.objects.filter(raised_by=request.user).select_related(
        "result__campaign", "commendation"
    )[:20]
    return TemplateResponse(
        request, "points/scoring/publicity.html", {"notices": notices, "mine": mine}
    )


@login_required
@require_POST
def objection_create(request: HttpRequest) -> HttpResponse:
    _staff(request, Kind.OBJECTION, Action.WRITE)
    target_id = id_param(request.POST, "target_id")
    if request.POST.get("target") == "commendation":
        target = get_object_or_404(Commendation.objects.select_related("village"), pk=target_id)
    else:
        target = get_object_or_404(
            AppraisalResult.objects.select_related("campaign__village"), pk=target_id
        )
    try:
        objection_raise(target=target, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Your objection was sent. The committee will answer here."))
    except Refusal as error:
        messages.error(request, error.message)
    return redirect("points:publicity")


# --- Commendations --------------------------------------------------------------------------------


@login_required
def commendation_list(request: HttpRequest) -> HttpResponse:
    _staff(request, Kind.COMMENDATION, Action.READ)
    items = (
        visible_to(request.user, Commendation.objects.all(), kind=Kind.COMMENDATION)
        .select_related("village", "household", "member", "nominated_by", "photo")
        .prefetch_related("household__members")[:50]
    )
    return TemplateResponse(
        request,
        "points/scoring/commendations.html",
        {
            "items": items,
            "may_approve": may(request.user, Kind.COMMENDATION, Action.APPROVE),
            "titles": Commendation.Title.choices,
            "villages": scoring_villages(user=request.user),
            "key": uuid.uuid4().hex,
        },
    )


@login_required
@require_POST
def commendation_create(request: HttpRequest) -> HttpResponse:
    _staff(request, Kind.COMMENDATION, Action.WRITE)
    village = get_object_or_404(
        scoring_villages(user=request.user), pk=id_param(request.POST, "village")
    )
    household = Household.objects.filter(
        village=village, number=request.POST.get("number", "").strip()
    ).first()
    if household is None:
        messages.error(request, _("No household with this number in the village."))
        return redirect("points:commendations")
    name = request.POST.get("person", "").strip()
    member = household.members.filter(name=name).first() if name else None
    if name and member is None:
        messages.error(request, _("This person is not a member of the household."))
        return redirect("points:commendations")
    try:
        photo = None
        if request.FILES.get("photo"):
            photo = photo_save(upload=request.FILES["photo"], village=village, actor=request.user)
        commendation_nominate(
            household=household,
            member=member,
            title=request.POST.get("title", ""),
            citation=request.POST.get("citation", ""),
            actor=request.user,
            idempotency_key=request.POST.get("key") or uuid.uuid4().hex,
            photo=photo,
        )
        messages.success(request, _("Nominated: the town will decide."))
    except Refusal as error:
        messages.error(request, error.message)
    return redirect("points:commendations")


@login_required
@require_POST
def commendation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request, Kind.COMMENDATION, Action.APPROVE)
    item = get_object_or_404(
        visible_to(
            request.user, Commendation.objects.all(), kind=Kind.COMMENDATION, action=Action.APPROVE
        ),
        pk=pk,
    )
    try:
        if request.POST.get("decision") == "reject":
            commendation_reject(
                commendation=item, actor=request.user, note=request.POST.get("note", "")
            )
            messages.success(request, _("Not approved."))
        else:
            commendation_approve(commendation=item, actor=request.user)
            messages.success(request, _("Approved: the publicity has started."))
    except Refusal as error:
        messages.error(request, error.message)
    return redirect("points:commendations")
