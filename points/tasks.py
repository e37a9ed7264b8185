from celery import shared_task

from points.services.checks import ledger_check_run


@shared_task
def verify_ledger() -> bool:
    return ledger_check_run().is_clean


@shared_task
def expire_points() -> dict:
    """Daily (Celery beat, 01:30): expire due points and text households 30 days ahead."""
    from dataclasses import asdict

    from django.utils import timezone

    from points.services.expiry import points_expiry_run

    return asdict(points_expiry_run(today=timezone.localdate()))


@shared_task
def photo_thumbnail(photo_id: int) -> None:
    """Make a scoring photo's thumbnail after its upload committed."""
    from points.images import photo_thumbnail_make
    from points.models import Photo

    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is not None:
        photo_thumbnail_make(photo=photo)


@shared_task
def end_publicity() -> dict:
    """Daily (Celery beat, 00:20): award what ended publicity periods allow; idempotent."""
    from dataclasses import asdict

    from points.services.publicity import publicity_end_run

    return asdict(publicity_end_run())


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
)
def award_activity(
    *,
    household_id: int,
    rule_code: str,
    source_type: str,
    source_id: int,
    actor_id: int | None,
    idempotency_key: str,
    rule_category: str = "",
    occurred_on: str | None = None,
    reason: str = "",
) -> int | None:
    """Pay an activity another app announced (points/signals.py). Retried until it lands; the
    idempotency key makes a retry after a half-seen success pay nothing more."""
    import datetime

    from points.services.claims import claim_record_activity
    from registry.models import Household, User

    household = Household.objects.select_related("village").get(pk=household_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    claim = claim_record_activity(
        household=household,
        rule_code=rule_code,
        source_type=source_type,
        source_id=source_id,
        actor=actor,
        idempotency_key=idempotency_key,
        rule_category=rule_category,
        occurred_on=datetime.date.fromisoformat(occurred_on) if occurred_on else None,
        reason=reason,
    )
    return claim.pk if claim else None
