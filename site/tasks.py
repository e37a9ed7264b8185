from celery import shared_task


@shared_task
def send_sms(phone: str, text: str) -> None:
    """Kept for texts queued before the outbox (a rolling deploy); nothing queues it any more."""
    from outbox.sms import sms_deliver

    sms_deliver(phone=phone, text=text)
