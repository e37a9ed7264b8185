from celery import shared_task


@shared_task
def low_stock_alert(item_id: int) -> int:
    """Text the store's shopkeepers and the town that an item is running out."""
    from shops.services.notify import low_stock_notify

    return low_stock_notify(item_id=item_id)


@shared_task
def send_redemption_notices() -> int:
    """Text households about their redemptions and voids (every few seconds, from beat)."""
    from shops.services.notify import redemption_notices_send

    return redemption_notices_send()


@shared_task
def redemption_notify(redemption_id: int) -> int:
    """Kept for messages queued before the outbox (a rolling deploy): sends what is due."""
    return send_redemption_notices()


@shared_task
def print_cards(job_id: int) -> int:
    """Make a PDF of household cards; the job's page shows the progress."""
    from shops.services.cards import card_print_run

    return card_print_run(job_id=job_id).done
