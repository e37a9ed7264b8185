"""Garbage-sorting checks: rounds, one-tap grades, conflicts, and the claims they feed.

A grade names a rule (``GRADE_RULES``); the rule's version in force at the village on the round's
date gives the points (a deduction for 不合格). Every grade records a maker-checker claim with the
check as its source, so approval, caps and the ledger work as for any other claim: approved by
another committee member, or at once where the rule allows automatic approval.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from points.exceptions import ScoringError
from points.models import Photo, PointsClaim, SortingCheck, SortingRound
from points.selectors.rules import rule_for
from points.services.claims import check_may_score, claim_record
from points.services.keys import key_check, key_check_same
from points.services.ledger import Source
from registry.models import Area, Household, User

Grade = SortingCheck.Grade
GRADE_RULES: dict[str, str] = {
    Grade.EXCELLENT: "sorting-excellent",
    Grade.GOOD: "sorting-good",
    Grade.PASS: "sorting-pass",
    Grade.FAIL: "sorting-fail",
}
SOURCE_TYPE = "sorting_check"


def sorting_round_open(
    *, village: Area, actor: User, held_on: datetime.date | None = None
) -> SortingRound:
    """The village's round of ``held_on`` (default today), opened if it does not exist yet."""
    if village.level != Area.Level.VILLAGE:
        raise ScoringError("not_a_village", _("A check round belongs to a village."))
    check_may_score(actor, village)
    found, _created = SortingRound.objects.get_or_create(
        village=village,
        held_on=held_on or timezone.localdate(),
        defaults={"created_by": actor},
    )
    return found


def sorting_check_record(
    *,
    round: SortingRound,
    household: Household,
    grade: str,
    actor: User,
    idempotency_key: str,
    note: str = "",
    photo: Photo | None = None,
) -> SortingCheck:
    """Grade ``household`` in ``round``. A repeated ``idempotency_key`` (a phone re-sending a
    queued entry) returns the first check and changes nothing; the same key with another
    household, round, grade, note or scorer is refused (key_reused, points.services.keys).

    Locks the household row while it looks for an earlier grade in the round, so two scorers
    grading the same household at once both see the conflict: both checks are flagged and their
    claims wait for an approver. Raises ScoringError (not_in_scope, wrong_village, no_rule,
    bad_grade) or LedgerError (bad_key, key_reused).
    """
    key = key_check(idempotency_key)
    first = {
        "round_id": round.pk,
        "household_id": household.pk,
        "grade": grade,
        "note": note.strip()[:200],
        "recorded_by_id": actor.pk,
    }
    existing = SortingCheck.objects.filter(idempotency_key=key).first()
    if existing is not None:
        key_check_same(existing, **first)
        return existing
    if grade not in GRADE_RULES:
        raise ScoringError("bad_grade", _("Choose one of the grades."))
    if household.village_id != round.village_id:
        raise ScoringError("wrong_village", _("This household is not in the round's village."))
    if household.status != Household.Status.ACTIVE:
        raise ScoringError("inactive", _("This household is no longer active in the register."))
    check_may_score(actor, round.village)
    version = rule_for(area=round.village, code=GRADE_RULES[grade], on=round.held_on)
    if version is None:
        raise ScoringError("no_rule", _("No earning rule for this grade is in force here."))

    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).first()
        existing = SortingCheck.objects.filter(idempotency_key=key).first()
        if existing is not None:
            key_check_same(existing, **first)
            return existing
        earlier = list(
            SortingCheck.objects.filter(round=round, household=household).values_list(
                "pk", "claim_id"
            )
        )
        check = SortingCheck.objects.create(
            round=round,
            household=household,
            grade=grade,
            rule_version=version,
            points=version.signed_points,
            note=note.strip()[:200],
            photo=photo,
            recorded_by=actor,
            idempotency_key=key,
            is_conflict=bool(earlier),
        )
        flag = (
            _("Graded %(count)s times in this round: compare the grades before approving.")
            % {"count": len(earlier) + 1}
            if earlier
            else ""
        )
        claim = claim_record(
            household=household,
            version=version,
            actor=actor,
            idempotency_key=f"sorting:{check.pk}",
            occurred_on=round.held_on,
            reason=version.name,
            source=Source(type=SOURCE_TYPE, id=check.pk),
            flag=flag,
        )
        check.claim = claim
        check.save(update_fields=["claim"])
        if earlier:
            SortingCheck.objects.filter(pk__in=[pk for pk, _claim in earlier]).update(
                is_conflict=True
            )
            PointsClaim.objects.filter(
                pk__in=[claim_id for _pk, claim_id in earlier if claim_id],
                status=PointsClaim.Status.PENDING,
            ).update(flag=flag)
    return check
