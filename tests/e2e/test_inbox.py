import pytest

from tests.e2e.helpers import (
    courtyard_claim_waiting,
    phone_page,
    sign_in_staff,
    sign_in_villager,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_approval_rings_the_villagers_bell_and_waits_in_the_inbox(
    browser, live_server, phone, screenshot
):
    checker = courtyard_claim_waiting(phone_number="13900000051", key="inbox-1")

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
