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
from points.services.keys import key_check, key_check_same, key_reused
from points.services.ledger import Source, points_reverse
from registry.models import Area, Household, User

Grade = SortingCheck.Grade
GRADE_RULES: dict[str, str] = {
    Grade.EXCELLENT: "sorting-excellent",
    Grade.GOOD: "sorting-good",
    Grade.PASS: "sorting-pass",
    Grade.FAIL: "sorting-fail",
}
SOURCE_TYPE = "sorting_check"
# How long a scorer may undo or change their own grade (a mis-tap at the door).
UNDO_WINDOW = datetime.timedelta(minutes=10)


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
            SortingCheck.objects.filter(
                round=round, household=household, withdrawn_at__isnull=True
            ).values_list("pk", "claim_id")
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


def sorting_check_undo_refusal(
    *, check: SortingCheck, actor: User, now: datetime.datetime | None = None
) -> ScoringError | None:
    """Why ``actor`` may not undo or change ``check`` now, or None. Cheap: no lock, no claim
    read (the service checks the claim again under its lock)."""
    if check.recorded_by_id != actor.pk:
        return ScoringError("not_your_grade", _("Only the person who gave a grade can undo it."))
    if check.withdrawn_at is not None:
        return ScoringError("already_withdrawn", _("This grade was already undone."))
    if (now or timezone.now()) - check.recorded_at > UNDO_WINDOW:
        return ScoringError(
            "too_late",
            _("A grade can be undone for %(minutes)s minutes only; ask an approver to reject it.")
            % {"minutes": int(UNDO_WINDOW.total_seconds() // 60)},
        )
    return None


def _withdraw(*, check: SortingCheck, actor: User, note: str) -> SortingCheck:
    """Withdraw ``check`` and its claim inside the caller's transaction, after the household's
    lock. A pending claim is withdrawn; one already paid automatically is reversed through the
    ledger (refused as insufficient_points when the household has spent it); one decided by an
    approver is refused (already_decided)."""
    claim = (
        PointsClaim.objects.select_for_update().filter(pk=check.claim_id).first()
        if check.claim_id is not None
        else None
    )
    if claim is not None:
        paid = claim.transaction if claim.transaction_id else None
        if claim.status == PointsClaim.Status.AUTO_APPROVED and paid is not None:
            points_reverse(
                original=paid,
                reason=note,
                idempotency_key=f"sorting-undo:{check.pk}",
                actor=actor,
            )
        elif claim.status not in {PointsClaim.Status.PENDING, PointsClaim.Status.AUTO_APPROVED}:
            raise ScoringError(
                "already_decided",
                _("An approver has already decided on this grade; it cannot be undone."),
            )
        claim.status = PointsClaim.Status.WITHDRAWN
        claim.decided_by = actor
        claim.decided_at = timezone.now()
        claim.decision_note = note[:200]
        claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    check.withdrawn_at = timezone.now()
    check.save(update_fields=["withdrawn_at"])
    # A conflict that only this grade made is over: the one grade left needs no comparison.
    left = list(
        SortingCheck.objects.filter(
            round_id=check.round_id, household_id=check.household_id, withdrawn_at__isnull=True
        )
    )
    if len(left) == 1 and left[0].is_conflict:
        SortingCheck.objects.filter(pk=left[0].pk).update(is_conflict=False)
        PointsClaim.objects.filter(
            pk__in=[left[0].claim_id] if left[0].claim_id else [],
            status=PointsClaim.Status.PENDING,
        ).update(flag="")
    return check


def _locked_check(check: SortingCheck) -> SortingCheck:
    Household.objects.select_for_update().filter(pk=check.household_id).first()
    return (
        SortingCheck.objects.select_for_update().select_related("round__village").get(pk=check.pk)
    )


def sorting_check_undo(*, check: SortingCheck, actor: User) -> SortingCheck:
    """Take back a grade its own scorer gave less than ``UNDO_WINDOW`` ago: the check stays on
    record as withdrawn and its claim is withdrawn (or its automatic payment reversed), so the
    household is as if never graded. Undoing twice changes nothing (a double tap).

    Locks the household row, then the claim (and, for a reversal, the household's account: the
    order sorting_check_record uses). Raises ScoringError (not_your_grade, too_late,
    already_decided, not_in_scope, insufficient_points).
    """
    if check.withdrawn_at is not None and check.recorded_by_id == actor.pk:
        return check
    with transaction.atomic():
        check = _locked_check(check)
        if check.withdrawn_at is not None and check.recorded_by_id == actor.pk:
            return check
        refusal = sorting_check_undo_refusal(check=check, actor=actor)
        if refusal is not None:
            raise refusal
        check_may_score(actor, check.round.village)
        return _withdraw(check=check, actor=actor, note=_("Grade undone by the scorer"))


def sorting_check_change(
    *, check: SortingCheck, grade: str, actor: User, idempotency_key: str
) -> SortingCheck:
    """Replace a grade its own scorer gave less than ``UNDO_WINDOW`` ago with ``grade``: the old
    check and claim are withdrawn (as sorting_check_undo) and a new check with a new claim is
    recorded in the same transaction, so the household never holds two pending claims and is
    not flagged as graded twice. A retry with the same ``idempotency_key`` returns the new
    check. Raises what sorting_check_undo and sorting_check_record raise.
    """
    key = key_check(idempotency_key)
    existing = SortingCheck.objects.filter(idempotency_key=key).first()
    if existing is not None:
        key_check_same(existing, household_id=check.household_id, grade=grade)
        if not SortingCheck.objects.filter(pk=check.pk, replaced_by=existing).exists():
            raise key_reused()
        return existing
    if grade not in GRADE_RULES:
        raise ScoringError("bad_grade", _("Choose one of the grades."))
    with transaction.atomic():
        check = _locked_check(check)
        refusal = sorting_check_undo_refusal(check=check, actor=actor)
        if refusal is not None:
            raise refusal
        check_may_score(actor, check.round.village)
        _withdraw(
            check=check,
            actor=actor,
            note=_("Grade changed by the scorer to %(grade)s") % {"grade": Grade(grade).label},
        )
        new = sorting_check_record(
            round=check.round,
            household=check.household,
            grade=grade,
            actor=actor,
            idempotency_key=key,
            note=check.note,
            photo=check.photo,
        )
        check.replaced_by = new
        check.save(update_fields=["replaced_by"])
    return new
