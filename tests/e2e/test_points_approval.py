import datetime

import pytest

from points.services.claims import claim_record
from points.services.rules import rule_create
from tests.e2e.helpers import phone_page, sign_in_staff, sign_in_villager
from tests.factories import Role, make_household, make_staff, make_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checker_approves_and_the_villager_sees_the_points_with_their_reason(
    browser, live_server, phone, screenshot
):
    tree = make_tree()
    village = tree["villages"][0]
    household = make_household(village, head_name="冯玉兰", phone="13900000021")
    recorder = make_staff(Role.COMMITTEE, village, name="李委员")
    checker = make_staff(Role.COMMITTEE, village, name="王委员")
    rule = rule_create(
        actor=None,
        area=tree["district"],
        code="courtyard-5",
        category="courtyard",
        is_published=True,
        name="美家美院 五星",
        points=30,
        valid_from=datetime.date(2026, 1, 1),
    )
    claim_record(
        household=household, version=rule.versions.get(), actor=recorder, idempotency_key="c1"
    )

    # The second committee member approves on their phone.
    sign_in_staff(phone, checker.username)
    phone.goto("/admin/points/claims/")
    assert "冯玉兰" in phone.locator("main").inner_text()
    screenshot(phone, "approval-1-queue")
    phone.get_by_role("button", name="通过").click()
    phone.get_by_text("没有待审核的积分").wait_for()

    # The villager signs in on their own phone and sees why they got the points.
    villager = phone_page(browser, live_server.url)
    sign_in_villager(villager, "13900000021")
    text = villager.locator("main").inner_text()
    assert "30" in villager.locator(".balance-number").inner_text()
    assert "美家美院 五星" in text
    assert "记录人 李委员" in text and "审核人 王委员" in text
    screenshot(villager, "approval-2-villager")
    villager.get_by_role("link", name="本地积分细则").click()
    assert "美家美院 五星" in villager.locator("main").inner_text()
    villager.context.close()
