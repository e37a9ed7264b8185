"""The beat task: a reminder the day before, late orders flagged and reported above, once."""

import datetime as dt
from unittest import mock

import pytest

from outbox.models import Message
from supervision.models import WorkOrder
from supervision.services.workorders import work_order_create, work_order_done
from supervision.tasks import escalate_work_orders
from tests.factories import Role
from tests.points.factories import photo_upload
from tests.supervision.factories import T0, make_staff, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _order(world, **kwargs):
    return work_order_create(
        category=world["category"],
        area=world["village"],
        title="沟塘漂浮垃圾",
        actor=world["inspector"],
        assignee_area=world["village"],
        now=T0,
        **kwargs,
    )


def test_reminder_the_day_before_then_late_to_the_town_once(world):
    order = _order(world)  # due T0 + 7 days
    with _at(T0 + dt.timedelta(days=5)):
        assert escalate_work_orders.delay().get() == {"reminded": 0, "escalated": 0, "flagged": 0}
    with _at(T0 + dt.timedelta(days=6, hours=1)):
        assert escalate_work_orders.delay().get()["reminded"] == 1
        assert escalate_work_orders.delay().get()["reminded"] == 0
    due = Message.objects.filter(template="workorders.due_soon")
    assert list(due.values_list("user", flat=True)) == [world["committee"].pk]
    order.refresh_from_db()
    assert not order.is_overdue
    with _at(T0 + dt.timedelta(days=7, minutes=5)):
        result = escalate_work_orders.delay().get()
        assert result["escalated"] == 1
        assert escalate_work_orders.delay().get()["escalated"] == 0
    order.refresh_from_db()
    assert order.is_overdue and order.is_late(T0 + dt.timedelta(days=8))
    late = Message.objects.filter(template="workorders.late")
    # The town's administrators, not the district's, not the committee.
    assert list(late.values_list("user", flat=True)) == [world["town_admin"].pk]
    assert list(order.events.values_list("action", flat=True)) == ["create", "remind", "escalate"]


def test_late_goes_to_the_district_when_the_town_has_no_administrator(world):
    world["town_admin"].roles.all().delete()
    order = _order(world)
    with _at(order.deadline_at + dt.timedelta(hours=1)):
        escalate_work_orders.delay().get()
    late = Message.objects.filter(template="workorders.late")
    assert list(late.values_list("user", flat=True)) == [world["district_admin"].pk]


def test_done_orders_are_neither_reminded_nor_escalated(world):
    order = _order(world)
    work_order_done(order=order, actor=world["committee"], photos=[photo_upload()])
    with _at(order.deadline_at + dt.timedelta(days=1)):
        assert escalate_work_orders.delay().get() == {"reminded": 0, "escalated": 0, "flagged": 0}
    order.refresh_from_db()
    assert not order.is_overdue


def test_each_late_order_reported_to_its_own_town(world):
    other_town = world["district"].add_child(
        name="第二镇", code="379999999999", level="town", kind="town"
    )
    other_village = other_town.add_child(
        name="远村", code="379999999998", level="village", kind="village"
    )
    other_admin = make_staff(Role.TOWN_ADMIN, other_town)
    _order(world)
    work_order_create(
        category=world["category"],
        area=other_village,
        title="残垣断壁",
        actor=world["inspector"],
        assignee_area=other_village,
        now=T0,
    )
    with _at(T0 + dt.timedelta(days=10)):
        assert escalate_work_orders.delay().get()["escalated"] == 2
    late = Message.objects.filter(template="workorders.late")
    assert sorted(late.values_list("user", flat=True)) == sorted(
        [world["town_admin"].pk, other_admin.pk]
    )
    assert WorkOrder.objects.filter(is_overdue=True).count() == 2
