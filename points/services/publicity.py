"""Publicity periods (公示): objections, their resolution, and the award when a period ends.

An open objection holds the points of the household it names. ``publicity_end_run`` (Celery
beat, daily) awards every result and commendation whose period has ended and that has no open
objection; it is idempotent: each award's ledger key names the result and its revision (or the
commendation), and the row is locked and re-read before paying, so running it twice, or twice at
once, awards once. A result whose objection is rejected after the end is awarded by the next run.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.services import HouseholdNotice, message_send
from points.exceptions import ScoringError
from points.models import (
    AppraisalCampaign,
    AppraisalResult,
    Commendation,
    Objection,
)
from points.services.ledger import Source, points_award
from registry.models import Area, Household, User
from registry.permissions import Action, Kind, household_ids, may

OPEN = Objection.Status.OPEN


def _target_window(target) -> tuple[Area, datetime.date | None, datetime.date | None, bool]:
    if isinstance(target, AppraisalResult):
        campaign = target.campaign
        return (
            campaign.village,
            campaign.publicity_starts_on,
            campaign.publicity_ends_on,
            campaign.status == AppraisalCampaign.Status.PUBLICITY and target.level_id is not None,
        )
    return (
        target.village,
        target.publicity_starts_on,
        target.publicity_ends_on,
        target.status == Commendation.Status.PUBLICITY,
    )


def _lives_in(user: User, village: Area) -> bool:
    own = household_ids(user, Kind.OBJECTION, Action.WRITE)
    return Household.objects.filter(pk__in=own, village=village).exists()


def publicity_announce(*, village: Area, title: str, ends_on: datetime.date, key: str) -> int:
    """Tell every active household of ``village`` (inbox; the template's channels) that results
    are on public display until ``ends_on``. Names no household: the list is on the village's
    publicity page. Call inside the transaction that starts the publicity."""
    return message_send(
        template="points.publicity_started",
        data={"title": title, "ends_on": ends_on.isoformat()},
        households=Household.objects.filter(village=village, status=Household.Status.ACTIVE),
        event_key=key,
    )


def objection_raise(
    *,
    target: AppraisalResult | Commendation,
    actor: User,
    reason: str,
    today: datetime.date | None = None,
) -> Objection:
    """A villager of the village objects, with a reason, during the publicity period. Their own
    open objection to the same target is returned instead of a second one."""
    today = today or timezone.localdate()
    village, starts_on, ends_on, is_published = _target_window(target)
    if (
        not is_published
        or starts_on is None
        or ends_on is None
        or not starts_on <= today <= ends_on
    ):
        raise ScoringError("not_in_publicity", _("Objections are taken only during the publicity."))
    if not (actor.is_superuser or _lives_in(actor, village)):
        raise ScoringError("not_in_scope", _("Only villagers of this village can object."))
    if len(reason.strip()) < 4:
        raise ScoringError("reason_required", _("Please say why you object."))
    field = "result" if isinstance(target, AppraisalResult) else "commendation"
    existing = Objection.objects.filter(**{field: target}, raised_by=actor, status=OPEN).first()
    if existing is not None:
        return existing
    return Objection.objects.create(
        village=village, raised_by=actor, reason=reason.strip()[:500], **{field: target}
    )


def objection_resolve(
    *, objection: Objection, actor: User, is_upheld: bool, resolution: str
) -> Objection:
    """A committee member answers. Upheld: the appraisal result goes back to scoring (a new
    revision, no points until scored again) or the commendation is withdrawn. Rejected: the
    reason is recorded and shown to the objector, and the points are released."""
    if not may(actor, Kind.OBJECTION, Action.APPROVE, objection):
        raise ScoringError("not_in_scope", _("You cannot answer objections of this village."))
    if not resolution.strip():
        raise ScoringError("reason_required", _("Write the answer the villager will read."))
    with transaction.atomic():
        locked = Objection.objects.select_for_update().get(pk=objection.pk)
        if locked.status != OPEN:
            return locked
        locked.status = Objection.Status.UPHELD if is_upheld else Objection.Status.REJECTED
        locked.resolution = resolution.strip()[:300]
        locked.resolved_by = actor
        locked.resolved_at = timezone.now()
        locked.save()
        if is_upheld and locked.result_id:
            result = AppraisalResult.objects.select_for_update().get(pk=locked.result_id)
            if result.transaction_id is None:
                result.revision += 1
                result.total, result.level, result.points = None, None, 0
                result.save(update_fields=["revision", "total", "level", "points"])
        elif is_upheld:
            assert locked.commendation_id is not None  # an objection names a result or this
            Commendation.objects.filter(
                pk=locked.commendation_id, status=Commendation.Status.PUBLICITY
            ).update(status=Commendation.Status.WITHDRAWN)
        message_send(
            template="points.objection_upheld" if is_upheld else "points.objection_rejected",
            data={"answer": locked.resolution},
            users=[locked.raised_by],
            event_key=f"objection:{locked.pk}",
        )
    return locked


@dataclass(frozen=True)
class PublicityEnd:
    awarded: int  # results and commendations paid by this run
    held: int  # waiting for an objection to be answered (or a re-score)
    closed: int  # campaigns closed


def _award_result(result_id: int) -> bool:
    with transaction.atomic():
        result = (
            AppraisalResult.objects.select_for_update(of=("self",))
            .select_related("campaign", "level", "household__village")
            .get(pk=result_id)
        )
        if result.transaction_id is not None or not result.points:
            return False
        if result.objections.filter(status=OPEN).exists():
            return False
        level = result.level
        assert level is not None  # a result with points has its level
        entry = points_award(
            household=result.household,
            amount=result.points,
            reason=f"{result.campaign.title} {level.name}",
            idempotency_key=f"appraisal:{result.pk}:r{result.revision}",
            actor=result.campaign.verified_by,
            approver=result.campaign.verified_by,
            source=Source(type="appraisal_result", id=result.pk),
            notice=HouseholdNotice(
                template="points.published",
                data={"title": f"{result.campaign.title} {level.name}", "points": result.points},
                event_key=f"appraisal:{result.pk}",
            ),
        )
        result.transaction = entry
        result.awarded_at = timezone.now()
        result.save(update_fields=["transaction", "awarded_at"])
    return True


def _award_commendation(commendation_id: int) -> bool:
    with transaction.atomic():
        item = (
            Commendation.objects.select_for_update(of=("self",))
            .select_related("household__village", "rule_version__rule")
            .get(pk=commendation_id)
        )
        if item.status != Commendation.Status.PUBLICITY or item.transaction_id is not None:
            return False
        if item.objections.filter(status=OPEN).exists():
            return False
        entry = points_award(
            household=item.household,
            amount=item.points,
            reason=str(item.get_title_display()),
            idempotency_key=f"commendation:{item.pk}",
            actor=item.nominated_by,
            approver=item.decided_by,
            source=Source(type="commendation", id=item.pk),
            rule_code=item.rule_version.rule.code if item.rule_version else "",
            rule_version=item.rule_version.version if item.rule_version else None,
            notice=HouseholdNotice(
                template="points.published",
                data={"title": str(item.get_title_display()), "points": item.points},
                event_key=f"commendation:{item.pk}",
            ),
        )
        item.transaction = entry
        item.status = Commendation.Status.AWARDED
        item.awarded_at = timezone.now()
        item.save(update_fields=["transaction", "status", "awarded_at"])
    return True


def publicity_end_run(*, today: datetime.date | None = None) -> PublicityEnd:
    """Award what the publicity periods ended before ``today`` allow (see the module docstring).
    A campaign closes once every starred result is paid and nothing is held."""
    today = today or timezone.localdate()
    awarded = held = closed = 0
    campaigns = AppraisalCampaign.objects.filter(
        status=AppraisalCampaign.Status.PUBLICITY, publicity_ends_on__lt=today
    )
    for campaign in campaigns:
        pending = AppraisalResult.objects.filter(campaign=campaign, transaction__isnull=True)
        for result_id in pending.filter(points__gt=0).values_list("pk", flat=True):
            if _award_result(result_id):
                awarded += 1
            else:
                held += 1
        waiting = (
            Objection.objects.filter(result__campaign=campaign, status=OPEN).exists()
            or pending.filter(revision__gt=1, total__isnull=True).exists()
            or pending.filter(points__gt=0).exists()
        )
        if not waiting:
            AppraisalCampaign.objects.filter(pk=campaign.pk).update(
                status=AppraisalCampaign.Status.CLOSED
            )
            closed += 1
    ended = Commendation.objects.filter(
        status=Commendation.Status.PUBLICITY, publicity_ends_on__lt=today
    ).values_list("pk", flat=True)
    for commendation_id in ended:
        if _award_commendation(commendation_id):
            awarded += 1
        else:
            held += 1
    return PublicityEnd(awarded=awarded, held=held, closed=closed)
