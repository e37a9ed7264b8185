"""Pages: scoping (a committee sees its village's orders only), 我的整改, the order page and its
moves, the filtered list and its recorded export, the phone round (JSON replay), 村务公开, the
household deduction through points' maker-checker path."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from points.models import PointsClaim
from points.services.claims import claim_approve
from points.services.rules import rule_create
from registry.models import ExportRecord
from registry.services.register import villager_link
from supervision.models import ChecklistItem, ItemResult, WorkOrder
from supervision.services.inspections import round_plan
from supervision.services.workorders import work_order_create
from tests.factories import make_household
from tests.points.factories import photo_upload
from tests.supervision.factories import make_world, person

pytestmark = pytest.mark.django_db
S = WorkOrder.Status


@pytest.fixture
def world():
    return make_world()


def _order(world, village_key="village", **kwargs):
    return work_order_create(
        category=world["category"],
        area=world[village_key],
        title=kwargs.pop("title", "村口三大堆"),
        actor=world["inspector"],
        assignee_area=world[village_key],
        photos=[photo_upload()],
        **kwargs,
    )


def test_committee_sees_its_villages_orders_only(client, world, django_assert_max_num_queries):
    mine = [_order(world, title=f"问题{i}") for i in range(3)]
    theirs = _order(world, "other_village", title="别村的问题")
    client.force_login(world["committee"])
    with django_assert_max_num_queries(12):
        page = client.get("/supervision/mine/")
    assert page.status_code == 200
    text = page.content.decode()
    assert all(f"#{o.pk} " in text for o in mine)
    assert "别村的问题" not in text
    assert client.get(f"/supervision/orders/{theirs.pk}/").status_code == 404
    assert client.get(f"/supervision/orders/{mine[0].pk}/").status_code == 200


def test_order_page_moves_done_then_accept(client, world):
    order = _order(world)
    client.force_login(world["committee"])
    page = client.get(f"/supervision/orders/{order.pk}/").content.decode()
    assert 'value="done"' in page and 'value="accept"' not in page
    client.post(
        f"/supervision/orders/{order.pk}/move/",
        {"move": "done", "note": "已清理", "photos": photo_upload()},
    )
    order.refresh_from_db()
    assert order.status == S.DONE
    client.force_login(world["inspector"])
    client.post(f"/supervision/orders/{order.pk}/move/", {"move": "accept"})
    order.refresh_from_db()
    assert order.status == S.CHECKED
    page = client.get(f"/supervision/orders/{order.pk}/").content.decode()
    assert "已清理" in page  # the timeline


def test_a_refused_move_says_why_and_changes_nothing(client, world):
    order = _order(world)
    client.force_login(world["committee"])
    response = client.post(
        f"/supervision/orders/{order.pk}/move/", {"move": "done", "note": "x"}, follow=True
    )
    assert "请至少上传一张整改后的照片" in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.ASSIGNED


def test_town_list_filters_and_counts_queries(client, world, django_assert_max_num_queries):
    for i in range(5):
        _order(world, title=f"问题{i}")
    late = _order(world, "other_village", title="逾期的问题")
    WorkOrder.objects.filter(pk=late.pk).update(deadline_at=late.created_at - dt.timedelta(days=1))
    client.force_login(world["town_admin"])
    with django_assert_max_num_queries(10):
        page = client.get("/supervision/orders/")
    assert page.content.decode().count("order-card") == 6
    page = client.get("/supervision/orders/?late=1").content.decode()
    assert "逾期的问题" in page and "问题0" not in page
    page = client.get(f"/supervision/orders/?area={world['village'].pk}").content.decode()
    assert "逾期的问题" not in page and "问题4" in page


def test_town_list_pages_through_every_order_keeping_its_filters(client, world, monkeypatch):
    """No order is out of reach: the list pages (it cut at 200 before), and the pager keeps the
    filter."""
    monkeypatch.setattr("supervision.views.ORDERS_PAGE_SIZE", 2)
    for i in range(5):
        _order(world, title=f"问题{i}")
    _order(world, "other_village", title="别村的问题")
    client.force_login(world["town_admin"])
    area = f"area={world['village'].pk}"
    seen = []
    for number in (1, 2, 3):
        page = client.get(f"/supervision/orders/?{area}&page={number}").content.decode()
        seen += [f"问题{i}" for i in range(5) if f"问题{i}" in page]
        assert "别村的问题" not in page
        assert "共 5 个工单" in page
        if number < 3:
            assert f"?{area}&amp;page={number + 1}" in page
    assert sorted(seen) == [f"问题{i}" for i in range(5)]


def test_export_is_scoped_and_recorded(client, world):
    _order(world, title="本村问题")
    _order(world, "other_village", title="别村问题")
    client.force_login(world["committee"])
    response = client.get("/supervision/orders/?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    titles = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["本村问题"]
    record = ExportRecord.objects.get()
    assert (record.user, record.kind, record.row_count) == (world["committee"], "work_orders", 1)


def test_public_page_shows_own_village_without_household_names(client, world):
    household = make_household(world["village"], head_name="赵大山", phone="13900000077")
    _order(world, title="村东沟塘", household=household)
    _order(world, "other_village", title="别村沟塘")
    villager = person(phone="13900000077", phone_verified=True)
    villager_link(user=villager)
    client.force_login(villager)
    page = client.get("/site/village/orders/").content.decode()
    assert "村东沟塘" in page
    assert "别村沟塘" not in page
    assert "赵大山" not in page
    client.force_login(world["committee_other"])
    page = client.get("/site/village/orders/").content.decode()
    assert "村东沟塘" not in page and "别村沟塘" not in page


def test_round_record_json_replayed_twice_records_once(client, world):
    item = ChecklistItem.objects.create(
        district=world["district"], name="三大堆", weight=10, days=5, category=world["category"]
    )
    found = round_plan(
        area=world["town"],
        name="第一轮",
        planned_on=dt.date(2026, 12, 1),
        villages=[world["village"]],
        actor=world["inspector"],
    )
    client.force_login(world["inspector"])
    url = f"/supervision/rounds/{found.pk}/village/{world['village'].pk}/record/"
    page = client.get(f"/supervision/rounds/{found.pk}/village/{world['village'].pk}/")
    assert "三大堆" in page.content.decode()
    for _replay in range(2):
        response = client.post(
            url,
            {
                "item": item.pk,
                "result": "fail",
                "key": "phone-key-000001",
                "note": "村口",
                "latitude": "36.812345",
                "longitude": "118.054321",
                "photos": photo_upload(),
            },
            headers={"Accept": "application/json"},
        )
        assert response.json()["ok"] is True
    assert ItemResult.objects.count() == 1
    order = WorkOrder.objects.get()
    assert str(order.latitude) == "36.812345"
    # A committee member cannot record.
    client.force_login(world["committee"])
    assert client.post(url, {"item": item.pk, "result": "pass", "key": "k" * 16}).status_code == 404


def test_household_deduction_goes_through_maker_checker(client, world):
    rule_create(
        actor=None,
        area=world["district"],
        code="inspection-household",
        category="other",
        kind="deduct",
        is_published=True,
        name="督查发现三大堆",
        points=5,
        valid_from=dt.date(2020, 1, 1),
    )
    order = _order(world, household=world["household"])
    client.force_login(world["committee"])
    client.post(f"/supervision/orders/{order.pk}/deduct/")
    client.post(f"/supervision/orders/{order.pk}/deduct/")  # a double tap
    claim = PointsClaim.objects.get()
    assert claim.status == PointsClaim.Status.PENDING
    assert claim.household == world["household"]
    assert "村口三大堆" in claim.reason
    assert order.events.filter(action="deduct").count() == 1
    # The inspector is not village staff: no deduction.
    client.force_login(world["inspector"])
    client.post(f"/supervision/orders/{order.pk}/deduct/")
    assert PointsClaim.objects.count() == 1
    # Someone else approves it (maker-checker); the recorder could not.
    claim_approve(claim=claim, approver=world["town_admin"])
    claim.refresh_from_db()
    assert claim.status == PointsClaim.Status.APPROVED
