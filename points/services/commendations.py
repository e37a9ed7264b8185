"""Commendations (评比表彰): nominated by a committee member, approved by the town, published.

Approval starts the publicity period; the award at its end is in ``points.services.publicity``.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from points.exceptions import ScoringError
from points.models import Commendation, EarningRule, Photo
from points.selectors.rules import rule_for
from points.services.keys import key_check, key_check_same
from points.services.publicity import publicity_announce
from registry.models import Household, Member, User
from registry.permissions import Action, Kind, may

Title = Commendation.Title


def commendation_rule_code(title: str) -> str:
    """The earning rule that prices a title: ``commendation-good-daughter-in-law`` and so on.
    Rules are data: the district publishes them (a town or village may override one)."""
    return "commendation-" + title.replace("_", "-")


def commendation_nominate(
    *,
    household: Household,
    title: str,
    citation: str,
    actor: User,
    idempotency_key: str,
    member: Member | None = None,
    photo: Photo | None = None,
    period_start: datetime.date | None = None,
) -> Commendation:
    """Nominate a person (``member``) or a whole household for ``title``, with a citation.
    A repeated key returns the first nomination; the same key for another person, household,
    title or citation is refused (LedgerError key_reused). Raises ScoringError."""
    key_check(idempotency_key)
    existing = Commendation.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        key_check_same(
            existing,
            household_id=household.pk,
            member_id=member.pk if member else None,
            title=title,
            citation=citation.strip()[:1000],
            nominated_by_id=actor.pk,
        )
        return existing
    if title not in Title.values:
        raise ScoringError("bad_title", _("Choose one of the titles."))
    if not may(actor, Kind.COMMENDATION, Action.WRITE, household):
        raise ScoringError("not_in_scope", _("You cannot nominate people of this household."))
    if member is not None and member.household_id != household.pk:
        raise ScoringError("wrong_member", _("This person is not a member of the household."))
    if not citation.strip():
        raise ScoringError("citation_required", _("Say in a few words why."))
    today = timezone.localdate()
    version = rule_for(area=household.village, code=commendation_rule_code(title), on=today)
    if version is None or version.rule.kind != EarningRule.Kind.EARN:
        raise ScoringError(
            "no_rule",
            _(
                "No published earning rule gives points for this title in this village. "
                "Ask the district to publish one first."
            ),
        )
    return Commendation.objects.create(
        village_id=household.village_id,
        title=title,
        period_start=period_start or today.replace(month=1, day=1),
        household=household,
        member=member,
        citation=citation.strip()[:1000],
        photo=photo,
        points=version.points,
        rule_version=version,
        nominated_by=actor,
        idempotency_key=idempotency_key,
    )


def _decide(commendation: Commendation, actor: User) -> Commendation:
    if commendation.nominated_by_id == actor.pk:
        raise ScoringError("own_claim", _("Someone else must decide on your nomination."))
    if not may(actor, Kind.COMMENDATION, Action.APPROVE, commendation.household):
        raise ScoringError("not_in_scope", _("Only the town can approve this nomination."))
    return Commendation.objects.select_for_update().get(pk=commendation.pk)


def commendation_approve(
    *, commendation: Commendation, actor: User, starts_on: datetime.date | None = None
) -> Commendation:
    """The town approves: the publicity period starts (``starts_on``, default today)."""
    with transaction.atomic():
        locked = _decide(commendation, actor)
        if locked.status != Commendation.Status.NOMINATED:
            return locked
        starts_on = starts_on or timezone.localdate()
        locked.status = Commendation.Status.PUBLICITY
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.publicity_starts_on = starts_on
        locked.publicity_ends_on = starts_on + datetime.timedelta(days=locked.publicity_days - 1)
        locked.save()
        publicity_announce(
            village=locked.household.village,
            title=str(locked.get_title_display()),
            ends_on=locked.publicity_ends_on,
            key=f"publicity:commendation:{locked.pk}",
        )
    return locked


def commendation_reject(*, commendation: Commendation, actor: User, note: str) -> Commendation:
    if not note.strip():
        raise ScoringError("reason_required", _("Say why the nomination is not approved."))
    with transaction.atomic():
        locked = _decide(commendation, actor)
        if locked.status != Commendation.Status.NOMINATED:
            return locked
        locked.status = Commendation.Status.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note.strip()[:200]
        locked.save()
    return locked
