import re

import pytest

from meijia import sms
from tests.factories import make_household, make_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_villager_signs_in_with_phone_and_code_and_sees_their_household(phone, screenshot):
    tree = make_tree()
    make_household(tree["villages"][0], head_name="周桂芳", phone="13900000001")
    make_household(tree["villages"][0], head_name="吴国强", phone="13900000002")

    phone.goto("/")
    phone.get_by_role("link", name="用手机号登录").click()
    phone.locator("input[name=phone]").fill("139 0000 0001")
    screenshot(phone, "villager-1-phone")
    phone.get_by_role("button", name="获取验证码").click()

    phone.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1].text).group(1)
    phone.locator("input[name=code]").fill(code)
    screenshot(phone, "villager-2-code")
    assert "139****0001" in phone.locator("main").inner_text()
    phone.get_by_role("button", name="登录", exact=True).click()

    phone.wait_for_url(re.compile(r"/household/\d+/"))
    body = phone.locator("main")
    assert "周桂芳" in body.inner_text()
    assert "吴国强" not in body.inner_text()
    assert "139****0001" in body.inner_text()
    # Nothing is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "villager-3-household")

    phone.get_by_role("button", name="大字").click()
    assert "large-text" in (phone.locator("html").get_attribute("class") or "")
    phone.reload()
    assert "large-text" in (phone.locator("html").get_attribute("class") or "")
    screenshot(phone, "villager-4-large-text")
