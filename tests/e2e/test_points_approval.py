import pytest

from tests.e2e.helpers import (
    courtyard_claim_waiting,
    phone_page,
    sign_in_staff,
    sign_in_villager,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checker_approves_and_the_villager_sees_the_points_with_their_reason(
    browser, live_server, phone, screenshot
):
    checker = courtyard_claim_waiting(phone_number="13900000021", key="c1")

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
    # The appraisal's every level, highest first.
    levels = villager.locator("[data-role=levels]").inner_text()
    assert levels.index("五星美家") < levels.index("四星美家") < levels.index("三星美家")
    villager.context.close()
