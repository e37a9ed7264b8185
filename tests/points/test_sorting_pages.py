"""The phone pages of a sorting round: sheet, one-tap grades, offline re-sends, finding."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from points.models import PointsClaim, SortingCheck
from points.services.sorting import sorting_check_record, sorting_round_open
from registry.models import Area
from registry.services.codes import card_token
from tests.factories import Role, make_household, make_staff
from tests.points.factories import make_sorting_rules, photo_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, client):
    village = tree["villages"][0]
    make_sorting_rules(tree["district"])
    scorer = make_staff(Role.COMMITTEE, village, name="李委员")
    client.force_login(scorer)
    group = village.get_children().filter(level=Area.Level.GROUP).order_by("path").first()
    households = [
        make_household(village, head_name=f"张{index}号", group=group) for index in range(12)
    ]
    found = sorting_round_open(village=village, actor=scorer, held_on=timezone.localdate())
    return {"village": village, "scorer": scorer, "households": households, "round": found}


def _post(client, world, household, grade="good", key=None, **extra):
    return client.post(
        reverse("points:sorting_grade", args=[world["round"].pk]),
        {"household": household.pk, "grade": grade, "key": key or uuid.uuid4().hex, **extra},
        HTTP_ACCEPT="application/json",
    )


def test_round_screen_lists_the_group_in_order_with_a_running_count(
    client, world, django_assert_max_num_queries
):
    for index, household in enumerate(world["households"][:3]):
        sorting_check_record(
            round=world["round"],
            household=household,
            grade="good",
            actor=world["scorer"],
            idempotency_key=f"seed-key-{index}",
        )
    url = reverse("points:sorting_round", args=[world["round"].pk])
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "已评 <strong data-graded>3</strong> / <strong data-total>12</strong> 户" in page
    assert page.index("张0号") < page.index("张11号")
    assert page.count('name="grade" value="excellent"') == 12
    assert 'src="/static/points/sorting.js"' in page
    # More households do not cost more queries.
    for index in range(12, 40):
        make_household(
            world["village"], head_name=f"张{index}号", group=world["households"][0].group
        )
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_one_tap_records_a_grade_and_a_resent_entry_is_not_duplicated(client, world):
    household = world["households"][0]
    key = uuid.uuid4().hex
    first = _post(client, world, household, "excellent", key).json()
    # The phone lost the answer and sends the queued entry again.
    again = _post(client, world, household, "excellent", key).json()
    assert first["ok"] and again["ok"] and again["check"] == first["check"]
    assert SortingCheck.objects.filter(household=household).count() == 1
    assert PointsClaim.objects.filter(household=household).count() == 1


def test_a_second_tap_for_a_household_is_a_flagged_conflict(client, world):
    household = world["households"][1]
    _post(client, world, household, "good")
    second = _post(client, world, household, "pass").json()
    assert second["is_conflict"] is True
    assert SortingCheck.objects.filter(household=household, is_conflict=True).count() == 2


def test_refusals_answer_json_with_a_message(client, world):
    response = _post(client, world, world["households"][0], "perfect")
    assert response.status_code == 409
    assert response.json()["code"] == "bad_grade"
    assert response.json()["message"] == "请选择一个等级。"


def test_plain_form_post_redirects_back_to_the_sheet(client, world):
    response = client.post(
        reverse("points:sorting_grade", args=[world["round"].pk]),
        {"household": world["households"][2].pk, "grade": "good", "key": uuid.uuid4().hex},
    )
    assert response.status_code == 302
    assert SortingCheck.objects.filter(household=world["households"][2]).exists()


def test_grade_with_a_photo_and_note(client, world, media_root, django_capture_on_commit_callbacks):
    household = world["households"][3]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, world, household, "fail", note="厨余混投", photo=photo_upload())
    assert len(callbacks) == 1  # the thumbnail task, after the commit
    check = SortingCheck.objects.get(pk=response.json()["check"])
    assert check.note == "厨余混投"
    assert check.photo.image.name.endswith(".jpg") and check.photo.thumbnail


def test_find_by_card_code_and_by_name_number_or_group(client, world):
    household = world["households"][4]
    url = reverse("points:sorting_find", args=[world["round"].pk])
    response = client.get(url, {"code": card_token(household)})
    assert response.status_code == 302
    assert response.url == reverse(
        "points:sorting_household", args=[world["round"].pk, household.pk]
    )
    page = client.get(response.url).content.decode()
    assert "张4号" in page and 'name="photo"' in page
    assert "张4号" in client.get(url, {"q": "张4"}).content.decode()
    assert "张4号" in client.get(url, {"q": household.number}).content.decode()
    assert "张4号" in client.get(url, {"q": "第1组"}).content.decode()
    refused = client.get(url, {"code": "MJCNOTACODE"}, follow=True).content.decode()
    assert "这不是美家户码" in refused


def test_pages_are_scoped_to_the_scorers_village(client, world, tree):
    outsider = make_staff(Role.COMMITTEE, tree["villages"][1], name="外村委员")
    client.force_login(outsider)
    assert client.get(reverse("points:sorting_round", args=[world["round"].pk])).status_code == 404
    response = _post(client, world, world["households"][0])
    assert response.status_code == 404
    villager_page = client.get(reverse("points:sorting_rounds"))
    assert world["village"].name not in villager_page.content.decode()


def test_approval_queue_is_scoped_to_the_approvers_villages(client, world, tree):
    from tests.factories import make_district, make_town, make_village

    sorting_check_record(
        round=world["round"],
        household=world["households"][0],
        grade="good",
        actor=world["scorer"],
        idempotency_key="queue-scope-1",
    )
    town_admin = make_staff(Role.TOWN_ADMIN, tree["town"], name="本镇干部")
    client.force_login(town_admin)
    assert "张0号" in client.get(reverse("points_claims:queue")).content.decode()
    other_town = make_town(make_district("别区"), name="别镇")
    make_village(other_town, name="别村")
    stranger = make_staff(Role.TOWN_ADMIN, other_town, name="别镇干部")
    client.force_login(stranger)
    assert "张0号" not in client.get(reverse("points_claims:queue")).content.decode()
    client.force_login(world["scorer"])
    page = client.get(reverse("points_claims:queue")).content.decode()
    assert "张0号" in page and "您登记的" in page


def test_the_approver_sees_the_conflict_flag(client, world, tree):
    for index, grade in enumerate(["good", "excellent"]):
        sorting_check_record(
            round=world["round"],
            household=world["households"][5],
            grade=grade,
            actor=world["scorer"],
            idempotency_key=f"conflict-flag-{index}",
        )
    client.force_login(make_staff(Role.COMMITTEE, world["village"], name="复核委员"))
    page = client.get(reverse("points_claims:queue")).content.decode()
    assert page.count("本轮评了 2 次：请比较后再审核。") == 2


def test_the_villager_reaches_the_publicity_page_from_the_household_page(client, world):
    from tests.points.test_appraisals import villager_of

    house = world["households"][6]
    client.force_login(villager_of(house))
    page = client.get(reverse("household", args=[house.pk])).content.decode()
    assert reverse("points:publicity") in page and "公示和异议" in page
