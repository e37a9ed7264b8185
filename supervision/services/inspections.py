"""Inspections: planning rounds, recording each checklist item of a village (from the phone,
online or from its offline queue), filing failed items as work orders, re-checks and relapses.

``inspection_item_record`` is idempotent by the client's key: a replay of the phone's queue returns
the first record and files nothing twice. It locks the village's ``Inspection`` row (one village
on one round: the score is recomputed under it), then, when the item re-checks an accepted order
of an earlier round, that order's row (``supervision.services.workorders``); nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from points.images import photo_save
from points.models import Photo
from points.services.keys import key_is_valid
from registry.models import Area, Household, User
from registry.permissions import Action, Kind, may
from supervision.exceptions import InspectionError
from supervision.models import ChecklistItem, Inspection, ItemResult, Round, WorkOrder
from supervision.services.workorders import (
    _coordinate,
    work_order_close,
    work_order_create,
    work_order_reopen,
)


def _not_allowed() -> InspectionError:
    return InspectionError("not_allowed", _("You may not inspect this village."))


def round_plan(
    *,
    area: Area,
    name: str,
    planned_on: dt.date,
    villages: Iterable[Area],
    actor: User,
) -> Round:
    """Plan a round of ``area`` (a district or a town) through some of its villages."""
    villages = list(villages)
    if not may(actor, Kind.INSPECTION, Action.WRITE, area):
        raise _not_allowed()
    if not villages:
        raise InspectionError("no_villages", _("Choose at least one village."))
    if any(v.level != Area.Level.VILLAGE or not v.path.startswith(area.path) for v in villages):
        raise InspectionError("bad_village", _("Every village must be in the round's area."))
    with transaction.atomic():
        found = Round.objects.create(
            area=area, name=name.strip()[:80], planned_on=planned_on, created_by=actor
        )
        found.villages.set(villages)
    return found


def _score(inspection: Inspection) -> None:
    totals = inspection.results.values("is_pass").annotate(weight=Sum("item__weight"))
    weights = {row["is_pass"]: row["weight"] or 0 for row in totals}
    total = weights.get(True, 0) + weights.get(False, 0)
    inspection.score = (
        (Decimal(100) * weights.get(True, 0) / total).quantize(Decimal("0.1"))
        if total
        else Decimal("0.0")
    )
    inspection.passed = inspection.results.filter(is_pass=True).count()
    inspection.failed = inspection.results.filter(is_pass=False).count()
    inspection.save(update_fields=["score", "passed", "failed"])


def _pending_recheck(village: Area, item: ChecklistItem, before: Inspection) -> WorkOrder | None:
    """The accepted order of an earlier inspection of ``village`` for ``item``, if any waits for
    its re-check."""
    earlier = (
        ItemResult.objects.filter(
            inspection__village=village,
            item=item,
            work_order__status=WorkOrder.Status.CHECKED,
        )
        .exclude(inspection=before)
        .select_related("work_order")
        .order_by("-recorded_at")
        .first()
    )
    return earlier.work_order if earlier else None


def _same_record(first: ItemResult, *, village: Area, item: ChecklistItem, is_pass: bool) -> None:
    if (
        first.inspection.village_id != village.pk
        or first.item_id != item.pk
        or first.is_pass != is_pass
    ):
        raise InspectionError("key_reused", _("This key was already used for another record."))


def inspection_item_record(
    *,
    round: Round,
    village: Area,
    item: ChecklistItem,
    is_pass: bool,
    actor: User,
    key: str,
    note: str = "",
    photos: Sequence = (),
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    household: Household | None = None,
    now: dt.datetime | None = None,
) -> ItemResult:
    """Record one checklist item of ``village`` on ``round``.

    A fail files a work order to the village, due in the item's days, with the same photos and
    point. When an earlier round's order for this item was accepted, this is its re-check: a
    pass closes it, a fail reopens it and counts a relapse (no second order). The village's score
    is the passed items' share of the recorded items' weights, in percent.
    Raises InspectionError (bad_key, not_allowed, not_in_round, already_recorded, key_reused,
    photo_required for a fail without a photo) or ImageRefused.
    """
    if not key_is_valid(key):
        raise InspectionError("bad_key", _("This record has no valid identifier. Please retry."))
    existing = ItemResult.objects.filter(key=key).select_related("inspection").first()
    if existing is not None:
        _same_record(existing, village=village, item=item, is_pass=is_pass)
        return existing
    if not may(actor, Kind.INSPECTION, Action.WRITE, village):
        raise _not_allowed()
    if not round.villages.filter(pk=village.pk).exists():
        raise InspectionError("not_in_round", _("This village is not on this round."))
    if not item.is_active or not village.path.startswith(item.district.path):
        raise InspectionError("bad_item", _("This checklist item does not apply here."))
    if not is_pass and not photos:
        raise InspectionError("photo_required", _("A failed item needs at least one photo."))
    if household is not None and household.village_id != village.pk:
        raise InspectionError("bad_household", _("This household is not in this village."))
    now = now or timezone.now()
    try:
        with transaction.atomic():
            inspection, _created = Inspection.objects.get_or_create(
                round=round, village=village, defaults={"inspector": actor, "started_at": now}
            )
            inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
            if inspection.results.filter(item=item).exists():
                raise InspectionError(
                    "already_recorded",
                    _("“%(item)s” is already recorded for this village on this round.")
                    % {"item": item.name},
                )
            result = ItemResult.objects.create(
                inspection=inspection,
                item=item,
                is_pass=is_pass,
                note=note.strip()[:200],
                household=household,
                latitude=_coordinate(latitude),
                longitude=_coordinate(longitude),
                key=key,
                recorded_by=actor,
                recorded_at=now,
            )
            saved = [
                p if isinstance(p, Photo) else photo_save(upload=p, village=village, actor=actor)
                for p in photos
            ]
            result.photos.set(saved)
            _follow_up(result, saved, actor=actor, now=now)
            _score(inspection)
    except IntegrityError:
        # The same key recorded by a concurrent replay.
        existing = ItemResult.objects.filter(key=key).select_related("inspection").first()
        if existing is None:
            raise
        _same_record(existing, village=village, item=item, is_pass=is_pass)
        return existing
    return result


def _follow_up(result: ItemResult, photos: list[Photo], *, actor: User, now: dt.datetime) -> None:
    village, item = result.inspection.village, result.item
    pending = _pending_recheck(village, item, result.inspection)
    if pending is not None:
        result.recheck_of = pending
        if result.is_pass:
            work_order_close(
                order=pending, actor=actor, note=_("Re-checked: still fixed."), now=now
            )
        else:
            result.is_relapse = True
            work_order_reopen(
                order=pending,
                actor=actor,
                note=_("Re-check found the problem again: %(note)s")
                % {"note": result.note or item.name},
                deadline_at=now + dt.timedelta(days=item.days),
                now=now,
            )
        result.save(update_fields=["recheck_of", "is_relapse"])
        return
    if result.is_pass:
        return
    result.work_order = work_order_create(
        category=item.category,
        area=village,
        title=f"{item.name}：{result.note}" if result.note else item.name,
        description=result.note,
        actor=actor,
        household=result.household,
        latitude=result.latitude,
        longitude=result.longitude,
        assignee_area=village,
        deadline_at=now + dt.timedelta(days=item.days),
        photos=photos,
        key=f"inspection:{result.key}",
        source="inspection",
        now=now,
    )
    result.save(update_fields=["work_order"])
