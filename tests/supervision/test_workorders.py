"""Work order transitions: every move, who may and who may not, retries, events, messages."""

import datetime as dt

import pytest

from outbox.models import Message
from registry.models import Area
from supervision.exceptions import WorkOrderError
from supervision.models import WorkOrder, WorkOrderEvent, WorkOrderPhoto
from supervision.services.workorders import (
    may_act,
    work_order_assign,
    work_order_check,
    work_order_close,
    work_order_create,
    work_order_done,
    work_order_reopen,
    work_order_transition,
)
from supervision.signals import work_order_changed
from supervision.transitions import TRANSITIONS, transitions_from
from tests.points.factories import photo_upload
from tests.supervision.factories import T0, make_world

pytestmark = pytest.mark.django_db
S = WorkOrder.Status


@pytest.fixture
def world():
    return make_world()


def _order(world, **kwargs) -> WorkOrder:
    defaults = {
        "category": world["category"],
        "area": world["village"],
        "title": "村口三大堆",
        "actor": world["inspector"],
        "assignee_area": world["village"],
        "now": T0,
    }
    return work_order_create(**{**defaults, **kwargs})


def _done(world, order, actor=None):
    return work_order_done(
        order=order, actor=actor or world["committee"], photos=[photo_upload()], note="已清理"
    )


def test_create_assigned_to_village_sets_deadline_from_service_level_and_tells_committee(world):
    order = _order(world, photos=[photo_upload()])
    assert order.status == S.ASSIGNED
    assert order.deadline_at == T0 + dt.timedelta(days=7)
    assert order.source == "inspection"
    assert list(order.events.values_list("action", "to_status")) == [("create", S.ASSIGNED)]
    assert order.photos.get().stage == WorkOrderPhoto.Stage.BEFORE
    told = Message.objects.filter(template="workorders.assigned")
    assert list(told.values_list("user", flat=True)) == [world["committee"].pk]


def test_create_without_assignee_is_open_and_assign_moves_it(world):
    order = _order(world, assignee_area=None)
    assert order.status == S.OPEN
    with pytest.raises(WorkOrderError) as refused:
        work_order_assign(order=order, actor=world["town_admin"])
    assert refused.value.code == "no_assignee"
    order = work_order_assign(order=order, actor=world["town_admin"], assignee_team=world["team"])
    assert order.status == S.ASSIGNED
    assert may_act(world["worker"], order)
    assert not may_act(world["committee"], order)
    # The same person assigns it again, elsewhere: not a retry.
    order = work_order_assign(
        order=order, actor=world["town_admin"], assignee_area=world["village"]
    )
    assert order.assignee_area == world["village"] and order.assignee_team is None
    assert order.events.filter(action="assign").count() == 2


@pytest.mark.parametrize("who", ["committee", "editor", "stranger", "committee_other"])
def test_who_may_not_file(world, who):
    with pytest.raises(WorkOrderError) as refused:
        _order(world, actor=world[who])
    assert refused.value.code == "not_allowed"
    assert not WorkOrder.objects.exists()


def test_create_with_key_is_idempotent_and_refuses_a_key_for_another_place(world):
    first = _order(world, key="round-1:item-3")
    again = _order(world, key="round-1:item-3")
    assert again.pk == first.pk
    assert WorkOrder.objects.count() == 1
    with pytest.raises(WorkOrderError) as refused:
        _order(world, key="round-1:item-3", area=world["other_village"])
    assert refused.value.code == "key_reused"


def test_household_must_be_in_the_area(world):
    with pytest.raises(WorkOrderError) as refused:
        _order(world, area=world["other_village"], household=world["household"])
    assert refused.value.code == "bad_household"


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("committee", True),
        ("town_admin", True),  # village staff of the town may act for a village
        ("committee_other", False),
        ("inspector", False),
        ("editor", False),
        ("stranger", False),
        ("worker", False),
    ],
)
def test_who_may_report_a_village_order_done(world, who, allowed):
    order = _order(world)
    if allowed:
        order = _done(world, order, actor=world[who])
        assert order.status == S.DONE
        assert order.done_by == world[who]
        assert order.photos.filter(stage=WorkOrderPhoto.Stage.AFTER).count() == 1
    else:
        with pytest.raises(WorkOrderError) as refused:
            _done(world, order, actor=world[who])
        assert refused.value.code == "not_allowed"
        assert WorkOrder.objects.get(pk=order.pk).status == S.ASSIGNED


def test_team_member_and_named_person_act_on_their_orders(world):
    order = _order(world, assignee_area=None, assignee_team=world["team"])
    assert _done(world, order, actor=world["worker"]).status == S.DONE
    person = _order(world, assignee_area=None, assignee_user=world["stranger"], title="另一处")
    assert _done(world, person, actor=world["stranger"]).status == S.DONE


def test_done_needs_an_after_photo(world):
    order = _order(world)
    with pytest.raises(WorkOrderError) as refused:
        work_order_done(order=order, actor=world["committee"], photos=[])
    assert refused.value.code == "photo_required"


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("inspector", None),
        ("inspector2", None),
        ("town_admin", None),
        ("district_admin", None),
        ("committee", "same_person"),  # the committee reported it done
        ("committee_other", "not_allowed"),
        ("editor", "not_allowed"),
        ("worker", "not_allowed"),
    ],
)
def test_who_may_accept(world, who, code):
    order = _done(world, _order(world))
    if code is None:
        order = work_order_check(order=order, actor=world[who], is_accepted=True)
        assert order.status == S.CHECKED
        assert order.checked_at is not None
    else:
        with pytest.raises(WorkOrderError) as refused:
            work_order_check(order=order, actor=world[who], is_accepted=True)
        assert refused.value.code == code


def test_nobody_checks_their_own_work(world):
    order = _done(world, _order(world), actor=world["town_admin"])
    with pytest.raises(WorkOrderError) as refused:
        work_order_check(order=order, actor=world["town_admin"], is_accepted=True)
    assert refused.value.code == "same_person"


def test_send_back_needs_a_reason_returns_to_assigned_and_tells_the_committee(world):
    order = _done(world, _order(world))
    with pytest.raises(WorkOrderError) as refused:
        work_order_check(order=order, actor=world["inspector"], is_accepted=False, note=" ")
    assert refused.value.code == "reason_required"
    order = work_order_check(
        order=order, actor=world["inspector"], is_accepted=False, note="照片看不清"
    )
    assert order.status == S.ASSIGNED
    assert order.done_by is None
    sent = Message.objects.get(template="workorders.sent_back")
    assert sent.user == world["committee"]
    assert sent.data["reason"] == "照片看不清"


def test_close_and_reopen_with_a_new_deadline(world):
    order = _done(world, _order(world))
    order = work_order_check(order=order, actor=world["inspector"], is_accepted=True)
    order = work_order_close(order=order, actor=world["town_admin"])
    assert order.status == S.CLOSED
    later = T0 + dt.timedelta(days=30)
    with pytest.raises(WorkOrderError) as refused:
        work_order_reopen(order=order, actor=world["inspector"], note="", now=later)
    assert refused.value.code == "reason_required"
    with pytest.raises(WorkOrderError) as refused:
        work_order_reopen(order=order, actor=world["committee"], note="又堆上了", now=later)
    assert refused.value.code == "not_allowed"
    order = work_order_reopen(order=order, actor=world["inspector"], note="又堆上了", now=later)
    assert order.status == S.REOPENED
    assert order.times_reopened == 1
    assert order.deadline_at == later + dt.timedelta(days=7)
    assert order.closed_at is None and order.done_by is None
    # The village acts again.
    assert _done(world, order).status == S.DONE


@pytest.mark.parametrize("status", list(S))
def test_only_the_table_moves_are_allowed_from_each_status(world, status):
    order = _order(world)
    WorkOrder.objects.filter(pk=order.pk).update(status=status)
    allowed = {t.name for t in transitions_from(status)}
    for name in TRANSITIONS:
        if name in allowed:
            continue
        with pytest.raises(WorkOrderError) as refused:
            work_order_transition(
                order=order,
                name=name,
                actor=world["district_admin"],
                note="理由",
                photos=[photo_upload()],
                assignee_area=world["village"],
            )
        assert refused.value.code == "bad_transition"
    assert WorkOrder.objects.get(pk=order.pk).status == status


def test_a_double_tap_writes_one_event(world):
    order = _order(world)
    _done(world, order)
    again = _done(world, order)
    assert again.status == S.DONE
    assert order.events.filter(action="done").count() == 1
    assert WorkOrderPhoto.objects.filter(order=order, stage="after").count() == 1


def test_every_move_is_a_dated_event_with_who_and_why(world):
    order = _order(world)
    order = _done(world, order)
    order = work_order_check(
        order=order, actor=world["inspector"], is_accepted=False, note="不合格"
    )
    order = _done(world, order)
    order = work_order_check(order=order, actor=world["inspector"], is_accepted=True)
    events = list(WorkOrderEvent.objects.filter(order=order).order_by("at", "pk"))
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("create", "", S.ASSIGNED),
        ("done", S.ASSIGNED, S.DONE),
        ("send_back", S.DONE, S.ASSIGNED),
        ("done", S.ASSIGNED, S.DONE),
        ("accept", S.DONE, S.CHECKED),
    ]
    assert events[2].note == "不合格" and events[2].actor == world["inspector"]


def test_other_apps_hear_every_change_in_the_transaction(world):
    heard = []

    def receiver(sender, order, event, action, actor, **kwargs):
        heard.append((action, order.status, event.pk is not None))

    work_order_changed.connect(receiver, dispatch_uid="test-heard")
    try:
        order = _order(world)
        _done(world, order)
    finally:
        work_order_changed.disconnect(dispatch_uid="test-heard")
    assert heard == [("create", S.ASSIGNED, True), ("done", S.DONE, True)]


def test_a_receiver_that_fails_rolls_the_change_back(world):
    order = _order(world)

    def refuse(sender, **kwargs):
        raise RuntimeError("upkeep says no")

    work_order_changed.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(RuntimeError):
            _done(world, order)
    finally:
        work_order_changed.disconnect(dispatch_uid="test-refuse")
    assert WorkOrder.objects.get(pk=order.pk).status == S.ASSIGNED
    assert not order.events.filter(action="done").exists()


def test_area_of_a_town_order_is_scoped_for_village_staff(world):
    town_order = _order(world, area=Area.objects.get(pk=world["town"].pk), assignee_area=None)
    assert town_order.status == S.OPEN
    with pytest.raises(WorkOrderError):
        _order(world, area=world["town"], actor=world["committee"])
