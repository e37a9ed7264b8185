"""What a villager sees of their points, on the page and through the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import APIToken

from points.services import points_award, points_spend
from registry.services.register import villager_link
from tests.factories import Role, UserFactory, make_household, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(tree):
    village = tree["villages"][0]
    house = make_household(village, head_name="孙桂兰", phone="13900000001")
    neighbour = make_household(village, head_name="周大山", phone="13900000002")
    recorder = make_staff(Role.COMMITTEE, village, name="李委员")
    checker = make_staff(Role.COMMITTEE, village, name="王委员")
    villager = UserFactory(phone="13900000001", phone_verified=True)
    villager_link(user=villager)
    return {
        "house": house,
        "neighbour": neighbour,
        "recorder": recorder,
        "checker": checker,
        "villager": villager,
    }


def _award(family, household, amount, key, reason="垃圾分类 优"):
    return points_award(
        household=household,
        amount=amount,
        reason=reason,
        idempotency_key=key,
        actor=family["recorder"],
        approver=family["checker"],
        rule_code="sorting-excellent",
        rule_version=2,
    )


def test_household_page_shows_balance_reason_recorder_and_approver(client, family):
    _award(family, family["house"], 12, "a1", reason="庭院整洁 五星")
    points_spend(
        household=family["house"],
        amount=5,
        store_id=1,
        reason="兑换 毛巾",
        idempotency_key="s1",
        actor=None,
    )
    client.force_login(family["villager"])
    page = client.get(reverse("household", args=[family["house"].pk])).content.decode()
    assert 'class="balance-number">7<' in page
    assert "庭院整洁 五星" in page and "兑换 毛巾" in page
    assert "李委员" in page and "王委员" in page


def test_rank_in_the_village_this_month(client, family):
    _award(family, family["house"], 5, "a1")
    _award(family, family["neighbour"], 9, "a2")
    client.force_login(family["villager"])
    page = client.get(reverse("household", args=[family["house"].pk])).content.decode()
    assert "第 2 名" in page or "No. 2 of 2" in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("url_name", ["household", "household_history"])
def test_page_queries_do_not_grow_with_the_history(client, family, url_name):
    client.force_login(family["villager"])
    url = reverse(url_name, args=[family["house"].pk])
    _award(family, family["house"], 1, "first")
    few = _queries(client, url)
    for index in range(40):
        _award(family, family["house"], 1, f"more-{index}")
    assert _queries(client, url) == few
    assert few <= 16


def test_history_is_paginated_newest_first(client, family):
    for index in range(25):
        _award(family, family["house"], 1, f"k{index}", reason=f"第{index}次")
    client.force_login(family["villager"])
    url = reverse("household_history", args=[family["house"].pk])
    first = client.get(url).content.decode()
    assert first.index("第24次") < first.index("第23次")
    assert "第4次" not in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "第4次" in second


def test_history_of_another_household_is_404(client, family):
    client.force_login(family["villager"])
    assert (
        client.get(reverse("household_history", args=[family["neighbour"].pk])).status_code == 404
    )


# --- API -----------------------------------------------------------------------------------------


def test_api_with_a_session(client, family):
    _award(family, family["house"], 8, "a1")
    client.force_login(family["villager"])
    households = client.get("/api/v1/households").json()
    assert [h["id"] for h in households] == [family["house"].pk]
    assert households[0]["name"] == "孙*兰家"
    points = client.get(f"/api/v1/households/{family['house'].pk}/points").json()
    assert points["balance"] == 8
    history = client.get(f"/api/v1/households/{family['house'].pk}/history").json()
    assert history["count"] == 1
    item = history["items"][0]
    assert (item["amount"], item["recorded_by"], item["approved_by"]) == (8, "李委员", "王委员")
    assert (item["rule_code"], item["rule_version"]) == ("sorting-excellent", 2)


def test_api_with_a_bearer_token(client, family):
    _award(family, family["house"], 3, "a1")
    _token, plaintext = APIToken.create_token(user=family["villager"], name="小程序")
    response = client.get(
        f"/api/v1/households/{family['house'].pk}/points", HTTP_AUTHORIZATION=f"Bearer {plaintext}"
    )
    assert response.status_code == 200
    assert response.json()["balance"] == 3
    bad = client.get("/api/v1/households", HTTP_AUTHORIZATION="Bearer wagtail_nonsense")
    assert bad.status_code == 401


def test_api_refuses_strangers_and_other_households(client, family):
    assert client.get("/api/v1/households").status_code == 401
    client.force_login(family["villager"])
    assert client.get(f"/api/v1/households/{family['neighbour'].pk}/points").status_code == 404
    assert client.get(f"/api/v1/households/{family['neighbour'].pk}/history").status_code == 404


def test_api_history_queries_are_constant(client, family):
    client.force_login(family["villager"])
    url = f"/api/v1/households/{family['house'].pk}/history"
    _award(family, family["house"], 1, "first")
    few = _queries(client, url)
    for index in range(30):
        _award(family, family["house"], 1, f"more-{index}")
    assert _queries(client, url) == few


def test_openapi_schema_describes_the_api(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["version"] == "1"
    assert "/api/v1/households/{household_id}/history" in schema["paths"]


def test_pending_points_and_rules_are_shown(client, family, tree):
    import datetime

    from points.services.claims import claim_record
    from points.services.rules import rule_create

    rule = rule_create(
        actor=None,
        area=tree["district"],
        code="courtyard-5",
        category="courtyard",
        is_published=True,
        name="美家美院 五星",
        description="庭院整洁、物品有序、有绿化。",
        points=20,
        cap_per_month=20,
        valid_from=datetime.date(2026, 1, 1),
    )
    claim_record(
        household=family["house"],
        version=rule.versions.get(),
        actor=family["recorder"],
        idempotency_key="claim-1",
    )
    client.force_login(family["villager"])
    page = client.get(reverse("household", args=[family["house"].pk])).content.decode()
    assert "待审核 20 分" in page or "Waiting for approval: 20" in page
    rules_page = client.get(reverse("household_rules", args=[family["house"].pk])).content.decode()
    assert "美家美院 五星" in rules_page and "庭院整洁" in rules_page
    api_rules = client.get(f"/api/v1/households/{family['house'].pk}/rules").json()
    assert [(r["code"], r["points"], r["cap_per_month"]) for r in api_rules] == [
        ("courtyard-5", 20, 20)
    ]
    points = client.get(f"/api/v1/households/{family['house'].pk}/points").json()
    assert points["pending"] == 20


def test_members_of_a_household_all_see_the_same_account(client, family):
    from registry.models import Member

    Member.objects.create(
        household=family["house"], name="孙小军", relation=Member.Relation.SON, phone="13900000009"
    )
    son = UserFactory(phone="13900000009", phone_verified=True)
    villager_link(user=son)
    _award(family, family["house"], 6, "a1")
    for person in (family["villager"], son):
        client.force_login(person)
        points = client.get(f"/api/v1/households/{family['house'].pk}/points").json()
        assert points["balance"] == 6


def test_the_rank_reads_kept_rows_not_postings(client, family):
    """The villager's figures never sum postings at request time (issue 20)."""
    _award(family, family["house"], 5, "a1")
    client.force_login(family["villager"])
    with CaptureQueriesContext(connection) as context:
        assert client.get(reverse("household", args=[family["house"].pk])).status_code == 200
    sums = [q["sql"] for q in context.captured_queries if "SUM(" in q["sql"].upper()]
    assert not [sql for sql in sums if "points_posting" in sql]
    assert any("points_householdmonth" in q["sql"] for q in context.captured_queries)
