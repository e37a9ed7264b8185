"""Celery tasks of the register: thin interfaces that load by id and call a service."""

import logging

from celery import shared_task

from registry.exceptions import RegisterError
from registry.importing.jobs import register_import_apply, register_import_check
from registry.models import HouseholdImport, User

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def register_import_check_task(job_id: int) -> None:
    """The dry run of an uploaded register file. Safe to run again: it writes only the job."""
    job = HouseholdImport.objects.select_related("village").filter(pk=job_id).first()
    if job is None:
        return
    try:
        register_import_check(job=job)
    except RegisterError as exc:
        logger.warning("register import %s: check refused (%s)", job_id, exc.code)


# Not retried and not acknowledged late: a second run would find the job no longer READY.
@shared_task(acks_late=False)
def register_import_apply_task(job_id: int, actor_id: int) -> None:
    """The import of a checked register file, confirmed by ``actor_id``."""
    job = HouseholdImport.objects.select_related("village").filter(pk=job_id).first()
    actor = User.objects.filter(pk=actor_id).first()
    if job is None or actor is None:
        return
    try:
        register_import_apply(job=job, actor=actor)
    except RegisterError as exc:
        logger.warning("register import %s: import refused (%s)", job_id, exc.code)


@shared_task
def purge_phone_codes() -> int:
    """Hourly: forget phone codes that expired an hour ago (they are refused as expired anyway)."""
    from registry.services.codes import phone_codes_purge as purge

    return purge()
