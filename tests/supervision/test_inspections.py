"""Inspection rounds: scores from weights, failed items filed as orders, the offline replay,
re-checks and relapses, who may inspect."""

import datetime as dt

import pytest

from supervision.exceptions import InspectionError
from supervision.models import ChecklistItem, Inspection, ItemResult, WorkOrder
from supervision.services.inspections import inspection_item_record, round_plan
from supervision.services.workorders import work_order_check, work_order_done
from tests.points.factories import photo_upload
from tests.supervision.factories import T0, make_world

pytestmark = pytest.mark.django_db
S = WorkOrder.Status


@pytest.fixture
def world():
    world = make_world()
    world["piles"] = ChecklistItem.objects.create(
        district=world["district"], name="三大堆", weight=30, days=5, category=world["category"]
    )
    world["walls"] = ChecklistItem.objects.create(
        district=world["district"], name="残垣断壁", weight=10, days=10, category=world["category"]
    )
    world["round"] = round_plan(
        area=world["town"],
        name="十二月第一轮",
        planned_on=T0.date(),
        villages=[world["village"]],
        actor=world["inspector"],
    )
    return world


def _record(world, item, is_pass, key, *, round=None, now=T0, **kwargs):
    return inspection_item_record(
        round=round or world["round"],
        village=world["village"],
        item=world[item],
        is_pass=is_pass,
        actor=kwargs.pop("actor", world["inspector"]),
        key=key,
        photos=kwargs.pop("photos", [] if is_pass else [photo_upload()]),
        now=now,
        **kwargs,
    )


def test_fail_files_an_order_to_the_village_due_in_the_items_days(world):
    result = _record(
        world, "piles", False, "key-piles-0001", note="村口", latitude=36.8, longitude=118.0
    )
    order = result.work_order
    assert order.status == S.ASSIGNED
    assert order.assignee_area == world["village"]
    assert order.deadline_at == T0 + dt.timedelta(days=5)
    assert order.source == "inspection"
    assert str(order.latitude) == "36.800000"
    assert order.photos.get().photo == result.photos.get()


def test_score_is_the_passed_share_of_the_weights(world):
    _record(world, "piles", False, "key-piles-0001")
    _record(world, "walls", True, "key-walls-0001")
    inspection = Inspection.objects.get()
    assert (inspection.passed, inspection.failed) == (1, 1)
    assert str(inspection.score) == "25.0"  # 10 of 40


def test_offline_round_replayed_twice_records_once(world):
    sent = [("piles", False, "offline-piles-01"), ("walls", True, "offline-walls-01")]
    for _replay in range(3):
        for item, is_pass, key in sent:
            _record(world, item, is_pass, key)
    assert ItemResult.objects.count() == 2
    assert WorkOrder.objects.count() == 1
    assert Inspection.objects.get().failed == 1


def test_a_key_used_for_another_record_is_refused(world):
    _record(world, "piles", False, "key-piles-0001")
    with pytest.raises(InspectionError) as refused:
        _record(world, "walls", True, "key-piles-0001")
    assert refused.value.code == "key_reused"


def test_the_same_item_twice_with_another_key_is_refused(world):
    _record(world, "piles", True, "key-piles-0001")
    with pytest.raises(InspectionError) as refused:
        _record(world, "piles", False, "key-piles-0002")
    assert refused.value.code == "already_recorded"


def test_a_fail_needs_a_photo(world):
    with pytest.raises(InspectionError) as refused:
        _record(world, "piles", False, "key-piles-0001", photos=[])
    assert refused.value.code == "photo_required"


@pytest.mark.parametrize("who", ["committee", "editor", "stranger"])
def test_who_may_not_inspect(world, who):
    with pytest.raises(InspectionError) as refused:
        _record(world, "piles", True, "key-piles-0001", actor=world[who])
    assert refused.value.code == "not_allowed"


def test_a_village_off_the_round_is_refused(world):
    with pytest.raises(InspectionError) as refused:
        inspection_item_record(
            round=world["round"],
            village=world["other_village"],
            item=world["piles"],
            is_pass=True,
            actor=world["inspector"],
            key="key-other-0001",
        )
    assert refused.value.code == "not_in_round"


def _accepted(world):
    order = _record(world, "piles", False, "key-piles-0001").work_order
    order = work_order_done(order=order, actor=world["committee"], photos=[photo_upload()])
    return work_order_check(order=order, actor=world["inspector"], is_accepted=True)


def _later_round(world):
    return round_plan(
        area=world["town"],
        name="十二月第二轮",
        planned_on=T0.date() + dt.timedelta(days=14),
        villages=[world["village"]],
        actor=world["inspector2"],
    )


def test_recheck_that_passes_closes_the_order(world):
    order = _accepted(world)
    later = _later_round(world)
    result = _record(
        world, "piles", True, "key-piles-0002", round=later, now=T0 + dt.timedelta(days=14)
    )
    order.refresh_from_db()
    assert order.status == S.CLOSED
    assert result.recheck_of == order and not result.is_relapse
    assert result.work_order is None


def test_recheck_that_fails_is_a_relapse_and_reopens_the_order(world):
    order = _accepted(world)
    later = _later_round(world)
    when = T0 + dt.timedelta(days=14)
    result = _record(world, "piles", False, "key-piles-0002", round=later, now=when, note="又堆")
    order.refresh_from_db()
    assert result.is_relapse and result.recheck_of == order
    assert order.status == S.REOPENED and order.times_reopened == 1
    assert order.deadline_at == when + dt.timedelta(days=5)
    assert WorkOrder.objects.count() == 1  # no second order for the same problem


def test_an_order_not_yet_accepted_is_not_rechecked(world):
    _record(world, "piles", False, "key-piles-0001")
    later = _later_round(world)
    result = _record(world, "piles", False, "key-piles-0002", round=later)
    assert result.recheck_of is None
    assert WorkOrder.objects.count() == 2


def test_round_plan_checks_area_and_villages(world):
    with pytest.raises(InspectionError) as refused:
        round_plan(
            area=world["town"],
            name="x",
            planned_on=T0.date(),
            villages=[world["village"]],
            actor=world["committee"],
        )
    assert refused.value.code == "not_allowed"
    with pytest.raises(InspectionError) as refused:
        round_plan(
            area=world["town"],
            name="x",
            planned_on=T0.date(),
            villages=[],
            actor=world["inspector"],
        )
    assert refused.value.code == "no_villages"
