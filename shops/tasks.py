from celery import shared_task


@shared_task
def send_redemption_notices() -> int:
    """Kept for beat entries and queued tasks from before the outbox (a rolling deploy): the
    receipts now leave through ``outbox.tasks.send_due``."""
    from outbox.services import deliveries_send_due

    return deliveries_send_due()


@shared_task
def low_stock_alert(item_id: int) -> int:
    """Kept for alerts queued before the outbox (a rolling deploy): writes it to the outbox."""
    from django.db import transaction

    from shops.models import CatalogueItem
    from shops.services.notify import low_stock_alert_write

    with transaction.atomic():
        item = CatalogueItem.objects.select_related("store").get(pk=item_id)
        return low_stock_alert_write(item=item)


@shared_task
def print_cards(job_id: int) -> int:
    """Make a PDF of household cards; the job's page shows the progress."""
    from shops.services.cards import card_print_run

    return card_print_run(job_id=job_id).done
