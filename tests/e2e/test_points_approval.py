import datetime
import re

import pytest

from meijia import sms
from points.services.claims import claim_record
from points.services.rules import rule_create
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
    phone.goto("/accounts/login/")
    phone.locator("#id_login").fill(checker.username)
    phone.locator("#id_password").fill("pass-word-123")
    phone.locator("section.panel form button[type=submit]").click()
    phone.wait_for_load_state()
    phone.goto("/admin/points/claims/")
    assert "冯玉兰" in phone.locator("main").inner_text()
    screenshot(phone, "approval-1-queue")
    phone.get_by_role("button", name="通过").click()
    phone.get_by_text("没有待审核的积分").wait_for()

    # The villager signs in on their own phone and sees why they got the points.
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        locale="zh-CN",
        base_url=live_server.url,
    )
    villager = context.new_page()
    villager.goto("/accounts/login/code/")
    villager.locator("input[name=phone]").fill("13900000021")
    villager.get_by_role("button", name="获取验证码").click()
    villager.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1].text).group(1)
    villager.locator("input[name=code]").fill(code)
    villager.get_by_role("button", name="登录", exact=True).click()
    villager.wait_for_url(re.compile(r"/household/\d+/"))
    text = villager.locator("main").inner_text()
    assert "30" in villager.locator(".balance-number").inner_text()
    assert "美家美院 五星" in text
    assert "记录人 李委员" in text and "审核人 王委员" in text
    screenshot(villager, "approval-2-villager")
    villager.get_by_role("link", name="本地积分细则").click()
    assert "美家美院 五星" in villager.locator("main").inner_text()
    context.close()
