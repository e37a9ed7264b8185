import datetime

import pytest

from points.services.claims import claim_record
from points.services.rules import rule_create
from tests.e2e.helpers import phone_page, sign_in_staff, sign_in_villager
from tests.factories import Role, make_household, make_staff, make_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_approval_rings_the_villagers_bell_and_waits_in_the_inbox(
    browser, live_server, phone, screenshot
):
    tree = make_tree()
    village = tree["villages"][0]
    household = make_household(village, head_name="冯玉兰", phone="13900000051")
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
        household=household,
        version=rule.versions.get(),
        actor=recorder,
        idempotency_key="inbox-1",
        reason="美家美院 五星",
    )

    # A committee member approves on their phone.
    sign_in_staff(phone, checker.username)
    phone.goto("/admin/points/claims/")
    phone.get_by_role("button", name="通过").click()
    phone.get_by_text("没有待审核的积分").wait_for()

    # The villager signs in on their own phone: the bell in the top bar shows 1.
    villager = phone_page(browser, live_server.url)
    sign_in_villager(villager, "13900000051")
    bell = villager.locator("a.bell")
    assert bell.locator(".badge").inner_text() == "1"
    assert bell.bounding_box()["x"] + bell.bounding_box()["width"] <= 360
    screenshot(villager, "inbox-1-bell")

    # The inbox shows the approval in large text, unread; reading it clears the bell.
    bell.click()
    villager.wait_for_url("**/inbox/")
    item = villager.locator(".inbox-item.unread")
    assert item.count() == 1
    text = item.inner_text()
    assert "积分到账" in text and "30" in text and "美家美院 五星" in text
    assert villager.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(villager, "inbox-2-list")
    villager.get_by_role("button", name="标为已读", exact=True).click()
    villager.wait_for_url("**/inbox/")
    assert villager.locator(".inbox-item.unread").count() == 0
    assert villager.locator("a.bell .badge").count() == 0
    villager.context.close()
