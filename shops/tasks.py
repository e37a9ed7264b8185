from celery import shared_task


@shared_task
def print_cards(job_id: int) -> int:
    """Make a PDF of household cards; the job's page shows the progress."""
    from shops.services.cards import card_print_run

    return card_print_run(job_id=job_id).done
