"""The figures assessment reads: by area and period, and the kept counts of the overview."""

import datetime as dt

import pytest

from supervision.models import AreaOrderCount, ChecklistItem, WorkOrder
from supervision.selectors import inspections, workorders
from supervision.services.inspections import inspection_item_record, round_plan
from supervision.services.workorders import (
    work_order_check,
    work_order_create,
    work_order_done,
    work_orders_escalate,
)
from tests.points.factories import photo_upload
from tests.supervision.factories import T0, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _order(world, village="village", **kwargs):
    return work_order_create(
        category=world["category"],
        area=world[village],
        title="问题",
        actor=world["inspector"],
        assignee_area=world[village],
        now=T0,
        **kwargs,
    )


def test_overview_counts_follow_every_change(world):
    first = _order(world)
    _order(world)
    _order(world, "other_village")
    work_order_done(order=first, actor=world["committee"], photos=[photo_upload()])
    work_orders_escalate(now=T0 + dt.timedelta(days=30))  # the two still assigned are late
    lines = {line.area.pk: line for line in workorders.work_order_overview(area=world["town"])}
    mine = lines[world["village"].pk]
    assert mine.by_status == {"assigned": 1, "done": 1}
    assert (mine.total, mine.active, mine.overdue) == (2, 1, 1)
    assert lines[world["other_village"].pk].overdue == 1
    (town,) = workorders.work_order_overview(area=world["district"])
    assert (town.total, town.overdue) == (3, 2)
    # The kept counts equal a count of the orders themselves.
    counted = WorkOrder.objects.filter(area__path__startswith=world["town"].path).count()
    kept = sum(AreaOrderCount.objects.filter(area=world["town"]).values_list("count", flat=True))
    assert kept == counted == 3
    WorkOrder.objects.filter(pk=first.pk).delete()
    assert (
        sum(AreaOrderCount.objects.filter(area=world["town"]).values_list("count", flat=True)) == 2
    )


def test_work_orders_by_area_in_a_period(world):
    on_time = _order(world)
    late = _order(world)
    work_order_done(
        order=on_time,
        actor=world["committee"],
        photos=[photo_upload()],
        now=T0 + dt.timedelta(days=1),
    )
    work_order_done(
        order=late, actor=world["committee"], photos=[photo_upload()], now=T0 + dt.timedelta(days=9)
    )
    _order(world, "other_village")
    lines = workorders.work_orders_by_area(
        area=world["town"],
        start=T0 - dt.timedelta(days=1),
        end=T0 + dt.timedelta(days=1),
        now=T0 + dt.timedelta(days=10),
    )
    by_village = {line.area.pk: line for line in lines}
    mine = by_village[world["village"].pk]
    assert (mine.filed, mine.done, mine.done_on_time) == (2, 2, 1)
    assert str(mine.on_time_rate) == "50.0"
    other = by_village[world["other_village"].pk]
    assert (other.filed, other.late_now, other.on_time_rate) == (1, 1, None)
    empty = workorders.work_orders_by_area(
        area=world["town"], start=T0 + dt.timedelta(days=1), end=T0 + dt.timedelta(days=2)
    )
    assert all(line.filed == 0 for line in empty)


def test_scores_and_relapses_by_village(world):
    item = ChecklistItem.objects.create(
        district=world["district"], name="三大堆", weight=10, days=5, category=world["category"]
    )
    rounds = [
        round_plan(
            area=world["town"],
            name=f"第{n}轮",
            planned_on=T0.date() + dt.timedelta(days=14 * n),
            villages=[world["village"]],
            actor=world["inspector"],
        )
        for n in range(2)
    ]
    first = inspection_item_record(
        round=rounds[0], village=world["village"], item=item, is_pass=False,
        actor=world["inspector"], key="key-round-0001", photos=[photo_upload()], now=T0,
    )  # fmt: skip
    order = work_order_done(
        order=first.work_order, actor=world["committee"], photos=[photo_upload()]
    )
    work_order_check(order=order, actor=world["inspector"], is_accepted=True)
    later = T0 + dt.timedelta(days=14)
    inspection_item_record(
        round=rounds[1], village=world["village"], item=item, is_pass=False,
        actor=world["inspector"], key="key-round-0002", photos=[photo_upload()], now=later,
    )  # fmt: skip
    scores = inspections.inspection_scores(
        area=world["town"], start=T0.date(), end=T0.date() + dt.timedelta(days=30)
    )
    assert [(s.round, str(s.score), s.failed) for s in scores] == [
        ("第0轮", "0.0", 1),
        ("第1轮", "0.0", 1),
    ]
    relapses = inspections.relapses_by_village(
        area=world["district"], start=T0, end=T0 + dt.timedelta(days=30)
    )
    assert relapses == {world["village"].pk: 1}
