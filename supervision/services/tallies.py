"""Campaign tallies: a village reports its week's quantities; the town approves or sends back.

``tally_report_submit`` is idempotent by the client's key: a double tap or a replayed form returns
the first report and counts nothing twice (the key is unique; a concurrent replay that loses the
race reads the winner). A sent-back report is corrected by submitting again with a new key and
``replaces``: the old one keeps its reason for the record and never counts.
``tally_report_review`` locks the report's row; maker-checker: the reporter never reviews. A report
sent back tells its reporter why (outbox, same transaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.services import message_send
from points.images import photo_save
from points.models import Photo
from points.services.keys import key_is_valid
from registry.models import Area, User
from registry.permissions import Action, Kind, may
from supervision.exceptions import TallyError
from supervision.models import Measure, TallyCampaign, TallyLine, TallyReport

MAX_QUANTITY = Decimal("9999999999")


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week: reports are by week."""
    return day - dt.timedelta(days=day.weekday())


def _quantities(
    campaign: TallyCampaign, quantities: Mapping[Measure | int, object]
) -> dict[int, Decimal]:
    measures = {m.pk for m in campaign.measures.all()}
    found: dict[int, Decimal] = {}
    for measure, raw in quantities.items():
        pk = measure.pk if isinstance(measure, Measure) else int(measure)
        if pk not in measures:
            raise TallyError("bad_measure", _("This measure is not part of the campaign."))
        if raw in (None, ""):
            continue
        try:
            value = Decimal(str(raw).strip()).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise TallyError("bad_quantity", _("Please enter a number.")) from None
        if value < 0 or value > MAX_QUANTITY:
            raise TallyError("bad_quantity", _("A quantity must be between 0 and 9,999,999,999."))
        if value:
            found[pk] = value
    if not found:
        raise TallyError("nothing_reported", _("Enter at least one quantity."))
    return found


def _same_report(first: TallyReport, *, village: Area, week_on: dt.date, lines: dict) -> None:
    mine = {line.measure_id: line.quantity for line in first.lines.all()}
    if first.village_id != village.pk or first.week_on != week_on or mine != lines:
        raise TallyError("key_reused", _("This key was already used for another report."))


def tally_report_submit(
    *,
    campaign: TallyCampaign,
    village: Area,
    week_on: dt.date,
    quantities: Mapping[Measure | int, object],
    actor: User,
    key: str,
    note: str = "",
    photos: Sequence = (),
    replaces: TallyReport | None = None,
    now: dt.datetime | None = None,
) -> TallyReport:
    """Report ``village``'s quantities (measure → number; blanks and zeros are left out) for the
    week that contains ``week_on``. Photos go through ``points.images`` (EXIF and location
    removed). Returns the first report of ``key`` on a replay.
    Raises TallyError (see ``supervision.exceptions``) or ImageRefused."""
    if not key_is_valid(key):
        raise TallyError("bad_key", _("This report has no valid identifier. Please retry."))
    week_on = week_start(week_on)
    existing = TallyReport.objects.filter(key=key).prefetch_related("lines").first()
    lines = _quantities(campaign, quantities)
    if existing is not None:
        _same_report(existing, village=village, week_on=week_on, lines=lines)
        return existing
    if not may(actor, Kind.TALLY, Action.WRITE, village):
        raise TallyError("not_allowed", _("You may not report for this village."))
    if village.level != Area.Level.VILLAGE:
        raise TallyError("not_a_village", _("Reports are made by villages."))
    if not campaign.is_active or not village.path.startswith(campaign.district.path):
        raise TallyError("outside_campaign", _("This campaign does not cover this village."))
    if not week_start(campaign.starts_on) <= week_on <= campaign.ends_on:
        raise TallyError("outside_campaign", _("This week is outside the campaign's dates."))
    town = village.get_parent()
    now = now or timezone.now()
    try:
        with transaction.atomic():
            if replaces is not None:
                replaces = TallyReport.objects.select_for_update().get(pk=replaces.pk)
                if replaces.status != TallyReport.Status.SENT_BACK or replaces.village_id != (
                    village.pk
                ):
                    raise TallyError(
                        "already_reviewed", _("Only a report sent back can be corrected.")
                    )
            report = TallyReport.objects.create(
                campaign=campaign,
                village=village,
                town=town,
                week_on=week_on,
                note=note.strip()[:200],
                key=key,
                reported_by=actor,
                reported_at=now,
            )
            TallyLine.objects.bulk_create(
                TallyLine(report=report, measure_id=pk, quantity=value)
                for pk, value in lines.items()
            )
            saved = [
                p if isinstance(p, Photo) else photo_save(upload=p, village=village, actor=actor)
                for p in photos
            ]
            report.photos.set(saved)
    except IntegrityError:
        existing = TallyReport.objects.filter(key=key).prefetch_related("lines").first()
        if existing is None:
            raise
        _same_report(existing, village=village, week_on=week_on, lines=lines)
        return existing
    return report


def tally_report_review(
    *,
    report: TallyReport,
    actor: User,
    approve: bool,
    reason: str = "",
    now: dt.datetime | None = None,
) -> TallyReport:
    """Approve ``report`` or send it back with ``reason`` (the reporter is told why).
    Raises TallyError (not_allowed, same_person, reason_required, already_reviewed)."""
    if not may(actor, Kind.TALLY, Action.APPROVE, report.village):
        raise TallyError("not_allowed", _("You may not review reports of this village."))
    if report.reported_by_id == actor.pk:
        raise TallyError("same_person", _("Someone else must review your own report."))
    reason = reason.strip()[:200]
    if not approve and not reason:
        raise TallyError("reason_required", _("Say why the report is sent back."))
    now = now or timezone.now()
    with transaction.atomic():
        report = TallyReport.objects.select_for_update().get(pk=report.pk)
        if report.status != TallyReport.Status.SUBMITTED:
            raise TallyError("already_reviewed", _("This report has already been reviewed."))
        report.status = TallyReport.Status.APPROVED if approve else TallyReport.Status.SENT_BACK
        report.reason = "" if approve else reason
        report.reviewed_by, report.reviewed_at = actor, now
        report.save(update_fields=["status", "reason", "reviewed_by", "reviewed_at"])
        if not approve:
            message_send(
                template="tallies.sent_back",
                data={
                    "campaign": report.campaign.name,
                    "week": f"{report.week_on:%m-%d}",
                    "reason": reason,
                },
                users=[report.reported_by],
            )
    return report
