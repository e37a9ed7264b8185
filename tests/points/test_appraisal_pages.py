"""The phone pages of appraisals, publicity, objections and commendations."""

import pytest
from django.urls import reverse

from points.models import AppraisalCampaign, Commendation, Objection
from tests.factories import Role, make_household, make_staff
from tests.points.factories import make_commendation_rules, photo_upload
from tests.points.test_appraisals import villager_of

pytestmark = pytest.mark.django_db


def test_an_appraisal_from_start_to_objection_answer(client, tree, media_root):
    village = tree["villages"][0]
    a = make_staff(Role.COMMITTEE, village, name="甲委员")
    b = make_staff(Role.COMMITTEE, village, name="乙委员")
    house = make_household(village, head_name="陈淑芬")
    neighbour = make_household(village, head_name="林大海")
    villager = villager_of(neighbour)

    client.force_login(a)
    assert "新建评比" in client.get(reverse("points:campaigns")).content.decode()
    response = client.post(
        reverse("points:campaign_create"),
        {
            "village": village.pk,
            "title": "11月评比",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
        },
    )
    campaign = AppraisalCampaign.objects.get()
    assert response.url == reverse("points:campaign", args=[campaign.pk])
    criteria = list(campaign.criteria.all())
    url = reverse("points:campaign_score", args=[campaign.pk, house.pk])
    assert "院落整洁" in client.get(url).content.decode()
    client.post(
        url,
        {**{f"c{c.pk}": 19 for c in criteria}, "key": "sheet-key-1", "photos": [photo_upload()]},
    )
    page = client.get(reverse("points:campaign", args=[campaign.pk])).content.decode()
    assert "95.00 · 五星美家" in page

    client.force_login(b)
    client.post(reverse("points:campaign_verify", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == AppraisalCampaign.Status.PUBLICITY

    client.force_login(villager)
    page = client.get(reverse("points:publicity")).content.decode()
    assert "陈淑芬家" in page and "五星美家 · 95.0" in page
    result = campaign.results.get()
    client.post(
        reverse("points:objection_create"),
        {"target": "result", "target_id": result.pk, "reason": "院子没有打扫"},
    )
    objection = Objection.objects.get()

    client.force_login(b)
    assert (
        "院子没有打扫"
        in client.get(reverse("points:campaign", args=[campaign.pk])).content.decode()
    )
    client.post(
        reverse("points:objection_answer", args=[objection.pk]),
        {"decision": "reject", "resolution": "复查时已经打扫干净"},
    )
    client.force_login(villager)
    page = client.get(reverse("points:publicity")).content.decode()
    assert "异议不成立" in page and "复查时已经打扫干净" in page


def test_publicity_page_query_count(client, tree, django_assert_max_num_queries):
    village = tree["villages"][0]
    villager = villager_of(make_household(village, head_name="郑家"))
    client.force_login(villager)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("points:publicity")).status_code == 200


def test_commendations_nominated_by_committee_decided_by_the_town(client, tree, media_root):
    village = tree["villages"][0]
    make_commendation_rules(tree["district"])
    committee = make_staff(Role.COMMITTEE, village, name="甲委员")
    town = make_staff(Role.TOWN_ADMIN, tree["town"], name="镇干部")
    house = make_household(village, head_name="黄月英")
    client.force_login(committee)
    client.post(
        reverse("points:commendation_create"),
        {
            "village": village.pk,
            "number": house.number,
            "person": "黄月英",
            "title": "good_mother_in_law",
            "citation": "待儿媳如亲生女儿",
            "key": "nominate-page-1",
            "photo": photo_upload(),
        },
    )
    item = Commendation.objects.get()
    assert item.member.name == "黄月英" and item.photo
    # A committee member cannot decide.
    response = client.post(reverse("points:commendation_decide", args=[item.pk]))
    assert response.status_code == 404
    client.force_login(town)
    page = client.get(reverse("points:commendations")).content.decode()
    assert "待儿媳如亲生女儿" in page and "不通过" in page
    client.post(reverse("points:commendation_decide", args=[item.pk]), {"decision": "approve"})
    item.refresh_from_db()
    assert item.status == Commendation.Status.PUBLICITY


def test_scoring_pages_are_for_staff_of_the_village(client, tree):
    villager = villager_of(make_household(tree["villages"][0]))
    client.force_login(villager)
    assert client.get(reverse("points:campaigns")).status_code == 404
    assert client.get(reverse("points:sorting_rounds")).status_code == 404
    assert client.get(reverse("points:commendations")).status_code == 404


def test_work_desk_menu_links_to_the_scoring_pages(client, tree):
    committee = make_staff(Role.COMMITTEE, tree["villages"][0], name="甲委员")
    client.force_login(committee)
    page = client.get("/admin/").content.decode()
    for url in ("/scoring/sorting/", "/scoring/appraisals/", "/scoring/commendations/"):
        assert url in page


def test_campaign_page_searches_households_with_few_queries(
    client, tree, django_assert_max_num_queries
):
    from points.services.appraisals import appraisal_campaign_create

    village = tree["villages"][0]
    committee = make_staff(Role.COMMITTEE, village, name="甲委员")
    for index in range(20):
        make_household(village, head_name=f"宋{index}号")
    import datetime

    campaign = appraisal_campaign_create(
        village=village,
        title="评比",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        actor=committee,
    )
    client.force_login(committee)
    url = reverse("points:campaign", args=[campaign.pk])
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert page.count("宋") == 20
    page = client.get(url, {"q": "宋1"}).content.decode()
    assert "宋1号" in page and "宋12号" in page and "宋2号" not in page


def test_a_campaign_with_its_own_rubric(client, tree):
    village = tree["villages"][0]
    client.force_login(make_staff(Role.COMMITTEE, village, name="甲委员"))
    assert 'value="家风家训上墙"' in client.get(reverse("points:campaigns")).content.decode()
    client.post(
        reverse("points:campaign_create"),
        {
            "village": village.pk,
            "title": "第四季度评比",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "criterion_name": ["院落整洁", "厕所干净", "", "绿化"],
            "criterion_max": ["40", "30", "", "30"],
            "level_name": ["五星美家", "三星美家", ""],
            "level_stars": ["5", "3", ""],
            "level_min": ["90", "60", ""],
            "level_points": ["50", "10", ""],
        },
    )
    campaign = AppraisalCampaign.objects.get()
    assert [(c.name, c.max_score) for c in campaign.criteria.all()] == [
        ("院落整洁", 40),
        ("厕所干净", 30),
        ("绿化", 30),
    ]
    assert [(lv.name, lv.stars, lv.min_total, lv.points) for lv in campaign.levels.all()] == [
        ("五星美家", 5, 90, 50),
        ("三星美家", 3, 60, 10),
    ]
    response = client.post(
        reverse("points:campaign_create"),
        {
            "village": village.pk,
            "title": "错的",
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "level_name": ["五星", "三星"],
            "level_stars": ["5", "3"],
            "level_min": ["90", "很多"],
            "level_points": ["30", "10"],
        },
    )
    assert AppraisalCampaign.objects.count() == 1
    page = response.content.decode()
    # Which row is wrong, and what was typed is still there.
    assert response.status_code == 400 and "第 2 行" in page
    assert 'value="很多"' in page and 'value="错的"' in page
