"""Work orders: filing, moving along the transition table, escalation. The locking policy is
``docs/workorders.md``.

Every write takes the order's row lock (``SELECT … FOR UPDATE``) inside ``transaction.atomic``
and, under it: checks the move against ``supervision.transitions.TRANSITIONS`` and the actor
against ``registry.permissions``, writes the order, one ``WorkOrderEvent``, the photos, the
messages (outbox, same transaction) and sends ``supervision.signals.work_order_changed``. The
blocks are not durable on purpose: another app's service (upkeep, inspections) files and moves
orders inside its own transaction. Nothing else is locked, so there is no lock order to break.

``actor=None`` is the system (a beat task, another app's service that has already authorised its
caller); it may file, assign and move orders except the checks, which need a person (but for
the orders of ``CHECKED_ELSEWHERE``: upkeep's, checked by the household's rating).
Refusals raise ``WorkOrderError`` with a code (see ``supervision.exceptions``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.services import message_send
from points.images import photo_save
from points.models import Photo
from registry.models import Area, Household, RoleAssignment, User
from registry.permissions import ADMINISTRATORS, Action, Kind, may, roles_for
from supervision.exceptions import WorkOrderError
from supervision.models import Category, Team, WorkOrder, WorkOrderEvent, WorkOrderPhoto
from supervision.signals import work_order_changed
from supervision.transitions import ACTOR, FILER, TRANSITIONS, Transition

REMIND_BEFORE = dt.timedelta(days=1)
# The checks of a fix: never by the person who reported it done.
MAKER_CHECKED = frozenset({"accept", "send_back"})
# Sources whose orders are checked by someone the owning app authorises, not by a work order
# checker: upkeep's service orders are accepted or sent back on the household's rating
# (``upkeep.services.orders.service_order_rate``), so the system makes the check's move for it.
CHECKED_ELSEWHERE = frozenset({"upkeep"})


def _not_allowed() -> WorkOrderError:
    return WorkOrderError("not_allowed", _("You may not do this with this work order."))


def may_act(user: User | None, order: WorkOrder) -> bool:
    """Whether ``user`` is among those who must act on ``order``: the person named, a member of
    the team named, or staff of the village named (``rectification`` write)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if order.assignee_user_id == user.pk:
        return True
    team = order.assignee_team if order.assignee_team_id else None
    if team is not None and team.members.filter(pk=user.pk).exists():
        return True
    return bool(
        order.assignee_area_id and may(user, Kind.RECTIFICATION, Action.WRITE, order.assignee_area)
    )


def may_move(user: User | None, order: WorkOrder, transition: Transition) -> bool:
    """Whether ``user`` may make ``transition`` on ``order`` now (status and person)."""
    if order.status not in transition.sources:
        return False
    if transition.who == ACTOR:
        return user is None or may_act(user, order)
    if transition.who == FILER:
        return user is None or may(user, Kind.WORK_ORDER, Action.WRITE, order.area)
    if user is None:
        return order.source in CHECKED_ELSEWHERE
    return may(user, Kind.WORK_ORDER, Action.APPROVE, order.area) and not (
        transition.name in MAKER_CHECKED and order.done_by_id == user.pk
    )


def _actors(order: WorkOrder) -> list[User]:
    """The people who must act: messages go to them."""
    people: dict[int, User] = {}
    person = order.assignee_user if order.assignee_user_id else None
    if person is not None:
        people[person.pk] = person
    team = order.assignee_team if order.assignee_team_id else None
    if team is not None:
        for user in team.members.filter(is_active=True):
            people[user.pk] = user
    if order.assignee_area_id:
        staff = User.objects.filter(
            is_active=True,
            roles__area=order.assignee_area,
            roles__role__in=roles_for(Kind.RECTIFICATION, Action.WRITE),
        ).distinct()
        for user in staff:
            people[user.pk] = user
    return list(people.values())


def _administrators_above(area: Area) -> list[User]:
    """The administrators of the nearest area above ``area`` that has any (a village's town,
    else the district)."""
    above = [path for path in area.path_and_ancestors if path != area.path]
    assignments = (
        RoleAssignment.objects.filter(
            role__in=ADMINISTRATORS, area__path__in=above, user__is_active=True
        )
        .select_related("user", "area")
        .order_by("-area__depth")
    )
    nearest: int | None = None
    people: dict[int, User] = {}
    for assignment in assignments:
        depth = assignment.area.depth if assignment.area is not None else None
        if nearest is None:
            nearest = depth
        if depth != nearest:
            break
        people[assignment.user_id] = assignment.user
    return list(people.values())


def _local(moment: dt.datetime, fmt: str = "%m-%d") -> str:
    return timezone.localtime(moment).strftime(fmt)


def _notify_assigned(order: WorkOrder) -> None:
    message_send(
        template="workorders.assigned",
        data={
            "order": order.pk,
            "area": order.area.name,
            "title": order.title,
            "due": _local(order.deadline_at),
        },
        users=_actors(order),
    )


def _attach(
    order: WorkOrder,
    photos: Iterable,
    *,
    stage: str,
    event: WorkOrderEvent,
    actor: User | None,
) -> int:
    """Attach photos: ``points.Photo`` rows already cleaned, or uploads cleaned here (EXIF and
    location dropped by ``points.images``; ``ImageRefused`` propagates)."""
    rows = []
    for item in photos:
        photo = (
            item
            if isinstance(item, Photo)
            else photo_save(upload=item, village=order.area, actor=actor)
        )
        rows.append(WorkOrderPhoto(order=order, photo=photo, stage=stage, event=event))
    WorkOrderPhoto.objects.bulk_create(rows)
    return len(rows)


def _event(
    order: WorkOrder,
    *,
    action: str,
    actor: User | None,
    from_status: str = "",
    note: str = "",
    data: dict | None = None,
    at: dt.datetime,
) -> WorkOrderEvent:
    return WorkOrderEvent.objects.create(
        order=order,
        action=action,
        from_status=from_status,
        to_status=order.status,
        actor=actor,
        note=note,
        data=data or {},
        at=at,
    )


def _announce(order: WorkOrder, event: WorkOrderEvent, actor: User | None) -> None:
    work_order_changed.send(
        sender=WorkOrder, order=order, event=event, action=event.action, actor=actor
    )


def _check_place(area: Area, household: Household | None) -> None:
    if household is not None and not household.village.path.startswith(area.path):
        raise WorkOrderError("bad_household", _("This household is not in the order's area."))


def work_order_create(
    *,
    category: Category,
    area: Area,
    title: str,
    actor: User | None,
    description: str = "",
    household: Household | None = None,
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    assignee_area: Area | None = None,
    assignee_team: Team | None = None,
    assignee_user: User | None = None,
    deadline_at: dt.datetime | None = None,
    photos: Sequence = (),
    key: str | None = None,
    source: str | None = None,
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """File an order in ``area``; with someone who must act it starts ``assigned`` and they are
    told (outbox). The deadline is ``deadline_at`` or now plus the category's service level.

    ``key`` makes filing idempotent: a second call with the same key returns the first order
    (``key_reused`` if it was for another area or category). ``photos`` are the "before"
    photos. Raises WorkOrderError (not_allowed, bad_household, key_reused) or ImageRefused.
    """
    if actor is not None and not may(actor, Kind.WORK_ORDER, Action.WRITE, area):
        raise _not_allowed()
    _check_place(area, household)
    if (latitude is None) != (longitude is None):
        raise WorkOrderError("bad_point", _("A map point needs both latitude and longitude."))
    if key:
        existing = WorkOrder.objects.filter(key=key).first()
        if existing is not None:
            return _same_key(existing, category=category, area=area)
    now = now or timezone.now()
    is_assigned = bool(assignee_area or assignee_team or assignee_user)
    try:
        with transaction.atomic():
            order = WorkOrder.objects.create(
                category=category,
                source=source or category.source,
                key=key or None,
                title=title.strip()[:120],
                description=description,
                area=area,
                household=household,
                latitude=_coordinate(latitude),
                longitude=_coordinate(longitude),
                status=WorkOrder.Status.ASSIGNED if is_assigned else WorkOrder.Status.OPEN,
                assignee_area=assignee_area,
                assignee_team=assignee_team,
                assignee_user=assignee_user,
                deadline_at=deadline_at or now + category.service_level,
                created_by=actor,
                created_at=now,
            )
            event = _event(order, action="create", actor=actor, note=description, data=data, at=now)
            _attach(order, photos, stage=WorkOrderPhoto.Stage.BEFORE, event=event, actor=actor)
            if is_assigned:
                _notify_assigned(order)
            _announce(order, event, actor)
    except IntegrityError:
        if not key:
            raise
        # Another request filed the same key first.
        existing = WorkOrder.objects.filter(key=key).first()
        if existing is None:
            raise
        return _same_key(existing, category=category, area=area)
    return order


def _same_key(existing: WorkOrder, *, category: Category, area: Area) -> WorkOrder:
    if existing.category_id != category.pk or existing.area_id != area.pk:
        raise WorkOrderError(
            "key_reused", _("This key was already used for a different work order.")
        )
    return existing


def _coordinate(value: Decimal | float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.000001"))


def _locked(order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("area", "category", "assignee_area", "assignee_team", "assignee_user")
        .get(pk=order.pk)
    )


def _is_retry(order: WorkOrder, transition: Transition, actor: User | None) -> bool:
    """The same person's same move again (a double tap): harmless, nothing is written."""
    if order.status != transition.target:
        return False
    last = order.events.order_by("-at", "-pk").first()
    return (
        last is not None
        and last.action == transition.name
        and last.actor_id == (actor.pk if actor else None)
    )


def work_order_transition(
    *,
    order: WorkOrder,
    name: str,
    actor: User | None,
    note: str = "",
    photos: Sequence = (),
    data: dict | None = None,
    deadline_at: dt.datetime | None = None,
    assignee_area: Area | None = None,
    assignee_team: Team | None = None,
    assignee_user: User | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Move ``order`` along the transition ``name`` (see ``supervision.transitions``); returns
    the order as it now is. A retry of the same move by the same person changes nothing.

    Raises WorkOrderError: ``bad_transition`` (not from the order's status), ``not_allowed``,
    ``same_person`` (checking one's own work), ``reason_required``, ``photo_required``,
    ``no_assignee``.
    """
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValueError(f"unknown work order transition {name!r}")
    note = (note or "").strip()
    if transition.needs_reason and not note:
        raise WorkOrderError("reason_required", _("Please give a reason."))
    now = now or timezone.now()
    with transaction.atomic():
        order = _locked(order)
        same_assignees = (order.assignee_area, order.assignee_team, order.assignee_user) == (
            assignee_area,
            assignee_team,
            assignee_user,
        )
        if _is_retry(order, transition, actor) and (name != "assign" or same_assignees):
            return order
        if order.status not in transition.sources:
            raise WorkOrderError(
                "bad_transition",
                _("This work order is “%(status)s”: it cannot be changed that way now.")
                % {"status": order.get_status_display()},
            )
        if transition.name in MAKER_CHECKED and actor is not None and order.done_by_id == actor.pk:
            raise WorkOrderError(
                "same_person", _("The work must be checked by someone other than who did it.")
            )
        if not may_move(actor, order, transition):
            raise _not_allowed()
        if transition.needs_photo and not photos:
            raise WorkOrderError(
                "photo_required", _("Please add at least one photo of the fixed place.")
            )
        from_status = order.status
        _apply(
            order,
            transition,
            actor=actor,
            now=now,
            deadline_at=deadline_at,
            assignee_area=assignee_area,
            assignee_team=assignee_team,
            assignee_user=assignee_user,
        )
        order.status = transition.target
        order.save()
        event = _event(
            order,
            action=transition.name,
            actor=actor,
            from_status=from_status,
            note=note,
            data=data,
            at=now,
        )
        if photos:
            stage = WorkOrderPhoto.Stage.AFTER if name == "done" else WorkOrderPhoto.Stage.BEFORE
            _attach(order, photos, stage=stage, event=event, actor=actor)
        _messages(order, transition, note=note)
        _announce(order, event, actor)
    return order


def _apply(
    order: WorkOrder,
    transition: Transition,
    *,
    actor: User | None,
    now: dt.datetime,
    deadline_at: dt.datetime | None,
    assignee_area: Area | None,
    assignee_team: Team | None,
    assignee_user: User | None,
) -> None:
    name = transition.name
    if name == "assign":
        if not (assignee_area or assignee_team or assignee_user):
            raise WorkOrderError("no_assignee", _("Choose who must act on this work order."))
        order.assignee_area = assignee_area
        order.assignee_team = assignee_team
        order.assignee_user = assignee_user
    elif name == "done":
        order.done_by, order.done_at, order.is_overdue = actor, now, False
    elif name == "accept":
        order.checked_at = now
    elif name == "send_back":
        order.done_by, order.done_at = None, None
        order.is_overdue = order.deadline_at <= now
    elif name == "close":
        order.closed_at = now
    elif name == "reopen":
        order.times_reopened += 1
        order.done_by = order.done_at = order.checked_at = order.closed_at = None
        order.reminded_at = order.escalated_at = None
        order.is_overdue = False
        if deadline_at is None:
            deadline_at = now + order.category.service_level
    if deadline_at is not None and deadline_at != order.deadline_at:
        order.deadline_at = deadline_at
        order.reminded_at = order.escalated_at = None
        order.is_overdue = deadline_at <= now


def _messages(order: WorkOrder, transition: Transition, *, note: str) -> None:
    if transition.name in {"assign", "reopen"}:
        _notify_assigned(order)
    elif transition.name == "send_back":
        message_send(
            template="workorders.sent_back",
            data={"order": order.pk, "reason": note},
            users=_actors(order),
        )


def work_order_assign(
    *,
    order: WorkOrder,
    actor: User | None,
    assignee_area: Area | None = None,
    assignee_team: Team | None = None,
    assignee_user: User | None = None,
    deadline_at: dt.datetime | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Name who must act (a village, a team, a person; a team and one of its people together)
    and, optionally, a new deadline. They are told."""
    return work_order_transition(
        order=order,
        name="assign",
        actor=actor,
        note=note,
        assignee_area=assignee_area,
        assignee_team=assignee_team,
        assignee_user=assignee_user,
        deadline_at=deadline_at,
        now=now,
    )


def work_order_done(
    *,
    order: WorkOrder,
    actor: User | None,
    photos: Sequence,
    note: str = "",
    data: dict | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Report the problem fixed, with at least one after-photo and a note (``data`` keeps what
    the acting party measured, e.g. a volume)."""
    return work_order_transition(
        order=order, name="done", actor=actor, note=note, photos=photos, data=data, now=now
    )


def work_order_check(
    *,
    order: WorkOrder,
    actor: User,
    is_accepted: bool,
    note: str = "",
    now: dt.datetime | None = None,
) -> WorkOrder:
    """The checker's step: accept the fix, or send it back with a reason. Never by the person
    who reported it done."""
    return work_order_transition(
        order=order, name="accept" if is_accepted else "send_back", actor=actor, note=note, now=now
    )


def work_order_close(
    *, order: WorkOrder, actor: User, note: str = "", now: dt.datetime | None = None
) -> WorkOrder:
    return work_order_transition(order=order, name="close", actor=actor, note=note, now=now)


def work_order_reopen(
    *,
    order: WorkOrder,
    actor: User,
    note: str,
    deadline_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Reopen an accepted or closed order (the problem is back); a new deadline from the
    category's service level unless given; whoever must act is told again."""
    return work_order_transition(
        order=order, name="reopen", actor=actor, note=note, deadline_at=deadline_at, now=now
    )


# --- Escalation (Celery beat: supervision.tasks.escalate_work_orders) -------------------------


@dataclass(frozen=True)
class EscalationRun:
    reminded: int
    escalated: int
    flagged: int


def work_orders_escalate(*, now: dt.datetime | None = None) -> EscalationRun:
    """Remind whoever must act the day before the deadline; when an order is late, flag it
    (``is_overdue``) and tell the administrators of the area above, once per deadline.

    Each order is handled in its own short transaction holding its row lock, taken with SKIP
    LOCKED (an order someone is changing right now is left for the next run). Safe to run twice
    at once or again: ``reminded_at`` / ``escalated_at`` are set under the lock and messages carry
    an ``event_key``.
    """
    now = now or timezone.now()
    active = Q(status__in=[WorkOrder.Status.ASSIGNED, WorkOrder.Status.REOPENED])
    due_soon = WorkOrder.objects.filter(
        active,
        reminded_at__isnull=True,
        deadline_at__gt=now,
        deadline_at__lte=now + REMIND_BEFORE,
    )
    reminded = sum(
        _escalate_one(pk, now=now, late=False) for pk in due_soon.values_list("pk", flat=True)
    )
    late = WorkOrder.objects.filter(
        status__in=WorkOrder.ACTIVE, escalated_at__isnull=True, deadline_at__lte=now
    )
    escalated = sum(
        _escalate_one(pk, now=now, late=True) for pk in late.values_list("pk", flat=True)
    )
    flagged = WorkOrder.objects.filter(
        status__in=WorkOrder.ACTIVE, deadline_at__lte=now, is_overdue=False
    ).update(is_overdue=True)
    return EscalationRun(reminded=reminded, escalated=escalated, flagged=flagged)


def _escalate_one(pk: int, *, now: dt.datetime, late: bool) -> int:
    with transaction.atomic():
        order = (
            WorkOrder.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("area", "assignee_area", "assignee_team", "assignee_user")
            .filter(pk=pk, status__in=WorkOrder.ACTIVE)
            .filter(Q(escalated_at__isnull=True) if late else Q(reminded_at__isnull=True))
            .first()
        )
        if order is None:
            return 0
        deadline = _local(order.deadline_at, "%m-%d %H:%M")
        if late:
            order.escalated_at, order.is_overdue = now, True
            order.save(update_fields=["escalated_at", "is_overdue"])
            event = _event(order, action="escalate", actor=None, at=now)
            message_send(
                template="workorders.late",
                data={
                    "order": order.pk,
                    "area": order.area.name,
                    "title": order.title,
                    "due": deadline,
                },
                users=_administrators_above(order.area),
                event_key=f"workorder-late:{order.pk}:{order.deadline_at.isoformat()}",
            )
        else:
            order.reminded_at = now
            order.save(update_fields=["reminded_at"])
            event = _event(order, action="remind", actor=None, at=now)
            message_send(
                template="workorders.due_soon",
                data={"order": order.pk, "title": order.title, "due": deadline},
                users=_actors(order),
                event_key=f"workorder-due:{order.pk}:{order.deadline_at.isoformat()}",
            )
        _announce(order, event, None)
    return 1
