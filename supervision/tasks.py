"""Celery tasks of supervision: thin, they call a service (schedules: settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task


@shared_task
def escalate_work_orders() -> dict:
    from supervision.services.workorders import work_orders_escalate

    run = work_orders_escalate()
    return {"reminded": run.reminded, "escalated": run.escalated, "flagged": run.flagged}
