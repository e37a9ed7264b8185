"""Carrying out a plan inside the caller's transaction, in batches (``plan_write``)."""

from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.importing.format import WRITE_BATCH, ProgressCallback
from registry.importing.planning import Plan, chunks
from registry.models import (
    Area,
    Household,
    HouseholdEvent,
    HouseholdImport,
    Member,
    User,
)

# --- Writing ------------------------------------------------------------------------------------


def _update_rows(model: type[Model], objects: list[Any], fields: list[str]) -> None:
    """UPDATE ``fields`` of each object by primary key: one statement, executed for each object.

    Django's bulk_update builds a CASE expression per field and object, which costs
    milliseconds an object in Python; executemany costs microseconds. Statements run one
    after the other, so a unique constraint never sees a half-applied batch.
    """
    if not objects:
        return
    opts = model._meta
    columns = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = (
        f"UPDATE {quote(opts.db_table)} SET {assignments} "  # noqa: S608 (names from the model)
        f"WHERE {quote(opts.pk.column)} = %s"
    )
    params = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
        + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def plan_write(
    plan: Plan,
    *,
    village: Area,
    job: HouseholdImport,
    actor: User,
    on_progress: ProgressCallback,
) -> None:
    """Carry out a plan inside the caller's transaction, in batches, reporting progress."""
    total = plan.write_count
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        on_progress("writing", done, total)

    advance(0)
    for batch in chunks(plan.households_new, WRITE_BATCH):
        Household.objects.bulk_create(
            [Household(village=village, status=Household.Status.ACTIVE, **new) for new in batch]
        )
        advance(len(batch))
    for batch in chunks(plan.households_changed, WRITE_BATCH):
        _update_rows(Household, batch, ["group", "address", "updated_at"])
        advance(len(batch))
    household_ids = dict(Household.objects.filter(village=village).values_list("number", "id"))

    _update_rows(Member, plan.members_interim, ["relation", "id_number"])
    changed = []
    for number, member in plan.members_changed:
        if number is not None:
            member.household_id = household_ids[number]
        changed.append(member)
    fields = ["household", "name", "relation", "phone", "id_number", "birth_date"]
    for batch in chunks(changed, WRITE_BATCH):
        _update_rows(Member, batch, fields)
        advance(len(batch))
    for batch in chunks(plan.members_new, WRITE_BATCH):
        Member.objects.bulk_create(
            [Member(household_id=household_ids[number], **new) for number, new in batch]
        )
        advance(len(batch))

    today = timezone.localdate()
    note = (_("Register import “%(name)s”") % {"name": job.original_name})[:200]
    events = [
        HouseholdEvent(
            household_id=household_ids[household["number"]],
            kind=HouseholdEvent.Kind.CREATED,
            to_status=Household.Status.ACTIVE,
            to_village=village,
            effective_on=today,
            note=note,
            actor=actor,
        )
        for household in plan.households_new
    ]
    events += [
        HouseholdEvent(
            household_id=household_id,
            kind=HouseholdEvent.Kind.IMPORTED,
            effective_on=today,
            note=note,
            actor=actor,
        )
        for household_id in sorted(plan.touched_household_ids)
    ]
    HouseholdEvent.objects.bulk_create(events, batch_size=WRITE_BATCH)
