"""Excel import and export of a village's household register (台账).

The file has one row per person under a header row (see ``COLUMNS``); a household's village group
and address come from its 户主 row. An upload is first checked (``register_import_check``): a dry
run that reads the whole file, validates every row against the file and the register, and writes
only the job row. Once a person confirms, ``register_import_apply`` reads the file again,
re-validates against the register as it is then and writes every household and member in one
transaction. Matching is by (village, 户号) for households and by ID-card number, else by
(household, name), for members, so importing the same file twice changes nothing the second time.

Phone and ID-card numbers are never logged; the job's error list holds them masked.
"""

import logging
import traceback
import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.exceptions import RegisterError
from registry.importing.format import (
    FAILED_MESSAGE,
    STORED_ERRORS_MAX,
    ImportRefused,
    ProgressCallback,
    is_register_manager,
)
from registry.importing.planning import rows_plan
from registry.importing.workbook import Sheet, sheet_read, upload_read
from registry.importing.writing import plan_write
from registry.models import (
    Area,
    HouseholdImport,
    User,
)

logger = logging.getLogger(__name__)

Status = HouseholdImport.Status

# --- Progress -----------------------------------------------------------------------------------
# The apply runs in one transaction, so its progress cannot be read from the database: it is
# written to the cache, which is shared between processes in production (Redis).


def _progress_key(job_id: int) -> str:
    return f"registry:import-progress:{job_id}"


def _progress_set(job_id: int, phase: str, done: int = 0, total: int = 0) -> None:
    cache.set(
        _progress_key(job_id),
        {"phase": phase, "done": done, "total": max(total, done)},
        timeout=24 * 60 * 60,
    )


def register_import_progress(job_id: int) -> dict[str, Any]:
    """Where a running check or import is: ``phase`` (reading, checking, writing, done or "")."""
    progress = cache.get(_progress_key(job_id)) or {"phase": "", "done": 0, "total": 0}
    total = progress["total"]
    progress["percent"] = min(100, round(100 * progress["done"] / total)) if total else 0
    return progress


# --- Services -----------------------------------------------------------------------------------


def _progress_callback(job_id: int) -> ProgressCallback:
    def on_progress(phase: str, done: int, total: int) -> None:
        _progress_set(job_id, phase, done, total)

    return on_progress


def _log_failure(job: HouseholdImport, exc: BaseException, action: str) -> None:
    # The exception's message may quote a cell (an ID or phone number): log its type and
    # where it was raised, never its text.
    logger.error(
        "register import %s: %s failed with %s\n%s",
        job.pk,
        action,
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)),
    )


def _discard_file(job: HouseholdImport) -> None:
    """Delete the uploaded file (it holds ID and phone numbers) once the job is finished."""
    if job.file:
        name, storage = job.file.name, job.file.storage
        transaction.on_commit(lambda: storage.delete(name))


def _job_save(job: HouseholdImport, **changes: Any) -> None:
    """Set ``changes`` on the job and write exactly those fields."""
    for name, value in changes.items():
        setattr(job, name, value)
    job.save(update_fields=list(changes))


def _fail(job: HouseholdImport, message: Any) -> HouseholdImport:
    _job_save(job, status=Status.FAILED, refusal=str(message)[:200], finished_at=timezone.now())
    _progress_set(job.pk, "done")
    return job


def _refuse(job: HouseholdImport, refusal: ImportRefused) -> HouseholdImport:
    _job_save(
        job,
        status=Status.REFUSED,
        refusal=refusal.message[:200],
        summary={"refusal_code": refusal.code},
        errors=[],
        error_count=0,
        row_count=0,
        finished_at=timezone.now(),
    )
    _progress_set(job.pk, "done")
    _discard_file(job)
    return job


def _store_invalid(job: HouseholdImport, sheet: Sheet) -> HouseholdImport:
    _job_save(
        job,
        status=Status.INVALID,
        row_count=len(sheet.rows),
        errors=sheet.errors[:STORED_ERRORS_MAX],
        error_count=len(sheet.errors),
        summary={
            "rows": len(sheet.rows),
            "households": len({row.number for row in sheet.rows if row.number}),
        },
        refusal="",
        finished_at=timezone.now(),
    )
    _progress_set(job.pk, "done", job.row_count, job.row_count)
    _discard_file(job)
    return job


def register_import_create(*, actor: User, village: Area, upload: UploadedFile) -> HouseholdImport:
    """Store an uploaded register file as a new job; the caller enqueues the check on commit.

    Raises RegisterError when ``actor`` does not manage ``village`` or the file is too large.
    The file is stored under a random name: it holds personal numbers.
    """
    if not is_register_manager(actor, village):
        raise RegisterError("not_in_scope", _("You cannot import into this village."))
    max_bytes = settings.REGISTER_IMPORT_MAX_BYTES
    if (upload.size or 0) > max_bytes:
        raise RegisterError("too_large", ImportRefused("too_large", max=max_bytes // 2**20).message)
    job = HouseholdImport(
        village=village,
        original_name=PurePath(upload.name or "").name[:200] or "register.xlsx",
        created_by=actor,
    )
    job.file.save(f"{uuid.uuid4().hex}.xlsx", upload, save=False)
    job.save()
    return job


def register_import_check(*, job: HouseholdImport) -> HouseholdImport:
    """The dry run: read and validate the file; write only the job (READY, INVALID or REFUSED).

    The summary says what an import would create and update. Raises RegisterError for a job
    that is being or has been imported.
    """
    if job.status in {Status.IMPORTING, Status.DONE}:
        raise RegisterError("already_imported", _("This file has already been imported."))
    job.status = Status.CHECKING
    job.save(update_fields=["status"])
    on_progress = _progress_callback(job.pk)
    on_progress("reading", 0, 0)
    try:
        sheet = sheet_read(upload_read(job), on_progress)
        on_progress("checking", len(sheet.rows), len(sheet.rows))
        plan = rows_plan(job.village, sheet)
    except ImportRefused as refusal:
        return _refuse(job, refusal)
    except Exception as exc:
        _log_failure(job, exc, "check")
        return _fail(job, CHECK_FAILED_MESSAGE)
    if plan is None:
        return _store_invalid(job, sheet)
    _job_save(
        job,
        status=Status.READY,
        row_count=len(sheet.rows),
        errors=[],
        error_count=0,
        summary=plan.summary,
        refusal="",
        finished_at=None,
    )
    _progress_set(job.pk, "done", job.row_count, job.row_count)
    return job


CHECK_FAILED_MESSAGE = gettext_lazy(
    "The file could not be checked. Please try again or ask the administrator."
)


def register_import_apply(*, job: HouseholdImport, actor: User) -> HouseholdImport:
    """Import a checked file: every household and member in one transaction, or nothing.

    Only a READY job is imported (a second confirmation finds it IMPORTING and is refused).
    The file is validated again against the register as it is now: new errors make the job
    INVALID. Any other failure leaves the register unchanged and the job FAILED. Locks the
    village's row, so that two imports into one village run one after the other. Raises
    RegisterError when the actor does not manage the village or the job is not READY.
    """
    village = job.village
    if not is_register_manager(actor, village):
        raise RegisterError("not_in_scope", _("You cannot import into this village."))
    claimed = HouseholdImport.objects.filter(pk=job.pk, status=Status.READY).update(
        status=Status.IMPORTING
    )
    if not claimed:
        raise RegisterError("not_ready", _("Only a checked file without errors can be imported."))
    job.status = Status.IMPORTING
    on_progress = _progress_callback(job.pk)
    on_progress("reading", 0, job.row_count)
    try:
        sheet = sheet_read(upload_read(job), on_progress)
        with transaction.atomic(durable=True):
            # Imports into one village run one after the other.
            Area.objects.select_for_update().get(pk=village.pk)
            on_progress("checking", len(sheet.rows), len(sheet.rows))
            plan = rows_plan(village, sheet)
            if plan is not None:
                plan_write(plan, village=village, job=job, actor=actor, on_progress=on_progress)
                _job_save(
                    job,
                    status=Status.DONE,
                    row_count=len(sheet.rows),
                    summary=plan.summary,
                    errors=[],
                    error_count=0,
                    finished_at=timezone.now(),
                )
    except ImportRefused as refusal:
        return _refuse(job, refusal)
    except Exception as exc:
        _log_failure(job, exc, "apply")
        job.refresh_from_db()
        return _fail(job, FAILED_MESSAGE)
    if plan is None:
        return _store_invalid(job, sheet)
    _progress_set(job.pk, "done", job.row_count, job.row_count)
    _discard_file(job)
    logger.info(
        "register import %s: %s rows imported into area %s", job.pk, job.row_count, village.pk
    )
    return job
