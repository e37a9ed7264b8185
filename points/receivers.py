"""Points awarded for activities other apps announce (see points/signals.py)."""


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
) -> None:
    """Receiver of ``activity_completed``: queue the award as a retrying Celery task, so that a
    failure after the activity committed (a lost connection, a restart) does not lose the points.
    The task calls ``points.services.claims.claim_record_activity``."""
    from points.tasks import award_activity as task

    task.delay(
        household_id=household.pk,
        rule_code=rule_code,
        source_type=source_type,
        source_id=source_id,
        actor_id=actor.pk if actor else None,
        idempotency_key=idempotency_key,
        rule_category=rule_category,
        occurred_on=occurred_on.isoformat() if occurred_on else None,
        reason=reason,
    )
