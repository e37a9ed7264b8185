from celery import shared_task


@shared_task(ignore_result=True, acks_late=True)
def roll_up() -> int:
    """Daily (Celery beat, 03:10): figures, scores and the last month's red and black list
    draft (assessment.services.assessment_roll_up). Idempotent: a rerun replaces the rows."""
    from django.utils import timezone

    from assessment.services import assessment_roll_up

    return assessment_roll_up(today=timezone.localdate()).figure_count
