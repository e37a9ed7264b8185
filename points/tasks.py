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
