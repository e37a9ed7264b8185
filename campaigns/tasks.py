from celery import shared_task
from django.core.management import call_command


@shared_task(ignore_result=True)
def publish_scheduled() -> None:
    """Publish pages whose scheduled time has come and unpublish expired ones: Wagtail's own
    ``publish_scheduled`` command, run every minute by Celery beat instead of a system cron."""
    call_command("publish_scheduled")


@shared_task(ignore_result=True)
def remind_classes() -> int:
    """Remind the households with a seat at tomorrow's sessions (daily, from beat)."""
    from campaigns.services import class_reminders_send

    return class_reminders_send()
