"""Maker-checker for points: record a claim, another person approves it, the ledger pays it."""

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.services import HouseholdNotice, message_send
from points.exceptions import ScoringError
from points.models import Account, EarningRule, EarningRuleVersion, PointsClaim
from points.selectors.rules import local_today, rule_for
from points.services.keys import key_check_same
from points.services.ledger import Source, household_account, points_award, points_deduct
from points.services.rules import rule_award_amount
from registry.exceptions import Refusal
from registry.models import Area, Household, User
from registry.permissions import Action, Kind, may

Status = PointsClaim.Status
logger = logging.getLogger(__name__)


def check_may_score(user: User, village: Area) -> None:
    """Refuse (not_in_scope) a recorder who does not hold their role over ``village``."""
    if not may(user, Kind.SCORING, Action.WRITE, village):
        raise ScoringError("not_in_scope", _("You cannot score households of this village."))


def _claim_create(
    *,
    household: Household,
    version: EarningRuleVersion,
    occurred_on: datetime.date,
    reason: str,
    source: Source | None,
    idempotency_key: str,
    actor: User | None,
    flag: str = "",
) -> tuple[PointsClaim, bool]:
    """Write the claim row; a concurrent call with the same key gets the first row back."""
    if actor is None:
        # recorded_by is required: say so, rather than let the NOT NULL violation pass for a
        # concurrent duplicate below.
        raise ValueError("a claim needs the person who recorded it")
    try:
        with transaction.atomic():
            claim = PointsClaim.objects.create(
                household=household,
                rule_version=version,
                occurred_on=occurred_on,
                reason=(reason or version.name)[:200],
                requested_points=version.signed_points,
                source_type=source.type if source else "",
                source_id=source.id if source else None,
                idempotency_key=idempotency_key,
                recorded_by=actor,
                flag=flag[:200],
            )
    except IntegrityError:
        return PointsClaim.objects.get(idempotency_key=idempotency_key), False
    return claim, True


def claim_record(
    *,
    household: Household,
    version: EarningRuleVersion,
    actor: User,
    idempotency_key: str,
    occurred_on: datetime.date | None = None,
    reason: str = "",
    source: Source | None = None,
    flag: str = "",
) -> PointsClaim:
    """Record points for a household under a rule; a retry with the same key returns the first
    claim (the same key for another household, rule or source is refused: key_reused).
    Approved at once when the rule allows automatic approval of this amount, unless ``flag``
    says what the approver must look at first."""
    existing = PointsClaim.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        _check_same_claim(existing, household=household, version=version, source=source)
        return existing
    if not may(actor, Kind.SCORING, Action.WRITE, household):
        raise ScoringError("not_in_scope", _("You cannot record points for this household."))
    occurred_on = occurred_on or timezone.localdate()
    if not version.is_in_force(occurred_on):
        raise ScoringError("rule_not_in_force", _("This rule is not in force on that date."))
    claim, created = _claim_create(
        household=household,
        version=version,
        occurred_on=occurred_on,
        reason=reason,
        source=source,
        idempotency_key=idempotency_key,
        actor=actor,
        flag=flag,
    )
    if not created:
        _check_same_claim(claim, household=household, version=version, source=source)
        return claim
    limit = version.auto_approve_up_to
    if not flag and limit is not None and abs(version.points) <= limit:
        return _pay(claim=claim, approver=None, status=Status.AUTO_APPROVED, note="")
    return claim


def _check_same_claim(
    claim: PointsClaim, *, household: Household, version: EarningRuleVersion, source: Source | None
) -> None:
    """A claim's key belongs to the first request: the same household, rule and source."""
    key_check_same(
        claim,
        household_id=household.pk,
        rule_version_id=version.pk,
        source_type=source.type if source else "",
        source_id=source.id if source else None,
    )


def claim_approve(*, claim: PointsClaim, approver: User, note: str = "") -> PointsClaim:
    """Approve a pending claim and pay it through the ledger (caps applied at this moment).

    The recorder cannot approve their own claim; the approver must be a committee member of the
    household's village or an administrator above it. Approving twice changes nothing.
    """
    if claim.recorded_by_id == approver.pk:
        raise ScoringError("own_claim", _("Someone else must approve the points you recorded."))
    if not may(approver, Kind.SCORING, Action.APPROVE, claim.household):
        raise ScoringError("not_in_scope", _("You cannot approve points for this household."))
    return _pay(claim=claim, approver=approver, status=Status.APPROVED, note=note)


@dataclass(frozen=True)
class ApproveAllResult:
    approved: int
    skipped: int  # decided meanwhile, flagged, recorded by the approver, or out of scope


def claims_approve_unflagged(*, claim_ids: list[int], approver: User) -> ApproveAllResult:
    """Approve, one by one, the claims of ``claim_ids`` (the ones the approver saw counted and
    confirmed) that are still pending and carry no flag, with claim_approve's own rules: never
    one the approver recorded, never one outside their scope. Each is paid in its own
    transaction, so one refusal (a cap, a scope) does not hold back the others, and a repeated
    call (a double tap) pays nothing twice: a claim already decided is skipped."""
    approved = 0
    wanted = set(claim_ids)
    pending = (
        PointsClaim.objects.filter(pk__in=wanted, status=Status.PENDING, flag="")
        .exclude(recorded_by=approver)
        .select_related("household")
        .order_by("recorded_at", "pk")
    )
    for claim in pending:
        try:
            decided = claim_approve(claim=claim, approver=approver)
        except Refusal:
            continue
        if decided.status == Status.APPROVED and decided.decided_by_id == approver.pk:
            approved += 1
    return ApproveAllResult(approved=approved, skipped=len(wanted) - approved)


def claim_reject(*, claim: PointsClaim, approver: User, note: str) -> PointsClaim:
    if not note.strip():
        raise ScoringError("reason_required", _("Say why the points are rejected."))
    if claim.recorded_by_id == approver.pk:
        raise ScoringError("own_claim", _("Someone else must decide on the points you recorded."))
    if not may(approver, Kind.SCORING, Action.APPROVE, claim.household):
        raise ScoringError("not_in_scope", _("You cannot approve points for this household."))
    with transaction.atomic():
        claim = PointsClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != Status.PENDING:
            return claim
        claim.status = Status.REJECTED
        claim.decided_by = approver
        claim.decided_at = timezone.now()
        claim.decision_note = note[:200]
        claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        message_send(
            template="points.refused",
            data={
                "points": abs(claim.requested_points),
                "reason": claim.reason,
                "note": claim.decision_note,
            },
            households=[claim.household],
            event_key=f"claim:{claim.pk}",
        )
    return claim


def _pay(*, claim: PointsClaim, approver: User | None, status: str, note: str) -> PointsClaim:
    household = claim.household
    account = household_account(household)
    with transaction.atomic():
        # The household account first (the ledger's lock order), so that the caps are read
        # and used under one lock; the ledger's own lock of the same row is then a no-op.
        Account.objects.select_for_update().get(pk=account.pk)
        claim = (
            PointsClaim.objects.select_for_update()
            .select_related("rule_version__rule")
            .get(pk=claim.pk)
        )
        if claim.status != Status.PENDING:
            return claim
        version = claim.rule_version
        amount = rule_award_amount(household=household, version=version, on=claim.occurred_on)
        entry = None
        common: dict[str, Any] = {
            "household": household,
            "reason": claim.reason,
            "idempotency_key": f"claim:{claim.pk}",
            "actor": claim.recorded_by,
            "approver": approver,
            "funded_by": version.rule.area,
            "source": Source(type=claim.source_type or "claim", id=claim.source_id or claim.pk),
            "rule_code": version.rule.code,
            "rule_version": version.version,
            "occurred_on": claim.occurred_on,
            # The household's message, in the ledger's own statement.
            "notice": HouseholdNotice(
                template="points.approved" if amount > 0 else "points.deducted",
                data={"points": abs(amount), "reason": claim.reason},
                event_key=f"claim:{claim.pk}",
            ),
        }
        if amount > 0:
            entry = points_award(amount=amount, **common)
        elif amount < 0:
            entry = points_deduct(amount=-amount, **common)
        claim.status = status
        claim.decided_by = approver
        claim.decided_at = timezone.now()
        claim.decision_note = (
            note[:200] if note else ("" if amount else _("Cap reached: 0 points."))
        )
        claim.transaction = entry
        claim.save(
            update_fields=["status", "decided_by", "decided_at", "decision_note", "transaction"]
        )
    return claim


def claim_record_activity(
    *,
    household: Household,
    rule_code: str,
    source_type: str,
    source_id: int,
    actor: User | None,
    idempotency_key: str,
    rule_category: str = "",
    occurred_on: datetime.date | None = None,
    reason: str = "",
) -> PointsClaim | None:
    """An activity another app verified (a class attended, a lesson finished): record and approve
    at once a claim under the rule ``rule_code`` holding in the household's village; the ledger
    pays it with the rule's caps. No maker-checker: the activity itself is the evidence. The
    idempotency key makes a repeated announcement award nothing. Returns None when no such
    earning rule holds there."""
    existing = PointsClaim.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        key_check_same(
            existing, household_id=household.pk, source_type=source_type, source_id=source_id
        )
        return existing
    on = occurred_on or local_today()
    version = rule_for(area=household.village, code=rule_code, on=on)
    if version is None or version.rule.kind != EarningRule.Kind.EARN:
        logger.info("No earning rule %s holds for household %s", rule_code, household.pk)
        return None
    if rule_category and version.rule.category != rule_category:
        logger.info("Rule %s is not of category %s", rule_code, rule_category)
        return None
    claim, created = _claim_create(
        household=household,
        version=version,
        occurred_on=on,
        reason=reason,
        source=Source(type=source_type, id=source_id),
        idempotency_key=idempotency_key,
        actor=actor,
    )
    if not created:
        key_check_same(
            claim, household_id=household.pk, source_type=source_type, source_id=source_id
        )
        return claim
    return _pay(claim=claim, approver=None, status=Status.AUTO_APPROVED, note="")
