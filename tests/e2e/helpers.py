"""What the journeys share: a phone's page, and signing in (as every journey but the villager's
own sign-in journey, test_villager, does)."""

import datetime
import re

from meijia import sms

PHONE = {"width": 360, "height": 740}


def phone_page(browser, base_url: str, **options):
    """A fresh 360×740 page in Chinese, as on a cheap Android phone, in its own context (close it
    with ``page.context.close()``); ``options`` add to the context's (camera permission)."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=base_url,
        **options,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in_staff(page, username: str) -> None:
    """Staff sign in with user name and the factories' password."""
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(username)
    page.locator("#id_password").fill("pass-word-123")
    page.locator("section.panel form button[type=submit]").click()
    page.wait_for_load_state()


def sign_in_villager(page, phone_number: str, *, lands_on: str | None = r"/household/\d+/") -> None:
    """A villager signs in with the code texted to their phone (and, by default, lands on the
    household page)."""
    page.goto("/accounts/login/code/")
    page.locator("input[name=phone]").fill(phone_number)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1].text).group(1)
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="登录", exact=True).click()
    if lands_on:
        page.wait_for_url(re.compile(lands_on))
    else:
        page.wait_for_load_state()


def courtyard_claim_waiting(*, phone_number: str, key: str):
    """A village with a household (冯玉兰, ``phone_number``) whose 美家美院 五星 (30 points) was
    recorded by one committee member and waits for the other: returns that other member."""
    from points.services.claims import claim_record
    from points.services.rules import rule_create
    from tests.factories import Role, make_household, make_staff, make_tree

    tree = make_tree()
    village = tree["villages"][0]
    household = make_household(village, head_name="冯玉兰", phone=phone_number)
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
        idempotency_key=key,
        reason="美家美院 五星",
    )
    return checker
