"""Browser journeys of the campaign site: a notice goes from the editor through the reviewer to a
villager's phone; a villager signs up for a class and the organiser checks them in by code."""

import datetime
import re

import pytest

from campaigns.models import ArticlePage, SessionSignup
from points.models import Account
from points.services.rules import rule_create
from registry.services import codes
from tests.campaigns.factories import add_class, make_site
from tests.e2e.helpers import phone_page, sign_in_staff, sign_in_villager
from tests.factories import Role, make_household, make_staff, make_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    site = make_site(tree)
    village = tree["villages"][0]
    household = make_household(village, head_name="冯玉兰", phone="13900000031")
    return {
        "tree": tree,
        "site": site,
        "household": household,
        "editor": make_staff(Role.EDITOR, tree["town"], name="吴编辑"),
        "reviewer": make_staff(Role.TOWN_ADMIN, tree["town"], name="钱镇长"),
        "organiser": make_staff(Role.COMMITTEE, village, name="李委员"),
    }


def test_editor_submits_reviewer_approves_villager_reads_it(
    browser, live_server, phone, world, screenshot
):
    village_page = world["site"]["village"]
    title = "本周六集中清理村东沟渠"

    # The editor drafts the notice in the work desk and submits it for review.
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=live_server.url)
    editor = desk.new_page()
    sign_in_staff(editor, world["editor"].username)
    editor.goto(f"/admin/pages/add/campaigns/articlepage/{village_page.pk}/")
    editor.locator("#id_title").fill(title)
    editor.locator("#id_kind").select_option("notice")
    editor.locator("#id_slug").evaluate("input => { input.value = 'qingli-gouqu'; }")
    screenshot(editor, "campaigns-1-editor-draft")
    editor.locator("button[name=action-submit]").evaluate("button => button.click()")
    editor.wait_for_url(re.compile(r"/admin/pages/\d+/"))
    page = ArticlePage.objects.get(title=title)
    assert not page.live
    desk.close()

    # The town's reviewer approves it from the work desk's dashboard.
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=live_server.url)
    reviewer = desk.new_page()
    sign_in_staff(reviewer, world["reviewer"].username)
    reviewer.goto("/admin/")
    assert title in reviewer.locator("main").inner_text()
    screenshot(reviewer, "campaigns-2-reviewer-dashboard")
    # "通过" is a button on the first screen, not hidden behind the row's "…" menu.
    approve = reviewer.locator(
        "button[data-workflow-action-url*='/approve/']:not([data-launch-modal])"
    ).first
    assert approve.is_visible()
    approve.click()
    # The approval is posted in the background; wait until the notice is public.
    url = f"{live_server.url}/town/village/qingli-gouqu/"
    for _ in range(100):
        if reviewer.request.get(url).status == 200:
            break
        reviewer.wait_for_timeout(200)
    desk.close()
    page.refresh_from_db()
    assert page.live

    # The villager signs in on the phone and finds it on the home page.
    sign_in_villager(phone, "13900000031", lands_on=None)
    phone.goto("/")
    main = phone.locator("main").inner_text()
    assert title in main
    screenshot(phone, "campaigns-3-villager-home")
    phone.get_by_role("link", name=re.compile(title)).first.click()
    assert title in phone.locator("h1").inner_text()


def test_villager_signs_up_and_organiser_checks_in_by_code(
    browser, live_server, phone, world, screenshot
):
    rule_create(
        actor=None,
        area=world["tree"]["district"],
        code="class-attend",
        category="class",
        is_published=True,
        name="美她学堂 到课",
        points=5,
        valid_from=datetime.date(2020, 1, 1),
    )
    course, session = add_class(world["site"]["village"], title="美她学堂：院落收纳", capacity=10)
    household = world["household"]

    sign_in_villager(phone, "13900000031", lands_on=None)
    phone.goto(course.url)
    phone.get_by_role("button", name="我要报名").click()
    phone.get_by_text("您已报上名").wait_for()
    screenshot(phone, "campaigns-4-signed-up")
    phone.goto("/")
    assert "美她学堂：院落收纳" in phone.locator("main").inner_text()
    # At the door the villager shows the code on the phone; the organiser types its 8 digits.
    shown = codes.phone_code_issue(household)

    organiser = phone_page(browser, live_server.url)
    sign_in_staff(organiser, world["organiser"].username)
    organiser.goto(f"/site/sessions/{session.pk}/check-in/")
    organiser.locator("input[name=code][data-scanner]").fill(shown.digits)
    organiser.get_by_role("button", name="签到", exact=True).click()
    organiser.get_by_text("签到成功").wait_for()
    screenshot(organiser, "campaigns-5-checked-in")
    signup = SessionSignup.objects.get(session=session, household=household)
    assert signup.checked_in_at is not None
    assert Account.objects.get(household=household).balance == 5
    # The same code cannot check anyone in twice.
    organiser.locator("input[name=code][data-scanner]").fill(shown.digits)
    organiser.get_by_role("button", name="签到", exact=True).click()
    organiser.locator(".message.error").wait_for()
    assert Account.objects.get(household=household).balance == 5
    organiser.context.close()
