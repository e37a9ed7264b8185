from celery import shared_task


@shared_task(ignore_result=True)
def send_due() -> int:
    """Send every due message delivery (Celery beat, every few seconds; see outbox.services)."""
    from outbox.services import deliveries_send_due

    return deliveries_send_due()
