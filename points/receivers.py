"""Points awarded for activities other apps announce (see points/signals.py)."""

import logging

from django.db import IntegrityError, transaction

from points.models import EarningRule, PointsClaim
from points.selectors_rules import local_today, rule_for
from points.services.claims import _pay

logger = logging.getLogger(__name__)


def award_activity(
    sender,
    *,
    household,
    rule_code: str,
    source_type: str,
    source_id: int,
    actor,
    idempotency_key: str,
    rule_category: str = "",
    occurred_on=None,
    reason: str = "",
    **kwargs,
) -> PointsClaim | None:
    """Record and approve at once a claim under the rule ``rule_code`` holding in the household's
    village; the ledger pays it with the rule's caps. The idempotency key makes a repeated signal
    award nothing. Returns None when no such earning rule holds there."""
    existing = PointsClaim.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    on = occurred_on or local_today()
    version = rule_for(area=household.village, code=rule_code, on=on)
    if version is None or version.rule.kind != EarningRule.Kind.EARN:
        logger.info("No earning rule %s holds for household %s", rule_code, household.pk)
        return None
    if rule_category and version.rule.category != rule_category:
        logger.info("Rule %s is not of category %s", rule_code, rule_category)
        return None
    try:
        with transaction.atomic():
            claim = PointsClaim.objects.create(
                household=household,
                rule_version=version,
                occurred_on=on,
                reason=(reason or version.name)[:200],
                requested_points=version.signed_points,
                source_type=source_type,
                source_id=source_id,
                idempotency_key=idempotency_key,
                recorded_by=actor,
            )
    except IntegrityError:
        return PointsClaim.objects.get(idempotency_key=idempotency_key)
    return _pay(claim=claim, approver=None, status=PointsClaim.Status.AUTO_APPROVED, note="")
