import datetime

import pytest

from points.services.rules import rule_create
from registry.services.register import villager_link
from tests.campaigns.factories import make_site
from tests.factories import Role, UserFactory, make_household, make_staff


@pytest.fixture
def site(tree, media_root):
    return make_site(tree)


@pytest.fixture
def people(tree):
    village = tree["villages"][0]
    house = make_household(village, head_name="孙桂兰", phone="13900000001")
    villager = UserFactory(phone="13900000001", phone_verified=True, name="孙桂兰")
    villager_link(user=villager)
    return {
        "house": house,
        "villager": villager,
        "organiser": make_staff(Role.COMMITTEE, village, name="李委员"),
        "editor": make_staff(Role.EDITOR, tree["district"], name="吴编辑"),
        "reviewer": make_staff(Role.TOWN_ADMIN, tree["town"], name="钱镇长"),
    }


@pytest.fixture
def class_rules(tree):
    for code, name, points in (
        ("class-attend", "美她学堂 到课", 5),
        ("class-online", "线上学习", 2),
    ):
        rule_create(
            actor=None,
            area=tree["district"],
            code=code,
            category="class",
            is_published=True,
            name=name,
            points=points,
            cap_per_month=20,
            valid_from=datetime.date(2020, 1, 1),
        )
