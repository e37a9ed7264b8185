"""Courtyard appraisals: campaigns with a rubric, scorers' sheets, verification.

A household's result is the mean of its scorers' totals for the current revision; the star level
is the highest whose minimum total the mean reaches. Verification by a committee member who did
not score starts the publicity period; objections and the award at its end are in
``points.services.publicity``.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from points.exceptions import ScoringError
from points.models import (
    AppraisalCampaign,
    AppraisalCriterion,
    AppraisalLevel,
    AppraisalResult,
    AppraisalScore,
    Photo,
)
from points.services.claims import check_may_score
from points.services.keys import key_check, key_check_same, key_reused
from points.services.publicity import publicity_announce
from registry.models import Area, Household, User

Status = AppraisalCampaign.Status

# A rubric most villages start from: (criterion, maximum) and (level, stars, minimum, points).
DEFAULT_CRITERIA = [
    ("院落整洁", 20),
    ("物品有序", 20),
    ("绿化美化", 20),
    ("厕所干净", 20),
    ("家风家训上墙", 20),
]
DEFAULT_LEVELS = [("五星美家", 5, 90, 30), ("四星美家", 4, 80, 20), ("三星美家", 3, 70, 10)]


def appraisal_campaign_create(
    *,
    village: Area,
    title: str,
    period_start: datetime.date,
    period_end: datetime.date,
    actor: User,
    criteria: list[tuple[str, int]] | None = None,
    levels: list[tuple[str, int, int, int]] | None = None,
    publicity_days: int = 7,
) -> AppraisalCampaign:
    """Open a campaign with its rubric (default: ``DEFAULT_CRITERIA`` and ``DEFAULT_LEVELS``)."""
    check_may_score(actor, village)
    criteria = criteria or DEFAULT_CRITERIA
    levels = levels or DEFAULT_LEVELS
    if period_end < period_start:
        raise ScoringError("bad_period", _("The period ends before it starts."))
    maximum = sum(max_score for _name, max_score in criteria)
    if any(max_score < 1 for _name, max_score in criteria) or any(
        not 0 < minimum <= maximum or points < 0 for _name, _stars, minimum, points in levels
    ):
        raise ScoringError("bad_rubric", _("Each level needs a minimum within the total score."))
    with transaction.atomic():
        campaign = AppraisalCampaign.objects.create(
            village=village,
            title=title.strip()[:80],
            period_start=period_start,
            period_end=period_end,
            publicity_days=max(1, publicity_days),
            created_by=actor,
        )
        AppraisalCriterion.objects.bulk_create(
            AppraisalCriterion(campaign=campaign, name=name, max_score=max_score, position=index)
            for index, (name, max_score) in enumerate(criteria)
        )
        AppraisalLevel.objects.bulk_create(
            AppraisalLevel(
                campaign=campaign, name=name, stars=stars, min_total=minimum, points=points
            )
            for name, stars, minimum, points in levels
        )
    return campaign


def _mean(totals: list[int]) -> Decimal:
    return (Decimal(sum(totals)) / len(totals)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _settle(result: AppraisalResult) -> None:
    """Recompute the mean, level and points of ``result`` from its current revision."""
    totals = list(result.scores.filter(revision=result.revision).values_list("total", flat=True))
    result.total = _mean(totals) if totals else None
    level = None
    if result.total is not None:
        level = (
            AppraisalLevel.objects.filter(
                campaign_id=result.campaign_id, min_total__lte=result.total
            )
            .order_by("-min_total")
            .first()
        )
    result.level = level
    result.points = level.points if level else 0
    result.save(update_fields=["total", "level", "points"])


def appraisal_score_record(
    *,
    campaign: AppraisalCampaign,
    household: Household,
    scorer: User,
    scores: dict[int, int],
    idempotency_key: str,
    note: str = "",
    photos: list[Photo] | None = None,
) -> AppraisalScore:
    """Record one scorer's sheet (a score for every criterion) and update the household's mean.

    Allowed while the campaign is scoring, and afterwards for a household whose objection was
    upheld (its result waits for a new score). A repeated key returns the first sheet; the same
    key for another household, scorer or other scores is refused. Raises ScoringError
    (not_in_scope, wrong_village, closed, bad_scores, already_scored) or LedgerError (bad_key,
    key_reused, from points.services.keys).
    """
    key_check(idempotency_key)
    existing = (
        AppraisalScore.objects.select_related("result")
        .filter(idempotency_key=idempotency_key)
        .first()
    )
    if existing is not None:
        key_check_same(existing, scorer_id=scorer.pk, note=note.strip()[:200])
        key_check_same(existing.result, campaign_id=campaign.pk, household_id=household.pk)
        if existing.scores != {str(pk): value for pk, value in scores.items()}:
            raise key_reused()
        return existing
    check_may_score(scorer, campaign.village)
    if household.village_id != campaign.village_id:
        raise ScoringError("wrong_village", _("This household is not in the appraisal's village."))
    criteria = list(campaign.criteria.all())
    clean: dict[str, int] = {}
    for criterion in criteria:
        value = scores.get(criterion.pk)
        if value is None or not 0 <= int(value) <= criterion.max_score:
            raise ScoringError(
                "bad_scores",
                _("Give %(name)s a score from 0 to %(max)s.")
                % {"name": criterion.name, "max": criterion.max_score},
            )
        clean[str(criterion.pk)] = int(value)
    with transaction.atomic():
        result, _created = AppraisalResult.objects.select_for_update().get_or_create(
            campaign=campaign, household=household
        )
        rescoring = result.revision > 1 and result.total is None
        status = AppraisalCampaign.objects.values_list("status", flat=True).get(pk=campaign.pk)
        if status != Status.SCORING and not rescoring:
            raise ScoringError("closed", _("Scoring of this appraisal has ended."))
        if result.scores.filter(scorer=scorer, revision=result.revision).exists():
            raise ScoringError("already_scored", _("You have already scored this household."))
        sheet = AppraisalScore.objects.create(
            result=result,
            revision=result.revision,
            scorer=scorer,
            scores=clean,
            total=sum(clean.values()),
            note=note.strip()[:200],
            idempotency_key=idempotency_key,
        )
        if photos:
            sheet.photos.set(photos)
        _settle(result)
    return sheet


def appraisal_verify(
    *, campaign: AppraisalCampaign, actor: User, starts_on: datetime.date | None = None
) -> AppraisalCampaign:
    """The committee checks the results and starts the publicity period (公示, ``publicity_days``
    days from ``starts_on``, default today). The verifier must not have scored in the campaign."""
    check_may_score(actor, campaign.village)
    if AppraisalScore.objects.filter(result__campaign=campaign, scorer=actor).exists():
        raise ScoringError("own_scores", _("Someone who did not score must verify the results."))
    with transaction.atomic():
        campaign = AppraisalCampaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != Status.SCORING:
            return campaign
        if not campaign.results.filter(total__isnull=False).exists():
            raise ScoringError("no_results", _("No household has been scored yet."))
        starts_on = starts_on or timezone.localdate()
        campaign.status = Status.PUBLICITY
        campaign.verified_by = actor
        campaign.verified_at = timezone.now()
        campaign.publicity_starts_on = starts_on
        campaign.publicity_ends_on = starts_on + datetime.timedelta(
            days=campaign.publicity_days - 1
        )
        campaign.save(
            update_fields=[
                "status",
                "verified_by",
                "verified_at",
                "publicity_starts_on",
                "publicity_ends_on",
            ]
        )
        publicity_announce(
            village=campaign.village,
            title=campaign.title,
            ends_on=campaign.publicity_ends_on,
            key=f"publicity:campaign:{campaign.pk}",
        )
    return campaign
