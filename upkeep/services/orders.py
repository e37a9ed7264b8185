"""After-care service orders (抽渣, 维修) on supervision's work orders: one mechanism.

A service order is a ``supervision.WorkOrder`` of one of upkeep's categories (``upkeep-emptying``,
48 hours; ``upkeep-repair``, 72 hours: data the district edits) plus a ``ServiceOrder`` row for
what is upkeep's own: the toilet, how it was asked for, the contractor's steps that do not move
the order's status (accepted, on the way), the volume emptied and the household's rating.
Status, deadline, escalation, photos and the timeline are the work order's, changed only through
``supervision.services.workorders``; every call here runs in one transaction with it.

The flow: a household (or its committee, or the town's service desk) asks → the order goes to
the team serving the village (``ServiceCoverage``), or waits for the town to dispatch it → a
team member accepts, is on the way, reports it done with an after-photo (and the volume for an
emptying) → the household is asked to rate it (outbox, and on its page): 满意 or 基本满意 accepts
and closes the order; 不满意 (with a reason) sends it back to the team with a new deadline.

Locks: the work order's row (taken by supervision's services), then the ServiceOrder's row.
Refusals raise UpkeepError (or supervision's WorkOrderError, passed through as UpkeepError).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.services import message_send
from registry.models import User
from registry.permissions import Action, Kind, may
from supervision.exceptions import WorkOrderError
from supervision.models import Category, Team, WorkOrder
from supervision.services.workorders import (
    work_order_assign,
    work_order_create,
    work_order_transition,
)
from upkeep.exceptions import UpkeepError
from upkeep.models import ServiceOrder, Toilet
from upkeep.selectors import team_for_village
from upkeep.services.toilets import toilet_emptied

Status = WorkOrder.Status
SOURCE = "upkeep"
# (category code, name, service level in days): 48 and 72 hours. The district edits them.
CATEGORIES = {
    ServiceOrder.Kind.EMPTYING: ("upkeep-emptying", "户厕抽渣", 2),
    ServiceOrder.Kind.REPAIR: ("upkeep-repair", "户厕维修", 3),
}
TITLES = {
    ServiceOrder.Kind.EMPTYING: "户厕抽渣",
    ServiceOrder.Kind.REPAIR: "户厕维修",
}


def _wrap(error: WorkOrderError) -> UpkeepError:
    return UpkeepError(error.code, error.message)


def service_category(*, kind: str) -> Category:
    """The work order category of a kind of service (created the first time it is needed)."""
    code, name, days = CATEGORIES[ServiceOrder.Kind(kind)]
    category, _created = Category.objects.get_or_create(
        code=code, defaults={"name": name, "source": SOURCE, "days": days}
    )
    return category


def _may_ask(actor: User, toilet: Toilet) -> bool:
    return may(actor, Kind.SERVICE_ORDER, Action.WRITE, toilet) or may(
        actor, Kind.SERVICE_ORDER, Action.APPROVE, toilet.village
    )


def service_order_request(
    *,
    actor: User,
    toilet: Toilet,
    kind: str,
    channel: str,
    key: str,
    note: str = "",
    photos: Sequence = (),
    now: dt.datetime | None = None,
) -> ServiceOrder:
    """Ask for an emptying or a repair of ``toilet``: the household itself, its committee, or
    the town's service desk. See ``service_order_file``; raises UpkeepError ``not_in_scope``
    too.
    """
    if not _may_ask(actor, toilet):
        raise UpkeepError("not_in_scope", _("You cannot ask for service for this toilet."))
    return service_order_file(
        toilet=toilet,
        kind=kind,
        channel=channel,
        requested_by=actor,
        key=key,
        note=note,
        photos=photos,
        now=now,
    )


def service_order_file(
    *,
    toilet: Toilet,
    kind: str,
    channel: str,
    requested_by: User | None,
    key: str,
    note: str = "",
    photos: Sequence = (),
    now: dt.datetime | None = None,
) -> ServiceOrder:
    """File the work order and its service order; the caller has authorised whoever asked.

    Idempotent twice over: ``key`` (the form's, or a check's) makes a replay return the first
    order, and a toilet with an order of that kind still in hand returns that order instead of
    a second one (a villager tapping again, a committee member filing what the household already
    asked for). The order goes to the team covering the village, else waits (open) for the
    town. Raises UpkeepError: ``bad_kind``, ``bad_channel``, ``not_in_use``; ImageRefused for a
    photo that is not one.
    """
    if kind not in CATEGORIES:
        raise UpkeepError("bad_kind", _("Choose emptying or repair."))
    if channel not in ServiceOrder.Channel.values:
        raise UpkeepError("bad_channel", _("Unknown way of asking."))
    if toilet.status == Toilet.Status.REMOVED:
        raise UpkeepError("not_in_use", _("This toilet has been removed from the register."))
    work_key = f"upkeep:{key}"[:80]
    existing = ServiceOrder.objects.filter(order__key=work_key).select_related("order").first()
    if existing is not None:
        return existing
    in_hand = (
        ServiceOrder.objects.filter(toilet=toilet, kind=kind)
        .exclude(order__status__in=[Status.CHECKED, Status.CLOSED])
        .select_related("order")
        .first()
    )
    if in_hand is not None:
        return in_hand
    team = team_for_village(village_id=toilet.village_id)
    with transaction.atomic():
        try:
            order = work_order_create(
                category=service_category(kind=kind),
                area=toilet.village,
                household=toilet.household,
                title=f"{TITLES[ServiceOrder.Kind(kind)]} · {toilet.village.name} {_toilet_label(toilet)}",
                description=note.strip()[:500],
                actor=None,  # authorised by the caller: the household, its committee, the town
                assignee_team=team,
                photos=photos,
                key=work_key,
                source=SOURCE,
                data={"channel": channel, "asked_by": requested_by.pk if requested_by else None},
                now=now,
            )
        except WorkOrderError as error:
            raise _wrap(error) from error
        service, _created = ServiceOrder.objects.get_or_create(
            order=order,
            defaults={
                "toilet": toilet,
                "kind": kind,
                "channel": channel,
                "requested_by": requested_by,
            },
        )
    return service


def _toilet_label(toilet: Toilet) -> str:
    household = toilet.household if toilet.household_id else None
    return household.number if household is not None else toilet.name


def service_orders_file_for(
    *, actor: User, toilets: Sequence[Toilet], kind: str, key: str, note: str = ""
) -> list[ServiceOrder]:
    """A committee member or grid worker files for several (elderly) households at once."""
    if not toilets:
        raise UpkeepError("none_chosen", _("Choose at least one household."))
    with transaction.atomic():
        return [
            service_order_request(
                actor=actor,
                toilet=toilet,
                kind=kind,
                channel=ServiceOrder.Channel.COMMITTEE,
                key=f"{key}:{toilet.pk}",
                note=note,
            )
            for toilet in toilets
        ]


def service_order_dispatch(
    *, actor: User, service: ServiceOrder, team: Team, note: str = ""
) -> ServiceOrder:
    """The town sends the order to a team (its first dispatch, or to another team)."""
    if not may(actor, Kind.SERVICE_ORDER, Action.APPROVE, service.toilet.village):
        raise UpkeepError("not_in_scope", _("You cannot dispatch this order."))
    if not service.toilet.village.path.startswith(team.area.path):
        raise UpkeepError("team_outside", _("This team does not work in this village."))
    with transaction.atomic():
        try:
            work_order_assign(order=service.order, actor=None, assignee_team=team, note=note)
        except WorkOrderError as error:
            raise _wrap(error) from error
        service.accepted_at = service.accepted_by = service.on_way_at = None
        service.save(update_fields=["accepted_at", "accepted_by", "on_way_at"])
    service.order.refresh_from_db()
    return service


def _work(actor: User, service: ServiceOrder) -> ServiceOrder:
    """The service order locked, if ``actor`` is in the team that must act and it is theirs."""
    if not may(actor, Kind.SERVICE_WORK, Action.WRITE, service):
        raise UpkeepError("not_your_order", _("This order is not your team's."))
    locked = ServiceOrder.objects.select_for_update().select_related("order").get(pk=service.pk)
    if locked.order.status not in (Status.ASSIGNED, Status.REOPENED):
        raise UpkeepError("not_open", _("This order is no longer waiting for your team."))
    return locked


def service_order_accept(*, actor: User, service: ServiceOrder) -> ServiceOrder:
    """A team member takes the order (the response time counts to here). Twice: no change."""
    with transaction.atomic():
        locked = _work(actor, service)
        if locked.accepted_at is None:
            locked.accepted_at = timezone.now()
            locked.accepted_by = actor
            locked.save(update_fields=["accepted_at", "accepted_by"])
    return locked


def service_order_on_way(*, actor: User, service: ServiceOrder) -> ServiceOrder:
    with transaction.atomic():
        locked = _work(actor, service)
        now = timezone.now()
        fields = ["on_way_at"]
        if locked.accepted_at is None:
            locked.accepted_at, locked.accepted_by = now, actor
            fields += ["accepted_at", "accepted_by"]
        if locked.on_way_at is None:
            locked.on_way_at = now
            locked.save(update_fields=fields)
    return locked


def service_order_done(
    *,
    actor: User,
    service: ServiceOrder,
    photos: Sequence,
    volume: Decimal | None = None,
    note: str = "",
) -> ServiceOrder:
    """Report the work done with an after-photo (and, for an emptying, the volume emptied).

    The household is asked to rate it: a message (inbox, SMS by their choice) written in the
    same transaction, and a prompt on its page. An emptying sets the toilet's last emptying.
    """
    if service.kind == ServiceOrder.Kind.EMPTYING and (volume is None or volume <= 0):
        raise UpkeepError("volume_required", _("Enter the volume emptied, in cubic metres."))
    if volume is not None and volume > 100:
        raise UpkeepError("volume_too_large", _("That volume is too large for one tank."))
    with transaction.atomic():
        locked = _work(actor, service)
        try:
            work_order_transition(
                order=locked.order,
                name="done",
                actor=actor,
                note=note,
                photos=photos,
                data={"volume": str(volume)} if volume is not None else None,
            )
        except WorkOrderError as error:
            raise _wrap(error) from error
        now = timezone.now()
        if locked.accepted_at is None:
            locked.accepted_at, locked.accepted_by = now, actor
        locked.volume = volume
        locked.rating, locked.rating_reason, locked.rated_at = "", "", None
        locked.save()
        if locked.kind == ServiceOrder.Kind.EMPTYING:
            toilet_emptied(toilet=locked.toilet, on=timezone.localdate(now))
        household = locked.toilet.household if locked.toilet.household_id else None
        if household is not None:
            message_send(
                template="upkeep.rate",
                data={"service": str(locked.get_kind_display()), "order": locked.order_id},
                households=[household],
                event_key=f"upkeep-rate:{locked.order_id}:{locked.order.times_reopened}:"
                f"{locked.times_dissatisfied}",
            )
    locked.order.refresh_from_db()
    return locked


def service_order_rate(
    *, actor: User, service: ServiceOrder, rating: str, reason: str = ""
) -> ServiceOrder:
    """The household's rating of a finished order: 满意 or 基本满意 accepts and closes it;
    不满意 needs a reason and sends it back to the team with a new deadline.

    Only the household's own villagers (or its committee, rating with an elderly household) rate,
    and only an order reported done. The work order's checks are made by the system on the
    household's word; the rater is on the timeline's note and in the service order.
    """
    if rating not in ServiceOrder.Rating.values:
        raise UpkeepError("bad_rating", _("Choose how satisfied you are."))
    reason = reason.strip()[:200]
    if rating == ServiceOrder.Rating.DISSATISFIED and not reason:
        raise UpkeepError("reason_required", _("Please say what is not right."))
    if not may(actor, Kind.SERVICE_ORDER, Action.WRITE, service):
        raise UpkeepError("not_in_scope", _("You cannot rate this order."))
    with transaction.atomic():
        locked = ServiceOrder.objects.select_for_update().select_related("order").get(pk=service.pk)
        if locked.order.status != Status.DONE:
            if locked.rating == rating:
                return locked  # a double tap
            raise UpkeepError("not_done", _("This order is not waiting for your rating."))
        label = str(ServiceOrder.Rating(rating).label)
        note = _("Household's rating: %(rating)s") % {"rating": label}
        if reason:
            note = f"{note}. {reason}"
        data = {"rating": rating, "rated_by": actor.pk}
        try:
            if rating == ServiceOrder.Rating.DISSATISFIED:
                work_order_transition(
                    order=locked.order,
                    name="send_back",
                    actor=None,
                    note=note,
                    data=data,
                    deadline_at=timezone.now() + locked.order.category.service_level,
                )
                locked.times_dissatisfied += 1
            else:
                order = work_order_transition(
                    order=locked.order, name="accept", actor=None, note=note, data=data
                )
                work_order_transition(order=order, name="close", actor=None, data=data)
        except WorkOrderError as error:
            raise _wrap(error) from error
        locked.rating, locked.rating_reason, locked.rated_at = rating, reason, timezone.now()
        if rating == ServiceOrder.Rating.DISSATISFIED:
            # Back to the team: they accept it again.
            locked.accepted_at = locked.accepted_by = locked.on_way_at = None
        locked.save()
    locked.order.refresh_from_db()
    return locked


__all__ = [
    "service_category",
    "service_order_accept",
    "service_order_dispatch",
    "service_order_done",
    "service_order_on_way",
    "service_order_rate",
    "service_order_file",
    "service_order_request",
    "service_orders_file_for",
]
