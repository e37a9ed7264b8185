from celery import shared_task

from points.services.checks import ledger_check_run


@shared_task
def verify_ledger() -> bool:
    return ledger_check_run().is_clean
